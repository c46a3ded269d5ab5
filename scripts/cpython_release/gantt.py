"""A Mermaid Gantt chart of a run's jobs or a rehearsal's stages.

GitHub renders a ```` ```mermaid ```` block in step summaries and Markdown files, so the
chart sits beside the timeline table (:func:`cpython_release.summary.timeline_table`) and
shows at a glance what ran in parallel and what waited.

Times are written as Unix milliseconds (``dateFormat x``) so sub-second rehearsal stages
keep their length; the axis shows the viewer's clock time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # summary.py imports this module
    from cpython_release.summary import JobTiming, StageTiming

# Mermaid task tags by conclusion: a failure is "crit" (red), a finished job "done",
# one still running "active".
_TAGS = {
    "success": "done",
    "skipped": "done",
    "neutral": "done",
    "failure": "crit",
    "cancelled": "crit",
    "timed_out": "crit",
    "startup_failure": "crit",
    "action_required": "crit",
}
# Characters with a meaning in a Mermaid task line (":" ends the name, "#" starts an
# entity, ";" ends a statement) and line breaks.
_UNSAFE = str.maketrans({":": " ", "#": " ", ";": ",", "\n": " ", "\r": " ", "`": "'"})


@dataclass(frozen=True)
class Bar:
    """One task of the chart: ``section`` groups bars (a stage of a workflow run)."""

    section: str
    name: str
    started_at: datetime
    completed_at: datetime | None
    conclusion: str | None


# Every task line starts with this, so no job name can begin a line with a keyword of
# Mermaid's case-insensitive lexer ("gantt", "section", "title", "dateFormat", "accDescr {",
# "excludes", a date) or a "%%" comment, and so change or break the chart.
TASK_PREFIX = "\u25b8 "  # "▸ "


def _label(text: str) -> str:
    text = " ".join(text.translate(_UNSAFE).split())
    while "%%" in text:  # "%%" comments and "%%{init: ...}%%" directives
        text = text.replace("%%", "%")
    return text or "-"


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def gantt_chart(bars: Sequence[Bar], *, title: str, now: datetime | None = None) -> str:
    """A fenced ```` ```mermaid ```` Gantt block, or "" when nothing has started.

    A bar still running ends at ``now`` (default: the latest end among the bars) and is
    tagged ``active``.
    """
    started = [b for b in bars if b.started_at is not None]
    if not started:
        return ""
    ends = [b.completed_at for b in started if b.completed_at is not None]
    horizon = now or max([*ends, *(b.started_at for b in started)])
    lines = [
        "```mermaid",
        "gantt",
        f"    title {_label(title)}",
        "    dateFormat x",
        "    axisFormat %H:%M:%S",
    ]
    section = None
    for n, bar in enumerate(started):
        if bar.section != section:
            section = bar.section
            lines.append(f"    section {_label(section)}")
        end = bar.completed_at or horizon
        # a zero-length bar is invisible: give it one millisecond
        start_ms, end_ms = _ms(bar.started_at), max(_ms(end), _ms(bar.started_at) + 1)
        tag = "active" if bar.completed_at is None else _TAGS.get(bar.conclusion or "", "done")
        lines.append(f"    {TASK_PREFIX}{_label(bar.name)} :{tag}, t{n}, {start_ms}, {end_ms}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def bars_from_jobs(jobs: Iterable[JobTiming]) -> list[Bar]:
    """One bar per job that ran, sectioned by stage (the part before `` / ``), by start time.

    Skipped jobs (GitHub gives them a start and end in the same second) get no bar: the
    table lists them.
    """
    out = []
    for job in jobs:
        if job.started_at is None or job.conclusion == "skipped":
            continue
        name = job.name.removeprefix(job.stage).removeprefix(" / ") or job.name
        out.append(Bar(job.stage, name, job.started_at, job.completed_at, job.conclusion))
    out.sort(key=lambda b: (b.started_at, b.section, b.name))
    # keep each stage's bars together, stages in order of their first start
    first: dict[str, int] = {}
    for i, bar in enumerate(out):
        first.setdefault(bar.section, i)
    return sorted(out, key=lambda b: first[b.section])


def bars_from_stages(stages: Iterable[StageTiming], section: str = "stages") -> list[Bar]:
    """One bar per started stage (a rehearsal's pipes), in one section."""
    return [
        Bar(section, s.name, s.started_at, s.completed_at, s.conclusion)
        for s in stages
        if s.started_at is not None
    ]
