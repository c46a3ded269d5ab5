"""Pre-tag checks. Each raises :class:`BadInput` (exit 2) or :class:`CheckFailed` (exit 1)
naming the problem, or returns a line for the report; none of them changes anything."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.patchlevel import py_version
from cpython_release.phase import Phase
from cpython_release.prepare.gitutil import current_branch, git, remote_env, show, try_git
from cpython_release.version import ReleaseVersion

PATCHLEVEL = "Include/patchlevel.h"
NEWS_NEXT = "Misc/NEWS.d/next"
#: ``PY_VERSION`` of a branch: a release, or between releases the last one plus ``+``
#: (``+dev`` from 3.15 on, release-tools' ``--done`` suffix).
_BRANCH_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?(\+(?:dev)?)?")
_NEXT_STAGE = {"a": "b", "b": "rc", "rc": None}


def check_repo(repo: Path) -> Path:
    """``repo`` is the top of a git work tree holding ``Include/patchlevel.h``."""
    if not repo.is_dir():
        raise BadInput(f"--repo {repo} is not a directory")
    top = try_git(repo, "rev-parse", "--show-toplevel")
    if top is None:
        raise BadInput(f"--repo {repo} is not a git work tree")
    if Path(top).resolve() != repo.resolve():
        raise BadInput(f"--repo {repo} is inside the work tree {top}: give its top")
    if not (repo / PATCHLEVEL).is_file():
        raise BadInput(f"{repo} has no {PATCHLEVEL}: not a CPython clone")
    return repo.resolve()


def check_branch(repo: Path, version: ReleaseVersion) -> str:
    """The checked-out branch is the release's: ``main`` for alphas and b1, else ``X.Y``."""
    branch = current_branch(repo)
    if branch is None:
        raise BadInput(f"{repo} has a detached HEAD: check out {version.branch} first")
    if branch != version.branch:
        raise BadInput(
            f"{version} is released from branch {version.branch}, but {repo} has {branch} "
            "checked out"
        )
    return branch


def allowed_next(base: str) -> list[str]:
    """The releases that may follow a branch whose ``PY_VERSION`` is ``base``.

    ``3.11.2+`` -> ``3.11.3``; ``3.15.0a0`` -> ``3.15.0a1``; ``3.15.0a7+`` -> ``3.15.0a8`` or
    ``3.15.0b1``; ``3.14.0rc2+`` -> ``3.14.0rc3`` or ``3.14.0``. A ``PY_VERSION`` without the
    ``+`` (``3.11.2``) is a release commit: its post-release bump (``finish``) is missing.
    """
    m = _BRANCH_VERSION.fullmatch(base)
    if m is None:
        raise BadInput(f"{PATCHLEVEL} has PY_VERSION {base!r}: not a CPython version")
    major, minor, micro, kind, serial, plus = m.groups()
    xyz = f"{major}.{minor}.{micro}"
    if kind == "a" and serial == "0":
        return [f"{xyz}a1"]
    if not plus:
        raise BadInput(
            f"{PATCHLEVEL} has PY_VERSION {base!r}: that is a release commit, not a branch "
            f"between releases (run 'cpython-release finish {base}' first, which bumps it to "
            f"{base}+)"
        )
    if kind is None:
        return [f"{major}.{minor}.{int(micro) + 1}"]
    out = [f"{xyz}{kind}{int(serial) + 1}"]
    later = _NEXT_STAGE[kind]
    out.append(f"{xyz}{later}1" if later else xyz)
    return out


def check_next_version(repo: Path, version: ReleaseVersion) -> str:
    """``version`` is a release that may follow the branch head's ``PY_VERSION``."""
    base = py_version((repo / PATCHLEVEL).read_text(encoding="utf-8"))
    if base is None:
        raise BadInput(f"{PATCHLEVEL} in {repo} defines no PY_VERSION")
    allowed = allowed_next(base)
    if str(version) not in allowed:
        raise BadInput(
            f"{version} is not the next release of this branch: PY_VERSION is {base!r}, so "
            f"the next is {' or '.join(allowed)}"
        )
    return base


