"""``finish --push`` checks the token and its push access before anything is made or pushed,
and a re-run after a partial run converges: branches already made or pushed with the same
content are kept, pull requests already open are not opened again."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes_github import start_server
from fakes_github.server import FakeGitHub
from prepare.prepare_helpers import git, state

Cli = Callable[..., Any]
REPO = "octo/cpython"
POST = "post-release-3.13.6"


@pytest.fixture
def prepared(demo: Path, cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    """The demo after prepare 3.13.6, with an empty bare origin."""
    assert cli("prepare", "3.13.6", "--repo", str(demo), "--skip-blockers").code == 0
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(demo, "remote", "set-url", "origin", str(remote))
    return demo, remote


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with start_server() as fake:
        # the fake models the API, not git: the branches the push creates are known to it
        fake.state.repo(REPO).branches.update({"3.13": "1" * 40, POST: "2" * 40})
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        yield fake


def finish(cli: Cli, repo: Path, gh: FakeGitHub, out: Path) -> Any:
    return cli(
        "finish", "3.13.6", "--repo", str(repo), "--push", "--repository", REPO,
        "--github-api", gh.base_url, "--out", str(out), "--format", "json",
    )  # fmt: skip


def remote_refs(remote: Path) -> str:
    return git(remote, "for-each-ref")


@pytest.mark.parametrize("trouble", ["no token", "bad token", "no push access"])
def test_the_token_and_push_access_are_checked_before_anything(
    prepared: tuple[Path, Path],
    gh: FakeGitHub,
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    trouble: str,
) -> None:
    repo, remote = prepared
    if trouble == "no token":
        monkeypatch.delenv("GITHUB_TOKEN")
        message = "set $GITHUB_TOKEN"
    elif trouble == "bad token":
        monkeypatch.setenv("GITHUB_TOKEN", "not-the-token")
        message = "HTTP 401 Bad credentials (is GITHUB_TOKEN valid?)"
    else:  # the remote can be read, not pushed to (a read-only token on GitHub)
        git(repo, "config", "remote.origin.pushurl", str(tmp_path / "no-such-remote.git"))
        message = "cannot push to origin (a dry run, before anything was pushed)"
    before, before_remote = state(repo), remote_refs(remote)
    r = finish(cli, repo, gh, tmp_path / "f")
    assert r.code == 2 and message in r.err, r.err
    assert state(repo) == before and remote_refs(remote) == before_remote
    assert gh.state.repo(REPO).pulls == [] and not (tmp_path / "f").exists()


def test_a_rerun_after_a_failed_pull_request_converges(
    prepared: tuple[Path, Path], gh: FakeGitHub, cli: Cli, tmp_path: Path
) -> None:
    repo, remote = prepared
    gh.state.inject("POST", r"/pulls$", status=403, times=1)
    r = finish(cli, repo, gh, tmp_path / "f")
    assert r.code == 2 and "opening the pull requests" in r.err, r.err
    pushed = git(remote, "rev-parse", POST)  # the branch went up; the PR did not
    assert gh.state.repo(REPO).pulls == []
    r = finish(cli, repo, gh, tmp_path / "f")  # the same --out: it holds only the drafts
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["pushed"] == [] and report["already_pushed"] == [POST]
    assert git(remote, "rev-parse", POST) == pushed
    (pull,) = gh.state.repo(REPO).pulls
    assert report["pulls"] == [
        {"head": POST, "base": "3.13", "number": pull["number"], "url": pull["html_url"],
         "existing": False}
    ]  # fmt: skip
    # a third run finds everything done: the same pull request, nothing pushed
    r = finish(cli, repo, gh, tmp_path / "f")
    assert r.code == 0, r.err
    assert json.loads(r.out)["pulls"][0]["existing"] is True
    assert len(gh.state.repo(REPO).pulls) == 1


def test_a_pushed_branch_with_the_same_content_is_kept_without_the_local_one(
    prepared: tuple[Path, Path], gh: FakeGitHub, cli: Cli, tmp_path: Path
) -> None:
    """The local branch is gone (deleted, another machine): finish makes the commit again,
    with another date, and finds the pushed one has the same tree and parent."""
    repo, remote = prepared
    gh.state.inject("POST", r"/pulls$", status=403, times=1)
    assert finish(cli, repo, gh, tmp_path / "f").code == 2
    pushed = git(remote, "rev-parse", POST)
    git(repo, "branch", "-D", POST)
    subprocess.run(["sleep", "1.1"], check=True)  # another committer date, another commit id
    r = finish(cli, repo, gh, tmp_path / "g")
    assert r.code == 0, r.err
    assert json.loads(r.out)["already_pushed"] == [POST]
    assert git(remote, "rev-parse", POST) == pushed == git(repo, "rev-parse", POST)
    assert len(gh.state.repo(REPO).pulls) == 1


def test_a_pushed_branch_with_other_content_is_bad_input(
    prepared: tuple[Path, Path], gh: FakeGitHub, cli: Cli, tmp_path: Path
) -> None:
    repo, remote = prepared
    git(repo, "push", "-q", "origin", f"v3.13.6^{{commit}}:refs/heads/{POST}")
    before, before_remote = state(repo), remote_refs(remote)
    r = finish(cli, repo, gh, tmp_path / "f")
    assert r.code == 2 and f"origin already has the branch {POST} with other content" in r.err
    assert state(repo) == before and remote_refs(remote) == before_remote
    assert gh.state.repo(REPO).pulls == []


def test_other_files_in_out_are_refused(
    prepared: tuple[Path, Path], gh: FakeGitHub, cli: Cli, tmp_path: Path
) -> None:
    repo, _ = prepared
    out = tmp_path / "f"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    before = state(repo)
    r = finish(cli, repo, gh, out)
    assert r.code == 2 and "holds other files than finish's drafts (notes.txt)" in r.err
    assert state(repo) == before and (out / "notes.txt").read_text() == "mine"
