"""``finish`` and the release-cycle data: at b1 and X.Y.0 the branch's entry changes, written
as a diff and a pull request body (dry), or opened as a pull request in
``--release-cycle-repo`` through the fake GitHub's contents API (``--push``)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import make_demo_repo
from fakes_github import start_server
from prepare.prepare_helpers import git, state

Cli = Callable[..., Any]
PATH = "include/release-cycle.json"
CYCLE = {  # the shape of python/devguide's file, non-ASCII included
    "3.15": {
        "branch": "main",
        "pep": 790,
        "status": "feature",
        "first_release": "2026-10-01",
        "end_of_life": "2031-10",
        "release_manager": "Hugo van Kemenade",
    },
    "3.14": {
        "branch": "3.14",
        "pep": 745,
        "status": "prerelease",
        "first_release": "2025-10-07",
        "end_of_life": "2030-10",
        "release_manager": "Hugo van Kemenade",
    },
    "3.9": {
        "branch": "3.9",
        "pep": 596,
        "status": "security",
        "first_release": "2020-10-05",
        "end_of_life": "2025-10",
        "release_manager": "Łukasz Langa",
    },
}


def cycle_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_b1_dry_run_writes_the_diff_and_the_body(cli: Cli, tmp_path: Path) -> None:
    repo = make_demo_repo(tmp_path / "cpython", "3.15.0b1").path
    data = tmp_path / "release-cycle.json"
    data.write_text(cycle_text(CYCLE))
    out = tmp_path / "f"
    r = cli(
        "finish", "3.15.0b1", "--repo", str(repo), "--out", str(out), "--format", "json",
        "--release-cycle-data", str(data),
    )  # fmt: skip
    assert r.code == 0, r.err
    diff = (out / "release-cycle.diff").read_text()
    assert f"--- a/{PATH}" in diff
    changed = sorted(x for x in diff.splitlines() if x[:1] in "+-" and x[:3] not in "+++---")
    assert changed == [
        '+    "branch": "3.15",',
        '+    "status": "prerelease",',
        '-    "branch": "main",',
        '-    "status": "feature",',
    ]
    body = (out / "pr-release-cycle-3.15.0b1.md").read_text()
    assert "3.15: status 'feature' -> 'prerelease'" in body
    assert "- [ ] add the 3.16 entry (branch main, status feature)" in body
    report = json.loads(r.out)["release_cycle"]
    assert report["repository"] == "python/devguide" and report["path"] == PATH
    assert data.read_text() == cycle_text(CYCLE)  # the input is not changed


def test_other_releases_leave_it_alone(cli: Cli, tmp_path: Path) -> None:
    repo = make_demo_repo(tmp_path / "cpython", "3.15.0b2").path
    out = tmp_path / "f"
    missing = tmp_path / "no-such.json"  # never read: b2 changes nothing
    r = cli(
        "finish", "3.15.0b2", "--repo", str(repo), "--out", str(out),
        "--release-cycle-data", str(missing),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert not (out / "release-cycle.diff").exists()


def test_final_push_opens_the_pull_request_in_the_release_cycle_repo(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_demo_repo(tmp_path / "cpython", "3.14.0").path
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    with start_server(repos=("octo/cpython", "example/devguide")) as gh:
        gh.state.repo("octo/cpython").branches.update(
            {"3.14": "1" * 40, "post-release-3.14.0": "2" * 40}
        )
        devguide = gh.state.repo("example/devguide")
        devguide.files["main"] = {PATH: cycle_text(CYCLE).encode()}
        main_before = devguide.branches["main"]
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        r = cli(
            "finish", "3.14.0", "--repo", str(repo), "--push", "--repository", "octo/cpython",
            "--release-cycle-repo", "example/devguide", "--github-api", gh.base_url,
            "--out", str(tmp_path / "f"), "--format", "json",
        )  # fmt: skip
        assert r.code == 0, r.err
        again = cli(
            "finish", "3.14.0", "--repo", str(repo), "--push", "--repository", "octo/cpython",
            "--release-cycle-repo", "example/devguide", "--github-api", gh.base_url,
            "--out", str(tmp_path / "f"), "--format", "json",
        )  # fmt: skip
        assert again.code == 0, again.err  # a re-run keeps both pull requests
        assert [p["existing"] for p in json.loads(again.out)["pulls"]] == [True, True]
        assert len(gh.state.repo("octo/cpython").pulls) == 1
        (pull,) = devguide.pulls
        files = {b: dict(f) for b, f in devguide.files.items()}
        branches = dict(devguide.branches)
    assert (pull["base"]["ref"], pull["head"]["ref"]) == ("main", "release-cycle-3.14.0")
    assert pull["title"] == "Release cycle: Python 3.14.0"
    assert "3.14: status 'prerelease' -> 'bugfix'" in pull["body"]
    # main is untouched; the pull request's branch has the new entry, nothing else changed
    assert branches["main"] == main_before and files["main"][PATH] == cycle_text(CYCLE).encode()
    after = json.loads(files["release-cycle-3.14.0"][PATH])
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert after["3.14"] == {**CYCLE["3.14"], "status": "bugfix", "first_release": today}
    assert {k: v for k, v in after.items() if k != "3.14"} == {
        k: v for k, v in CYCLE.items() if k != "3.14"
    }
    assert files["release-cycle-3.14.0"][PATH].decode() == cycle_text(after)  # same layout
    pulls = json.loads(r.out)["pulls"]
    assert pulls[-1]["head"] == "release-cycle-3.14.0" and pulls[-1]["number"] == pull["number"]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (None, ("--push",), "--release-cycle-data is for a dry run"),
        ("not json", (), "is not JSON"),
        ('{"3.13": {}}', (), "has no entry for 3.14"),
        (None, ("--release-cycle-repo", "nope"), "must be OWNER/REPO"),
    ],
)
def test_bad_release_cycle_input_changes_nothing(
    cli: Cli, tmp_path: Path, content: str | None, extra: tuple[str, ...], message: str
) -> None:
    repo = make_demo_repo(tmp_path / "cpython", "3.14.0").path
    git(repo, "remote", "add", "origin", str(tmp_path))
    data = tmp_path / "rc.json"
    data.write_text(content if content is not None else cycle_text(CYCLE))
    before = state(repo)
    out = tmp_path / "f"
    r = cli(
        "finish", "3.14.0", "--repo", str(repo), "--out", str(out),
        "--release-cycle-data", str(data), *extra,
    )  # fmt: skip
    assert r.code == 2 and message in r.err, r.err
    assert state(repo) == before and not out.exists()


def test_an_unreadable_release_cycle_repo_stops_before_any_change(cli: Cli, tmp_path: Path) -> None:
    repo = make_demo_repo(tmp_path / "cpython", "3.14.0").path
    before = state(repo)
    with start_server(repos=("example/devguide",)) as gh:  # no release-cycle.json there
        r = cli(
            "finish", "3.14.0", "--repo", str(repo), "--out", str(tmp_path / "f"),
            "--release-cycle-repo", "example/devguide", "--github-api", gh.base_url,
        )  # fmt: skip
    assert r.code == 2 and "HTTP 404" in r.err and "--release-cycle-data" in r.err, r.err
    assert state(repo) == before