def check_clean(repo: Path) -> None:
    """No staged, unstaged or untracked changes (ignored files are fine)."""
    status = git(repo, "status", "--porcelain", "--untracked-files=normal")
    if status:
        lines = status.splitlines()
        shown = "; ".join(line.strip() for line in lines[:5])
        more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
        raise BadInput(f"the work tree of {repo} is not clean: {shown}{more}")


def check_tag_absent(repo: Path, version: ReleaseVersion) -> None:
    if try_git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{version.tag}") is not None:
        raise BadInput(
            f"tag {version.tag} already exists in {repo} (to push a tag an earlier prepare "
            f"made: prepare {version} --push)"
        )


def check_no_symlinks(repo: Path, rev: str = "HEAD") -> None:
    """``Include/patchlevel.h`` and ``README.rst`` are regular files at ``rev``: the edits
    write them, and a symlink would be written through, outside the clone."""
    for path in (PATCHLEVEL, "README.rst"):
        entry = git(repo, "ls-tree", rev, "--", path)
        if entry.startswith("120000 ") or (rev == "HEAD" and (repo / path).is_symlink()):
            raise BadInput(f"{path} is a symbolic link in {repo} ({rev}): refusing to write it")


def check_remote_tag_absent(repo: Path, remote: str, version: ReleaseVersion) -> None:
    """The tag is not on ``remote`` either (``git ls-remote``): else bad input, before any
    edit (a push would fail after the commit and the local tag were made)."""
    env = remote_env(repo, remote)
    if git(repo, "ls-remote", "--tags", remote, f"refs/tags/{version.tag}", env=env):
        raise BadInput(f"tag {version.tag} already exists on {remote}")


def _is_ancestor(repo: Path, old: str, new: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", old, new], capture_output=True
    )
    return done.returncode == 0


def remote_branch_head(repo: Path, remote: str, branch: str) -> str | None:
    """The commit ``branch`` is at on ``remote`` (``git ls-remote``), None if it has none."""
    out = git(
        repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}", env=remote_env(repo, remote)
    )
    return out.split("\t", 1)[0] if out else None


def check_branch_remote(
    repo: Path, branch: str, push_remote: str | None, *, head: str | None = None
) -> str:
    """The branch is not behind its remote (the release would miss the remote's fixes: bad
    input). With ``push_remote`` the branch on that remote is read (``git ls-remote``), and
    unpushed commits are bad input too: the pushed tag would carry commits the branch on the
    remote does not have. Without it the remote-tracking branch is compared (no network);
    unpushed commits or no tracking information are a notice. ``head``: compare this commit
    instead of HEAD (a resumed push: the release commit's parent)."""
    head = head or git(repo, "rev-parse", "HEAD^{commit}")
    if push_remote is not None:
        theirs = remote_branch_head(repo, push_remote, branch)
        where = f"{push_remote}/{branch}"
        if theirs is None:
            return f"remote: {push_remote} has no branch {branch}: not compared"
    else:
        theirs = try_git(repo, "rev-parse", "--verify", "--quiet", "@{upstream}^{commit}")
        where = try_git(repo, "rev-parse", "--abbrev-ref", "@{upstream}") or "its upstream"
        if theirs is None:
            return f"remote: NOT COMPARED, {branch} has no remote-tracking branch"
    if theirs == head:
        return f"remote: {branch} is up to date with {where}"
    known = try_git(repo, "cat-file", "-e", f"{theirs}^{{commit}}") is not None
    if not known or not _is_ancestor(repo, theirs, head):
        raise BadInput(
            f"{branch} is behind {where} (or has diverged from it): the release would miss "
            "the remote's commits; pull first"
        )
    ahead = git(repo, "rev-list", "--count", f"{theirs}..{head}")
    if push_remote is not None:
        raise BadInput(
            f"{branch} has {ahead} commit(s) not on {where}: push them (or drop them) first; "
            "the pushed tag must not carry commits the branch on the remote does not have"
        )
    return f"remote: NOTICE, {branch} is {ahead} commit(s) ahead of {where} (unpushed)"


def news_entries(repo: Path) -> list[str]:
    """The entries ``blurb release`` will merge: ``Misc/NEWS.d/next/<section>/*.rst``
    (each section's ``README.rst`` is not an entry)."""
    base = repo / NEWS_NEXT
    if not base.is_dir():
        return []
    return sorted(
        str(p.relative_to(repo))
        for p in base.glob("*/*.rst")
        if p.name != "README.rst" and p.is_file()
    )


