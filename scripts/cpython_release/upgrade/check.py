"""Run the upgrade check's parts in order and gather one report."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cpython_release.upgrade.changed_tests import changed_tests
from cpython_release.upgrade.findings import Finding, Waiver, apply_waivers, parse_waivers
from cpython_release.upgrade.gitrepo import Repo
from cpython_release.upgrade.report import Check, Report
from cpython_release.upgrade.stable_abi import stable_abi

#: The waivers file the release commit may carry.
WAIVERS_FILE = "Misc/upgrade-waivers.toml"


@dataclass(frozen=True)
class Options:
    repo: Path
    base: str
    head: str
    build_old: Path | None = None
    build_new: Path | None = None
    waiver_files: Sequence[Path] = ()
    base_tests: Sequence[str] = ()
    canaries: Path | None = None


def _timed(report: Report, name: str, status: str, note: str, start: float) -> None:
    report.checks.append(Check(name, status, note, time.monotonic() - start))


def run_check(opts: Options) -> Report:
    started = time.monotonic()
    repo = Repo(opts.repo)
    base_commit = repo.commit_of(opts.base, "--from")
    head_commit = repo.commit_of(opts.head, "--to")
    waivers = load_waivers(repo, head_commit, opts.waiver_files)
    report = Report(opts.base, opts.head, base_commit, head_commit, waivers=waivers)

    t = time.monotonic()
    tests = changed_tests(repo, base_commit, head_commit)
    report.findings += tests
    _timed(report, "changed-tests", "ran", f"{len(tests)} commit(s) changed existing tests", t)

    t = time.monotonic()
    abi_findings, note = stable_abi(repo, base_commit, head_commit)
    report.findings += abi_findings
    _timed(report, "stable-abi-manifest", "ran", note, t)

    if opts.build_old is None or opts.build_new is None:
        given = opts.build_old or opts.build_new
        why = "only one build directory given" if given else "no build directories given"
        for name in ("old-tests", "abi-dump", "canaries"):
            report.checks.append(
                Check(name, "skipped", f"{why}: needs --build-old and --build-new")
            )
        report.notices.append(
            f"{why}: only the changed-tests report and the stable ABI manifest ran"
        )
    else:
        _run_build_parts(report, repo, opts, tests)

    report.unused_waivers = apply_waivers(report.findings, waivers)
    report.seconds = time.monotonic() - started
    return report


def _run_build_parts(report: Report, repo: Repo, opts: Options, part1: list[Finding]) -> None:
    from cpython_release.upgrade.abi import abi_check
    from cpython_release.upgrade.interpreters import find_python
    from cpython_release.upgrade.old_tests import old_tests

    assert opts.build_old is not None and opts.build_new is not None
    old_python = find_python(opts.build_old, "--build-old")
    new_python = find_python(opts.build_new, "--build-new")

    t = time.monotonic()
    found, note, notices = old_tests(
        repo,
        report.base_commit,
        report.head_commit,
        old_python,
        new_python,
        part1,
        list(opts.base_tests),
    )
    report.findings += found
    report.notices += notices
    _timed(report, "old-tests", "ran", note, t)

    t = time.monotonic()
    status, found, note = abi_check(
        repo, report.base_commit, report.head_commit, opts.build_old, opts.build_new
    )
    report.findings += found
    if status == "skipped":
        report.notices.append(f"exported ABI not checked: {note}")
    _timed(report, "abi-dump", status, note, t)

    if opts.canaries is None:
        report.checks.append(Check("canaries", "skipped", "no canary list (--canaries FILE)"))
        return
    import tempfile

    from cpython_release.upgrade.canaries import canaries

    t = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="upgrade-canaries-") as tmp:
        found, note = canaries(opts.canaries, old_python, new_python, Path(tmp), report.head_commit)
    report.findings += found
    _timed(report, "canaries", "ran", note, t)


def load_waivers(repo: Repo, head_commit: str, files: Sequence[Path]) -> list[Waiver]:
    from cpython_release.errors import BadInput

    waivers: list[Waiver] = []
    committed = repo.show(head_commit, WAIVERS_FILE)
    if committed is not None:
        waivers += parse_waivers(committed.decode("utf-8", errors="replace"), WAIVERS_FILE)
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--waivers {path}: {exc.strerror}") from exc
        waivers += parse_waivers(text, str(path))
    return waivers
