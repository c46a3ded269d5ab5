"""upgrade-check as a new user meets it: what a finding's subject is, ready-to-paste waivers,
findings no commit explains, an uncommitted waivers file, plain messages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import DemoRepo, git_env
from cpython_release.upgrade.findings import Finding, apply_waivers, parse_waivers, waiver_for
from cpython_release.upgrade.old_tests import Outcome, baseline_gaps, compare

Cli = Callable[..., Any]


def _check(cli: Cli, repo: Path, *extra: str) -> Any:
    return cli("upgrade-check", "--repo", str(repo), "--from", "v3.13.5", "--to", "v3.13.6",
               *extra)  # fmt: skip


def _fill_reasons(text: str) -> str:
    return re.sub(r'reason = ""(  #.*)?', 'reason = "reviewed"', text)


def test_a_behaviour_change_no_commit_explains_names_no_commit() -> None:
    head = "f" * 40
    old = Outcome("3.13.5", {"test.test_x": {"outcome": "ran", "output": ""}},
                  {"test.test_x.T.test_a": {"outcome": "pass", "output": ""}})  # fmt: skip
    new = Outcome("3.13.6", {"test.test_x": {"outcome": "ran", "output": ""}},
                  {"test.test_x.T.test_a": {"outcome": "fail", "output": "boom"}})  # fmt: skip
    [f] = compare(old, new, [], {}, head)
    assert f.commit is None and f.to_dict()["commit"] is None
    assert "no commit in the range changed this test" in f.detail
    # a waiver naming the range tip waives nothing; one naming the test does
    tip = parse_waivers(
        f'[[waiver]]\nkind = "behaviour-change"\ncommit = "{head[:12]}"\nreason = "r"\n', "t"
    )
    assert apply_waivers([f], tip) == tip and not f.waived
    by_test = parse_waivers(
        '[[waiver]]\nkind = "behaviour-change"\nsubject = "test.test_x.T.test_a"\nreason = "r"\n',
        "t",
    )
    assert apply_waivers([f], by_test) == [] and f.waived
    # the ready-made waiver names the test and, having no commit, the release: it may be
    # committed to Misc/upgrade-waivers.toml (a committed waiver must name one or the other)
    pasted = waiver_for(f, "3.13.6").replace('reason = ""', 'reason = "r"')
    [w] = parse_waivers(pasted, "Misc/upgrade-waivers.toml", committed=True, release="3.13.6")
    f.waived = False
    assert "commit" not in pasted and apply_waivers([f], [w]) == [] and f.waived


def test_every_finding_has_a_subject_and_the_pasted_waivers_unblock(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    data = json.loads(_check(cli, upgrade_demo.path, "--format", "json").out)
    subjects = {f["kind"]: f["subject"] for f in data["findings"]}
    assert subjects == {
        "changed-tests": "test.test_json_demo.ScannerTests.test_leading_zeros",
        "removed-tests": "test.test_json_demo.ScannerTests.test_legacy_alias",
        "stable-abi": "function.PyDemo_OldCall",
    }
    # a commit's subject line is not a waiver subject: it waives nothing
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[[waiver]]\nkind = "changed-tests"\nreason = "r"\n'
                     'subject = "gh-140101: json_demo: refuse numbers with leading zeros, '
                     'as JSON does"\n')  # fmt: skip
    r = _check(cli, upgrade_demo.path, "--waivers", str(wrong))
    assert r.code == 1 and "waiver names no finding (changed-tests 'gh-140101" in r.out

    summary.write_text("")
    r = _check(cli, upgrade_demo.path)
    assert r.code == 1
    md = summary.read_text()
    pasted = r.out.split("and write its reason:\n", 1)[1].split("On one line")[0]
    assert pasted.count("[[waiver]]") == 3
    # a placeholder reason is refused: the release manager has to write one
    as_is = tmp_path / "as-is.toml"
    as_is.write_text(pasted)
    r2 = _check(cli, upgrade_demo.path, "--waivers", str(as_is))
    assert r2.code == 2 and "needs a reason" in r2.err
    filled = tmp_path / "filled.toml"
    filled.write_text(_fill_reasons(pasted))
    r2 = _check(cli, upgrade_demo.path, "--waivers", str(filled), "--format", "json")
    assert r2.code == 0, r2.err
    assert json.loads(r2.out)["unused_waivers"] == []
    # the one-line form, as the workflow input takes it
    [line] = [ln for ln in r.out.splitlines() if ln.startswith("waiver = [")]
    one = tmp_path / "one.toml"
    one.write_text(_fill_reasons(line) + "\n")
    assert _check(cli, upgrade_demo.path, "--waivers", str(one)).code == 0

    assert md.count("[[waiver]]") == 3 and "waiver = [{" in md
    # the test's name stays visible in its row, however long the commit's subject line
    [row] = [ln for ln in md.splitlines() if ln.startswith("| changed-tests |")]
    assert "`test.test_json_demo.ScannerTests.test_leading_zeros`" in row


def test_one_commit_needs_one_waiver_per_kind() -> None:
    sha = "a" * 40
    removed = Finding("removed-tests", sha, 140103, "removed", subject="test.t.T.test_alias")
    changed = Finding("behaviour-change", sha, 140103, "fails", subject="test.t.T.test_alias")
    one = parse_waivers(
        '[[waiver]]\nkind = "removed-tests"\ngh_issue = 140103\nreason = "r"\n', "t"
    )
    apply_waivers([removed, changed], one)
    assert removed.waived and not changed.waived


def test_an_uncommitted_waivers_file_is_named(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path
) -> None:
    clone = tmp_path / "cpython"
    subprocess.run(["git", "clone", "-q", str(upgrade_demo.path), str(clone)], check=True,
                   env=git_env())  # fmt: skip
    (clone / "Misc" / "upgrade-waivers.toml").write_text(
        '[[waiver]]\nkind = "stable-abi"\ngh_issue = 140104\nreason = "abi_only"\n'
    )
    r = _check(cli, clone, "--format", "json")
    data = json.loads(r.out)
    assert r.code == 1 and data["unwaived"] == 3  # ignored: not in the release commit
    [notice] = [n for n in data["notices"] if "upgrade-waivers.toml" in n]
    assert "is not committed at --to" in notice and "--waivers" in notice
    assert "is not committed at --to" in _check(cli, clone).out


def test_plain_messages(cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path) -> None:
    r = _check(cli, upgrade_demo.path)
    assert r.code == 1
    assert "upgrade check: 3 unwaived findings" in r.err and "error:" not in r.err
    assert "removed (was added = '3.2', abi_only = true)" in r.out and "{'" not in r.out
    data = json.loads(_check(cli, upgrade_demo.path, "--format", "json").out)
    [abi] = [f for f in data["findings"] if f["kind"] == "stable-abi"]
    upper = tmp_path / "upper.toml"
    upper.write_text(f'[[waiver]]\nkind = "stable-abi"\ncommit = "{abi["commit"][:10].upper()}"\n'
                     'reason = "abi_only"\n')  # fmt: skip
    r = _check(cli, upgrade_demo.path, "--waivers", str(upper), "--format", "json")
    assert r.code == 1 and json.loads(r.out)["unwaived"] == 2


def test_the_readme_demo_commands_work_as_written(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("**Try it on the demo.**", 1)[1].split("```sh\n", 1)[1]
    block = block.split("```", 1)[0]
    venv_bin = Path(sys.executable).parent
    script = block.replace(".venv/bin/", f"{venv_bin}/")
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # the planted findings
    assert "upgrade check: 6 unwaived findings" in proc.stderr
    assert proc.stdout.count("[behaviour-change]") == 2 and "[stable-abi]" in proc.stdout
    assert "10 test(s) pass on the old interpreter, 2 fail on the new" in proc.stdout
    # --builds without the upgrade case: a message and exit 2, no traceback
    bad = subprocess.run(
        [sys.executable, "-m", "cpython_release.demo_repo", str(tmp_path / "x"), "--builds", "b"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "--builds needs --upgrade" in bad.stderr
    assert "Traceback" not in bad.stderr


def _part1() -> tuple[Finding, dict[str, Finding]]:
    f = Finding("changed-tests", "c" * 40, 7, "gh-7: edit", subject="test.test_x.T.test_a",
                extra={"affected": ["test.test_x.T.test_a", "test.test_x.helper"],
                       "removed_tests": [], "files": ["Lib/test/test_x.py"]})  # fmt: skip
    return f, {"test.test_x": f}


def test_a_changed_test_failing_on_the_old_interpreter_blocks() -> None:
    part1, blame = _part1()
    ran = {"outcome": "ran", "output": ""}
    old = Outcome("3.13.5", {"test.test_x": ran, "test.test_sys": ran}, {
        "test.test_x.T.test_a": {"outcome": "fail", "output": "AssertionError: old"},
        "test.test_x.T.test_b": {"outcome": "pass", "output": ""},
        "test.test_sys.S.test_q": {"outcome": "error", "output": "OSError"},
    })  # fmt: skip
    findings, notices = baseline_gaps(old, [part1], blame)
    [f] = findings
    assert (f.kind, f.subject, f.commit, f.gh_issue) == (
        "no-baseline", "test.test_x.T.test_a", "c" * 40, 7
    )  # fmt: skip
    assert "fails on the previous release's own interpreter" in f.detail
    assert "AssertionError: old" in f.extra["output"]
    assert any("1 test(s) fail" in n and "test.test_sys.S.test_q" in n for n in notices)
    # waivable by its subject, like any finding
    [w] = parse_waivers('[[waiver]]\nkind = "no-baseline"\nsubject = "test.test_x.T.test_a"\n'
                        'reason = "flaky on 3.13.5"\n', "t")  # fmt: skip
    assert apply_waivers([f], [w]) == [] and f.waived


def test_a_changed_module_not_importing_on_the_old_interpreter_blocks() -> None:
    part1, blame = _part1()
    broken = {"outcome": "error", "output": "ImportError: no _testcapi"}
    old = Outcome("3.13.5", {"test.test_x": broken, "test.test_os": broken}, {})
    [f], notices = baseline_gaps(old, [part1], blame)
    assert (f.kind, f.subject, f.gh_issue) == ("no-baseline", "test.test_x", 7)
    assert "does not import" in f.detail
    # a base-set module that does not import is a notice, not a finding
    assert notices == [
        "test.test_os does not import on the previous release's own interpreter: its tests "
        "were not compared"
    ]
    # nothing lost on the old side: nothing to say
    ok = Outcome("3.13.5", {"test.test_x": {"outcome": "ran", "output": ""}},
                 {"test.test_x.T.test_a": {"outcome": "pass", "output": ""}})  # fmt: skip
    assert baseline_gaps(ok, [part1], blame) == ([], [])


def test_the_documented_one_line_waiver_input(cli: Cli, upgrade_demo: DemoRepo,
                                              tmp_path: Path) -> None:  # fmt: skip
    """SETUP.md and the caller template show the same one-line form; written out as the
    upgrade-safety job writes the input, it waives the stable-ABI finding and nothing else."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    setup = (root / "workflows" / "SETUP.md").read_text(encoding="utf-8")
    [line] = re.findall(r"^ *(waiver = \[\{.*\}\])$", setup, flags=re.M)
    template = yaml.safe_load((root / "workflows" / "release.yml").read_text(encoding="utf-8"))
    description = template[True]["workflow_dispatch"]["inputs"]["upgrade-waivers"]["description"]
    assert line in description and "upgrade-safety" in setup and "rehearsal" in setup
    waivers = tmp_path / "upgrade-waivers.toml"
    subprocess.run(["bash", "-c", "printf '%s\\n' \"$WAIVERS\" > \"$OUT\""], check=True,
                   env={"WAIVERS": line, "OUT": str(waivers)})  # fmt: skip
    r = _check(cli, upgrade_demo.path, "--waivers", str(waivers), "--format", "json")
    data = json.loads(r.out)
    assert r.code == 1 and data["unwaived"] == 2
    assert [f["kind"] for f in data["findings"] if f["waived"]] == ["stable-abi"]
