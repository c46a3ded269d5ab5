"""Fixtures for the upgrade-check tests: the demo's planted 3.13.5 -> 3.13.6 case and
small git repositories a test writes commit by commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpython_release.demo_repo import DemoRepo, make_demo_repo
from upgrade.upgrade_support import GitRepo


@pytest.fixture(scope="session")
def upgrade_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRepo:
    """The demo repository with the upgrade case (v3.13.5, planted backports, v3.13.6)."""
    return make_demo_repo(tmp_path_factory.mktemp("upgrade") / "cpython", upgrade=True)


@pytest.fixture
def gitrepo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")
