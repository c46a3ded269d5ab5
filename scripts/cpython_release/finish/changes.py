"""The commits ``finish`` makes, each on its own new branch, in a throw-away worktree (the
clone's checkout is not touched).

Following release-tools' ``--done`` and ``run_release.py``:

* every release: the tag's commit plus ``Post VERSION``, whose patchlevel and README say
  ``VERSION+`` (``+dev`` from 3.15 on); its pull request merges the tag back into the branch;
* at b1 (cut from ``main``): ``Post VERSION`` is the start of the new maintenance branch
  ``X.Y`` (no pull request of it into ``main``), and
  ``main`` gets ``Python X.Y+1.0a0`` (patchlevel, README, the What's New skeleton and its
  entry in ``Doc/whatsnew/index.rst``) through a pull request of its own.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.prepare.checks import PATCHLEVEL, check_no_symlinks
from cpython_release.prepare.edits import done_suffix, set_patchlevel, set_readme
from cpython_release.prepare.gitutil import git, remote_env, try_git
from cpython_release.version import ReleaseVersion


@dataclass(frozen=True)
class Change:
    """A branch ``head`` to merge into ``base`` with a pull request (``base`` None: the
    branch is itself new, pushed as it is)."""

    head: str
    base: str | None
    commit: str
    title: str
    body: str

    def to_dict(self) -> dict[str, str | None]:
        return {
            "head": self.head,
            "base": self.base,
            "commit": self.commit,
            "title": self.title,
            "body": self.body,
        }


def is_feature_freeze(version: ReleaseVersion) -> bool:
    return version.pre_kind == "b" and version.pre_number == 1


def tag_commit(repo: Path, version: ReleaseVersion) -> str:
    commit = try_git(
        repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{version.tag}^{{commit}}"
    )
    if commit is None:
        raise BadInput(f"tag {version.tag} does not exist in {repo}: prepare and release it first")
    return commit


def remote_heads(repo: Path, remote: str, names: list[str]) -> dict[str, str]:
    """The commits ``remote`` (``git ls-remote``) has for the branches ``names``."""
    refs = [f"refs/heads/{n}" for n in names]
    out = git(repo, "ls-remote", "--heads", remote, *refs, env=remote_env(repo, remote))
    found = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.removeprefix("refs/heads/") in names:
            found[ref.removeprefix("refs/heads/")] = sha
    return found


def _same_content(repo: Path, a: str, b: str) -> bool:
    """The two commits have the same tree and the same parents (dates may differ)."""
    return (
        git(repo, "rev-parse", f"{a}^{{tree}}") == git(repo, "rev-parse", f"{b}^{{tree}}")
        and git(repo, "rev-list", "--parents", "-n1", a).split()[1:]
        == git(repo, "rev-list", "--parents", "-n1", b).split()[1:]
    )


def _known(repo: Path, sha: str) -> bool:
    return try_git(repo, "cat-file", "-e", f"{sha}^{{commit}}") is not None


def _resolve(
    repo: Path, change: Change, remote: str | None, theirs: str | None
) -> tuple[Change, str | None]:
    """The commit ``change.head`` gets: a branch an earlier run made (locally, or on
    ``remote``) is kept when it has the content this run made, else bad input. Returns the
    change with that commit, and the local branch's current commit (None: absent)."""
    ours = try_git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{change.head}")
    commit = change.commit
    if ours is not None:
        if not _same_content(repo, ours, change.commit):
            raise BadInput(
                f"branch {change.head} already exists in {repo} with other content than "
                "finish makes: delete it (or give the version it was made for); nothing was "
                "changed"
            )
        commit = ours
    if theirs is not None and theirs != commit:
        if remote is not None and not _known(repo, theirs):
            git(
                repo,
                "fetch",
                "--quiet",
                "--no-tags",
                remote,
                f"refs/heads/{change.head}",
                env=remote_env(repo, remote),
            )
        if not _known(repo, theirs) or not _same_content(repo, theirs, change.commit):
            raise BadInput(
                f"{remote} already has the branch {change.head} with other content than "
                "finish makes; nothing was pushed or changed"
            )
        commit = theirs  # pushed by an earlier run: that commit is the branch
    return replace(change, commit=commit), ours


def create_branches(repo: Path, changes: list[Change]) -> None:
    """Point each change's local branch at its commit (made, or kept from an earlier run)."""
    for c in changes:
        ours = try_git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{c.head}")
        if ours != c.commit:
            git(repo, "update-ref", f"refs/heads/{c.head}", c.commit, ours or "")


def branch_names(version: ReleaseVersion) -> list[str]:
    """The branches :func:`make_changes` creates (at b1 the Post commit goes straight onto
    the new ``X.Y`` branch: a pull request of it into ``main`` would be redundant)."""
    post = post_release_branch(version)
    if is_feature_freeze(version):
        return [version.minor_version, f"{post}-main"]
    return [post]


@contextmanager
def _worktree(repo: Path, start: str) -> Iterator[Path]:
    """A detached throw-away worktree at ``start``: its commits make no branch."""
    tmp = Path(tempfile.mkdtemp(prefix="cr-finish-"))
    where = tmp / "tree"
    git(repo, "worktree", "add", "--quiet", "--detach", str(where), start)
    try:
        yield where
    finally:
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(where)],
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)


