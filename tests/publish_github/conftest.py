"""Fixtures for the GitHub publisher: a fake GitHub and small, real release directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes_github import FakeGitHub, start_server
from fakes_github.release_dir import REPO, ReleaseDir, make_release


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with start_server(repos=(REPO,)) as gh:
        yield gh


@pytest.fixture
def release(tmp_path: Path) -> ReleaseDir:
    return make_release(tmp_path / "release")
