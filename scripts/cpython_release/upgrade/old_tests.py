"""Part 2: the previous release's tests under the old and the new interpreter.

The previous release's ``Lib/test`` is taken from its tag (``git archive``) and put first on
``sys.path`` under each interpreter, so both run exactly the same test code: the affected
test modules of part 1 plus a base set. A test that passes on the old interpreter and fails
(or errors, or can no longer be imported) on the new one is a behaviour change.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpython_release.upgrade.changed_tests import TEST_DIR
from cpython_release.upgrade.findings import Finding
from cpython_release.upgrade.gitrepo import Repo
from cpython_release.upgrade.interpreters import run_python

#: Seconds each interpreter may take for the whole set: both together stay well inside the
#: upgrade-safety job's timeout, so a hung run ends with a report, not a killed job.
TIMEOUT = 300.0
#: Where unittest puts a module it could not import (a test package's submodule).
FAILED_IMPORT = "unittest.loader._FailedTest"

# Runs under the interpreter being tested (any Python 3), so it uses only unittest and json.
_RUNNER = r"""
import json
import os
import sys
import traceback
import unittest

lib, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path[0:0] = lib.split(os.pathsep)
tests = {}


class Result(unittest.TestResult):
    def _put(self, test, outcome, err=None):
        text = self._exc_info_to_string(err, test) if err else ""
        tests[test.id()] = {"outcome": outcome, "output": text}

    def addSuccess(self, test):
        tests.setdefault(test.id(), {"outcome": "pass", "output": ""})

    def addFailure(self, test, err):
        self._put(test, "fail", err)

    def addError(self, test, err):
        self._put(test, "error", err)

    def addSkip(self, test, reason):
        tests[test.id()] = {"outcome": "skip", "output": str(reason)}

    def addExpectedFailure(self, test, err):
        tests[test.id()] = {"outcome": "pass", "output": "expected failure"}

    def addUnexpectedSuccess(self, test):
        tests[test.id()] = {"outcome": "fail", "output": "unexpected success"}

    def addSubTest(self, test, subtest, err):
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._put(test, "fail" if failed else "error", err)


modules = {}
for name in names:
    try:
        if name.startswith("discover="):  # a test directory (a canary's tests)
            start, _, top = name[len("discover="):].partition(os.pathsep)
            suite = unittest.defaultTestLoader.discover(start, top_level_dir=top or None)
        else:
            __import__(name)
            suite = unittest.defaultTestLoader.loadTestsFromName(name)
    except BaseException:
        modules[name] = {"outcome": "error", "output": traceback.format_exc()}
        continue
    suite.run(Result())
    modules[name] = {"outcome": "ran", "output": ""}
with open(out, "w") as fh:
    json.dump({"version": sys.version, "modules": modules, "tests": tests}, fh)
