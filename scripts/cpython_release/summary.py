"""The run summary: how long every stage took, runner minutes, and tag-to-published time.

Input is the jobs of a workflow run in the shape of GitHub's REST API
(``GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs``: ``{"total_count": N, "jobs": [...]}``,
each job with ``name``, ``status``, ``conclusion``, ``started_at``, ``completed_at``, ``labels``,
``html_url``). Jobs of reusable workflows are named ``<caller job> / <called job>``; the part
before the first `` / `` is the *stage*.

Runner minutes follow GitHub's billing rule: each job's time is rounded *up* to a whole minute
(per job, not per run). A skipped job costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.gantt import bars_from_jobs, gantt_chart
from cpython_release.ghactions import markdown_table

RECORD_SCHEMA = "cpython-release/run-record-v1"
STAGE_SEPARATOR = " / "
BAR_WIDTH = 24


def parse_time(value: object, what: str = "time") -> datetime | None:
    """ISO 8601 (``2026-11-21T17:00:00Z``) or Unix seconds -> aware UTC datetime (None if empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{what}: not an ISO 8601 time or Unix timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def runner_minutes(duration_s: float | None) -> int:
    """Billed minutes of one job: its duration rounded up to a whole minute."""
    if not duration_s or duration_s <= 0:
        return 0
    return math.ceil(duration_s / 60)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"  # local rehearsal stages take fractions of a second
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@dataclass(frozen=True)
class JobTiming:
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    labels: tuple[str, ...] = ()
    html_url: str = ""

    @property
    def stage(self) -> str:
        return self.name.split(STAGE_SEPARATOR, 1)[0]

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0.0, (self.completed_at - self.started_at).total_seconds())

    @property
    def runner_minutes(self) -> int:
        if self.conclusion == "skipped":
            return 0
        return runner_minutes(self.duration_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stage": self.stage,
            "status": self.status,
            "conclusion": self.conclusion,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "duration_s": self.duration_s,
            "runner_minutes": self.runner_minutes,
            "labels": list(self.labels),
            "html_url": self.html_url,
        }


@dataclass(frozen=True)
class StageTiming:
    """One row of the timeline: a stage (or a single job, or a local step)."""

    name: str
    started_at: datetime | None
    completed_at: datetime | None
    conclusion: str | None
    jobs: int = 1
    runner_minutes: int | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0.0, (self.completed_at - self.started_at).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "jobs": self.jobs,
            "conclusion": self.conclusion,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "duration_s": self.duration_s,
            "runner_minutes": self.runner_minutes,
        }


def parse_jobs(data: Any) -> list[JobTiming]:
    """Jobs from one API page (``{"jobs": [...]}``), a list of pages, or a bare list of jobs."""
    if isinstance(data, dict):
        pages: list[Any] = [data]
    elif isinstance(data, list) and all(isinstance(p, dict) and "jobs" in p for p in data):
        pages = data
    elif isinstance(data, list):
        pages = [{"jobs": data}]
    else:
        raise BadInput("jobs JSON must be an object with a 'jobs' list, or a list")
    out: list[JobTiming] = []
    for page in pages:
        jobs = page.get("jobs")
        if not isinstance(jobs, list):
            raise BadInput("jobs JSON: 'jobs' is missing or not a list")
        for i, job in enumerate(jobs):
            try:
                out.append(
                    JobTiming(
                        name=str(job["name"]),
                        status=str(job.get("status") or ""),
                        conclusion=job.get("conclusion"),
                        started_at=parse_time(job.get("started_at"), f"job {i} started_at"),
                        completed_at=parse_time(job.get("completed_at"), f"job {i} completed_at"),
                        labels=tuple(str(x) for x in job.get("labels") or ()),
                        html_url=str(job.get("html_url") or ""),
                    )
                )
            except (KeyError, TypeError, AttributeError) as exc:
                raise BadInput(f"jobs JSON: job {i} is malformed: {exc!r}") from exc
    return out


