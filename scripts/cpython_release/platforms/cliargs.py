"""Arguments and helpers shared by the ``windows``, ``macos`` and ``mobile`` commands."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cpython_release.commands.common import (
    Subparsers,
    add_nightly,
    add_version,
    parse_version,
    print_json,
)
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.ghactions import write_summary
from cpython_release.output import annotate
from cpython_release.platforms.checkout import verify_tag
from cpython_release.platforms.fragment import release_info, write_fragment
from cpython_release.platforms.runner import CommandRunner, RecordingRunner, SubprocessRunner


def add_dry_run(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dry-run", action="store_true", help="print the commands instead of running them"
    )


def make_runner(args: argparse.Namespace) -> CommandRunner:
    if getattr(args, "dry_run", False):
        return RecordingRunner(echo=sys.stdout)
    return SubprocessRunner()


def add_check_tag(msub: Subparsers, platform: str) -> None:
    p = msub.add_parser(
        "check-tag",
        help="check the checkout is the tagged release commit",
        description=f"Before a {platform} build: check that tag v<VERSION> and HEAD of the "
        "CPython checkout are both COMMIT (fetching the tag if the checkout lacks it).",
    )
    add_version(p)
    p.add_argument("--source", type=Path, required=True, help="the CPython checkout")
    add_nightly(p)
    p.add_argument("--commit", required=True)
    add_dry_run(p)
    p.set_defaults(func=run_check_tag)


def run_check_tag(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    commit = verify_tag(make_runner(args), args.source, version, args.commit)
    print(f"ok: {version.tag or 'the nightly commit'} is {commit}")
    return 0


def add_fragment(msub: Subparsers, platform: str) -> None:
    p = msub.add_parser(
        "fragment",
        help=f"write the manifest fragment for {platform} artifacts",
        description="Hash every file below DIST (python.org names only; Windows MSI parts in "
        "their <arch><pre>/ subdirectory) and write a manifest fragment. F.spdx.json next to "
        "F becomes F's SBOM.",
    )
    add_version(p)
    p.add_argument("dist", type=Path, metavar="DIST", help="the directory holding the built files")
    add_nightly(p)
    p.add_argument("--commit", required=True)
    p.add_argument("--repository", required=True, help="OWNER/REPO the commit comes from")
    add_created(p)
    p.add_argument("--producer", required=True, help="the job that built the files")
    p.add_argument("-o", "--output", type=Path, required=True)
    p.set_defaults(func=run_fragment)


def run_fragment(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    release = release_info(version, args.commit, args.repository, resolve_created(args))
    fragment = write_fragment(version, release, args.dist, args.producer, args.output)
    print_json({"fragment": str(args.output), "artifacts": fragment.names()})
    return 0


def add_created(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument(
        "--created",
        type=int,
        metavar="UNIX_TIME",
        help="the commit time (git log -1 --format=%%ct)",
    )
    g.add_argument(
        "--created-from",
        type=Path,
        metavar="CHECKOUT",
        help="read the commit time from this git checkout's HEAD",
    )


def resolve_created(args: argparse.Namespace) -> int:
    if args.created is not None:
        return int(args.created)
    return commit_time(SubprocessRunner(), args.created_from)


def commit_time(runner: CommandRunner, checkout: Path) -> int:
    out = runner.run(
        ["git", "log", "-1", "--format=%ct", "HEAD"], cwd=checkout, capture=True
    ).stdout.strip()
    if not out.isdigit():
        raise BadInput(f"cannot read the commit time of {checkout}: {out!r}")
    return int(out)


def announce(message: str) -> None:
    """A line for the log and the step summary (warnings get an Actions annotation)."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        annotate("warning", message)
    else:
        print(f"warning: {message}", file=sys.stderr)
    write_summary(f"> [!WARNING]\n> {message}\n")


def add_require_signed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--require-signed",
        action="store_true",
        help="fail instead of producing unsigned installers (release mode, unless "
        "the release allows unsigned installers)",
    )


def refuse_unsigned(args: argparse.Namespace, what: str, missing: str, how: str = "signed") -> None:
    """With --require-signed, no signing secrets is a failure (exit 1) before anything runs."""
    if getattr(args, "require_signed", False):
        raise CheckFailed(
            f"{what} would not be {how}, and this release requires signed installers",
            [
                f"set {missing} in the installer-signing environment",
                "or let the release through unsigned with the allow-unsigned-installers input "
                "(the run summary then says so)",
            ],
        )
