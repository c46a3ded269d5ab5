"""The upgrade check in the run record: what it found, what was waived, how long it took."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.output import markdown_inert

#: The job's name in release.yml (the jobs API reports it under this name).
JOB = "upgrade-safety"


def record_entry(report_path: Path, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """The record's ``upgrade_safety``: ``{"status": "not run"}`` when there is no report
    (the job was skipped, or stopped before the check)."""
    job = next((j for j in jobs if str(j.get("name", "")).startswith(JOB)), None)
    job_s = job.get("duration_s") if job else None
    if not report_path.is_file():
        return {"status": "not run", "job_s": job_s}
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        findings = report["findings"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"--upgrade-report {report_path}: not an upgrade-check report") from exc
    return {
        "status": report.get("result"),
        "reason": report.get("reason", ""),
        "from": report.get("from"),
        "to_commit": report.get("to_commit"),
        "unwaived": report.get("unwaived"),
        "check_s": report.get("seconds"),
        "job_s": job_s,
        "checks": {c["name"]: c["status"] for c in report.get("checks", [])},
        "findings": [
            {
                k: f.get(k)
                for k in ("kind", "commit", "gh_issue", "subject", "waived", "waiver_reason")
            }
            for f in findings
        ],
        "waivers": report.get("waivers", []),
    }


def record_markdown(entry: dict[str, Any]) -> str:
    if entry["status"] == "not run":
        return "\n- Upgrade safety: not run\n"
    if entry["status"] == "skipped":
        return f"\n- Upgrade safety: skipped ({markdown_inert(str(entry['reason']))})\n"
    if entry["status"] == "incomplete":
        # the report written when the check started was never replaced by its result
        return (
            f"\n- Upgrade safety from {entry['from']}: **did not finish** (the job stopped "
            "before the check completed: a timeout, a failed step or a cancellation)\n"
        )
    waived = sum(1 for f in entry["findings"] if f["waived"])
    return (
        f"\n- Upgrade safety from {entry['from']}: **{entry['status']}**, "
        f"{len(entry['findings'])} finding(s), {waived} waived, check {entry['check_s']} s\n"
    )
