"""The sign job refuses to sign with a toolkit other than the one its workflow came from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cpython_release.demo_repo import git_env
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.sign.signer import check_toolkit_commit


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "toolkit"
    repo.mkdir()
    env = {
        **git_env(),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / "f").write_text("x")
    subprocess.run(["git", "-C", str(repo), "add", "f"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "c"], check=True, env=env)
    sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return repo, sha


def test_same_commit_passes(checkout: tuple[Path, str]) -> None:
    repo, sha = checkout
    assert check_toolkit_commit({"job_workflow_sha": sha}, repo) == sha


def test_other_commit_is_refused(checkout: tuple[Path, str]) -> None:
    repo, sha = checkout
    other = "0" * 40
    with pytest.raises(CheckFailed) as info:
        check_toolkit_commit({"job_workflow_sha": other}, repo)
    text = str(info.value)
    assert sha in text and other in text and "job.workflow_sha" in text


def test_missing_claim_and_bad_checkout(checkout: tuple[Path, str], tmp_path: Path) -> None:
    repo, sha = checkout
    with pytest.raises(CheckFailed, match="no job_workflow_sha claim"):
        check_toolkit_commit({}, repo)
    with pytest.raises(BadInput, match="not a git checkout"):
        check_toolkit_commit({"job_workflow_sha": sha}, tmp_path / "nowhere")
