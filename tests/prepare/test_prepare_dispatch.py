"""``prepare --push`` starts release.yml on the pushed tag (a workflow_dispatch on
``refs/tags/vVERSION``) through the fake GitHub; a failed dispatch keeps the tag and says how
to start the release by hand; ``--no-dispatch`` pushes the tag only."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.rehearsal.ephemeral_gpg import EphemeralKey
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


def push(cli: Cli, demo: Path, gh: FakeGitHub, *extra: str) -> Any:
    return cli(
        "prepare", "3.13.6", "--repo", str(demo), "--skip-blockers", "--push",
        "--repository", REPO, "--github-api", gh.base_url, "--format", "json", *extra,
    )  # fmt: skip


def test_push_starts_release_yml_on_the_tag(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    r = push(cli, demo, gh, "--release-input", "mode=release", "--release-input", "x=a=b")
    assert r.code == 0, r.err
    commit = git(remote, "rev-parse", "v3.13.6^{commit}")
    (d,) = gh.state.repo(REPO).dispatches
    assert d == {
        "workflow": "release.yml",
        "ref": "refs/tags/v3.13.6",
        "inputs": {"version": "3.13.6", "commit": commit, "mode": "release", "x": "a=b"},
    }
    report = json.loads(r.out)
    assert report["dispatched"] == "release.yml on refs/tags/v3.13.6"
    assert report["commit"] == commit


def test_no_dispatch_pushes_the_tag_only(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    r = push(cli, demo, gh, "--no-dispatch")
    assert r.code == 0, r.err
    assert git(remote, "rev-parse", "v3.13.6") == git(demo, "rev-parse", "v3.13.6")
    assert gh.state.repo(REPO).dispatches == []
    assert json.loads(r.out)["dispatched"] is None


def test_a_failed_dispatch_keeps_the_tag_and_says_how_to_start_by_hand(
    demo: Path, remote: Path, gh: FakeGitHub, cli: Cli, signing: EphemeralKey
) -> None:
    gh.state.inject("POST", r"/dispatches$", status=403, times=None)
    r = push(cli, demo, gh, "--release-workflow", "my release.yml")
    assert r.code == 1, r.err
    commit = git(remote, "rev-parse", "v3.13.6^{commit}")  # the tag is pushed and stays
    assert json.loads(r.out)["pushed"] == "origin refs/tags/v3.13.6"
    assert "the tag is pushed, but my release.yml was not started" in r.err
    assert "HTTP 403" in r.err and "nothing pushed is undone" in r.err
    (line,) = [x for x in r.err.splitlines() if "gh workflow run" in x]
    argv = shlex.split(line.split("- ", 1)[1])
    assert argv == [
        "gh", "workflow", "run", "my release.yml", "--repo", REPO, "--ref", "refs/tags/v3.13.6",
        "-f", "version=3.13.6", "-f", f"commit={commit}",
    ]  # fmt: skip
    assert gh.state.repo(REPO).dispatches == []


@pytest.mark.parametrize(
    ("extra", "env_token", "message"),
    [
        ((), False, "set $GITHUB_TOKEN"),
        (("--release-input", "version=3.13.7"), True, "set from the tag"),
        (("--release-input", "mode"), True, "must be NAME=VALUE"),
        (("--release-input", "a=1", "--release-input", "a=2"), True, "given twice"),
    ],
)
def test_bad_dispatch_options_change_nothing(
    demo: Path,
    remote: Path,
    gh: FakeGitHub,
    cli: Cli,
    signing: EphemeralKey,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    env_token: bool,
    message: str,
) -> None:
    if not env_token:
        monkeypatch.delenv("GITHUB_TOKEN")
    before = state(demo)
    r = push(cli, demo, gh, *extra)
    assert r.code == 2 and message in r.err, r.err
    assert state(demo) == before
    assert "v3.13.6" not in git(remote, "tag")
