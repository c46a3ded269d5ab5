"""Push the ``finish`` branches and open their pull requests (PyGithub)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cpython_release.blockers import github_client, github_error
from cpython_release.errors import BadInput, CheckFailed, ReleaseError
from cpython_release.finish.changes import Change
from cpython_release.prepare.gitutil import remote_env


def _push(repo: Path, remote: str, changes: list[Change], *, dry_run: bool) -> str | None:
    """``git push --atomic`` of each change's commit to its new branch, each only if the
    remote does not have the branch yet (a lease on an empty expected value: an existing
    branch is never moved); git's complaint, or None."""
    refspecs = [f"{c.commit}:refs/heads/{c.head}" for c in changes]
    leases = [f"--force-with-lease=refs/heads/{c.head}:" for c in changes]
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "push",
            "--quiet",
            "--atomic",
            *(["--dry-run"] if dry_run else []),
            *leases,
            remote,
            *refspecs,
        ],
        env=remote_env(repo, remote),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return None
    return (done.stderr.strip() or "git push failed").splitlines()[-1]


def check_push_access(repo: Path, remote: str, changes: list[Change]) -> None:
    """A dry run of :func:`push` before anything is pushed or made: the credentials (the
    token given to git for an https remote) may push, and no branch appeared meanwhile.
    Bad input (exit 2) when not, with nothing changed."""
    if changes and (why := _push(repo, remote, changes, dry_run=True)) is not None:
        raise BadInput(
            f"cannot push to {remote} (a dry run, before anything was pushed): {why}; "
            "check $GITHUB_TOKEN's contents: write permission; nothing was changed"
        )


def push(repo: Path, remote: str, changes: list[Change]) -> None:
    """Push the branches ``changes`` (all of them or none). A failure is
    :class:`CheckFailed` (exit 1) saying what was done and how to go on: re-running finish
    keeps what it made and pushes what is missing."""
    if changes and (why := _push(repo, remote, changes, dry_run=False)) is not None:
        names = " ".join(c.head for c in changes)
        raise CheckFailed(
            f"pushing the branches to {remote} failed; nothing was pushed (atomic)",
            [
                why,
                f"the local branches {names} are made: re-run finish (it keeps them and "
                "pushes what is missing), or push them by hand "
                f"(git push --atomic {remote} {names}) and open the pull requests",
            ],
        )


def check_token(repository: str, api_url: str, token: str | None) -> None:
    """Before anything is made or pushed: $GITHUB_TOKEN is set, the API accepts it and shows
    ``repository`` (and, where GitHub tells a token's permissions, it may push there)."""
    if not token:
        raise BadInput(
            "--push opens pull requests: set $GITHUB_TOKEN (contents: write and "
            "pull-requests: write); nothing was changed"
        )
    try:
        repo = github_client(api_url, token, retries=2).get_repo(repository)
        permissions = repo.raw_data.get("permissions")
    except ReleaseError:
        raise
    except Exception as exc:
        raise github_error(exc, f"checking $GITHUB_TOKEN on {repository}") from exc
    if isinstance(permissions, dict) and permissions.get("push") is False:
        raise BadInput(f"$GITHUB_TOKEN may not push to {repository}; nothing was changed")


def open_pulls(
    changes: list[Change], repository: str, api_url: str, token: str | None
) -> list[dict[str, Any]]:
    """A pull request per change that has a base; its number and URL. An open pull request
    of the same head into the same base (an earlier run's) is kept, not opened again."""
    out = []
    owner = repository.split("/", 1)[0]
    try:
        repo = github_client(api_url, token, retries=2).get_repo(repository)
        for c in changes:
            if c.base is None:
                continue
            existing = [
                p
                for p in repo.get_pulls(state="open", base=c.base, head=f"{owner}:{c.head}")
                if p.head.ref == c.head and p.base.ref == c.base
            ]
            pr = (
                existing[0]
                if existing
                else repo.create_pull(base=c.base, head=c.head, title=c.title, body=c.body)
            )
            out.append(
                {
                    "head": c.head,
                    "base": c.base,
                    "number": pr.number,
                    "url": pr.html_url,
                    "existing": bool(existing),
                }
            )
    except ReleaseError:
        raise
    except Exception as exc:
        raise github_error(exc, f"opening the pull requests in {repository}") from exc
    return out
