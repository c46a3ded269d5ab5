"""``cpython-release summary``: the timeline of a run and its JSON record."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import requests

from cpython_release.blockers import (
    check_repository,
    github_client,
)
from cpython_release.commands.common import Subparsers, add_github_api
from cpython_release.errors import BadInput
from cpython_release.ghactions import in_actions, write_summary
from cpython_release.http import is_unreachable, unreachable
from cpython_release.summary import (
    parse_jobs,
    parse_time,
    published_time,
    run_record,
    scope_jobs,
    summary_markdown,
)

if TYPE_CHECKING:  # PyGithub is the publish extra: imported only by the calls that need it
    from github import Github


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "summary",
        help="write the run's stage timeline and a JSON record (durations, runner minutes)",
        description="Read the jobs of a workflow run (a saved JSON of GET "
        "/repos/{owner}/{repo}/actions/runs/{id}/jobs, or the API itself), append a "
        "timeline table and a Mermaid Gantt chart of the jobs to $GITHUB_STEP_SUMMARY "
        "(stdout outside Actions) and write a JSON "
        "record: per job name, conclusion, started_at, completed_at, duration_s, runner "
        "minutes (rounded up per job, as billed); totals; tag-to-published seconds.",
        epilog="Exit status: 0 written, 1 the API could not be reached, 2 bad input or an "
        "unusable API answer.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--jobs-json",
        metavar="FILE",
        type=Path,
        help="saved jobs API answer (one page object, a list of pages, or a list)",
    )
    src.add_argument(
        "--from-api",
        action="store_true",
        help="fetch the jobs of --run-id from the GitHub API ($GITHUB_TOKEN)",
    )
    p.add_argument(
        "--run-id",
        default=os.environ.get("GITHUB_RUN_ID"),
        help="workflow run id (default $GITHUB_RUN_ID)",
    )
    p.add_argument(
        "--repository",
        default=os.environ.get("GITHUB_REPOSITORY"),
        metavar="OWNER/REPO",
        help="repository of the run (default $GITHUB_REPOSITORY)",
    )
    add_github_api(p)
    p.add_argument(
        "--tag-time",
        metavar="TIME",
        help="when the release tag was created (ISO 8601 or Unix seconds)",
    )
    p.add_argument(
        "--tag",
        metavar="TAG",
        help="read the tag time from the GitHub API: the tagger date of TAG (e.g. v3.14.2) "
        "in --tag-repository (instead of --tag-time)",
    )
    p.add_argument(
        "--tag-repository",
        metavar="OWNER/REPO",
        help="repository holding --tag (default --repository)",
    )
    p.add_argument(
        "--published-at",
        metavar="TIME",
        help="when the release was published (default: completion of the last "
        "successful job whose name contains --publish-job)",
    )
    p.add_argument(
        "--publish-journal",
        type=Path,
        metavar="FILE",
        help="the publish journal (publish --journal) to keep in the record; a missing file "
        "is recorded as no publish journal",
    )
    p.add_argument(
        "--upgrade-report",
        type=Path,
        metavar="FILE",
        help="upgrade-check's JSON report (--output) to keep in the record: findings, waivers, "
        "the check's and its job's wall time; a missing file is recorded as not run",
    )
    p.add_argument(
        "--publish-job",
        default="publish",
        metavar="TEXT",
        help="stages whose name starts with this mark publication (default 'publish')",
    )
    p.add_argument(
        "--record",
        type=Path,
        default=Path("run-record.json"),
        metavar="FILE",
        help="where to write the JSON record (default run-record.json)",
    )
    p.add_argument(
        "--job-prefix",
        metavar="NAME",
        help="only the jobs named NAME or 'NAME / ...' (one leg of a matrix of release "
        "workflow calls, e.g. 'nightly main'), with NAME stripped",
    )
    p.add_argument("--title", default="Release run timeline", help="heading of the summary")
    p.add_argument("--retries", type=int, default=3, help="retries per HTTP request (default 3)")
    p.set_defaults(func=run)


T = TypeVar("T")


def api_call(what: str, fn: Callable[[], T]) -> T:
    """Run one PyGithub call; an HTTP error is bad input (exit 2), no answer is exit 1."""
    from github import GithubException

    try:
        return fn()
    except GithubException as exc:
        data = exc.data
        message = data.get("message", "") if isinstance(data, dict) else str(data)[:200]
        raise BadInput(f"GitHub API ({what}) answered HTTP {exc.status}: {message}") from exc
    except requests.RequestException as exc:
        if is_unreachable(exc):
            raise unreachable(f"the GitHub API ({what})", exc) from exc
        raise BadInput(f"cannot read the GitHub API ({what}): {exc}") from exc


def _run_id(run_id: str) -> int:
    if not run_id.isdigit():
        raise BadInput(f"run id must be a number, not {run_id!r}")
    return int(run_id)


def _json_object(what: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadInput(f"GitHub API ({what}) returned {type(data).__name__}, not an object")
    return data


def fetch_jobs(
    api: str, repository: str, run_id: str, token: str | None, retries: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All pages of the run's jobs (latest attempt), and the run object, as the API's JSON.

    Read through PyGithub's requester (its auth, retries and host checks) rather than its
    object model: a listed ``WorkflowJob`` fetches itself again for any field the listing
    left out, one request per job.
    """
    requester = github_client(api, token, retries=retries).requester
    number = _run_id(run_id)
    base = f"/repos/{repository}/actions/runs/{number}"
    what = f"run {number} of {repository}"
    run = _json_object(what, api_call(what, lambda: requester.requestJsonAndCheck("GET", base)[1]))
    pages: list[dict[str, Any]] = []
    url: str | None = f"{base}/jobs"
    params: dict[str, Any] | None = {"filter": "latest", "per_page": 100}
    while url:
        headers, data = api_call(
            f"jobs of run {number}",
            partial(requester.requestJsonAndCheck, "GET", url, parameters=params),
        )
        pages.append(_json_object(f"jobs of run {number}", data))
        links = requests.utils.parse_header_links(headers.get("link", ""))
        url = next((link["url"] for link in links if link.get("rel") == "next"), None)
        params = None  # the next link carries them
    return pages, run


