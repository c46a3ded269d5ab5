"""Fixtures for the build-source tests: one small demo repository per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpython_release.demo_repo import DemoRepo, make_demo_repo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRepo:
    """The small demo repository (3.13.5). Tests must not modify it."""
    return make_demo_repo(tmp_path_factory.mktemp("demo") / "cpython", "3.13.5")


@pytest.fixture
def fresh_demo(tmp_path: Path) -> DemoRepo:
    """A private demo repository a test may modify."""
    return make_demo_repo(tmp_path / "cpython", "3.13.5")


@pytest.fixture(scope="session")
def built(demo: DemoRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's archives and fragment, built once through the CLI (read-only)."""
    from cpython_release.cli import main

    out = tmp_path_factory.mktemp("built")
    code = main(
        [
            "build-source",
            demo.version,
            "--repo",
            str(demo.path),
            "--commit",
            demo.commit,
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out