def _commit(tree: Path, edit: Callable[[Path], list[str]], message: str) -> str:
    paths = edit(tree)
    git(tree, "add", "--", *paths)
    git(tree, "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", message)
    return git(tree, "rev-parse", "HEAD")


def _edit_version(tree: Path, version: ReleaseVersion, suffix: str) -> list[str]:
    path = tree / PATCHLEVEL
    path.write_bytes(set_patchlevel(path.read_bytes().decode(), version, suffix).encode())
    out = [PATCHLEVEL]
    readme = tree / "README.rst"
    if readme.is_file():
        readme.write_bytes(set_readme(readme.read_bytes().decode(), version, suffix).encode())
        out.append("README.rst")
    return out


WHATS_NEW = """\
****************************
  What's new in Python {new}
****************************

:Editor: TBD

.. Rules for maintenance:

   * Anyone can add text to this document.  Every change since {previous}
     that users should know about goes here, with a link to its issue.

This article explains the new features in Python {new}, compared to {previous}.

For full details, see the :ref:`changelog <changelog>`.

.. note::

   Prerelease users should be aware that this document is currently in draft
   form. It will be updated substantially as Python {new} moves towards release,
   so it's worth checking back even after reading earlier versions.


Summary -- release highlights
=============================


New features
============


Other language changes
======================


New modules
===========


Improved modules
================


Optimizations
=============


Deprecated
==========


Removed
=======


Build changes
=============


C API changes
=============


Porting to Python {new}
======================
"""


def _edit_main(tree: Path, version: ReleaseVersion) -> list[str]:
    """``main`` after b1: the next feature release's a0, and its What's New skeleton."""
    new = ReleaseVersion(version.major, version.minor + 1, 0, "a", 0)
    paths = _edit_version(tree, new, "")
    new_xy, old_xy = new.minor_version, version.minor_version
    whatsnew = tree / "Doc" / "whatsnew"
    whatsnew.mkdir(parents=True, exist_ok=True)
    (whatsnew / f"{new_xy}.rst").write_text(WHATS_NEW.format(new=new_xy, previous=old_xy))
    paths.append(f"Doc/whatsnew/{new_xy}.rst")
    index = whatsnew / "index.rst"
    if index.is_file():
        text = index.read_text(encoding="utf-8")
        entry = f"   {old_xy}.rst"
        if entry in text.splitlines():
            index.write_text(text.replace(entry, f"   {new_xy}.rst\n{entry}", 1), encoding="utf-8")
            paths.append("Doc/whatsnew/index.rst")
    return paths


def post_release_branch(version: ReleaseVersion) -> str:
    return f"post-release-{version}"


def make_changes(
    repo: Path,
    version: ReleaseVersion,
    *,
    remote: str | None = None,
    pushed: dict[str, str] | None = None,
    create: bool = True,
) -> list[Change]:
    """The commits, and (``create``) their branches. A branch an earlier run made, here or
    on ``remote`` (``pushed``: its branches there, :func:`remote_heads`), is kept when its
    content is what this run makes (a re-run converges), else bad input; every branch is
    checked before any is made."""
    changes = _make_commits(repo, version)
    resolved = [_resolve(repo, c, remote, (pushed or {}).get(c.head))[0] for c in changes]
    if create:
        create_branches(repo, resolved)
    return resolved


def _make_commits(repo: Path, version: ReleaseVersion) -> list[Change]:
    """The post-release commits (and at b1 main's), on no branch yet."""
    tag = tag_commit(repo, version)
    post = post_release_branch(version)
    check_no_symlinks(repo, tag)
    suffix = done_suffix(version)
    with _worktree(repo, tag) as tree:
        commit = _commit(tree, lambda t: _edit_version(t, version, suffix), f"Post {version}")
    base = version.branch
    changes = (
        []
        if is_feature_freeze(version)
        else [
            Change(
                post,
                base,
                commit,
                f"Post {version}: merge the {version.tag} tag and bump to {version}{suffix}",
                f"Merges the release commit of {version} (tag {version.tag}) back into `{base}`, "
                f"then sets `Include/patchlevel.h` and `README.rst` to `{version}{suffix}`, as "
                "release-tools' `release.py --done` does.\n\n"
                "Made by `cpython-release finish`. Merge with a merge commit (not a squash), "
                f"so that `{version.tag}` stays reachable from `{base}`.\n",
            )
        ]
    )
    if is_feature_freeze(version):
        new_branch = version.minor_version
        changes.append(
            Change(
                new_branch,
                None,
                commit,
                f"Create the {new_branch} maintenance branch",
                f"{version} is the feature freeze: `{new_branch}` starts at `Post {version}`.\n",
            )
        )
        main_branch = f"{post}-main"
        with _worktree(repo, tag) as tree:
            main_commit = _commit(
                tree,
                lambda t: _edit_main(t, version),
                f"Python {version.major}.{version.minor + 1}.0a0",
            )
        nxt = f"{version.major}.{version.minor + 1}"
        changes.append(
            Change(
                main_branch,
                "main",
                main_commit,
                f"Python {nxt}.0a0: main after the {version.minor_version} branch",
                f"Merges {version.tag} into `main` and starts {nxt}: patchlevel and README say "
                f"`{nxt}.0a0`, and `Doc/whatsnew/{nxt}.rst` is the new What's New skeleton.\n",
            )
        )
    return changes