def fetch_tag_time(gh: Github, repository: str, tag: str) -> datetime:
    """When ``tag`` was made: the tagger date of an annotated tag, else its commit's date."""
    repo = gh.get_repo(repository)

    def tag_date() -> Any:
        target = repo.get_git_ref(f"tags/{tag}").object
        if target.type == "tag":
            return repo.get_git_tag(target.sha).raw_data["tagger"]["date"]
        return repo.get_git_commit(target.sha).raw_data["committer"]["date"]

    try:
        when = api_call(f"tag {tag} of {repository}", tag_date)
    except (KeyError, TypeError) as exc:
        raise BadInput(f"unexpected answer for tag {tag} of {repository}: {exc!r}") from exc
    parsed = parse_time(when, f"date of tag {tag}")
    if parsed is None:
        raise BadInput(f"tag {tag} of {repository} has no date")
    return parsed


def run(args: argparse.Namespace) -> int:
    run_info: dict[str, Any] = {}
    if args.from_api:
        if not args.run_id:
            raise BadInput("--from-api needs --run-id (or $GITHUB_RUN_ID)")
        if not args.repository:
            raise BadInput("--from-api needs --repository (or $GITHUB_REPOSITORY)")
        repository = check_repository(args.repository)
        data, run_obj = fetch_jobs(
            args.github_api,
            repository,
            str(args.run_id),
            os.environ.get("GITHUB_TOKEN") or None,
            args.retries,
        )
        run_info = {
            "id": run_obj.get("id", args.run_id),
            "repository": repository,
            "name": run_obj.get("name"),
            "event": run_obj.get("event"),
            "head_sha": run_obj.get("head_sha"),
            "run_attempt": run_obj.get("run_attempt"),
            "created_at": run_obj.get("created_at"),
            "html_url": run_obj.get("html_url"),
        }
    else:
        try:
            data = json.loads(args.jobs_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read jobs JSON {args.jobs_json}: {exc}") from exc
        if args.run_id or args.repository:
            run_info = {"id": args.run_id, "repository": args.repository}
    jobs = parse_jobs(data)
    if args.job_prefix:
        jobs = scope_jobs(jobs, args.job_prefix)
    if not jobs:
        raise BadInput("the run has no jobs: nothing to summarise")
    tag_time = parse_time(args.tag_time, "--tag-time")
    if args.tag:
        if tag_time is not None:
            raise BadInput("give --tag-time or --tag, not both")
        tag_repo = check_repository(args.tag_repository or args.repository or "")
        gh = github_client(
            args.github_api, os.environ.get("GITHUB_TOKEN") or None, retries=args.retries
        )
        tag_time = fetch_tag_time(gh, tag_repo, args.tag)
    published = parse_time(args.published_at, "--published-at")
    if published is None:
        published = published_time(jobs, args.publish_job)
    record = run_record(jobs, tag_time=tag_time, published_at=published, run=run_info)
    markdown = summary_markdown(record, jobs, args.title)
    if args.publish_journal is not None:
        record["publish_journal"] = None
        if args.publish_journal.is_file():
            from cpython_release.publish.journal import digest

            record["publish_journal"] = digest(args.publish_journal)
            markdown += journal_markdown(record["publish_journal"])
    if args.upgrade_report is not None:
        from cpython_release.upgrade.record import record_entry, record_markdown

        record["upgrade_safety"] = record_entry(args.upgrade_report, record["jobs"])
        markdown += record_markdown(record["upgrade_safety"])
    try:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", "utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write the record {args.record}: {exc}") from exc
    if not (in_actions() and write_summary(markdown)):
        print(markdown)
    totals = record["totals"]
    line = (
        f"summary: {totals['jobs']} jobs, {totals['runner_minutes']} runner minutes, "
        f"record {args.record}"
    )
    if record["tag_to_published_s"] is not None:
        line += f", tag to published {record['tag_to_published_s']:.0f}s"
    print(line)
    return 0


def journal_markdown(journal: dict[str, Any]) -> str:
    """The publish journal's digest for the step summary."""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(journal["counts"].items())) or "none"
    lines = ["", f"- Publish: **{journal['status']}**, changes made: {counts}"]
    lines += [f"  - failed: {f.get('op')} {f.get('subject')}" for f in journal["failed"]]
    if journal["status"] == "killed":
        lines.append("  - the run was killed: the journal lists what was done; re-run to resume")
    lines += [
        f"- Left to a release manager: {s['what']}: {s['url']}" for s in journal["last_steps"]
    ]
    return "\n".join(lines) + "\n"
