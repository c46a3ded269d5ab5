"""``cpython-release summary`` and ``timeline_table``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cpython_release.summary import (
    StageTiming,
    format_duration,
    parse_jobs,
    runner_minutes,
    stages_from_jobs,
    timeline_table,
)
from fakes_gh_issues import FakeGitHub

Cli = Callable[..., Any]
JOBS = Path(__file__).parent / "data" / "jobs" / "release-run.json"
REPO = "rehearsal-org/cpython-release"
# Hand-computed from the fixture: per job ceil(duration / 60), skipped and running jobs 0.
# plan 30s->1, blockers 60s->1, source 721s->13, win amd64 2400s->40, win arm64 2701s->46,
# macos 1685s->29, android skipped->0, sign 180s->3, verify 121s->3, publish 180s->3,
# verify-published 7s->1.
EXPECTED_MINUTES = 140
TAG_TIME = "2026-11-21T09:58:00Z"  # published 10:55:20 -> 57m 20s
EXPECTED_TAG_TO_PUBLISHED = 57 * 60 + 20


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (None, 0), (0.4, 1), (60, 1), (60.5, 2), (3599, 60)]
)
def test_runner_minutes_round_up_per_job(seconds: float | None, minutes: int) -> None:
    assert runner_minutes(seconds) == minutes


def test_record_from_saved_jobs_json(
    cli: Cli, tmp_path: Path, actions_env: dict[str, Path]
) -> None:
    record_path = tmp_path / "out" / "record.json"
    res = cli(
        "summary", "--jobs-json", str(JOBS), "--tag-time", TAG_TIME, "--record", str(record_path)
    )
    assert res.code == 0, res.err
    record = json.loads(record_path.read_text())
    assert record["schema"] == "cpython-release/run-record-v1"
    assert record["totals"]["runner_minutes"] == EXPECTED_MINUTES
    assert record["totals"]["jobs"] == 12
    assert record["totals"]["jobs_in_progress"] == 1
    assert record["published_at"] == "2026-11-21T10:55:20Z"
    assert record["tag_to_published_s"] == EXPECTED_TAG_TO_PUBLISHED
    by_name = {j["name"]: j for j in record["jobs"]}
    win = by_name["build-windows / build (arm64)"]
    assert (win["duration_s"], win["runner_minutes"], win["conclusion"]) == (2701.0, 46, "success")
    assert win["started_at"] == "2026-11-21T10:01:52Z"
    assert by_name["build-mobile / android (aarch64)"]["runner_minutes"] == 0
    assert by_name["summary"]["duration_s"] is None
    stages = {s["name"]: s for s in record["stages"]}
    # A stage spans its jobs: windows from the first start to the last end.
    assert stages["build-windows"]["jobs"] == 2
    assert stages["build-windows"]["duration_s"] == (46 * 60 + 53) - (1 * 60 + 50)
    assert stages["build-windows"]["runner_minutes"] == 86
    assert stages["build-mobile"]["conclusion"] == "skipped"
    assert stages["summary"]["conclusion"] is None
    summary = actions_env["summary"].read_text()
    assert "| build-windows | 2 | +1m 45s | 45m 03s | 86 | success |" in summary
    assert f"**{EXPECTED_MINUTES}**" in summary
    assert "Tag to published: **57m 20s**" in summary
    assert "1 job(s) still running" in summary
    assert f"{EXPECTED_MINUTES} runner minutes" in res.out


def test_published_at_override_and_no_tag_time(cli: Cli, tmp_path: Path) -> None:
    record_path = tmp_path / "record.json"
    res = cli(
        "summary",
        "--jobs-json",
        str(JOBS),
        "--publish-job",
        "no-such-job",
        "--record",
        str(record_path),
    )
    assert res.code == 0
    record = json.loads(record_path.read_text())
    assert record["published_at"] is None and record["tag_to_published_s"] is None
    assert "not published in this run" in res.out  # outside Actions the table goes to stdout
    res = cli(
        "summary",
        "--jobs-json",
        str(JOBS),
        "--tag-time",
        "1795251480",
        "--published-at",
        "2026-11-21T09:59:00+00:00",
        "--record",
        str(record_path),
    )
    record = json.loads(record_path.read_text())
    # 1795251480 = 2026-11-21T08:58:00Z
    assert record["tag_to_published_s"] == 3660


def test_from_api_with_pagination(cli: Cli, fake_github: FakeGitHub, tmp_path: Path) -> None:
    jobs = json.loads(JOBS.read_text())["jobs"]
    fake_github.add_run(
        REPO,
        77,
        jobs,
        {"id": 77, "name": "Release", "event": "push", "run_attempt": 1, "head_sha": "a" * 40},
    )
    fake_github.max_per_page = 4
    record_path = tmp_path / "record.json"
    res = cli(
        "summary",
        "--from-api",
        "--run-id",
        "77",
        "--repository",
        REPO,
        "--github-api",
        fake_github.url,
        "--tag-time",
        TAG_TIME,
        "--record",
        str(record_path),
        "--retries",
        "0",
    )
    assert res.code == 0, res.err
    record = json.loads(record_path.read_text())
    assert record["totals"]["runner_minutes"] == EXPECTED_MINUTES
    assert record["run"]["name"] == "Release" and record["run"]["id"] == 77
    pages = [q.get("page", "1") for m, p, q in fake_github.log if p.endswith("/77/jobs")]
    assert pages == ["1", "2", "3"]


def test_from_api_errors_exit_2(cli: Cli, fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_run(REPO, 77, [])
    res = cli(
        "summary",
        "--from-api",
        "--run-id",
        "78",
        "--repository",
        REPO,
        "--github-api",
        fake_github.url,
        "--retries",
        "0",
        "--record",
        str(tmp_path / "r.json"),
    )
    assert res.code == 2
    assert "answered HTTP 404: Not Found" in res.err
    res = cli(
        "summary",
        "--from-api",
        "--run-id",
        "77",
        "--repository",
        REPO,
        "--github-api",
        fake_github.url,
        "--retries",
        "0",
        "--record",
        str(tmp_path / "r.json"),
    )
    assert res.code == 2
    assert "the run has no jobs" in res.err
    res = cli("summary", "--from-api", "--repository", REPO)
    assert res.code == 2 and "--run-id" in res.err


def test_bad_jobs_json(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"jobs": [{"name": "x", "started_at": "yesterday"}]}')
    res = cli("summary", "--jobs-json", str(bad), "--record", str(tmp_path / "r.json"))
    assert res.code == 2
    assert "not an ISO 8601 time" in res.err
    res = cli("summary", "--jobs-json", str(tmp_path / "missing.json"))
    assert res.code == 2 and "cannot read jobs JSON" in res.err


def test_timeline_table_for_local_stages() -> None:
    t0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    stages = [
        StageTiming("build-source", t0, t0 + timedelta(minutes=6), "success"),
        StageTiming("sign", t0 + timedelta(minutes=6), t0 + timedelta(minutes=8), "success"),
        StageTiming("verify", t0 + timedelta(minutes=8), None, None),
    ]
    table = timeline_table(stages)
    lines = table.splitlines()
    assert lines[0] == "| Stage | Jobs | Start | Duration | Runner min | Result | Timeline |"
    assert lines[2].startswith("| build-source | 1 | +0s | 6m 00s | - | success | `")
    # 24 cells over 8 minutes: build-source fills the first 18, sign the last 6.
    assert "`" + "█" * 18 + "·" * 6 + "`" in lines[2]
    assert "`" + "·" * 18 + "█" * 6 + "`" in lines[3]
    assert "| verify | 1 | +8m 00s | - | - | running |" in lines[4]
    assert lines[5] == "| **total** | 3 |  | 8m 00s | - |  |  |"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0, "0s"), (0.42, "0.4s"), (7, "7s"), (59.6, "1m 00s"), (3725, "1h 02m 05s")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_parse_jobs_accepts_pages_and_lists() -> None:
    page = json.loads(JOBS.read_text())
    jobs = page["jobs"]
    assert len(parse_jobs([{"jobs": jobs[:5]}, {"jobs": jobs[5:]}])) == 12
    assert len(parse_jobs(jobs)) == 12
    names = [s.name for s in stages_from_jobs(parse_jobs(page))]
    assert names[:3] == ["plan", "blockers", "build-mobile"]
    assert names[-1] == "summary"


def test_job_prefix_scopes_to_one_nightly_leg(cli: Cli, tmp_path: Path) -> None:
    jobs = json.loads(JOBS.read_text())["jobs"]
    legs = []
    for branch in ("main", "3.14"):
        for job in jobs:
            legs.append(dict(job, name=f"nightly {branch} / {job['name']}"))
    legs.append(dict(jobs[0], name="select"))
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"total_count": len(legs), "jobs": legs}))
    record_path = tmp_path / "record.json"
    res = cli(
        "summary",
        "--jobs-json",
        str(path),
        "--job-prefix",
        "nightly 3.14",
        "--record",
        str(record_path),
    )
    assert res.code == 0, res.err
    record = json.loads(record_path.read_text())
    assert record["totals"]["runner_minutes"] == EXPECTED_MINUTES
    assert [s["name"] for s in record["stages"]][:2] == ["plan", "blockers"]
    assert "| build-windows | 2 |" in res.out
    res = cli(
        "summary",
        "--jobs-json",
        str(path),
        "--job-prefix",
        "nightly 3.13",
        "--record",
        str(record_path),
    )
    assert res.code == 2 and "no job of the run is named 'nightly 3.13'" in res.err


@pytest.mark.parametrize("caller", ["", "nightly / "])
def test_a_fork_caller_adds_its_own_segment(cli: Cli, tmp_path: Path, caller: str) -> None:
    """Through the caller template (job ``nightly``), GitHub names the legs
    ``nightly / nightly 3.14 / ...``: the leg's timeline and its result are still found."""
    from cpython_release.nightly import result_from_jobs
    from cpython_release.summary import parse_jobs

    jobs = json.loads(JOBS.read_text())["jobs"]
    legs = [
        dict(j, name=f"{caller}nightly {b} / {j['name']}") for b in ("3.14", "3.1") for j in jobs
    ]
    legs.append(dict(jobs[0], name=f"{caller}track 3.14", conclusion="failure"))
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"total_count": len(legs), "jobs": legs}))
    record_path = tmp_path / "record.json"
    res = cli("summary", "--jobs-json", str(path), "--job-prefix", "nightly 3.14",
              "--record", str(record_path))  # fmt: skip
    assert res.code == 0, res.err
    record = json.loads(record_path.read_text())
    assert record["totals"]["runner_minutes"] == EXPECTED_MINUTES  # one leg, not both
    assert [s["name"] for s in record["stages"]][:2] == ["plan", "blockers"]
    # the track job's own failure is not the leg's (jobs still running are left out here)
    done = [j for j in parse_jobs(legs) if j.completed_at is not None]
    assert result_from_jobs(done, "nightly 3.14") == "success"
    assert result_from_jobs(done, "track 3.14") == "failure"


