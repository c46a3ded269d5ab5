"""upgrade-check against hostile histories: changes that switch tests off by adding lines,
backports that waive themselves, evil merges, awkward file names and bytes, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from upgrade.upgrade_support import GitRepo

Cli = Callable[..., Any]

BASE = """import unittest


class T(unittest.TestCase):
    def test_a(self):
        self.assertEqual(1 + 1, 2)

    def test_b(self):
        self.assertEqual(len("ab"), 2)


EXPECTED = '''line one

line three
'''


if __name__ == "__main__":
    unittest.main()
"""


def _check(cli: Cli, repo: GitRepo, *extra: str) -> tuple[int, dict[str, Any], str]:
    r = cli("upgrade-check", "--repo", str(repo.path), "--from", "v1", "--to", "HEAD",
            "--format", "json", *extra)  # fmt: skip
    data: dict[str, Any] = json.loads(r.out) if r.out else {}
    return r.code, data, r.err


def _base(repo: GitRepo, files: dict[str, str | None] | None = None) -> None:
    repo.commit({"Lib/test/test_x.py": BASE, **(files or {})}, "base")
    repo.tag("v1")


@pytest.mark.parametrize(
    ("old", "new", "affected"),
    [
        ("    def test_a(self):", "    @unittest.skip('flaky')\n    def test_a(self):", "T.test_a"),
        ("    def test_a(self):", "    @unittest.expectedFailure\n    def test_a(self):",
         "T.test_a"),
        ("class T(unittest.TestCase):", "@unittest.skipIf(True, 'x')\nclass T(unittest.TestCase):",
         "T"),
        ("    def test_b(self):\n", "    def test_b(self):\n        return\n", "T.test_b"),
        ("    def test_b(self):\n", "    def test_b(self):\n        self.skipTest('no')\n",
         "T.test_b"),
        ("class T(unittest.TestCase):\n",
         "class T(unittest.TestCase):\n    def setUp(self):\n        self.skipTest('off')\n\n",
         "T.setUp"),
    ],
)  # fmt: skip
def test_tests_switched_off_by_added_lines(
    cli: Cli, gitrepo: GitRepo, old: str, new: str, affected: str
) -> None:
    _base(gitrepo)
    sha = gitrepo.commit({"Lib/test/test_x.py": BASE.replace(old, new, 1)}, "gh-11: quiet it")
    code, data, _ = _check(cli, gitrepo)
    assert code == 1
    [f] = data["findings"]
    assert f["kind"] == "changed-tests" and f["commit"] == sha and f["gh_issue"] == 11
    assert f"test.test_x.{affected}" in f["affected"]
    assert f["existing_lines_changed"] >= 1


def test_only_new_tests_never_count(cli: Cli, gitrepo: GitRepo) -> None:
    """New methods (decorated too), a new class, new imports and a new module: additions."""
    _base(gitrepo)
    more = BASE.replace(
        "\n\nEXPECTED",
        "\n    @unittest.skip('new and skipped')\n    def test_c(self):\n        return\n\n"
        "\nclass U(unittest.TestCase):\n    def setUp(self):\n        self.skipTest('new')\n\n"
        "    def test_d(self):\n        pass\n\n\nEXPECTED",
    ).replace("import unittest\n", "import os\nimport unittest\n")
    gitrepo.commit(
        {"Lib/test/test_x.py": more, "Lib/test/test_y.py": "import unittest\n"}, "gh-12: more"
    )
    code, data, err = _check(cli, gitrepo)
    assert code == 0 and data["findings"] == [], (data, err)


def test_removed_blank_line_in_expected_output(cli: Cli, gitrepo: GitRepo) -> None:
    _base(gitrepo)
    sha = gitrepo.commit(
        {"Lib/test/test_x.py": BASE.replace("line one\n\nline three", "line one\nline three")},
        "gh-13: expected output",
    )
    code, data, _ = _check(cli, gitrepo)
    assert code == 1 and [f["commit"] for f in data["findings"]] == [sha]
    # a blank line removed between methods is no change of test code
    gitrepo.git("reset", "-q", "--hard", "v1")
    gitrepo.commit({"Lib/test/test_x.py": BASE.replace("2)\n\n    def", "2)\n    def")}, "style")
    code, data, _ = _check(cli, gitrepo)
    assert code == 0 and data["findings"] == []


def test_modified_binary_test_data(cli: Cli, gitrepo: GitRepo) -> None:
    data_path = gitrepo.path / "Lib/test/data.bin"
    data_path.parent.mkdir(parents=True)
    data_path.write_bytes(b"\x00\x01\x02")
    gitrepo.git("add", "Lib/test/data.bin")
    _base(gitrepo)
    data_path.write_bytes(b"\x00\x01\x03")
    gitrepo.git("add", "Lib/test/data.bin")
    sha = gitrepo.commit({}, "gh-14: new expected bytes")
    code, data, _ = _check(cli, gitrepo)
    [f] = data["findings"]
    assert code == 1 and f["commit"] == sha and f["files"] == ["Lib/test/data.bin"]
    assert "Binary file Lib/test/data.bin modified" in f["hunks"]


@pytest.mark.parametrize(
    "name", ["Lib/test/test dir/test_sp ace.py", "Lib/test/test_ünï.py", "Lib/test/test_new\nl.py"]
)
def test_awkward_file_names(cli: Cli, gitrepo: GitRepo, name: str) -> None:
    _base(gitrepo, {name: BASE})
    sha = gitrepo.commit({name: BASE.replace("1 + 1, 2", "1 + 2, 3")}, "gh-15: edit")
    code, data, _ = _check(cli, gitrepo)
    [f] = data["findings"]
    assert code == 1 and f["commit"] == sha and f["files"] == [name]
    module = name.removeprefix("Lib/").removesuffix(".py").replace("/", ".")
    assert f["affected"] == [f"{module}.T.test_a"]


def test_record_separator_in_a_test_file(cli: Cli, gitrepo: GitRepo) -> None:
    """\\x1e (and other characters str.splitlines() splits on) inside a test file."""
    weird = BASE.replace("line one", "line \x1e\x1c\x85 one")
    _base(gitrepo, {"Lib/test/test_w.py": weird})
    first = gitrepo.commit({"Lib/test/test_w.py": weird.replace("1 + 1, 2", "1 + 2, 3")}, "gh-16")
    second = gitrepo.commit({"Lib/test/test_x.py": BASE.replace("len(", "len(  ")}, "gh-17")
    code, data, _ = _check(cli, gitrepo)
    assert code == 1
    by_commit = {f["commit"]: f for f in data["findings"]}
    assert set(by_commit) == {first, second}
    assert by_commit[first]["affected"] == ["test.test_w.T.test_a"]
    assert by_commit[second]["gh_issue"] == 17


def _waiver(kind: str, reason: str = "fine", **keys: object) -> str:
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())
    return f'[[waiver]]\nkind = "{kind}"\n{extra}reason = "{reason}"\n'


def test_a_backport_cannot_waive_itself(cli: Cli, gitrepo: GitRepo, tmp_path: Path) -> None:
    _base(gitrepo, {"Include/patchlevel.h": '#define PY_VERSION "3.13.6+"\n'})
    edit = BASE.replace("1 + 1, 2", "1 + 2, 3")
    waivers = _waiver("changed-tests", gh_issue=18, release="3.13.7")
    sha = gitrepo.commit(
        {"Lib/test/test_x.py": edit, "Misc/upgrade-waivers.toml": waivers}, "gh-18: sneaky"
    )
    gitrepo.commit({"Include/patchlevel.h": '#define PY_VERSION "3.13.7"\n'}, "3.13.7")
    code, data, _ = _check(cli, gitrepo)
    kinds = {f["kind"]: f for f in data["findings"]}
    assert code == 1 and kinds["changed-tests"]["waived"]  # the committed waiver applies...
    changed = kinds["waivers-changed"]  # ...but changing the file is a finding of its own
    assert changed["commit"] == sha and not changed["waived"] and data["unwaived"] == 1
    # the committed file cannot waive that, even when it tries
    bad = waivers + _waiver("waivers-changed", commit=sha)
    gitrepo.commit({"Misc/upgrade-waivers.toml": bad}, "waive the waivers")
    code, _, err = _check(cli, gitrepo)
    assert code == 2 and "only the release manager's --waivers" in err
    gitrepo.git("reset", "-q", "--hard", "HEAD~1")
    # only the release manager's input can
    rm = tmp_path / "rm.toml"
    rm.write_text(_waiver("waivers-changed", commit=sha[:10], reason="reviewed"))
    code, data, _ = _check(cli, gitrepo, "--waivers", str(rm))
    assert code == 0 and all(f["waived"] for f in data["findings"])


def test_committed_waivers_are_scoped_to_their_release(cli: Cli, gitrepo: GitRepo) -> None:
    """A gh_issue waiver written for 3.13.6 stays in the file; it must not waive a later
    backport of the same issue in 3.13.7."""
    waivers = _waiver("changed-tests", gh_issue=19, release="3.13.6")
    gitrepo.commit(
        {"Lib/test/test_x.py": BASE, "Misc/upgrade-waivers.toml": waivers,
         "Include/patchlevel.h": '#define PY_VERSION "3.13.6"\n'},
        "3.13.6",
    )  # fmt: skip
    gitrepo.tag("v1")
    sha = gitrepo.commit({"Lib/test/test_x.py": BASE.replace("1 + 1", "2 + 0")}, "gh-19: again")
    gitrepo.commit({"Include/patchlevel.h": '#define PY_VERSION "3.13.7"\n'}, "3.13.7")
    code, data, _ = _check(cli, gitrepo)
    [f] = data["findings"]
    assert code == 1 and f["commit"] == sha and not f["waived"]
    assert data["unused_waivers"][0]["release"] == "3.13.6"
    # and a committed gh_issue waiver without its release is refused
    gitrepo.commit({"Misc/upgrade-waivers.toml": _waiver("changed-tests", gh_issue=19)}, "w")
    code, _, err = _check(cli, gitrepo)
    assert code == 2 and "must name its release" in err


def test_evil_merge_is_examined_and_clean_merge_not_doubled(cli: Cli, gitrepo: GitRepo) -> None:
    _base(gitrepo, {"Lib/test/test_z.py": BASE})
    gitrepo.git("checkout", "-q", "-b", "side")
    side = gitrepo.commit({"Lib/test/test_z.py": BASE.replace("1 + 1", "0 + 2")}, "gh-20: side")
    gitrepo.git("checkout", "-q", "main")
    gitrepo.commit({"Lib/foo.py": "x = 1\n"}, "gh-21: main side")
    gitrepo.git("merge", "-q", "--no-ff", "--no-edit", "side")
    code, data, _ = _check(cli, gitrepo)  # a clean merge: the side commit, once
    assert [f["commit"] for f in data["findings"]] == [side]
    # an evil merge: the merge itself edits a test beyond what either parent has
    gitrepo.git("reset", "-q", "--hard", "HEAD~1")
    gitrepo.git("merge", "-q", "--no-ff", "--no-commit", "side")
    (gitrepo.path / "Lib/test/test_x.py").write_text(BASE.replace('"ab"), 2', '"abc"), 3'))
    gitrepo.git("add", "Lib/test/test_x.py")
    gitrepo.git("commit", "-q", "--no-edit", "-m", "Merge side (gh-22)")
    merge = gitrepo.git("rev-parse", "HEAD")
    code, data, _ = _check(cli, gitrepo)
    by_commit = {f["commit"]: f for f in data["findings"]}
    assert code == 1 and set(by_commit) == {side, merge}
    assert by_commit[merge]["files"] == ["Lib/test/test_x.py"]
    assert by_commit[merge]["gh_issue"] == 22


def test_bad_output_and_waivers_files(cli: Cli, gitrepo: GitRepo, tmp_path: Path) -> None:
    _base(gitrepo)
    gitrepo.commit({"Lib/test/test_x.py": BASE.replace("1 + 1", "2 + 0")}, "gh-23")
    code, _, err = _check(cli, gitrepo, "--output", str(tmp_path / "nonexistent" / "x.json"))
    assert code == 2 and "--output" in err and "Traceback" not in err
    latin = tmp_path / "latin1.toml"
    latin.write_bytes(_waiver("abi", reason="caf\xe9", gh_issue=1).encode("latin-1"))
    code, _, err = _check(cli, gitrepo, "--waivers", str(latin))
    assert code == 2 and "not UTF-8" in err and "Traceback" not in err
