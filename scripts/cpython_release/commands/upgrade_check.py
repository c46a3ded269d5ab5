"""``cpython-release upgrade-check``: can 3.Y.z users upgrade to this release safely?"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_version,
    check_github_output,
    print_json,
)
from cpython_release.errors import EXIT_CHECK_FAILED, BadInput
from cpython_release.ghactions import set_outputs, write_summary
from cpython_release.output import annotate, plural
from cpython_release.source.testing import DEFAULT_TESTS

if TYPE_CHECKING:
    from cpython_release.upgrade.report import Report

#: ``--from auto`` (the same word as cpython_release.upgrade.check.AUTO, kept here so the
#: parser does not import the check).
AUTO = "auto"


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "upgrade-check",
        help="report what could break users upgrading from the previous release",
        description="Between the previous release's tag and the release commit (--from must be "
        "a strict ancestor of --to): commits, merges included, that change existing tests under "
        "Lib/test (lines modified, deleted, or added inside an existing test or its decorators; "
        "new tests never count), Misc/stable_abi.toml entries lost or changed, changes to "
        "Misc/upgrade-waivers.toml, and, with both build directories, the previous release's "
        "tests run under the old and the new interpreter (a test that passes on the old and "
        "fails, is skipped, is missing or cannot be imported on the new is a behaviour change) "
        "and the exported ABI. Waivers come from Misc/upgrade-waivers.toml in the release "
        "commit and --waivers. --from auto picks the previous release itself: the highest "
        "final vX.Y.Z tag of VERSION's X.Y below VERSION reachable from --to (none: skipped "
        "with the reason for X.Y.0 and in rehearsal mode, bad input in release mode).",
        epilog="Exit status: 0 clean (every finding waived) or skipped, 1 unwaived findings, "
        "2 bad input.",
    )
    add_version(
        p,
        help="the release version (default: PY_VERSION in Include/patchlevel.h at --to, "
        "which must agree); --from auto finds the release before it",
        required=False,
    )
    p.add_argument("--repo", required=True, type=Path, metavar="PATH", help="CPython git clone")
    p.add_argument(
        "--from",
        dest="base",
        required=True,
        metavar="TAG",
        help=f"the previous release's tag, or '{AUTO}': the previous final release of the "
        "branch before --to",
    )
    p.add_argument("--to", dest="head", required=True, metavar="REF", help="the release commit")
    p.add_argument(
        "--build-old",
        type=Path,
        metavar="DIR",
        help="the previous release built (a directory holding python or bin/python3)",
    )
    p.add_argument("--build-new", type=Path, metavar="DIR", help="the new release built")
    p.add_argument(
        "--mode",
        choices=("release", "rehearsal"),
        default="release",
        help=f"with --from {AUTO}: in release mode (default) no previous release of an X.Y.Z "
        "with Z > 0 is bad input (exit 2); in rehearsal mode the check is skipped",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check the inputs, resolve the range and say what would be compared; run no "
        "check (--output then holds the report marked incomplete)",
    )
    add_format(p, github=True, what="the report")
    p.add_argument(
        "--waivers",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="more waivers ([[waiver]] TOML, as in Misc/upgrade-waivers.toml); repeatable",
    )
    p.add_argument(
        "--base-tests",
        default=",".join(DEFAULT_TESTS),
        metavar="NAMES",
        help="comma-separated test modules always run under both interpreters "
        "(default: the test-source job's set)",
    )
    p.add_argument(
        "--canaries",
        type=Path,
        metavar="FILE",
        help="third-party packages to install and test under both builds (TOML naming a "
        "cache directory of sdists and wheels; works offline)",
    )
    p.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="also write the JSON report to FILE; it is written marked incomplete before the "
        "check starts and replaced when it ends, so a check cut short says so",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cpython_release.upgrade.check import Options, prepare, run_check
    from cpython_release.upgrade.report import SKIPPED

    check_github_output(args.format)
    base_tests = [t.strip() for t in args.base_tests.split(",") if t.strip()]
    for name in base_tests:
        if not name.replace("_", "").replace(".", "").isalnum():
            raise BadInput(f"--base-tests: not a test module name: {name!r}")
    for opt, d in (("--build-old", args.build_old), ("--build-new", args.build_new)):
        if d is not None and not d.is_dir():
            raise BadInput(f"{opt} {d}: not a directory")
    opts = Options(
        repo=args.repo,
        base=args.base,
        head=args.head,
        build_old=args.build_old,
        build_new=args.build_new,
        waiver_files=args.waivers,
        base_tests=base_tests,
        canaries=args.canaries,
        version=args.version,
        release_mode=args.mode == "release",
    )
    report = prepare(opts)
    _write_output(args.output, report)  # INCOMPLETE until the check ends; or SKIPPED
    if report.status == SKIPPED:
        _show(args.format, report)
        write_summary(report.markdown())
        return 0
    if args.dry_run:
        _show(args.format, report, dry_run=True)
        return 0
    report = run_check(opts, report)
    _write_output(args.output, report)
    _show(args.format, report)
    write_summary(report.markdown())
    if report.unwaived:
        # findings are the check's answer, not an error of the tool: say so plainly
        message = f"upgrade check: {plural(len(report.unwaived), 'unwaived finding')}"
        print(f"{message} (the report above says how to waive each)", file=sys.stderr)
        annotate("error", message, title="upgrade-check")
        return EXIT_CHECK_FAILED
    return 0


def _write_output(path: Path | None, report: Report) -> None:
    if path is None:
        return
    try:
        path.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise BadInput(f"--output {path}: {exc.strerror}") from exc


def _show(fmt: str, report: Report, *, dry_run: bool = False) -> None:
    """The report on stdout (JSON or text); ``github`` also sets the step outputs: ``from``
    (empty when skipped), ``from-version``, ``from-commit``, ``to-commit``, ``result`` and
    ``reason``."""
    data = report.to_dict()
    if fmt == "json":
        print_json(data)
    elif dry_run:
        print(_dry_run_text(report), end="")
    else:
        print(report.text(), end="")
    if fmt == "github":
        set_outputs(
            {
                "from": report.base or "",
                "from-version": report.base_version or "",
                "from-commit": report.base_commit or "",
                "to-commit": report.head_commit,
                "result": "not run" if dry_run else report.result,
                "reason": report.reason,
            }
        )


def _dry_run_text(report: Report) -> str:
    base_commit = (report.base_commit or "")[:12]
    lines = [
        f"upgrade check {report.base} ({report.base_version or 'version unknown'}, "
        f"{base_commit}) -> {report.head} ({report.release or 'version unknown'}, "
        f"{report.head_commit[:12]}): not run (--dry-run)"
    ]
    lines += [f"  notice: {n}" for n in report.notices]
    return "\n".join(lines) + "\n"
