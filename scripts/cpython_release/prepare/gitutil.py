"""Small git helpers for a CPython clone (errors are bad input naming the command)."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

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


def remote_env(repo: Path, remote: str) -> dict[str, str] | None:
    """The environment for one git command that talks to ``remote`` (``push``,
    ``ls-remote``): with ``$GITHUB_TOKEN`` set and an https remote, the token as an HTTP
    header for that host only, given to this command alone (the workflows check out with
    ``persist-credentials: false``, so the clone's config holds no credentials that the
    repository's own tools could read). None: the plain environment."""
    token = os.environ.get("GITHUB_TOKEN")
    url = try_git(repo, "remote", "get-url", remote) or remote
    parts = urlsplit(url)
    if not token or parts.scheme != "https" or not parts.hostname:
        return None
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        **os.environ,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.https://{parts.hostname}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }
