"""The manifest's commit must be the commit the release tag points to, in a local clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.patchlevel import patchlevel_problem, py_version


def _check_repo(repo: Path) -> None:
    if not repo.exists():
        raise BadInput(f"--repo {repo} does not exist")
    probe = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--git-dir"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise BadInput(f"--repo {repo} is not a git repository: {probe.stderr.strip()}")


def tag_commit(repo: Path, tag: str) -> str | None:
    """The commit ``tag`` points to in the git repository at ``repo`` (None: no such tag)."""
    _check_repo(repo)
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return None
    return out.stdout.strip()


def check_tag(repo: Path, tag: str, commit: str) -> str | None:
    """None if ``tag`` names ``commit`` in ``repo``; otherwise the problem."""
    actual = tag_commit(repo, tag)
    if actual is None:
        return f"tag {tag} not found in {repo} (fetch the tags?)"
    if actual != commit:
        return f"manifest commit {commit} is not the commit tag {tag} points to ({actual})"
    return None


def check_nightly_commit(repo: Path, commit: str, version: str) -> str | None:
    """None if ``commit`` (a nightly's, which has no tag) is in ``repo`` and is a branch head
    between releases that leads to ``version`` (its patchlevel says ``X.Y.Z+``); else the
    problem."""
    _check_repo(repo)
    out = subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:Include/patchlevel.h"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return f"manifest commit {commit} is not in {repo}, or has no Include/patchlevel.h"
    problem = patchlevel_problem(py_version(out.stdout), version)
    return f"manifest commit {commit}: {problem}" if problem else None
