"""Push the ``finish`` branches and open their pull requests (PyGithub)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cpython_release.blockers import github_client, github_error
from cpython_release.errors import ReleaseError
from cpython_release.finish.changes import Change
from cpython_release.prepare.gitutil import git


def push(repo: Path, remote: str, changes: list[Change]) -> None:
    """Push each new branch (``--atomic``: all of them or none)."""
    git(repo, "push", "--quiet", "--atomic", remote, *(f"refs/heads/{c.head}" for c in changes))


def open_pulls(
    changes: list[Change], repository: str, api_url: str, token: str | None
) -> list[dict[str, Any]]:
    """A pull request per change that has a base; its number and URL."""
    out = []
    try:
        repo = github_client(api_url, token, retries=2).get_repo(repository)
        for c in changes:
            if c.base is None:
                continue
            pr = repo.create_pull(base=c.base, head=c.head, title=c.title, body=c.body)
            out.append({"head": c.head, "base": c.base, "number": pr.number, "url": pr.html_url})
    except ReleaseError:
        raise
    except Exception as exc:
        raise github_error(exc, f"opening the pull requests in {repository}") from exc
    return out
