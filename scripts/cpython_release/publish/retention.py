"""Nightly retention: keep the newest N nightly releases of a branch, delete older ones.

Only releases that are nightlies by *both* marks of :mod:`cpython_release.nightly_names` (a
well-formed ``nightly-`` tag and a matching marker line in the body) are ever deleted, and
only those of the given branch. Everything else is left alone, including releases whose tag
looks like a nightly but whose body does not agree.

Newest means latest build date, then latest ``created_at``. Published nightlies count towards
``keep``; a draft nightly (a run that stopped before publishing) is deleted only when it is
older than the oldest nightly kept, so a build still uploading today is never touched. For
each deleted published nightly, its tag is deleted too (GitHub keeps the tag when a release
goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from github.GithubException import UnknownObjectException
from github.GitRelease import GitRelease
from github.Repository import Repository

from cpython_release import nightly_names
from cpython_release.errors import BadInput
from cpython_release.publish.actions import Action, PublishResult, Verb
from cpython_release.publish.github_release import Pacing, api_call, connect, get_repo

TARGET = "github"


@dataclass(frozen=True)
class _Found:
    nightly: nightly_names.Nightly
    release: GitRelease

    @property
    def key(self) -> tuple[object, ...]:
        return (self.nightly.day, self.release.created_at, self.release.id)


def _nightlies(repo: Repository, branch: str) -> tuple[list[_Found], list[GitRelease]]:
    """(marked nightlies of ``branch``, releases in the nightly tag space left alone)."""
    found: list[_Found] = []
    lookalikes: list[GitRelease] = []
    for rel in repo.get_releases():
        n = nightly_names.identify(rel.tag_name, rel.body)
        if n is not None:
            if n.branch == branch:
                found.append(_Found(n, rel))
        elif nightly_names.looks_like_nightly_tag(rel.tag_name):
            lookalikes.append(rel)
    return found, lookalikes


def _delete_tag(repo: Repository, tag: str) -> bool:
    try:
        ref = repo.get_git_ref(f"tags/{tag}")
        ref.delete()
    except UnknownObjectException:
        return False
    return True


def prune_nightlies(
    repo: str,
    token: str,
    *,
    branch: str,
    keep: int,
    base_url: str = "https://api.github.com",
    dry_run: bool = False,
    pacing: Pacing | None = None,
) -> PublishResult:
    """Delete all but the newest ``keep`` nightly releases (and their tags) of ``branch``."""
    if keep < 0:
        raise BadInput(f"--keep must be 0 or more, got {keep}")
    nightly_names.check_branch(branch)
    pacing = pacing or Pacing()
    result = PublishResult(TARGET, dry_run=dry_run)
    gh_repo = get_repo(connect(base_url, token, pacing), repo)
    found, lookalikes = api_call(
        f"list the releases of {repo}", partial(_nightlies, gh_repo, branch)
    )
    published = sorted((f for f in found if not f.release.draft), key=lambda f: f.key, reverse=True)
    kept, old = published[:keep], published[keep:]
    oldest_kept = kept[-1].nightly.day if kept else None
    drafts = [f for f in found if f.release.draft]
    stale_drafts = [f for f in drafts if oldest_kept is not None and f.nightly.day < oldest_kept]
    for i, f in enumerate(kept, 1):
        result.add(
            Action(Verb.SKIP, TARGET, f"release {f.nightly.tag}", f"kept: newest {i} of {keep}")
        )
    for f in drafts:
        if f not in stale_drafts:
            result.add(
                Action(
                    Verb.SKIP,
                    TARGET,
                    f"release {f.nightly.tag}",
                    "draft not older than the nightlies kept",
                )
            )
    for rel in lookalikes:
        result.add(
            Action(
                Verb.SKIP,
                TARGET,
                f"release {rel.tag_name}",
                "nightly-like tag without a matching nightly marker: not touched",
            )
        )
    for f in sorted(old + stale_drafts, key=lambda f: f.key):
        result.add(
            Action(
                Verb.DELETE,
                TARGET,
                f"release {f.nightly.tag}",
                "draft" if f.release.draft else f"older than the newest {keep}",
            )
        )
        if not dry_run:
            api_call(f"delete release {f.nightly.tag}", f.release.delete_release)
        if f.release.draft:
            continue  # a draft never created its tag
        tag = f.nightly.tag
        if dry_run or api_call(f"delete tag {tag}", partial(_delete_tag, gh_repo, tag)):
            result.add(Action(Verb.DELETE, TARGET, f"tag {f.nightly.tag}"))
    return result
