"""The plan workflow under act: the toolkit installs from its own checkout and plans."""

from __future__ import annotations

import json

import pytest

from act_harness import ActHarness

pytestmark = pytest.mark.act
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_plan_workflow_dispatch(act: ActHarness) -> None:
    run = act.run("plan.yml", inputs={"version": "3.14.0rc2", "commit": SHA})
    run.assert_jobs(ran={"plan"})
    out = run.outputs("plan")
    assert out["docs"] == "true" and out["ios"] == "false" and out["tag"] == "v3.14.0rc2"
    assert [m["runner"] for m in json.loads(out["windows-matrix"])["include"]] == [
        "windows-2025",
        "windows-2025",
        "windows-11-arm",
    ]
    assert run.returncode == 0


def test_plan_workflow_rejects_bad_version(act: ActHarness) -> None:
    run = act.run("plan.yml", inputs={"version": "3.14", "commit": SHA})
    assert run.job_results.get("plan") == "failure"
    assert "not a CPython release version: '3.14'" in run.text()
    assert run.returncode != 0
