"""An extra, not part of the default run: ``prepare 3.11.3`` on a real CPython 3.11 tree one
fix past v3.11.2, and ``build-source`` of the tag. Runs only when
``$CPYTHON_RELEASE_REAL_TARBALL`` names the 3.11.2 source tarball (about 25 MB; the build
takes about a minute)."""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TARBALL = os.environ.get("CPYTHON_RELEASE_REAL_TARBALL", "")
pytestmark = pytest.mark.skipif(
    not Path(TARBALL).is_file(), reason="CPYTHON_RELEASE_REAL_TARBALL is not set"
)
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "rm",
    "GIT_AUTHOR_EMAIL": "rm@example.org",
    "GIT_COMMITTER_NAME": "rm",
    "GIT_COMMITTER_EMAIL": "rm@example.org",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=ENV
    ).stdout.strip()


def real_clone(dest: Path) -> Path:
    """v3.11.2 (the release tree plus the Misc/NEWS.d file blurb needs), then one fix:
    PY_VERSION 3.11.2+ and one entry in Misc/NEWS.d/next."""
    with tarfile.open(TARBALL) as tf:
        tf.extractall(dest, filter="data")  # "data" drops the archive's owners (git refuses them)
    (repo,) = dest.iterdir()
    git(repo, "init", "-q", "-b", "3.11")
    news = repo / "Misc" / "NEWS.d"
    news.mkdir(parents=True, exist_ok=True)
    (news / "3.11.2.rst").write_text(
        ".. date: 2023-02-07\n.. gh-issue: 101010\n.. nonce: AbCdEf\n"
        ".. release date: 2023-02-08\n.. section: Library\n\nThe 3.11.2 entries.\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Python 3.11.2")
    git(repo, "tag", "-a", "v3.11.2", "-m", "Python 3.11.2")
    patchlevel = repo / "Include" / "patchlevel.h"
    patchlevel.write_text(patchlevel.read_text().replace('"3.11.2"', '"3.11.2+"'))
    entry = news / "next" / "Library" / "2023-02-10-12-00-00.gh-issue-101999.XyZ123.rst"
    entry.parent.mkdir(parents=True)
    entry.write_text("Fix a bug found after 3.11.2.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "gh-101999: a fix past v3.11.2")
    git(repo, "config", "user.name", "rm")
    git(repo, "config", "user.email", "rm@example.org")
    return repo


def test_prepare_3_11_3_on_a_real_clone(tmp_path: Path, cli: Callable[..., Any]) -> None:
    repo = real_clone(tmp_path / "src")
    r = cli("prepare", "3.11.3", "--repo", str(repo), "--skip-blockers")
    assert r.code == 0, r.err
    patchlevel = git(repo, "show", "v3.11.3:Include/patchlevel.h")
    assert '"3.11.3"' in patchlevel and "PY_RELEASE_LEVEL_FINAL" in patchlevel
    assert "Fix a bug found after 3.11.2." in git(repo, "show", "v3.11.3:Misc/NEWS.d/3.11.3.rst")
    assert git(repo, "ls-tree", "-r", "--name-only", "v3.11.3", "Misc/NEWS.d/next") == ""
    commit = git(repo, "rev-parse", "v3.11.3^{commit}")
    out = tmp_path / "dist"
    r = cli("build-source", "3.11.3", "--repo", str(repo), "--commit", commit, "--out", str(out))
    assert r.code == 0, r.err
    assert (out / "Python-3.11.3.tgz").stat().st_size > 20_000_000