def scoped_name(name: str, prefix: str) -> str | None:
    """``name`` with everything up to ``prefix`` stripped, when the job belongs to ``prefix``;
    else None.

    GitHub names a called workflow's jobs ``<caller job> / <called job>``, once per level of
    calling. The nightly's legs are ``nightly main / build-source / build`` in this
    repository, and ``nightly / nightly main / build-source / build`` in a fork whose caller
    template's job is ``nightly``: the prefix may follow any number of caller segments.
    """
    segments = name.split(STAGE_SEPARATOR)
    wanted = prefix.split(STAGE_SEPARATOR)
    for start in range(len(segments) - len(wanted) + 1):
        if segments[start : start + len(wanted)] == wanted:
            rest = segments[start + len(wanted) :]
            return STAGE_SEPARATOR.join(rest) if rest else prefix
    return None


def scope_jobs(jobs: Iterable[JobTiming], prefix: str) -> list[JobTiming]:
    """The jobs of one caller (``prefix`` or ``prefix / ...``, after any caller segments),
    with the prefix stripped (:func:`scoped_name`).

    A run whose job calls the release workflow once per matrix leg (the nightly) names the
    called jobs ``nightly main / build-source / build``; scoping to ``nightly main`` gives
    that leg's own timeline.
    """
    out = []
    for job in jobs:
        scoped = scoped_name(job.name, prefix)
        if scoped is not None:
            out.append(replace(job, name=scoped))
    if not out:
        raise BadInput(f"no job of the run is named {prefix!r} or '{prefix} / ...'")
    return out


def _stage_conclusion(conclusions: Sequence[str | None], statuses: Sequence[str]) -> str | None:
    if any(s != "completed" for s in statuses):
        return None
    for bad in ("failure", "timed_out", "cancelled", "action_required"):
        if bad in conclusions:
            return bad
    if conclusions and all(c == "skipped" for c in conclusions):
        return "skipped"
    return "success"


