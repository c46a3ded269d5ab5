"""``publish --target github`` through the command, against the fake GitHub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cpython_release.publish import github_release
from fakes_github import FakeGitHub, start_server
from publish_local.release_factory import VERSION, make_release

REPO = "octo/cpython"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    # The command paces writes a second apart for api.github.com; the fake needs no pacing.
    monkeypatch.setenv(github_release.WRITE_INTERVAL_ENV, "0")
    with start_server(repos=(REPO,)) as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        yield gh


def test_github_target_publishes_then_skips(
    cli: Callable[..., Any], github: FakeGitHub, tmp_path: Path
) -> None:
    directory = tmp_path / "artifacts"
    manifest = make_release(directory)
    base = [
        "publish",
        "--target",
        "github",
        "--dir",
        str(directory),
        "--repo",
        REPO,
        "--github-api-url",
        github.base_url,
    ]
    dry = cli(*base, "--dry-run")
    assert dry.code == 0, dry.err
    assert "github  upload" in dry.out and github.state.releases(REPO) == []

    r = cli(*base)
    assert r.code == 0, r.err
    release = github.state.release_by_tag(REPO, f"v{VERSION}")
    names = {a.name for a in release.assets.values() if a.state == "uploaded"}
    assert "amd64rc2--core.msi" in names
    assert len(names) >= len(manifest.all_files())

    again = cli(*base)
    assert again.code == 0, again.err
    assert "github  upload" not in again.out and "github  skip" in again.out


def test_github_target_without_token_touches_nothing(
    cli: Callable[..., Any], github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    directory = tmp_path / "artifacts"
    make_release(directory)
    r = cli(
        "publish",
        "--target",
        "github",
        "--dir",
        str(directory),
        "--repo",
        REPO,
        "--github-api-url",
        github.base_url,
    )
    assert r.code == 2
    assert "missing credentials, nothing was touched: GITHUB_TOKEN" in r.err
    assert github.state.releases(REPO) == []
