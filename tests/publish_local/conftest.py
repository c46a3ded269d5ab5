"""Fixtures for the local publish target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.manifest import Manifest
from publish_local.release_factory import make_release, with_signer


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Manifest]:
    directory = tmp_path / "artifacts"
    return directory, make_release(directory)


@pytest.fixture
def cli(cli: Callable[..., Any]) -> Callable[..., Any]:
    """The shared ``cli``; ``publish`` is told the key that signed the test releases
    (publish checks the manifest's signature: tests/verify/test_publish_checks_signature.py)."""

    def run(*args: str) -> Any:
        return cli(*with_signer(args))

    return run
