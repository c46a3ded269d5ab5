"""The upgrade-safety job's place in release.yml, and its report in the run record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cpython_release.demo_repo import DemoRepo

Cli = Callable[..., Any]
RELEASE = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "release.yml"


def _jobs() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    jobs: dict[str, Any] = data["jobs"]
    return jobs


def test_the_job_runs_beside_the_builds_and_gates_the_approval() -> None:
    jobs = _jobs()
    job = jobs["upgrade-safety"]
    assert job["needs"] == "plan"  # not after the builds: in parallel with them
    assert "nightly" in job["if"] and '"bugfix", "security"' in job["if"]
    assert job["timeout-minutes"] <= 20
    # the sign job holds the approval (its environment); it needs this job, and its
    # condition fails on any failed need, so an unwaived finding stops it
    assert "upgrade-safety" in jobs["sign"]["needs"]
    assert "!failure()" in jobs["sign"]["if"]
    assert "upgrade-safety" in jobs["summary"]["needs"]
    run = "\n".join(s.get("run", "") for s in job["steps"])
    assert 'cpython-release upgrade-check "$VERSION" --repo cpython' in run
    assert "--build-old" in run and "--build-new" in run and "--waivers" in run
    assert "test-archive" in run  # the builds are the test-source job's
    # abidiff compares the builds: shared libpython builds, libabigail installed (not under
    # act, which is offline: there the committed Doc/data/python3.Y.abi dumps are compared)
    assert "enable_shared=yes" in run and 'CONFIG_SITE="$RUNNER_TEMP/upgrade-config.site"' in run
    [install] = [s for s in job["steps"] if "abigail-tools" in s.get("run", "")]
    assert "!env.ACT" in install["if"]
    names = [s.get("name", "") for s in job["steps"]]
    assert names.index(install["name"]) < names.index("Upgrade check")
    env = {k: v for s in job["steps"] for k, v in s.get("env", {}).items()}
    assert env["WAIVERS"] == "${{ inputs.upgrade-waivers }}"  # input through env, not inline


def test_the_job_takes_its_range_and_builds_from_the_cli() -> None:
    """No rule in shell: the previous release comes from ``upgrade-check --from auto`` (its
    tests: test_upgrade_previous.py), the builds' install prefixes from test-archive's
    install-dirs output; each long step has its own timeout inside the job's, so a check cut
    short still keeps its report (marked incomplete) and the summary reads it."""
    jobs = _jobs()
    steps = jobs["upgrade-safety"]["steps"]
    by_id = {s["id"]: s for s in steps if "id" in s}
    previous = by_id["previous"]["run"]
    assert "--from auto" in previous and '--mode "$MODE"' in previous
    assert "--dry-run --format github --output upgrade-report.json" in previous
    run = "\n".join(s.get("run", "") for s in steps)
    assert "git " not in run and "describe" not in run  # no tag picking in shell
    assert "_tgz/install" not in run and "${PREV//" not in run  # no hand-built layout
    assert "--workdir builds" in by_id["builds"]["run"]
    [check] = [s for s in steps if s.get("name") == "Upgrade check"]
    assert check["env"]["OLD"] == "${{ fromJSON(steps.builds.outputs.install-dirs)[0] }}"
    assert check["env"]["NEW"] == "${{ fromJSON(steps.builds.outputs.install-dirs)[1] }}"
    assert check["env"]["FROM"] == "${{ steps.previous.outputs.from }}"
    assert "--output upgrade-report.json" in check["run"]
    for step in (by_id["builds"], check):
        assert step["if"] == "steps.previous.outputs.from != ''"
    # the steps' own timeouts leave the job time to keep the report
    limited = sum(s.get("timeout-minutes", 0) for s in steps)
    assert limited and limited + 3 <= jobs["upgrade-safety"]["timeout-minutes"]
    [keep] = [s for s in steps if s.get("name") == "Keep the report"]
    assert keep["if"] == "always()"
    [download] = [
        s for s in jobs["summary"]["steps"] if s.get("name") == "The upgrade-safety report"
    ]
    assert "!= 'skipped'" in download["if"]


def _jobs_json(path: Path) -> Path:
    def job(name: str, start: str, end: str) -> dict[str, Any]:
        return {
            "id": abs(hash(name)) % 10**9,
            "name": name,
            "status": "completed",
            "conclusion": "success",
            "started_at": start,
            "completed_at": end,
            "labels": ["ubuntu-24.04"],
        }

    jobs = [
        job("plan / plan", "2026-11-21T10:00:05Z", "2026-11-21T10:00:35Z"),
        job("upgrade-safety", "2026-11-21T10:00:40Z", "2026-11-21T10:09:10Z"),
    ]
    path.write_text(json.dumps({"total_count": len(jobs), "jobs": jobs}))
    return path


def test_findings_waivers_and_wall_time_in_the_run_record(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path
) -> None:
    report = tmp_path / "upgrade-report.json"
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\nkind = "stable-abi"\ngh_issue = 140104\nreason = "abi_only"\n')
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--waivers", str(waivers), "--output", str(report))  # fmt: skip
    assert r.code == 1
    record_path = tmp_path / "record.json"
    r = cli("summary", "--jobs-json", str(_jobs_json(tmp_path / "jobs.json")),
            "--record", str(record_path), "--upgrade-report", str(report))  # fmt: skip
    assert r.code == 0, r.err
    entry = json.loads(record_path.read_text())["upgrade_safety"]
    assert entry["status"] == "findings" and entry["unwaived"] == 2
    assert entry["job_s"] == 8 * 60 + 30 and entry["check_s"] >= 0
    assert {(f["kind"], f["waived"]) for f in entry["findings"]} == {
        ("changed-tests", False), ("removed-tests", False), ("stable-abi", True)
    }  # fmt: skip
    assert entry["waivers"][0]["reason"] == "abi_only"
    assert "Upgrade safety from v3.13.5: **findings**, 3 finding(s), 1 waived" in r.out
    # a skipped job left no report: recorded as not run
    r = cli("summary", "--jobs-json", str(tmp_path / "jobs.json"), "--record", str(record_path),
            "--upgrade-report", str(tmp_path / "missing.json"))  # fmt: skip
    assert json.loads(record_path.read_text())["upgrade_safety"]["status"] == "not run"
