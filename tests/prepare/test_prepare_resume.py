"""``prepare VERSION --push`` after an earlier local ``prepare VERSION``: the existing tag is
checked (annotated, signed by $GPG_PRIVATE_KEY's key, on HEAD's release commit, PY_VERSION
VERSION) and pushed, then release.yml is dispatched; a re-run converges. Anything else about
the tag is refused before anything is pushed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.rehearsal.ephemeral_gpg import EphemeralKey, generate
from fakes_github.server import FakeGitHub, start_server
from prepare.prepare_helpers import git, state

Cli = Callable[..., Any]
REPO = "example/cpython"


@pytest.fixture
def remote(demo: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(demo), str(bare)], check=True)
    git(demo, "remote", "set-url", "origin", str(bare))
    return bare


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Any:
    with start_server(token="fake-token", repos=(REPO,)) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        yield fake


def prepare_locally(cli: Cli, demo: Path) -> None:
    r = cli("prepare", "3.13.6", "--repo", str(demo), "--skip-blockers")
    assert r.code == 0, r.err


def push(cli: Cli, demo: Path, gh: FakeGitHub, *extra: str) -> Any:
    return cli(
        "prepare", "3.13.6", "--repo", str(demo), "--skip-blockers", "--push",
        "--repository", REPO, "--github-api", gh.base_url, *extra,
    )  # fmt: skip


def test_push_after_a_local_prepare_pushes_the_tag_and_dispatches(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    prepare_locally(cli, demo)
    before = state(demo)
    r = push(cli, demo, gh, "--format", "json")
    assert r.code == 0, r.err
    assert state(demo) == before  # nothing in the clone changed
    assert git(remote, "rev-parse", "v3.13.6") == git(demo, "rev-parse", "v3.13.6")
    assert git(remote, "rev-parse", "3.13") == git(demo, "rev-parse", "HEAD~1")  # tag only
    commit = git(demo, "rev-parse", "HEAD")
    (d,) = gh.state.repo(REPO).dispatches
    assert d["ref"] == "refs/tags/v3.13.6" and d["inputs"] == {
        "version": "3.13.6",
        "commit": commit,
    }
    report = json.loads(r.out)
    assert report["resumed"] is True and report["commit"] == commit
    assert report["signed_by"] == signing.fingerprint
    assert report["pushed"] == "origin refs/tags/v3.13.6"
    assert "pushed tag v3.13.6 to origin" in report["steps"]


def test_text_output_says_what_was_pushed_and_dispatched(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    r = push(cli, demo, gh)  # a first --push, not resumed
    assert r.code == 0, r.err
    commit = git(demo, "rev-parse", "HEAD")
    lines = [line.strip() for line in r.out.splitlines()]
    assert "pushed tag v3.13.6 to origin" in lines
    assert (
        f"dispatched release.yml on refs/tags/v3.13.6 in {REPO} (version=3.13.6, commit={commit})"
    ) in lines


def test_a_rerun_after_a_failed_dispatch_converges(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    gh.state.inject("POST", r"/dispatches$", status=403, times=1)
    r = push(cli, demo, gh)
    assert r.code == 1 and "the tag is pushed, but release.yml was not started" in r.err
    pushed = git(remote, "rev-parse", "v3.13.6")
    r = push(cli, demo, gh)  # the tag is on the remote already: only the dispatch is left
    assert r.code == 0, r.err
    assert "tag v3.13.6 is already on origin (the same tag object)" in r.out
    assert "pushed tag" not in r.out
    assert git(remote, "rev-parse", "v3.13.6") == pushed
    assert len(gh.state.repo(REPO).dispatches) == 1


def test_another_tag_on_the_remote_is_refused(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    prepare_locally(cli, demo)
    git(remote, "tag", "-a", "-m", "not ours", "v3.13.6", "3.13")
    theirs = git(remote, "rev-parse", "v3.13.6")
    r = push(cli, demo, gh)
    assert r.code == 2 and "is another tag object" in r.err, r.err
    assert git(remote, "rev-parse", "v3.13.6") == theirs
    assert gh.state.repo(REPO).dispatches == []


def test_a_tag_by_another_key_is_refused(
    demo: Path,
    remote: Path,
    gh: FakeGitHub,
    cli: Cli,
    signing: EphemeralKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepare_locally(cli, demo)  # signed with the release manager's key
    (tmp_path / "other").mkdir()
    other = generate(tmp_path / "other")
    monkeypatch.setenv("GPG_PRIVATE_KEY", other.armored_secret)
    r = push(cli, demo, gh)
    assert r.code == 1 and "has no good signature by the given key" in r.err, r.err
    assert "v3.13.6" not in git(remote, "tag")
    assert gh.state.repo(REPO).dispatches == []


def test_an_unsigned_local_tag_is_refused(
    demo: Path,
    remote: Path,
    gh: FakeGitHub,
    cli: Cli,
    rm_key: EphemeralKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GPG_PRIVATE_KEY", raising=False)
    prepare_locally(cli, demo)  # no key: an unsigned tag
    r = push(cli, demo, gh)
    assert r.code == 2 and "set $GPG_PRIVATE_KEY" in r.err
    monkeypatch.setenv("GPG_PRIVATE_KEY", rm_key.armored_secret)
    r = push(cli, demo, gh)
    assert r.code == 1 and "unsigned tag" in r.err, r.err
    assert "v3.13.6" not in git(remote, "tag")


@pytest.mark.parametrize("case", ["moved-head", "lightweight", "wrong-version"])
def test_a_tag_that_is_not_the_prepared_release_is_bad_input(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey, case: str
) -> None:
    if case == "moved-head":
        prepare_locally(cli, demo)
        git(demo, "commit", "-q", "--allow-empty", "-m", "after the release")
        message = "check out the release commit"
    elif case == "lightweight":
        git(demo, "tag", "v3.13.6")
        message = "lightweight tag"
    else:  # an annotated tag on a commit that is not the release commit of 3.13.6
        git(demo, "tag", "-a", "-m", "Python 3.13.6", "v3.13.6")
        message = "PY_VERSION '3.13.5+'"
    before = state(demo)
    r = push(cli, demo, gh)
    assert r.code == 2 and message in r.err, r.err
    assert state(demo) == before
    assert "v3.13.6" not in git(remote, "tag")
    assert gh.state.repo(REPO).dispatches == []


def test_without_push_an_existing_tag_says_how_to_push_it(
    demo: Path, cli: Cli, signing: EphemeralKey
) -> None:
    prepare_locally(cli, demo)
    r = cli("prepare", "3.13.6", "--repo", str(demo), "--skip-blockers")
    assert r.code == 2 and "prepare 3.13.6 --push" in r.err
