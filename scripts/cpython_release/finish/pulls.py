"""Push the ``finish`` branches and open their pull requests (PyGithub)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cpython_release.blockers import github_client, github_error
from cpython_release.errors import CheckFailed, ReleaseError
from cpython_release.finish.changes import Change
from cpython_release.prepare.gitutil import remote_env


def push(repo: Path, remote: str, changes: list[Change]) -> None:
    """Push each new branch (``--atomic``: all of them or none), each only if the remote does
    not have it yet (a lease on an empty expected value): an existing branch is never moved.
    A failure is :class:`CheckFailed` (exit 1) saying what was done and how to finish."""
    heads = [f"refs/heads/{c.head}" for c in changes]
    leases = [f"--force-with-lease={h}:" for h in heads]
    done = subprocess.run(
        ["git", "-C", str(repo), "push", "--quiet", "--atomic", *leases, remote, *heads],
        env=remote_env(repo, remote),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        names = " ".join(c.head for c in changes)
        raise CheckFailed(
            f"pushing the branches to {remote} failed; nothing was pushed (atomic)",
            [
                (done.stderr.strip() or "git push failed").splitlines()[-1],
                f"the local branches {names} are made: push them by hand "
                f"(git push --atomic {remote} {names}) and open the pull requests, "
                "or delete them and re-run finish",
            ],
        )


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
