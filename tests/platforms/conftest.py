"""Fixtures for the platform build tests: fake build trees and a recording runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cpython_release.platforms.runner import RecordingRunner
from platforms.platforms_helpers import make_mac_build_dir


@pytest.fixture
def rec() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "step-summary.md"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    yield path


@pytest.fixture
def mac_build(tmp_path: Path) -> Path:
    return make_mac_build_dir(tmp_path)
