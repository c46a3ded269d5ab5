"""``cpython-release nightly select|track|prune``: what the nightlies build, issues, retention."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests

from cpython_release import nightly
from cpython_release.blockers import (
    check_repository,
    github_client,
)
from cpython_release.blockers import github_error as _github_error
from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_github_api,
    add_release_cycle,
    check_github_output,
)
from cpython_release.errors import BadInput, ReleaseError
from cpython_release.ghactions import in_actions, markdown_table, set_outputs, write_summary
from cpython_release.phase import ReleaseCycle

DEFAULT_KEEP = 14


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "nightly",
        help="nightly builds: pick the branches to build, track failures, prune old ones",
        description="Nightly pipeline logic. 'select' decides which maintained branches moved "
        "since their last nightly and prints the workflow matrix; 'track' opens, updates or "
        "closes the per-branch failure issue; 'prune' keeps the newest nightlies of a branch.",
    )
    nsub = p.add_subparsers(dest="nightly_command", metavar="ACTION", required=True)

    s = nsub.add_parser(
        "select",
        help="which maintained branches get a nightly, as a matrix",
        description="For each maintained branch (main and bugfix/prerelease branches of the "
        "release-cycle data): its head, the source commit of its last published nightly, "
        "whether it moved, its base version (Include/patchlevel.h at the head) and the "
        "nightly's tag and name. Reads $GITHUB_TOKEN if set.",
        epilog="--format github also writes the step outputs matrix, any, count and branches. "
        "Exit status: 0 selected (possibly nothing), 1 the API or a git remote could not be "
        "reached, 2 bad input or an unusable answer.",
    )
    s.add_argument(
        "--repository",
        required=True,
        metavar="OWNER/REPO",
        help="the CPython repository the nightlies are built from",
    )
    s.add_argument(
        "--releases-repository",
        metavar="OWNER/REPO",
        default=os.environ.get("GITHUB_REPOSITORY"),
        help="where the nightlies are published as GitHub releases "
        "(default $GITHUB_REPOSITORY, else --repository)",
    )
    s.add_argument(
        "--branch",
        action="append",
        default=[],
        metavar="BRANCH",
        help="only these branches (repeat, or separate with spaces/commas; "
        "empty means all maintained branches)",
    )
    heads = s.add_mutually_exclusive_group()
    heads.add_argument(
        "--ls-remote",
        metavar="FILE",
        type=Path,
        help="saved 'git ls-remote' output for the heads ('-' for stdin)",
    )
    heads.add_argument(
        "--clone",
        metavar="PATH",
        type=Path,
        help="local clone: heads from refs/remotes/origin/B or refs/heads/B, patchlevel.h from git",
    )
    heads.add_argument(
        "--git-url",
        metavar="URL",
        help="run 'git ls-remote' on this URL or path "
        "(default https://github.com/<repository>.git)",
    )
    s.add_argument(
        "--state",
        metavar="FILE",
        type=Path,
        help="JSON {branch: commit} of the last nightlies, instead of reading the GitHub releases",
    )
    s.add_argument(
        "--force",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        metavar="BOOL",
        help="build even branches that did not move (true/false; bare = true)",
    )
    s.add_argument(
        "--security",
        type=_bool,
        nargs="?",
        const=True,
        default=False,
        metavar="BOOL",
        help="also security-phase branches, with their Windows and macOS installers (the "
        "weekly run; true/false; bare = true)",
    )
    s.add_argument(
        "--date", type=_day, metavar="YYYY-MM-DD", help="the nightly's date (default today, UTC)"
    )
    add_github_api(s)
    s.add_argument("--retries", type=int, default=3, help="retries per HTTP request (default 3)")
    add_format(
        s,
        github=True,
        default="json",
        what="the selection",
    )
    add_release_cycle(s)
    s.set_defaults(func=run_select)

    t = nsub.add_parser(
        "track",
        help="open, update or close a branch's nightly-failure issue",
        description="One open issue per branch, labelled nightly-failure and titled "
        "'[nightly <branch>] ...'. failure: open it, or comment if already open. success: "
        "comment and close it. cancelled/skipped: leave it. Reads $GITHUB_TOKEN.",
        epilog="Exit status: 0 done, 1 the API could not be reached, 2 bad input or an "
        "unusable API answer.",
    )
    t.add_argument(
        "--repository",
        required=True,
        metavar="OWNER/REPO",
        help="repository holding the issues (usually $GITHUB_REPOSITORY)",
    )
    t.add_argument("--branch", required=True, help="main or X.Y")
    t.add_argument(
        "--result",
        required=True,
        choices=("success", "failure", "cancelled", "skipped", "auto"),
        help="the nightly's outcome; auto: derive it from the run's jobs named --job-prefix",
    )
    t.add_argument(
        "--run-url",
        metavar="URL",
        help="link to the run (default from $GITHUB_SERVER_URL, "
        "$GITHUB_REPOSITORY, $GITHUB_RUN_ID)",
    )
    t.add_argument("--commit", default="", help="the commit the nightly built (for messages)")
    t.add_argument(
        "--label",
        default=nightly.FAILURE_LABEL,
        help=f"issue label (default {nightly.FAILURE_LABEL})",
    )
    t.add_argument(
        "--job-prefix",
        metavar="NAME",
        help="with --result auto: the calling job's name (default 'nightly BRANCH')",
    )
    t.add_argument(
        "--jobs-json",
        metavar="FILE",
        type=Path,
        help="with --result auto: saved jobs API answer instead of fetching it",
    )
    t.add_argument(
        "--run-id",
        default=os.environ.get("GITHUB_RUN_ID"),
        help="with --result auto: run whose jobs to read (default $GITHUB_RUN_ID)",
    )
    add_github_api(t)
    t.add_argument("--retries", type=int, default=3, help="retries per HTTP request (default 3)")
    t.set_defaults(func=run_track)

    r = nsub.add_parser(
        "prune",
        help="retention: delete all but the newest N nightly releases of a branch",
        description="Keep the newest --keep published nightlies of --branch (GitHub releases "
        "of --repository marked as nightlies by both tag and body, see "
        "cpython_release.nightly_names); delete older ones and their tags, and drafts older "
        "than the oldest kept. Needs $GITHUB_TOKEN with contents: write.",
        epilog="Exit status: 0 done, 1 the API could not be reached, 2 bad input or an "
        "unusable API answer.",
    )
    r.add_argument(
        "--repository",
        required=True,
        metavar="OWNER/REPO",
        help="repository holding the nightly releases (usually $GITHUB_REPOSITORY)",
    )
    r.add_argument("--branch", required=True, help="main or X.Y")
    r.add_argument(
        "--keep",
        type=int,
        default=DEFAULT_KEEP,
        help=f"published nightlies to keep (default {DEFAULT_KEEP})",
    )
    r.add_argument("--dry-run", action="store_true", help="print what would go, delete nothing")
    add_github_api(r)
    r.add_argument(
        "--write-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="pause between API writes (default 1.0, as GitHub asks)",
    )
    r.add_argument("--retries", type=int, default=4, help="retries per HTTP request (default 4)")
    r.set_defaults(func=run_prune)


def _api_failure(exc: Exception, what: str) -> ReleaseError | None:
    from github import GithubException

    if isinstance(exc, GithubException | requests.RequestException):
        return _github_error(exc, what)
    return None


def run_select(args: argparse.Namespace) -> int:
    check_github_output(args.format)
    repository = check_repository(args.repository)
    releases_repo = check_repository(args.releases_repository or repository)
    branches = nightly.choose_branches(
        nightly.maintained_branches(ReleaseCycle.load(args.release_cycle), security=args.security),
        args.branch,
    )
    names = [b.git_branch for b in branches]
    day = args.date or datetime.now(UTC).date()

    if args.ls_remote is not None:
        text = sys.stdin.read() if str(args.ls_remote) == "-" else _read(args.ls_remote)
        heads = nightly.parse_ls_remote(text)
    elif args.clone is not None:
        heads = nightly.clone_heads(args.clone, names)
    else:
        heads = nightly.ls_remote(args.git_url or f"https://github.com/{repository}.git", names)

    token = os.environ.get("GITHUB_TOKEN") or None
    gh = None
    if args.state is not None:
        last = nightly.last_nightlies_from_state(args.state)
    else:
        gh = github_client(args.github_api, token, retries=args.retries)
        try:
            last = nightly.last_nightlies_from_releases(gh.get_repo(releases_repo).get_releases())
        except Exception as exc:
            err = _api_failure(exc, f"listing the releases of {releases_repo}")
            if err is None:
                raise
            raise err from exc

    def patchlevel(commit: str) -> str:
        if args.clone is not None:
            return nightly.clone_file(args.clone, commit, nightly.PATCHLEVEL)
        client = gh or github_client(args.github_api, token, retries=args.retries)
        try:
            content = client.get_repo(repository).get_contents(nightly.PATCHLEVEL, ref=commit)
            return bytes(content.decoded_content).decode("utf-8")
        except Exception as exc:
            err = _api_failure(exc, f"reading {nightly.PATCHLEVEL} of {repository} at {commit}")
            if err is None:
                raise
            raise err from exc

    requested = any(w.strip(" ,") for w in args.branch)
    selections = nightly.select(
        branches, heads, last, patchlevel, day, force=args.force, strict=requested
    )
    matrix = nightly.matrix(selections)
    data = {
        "repository": repository,
        "releases_repository": releases_repo,
        "date": day.isoformat(),
        "branches": [s.to_dict() for s in selections],
        "matrix": matrix,
    }
    for s in selections:
        if s.note:
            print(f"warning: {s.branch.git_branch}: {s.note}", file=sys.stderr)
    if args.format == "github":
        set_outputs(
            {
                "matrix": json.dumps(matrix, sort_keys=True),
                "any": str(bool(matrix["include"])).lower(),
                "count": str(len(matrix["include"])),
                "branches": " ".join(e["branch"] for e in matrix["include"]),
                "repository": repository,
            }
        )
        write_summary(_select_markdown(selections, day))
    if args.format == "text":
        for sel in selections:
            entry = sel.to_dict()
            print(" ".join(f"{k}={v}" for k, v in sorted(entry.items()) if v not in (None, "")))
    else:
        print(json.dumps(data, indent=2, sort_keys=True))
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc}") from exc


def _select_markdown(selections: list[nightly.Selection], day: date) -> str:
    rows = [
        (
            s.branch.git_branch,
            s.head[:12] or "-",
            s.last.tag or s.last.commit[:12] if s.last else "-",
            "yes" if s.build else "no",
            s.reason,
            s.base_version or "-",
            s.nightly.tag if s.nightly else "-",
        )
        for s in selections
    ]
    table = markdown_table(
        ("Branch", "Head", "Last nightly", "Build", "Why", "Base version", "Nightly tag"), rows
    )
    return f"### Nightly selection {day.isoformat()}\n\n{table}"


def _default_run_url() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo, run_id = os.environ.get("GITHUB_REPOSITORY"), os.environ.get("GITHUB_RUN_ID")
    if not (repo and run_id):
        raise BadInput("--run-url is required outside GitHub Actions")
    return f"{server}/{repo}/actions/runs/{run_id}"


def _auto_result(args: argparse.Namespace, repository: str) -> str:
    from cpython_release.commands.summary import fetch_jobs
    from cpython_release.summary import parse_jobs

    data: Any
    if args.jobs_json is not None:
        try:
            data = json.loads(args.jobs_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read jobs JSON {args.jobs_json}: {exc}") from exc
    else:
        if not args.run_id:
            raise BadInput("--result auto needs --jobs-json or --run-id ($GITHUB_RUN_ID)")
        data, _run = fetch_jobs(
            args.github_api,
            repository,
            str(args.run_id),
            os.environ.get("GITHUB_TOKEN") or None,
            args.retries,
        )
    prefix = args.job_prefix or f"nightly {args.branch}"
    return nightly.result_from_jobs(parse_jobs(data), prefix)


def run_track(args: argparse.Namespace) -> int:
    repository = check_repository(args.repository)
    from cpython_release import nightly_names

    nightly_names.check_branch(args.branch)
    run_url = args.run_url or _default_run_url()
    result = args.result
    if result == "auto":
        result = _auto_result(args, repository)
        print(f"result of the {args.branch} nightly: {result}")
    token = os.environ.get("GITHUB_TOKEN") or None
    gh = github_client(args.github_api, token, retries=args.retries)
    try:
        outcome = nightly.track(
            gh.get_repo(repository),
            args.branch,
            result,
            run_url,
            commit=args.commit,
            label=args.label,
        )
    except Exception as exc:
        err = _api_failure(exc, f"updating the {args.label} issue of {args.branch}")
        if err is None:
            raise
        raise err from exc
    print(f"nightly track {args.branch}: {outcome.message}")
    if in_actions() and os.environ.get("GITHUB_OUTPUT"):
        set_outputs({"action": outcome.action, "issue": str(outcome.number or "")})
    return 0


def run_prune(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cpython_release.publish.actions import Verb
    from cpython_release.publish.github_release import Pacing
    from cpython_release.publish.retention import prune_nightlies

    repository = check_repository(args.repository)
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise BadInput("nightly prune needs $GITHUB_TOKEN (contents: write)")
    if args.write_interval < 0:
        raise BadInput("--write-interval must be 0 or more")
    pacing = replace(
        Pacing(),
        write_interval=args.write_interval,
        read_interval=min(Pacing().read_interval, args.write_interval),
        retries=args.retries,
    )
    result = prune_nightlies(
        repository,
        token,
        branch=args.branch,
        keep=args.keep,
        base_url=args.github_api,
        dry_run=args.dry_run,
        pacing=pacing,
    )
    for line in result.lines():
        print(line)
    deleted = sum(
        1 for a in result.actions if a.verb is Verb.DELETE and a.subject.startswith("release ")
    )
    print(
        f"nightly prune {args.branch}: {'would delete' if args.dry_run else 'deleted'} "
        f"{deleted} release(s), kept up to {args.keep}"
    )
    return 0
