"""Part 2 against small builds: every way an old test can stop working on the new
interpreter is a finding (fails, skipped, missing, a test-package submodule that no longer
imports), a runner that cannot complete fails closed with the report kept, and an exported
ABI that cannot be compared is a finding, not a silent skip.

The "builds" are two directories with a ``python`` launcher (the host python3 with that
build's ``Lib`` on its path): the standard library differs between them as between two
releases. Each test takes about a second."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from upgrade.upgrade_support import GitRepo

Cli = Callable[..., Any]

pytestmark = pytest.mark.skipif(shutil.which("python3") is None, reason="needs python3")

TEST_MYLIB = """import unittest

import mylib


class T(unittest.TestCase):
    def test_ok(self):
        self.assertEqual(mylib.f(), 1)

    def test_switched_off(self):
        if mylib.SKIP:
            self.skipTest("switched off in this build")


if getattr(mylib, "HAS_X", False):

    class X(unittest.TestCase):
        def test_x(self):
            pass
"""

PKG_INIT = """import os
import unittest


def load_tests(loader, tests, pattern):
    here = os.path.dirname(__file__)
    return loader.discover(here, top_level_dir=os.path.dirname(os.path.dirname(here)))
"""

PKG_SUB = """import unittest

from mylib import only_old


class S(unittest.TestCase):
    def test_s(self):
        self.assertEqual(only_old(), 2)
"""

OLD_MYLIB = (
    "def f():\n    return 1\n\n\ndef only_old():\n    return 2\n\n\nSKIP = False\nHAS_X = True\n"
)
NEW_MYLIB = "def f():\n    return 1\n\n\nSKIP = True\n"


def _build(path: Path, mylib: str, runner: str = "") -> Path:
    (path / "Lib").mkdir(parents=True)
    (path / "Lib" / "mylib.py").write_text(mylib)
    launcher = path / "python"
    body = runner or f'PYTHONPATH="{path / "Lib"}" exec "{shutil.which("python3")}" "$@"'
    launcher.write_text(f"#!/bin/sh\n{body}\n")
    launcher.chmod(0o755)
    return path


@pytest.fixture
def repo(gitrepo: GitRepo) -> GitRepo:
    gitrepo.commit(
        {
            "Lib/mylib.py": OLD_MYLIB,
            "Lib/test/__init__.py": "",
            "Lib/test/test_mylib.py": TEST_MYLIB,
            "Lib/test/test_pkg/__init__.py": PKG_INIT,
            "Lib/test/test_pkg/test_sub.py": PKG_SUB,
        },
        "base",
    )
    gitrepo.tag("v1")
    gitrepo.commit({"Lib/mylib.py": NEW_MYLIB}, "gh-30: mylib changes")
    return gitrepo


def _check(cli: Cli, repo: GitRepo, old: Path, new: Path, *extra: str) -> tuple[int, Any]:
    r = cli("upgrade-check", "--repo", str(repo.path), "--from", "v1", "--to", "HEAD",
            "--build-old", str(old), "--build-new", str(new),
            "--base-tests", "test_mylib,test_pkg", "--format", "json", *extra)  # fmt: skip
    assert "Traceback" not in r.err, r.err
    return r.code, json.loads(r.out)


def test_skipped_missing_and_unimportable_on_new(cli: Cli, repo: GitRepo, tmp_path: Path) -> None:
    old = _build(tmp_path / "old", OLD_MYLIB)
    new = _build(tmp_path / "new", NEW_MYLIB)
    code, data = _check(cli, repo, old, new)
    assert code == 1
    changes = {
        f["subject"]: f["detail"] for f in data["findings"] if f["kind"] == "behaviour-change"
    }
    assert "is skipped" in changes["test.test_mylib.T.test_switched_off"]
    assert "is missing" in changes["test.test_mylib.X.test_x"]
    assert "is missing" in changes["test.test_pkg.test_sub.S.test_s"]
    [failed_load] = [s for s in changes if s.startswith("unittest.loader._FailedTest")]
    assert "fails to load" in changes[failed_load] and "test_sub" in failed_load
    assert "test.test_mylib.T.test_ok" not in changes  # passes on both
    # no shared libpython, no abidiff dump: the ABI is a finding, not a silent skip
    [abi] = [f for f in data["findings"] if f["kind"] == "abi"]
    assert abi["subject"] == "not compared" and "could not be compared" in abi["detail"]
    assert {c["name"]: c["status"] for c in data["checks"]}["abi-dump"] == "failed"


def test_same_interpreter_twice_has_no_behaviour_change(
    cli: Cli, repo: GitRepo, tmp_path: Path
) -> None:
    old = _build(tmp_path / "old", OLD_MYLIB)
    new = _build(tmp_path / "new", OLD_MYLIB)
    code, data = _check(cli, repo, old, new)
    assert [f["kind"] for f in data["findings"]] == ["abi"]  # only the uncompared ABI
    waiver = tmp_path / "w.toml"
    waiver.write_text('[[waiver]]\nkind = "abi"\nsubject = "not compared"\nreason = "no lib"\n')
    code, data = _check(cli, repo, old, new, "--waivers", str(waiver))
    assert code == 0 and data["result"] == "clean"


def test_a_runner_failure_keeps_the_report(cli: Cli, repo: GitRepo, tmp_path: Path) -> None:
    """The new interpreter dies: the check does not throw part 1 away, it reports what ran
    and records the failure as a finding (exit 1), and --output is still written."""
    old = _build(tmp_path / "old", OLD_MYLIB)
    new = _build(tmp_path / "new", NEW_MYLIB, runner="echo 'Fatal Python error' >&2; exit 134")
    out = tmp_path / "report.json"
    code, data = _check(cli, repo, old, new, "--output", str(out))
    assert code == 1
    [failed] = [f for f in data["findings"] if f["kind"] == "check-failed"]
    assert failed["subject"] == "old-tests" and "exit 134" in failed["detail"]
    assert "Fatal Python error" in failed["detail"]
    checks = {c["name"]: c["status"] for c in data["checks"]}
    assert checks["changed-tests"] == "ran" and checks["old-tests"] == "failed"
    assert json.loads(out.read_text())["findings"] == data["findings"]
    # the committed waivers file can never waive a check that did not run
    repo.commit(
        {"Misc/upgrade-waivers.toml": '[[waiver]]\nkind = "check-failed"\n'
         'commit = "0000000"\nreason = "r"\n'},
        "waive it",
    )  # fmt: skip
    r = cli("upgrade-check", "--repo", str(repo.path), "--from", "v1", "--to", "HEAD",
            "--build-old", str(old), "--build-new", str(new))  # fmt: skip
    assert r.code == 2 and "only the release manager's --waivers" in r.err


def test_per_interpreter_timeout_fits_the_job() -> None:
    """Both interpreters' budgets together stay inside the upgrade-safety job's timeout."""
    import yaml

    from cpython_release.upgrade import old_tests

    root = Path(__file__).resolve().parents[2]
    wf = yaml.safe_load((root / ".github/workflows/release.yml").read_text())
    job_minutes = wf["jobs"]["upgrade-safety"]["timeout-minutes"]
    # at most half the job: the two builds before the check need the rest
    assert job_minutes * 60 / 2 >= 2 * old_tests.TIMEOUT, (old_tests.TIMEOUT, job_minutes)
