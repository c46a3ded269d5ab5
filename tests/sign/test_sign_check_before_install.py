"""sign.yml checks its toolkit checkout against job.workflow_sha before installing anything
(issue 10, item 10): the step's own shell, run for real against a git checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from act_harness import GIT_ENV

ROOT = Path(__file__).resolve().parents[2]
STEP = "Check the toolkit before installing it"


def _steps() -> list[dict[str, Any]]:
    sign = yaml.safe_load((ROOT / ".github" / "workflows" / "sign.yml").read_text())
    steps: list[dict[str, Any]] = sign["jobs"]["sign"]["steps"]
    return steps


def test_the_check_comes_before_any_install() -> None:
    names = [s.get("name") for s in _steps()]
    check = names.index(STEP)
    assert names[:check] == ["Check out the toolkit at this workflow's own commit"]
    assert _steps()[check + 1]["uses"] == "./.cpython-release/actions/setup"
    checkout = _steps()[0]["with"]
    assert checkout["ref"] == "${{ job.workflow_sha }}"
    assert checkout["repository"] == "${{ job.workflow_repository }}"


@pytest.fixture
def checkout(tmp_path: Path) -> str:
    repo = tmp_path / ".cpython-release"
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / "f").write_text("x")
    subprocess.run(["git", "-C", str(repo), "add", "f"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "c"], check=True, env=env)
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _run(tmp_path: Path, sha: str) -> tuple[subprocess.CompletedProcess[str], str]:
    step = next(s for s in _steps() if s.get("name") == STEP)
    out = tmp_path / "output"
    out.write_text("")
    ref = f"python/cpython-release/.github/workflows/sign.yml@{sha}"
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={**os.environ, "WORKFLOW_SHA": sha, "WORKFLOW_REF": ref, "GITHUB_OUTPUT": str(out)},
        capture_output=True,
        text=True,
    )
    return done, out.read_text()


def test_the_commit_the_workflow_runs_at_passes(tmp_path: Path, checkout: str) -> None:
    done, output = _run(tmp_path, checkout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert output == f"ref={checkout}\n"


@pytest.mark.parametrize("sha", ["0" * 40, "main", ""])
def test_another_commit_or_no_sha_stops_the_job(tmp_path: Path, checkout: str, sha: str) -> None:
    done, output = _run(tmp_path, sha)
    assert done.returncode == 1 and output == ""
    assert (
        f"::error::toolkit checkout is {checkout}, but this workflow runs at '{sha}'" in done.stdout
    )
