"""``upgrade-check --from auto``: the previous release the upgrade-safety job compares with
(the rule the job used to spell out in shell), ``--dry-run``, the incomplete report a check
cut short leaves, and the build directories checked against the range's versions."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import DemoRepo, git_env
from upgrade.upgrade_support import GitRepo

Cli = Callable[..., Any]


def _patchlevel(version: str) -> dict[str, str | None]:
    return {"Include/patchlevel.h": f'#define PY_VERSION              "{version}"\n'}


def _security_branch(repo: GitRepo) -> dict[str, str]:
    """A 3.9 branch: v3.9.9 (annotated), v3.9.10rc1, v3.9.10 (lightweight), a 3.10 tag
    merged in, a later tag on a side branch, then the 3.9.11 release commit, tagged."""
    commits = {}
    commits["v3.9.9"] = repo.commit(_patchlevel("3.9.9"), "Python 3.9.9")
    repo.tag("v3.9.9")
    repo.commit(_patchlevel("3.9.9+"), "Post 3.9.9")
    commits["v3.9.10rc1"] = repo.commit(_patchlevel("3.9.10rc1"), "Python 3.9.10rc1")
    repo.tag("v3.9.10rc1")
    commits["v3.9.10"] = repo.commit(_patchlevel("3.9.10"), "Python 3.9.10")
    repo.git("tag", "v3.9.10")  # lightweight: its object is the commit itself
    repo.commit(_patchlevel("3.9.10+"), "Post 3.9.10")
    repo.commit({"README": "3.10\n"}, "unrelated")
    repo.tag("v3.10.0")  # another series, reachable: never the previous 3.9 release
    repo.git("checkout", "-q", "-b", "side")
    repo.commit({"side": "x\n"}, "side")
    repo.tag("v3.9.12")  # not reachable from the release
    repo.git("checkout", "-q", "main")
    commits["release"] = repo.commit(_patchlevel("3.9.11"), "Python 3.9.11")
    repo.tag("v3.9.11")
    return commits


def _rev(repo: Path, ref: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", f"{ref}^{{commit}}"],
        capture_output=True, text=True, check=True, env=git_env(),
    ).stdout.strip()  # fmt: skip


def _jobs_json(path: Path) -> Path:
    """The jobs API's answer for a run whose upgrade-safety job stopped."""
    job = {"id": 1, "name": "upgrade-safety", "status": "completed", "conclusion": "failure",
           "started_at": "2026-11-21T10:00:40Z", "completed_at": "2026-11-21T10:20:40Z",
           "labels": ["ubuntu-24.04"]}  # fmt: skip
    path.write_text(json.dumps({"total_count": 1, "jobs": [job]}))
    return path


def _check(cli: Cli, repo: Path, *args: str) -> Any:
    r = cli("upgrade-check", "--repo", str(repo), "--format", "json", *args)
    return r


def test_a_bugfix_release_is_compared_with_the_release_before_it(
    cli: Cli, upgrade_demo: DemoRepo
) -> None:
    """The demo's 3.13.6: --from auto is v3.13.5, the same report as naming it."""
    path = str(upgrade_demo.path)
    named = cli("upgrade-check", "--repo", path, "--from", "v3.13.5", "--to", "v3.13.6",
                "--format", "json")  # fmt: skip
    for version in ("3.13.6", None):  # VERSION, or PY_VERSION at --to
        auto = cli("upgrade-check", *([version] if version else []), "--repo", path,
                   "--from", "auto", "--to", "v3.13.6", "--format", "json")  # fmt: skip
        assert auto.code == named.code == 1, auto.err
        a, n = json.loads(auto.out), json.loads(named.out)
        assert a["from"] == "v3.13.5" and a["from_version"] == "3.13.5"
        assert a["from_commit"] == n["from_commit"] and a["release"] == "3.13.6"
        assert [(f["kind"], f["commit"]) for f in a["findings"]] == [
            (f["kind"], f["commit"]) for f in n["findings"]
        ]