"""


@dataclass
class Outcome:
    version: str
    modules: dict[str, dict[str, str]]
    tests: dict[str, dict[str, str]]
    error: str = ""


def export_old_tests(repo: Repo, commit: str, dest: Path) -> Path:
    """``Lib/test`` of ``commit`` under ``dest/Lib``; returns ``dest/Lib`` (for sys.path)."""
    data = repo.run("archive", "--format=tar", commit, TEST_DIR)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        tf.extractall(dest, filter="data")
    return dest / "Lib"


def run_tests(python: Path, lib: Path | str, modules: list[str], work: Path, label: str) -> Outcome:
    """Run ``modules`` (names, or ``discover=DIR[:TOP]``) under ``python`` with ``lib`` (one
    directory, or several joined by os.pathsep) first on sys.path."""
    runner = work / "upgrade_runner.py"
    runner.write_text(_RUNNER)
    out = work / f"results-{label}.json"
    proc = run_python(
        python, [str(runner), str(lib), str(out), *modules], cwd=work, timeout=TIMEOUT
    )
    if proc.returncode != 0 or not out.exists():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        return Outcome(
            "", {}, {}, f"the runner failed under {python} (exit {proc.returncode}):\n{tail}"
        )
    data: dict[str, Any] = json.loads(out.read_text())
    return Outcome(data["version"], data["modules"], data["tests"])


def modules_to_run(
    repo: Repo, base_commit: str, affected: list[str], base_set: list[str]
) -> tuple[list[str], list[str]]:
    """(modules that exist in the previous release, modules that do not)."""
    present, absent = [], []
    listing = set(repo.text("ls-tree", "--name-only", f"{base_commit}:{TEST_DIR}").split())
    for mod in dict.fromkeys([*affected, *base_set]):
        name = mod.removeprefix("test.")
        top = name.split(".")[0]
        if f"{top}.py" in listing or top in listing:
            present.append(f"test.{name}")
        else:
            absent.append(f"test.{name}")
    return present, absent


def regressions(old: Outcome, new: Outcome) -> list[tuple[str, str, str]]:
    """(test or module, what happened on the new interpreter, output) for everything that
    worked on the old one and does not on the new: a module that no longer imports; a test
    that passed and now fails, errors, is skipped or is missing; and a module unittest could
    not load on the new side only (``unittest.loader._FailedTest.NAME``, e.g. a test
    package's submodule)."""
    out: list[tuple[str, str, str]] = []
    for mod, res in old.modules.items():
        new_mod = new.modules.get(mod, {"outcome": "error", "output": "not run"})
        if res["outcome"] == "ran" and new_mod["outcome"] != "ran":
            out.append((mod, "can no longer be imported", new_mod["output"]))
    for test_id, res in sorted(old.tests.items()):
        if res["outcome"] != "pass":
            continue
        now = new.tests.get(test_id)
        if now is None:
            out.append((test_id, "is missing (not run)", ""))
        elif now["outcome"] in ("fail", "error"):
            what = "fails" if now["outcome"] == "fail" else "errors"
            out.append((test_id, what, now["output"]))
        elif now["outcome"] == "skip":
            out.append((test_id, "is skipped", now["output"]))
    for test_id, now in sorted(new.tests.items()):
        if (
            test_id.startswith(FAILED_IMPORT + ".")
            and test_id not in old.tests
            and now["outcome"] in ("fail", "error")
        ):
            out.append((test_id, "fails to load", now["output"]))
    return out


def compare(
    old: Outcome, new: Outcome, part1: list[Finding], blame: dict[str, Finding], fallback: str
) -> list[Finding]:
    """A finding per test (or module) that worked on old and does not on new."""

    def owner(test_id: str) -> tuple[str | None, int | None]:
        for f in part1:  # the commit that changed this very test
            if test_id in f.extra.get("affected", []) + f.extra.get("removed_tests", []):
                return f.commit, f.gh_issue
        for mod, f in blame.items():
            if test_id == mod or test_id.startswith(mod + "."):
                return f.commit, f.gh_issue
        return None, None  # no commit of the range touched it: none is to blame

    findings = []
    for subject, what, output in regressions(old, new):
        commit, gh = owner(subject)
        findings.append(_finding(subject, what, output, commit, gh, fallback))
    return findings


def check_failed(part: str, detail: str, commit: str) -> Finding:
    """A part of the check that could not run (a runner failure, a timeout): fail closed."""
    return Finding(
        kind="check-failed", commit=commit, gh_issue=None, detail=detail, subject=part, score=1
    )


def _finding(
    subject: str, what: str, output: str, commit: str | None, gh: int | None, fallback: str
) -> Finding:
    whose = "" if commit else " (no commit in the range changed this test)"
    verb = "passes" if what != "can no longer be imported" else "imports"
    return Finding(
        kind="behaviour-change",
        commit=commit,
        gh_issue=gh,
        detail=f"{subject} {verb} on the previous release and {what} on the new one{whose}",
        subject=subject,
        score=1,
        extra={"output": output.strip()},
    )


def old_tests(
    repo: Repo,
    base_commit: str,
    head_commit: str,
    old_python: Path,
    new_python: Path,
    part1: list[Finding],
    base_set: list[str],
) -> tuple[list[Finding], str, list[str]]:
    """The findings, a one-line note, and notices."""
    from cpython_release.upgrade.changed_tests import affected_modules

    blame: dict[str, Finding] = {}
    for f in part1:
        for mod in affected_modules([f]):
            blame.setdefault(mod, f)
    modules, absent = modules_to_run(repo, base_commit, list(blame), base_set)
    notices = [f"{m}: not in the previous release, not run" for m in absent]
    if not modules:
        return [], "no test module to run", notices
    with tempfile.TemporaryDirectory(prefix="upgrade-old-tests-") as tmp:
        work = Path(tmp)
        lib = export_old_tests(repo, base_commit, work / "old")
        old = run_tests(old_python, lib, modules, work, "old")
        new = run_tests(new_python, lib, modules, work, "new")
    for o in (old, new):  # tracebacks name the previous release's file, not a temporary one
        for entry in [*o.tests.values(), *o.modules.values()]:
            entry["output"] = entry["output"].replace(str(lib), "<previous release>/Lib")
    failed = [
        check_failed("old-tests", f"the previous release's tests under the {which} "
                     f"interpreter did not complete: {o.error}", head_commit)
        for o, which in ((old, "old"), (new, "new"))
        if o.error
    ]  # fmt: skip
    if failed:  # the report still goes out, with what could not run
        return failed, f"FAILED: {len(modules)} module(s) did not complete", notices
    findings = compare(old, new, part1, blame, head_commit)
    passed = sum(1 for r in old.tests.values() if r["outcome"] == "pass")
    shown = ", ".join(modules[:4]) + (f" and {len(modules) - 4} more" if len(modules) > 4 else "")
    note = (
        f"{len(modules)} module(s) of the previous release ({shown}): "
        f"{passed} test(s) pass on the old interpreter, {len(findings)} fail on the new"
    )
    gaps, gap_notices = baseline_gaps(old, part1, blame)
    return findings + gaps, note, notices + gap_notices


def _is_test_name(name: str) -> bool:
    return " " not in name and name.rsplit(".", 1)[-1].startswith("test")


def baseline_gaps(
    old: Outcome, part1: list[Finding], blame: dict[str, Finding]
) -> tuple[list[Finding], list[str]]:
    """The old side: what the previous release's own interpreter could not run, so nothing
    was compared there. A module part 1 changed that does not import, or a changed or removed
    test that fails or errors there, is a ``no-baseline`` finding (fail closed: it blocks
    until fixed or waived). A base-set module that does not import and other tests that fail
    there are notices."""
    findings: list[Finding] = []
    notices: list[str] = []
    ran = {m for m, r in old.modules.items() if r["outcome"] == "ran"}
    for mod, res in old.modules.items():
        if mod in ran:
            continue
        blamed = blame.get(mod)
        if blamed is None:
            notices.append(f"{mod} does not import on the previous release's own interpreter: "
                           "its tests were not compared")  # fmt: skip
            continue
        findings.append(
            _no_baseline(mod, "does not import", res["output"], blamed, "its changed tests")
        )
    flagged: set[str] = set()
    for f in part1:
        for name in [*f.extra.get("affected", []), *f.extra.get("removed_tests", [])]:
            if not _is_test_name(name) or name in flagged:
                continue
            if not any(name.startswith(mod + ".") for mod in ran):
                continue  # its module did not import (above) or was not run
            got = [r for t, r in old.tests.items() if t == name or t.startswith(name + ".")]
            bad = [r for r in got if r["outcome"] in ("fail", "error")]
            if bad and not any(r["outcome"] == "pass" for r in got):
                flagged.add(name)
                what = "fails" if bad[0]["outcome"] == "fail" else "errors"
                findings.append(_no_baseline(name, what, bad[0]["output"], f, "the change to it"))
    others = sorted(
        t
        for t, r in old.tests.items()
        if r["outcome"] in ("fail", "error") and not any(t.startswith(n) for n in flagged)
    )
    if others:
        notices.append(
            f"{len(others)} test(s) fail on the previous release's own interpreter and were "
            f"not compared: {', '.join(others[:3])}" + (" ..." if len(others) > 3 else "")
        )
    return findings, notices


def _no_baseline(subject: str, what: str, output: str, blamed: Finding, which: str) -> Finding:
    return Finding(
        kind="no-baseline",
        commit=blamed.commit,
        gh_issue=blamed.gh_issue,
        detail=f"{subject} {what} on the previous release's own interpreter: {which} could "
        "not be compared with the new one",
        subject=subject,
        score=1,
        extra={"output": output.strip()},
    )
