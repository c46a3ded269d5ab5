"""``cpython-release blockers``: stop a release while release blockers are open."""

from __future__ import annotations

import argparse
import json
import os
import sys

import requests

from cpython_release import buildbot
from cpython_release.blockers import (
    CPYTHON,
    DEFERRED_LABEL,
    LABEL,
    BlockerReport,
    check_repository,
    classify,
    fetch_release_blockers,
    github_client,
    github_error,
)
from cpython_release.commands.common import (
    Subparsers,
    add_github_api,
    add_nightly,
    add_version,
    parse_version,
)
from cpython_release.errors import CheckFailed
from cpython_release.ghactions import in_actions, write_summary
from cpython_release.http import session
from cpython_release.output import annotate


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "blockers",
        help="fail while release blockers are open or stable buildbots fail",
        description=f"List open issues and PRs labelled {LABEL!r} that apply to the release's "
        "branch, and (for python/cpython) failing stable buildbots of the branch. "
        "Reads $GITHUB_TOKEN if set.",
        epilog="Exit status: 0 no blockers (or --allow-blockers), 1 blockers found, "
        "1 also when the GitHub or buildbot API could not be reached, 2 bad input or an "
        "API answer that cannot be used.",
    )
    add_version(p)
    p.add_argument(
        "--repository",
        required=True,
        metavar="OWNER/REPO",
        help="repository whose issues are checked, e.g. python/cpython",
    )
    add_nightly(p)
    add_github_api(p)
    p.add_argument(
        "--buildbot-api",
        default=buildbot.DEFAULT_API,
        metavar="URL",
        help=f"buildbot REST API root (default {buildbot.DEFAULT_API})",
    )
    p.add_argument(
        "--allow-blockers",
        action="store_true",
        help="report blockers loudly but exit 0 (an explicit release-manager override)",
    )
    bb = p.add_mutually_exclusive_group()
    bb.add_argument(
        "--skip-buildbot",
        dest="buildbot",
        action="store_false",
        default=None,
        help=f"do not check the buildbots (default unless --repository is {CPYTHON})",
    )
    bb.add_argument(
        "--check-buildbot",
        dest="buildbot",
        action="store_true",
        help=f"check the buildbots even for a repository other than {CPYTHON}",
    )
    p.add_argument(
        "--stale-days",
        type=float,
        default=buildbot.STALE_DAYS,
        help=f"ignore builders whose last build is older than this (default {buildbot.STALE_DAYS})",
    )
    p.add_argument(
        "--retries", type=int, default=3, help="retries for each HTTP request (default 3)"
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a readable list; json: the full report on stdout",
    )
    p.set_defaults(func=run)


def _banner(lines: list[str]) -> str:
    bar = "!" * 72
    return "\n".join([bar, *lines, bar])


def run(args: argparse.Namespace) -> int:
    repository = check_repository(args.repository)
    version = parse_version(args.version, args)
    report = BlockerReport(repository=repository, version=version)

    token = os.environ.get("GITHUB_TOKEN") or None
    gh = github_client(args.github_api, token, retries=args.retries)
    try:
        repo = gh.get_repo(repository)
        report.blocking, report.ignored = classify(fetch_release_blockers(repo), version)
        report.deferred, _ = classify(fetch_release_blockers(repo, DEFERRED_LABEL), version)
    except Exception as exc:
        from github import GithubException

        if isinstance(exc, GithubException) and exc.status == 410:
            # GitHub turns Issues off in a new fork and answers 410 Gone for them
            report.issues_unchecked = (
                f"release blockers not checked: Issues are turned off in {repository} (turn "
                "them on in Settings > General > Features; nightly failure tracking needs them "
                "too)"
            )
        elif isinstance(exc, GithubException | requests.RequestException):
            raise github_error(exc, f"listing {LABEL} issues of {repository}") from exc
        else:
            raise

    check_bb = args.buildbot
    if check_bb is None:
        check_bb = repository.lower() == CPYTHON
        if not check_bb:
            report.buildbot_skipped = (
                f"{repository} is not {CPYTHON} (a rehearsal?); pass --check-buildbot to check"
            )
    elif not check_bb:
        report.buildbot_skipped = "--skip-buildbot given"
    if check_bb:
        client = buildbot.BuildbotClient(
            args.buildbot_api, session(retries=args.retries, backoff=1.0)
        )
        report.buildbot = buildbot.check_branch(client, version.branch, stale_days=args.stale_days)

    problems = report.problems()
    if args.format == "json":
        data = report.to_dict()
        data["overridden"] = bool(problems) and args.allow_blockers
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        _print_text(report)
    if in_actions():
        write_summary(report.markdown(overridden=args.allow_blockers))

    if not problems:
        return 0
    if args.allow_blockers:
        message = _banner(
            [
                f"RELEASE BLOCKERS OVERRIDDEN (--allow-blockers): {len(problems)} for "
                f"{version} in {repository}",
                *[f"  - {p}" for p in problems],
            ]
        )
        print(message, file=sys.stderr)
        # One annotation so the override shows on the run's page, not only in the log.
        annotate(
            "warning",
            "\n".join(p.replace("\n", " ") for p in problems),
            title="Release blockers overridden",
        )
        return 0
    raise CheckFailed(
        f"{len(problems)} release blocker(s) for {version} in {repository} "
        "(rerun with --allow-blockers to override)",
        problems,
    )


def _print_text(report: BlockerReport) -> None:
    print(
        f"Release blockers for {report.version} (branch {report.version.branch}) "
        f"in {report.repository}:"
    )
    if report.blocking:
        for issue, why in report.blocking:
            print(f"  BLOCKER {issue.line()} [{why}]")
    else:
        print(f"  no open {LABEL} issues apply")
    for issue, why in report.ignored:
        print(f"  ignored {issue.line()} [{why}]")
    for issue, why in report.deferred:
        print(f"  deferred (blocks the next release) {issue.line()} [{why}]")
    if report.buildbot_skipped:
        print(f"Buildbot check skipped: {report.buildbot_skipped}")
    elif report.buildbot is not None:
        bb = report.buildbot
        print(
            f"Buildbot: {len(bb.statuses)} stable builders tagged {bb.tag}, "
            f"{len(bb.failing)} failing"
        )
        if bb.note:
            print(f"  note: {bb.note}")
        for status in bb.failing:
            print(f"  FAILING {status.describe()}")
