"""Nightly retention against the fake GitHub: only marked nightlies of one branch go."""

from __future__ import annotations

from datetime import date

import pytest

from cpython_release import nightly_names as nn
from cpython_release.errors import BadInput
from cpython_release.publish.actions import PublishResult, Verb
from cpython_release.publish.retention import prune_nightlies
from fakes_github import FakeGitHub, FakeRelease
from fakes_github.release_dir import REPO, TEST_PACING


def commit(i: int) -> str:
    return f"{i:02x}" * 20


def nightly(gh: FakeGitHub, branch: str, day: int, *, draft: bool = False) -> FakeRelease:
    n = nn.Nightly.for_commit(branch, date(2026, 11, day), commit(day))
    return gh.state.add_release(
        REPO,
        n.tag,
        name=n.name,
        body=nn.release_body(n, commit(day), "nightly"),
        draft=draft,
        prerelease=True,
        target_commitish=commit(day),
        assets={"SHA256SUMS": b"sums"},
    )


def prune(gh: FakeGitHub, branch: str = "3.14", keep: int = 2, **kw: bool) -> PublishResult:
    return prune_nightlies(
        REPO, gh.token, branch=branch, keep=keep, base_url=gh.base_url, pacing=TEST_PACING, **kw
    )


def tags(gh: FakeGitHub) -> set[str]:
    return {r.tag_name for r in gh.state.releases(REPO)}


def test_keeps_the_newest_and_touches_nothing_else(github: FakeGitHub) -> None:
    # Created out of date order: "newest" is the build date in the tag, not creation order.
    for day in (18, 20, 16, 21, 17):
        nightly(github, "3.14", day)
    nightly(github, "main", 10)
    state = github.state
    n = nn.Nightly.for_commit("3.14", date(2026, 11, 1), commit(1))
    state.add_release(REPO, n.tag, body="no marker here")  # tag only
    marker_only = nn.release_body(
        nn.Nightly.for_commit("3.14", date(2026, 11, 2), commit(2)), commit(2)
    )
    state.add_release(REPO, "v3.14.0rc1", body=marker_only)  # marker only
    state.add_release(REPO, "v3.14.0rc2", body="Python 3.14.0rc2")
    before = tags(github)

    plan = prune(github, dry_run=True)
    assert tags(github) == before and github.state.writes() == []
    result = prune(github)
    assert plan.lines() == result.lines()

    gone = {f"nightly-3.14-202611{d}-{commit(d)[:12]}" for d in (16, 17, 18)}
    assert tags(github) == before - gone
    deleted = [a.subject for a in result.actions if a.verb is Verb.DELETE]
    assert deleted == [f"{kind} {t}" for t in sorted(gone) for kind in ("release", "tag")]
    assert not gone & set(github.state.repo(REPO).tags)  # tags deleted with their releases
    kept = [a.subject for a in result.actions if a.verb is Verb.SKIP]
    assert kept[:2] == [f"release nightly-3.14-2026112{d}-{commit(20 + d)[:12]}" for d in (1, 0)]
    assert f"release {n.tag}" in kept  # the look-alike is reported, not touched

    again = prune(github)
    assert again.count(Verb.DELETE) == 0


def test_drafts_are_deleted_only_when_older_than_what_is_kept(github: FakeGitHub) -> None:
    for day in (10, 11, 12):
        nightly(github, "3.14", day)
    old_draft = nightly(github, "3.14", 9, draft=True)
    todays_draft = nightly(github, "3.14", 13, draft=True)
    prune(github, keep=2)
    left = tags(github)
    assert old_draft.tag_name not in left
    assert todays_draft.tag_name in left
    assert len(left) == 3


def test_keep_zero_and_bad_arguments(github: FakeGitHub) -> None:
    nightly(github, "main", 5)
    with pytest.raises(BadInput, match="--keep"):
        prune(github, branch="main", keep=-1)
    with pytest.raises(BadInput, match=r"'main' or 'X\.Y'"):
        prune(github, branch="3.14-dev")
    prune(github, branch="3.14", keep=0)
    assert len(tags(github)) == 1  # another branch: untouched
    prune(github, branch="main", keep=0)
    assert tags(github) == set()
