"""``cpython-release prepare VERSION --repo PATH [--push]``: the release commit and tag.

Exit status: 0 tagged; 1 a check failed (open release blockers, a changed magic number, a
step such as blurb failed: the clone is put back); 2 bad input (not the branch's next
version, a dirty tree, no news entries, an existing tag, a wrong branch), nothing changed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cpython_release.blockers import CPYTHON, check_repository
from cpython_release.commands.common import (
    Subparsers,
    add_github_api,
    add_release_cycle,
    parse_version,
)
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.ghactions import in_actions, set_outputs, write_summary
from cpython_release.prepare.dispatch import (
    RELEASE_WORKFLOW,
    dispatch,
    parse_inputs,
    release_dispatch,
)
from cpython_release.prepare.run import github_blockers, prepare, report_blockers
from cpython_release.sign.gpg import KEY_ENV, GpgKey


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "prepare",
        help="make the release commit and the annotated tag vVERSION in a CPython clone",
        description="Check the clone (branch X.Y, or main for alphas and b1; VERSION is the "
        "branch's next; clean tree; news entries in Misc/NEWS.d/next; no tag vVERSION yet; "
        "the magic number unchanged in the bugfix and security phases; no open release "
        "blockers), then make one commit (blurb release, pydoc topics, patchlevel.h and "
        "README, 'versionadded:: next', configure) and the annotated tag vVERSION, signed "
        f"with ${KEY_ENV} when it is set. Nothing is pushed without --push. With --push, "
        "the pushed tag then starts the release: a workflow_dispatch of --release-workflow "
        "on refs/tags/vVERSION in --repository ($GITHUB_TOKEN with actions: write), with "
        "the inputs version and commit (and each --release-input).",
        epilog="Exit status: 0 tagged, 1 a check failed (the clone is left as it was) or the "
        "release workflow could not be started after the tag was pushed (the tag stays; "
        "the message says how to start it by hand), 2 bad input (nothing changed).",
    )
    p.add_argument("version", metavar="VERSION", help="the release, e.g. 3.11.3 or 3.15.0a2")
    p.add_argument("--repo", type=Path, required=True, help="the CPython clone (its work tree)")
    p.add_argument(
        "--push",
        action="store_true",
        help="push the tag (only the tag) to --remote; needs a signed tag",
    )
    p.add_argument("--remote", default="origin", help="where --push pushes (default origin)")
    p.add_argument(
        "--no-dispatch",
        action="store_true",
        help="with --push, push the tag only: do not start the release workflow on it",
    )
    p.add_argument(
        "--release-workflow",
        default=RELEASE_WORKFLOW,
        metavar="FILE",
        help=f"the workflow --push starts on the tag (default {RELEASE_WORKFLOW})",
    )
    p.add_argument(
        "--release-input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another input of the release workflow, e.g. mode=release or "
        "publish-target=python-org (repeatable; version and commit come from the tag)",
    )
    blockers = p.add_mutually_exclusive_group()
    blockers.add_argument(
        "--blockers-report",
        type=Path,
        metavar="FILE",
        help="read the release blockers from this 'cpython-release blockers --format json' "
        "report instead of the GitHub API",
    )
    blockers.add_argument(
        "--skip-blockers", action="store_true", help="do not look for release blockers"
    )
    p.add_argument(
        "--repository",
        default=CPYTHON,
        metavar="OWNER/NAME",
        help="where release blockers are looked up and, with --push, the release workflow "
        f"is started (default {CPYTHON})",
    )
    add_github_api(p)
    add_release_cycle(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args, exact=True)
    repository = check_repository(args.repository)
    start_release = args.push and not args.no_dispatch
    extra = parse_inputs(args.release_input)
    token = os.environ.get("GITHUB_TOKEN") or None
    if start_release and token is None:
        raise BadInput(
            f"--push starts {args.release_workflow} on the tag: set $GITHUB_TOKEN (a token "
            "with actions: write), or give --no-dispatch"
        )
    if args.skip_blockers:
        source = None
    elif args.blockers_report is not None:
        source = report_blockers(args.blockers_report)
    else:
        source = github_blockers(repository, args.github_api, token)
    result = prepare(
        args.repo,
        version,
        release_cycle=args.release_cycle,
        blockers=source,
        key=GpgKey.from_env(),
        require_signed=args.push,
        push_remote=args.remote if args.push else None,
        # the text report repeats every step: progress on stderr only for --format json
        log=(lambda m: print(m, file=sys.stderr)) if args.format == "json" else (lambda _m: None),
    )
    t = result.tagged
    assert t is not None
    if start_release:
        d = release_dispatch(
            repository, args.release_workflow, t.tag, str(version), t.commit, extra
        )
        try:
            dispatch(d, args.github_api, token)
        except CheckFailed:  # the report of what was done (the tag is pushed) still goes out
            print(result.json() if args.format == "json" else result.text())
            raise
        result.dispatched = f"{d.workflow} on {d.ref}"
        inputs = ", ".join(f"{k}={v}" for k, v in d.inputs.items())
        result.lines.append(f"dispatched {d.workflow} on {d.ref} in {repository} ({inputs})")
    print(result.json() if args.format == "json" else result.text())
    if in_actions():
        set_outputs({"tag": t.tag, "commit": t.commit, "signed-by": t.signed_by})
        write_summary(f"### Prepared {version}\n\n" + "".join(f"- {x}\n" for x in result.lines))
    return 0
