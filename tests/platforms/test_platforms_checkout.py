from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.platforms.checkout import verify_tag
from cpython_release.platforms.cliargs import commit_time
from cpython_release.platforms.runner import (
    Call,
    CommandResult,
    RecordingRunner,
    SubprocessRunner,
)
from cpython_release.version import ReleaseVersion
from platforms.platforms_helpers import COMMIT

V = ReleaseVersion.parse("3.14.0rc2")
REV = ("git", "rev-parse", "--verify", "--quiet", "refs/tags/v3.14.0rc2^{commit}")


def test_tag_and_head_match(rec: RecordingRunner, tmp_path: Path) -> None:
    rec.respond(REV, stdout=COMMIT + "\n")
    rec.respond(["git", "rev-parse", "HEAD"], stdout=COMMIT + "\n")
    assert verify_tag(rec, tmp_path, V, COMMIT) == COMMIT
    assert rec.argvs() == [REV, ("git", "rev-parse", "HEAD")]
    assert all(c.cwd == tmp_path for c in rec.calls)


def test_missing_tag_is_fetched_once(tmp_path: Path) -> None:
    answers = iter([1, 0])
    rec = RecordingRunner()

    def rev(call: Call) -> CommandResult | None:
        if call.argv == REV:
            code = next(answers)
            return CommandResult(call.argv, code, COMMIT if code == 0 else "")
        return None

    rec.responders.append(rev)
    rec.respond(["git", "rev-parse", "HEAD"], stdout=COMMIT)
    verify_tag(rec, tmp_path, V, COMMIT)
    assert rec.argvs()[1] == (
        "git",
        "fetch",
        "--no-tags",
        "--depth=1",
        "origin",
        "+refs/tags/v3.14.0rc2:refs/tags/v3.14.0rc2",
    )


def test_tag_missing_after_fetch(rec: RecordingRunner, tmp_path: Path) -> None:
    rec.respond(REV, returncode=1)
    with pytest.raises(CheckFailed, match=r"tag v3\.14\.0rc2 does not exist"):
        verify_tag(rec, tmp_path, V, COMMIT)


def test_mismatch_names_both_commits(rec: RecordingRunner, tmp_path: Path) -> None:
    other = "f" * 40
    rec.respond(REV, stdout=other)
    rec.respond(["git", "rev-parse", "HEAD"], stdout=other)
    with pytest.raises(CheckFailed) as info:
        verify_tag(rec, tmp_path, V, COMMIT)
    assert info.value.problems == [
        f"v3.14.0rc2 points to {other}, expected {COMMIT}",
        f"the checkout is at {other}, expected {COMMIT}",
    ]


def test_short_sha_is_bad_input(rec: RecordingRunner, tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        verify_tag(rec, tmp_path, V, "abc123")
    assert rec.calls == []


def test_real_git_repository(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "release",
    )
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "tag",
        "-a",
        "-m",
        "t",
        "v3.14.0rc2",
    )
    head = git("rev-parse", "HEAD")
    assert verify_tag(SubprocessRunner(io.StringIO()), tmp_path, V, head) == head
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "later",
    )
    with pytest.raises(CheckFailed, match="not the tagged release commit"):
        verify_tag(SubprocessRunner(io.StringIO()), tmp_path, V, head)


def test_created_from_a_checkout(tmp_path: Path) -> None:
    env = {
        "GIT_COMMITTER_DATE": "2025-08-12T12:00:00Z",
        "GIT_AUTHOR_DATE": "2025-08-12T12:00:00Z",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", "x"],
        check=True,
        env={**os.environ, **env},
    )
    assert commit_time(SubprocessRunner(io.StringIO()), tmp_path) == 1755000000
    rec = RecordingRunner()
    rec.respond(["git", "log"], stdout="not a time\n")
    with pytest.raises(BadInput, match="cannot read the commit time"):
        commit_time(rec, tmp_path)


def test_missing_tag_says_why_the_fetch_failed(tmp_path: Path) -> None:
    """A real repository without the tag and without an origin: git's reason is shown."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(CheckFailed) as info:
        verify_tag(SubprocessRunner(io.StringIO()), tmp_path, V, COMMIT)
    assert "tag v3.14.0rc2 does not exist" in str(info.value)
    assert "fetching it from origin failed" in str(info.value)
    assert any("origin" in p and p.startswith("fatal:") for p in info.value.problems), info.value


def test_missing_checkout_is_bad_input(rec: RecordingRunner, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such checkout"):
        verify_tag(rec, tmp_path / "nowhere", V, COMMIT)
    assert rec.calls == []