def stages_from_jobs(jobs: Iterable[JobTiming]) -> list[StageTiming]:
    """One :class:`StageTiming` per stage, in order of first start (unstarted stages last)."""
    groups: dict[str, list[JobTiming]] = {}
    for job in jobs:
        groups.setdefault(job.stage, []).append(job)
    stages = []
    for name, members in groups.items():
        starts = [j.started_at for j in members if j.started_at is not None]
        ends = [j.completed_at for j in members if j.completed_at is not None]
        running = any(j.completed_at is None for j in members)
        stages.append(
            StageTiming(
                name=name,
                started_at=min(starts) if starts else None,
                completed_at=None if running or not ends else max(ends),
                conclusion=_stage_conclusion(
                    [j.conclusion for j in members], [j.status for j in members]
                ),
                jobs=len(members),
                runner_minutes=sum(j.runner_minutes for j in members),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    stages.sort(key=lambda s: (s.started_at or far, s.name))
    return stages


def _bar(stage: StageTiming, origin: datetime, span: float) -> str:
    if stage.started_at is None or span <= 0:
        return ""
    start = (stage.started_at - origin).total_seconds()
    end = start + (stage.duration_s or 0)
    first = min(BAR_WIDTH - 1, int(start / span * BAR_WIDTH))
    last = max(first + 1, min(BAR_WIDTH, math.ceil(end / span * BAR_WIDTH)))
    return "·" * first + "█" * (last - first) + "·" * (BAR_WIDTH - last)


def timeline_table(stages: list[StageTiming]) -> str:
    """A Markdown table of the stages: start offset, duration, runner minutes, result, bar.

    The same table goes to the step summary of a release run and to the terminal of a
    local rehearsal.
    """
    starts = [s.started_at for s in stages if s.started_at is not None]
    ends = [s.completed_at for s in stages if s.completed_at is not None] + starts
    origin = min(starts) if starts else None
    span = (max(ends) - origin).total_seconds() if origin is not None else 0.0
    rows = []
    for s in stages:
        offset = "-"
        if s.started_at is not None and origin is not None:
            offset = "+" + format_duration((s.started_at - origin).total_seconds())
        result = s.conclusion or ("running" if s.started_at is not None else "queued")
        minutes = "-" if s.runner_minutes is None else str(s.runner_minutes)
        bar = _bar(s, origin, span) if origin is not None else ""
        rows.append(
            (
                s.name,
                s.jobs,
                offset,
                format_duration(s.duration_s),
                minutes,
                result,
                f"`{bar}`" if bar else "",
            )
        )
    total_minutes = [s.runner_minutes for s in stages if s.runner_minutes is not None]
    rows.append(
        (
            "**total**",
            sum(s.jobs for s in stages),
            "",
            format_duration(span or None),
            str(sum(total_minutes)) if total_minutes else "-",
            "",
            "",
        )
    )
    return markdown_table(
        ("Stage", "Jobs", "Start", "Duration", "Runner min", "Result", "Timeline"), rows
    )


def jobs_table(jobs: Sequence[JobTiming]) -> str:
    rows = [
        (
            j.name,
            j.conclusion or j.status or "-",
            format_duration(j.duration_s),
            j.runner_minutes,
            ", ".join(j.labels),
        )
        for j in sorted(jobs, key=lambda j: j.started_at or datetime.max.replace(tzinfo=UTC))
    ]
    return markdown_table(("Job", "Result", "Duration", "Runner min", "Runner"), rows)


def published_time(jobs: Sequence[JobTiming], stage_prefix: str) -> datetime | None:
    """When the last successful job of a stage starting with ``stage_prefix`` completed.

    Stages, not substrings: ``publish`` matches ``publish-github / publish`` but not
    ``verify-published / verify``.
    """
    done = [
        j.completed_at
        for j in jobs
        if j.stage.startswith(stage_prefix) and j.conclusion == "success" and j.completed_at
    ]
    return max(done) if done else None


def run_record(
    jobs: Sequence[JobTiming],
    *,
    tag_time: datetime | None = None,
    published_at: datetime | None = None,
    run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON record of a run (schema ``cpython-release/run-record-v1``)."""
    stages = stages_from_jobs(jobs)
    starts = [j.started_at for j in jobs if j.started_at is not None]
    ends = [j.completed_at for j in jobs if j.completed_at is not None]
    finished = [j for j in jobs if j.duration_s is not None]
    tag_to_published = None
    if tag_time is not None and published_at is not None:
        tag_to_published = (published_at - tag_time).total_seconds()
    return {
        "schema": RECORD_SCHEMA,
        "run": run or {},
        "tag_time": iso(tag_time),
        "published_at": iso(published_at),
        "tag_to_published_s": tag_to_published,
        "totals": {
            "jobs": len(jobs),
            "jobs_in_progress": sum(1 for j in jobs if j.completed_at is None),
            "runner_minutes": sum(j.runner_minutes for j in jobs),
            "job_seconds": sum(j.duration_s or 0.0 for j in finished),
            "wall_clock_s": (max(ends) - min(starts)).total_seconds() if starts and ends else None,
        },
        "stages": [s.to_dict() for s in stages],
        "jobs": [j.to_dict() for j in jobs],
    }


def summary_markdown(record: dict[str, Any], jobs: Sequence[JobTiming], title: str) -> str:
    totals = record["totals"]
    lines = [f"### {title}", ""]
    lines.append(timeline_table(stages_from_jobs(jobs)))
    chart = gantt_chart(bars_from_jobs(jobs), title=title)
    if chart:
        lines.append(chart)
    facts = [
        f"- Runner minutes (each job rounded up, as billed): **{totals['runner_minutes']}**",
        f"- Wall clock, first job start to last job end: {format_duration(totals['wall_clock_s'])}",
    ]
    if record["tag_to_published_s"] is not None:
        facts.append(
            f"- Tag to published: **{format_duration(record['tag_to_published_s'])}** "
            f"(tag {record['tag_time']}, published {record['published_at']})"
        )
    elif record["published_at"] is None:
        facts.append("- Tag to published: not published in this run")
    else:
        facts.append("- Tag to published: unknown (no tag time given)")
    if totals["jobs_in_progress"]:
        facts.append(
            f"- {totals['jobs_in_progress']} job(s) still running when this was written "
            "(not counted)"
        )
    lines += [*facts, "", "<details><summary>Jobs</summary>", "", jobs_table(jobs), "</details>"]
    return "\n".join(lines) + "\n"
