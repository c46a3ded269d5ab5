"""The signing environment follows from the mode; SETUP.md restricts it (issue 10, item 5)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return data


def test_sign_environment_is_not_a_caller_input() -> None:
    sign = _workflow("sign.yml")
    inputs = sign[True]["workflow_call"]["inputs"]  # YAML 1.1 reads "on" as True
    assert "environment" not in inputs
    assert sign["jobs"]["sign"]["environment"] == (
        "${{ inputs.nightly && 'nightly' || 'release-signing' }}"
    )
    release = _workflow("release.yml")
    assert "environment" not in release["jobs"]["sign"]["with"]
    assert "signing-environment" not in release[True]["workflow_call"]["inputs"]
    nightly = _workflow("nightly.yml")
    assert "signing-environment" not in nightly["jobs"]["nightly"]["with"]


def test_no_workflow_passes_a_flag_that_accepts_unverified_files() -> None:
    for path in [*(ROOT / ".github" / "workflows").glob("*.yml"), ROOT / "action.yml"]:
        text = path.read_text()
        assert not re.search(r"allow-unsigned(?!-installers)|allow-needs-online", text), path
    release = _workflow("release.yml")
    for job in ("verify", "verify-published"):
        key = release["jobs"][job]["with"]["signer-key"]
        assert key.startswith("${{ inputs.mode != 'release' && "), key  # never for a release


def test_setup_restricts_release_signing_to_v_tags_with_reviewers() -> None:
    setup = (ROOT / "workflows" / "SETUP.md").read_text()
    section = setup[setup.index("`release-signing`:") : setup.index("`release-publish`:")]
    assert "**required reviewers**" in section
    assert "**tag** `v*` (no branch rules)" in section
    assert "refs/tags/vVERSION" in section
