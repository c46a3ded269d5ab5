"""Fixtures for the SBOM tests (helpers live in sbom_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbom.sbom_support import SbomRelease, make_sbom_release


@pytest.fixture
def sbom_release(tmp_path: Path) -> SbomRelease:
    return make_sbom_release(tmp_path)
