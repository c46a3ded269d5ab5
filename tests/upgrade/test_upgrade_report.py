"""upgrade-check without builds: the changed-tests report, the stable-ABI manifest, waivers,
output formats and exit statuses, on the demo's planted case and on small repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import DemoRepo
from cpython_release.demo_upgrade import PLANTED
from upgrade.upgrade_support import GitRepo

Cli = Callable[..., Any]
CliResult = Any

TEST_V1 = """import unittest


class T(unittest.TestCase):
    def test_a(self):
        self.assertEqual(1 + 1, 2)

    def test_b(self):
        x = [1, 2, 3]
        self.assertEqual(len(x), 3)
        self.assertIn(2, x)
        self.assertNotIn(4, x)
        self.assertTrue(x)


def helper():
    return 1
"""


def _json(result: CliResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.out)
    return data


def _by_gh(data: dict[str, Any]) -> dict[int | None, list[dict[str, Any]]]:
    out: dict[int | None, list[dict[str, Any]]] = {}
    for f in data["findings"]:
        out.setdefault(f["gh_issue"], []).append(f)
    return out


def test_demo_planted_cases(cli: Cli, upgrade_demo: DemoRepo) -> None:
    r = cli(
        "upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
        "--to", "v3.13.6", "--format", "json",
    )  # fmt: skip
    assert r.code == 1, r.err
    data = _json(r)
    found = _by_gh(data)
    for gh, kind in PLANTED.items():
        if kind is None:
            assert gh not in found, f"gh-{gh} only adds tests, yet: {found.get(gh)}"
        else:
            assert [f["kind"] for f in found[gh]] == [kind]
    for f in data["findings"]:
        assert set(f) >= {"kind", "commit", "gh_issue", "detail", "waived"}
        assert len(f["commit"]) == 40 and f["waived"] is False
    edited = found[140101][0]
    assert edited["affected"] == ["test.test_json_demo.ScannerTests.test_leading_zeros"]
    assert '-        self.assertEqual(scanner.parse_number("007"), 7)' in edited["hunks"][0]
    assert edited["existing_lines_changed"] == 3  # the assertion out, two lines in
    removed = found[140103][0]
    assert removed["removed_tests"] == ["test.test_json_demo.ScannerTests.test_legacy_alias"]
    abi = found[140104][0]  # the commit message names no issue: it comes from the blurb
    assert abi["subject"] == "function.PyDemo_OldCall" and "removed" in abi["detail"]
    checks = {c["name"]: c["status"] for c in data["checks"]}
    assert checks == {
        "changed-tests": "ran",
        "stable-abi-manifest": "ran",
        "old-tests": "skipped",
        "abi-dump": "skipped",
        "canaries": "skipped",
    }
    assert any("only the changed-tests report and the stable ABI manifest ran" in n
               for n in data["notices"])  # fmt: skip
    assert data["result"] == "findings" and data["unwaived"] == 3


def test_demo_text_report_and_summary(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = cli(
        "upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5", "--to", "v3.13.6"
    )
    assert r.code == 1
    assert "3 unwaived finding(s)" in r.out and "gh-140101" in r.out
    assert "Traceback" not in r.err and "3 unwaived" in r.err
    md = summary.read_text()
    assert "Upgrade safety" in md and "gh-140103" in md
    # one screen: the ready-to-paste waivers sit in a collapsed <details> below
    assert len(md.split("<details>")[0].splitlines()) <= 30


@pytest.mark.parametrize(
    ("base", "head", "message"),
    [
        ("v3.13.5", "v3.13.5", "same commit"),
        ("v3.13.6", "v3.13.5", "not an ancestor"),
        ("v3.13.6", "v3.13.6^", "not an ancestor"),
    ],
)
def test_empty_reversed_range_is_bad_input(
    cli: Cli, upgrade_demo: DemoRepo, base: str, head: str, message: str
) -> None:
    """A range that selects no commit (or the wrong way round) would come out clean."""
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", base,
            "--to", head, "--format", "json")  # fmt: skip
    assert r.code == 2 and message in r.err and r.out == "", (r.out, r.err)


def test_unrelated_history_is_bad_input(cli: Cli, gitrepo: GitRepo) -> None:
    gitrepo.commit({"Lib/test/test_x.py": TEST_V1}, "base")
    gitrepo.tag("v1")
    gitrepo.git("checkout", "-q", "--orphan", "other")
    gitrepo.commit({"Lib/test/test_x.py": "x = 1\n"}, "unrelated root")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD")
    assert r.code == 2 and "not an ancestor" in r.err


def test_ranked_by_existing_lines_changed(cli: Cli, gitrepo: GitRepo) -> None:
    gitrepo.commit({"Lib/test/test_x.py": TEST_V1, "Lib/test/data.txt": "a\nb\n"}, "base")
    gitrepo.tag("v3.13.0")
    small_text = TEST_V1.replace("1 + 1, 2", "2 + 2, 4")
    small = gitrepo.commit({"Lib/test/test_x.py": small_text}, "gh-1: small")
    big_text = small_text.replace("len(x), 3", "len(x), 4").replace("assertIn(2", "assertIn(5")
    big_text = big_text.replace("assertNotIn(4", "assertNotIn(6")
    big = gitrepo.commit({"Lib/test/test_x.py": big_text}, "gh-2: big")
    # pure additions: a new test method in the middle, a new file; and a change outside Lib/test
    added = big_text.replace(
        "\n\ndef helper", "\n    def test_c(self):\n        pass\n\n\ndef helper"
    )
    gitrepo.commit({"Lib/test/test_x.py": added, "Lib/test/test_new.py": "x = 1\n",
                    "Lib/foo.py": "y = 2\n"}, "gh-3: only additions")  # fmt: skip
    data_change = gitrepo.commit({"Lib/test/data.txt": "a\nc\n"}, "gh-4: test data edited")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v3.13.0", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    findings = _json(r)["findings"]
    assert [f["commit"] for f in findings] == [big, small, data_change]
    assert [f["existing_lines_changed"] for f in findings] == [6, 2, 2]  # out + in
    assert findings[0]["affected"] == ["test.test_x.T.test_b"]
    assert findings[1]["affected"] == ["test.test_x.T.test_a"]
    assert findings[2]["affected"] == ["Lib/test/data.txt"]


def test_deleted_module_and_removed_class(cli: Cli, gitrepo: GitRepo) -> None:
    gitrepo.commit({"Lib/test/test_x.py": TEST_V1, "Lib/test/test_y.py": TEST_V1}, "base")
    gitrepo.tag("v1")
    gone = gitrepo.commit({"Lib/test/test_y.py": None}, "bpo-9: drop test_y")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    [f] = _json(r)["findings"]
    assert f["kind"] == "removed-tests" and f["commit"] == gone and f["gh_issue"] is None
    assert f["removed_tests"] == ["test.test_y.T.test_a", "test.test_y.T.test_b"]


def test_stable_abi_changed_entry(cli: Cli, gitrepo: GitRepo) -> None:
    manifest = "[function.PyA]\n    added = '3.2'\n[function.PyB]\n    added = '3.2'\n"
    gitrepo.commit({"Misc/stable_abi.toml": manifest}, "base")
    gitrepo.tag("v1")
    gitrepo.commit({"Misc/stable_abi.toml": manifest + "[function.PyC]\n    added = '3.13'\n"},
                   "gh-5: add PyC")  # fmt: skip
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    assert r.code == 0 and _json(r)["findings"] == []  # additions are fine
    edited = manifest.replace("added = '3.2'\n[function.PyB]", "added = '3.3'\n[function.PyB]")
    changed = gitrepo.commit({"Misc/stable_abi.toml": edited}, "gh-6: PyA was added in 3.3")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    [f] = _json(r)["findings"]
    assert f["kind"] == "stable-abi" and f["commit"] == changed and f["gh_issue"] == 6
    assert "'3.2' -> '3.3'" in f["detail"]


def _waivers(tmp_path: Path, text: str) -> str:
    path = tmp_path / "waivers.toml"
    path.write_text(text)
    return str(path)


def test_waivers_from_a_file(cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path) -> None:
    waivers = _waivers(
        tmp_path,
        '[[waiver]]\nkind = "changed-tests"\ngh_issue = 140101\nreason = "JSON conformance"\n'
        '[[waiver]]\nkind = "removed-tests"\ngh_issue = 140103\nreason = "alias deprecated"\n'
        '[[waiver]]\nkind = "stable-abi"\nsubject = "function.PyDemo_OldCall"\n'
        'reason = "abi_only"\n'
        '[[waiver]]\nkind = "abi"\ncommit = "deadbeef"\nreason = "names nothing"\n',
    )
    base = (
        "upgrade-check",
        "--repo",
        str(upgrade_demo.path),
        "--from",
        "v3.13.5",
        "--to",
        "v3.13.6",
    )
    r = cli(*base, "--waivers", waivers, "--format", "json")
    assert r.code == 0, r.err
    data = _json(r)
    assert all(f["waived"] for f in data["findings"]) and data["result"] == "clean"
    assert {f["waiver_reason"] for f in data["findings"]} == {
        "JSON conformance", "alias deprecated", "abi_only"
    }  # fmt: skip
    assert [w["commit"] for w in data["unused_waivers"]] == ["deadbeef"]
    # one waiver less: that finding blocks again
    partial = _waivers(
        tmp_path, '[[waiver]]\nkind = "changed-tests"\ngh_issue = 140101\nreason = "x"\n'
    )
    r = cli(*base, "--waivers", partial, "--format", "json")
    assert r.code == 1 and _json(r)["unwaived"] == 2


def test_waivers_committed_in_the_release(cli: Cli, gitrepo: GitRepo, tmp_path: Path) -> None:
    gitrepo.commit({"Lib/test/test_x.py": TEST_V1}, "base")
    gitrepo.tag("v1")
    bad = gitrepo.commit({"Lib/test/test_x.py": TEST_V1.replace("1 + 1", "3 - 1")}, "gh-7: edit")
    waive = gitrepo.commit(
        {"Misc/upgrade-waivers.toml": f'[[waiver]]\nkind = "changed-tests"\ncommit = "{bad[:10]}"\n'
         'reason = "same assertion, clearer arithmetic"\n'},
        "Waive gh-7",
    )  # fmt: skip
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    assert r.code == 1  # the committed waiver applies, but adding it is a finding of its own
    found = {f["kind"]: f for f in _json(r)["findings"]}
    assert found["changed-tests"]["waived"]
    assert found["changed-tests"]["waiver_reason"] == "same assertion, clearer arithmetic"
    assert found["waivers-changed"]["commit"] == waive and not found["waivers-changed"]["waived"]
    assert _json(r)["waivers"][0]["source"] == "Misc/upgrade-waivers.toml"
    rm = _waivers(tmp_path, f'[[waiver]]\nkind = "waivers-changed"\ncommit = "{waive}"\n'
                  'reason = "read it"\n')  # fmt: skip
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD",
            "--waivers", rm)  # fmt: skip
    assert r.code == 0, r.out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[waiver]]\nkind = "changed-tests"\ngh_issue = 1\n', "needs a reason"),
        ('[[waiver]]\nkind = "nope"\ngh_issue = 1\nreason = "r"\n', "kind must be one of"),
        ('[[waiver]]\nkind = "abi"\nreason = "r"\n', "name the finding"),
        ('[[waiver]]\nkind = "abi"\ncommit = "XYZ"\nreason = "r"\n', "hex digits"),
        ("[[waiver]\n", "not valid TOML"),
    ],
)
def test_bad_waivers_are_bad_input(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path, text: str, message: str
) -> None:
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--waivers", _waivers(tmp_path, text))  # fmt: skip
    assert r.code == 2 and message in r.err and "Traceback" not in r.err


def test_bad_refs_and_repo(cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path) -> None:
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.4", "--to", "HEAD")
    assert r.code == 2 and "--from v3.13.4: no such commit" in r.err
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5", "--to", "nope")
    assert r.code == 2 and "--to nope" in r.err
    r = cli("upgrade-check", "--repo", str(tmp_path), "--from", "v1", "--to", "HEAD")
    assert r.code == 2 and "not a git repository" in r.err
    missing = str(tmp_path / "missing")
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--build-old", missing, "--build-new", str(tmp_path))  # fmt: skip
    assert r.code == 2 and "not a directory" in r.err


NESTED = """import sys
import unittest

