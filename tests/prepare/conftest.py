"""A branch head between releases, as ``prepare`` starts from: the demo repository one fix
past v3.13.5 (PY_VERSION ``3.13.5+``, news entries in ``Misc/NEWS.d/next``), on ``3.13``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpython_release.demo_repo import make_demo_repo
from cpython_release.rehearsal.ephemeral_gpg import EphemeralKey, generate
from prepare.prepare_helpers import git


@pytest.fixture(scope="session")
def _pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_demo_repo(tmp_path_factory.mktemp("demo") / "cpython", past_tag=True).path
    git(repo, "checkout", "-q", "3.13")
    return repo


@pytest.fixture
def demo(_pristine: Path, tmp_path: Path) -> Path:
    """A fresh clone of the pristine demo (its own branches and tags), on 3.13."""
    repo = tmp_path / "cpython"
    subprocess.run(["git", "clone", "-q", str(_pristine), str(repo)], check=True)
    git(repo, "checkout", "-q", "3.13")
    git(repo, "config", "user.name", "Release Manager")
    git(repo, "config", "user.email", "rm@example.org")
    return repo


@pytest.fixture(scope="session")
def rm_key(tmp_path_factory: pytest.TempPathFactory) -> EphemeralKey:
    return generate(tmp_path_factory.mktemp("rmkey"))


@pytest.fixture
def signing(rm_key: EphemeralKey, monkeypatch: pytest.MonkeyPatch) -> Iterator[EphemeralKey]:
    monkeypatch.setenv("GPG_PRIVATE_KEY", rm_key.armored_secret)
    monkeypatch.delenv("GPG_PASSPHRASE", raising=False)
    yield rm_key
