"""Small git helpers for a CPython clone (errors are bad input naming the command)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cpython_release.errors import BadInput


def git(repo: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    """``git -C repo ARGS``; its stdout without the final newline."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode:
        raise BadInput(f"git {' '.join(args[:3])} in {repo}: {done.stderr.strip() or 'failed'}")
    return done.stdout.rstrip("\n")


def try_git(repo: Path, *args: str) -> str | None:
    """Like :func:`git`, but None when git fails (a ref that does not exist)."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


def show(repo: Path, rev: str, path: str) -> str | None:
    """The text of ``path`` at ``rev``, or None when the commit has no such file."""
    return try_git(repo, "show", f"{rev}:{path}")


def current_branch(repo: Path) -> str | None:
    return try_git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
