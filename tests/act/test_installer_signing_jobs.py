"""Installer-signing secrets live only in jobs bound to an environment (issue 10, item 9).

Windows (AZURE_*) and macOS (MACOS_*) signing secrets must never reach a job without an
``environment:``: the build jobs, which also run the PGO test suite, hold none. Release mode
asks those jobs to refuse unsigned installers unless the release explicitly allows them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SIGNING_SECRET = re.compile(r"secrets\.(AZURE_|MACOS_)\w+")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def signing_secret_jobs(workflow: dict[str, Any]) -> dict[str, bool]:
    """job id -> bound to an environment, for every job that reads a signing secret."""
    out = {}
    for job_id, job in (workflow.get("jobs") or {}).items():
        if "uses" in job:
            continue  # secrets passed on to a reusable workflow are checked there
        if SIGNING_SECRET.search(yaml.safe_dump(job)):
            out[job_id] = bool(job.get("environment"))
    return out


def test_signing_secrets_only_in_environment_jobs() -> None:
    found = {}
    for path in WORKFLOWS:
        for job_id, bound in signing_secret_jobs(_load(path)).items():
            found[f"{path.name}:{job_id}"] = bound
    assert found == {"build-windows.yml:package": True, "build-macos.yml:package": True}


def test_the_check_sees_an_unbound_job() -> None:
    workflow = {"jobs": {"build": {"steps": [{"env": {"X": "${{ secrets.AZURE_CLIENT_ID }}"}}]}}}
    assert signing_secret_jobs(workflow) == {"build": False}


def test_build_jobs_hold_no_secret_and_packaging_follows_them() -> None:
    for name in ("build-windows.yml", "build-macos.yml"):
        jobs = _load(ROOT / ".github" / "workflows" / name)["jobs"]
        assert "secrets." not in yaml.safe_dump(jobs["build"]), name
        assert jobs["package"]["needs"] == "build"
        assert jobs["package"]["environment"] == "${{ inputs.signing-environment }}"
        assert "--require-signed" in jobs["package"]["env"]["REQUIRE_SIGNED"]


def test_release_mode_requires_signed_installers_unless_allowed() -> None:
    release = _load(ROOT / ".github" / "workflows" / "release.yml")
    for job in ("build-windows", "build-macos"):
        given = release["jobs"][job]["with"]
        assert given["require-signed"] == (
            "${{ inputs.mode == 'release' && !inputs.allow-unsigned-installers }}"
        )
    on = release[True]  # type: ignore[index]  # YAML 1.1 reads the `on` key as True
    assert on["workflow_call"]["inputs"]["allow-unsigned-installers"]["default"] is False
    assert on["workflow_dispatch"]["inputs"]["allow-unsigned-installers"]["default"] is False
    steps = release["jobs"]["summary"]["steps"]
    said = [s for s in steps if "allow-unsigned-installers" in str(s.get("if", ""))]
    assert said and "UNSIGNED" in said[0]["run"]
