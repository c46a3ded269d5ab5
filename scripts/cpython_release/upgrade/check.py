"""Run the upgrade check's parts in order and gather one report."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.upgrade.changed_tests import changed_tests
from cpython_release.upgrade.findings import Finding, Waiver, apply_waivers, parse_waivers
from cpython_release.upgrade.gitrepo import Repo
from cpython_release.upgrade.previous import find_previous
from cpython_release.upgrade.report import INCOMPLETE, SKIPPED, Check, Report
from cpython_release.upgrade.stable_abi import stable_abi
from cpython_release.version import ReleaseVersion

#: The waivers file the release commit may carry.
WAIVERS_FILE = "Misc/upgrade-waivers.toml"


#: ``--from auto``: the previous release of the branch (:mod:`cpython_release.upgrade.previous`).
AUTO = "auto"


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
    #: The release version (VERSION); None: PY_VERSION at --to. ``--from auto`` needs one.
    version: str | None = None
    #: ``--from auto`` finding no previous release of an X.Y.Z with Z > 0: bad input in
    #: release mode, a skip in rehearsal mode.
    release_mode: bool = True


def _timed(report: Report, name: str, status: str, note: str, start: float) -> None:
    report.checks.append(Check(name, status, note, time.monotonic() - start))


def prepare(opts: Options) -> Report:
    """Check every input and resolve the range before anything runs: a report that is
    INCOMPLETE (ready to run; written to ``--output`` first, so a check cut short leaves a
    report saying so) or SKIPPED (``--from auto`` found nothing to compare)."""
    repo = Repo(opts.repo)
    head_commit = repo.commit_of(opts.head, "--to")
    release = release_version(repo, head_commit)
    version = check_version(opts.version, release, opts.head)
    check_builds(opts)
    if opts.canaries is not None:  # a bad list is bad input before anything runs
        from cpython_release.upgrade.canaries import load

        load(opts.canaries)
    waivers = load_waivers(repo, head_commit, opts.waiver_files, release)
    notices: list[str] = []
    if opts.base == AUTO:
        if version is None:
            raise BadInput(
                f"--from auto needs the release version: give VERSION (--to {opts.head} "
                "has no PY_VERSION in Include/patchlevel.h)"
            )
        prev = find_previous(
            repo, head_commit, version, release_mode=opts.release_mode, head=opts.head
        )
        if prev.tag is None or prev.commit is None:
            return Report(
                None,
                opts.head,
                None,
                head_commit,
                waivers=waivers,
                release=release,
                status=SKIPPED,
                reason=prev.reason,
            )
        base, base_commit, base_version = prev.tag, prev.commit, prev.version
        notices += [prev.notice] if prev.notice else []
    else:
        base, base_commit = opts.base, repo.commit_of(opts.base, "--from")
        base_version = release_version(repo, base_commit)
    check_range(repo, opts, base, base_commit, head_commit)
    notices += check_build_versions(opts, base, base_version, release)
    report = Report(
        base,
        opts.head,
        base_commit,
        head_commit,
        waivers=waivers,
        release=release,
        base_version=base_version,
        status=INCOMPLETE,
    )
    report.notices += notices + uncommitted_waivers(repo, head_commit)
    return report


def run_check(opts: Options, prepared: Report | None = None) -> Report:
    """The check, on the report :func:`prepare` made (made here when not given)."""
    started = time.monotonic()
    report = prepared or prepare(opts)
    if report.status == SKIPPED:
        return report
    assert report.base_commit is not None
    repo = Repo(opts.repo)
    base_commit, head_commit = report.base_commit, report.head_commit
    report.status = ""  # running: the result is the findings'

    report.findings += waivers_changed(repo, base_commit, head_commit)

    t = time.monotonic()
    tests = changed_tests(repo, base_commit, head_commit)
    report.findings += tests
    _timed(report, "changed-tests", "ran", f"{len(tests)} commit(s) changed existing tests", t)

    t = time.monotonic()
    abi_findings, note = stable_abi(repo, base_commit, head_commit)
    report.findings += abi_findings
    _timed(report, "stable-abi-manifest", "ran", note, t)

    if opts.build_old is None or opts.build_new is None:
        why = "no build directories given"
        for name in ("old-tests", "abi-dump", "canaries"):
            report.checks.append(
                Check(name, "skipped", f"{why}: needs --build-old and --build-new")
            )
        report.notices.append(
            f"{why}: only the changed-tests report and the stable ABI manifest ran"
        )
    else:
        _run_build_parts(report, repo, opts, tests)

    report.unused_waivers = apply_waivers(report.findings, report.waivers)
    report.seconds = time.monotonic() - started
    return report


def _run_build_parts(report: Report, repo: Repo, opts: Options, part1: list[Finding]) -> None:
    from cpython_release.upgrade.abi import abi_check
    from cpython_release.upgrade.interpreters import find_python
    from cpython_release.upgrade.old_tests import old_tests

    assert opts.build_old is not None and opts.build_new is not None
    assert report.base_commit is not None
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
    status = "failed" if any(f.kind == "check-failed" for f in found) else "ran"
    _timed(report, "old-tests", status, note, t)

    t = time.monotonic()
    status, found, note = abi_check(
        repo, report.base_commit, report.head_commit, opts.build_old, opts.build_new
    )
    report.findings += found
    if status != "ran":
        report.notices.append(f"exported ABI not compared: {note}")
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
    status = "failed" if any(f.kind == "check-failed" for f in found) else "ran"
    _timed(report, "canaries", status, note, t)


def check_range(repo: Repo, opts: Options, base: str, base_commit: str, head_commit: str) -> None:
    """``--from`` must be a strict ancestor of ``--to``: a reversed, empty or unrelated range
    would otherwise come out clean."""
    if base_commit == head_commit:
        raise BadInput(f"--from {base} and --to {opts.head} are the same commit: nothing to check")
    if not repo.is_ancestor(base_commit, head_commit):
        raise BadInput(
            f"--from {base} is not an ancestor of --to {opts.head}: reversed or unrelated range"
        )


def check_version(text: str | None, release: str | None, head: str) -> ReleaseVersion | None:
    """VERSION (else PY_VERSION at ``--to``) as a release version; a VERSION that ``--to``'s
    ``Include/patchlevel.h`` contradicts is bad input (the wrong commit)."""
    if text is None:
        if release is None:
            return None
        try:
            return ReleaseVersion.parse(release)
        except BadInput:
            return None  # not a release's version: --from auto says VERSION is needed
    version = ReleaseVersion.parse(text)
    if release is not None and release != str(version):
        raise BadInput(
            f"VERSION {version} does not match --to {head}: its Include/patchlevel.h says {release}"
        )
    return version


def check_build_versions(
    opts: Options, base: str, base_version: str | None, release: str | None
) -> list[str]:
    """Each build directory's version (its ``patchlevel.h``) against its side of the range:
    swapped or stale builds are bad input. A build without ``patchlevel.h`` (a bare
    launcher) cannot be told apart: a notice says it was not checked."""
    notices = []
    sides = (
        ("--build-old", opts.build_old, f"--from {base}", base_version, release),
        ("--build-new", opts.build_new, f"--to {opts.head}", release, base_version),
    )
    for option, build, side, expected, other in sides:
        if build is None or expected is None:
            continue
        built = built_version(build)
        if built is None:
            notices.append(
                f"{option} {build}: no patchlevel.h (Include/ or include/python*/), so its "
                f"version was not checked against {side} ({expected})"
            )
        elif built != expected:
            hint = " (--build-old and --build-new swapped?)" if built == other else ""
            raise BadInput(
                f"{option} {build} is Python {built} (its patchlevel.h), but {side} is "
                f"{expected}: the wrong build{hint}"
            )
    return notices


def built_version(build: Path) -> str | None:
    """PY_VERSION of a build tree (``Include/patchlevel.h``) or an install prefix
    (``include/pythonX.Y/patchlevel.h``, ``make install``'s headers), without a ``+``."""
    found = [
        build / "Include" / "patchlevel.h",
        *sorted(build.glob("include/python*/patchlevel.h")),
    ]
    for path in found:
        try:
            m = _PY_VERSION.search(path.read_bytes())
        except OSError:
            continue
        if m:
            return m.group(1).decode("ascii", "replace").rstrip("+")
    return None


def check_builds(opts: Options) -> None:
    """Both build directories or neither, and two different ones."""
    if (opts.build_old is None) != (opts.build_new is None):
        given = "--build-old" if opts.build_old is not None else "--build-new"
        raise BadInput(f"{given} without the other: give --build-old and --build-new together")
    if (
        opts.build_old is not None
        and opts.build_new is not None
        and Path(opts.build_old).resolve() == Path(opts.build_new).resolve()
    ):
        raise BadInput(f"--build-old and --build-new are the same directory ({opts.build_old})")


_PY_VERSION = re.compile(rb'#define\s+PY_VERSION\s+"([^"]+)"')


def release_version(repo: Repo, commit: str) -> str | None:
    """``PY_VERSION`` of ``commit`` (``Include/patchlevel.h``) without a trailing ``+``."""
    m = _PY_VERSION.search(repo.show(commit, "Include/patchlevel.h") or b"")
    return m.group(1).decode("ascii", "replace").rstrip("+") if m else None


def waivers_changed(repo: Repo, base_commit: str, head_commit: str) -> list[Finding]:
    """A finding for every commit of the range that touches the committed waivers file: a
    backport must not waive its own finding. Only a ``--waivers`` file (the workflow input,
    the release manager's decision at dispatch) can waive these."""
    from cpython_release.upgrade.changed_tests import commit_infos

    infos = commit_infos(repo, f"{base_commit}..{head_commit}")
    shas = [sha for sha, info in infos.items() if WAIVERS_FILE in info.files]
    out = []
    for sha in shas:
        info = infos[sha]
        subject = info.subject
        out.append(
            Finding(
                kind="waivers-changed",
                commit=sha,
                gh_issue=info.gh_issue,
                detail=f"{subject} — changes {WAIVERS_FILE} within the range; only the "
                "release manager's waivers (--waivers, the workflow input) can waive this",
                subject=WAIVERS_FILE,
                score=1,
            )
        )
    return out


def load_waivers(
    repo: Repo, head_commit: str, files: Sequence[Path], release: str | None = None
) -> list[Waiver]:
    waivers: list[Waiver] = []
    committed = repo.show(head_commit, WAIVERS_FILE)
    if committed is not None:
        try:
            text = committed.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"{WAIVERS_FILE} at --to: not UTF-8 ({exc.reason})") from exc
        waivers += parse_waivers(text, WAIVERS_FILE, committed=True, release=release)
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--waivers {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise BadInput(f"--waivers {path}: not UTF-8 ({exc.reason})") from exc
        waivers += parse_waivers(text, str(path), release=release)
    return waivers


def uncommitted_waivers(repo: Repo, head_commit: str) -> list[str]:
    """A notice when the working tree's waivers file is not the one committed at ``--to``:
    only the committed file counts (what the release carries), never a local edit."""
    local = repo.path / WAIVERS_FILE
    if not local.is_file():
        return []
    committed = repo.show(head_commit, WAIVERS_FILE)
    try:
        same = committed is not None and local.read_bytes() == committed
    except OSError:
        same = False
    if same:
        return []
    state = "differs from the one committed at --to" if committed else "is not committed at --to"
    return [
        f"{WAIVERS_FILE} in the working tree {state}: it is ignored; commit it to the release "
        "or pass it with --waivers"
    ]
