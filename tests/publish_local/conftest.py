"""Fixtures for the local publish target."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpython_release.manifest import Manifest
from publish_local.release_factory import make_release


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Manifest]:
    directory = tmp_path / "artifacts"
    return directory, make_release(directory)
