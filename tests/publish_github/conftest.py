"""Fixtures for the GitHub publisher: a fake GitHub and small, real release directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes_github import FakeGitHub, start_server
from fakes_github.release_dir import ReleaseDir, make_release

from cpython_release.publish.github_release import Pacing

REPO = "octo/cpython"
# No pauses between requests and no retry backoff: the fake answers at once.
TEST_PACING = Pacing(
    write_interval=0.0, read_interval=0.0, retries=2, retry_backoff=0.0, upload_attempts=3,
    timeout=20,
)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with start_server(repos=(REPO,)) as gh:
        yield gh


@pytest.fixture
def release(tmp_path: Path) -> ReleaseDir:
    return make_release(tmp_path / "release")