def test_a_security_release_takes_the_highest_earlier_final_tag(cli: Cli, gitrepo: GitRepo) -> None:
    """v3.9.10, not v3.9.9 (a string sort), v3.9.10rc1, v3.10.0, the unreachable v3.9.12
    or the release's own tag; a lightweight tag's commit is its object."""
    commits = _security_branch(gitrepo)
    r = _check(cli, gitrepo.path, "3.9.11", "--from", "auto", "--to", "v3.9.11", "--dry-run")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert (report["from"], report["from_version"]) == ("v3.9.10", "3.9.10")
    assert report["from_commit"] == commits["v3.9.10"]
    assert report["to_commit"] == commits["release"]
    assert report["result"] == "incomplete" and report["checks"] == []  # nothing ran
    assert report["notices"] == []


def test_a_gap_in_the_tags_is_named(cli: Cli, gitrepo: GitRepo) -> None:
    _security_branch(gitrepo)
    gitrepo.commit(_patchlevel("3.9.12"), "Python 3.9.12 (no v3.9.11 reachable: tag moved)")
    gitrepo.git("tag", "-d", "v3.9.11")
    r = _check(cli, gitrepo.path, "3.9.12", "--from", "auto", "--to", "HEAD", "--dry-run")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["from"] == "v3.9.10"
    assert any("no v3.9.11 tag is reachable" in n for n in report["notices"])


@pytest.mark.parametrize("mode", ["release", "rehearsal"])
def test_x_y_0_has_nothing_to_compare_and_is_skipped(
    cli: Cli, gitrepo: GitRepo, tmp_path: Path, mode: str
) -> None:
    """The first release of a branch: skipped with the reason, in either mode (exit 0), and
    the report says so; pre-release tags of the branch do not count."""
    gitrepo.commit(_patchlevel("3.13.9"), "Python 3.13.9")
    gitrepo.tag("v3.13.9")
    gitrepo.commit(_patchlevel("3.14.0rc3"), "Python 3.14.0rc3")
    gitrepo.tag("v3.14.0rc3")
    gitrepo.commit(_patchlevel("3.14.0"), "Python 3.14.0")
    out = tmp_path / "report.json"
    r = cli("upgrade-check", "3.14.0", "--repo", str(gitrepo.path), "--from", "auto",
            "--to", "HEAD", "--mode", mode, "--output", str(out))  # fmt: skip
    assert r.code == 0, r.err
    assert "skipped: 3.14.0 is the first 3.14 release" in r.out
    report = json.loads(out.read_text())
    assert report["result"] == "skipped" and report["from"] is None
    assert "no earlier 3.14 release" in report["reason"]


def test_release_mode_without_a_previous_tag_is_bad_input(
    cli: Cli, gitrepo: GitRepo, tmp_path: Path
) -> None:
    """3.9.11 with no earlier 3.9 tag (a clone without tags): a release stops (exit 2, no
    report written); a rehearsal is skipped with the reason."""
    gitrepo.commit(_patchlevel("3.9.11"), "Python 3.9.11")
    out = tmp_path / "report.json"
    args = ("3.9.11", "--repo", str(gitrepo.path), "--from", "auto", "--to", "HEAD",
            "--output", str(out))  # fmt: skip
    r = cli("upgrade-check", *args)  # release mode is the default
    assert r.code == 2
    assert "no earlier 3.9 release tag (v3.9.0 to v3.9.10) is reachable from --to HEAD" in r.err
    assert "--from TAG" in r.err and "Traceback" not in r.err
    assert not out.exists()
    r = cli("upgrade-check", *args, "--mode", "rehearsal")
    assert r.code == 0, r.err
    report = json.loads(out.read_text())
    assert report["result"] == "skipped" and "a rehearsal goes on" in report["reason"]