def test_tag_time_from_the_api(cli: Cli, fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_tag("python/cpython", "v3.14.2", "2026-11-21T09:58:00Z")
    fake_github.add_tag("python/cpython", "v3.14.1", "2026-11-21T10:00:00Z", annotated=False)
    record_path = tmp_path / "record.json"
    common = (
        "--jobs-json",
        str(JOBS),
        "--github-api",
        fake_github.url,
        "--retries",
        "0",
        "--tag-repository",
        "python/cpython",
        "--record",
        str(record_path),
    )
    res = cli("summary", *common, "--tag", "v3.14.2")
    assert res.code == 0, res.err
    record = json.loads(record_path.read_text())
    assert record["tag_time"] == "2026-11-21T09:58:00Z"
    assert record["tag_to_published_s"] == EXPECTED_TAG_TO_PUBLISHED
    res = cli("summary", *common, "--tag", "v3.14.1")
    assert json.loads(record_path.read_text())["tag_to_published_s"] == 55 * 60 + 20
    res = cli("summary", *common, "--tag", "v3.14.9")
    assert res.code == 2 and "(tag v3.14.9 of python/cpython) answered HTTP 404" in res.err
    res = cli("summary", *common, "--tag", "v3.14.2", "--tag-time", TAG_TIME)
    assert res.code == 2 and "not both" in res.err


def test_the_publish_journal_is_kept_in_the_run_record(
    cli: Cli, tmp_path: Path, actions_env: dict[str, Path]
) -> None:
    from cpython_release.publish.journal import Journal

    path = tmp_path / "publish-journal.jsonl"
    first = Journal(path, stream=io.StringIO())
    first.change("sftp", "rename", "/srv/www.python.org/ftp/python/3.14.0")
    first.failed("api", "POST", "https://www.python.org/api/v1/downloads/release_file/", "500")
    first.end("failed", 1, "python.org API: 500")
    # The re-run was killed (SIGKILL): no end line; what it did is still there.
    second = Journal(path, stream=io.StringIO())
    second.change("api", "POST", "https://www.python.org/api/v1/downloads/release/", "/1/")
    second.change("sftp", "put", "/srv/.../.staging/x")
    record_path = tmp_path / "record.json"
    res = cli(
        "summary",
        "--jobs-json",
        str(JOBS),
        "--record",
        str(record_path),
        "--publish-journal",
        str(path),
    )
    assert res.code == 0, res.err
    got = json.loads(record_path.read_text())["publish_journal"]
    assert got["runs"] == 2 and got["status"] == "killed" and got["exit"] is None
    assert got["changes"] == 2 and got["counts"] == {"api POST": 1, "sftp put": 1}
    assert [e["op"] for e in got["entries"]] == ["POST"]  # staging writes only counted
    assert "the run was killed" in actions_env["summary"].read_text()
    # A finished run: its status, and the steps left to a person.
    third = Journal(path, stream=io.StringIO())
    third.last_step("write the release page text", "https://www.python.org/admin/x/")
    third.end("ok", 0)
    cli(
        "summary",
        "--jobs-json",
        str(JOBS),
        "--record",
        str(record_path),
        "--publish-journal",
        str(path),
    )
    got = json.loads(record_path.read_text())["publish_journal"]
    assert got["status"] == "ok" and got["changes"] == 0
    assert got["last_steps"] == [
        {"what": "write the release page text", "url": "https://www.python.org/admin/x/"}
    ]
    assert "Left to a release manager: write the release page text" in (
        actions_env["summary"].read_text()
    )
    # No journal (nothing was published): recorded as such.
    cli(
        "summary",
        "--jobs-json",
        str(JOBS),
        "--record",
        str(record_path),
        "--publish-journal",
        str(tmp_path / "none.jsonl"),
    )
    assert json.loads(record_path.read_text())["publish_journal"] is None


def test_from_api_unreachable_exits_1_and_bad_run_id_exits_2(cli: Cli, tmp_path: Path) -> None:
    common = ["--repository", REPO, "--github-api", "http://127.0.0.1:9", "--retries", "0"]
    record = ["--record", str(tmp_path / "r.json")]
    res = cli("summary", "--from-api", "--run-id", "5", *common, *record)
    assert res.code == 1 and "could not reach the GitHub API (run 5 of" in res.err
    res = cli("summary", "--from-api", "--run-id", "5x", *common, *record)
    assert res.code == 2 and "run id must be a number" in res.err
    assert not (tmp_path / "r.json").exists()
