"""``cpython-release upgrade-check``: can 3.Y.z users upgrade to this release safely?"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cpython_release.commands.common import Subparsers
from cpython_release.errors import EXIT_CHECK_FAILED, BadInput
from cpython_release.ghactions import write_summary
from cpython_release.output import annotate, plural
from cpython_release.source.testing import DEFAULT_TESTS


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
        "commit and --waivers.",
        epilog="Exit status: 0 clean (every finding waived), 1 unwaived findings, 2 bad input.",
    )
    p.add_argument("--repo", required=True, type=Path, metavar="PATH", help="CPython git clone")
    p.add_argument(
        "--from", dest="base", required=True, metavar="TAG", help="the previous release's tag"
    )
    p.add_argument("--to", dest="head", required=True, metavar="REF", help="the release commit")
    p.add_argument(
        "--build-old",
        type=Path,
        metavar="DIR",
        help="the previous release built (a directory holding python or bin/python3)",
    )
    p.add_argument("--build-new", type=Path, metavar="DIR", help="the new release built")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
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
    p.add_argument("--output", type=Path, metavar="FILE", help="also write the JSON report to FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cpython_release.upgrade.check import Options, run_check

    base_tests = [t.strip() for t in args.base_tests.split(",") if t.strip()]
    for name in base_tests:
        if not name.replace("_", "").replace(".", "").isalnum():
            raise BadInput(f"--base-tests: not a test module name: {name!r}")
    for opt, d in (("--build-old", args.build_old), ("--build-new", args.build_new)):
        if d is not None and not d.is_dir():
            raise BadInput(f"{opt} {d}: not a directory")
    report = run_check(
        Options(
            repo=args.repo,
            base=args.base,
            head=args.head,
            build_old=args.build_old,
            build_new=args.build_new,
            waiver_files=args.waivers,
            base_tests=base_tests,
            canaries=args.canaries,
        )
    )
    data = report.to_dict()
    if args.output:
        try:
            args.output.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise BadInput(f"--output {args.output}: {exc.strerror}") from exc
    if args.format == "json":
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(report.text(), end="")
    write_summary(report.markdown())
    if report.unwaived:
        # findings are the check's answer, not an error of the tool: say so plainly
        message = f"upgrade check: {plural(len(report.unwaived), 'unwaived finding')}"
        print(f"{message} (the report above says how to waive each)", file=sys.stderr)
        annotate("error", message, title="upgrade-check")
        return EXIT_CHECK_FAILED
    return 0