def test_bad_versions_are_bad_input(cli: Cli, upgrade_demo: DemoRepo, gitrepo: GitRepo) -> None:
    path = str(upgrade_demo.path)
    # VERSION contradicting --to's patchlevel.h: the wrong commit
    r = cli("upgrade-check", "3.13.7", "--repo", path, "--from", "auto", "--to", "v3.13.6")
    assert r.code == 2 and "VERSION 3.13.7 does not match --to v3.13.6" in r.err
    # a nightly's version: nightlies are not compared (the job does not run for them)
    r = cli("upgrade-check", "3.13.6.dev20261121", "--repo", path, "--from", "auto",
            "--to", "v3.13.6")  # fmt: skip
    assert r.code == 2 and "Traceback" not in r.err
    # no VERSION and no patchlevel.h at --to
    gitrepo.commit({"README": "x\n"}, "no patchlevel")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "auto", "--to", "HEAD")
    assert r.code == 2 and "--from auto needs the release version: give VERSION" in r.err
    r = cli("upgrade-check", "--repo", path, "--from", "auto", "--to", "v3.13.6",
            "--mode", "nightly")  # fmt: skip
    assert r.code == 2


def test_dry_run_sets_the_step_outputs(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the job's first step does: resolve, write the incomplete report, set outputs."""
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    report = tmp_path / "report.json"
    commit = _rev(upgrade_demo.path, "v3.13.6")
    r = cli("upgrade-check", "3.13.6", "--repo", str(upgrade_demo.path), "--from", "auto",
            "--to", commit, "--mode", "release", "--dry-run", "--format", "github",
            "--output", str(report))  # fmt: skip
    assert r.code == 0, r.err
    assert "upgrade check v3.13.5 (3.13.5, " in r.out and "not run (--dry-run)" in r.out
    got = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert got["from"] == "v3.13.5" and got["from-version"] == "3.13.5"
    assert got["from-commit"] == _rev(upgrade_demo.path, "v3.13.5")
    assert got["to-commit"] == commit and got["result"] == "not run"
    data = json.loads(report.read_text())
    assert data["result"] == "incomplete" and data["findings"] == []
    # the check itself: the same outputs, with its result, and the report replaced
    outputs.write_text("")
    r = cli("upgrade-check", "3.13.6", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", commit, "--format", "github", "--output", str(report))  # fmt: skip
    assert r.code == 1
    got = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert got["from"] == "v3.13.5" and got["result"] == "findings"
    assert json.loads(report.read_text())["result"] == "findings"


def test_skipped_sets_an_empty_from(
    cli: Cli, gitrepo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    gitrepo.commit(_patchlevel("3.13.5"), "Python 3.13.5")
    r = cli("upgrade-check", "3.13.5", "--repo", str(gitrepo.path), "--from", "auto",
            "--to", "HEAD", "--mode", "rehearsal", "--dry-run", "--format", "github")  # fmt: skip
    assert r.code == 0, r.err
    got = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert got["from"] == "" and got["result"] == "skipped"
    assert "no earlier 3.13 release tag (v3.13.0 to v3.13.4)" in got["reason"]
    assert "Upgrade safety: skipped" in summary.read_text()


def test_a_check_cut_short_leaves_an_incomplete_report(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is written before the check starts: stopped midway (the job's timeout
    interrupts it), the file says the check did not finish; the summary's record says so."""
    import cpython_release.upgrade.check as check

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(check, "changed_tests", interrupted)
    out = tmp_path / "upgrade-report.json"
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "auto",
            "--to", "v3.13.6", "--output", str(out))  # fmt: skip
    assert r.code == 130
    report = json.loads(out.read_text())
    assert report["result"] == "incomplete" and report["from"] == "v3.13.5"
    jobs = _jobs_json(tmp_path / "jobs.json")
    record = tmp_path / "record.json"
    r = cli("summary", "--jobs-json", str(jobs), "--record", str(record),
            "--upgrade-report", str(out))  # fmt: skip
    assert r.code == 0, r.err
    assert json.loads(record.read_text())["upgrade_safety"]["status"] == "incomplete"
    assert "Upgrade safety from v3.13.5: **did not finish**" in r.out


def test_a_skipped_check_is_recorded_with_its_reason(
    cli: Cli, gitrepo: GitRepo, tmp_path: Path
) -> None:
    gitrepo.commit(_patchlevel("3.14.0"), "Python 3.14.0")
    out = tmp_path / "upgrade-report.json"
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "auto", "--to", "HEAD",
            "--output", str(out))  # fmt: skip
    assert r.code == 0, r.err
    jobs = _jobs_json(tmp_path / "jobs.json")
    record = tmp_path / "record.json"
    r = cli("summary", "--jobs-json", str(jobs), "--record", str(record),
            "--upgrade-report", str(out))  # fmt: skip
    entry = json.loads(record.read_text())["upgrade_safety"]
    assert entry["status"] == "skipped" and "first 3.14 release" in entry["reason"]
    assert "Upgrade safety: skipped (3.14.0 is the first 3.14 release" in r.out


def _build(path: Path, version: str | None, *, install: bool = False) -> Path:
    """A build directory: an executable launcher and (unless None) a patchlevel.h, where a
    build tree or an install prefix keeps it."""
    launcher = path / ("bin/python3" if install else "python")
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\nexit 0\n")
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
    if version is not None:
        header = path / ("include/python3.13" if install else "Include") / "patchlevel.h"
        header.parent.mkdir(parents=True, exist_ok=True)
        header.write_text(f'#define PY_VERSION              "{version}"\n')
    return path


def test_build_directories_are_checked_against_the_range(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path
) -> None:
    base = ("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--dry-run", "--format", "json")  # fmt: skip
    old = _build(tmp_path / "old", "3.13.5", install=True)
    new = _build(tmp_path / "new", "3.13.6")
    r = cli(*base, "--build-old", str(old), "--build-new", str(new))
    assert r.code == 0, r.err
    assert json.loads(r.out)["notices"] == []
    # swapped
    r = cli(*base, "--build-old", str(new), "--build-new", str(old))
    assert r.code == 2
    assert f"--build-old {new} is Python 3.13.6 (its patchlevel.h), but --from v3.13.5 is " in r.err
    assert "swapped?" in r.err
    # a stale build of another release
    other = _build(tmp_path / "other", "3.13.4")
    r = cli(*base, "--build-old", str(old), "--build-new", str(other))
    assert r.code == 2 and "--to v3.13.6 is 3.13.6: the wrong build" in r.err
    assert "swapped" not in r.err
    # a bare launcher (no patchlevel.h): not checked, and the report says so
    bare = _build(tmp_path / "bare", None)
    r = cli(*base, "--build-old", str(bare), "--build-new", str(new))
    assert r.code == 0, r.err
    [notice] = json.loads(r.out)["notices"]
    assert f"--build-old {bare}: no patchlevel.h" in notice and "not checked" in notice


def test_the_release_own_tag_or_a_later_one_never_counts(cli: Cli, gitrepo: GitRepo) -> None:
    """A stale v3.9.11 (a moved tag) and a v3.9.12 on ancestors of the 3.9.11 release commit:
    the previous release is still v3.9.10."""
    commits = {"v3.9.10": gitrepo.commit(_patchlevel("3.9.10"), "Python 3.9.10")}
    gitrepo.tag("v3.9.10")
    gitrepo.commit(_patchlevel("3.9.11"), "Python 3.9.11 (first try)")
    gitrepo.git("tag", "v3.9.11")
    gitrepo.commit({"x": "1\n"}, "odd tag")
    gitrepo.tag("v3.9.12")
    gitrepo.commit(_patchlevel("3.9.11"), "Python 3.9.11")
    r = _check(cli, gitrepo.path, "3.9.11", "--from", "auto", "--to", "HEAD", "--dry-run")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert (report["from"], report["from_commit"]) == ("v3.9.10", commits["v3.9.10"])