def check_news(repo: Path, version: ReleaseVersion) -> list[str]:
    entries = news_entries(repo)
    if not entries:
        raise BadInput(
            f"{NEWS_NEXT} has no entries: nothing to release as {version} "
            "(add the news entries with blurb first)"
        )
    return entries


# --- the magic number ---------------------------------------------------------------------
#: Where a branch keeps its bytecode magic number: up to 3.12 in
#: ``_bootstrap_external.py`` (``MAGIC_NUMBER = (3495).to_bytes(...)``); from 3.13 on the
#: number itself is in ``pycore_magic_number.h`` and the Python file only reads it.
MAGIC_SOURCES = (
    ("Lib/importlib/_bootstrap_external.py", re.compile(r"^MAGIC_NUMBER\s*=\s*(.+)$", re.M)),
    (
        "Include/internal/pycore_magic_number.h",
        re.compile(r"^#define\s+PYC_MAGIC_NUMBER\s+(\d+)\s*$", re.M),
    ),
)


def _magic(repo: Path, rev: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path, pattern in MAGIC_SOURCES:
        text = show(repo, rev, path)
        if text is not None and (m := pattern.search(text)):
            found[path] = m.group(1).strip()
    return found


def previous_tag(repo: Path) -> str | None:
    """The newest ``v*`` tag reachable from HEAD."""
    return try_git(repo, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD")


def check_magic_number(repo: Path, version: ReleaseVersion, phase: Phase | None) -> str:
    """In the bugfix and security phases (and for release candidates) the bytecode magic
    number must be what the previous release had: a change invalidates every installed
    ``.pyc``. Compared between the previous tag and HEAD."""
    # a final X.Y.Z with Z > 0 is a bugfix or security release whatever the data says
    final_micro = version.pre_kind is None and version.micro > 0
    frozen = phase in (Phase.BUGFIX, Phase.SECURITY) or version.pre_kind == "rc" or final_micro
    if not frozen and phase is None:
        return (
            "magic number: NOT CHECKED, the release phase is unknown (no release-cycle data "
            f"for {version.minor_version})"
        )
    if not frozen:
        return f"magic number: not frozen in this phase ({phase}), not compared"
    prev = previous_tag(repo)
    if prev is None:
        return "magic number: NOT CHECKED, no earlier v* tag on this branch to compare with"
    before, now = _magic(repo, prev), _magic(repo, "HEAD")
    if not before and not now:
        return f"magic number: NOT CHECKED, neither {prev} nor HEAD has " + " or ".join(
            p for p, _ in MAGIC_SOURCES
        )
    changed = [
        f"{path}: {before.get(path, 'absent')} at {prev}, {now.get(path, 'absent')} at HEAD"
        for path in sorted(set(before) | set(now))
        if before.get(path) != now.get(path)
    ]
    if changed:
        raise CheckFailed(
            f"the bytecode magic number changed since {prev}; a "
            f"{phase or ('release candidate' if version.pre_kind else 'bugfix')} "
            f"release ({version}) must keep it",
            changed,
        )
    return f"magic number: unchanged since {prev} ({', '.join(sorted(now.values()))})"


# --- release blockers ---------------------------------------------------------------------
BlockerSource = Callable[[ReleaseVersion], list[str]]


class BlockersUnreadable(BadInput):
    """The blockers' data source could not be read (no network, no such repository)."""


def check_blockers(version: ReleaseVersion, source: BlockerSource | None) -> str:
    """Open release blockers stop the release (exit 1). ``source`` returns one line per
    blocking issue, or raises :class:`BlockersUnreadable` when the data cannot be read: then the
    release goes on with a loud notice (the release workflow's own blockers job checks
    again before anything is built)."""
    if source is None:
        return "release blockers: NOT CHECKED (skipped: --skip-blockers, or an offline rehearsal)"
    try:
        found = source(version)
    except BlockersUnreadable as exc:
        return f"release blockers: NOT CHECKED, the data could not be read: {exc}"
    if found:
        raise CheckFailed(f"{len(found)} open release blocker(s) for {version}", found)
    return "release blockers: none open"
