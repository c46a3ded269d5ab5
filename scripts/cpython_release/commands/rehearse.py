"""``cpython-release rehearse``: the whole Linux path of a release, locally."""

from __future__ import annotations

import argparse
from pathlib import Path

from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_nightly,
    add_release_cycle,
    add_version,
    is_nightly,
    parse_version,
)
from cpython_release.errors import BadInput
from cpython_release.rehearsal.pipeline import DEFAULT_VERSION, PIPES, Rehearsal, run
from cpython_release.version import ReleaseVersion


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "rehearse",
        help="rehearse a release locally (build, sign, publish to a local tree, verify)",
        description="Run plan, build-source, SBOM, checksums, sign (GPG with an ephemeral key; "
        "Sigstore only where an identity exists), publish to a local python.org-shaped tree, "
        "and verify it, printing the timeline (WORKDIR/summary.md has it with a Gantt "
        "chart). Without --repo, an embedded CPython-shaped "
        f"repository (version {DEFAULT_VERSION}) is generated: no network, no server.",
    )
    p.add_argument("--repo", type=Path, help="a CPython clone that has tag vVERSION")
    add_version(
        p,
        help=f"release version (default {DEFAULT_VERSION}); with --nightly, the nightly version "
        "(default: from the branch head's patchlevel and today's date)",
        required=False,
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the whole release: prepare (the release commit and a signed tag, in a clone of "
        "its own) -> the pipes below -> finish (post-release branch, PR body, draft "
        "announcement); on the demo repository it releases 3.13.6 from a head one fix past "
        "v3.13.5, with --repo the VERSION after that clone's last tag",
    )
    add_nightly(p)
    p.add_argument(
        "--branch",
        help="with --nightly: the branch whose head is built (default: the checked-out branch; "
        "main in the demo repository)",
    )
    p.add_argument("--commit", help="the commit the tag must point to (default: the tag's)")
    p.add_argument(
        "--repository",
        default="python/cpython",
        help="OWNER/NAME recorded as the source repository",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=Path("rehearsal"),
        help="where everything goes (default ./rehearsal; a previous rehearsal there is replaced)",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=[n for n, _ in PIPES] + ["prepare", "finish"],
        help="skip a pipe (repeatable)",
    )
    add_release_cycle(p)
    add_format(p, what="the timeline (json: the rehearsal record)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.full:
        return _full(args)
    if is_nightly(args):
        # the version follows from the branch head unless given
        version = parse_version(args.version, args) if args.version else None
    else:
        if args.branch:
            raise BadInput("--branch is for --nightly (a release rehearsal builds a tag)")
        if args.repo is not None and args.version is None:
            raise BadInput("--repo needs the VERSION argument (the tag to rehearse)")
        version = parse_version(args.version or DEFAULT_VERSION, args)
    r = Rehearsal(
        workdir=args.workdir.resolve(),
        version=version or ReleaseVersion.parse(DEFAULT_VERSION),
        repo=args.repo,
        commit=args.commit,
        repository=args.repository,
        release_cycle=args.release_cycle,
        nightly=is_nightly(args),
        branch=args.branch,
        version_given=version is not None,
    )
    return run(r, set(args.skip), args.format)


def _full(args: argparse.Namespace) -> int:
    from cpython_release.rehearsal.full import FULL_DEFAULT, FULL_PIPES

    if is_nightly(args):
        raise BadInput("--full rehearses a release: a nightly is neither prepared nor finished")
    if args.branch or args.commit:
        raise BadInput("--full makes its own tag: --branch and --commit do not apply")
    if args.repo is not None and args.version is None:
        raise BadInput(
            "--full --repo needs the VERSION argument (the release after the clone's last tag)"
        )
    r = Rehearsal(
        workdir=args.workdir.resolve(),
        version=parse_version(args.version or FULL_DEFAULT, args),
        repo=args.repo,
        repository=args.repository,
        release_cycle=args.release_cycle,
    )
    return run(r, set(args.skip), args.format, FULL_PIPES)