try:
    import zlib
except ImportError:
    class TestNoZlib(unittest.TestCase):
        def test_missing(self):
            self.assertIsNone(None)
if sys.platform:
    with open(__file__):
        pass
    class TestA(unittest.TestCase):
        def test_one(self):
            self.assertEqual(1, 1)
match sys.platform:
    case "linux":
        def test_two():
            assert 2 == 2
    case _:
        pass
"""


def test_tests_defined_under_if_try_and_match_are_named(cli: Cli, gitrepo: GitRepo) -> None:
    """Defs are found in every statement that can hold one (the analysis walks statements,
    not expressions): an edit inside each names its test."""
    gitrepo.commit({"Lib/test/test_n.py": NESTED}, "base")
    gitrepo.tag("v1")
    edited = (
        NESTED.replace("assertEqual(1, 1)", "assertEqual(1, 2)")
        .replace("assert 2 == 2", "assert 2 == 3")
        .replace("assertIsNone(None)", "assertIsNone(0)")
    )
    gitrepo.commit({"Lib/test/test_n.py": edited}, "gh-5: edits")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v1", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    [f] = _json(r)["findings"]
    assert f["affected"] == [
        "test.test_n.TestNoZlib.test_missing",
        "test.test_n.TestA.test_one",
        "test.test_n.test_two",
    ]
