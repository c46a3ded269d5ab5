"""The Mermaid Gantt chart beside the run summary's table (and the rehearsal's)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cpython_release.gantt import TASK_PREFIX, Bar, bars_from_jobs, bars_from_stages, gantt_chart
from cpython_release.summary import StageTiming, parse_jobs

Cli = Callable[..., Any]
JOBS = Path(__file__).parent / "data" / "jobs" / "release-run.json"
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MS0 = int(T0.timestamp() * 1000)
TASK = re.compile(r"^    \u25b8 (?P<name>[^:]+) :(?P<tag>\w+), t\d+, (?P<start>\d+), (?P<end>\d+)$")


def tasks(chart: str) -> list[tuple[str, str, int, int]]:
    out = []
    for line in chart.splitlines():
        m = TASK.match(line)
        if m:
            out.append((m["name"], m["tag"], int(m["start"]), int(m["end"])))
    return out


def test_chart_of_stages_has_exact_times_and_tags() -> None:
    stages = [
        StageTiming("build-source", T0, T0 + timedelta(seconds=90), "success"),
        StageTiming("sbom", None, None, "skipped"),  # never started: no bar
        StageTiming("sign", T0 + timedelta(seconds=90), T0 + timedelta(seconds=91.5), "failure"),
        StageTiming("verify", T0 + timedelta(seconds=92), None, None),
    ]
    chart = gantt_chart(bars_from_stages(stages), title="Release rehearsal")
    assert chart.startswith("```mermaid\ngantt\n    title Release rehearsal\n    dateFormat x\n")
    assert chart.endswith("```\n")
    assert tasks(chart) == [
        ("build-source", "done", MS0, MS0 + 90_000),
        ("sign", "crit", MS0 + 90_000, MS0 + 91_500),
        # still running: ends at the latest known moment, tagged active
        ("verify", "active", MS0 + 92_000, MS0 + 92_001),
    ]


def test_names_cannot_break_the_mermaid_syntax() -> None:
    bar = Bar("a: b", "build #1: x;y\nz", T0, T0, "success")
    chart = gantt_chart([bar], title="run: 1")
    assert "    section a b" in chart
    assert tasks(chart) == [("build 1 x,y z", "done", MS0, MS0 + 1)]
    assert "title run 1" in chart


def test_nothing_started_means_no_chart() -> None:
    assert gantt_chart([], title="x") == ""
    assert gantt_chart(bars_from_stages([StageTiming("a", None, None, None)]), title="x") == ""


def test_jobs_are_grouped_by_stage_in_order_of_start() -> None:
    jobs = parse_jobs(json.loads(JOBS.read_text()))
    bars = bars_from_jobs(jobs)
    sections = [b.section for b in bars]
    # each stage's bars are together; the skipped android job gets no bar
    runs = [s for i, s in enumerate(sections) if i == 0 or sections[i - 1] != s]
    assert len(runs) == len(set(runs)), sections
    assert runs[:3] == ["plan", "blockers", "build-source"]
    assert [b.name for b in bars if b.section == "build-windows"] == [
        "build (amd64)",
        "build (arm64)",
    ]
    assert "build-mobile" not in sections


def test_summary_puts_the_chart_beside_the_table(
    cli: Cli, tmp_path: Path, actions_env: dict[str, Path]
) -> None:
    res = cli("summary", "--jobs-json", str(JOBS), "--record", str(tmp_path / "r.json"))
    assert res.code == 0, res.err
    summary = actions_env["summary"].read_text()
    table_at = summary.index("| Stage | Jobs |")
    chart_at = summary.index("```mermaid\ngantt\n")
    assert table_at < chart_at < summary.index("<details>")
    chart = summary[chart_at : summary.index("```\n", chart_at + 3) + 4]
    names = [t[0] for t in tasks(chart)]
    assert "build (arm64)" in names and "publish" in names
    arm64 = next(t for t in tasks(chart) if t[0] == "build (arm64)")
    assert arm64[3] - arm64[2] == 2701 * 1000  # the job's duration, to the millisecond
    assert "    section build-windows" in chart
    # the job still running when the summary was written has an active bar
    assert any(t[1] == "active" for t in tasks(chart))


MERMAID_KEYWORDS = re.compile(
    r"(gantt|title|section|dateformat|axisformat|tickinterval|includes|excludes|todaymarker|"
    r"acctitle|accdescr|weekday|weekend|inclusiveenddates|topaxis|click|%%|\d{4}-\d\d-\d\d)",
    re.IGNORECASE,
)


def test_no_job_name_can_start_a_line_with_a_mermaid_keyword() -> None:
    names = [
        "gantt",
        "2026-12-06 nightly",
        "accDescr { x",
        "%done",
        "%%{init: {'theme': 'dark'}}%%",
        "Title check",
        "dateFormat YYYY",
        "Section A",
        "EXCLUDES weekends",
        "click t0 href x",
    ]
    bars = [Bar("s", name, T0, T0, "success") for name in names]
    chart = gantt_chart(bars, title="run")
    body = chart.splitlines()[1:-1]
    # the chart's own lines: gantt, title, dateFormat, axisFormat, one section; then tasks
    assert body[:5] == [
        "gantt",
        "    title run",
        "    dateFormat x",
        "    axisFormat %H:%M:%S",
        "    section s",
    ]
    task_lines = body[5:]
    assert len(task_lines) == len(names)
    for line in task_lines:
        assert line.startswith("    " + TASK_PREFIX), line
        assert not MERMAID_KEYWORDS.match(line.strip()), line
        assert "%%" not in line
    assert [t[0] for t in tasks(chart)][:3] == ["gantt", "2026-12-06 nightly", "accDescr { x"]
