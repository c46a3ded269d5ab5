"""Fixtures for the sign stage tests (helpers live in sign_support.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sign.sign_support import (
    FakeSigstore,
    GpgTestKey,
    Release,
    clear_ambient_identity,
    generate_gpg_key,
    make_release,
)


@pytest.fixture
def release(tmp_path: Path) -> Release:
    return make_release(tmp_path)


@pytest.fixture
def release_314(tmp_path: Path) -> Release:
    return make_release(tmp_path, "3.14.0rc2")


@pytest.fixture
def fake_sigstore() -> FakeSigstore:
    return FakeSigstore()


@pytest.fixture(scope="session")
def gpg_key() -> Iterator[GpgTestKey]:
    """An ed25519 key with a passphrase, made once per session by real GnuPG."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    with generate_gpg_key() as key:
        yield key


@pytest.fixture
def no_ambient_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_ambient_identity(monkeypatch)
