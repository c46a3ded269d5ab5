"""``cpython-release nightly select`` and ``nightly track``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cpython_release import nightly_names
from cpython_release.nightly import base_version, nightly_version, parse_ls_remote
from cpython_release.patchlevel import next_release
from cpython_release.version import ReleaseVersion
from fakes_gh_issues import FakeGitHub

Cli = Callable[..., Any]
CYCLE = str(Path(__file__).parent / "data" / "release-cycle.json")
SOURCE = "python/cpython"
TOOLKIT = "rehearsal-org/cpython-release"
DAY = date(2026, 11, 21)
OLD = "0" * 39 + "1"


def _select(cli: Cli, *args: str) -> Any:
    return cli(
        "nightly",
        "select",
        "--repository",
        SOURCE,
        "--release-cycle",
        CYCLE,
        "--date",
        DAY.isoformat(),
        *args,
    )


def _publish_nightly(
    gh: FakeGitHub, branch: str, day: date, commit: str, *, draft: bool = False
) -> None:
    n = nightly_names.Nightly.for_commit(branch, day, commit)
    gh.add_release(
        TOOLKIT,
        n.tag,
        name=n.name,
        body=nightly_names.release_body(n, commit),
        draft=draft,
        created_at=f"{day.isoformat()}T03:30:00Z",
    )


def test_base_version_and_ls_remote_parsing() -> None:
    assert base_version('#define PY_VERSION              "3.15.0a2+"\n') == "3.15.0a2+"
    assert base_version('# define PY_VERSION "3.14.3"') == "3.14.3"
    with pytest.raises(Exception, match="no '#define PY_VERSION"):
        base_version("#define PY_MAJOR_VERSION 3\n")
    sha = "a" * 40
    text = f"{sha}\trefs/heads/main\n{'b' * 40}\trefs/tags/v3.14.0\n\n{'c' * 40}\trefs/heads/3.14\n"
    assert parse_ls_remote(text) == {"main": sha, "3.14": "c" * 40}
    with pytest.raises(Exception, match="line 1"):
        parse_ls_remote("not a sha\trefs/heads/main\n")


@pytest.mark.parametrize(
    ("base", "following"),
    [
        ("3.15.0a2+", "3.15.0a3"),
        ("3.16.0a0", "3.16.0a1"),
        ("3.15.0b1+", "3.15.0b2"),
        ("3.15.0rc2+", "3.15.0rc3"),
        ("3.14.3+", "3.14.4"),
        ("3.14.3", "3.14.4"),
    ],
)
def test_nightly_version_sorts_between_releases(base: str, following: str) -> None:
    assert next_release(base) == following
    version = nightly_version(base, DAY)
    assert str(version) == f"{following}.dev20261121"
    assert version.is_nightly
    released = base.rstrip("+")
    if not released.endswith("a0"):
        assert ReleaseVersion.parse(released) < version < ReleaseVersion.parse(following)
    assert nightly_version(base, date(2026, 11, 20)) < version


def test_select_from_clone_and_state(cli: Cli, cpython_repo: Any, tmp_path: Path) -> None:
    heads = cpython_repo.heads
    state = tmp_path / "state.json"
    # 3.15 unchanged since its last nightly, 3.14 moved, main never built.
    state.write_text(json.dumps({"3.15": heads["3.15"], "3.14": {"commit": OLD, "tag": "t"}}))
    res = _select(cli, "--clone", str(cpython_repo.path), "--state", str(state))
    assert res.code == 0, res.err
    data = json.loads(res.out)
    by = {b["branch"]: b for b in data["branches"]}
    assert list(by) == ["main", "3.15", "3.14"]  # 3.13 is security-only, 3.9 end-of-life
    assert (by["main"]["build"], by["main"]["reason"]) == (True, "no previous nightly")
    assert (by["3.15"]["build"], by["3.15"]["moved"]) == (False, False)
    assert by["3.15"]["reason"].startswith("unchanged since")
    assert (by["3.14"]["build"], by["3.14"]["reason"]) == (True, "moved since t")
    assert by["main"]["base_version"] == "3.16.0a2+"
    assert by["3.14"]["base_version"] == "3.14.3+"
    expected_tag = f"nightly-main-20261121-{heads['main'][:12]}"
    assert by["main"]["tag"] == expected_tag
    assert by["main"]["version"] == "3.16.0a3.dev20261121"
    assert by["3.14"]["version"] == "3.14.4.dev20261121"
    assert by["3.15"]["version"] is None  # not built
    include = data["matrix"]["include"]
    assert [e["branch"] for e in include] == ["main", "3.14"]
    assert include[0] == {
        "branch": "main",
        "commit": heads["main"],
        "version": "3.16.0a3.dev20261121",
        "tag": expected_tag,
        "name": f"Python main nightly 2026-11-21 ({heads['main'][:12]})",
        "base_version": "3.16.0a2+",
        "date": "2026-11-21",
        "binaries-for-security": "false",
    }


def test_select_security_branches_weekly_with_installers(
    cli: Cli, cpython_repo: Any, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    state.write_text("{}")
    clone = ("--clone", str(cpython_repo.path), "--state", str(state))
    res = _select(cli, *clone, "--security", "true")
    assert res.code == 0, res.err
    legs = {e["branch"]: e for e in json.loads(res.out)["matrix"]["include"]}
    assert list(legs) == ["main", "3.15", "3.14", "3.13"]
    assert legs["3.13"]["version"] == "3.13.10.dev20261121"
    assert legs["3.13"]["binaries-for-security"] == "true"
    assert {legs[b]["binaries-for-security"] for b in ("main", "3.15", "3.14")} == {"false"}
    # the daily run leaves the security branch out, and says how to ask for it
    res = _select(cli, *clone, "--branch", "3.13")
    assert res.code == 2 and "security branches with --security" in res.err


def test_select_force_and_branch_subset(cli: Cli, cpython_repo: Any, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(cpython_repo.heads))
    res = _select(cli, "--clone", str(cpython_repo.path), "--state", str(state))
    assert json.loads(res.out)["matrix"] == {"include": []}
    res = _select(
        cli,
        "--clone",
        str(cpython_repo.path),
        "--state",
        str(state),
        "--branch",
        "main 3.14",
        "--force",
        "true",
    )
    data = json.loads(res.out)
    assert [e["branch"] for e in data["matrix"]["include"]] == ["main", "3.14"]
    assert {b["reason"] for b in data["branches"]} == {"unchanged, forced"}
    res = _select(
        cli,
        "--clone",
        str(cpython_repo.path),
        "--state",
        str(state),
        "--branch",
        "",
        "--force",
        "false",
    )
    assert len(json.loads(res.out)["branches"]) == 3
    res = _select(cli, "--clone", str(cpython_repo.path), "--branch", "3.13,main")
    assert res.code == 2
    assert "not a maintained branch: 3.13" in res.err


def test_select_from_git_url_and_github_releases(
    cli: Cli, cpython_repo: Any, fake_github: FakeGitHub, actions_env: dict[str, Path]
) -> None:
    heads = cpython_repo.heads
    fake_github.repo(SOURCE)
    fake_github.add_file(
        SOURCE, "Include/patchlevel.h", heads["main"], '#define PY_VERSION "3.16.0a2+"\n'
    )
    fake_github.add_file(
        SOURCE, "Include/patchlevel.h", heads["3.14"], '#define PY_VERSION "3.15.0a7+"\n'
    )  # disagrees with the cycle data
    # main: an older published nightly of another commit, then a newer draft of the head
    _publish_nightly(fake_github, "main", date(2026, 11, 19), OLD)
    _publish_nightly(fake_github, "main", date(2026, 11, 20), heads["main"], draft=True)
    # 3.15: the newest published nightly is of the head -> not built
    _publish_nightly(fake_github, "3.15", date(2026, 11, 18), OLD)
    _publish_nightly(fake_github, "3.15", date(2026, 11, 20), heads["3.15"])
    # 3.14: a lookalike (tag without a marker) of the head does not count
    fake_github.add_release(TOOLKIT, f"nightly-3.14-20261120-{heads['3.14'][:12]}", body="")
    res = _select(
        cli,
        "--git-url",
        str(cpython_repo.path),
        "--releases-repository",
        TOOLKIT,
        "--github-api",
        fake_github.url,
        "--retries",
        "0",
        "--format",
        "github",
    )
    assert res.code == 0, res.err
    by = {b["branch"]: b for b in json.loads(res.out)["branches"]}
    assert by["main"]["last_tag"] == f"nightly-main-20261119-{OLD[:12]}"
    assert by["main"]["last_commit"] == OLD and by["main"]["build"] is True
    assert by["3.15"]["build"] is False and by["3.15"]["last_commit"] == heads["3.15"]
    assert by["3.14"]["last_commit"] is None and by["3.14"]["build"] is True
    assert by["3.14"]["base_version"] == "3.15.0a7+"
    assert "3.14: Include/patchlevel.h says 3.15.0a7+ but the release-cycle data" in res.err
    assert "nightly version 3.15.0a8.dev20261121 belongs to branch main" in res.err
    outputs = actions_env["output"].read_text()
    assert "any=true\n" in outputs and "count=2\n" in outputs
    assert "branches=main 3.14\n" in outputs
    matrix_line = next(x for x in outputs.splitlines() if x.startswith("matrix="))
    assert [e["commit"] for e in json.loads(matrix_line[7:])["include"]] == [
        heads["main"],
        heads["3.14"],
    ]
    summary = actions_env["summary"].read_text()
    assert "| 3.15 |" in summary and "| no |" in summary
    # patchlevel.h was read only for the branches that build
    refs = sorted(q.get("ref", "") for m, p, q in fake_github.log if "/contents/" in p)
    assert refs == sorted([heads["main"], heads["3.14"]])


def test_select_skips_a_cycle_branch_the_repository_lacks(
    cli: Cli, cpython_repo: Any, tmp_path: Path
) -> None:
    heads = cpython_repo.heads
    listing = tmp_path / "ls-remote.txt"
    listing.write_text(f"{heads['main']}\trefs/heads/main\n{heads['3.14']}\trefs/heads/3.14\n")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"main": heads["main"], "3.14": heads["3.14"]}))
    res = _select(cli, "--ls-remote", str(listing), "--state", str(state))
    assert res.code == 0, res.err
    by = {b["branch"]: b for b in json.loads(res.out)["branches"]}
    assert (by["3.15"]["build"], by["3.15"]["moved"], by["3.15"]["head"]) == (False, False, "")
    assert "warning: 3.15: the repository has no such branch; skipped" in res.err


def test_select_from_saved_ls_remote(
    cli: Cli, cpython_repo: Any, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    heads = cpython_repo.heads
    listing = tmp_path / "ls-remote.txt"
    listing.write_text("".join(f"{sha}\trefs/heads/{b}\n" for b, sha in heads.items()))
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"main": heads["main"], "3.15": heads["3.15"]}))
    fake_github.repo(SOURCE)
    fake_github.add_file(
        SOURCE, "Include/patchlevel.h", heads["3.14"], '#define PY_VERSION "3.14.3+"\n'
    )
    res = _select(
        cli,
        "--ls-remote",
        str(listing),
        "--state",
        str(state),
        "--github-api",
        fake_github.url,
        "--retries",
        "0",
    )
    assert res.code == 0, res.err
    assert [e["branch"] for e in json.loads(res.out)["matrix"]["include"]] == ["3.14"]


def test_select_errors_exit_2(
    cli: Cli, cpython_repo: Any, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.repo(TOOLKIT)
    fake_github.repo(SOURCE)
    fake_github.errors[("GET", f"/repos/{TOOLKIT}/releases")] = 502
    common = ("--releases-repository", TOOLKIT, "--github-api", fake_github.url, "--retries", "0")
    res = _select(cli, "--git-url", str(cpython_repo.path), *common)
    assert res.code == 2
    assert "GitHub API error while listing the releases of rehearsal-org/cpython-release" in res.err
    del fake_github.errors[("GET", f"/repos/{TOOLKIT}/releases")]
    res = _select(cli, "--git-url", str(cpython_repo.path), *common)  # no patchlevel.h served
    assert res.code == 2
    assert "reading Include/patchlevel.h of python/cpython at" in res.err and "404" in res.err
    res = _select(cli, "--git-url", str(tmp_path / "nowhere"), *common)
    assert res.code == 2 and "git failed to list the branches" in res.err
    listing = tmp_path / "ls.txt"
    listing.write_text(f"{'a' * 40}\trefs/heads/main\n")
    res = _select(cli, "--ls-remote", str(listing), "--branch", "main,3.14", *common)
    assert res.code == 2 and "no head found for branch(es) 3.14" in res.err
    listing.write_text(f"{'a' * 40}\trefs/heads/2.7\n")
    res = _select(cli, "--ls-remote", str(listing), *common)
    assert res.code == 2 and "no head found for branch(es) main, 3.15, 3.14" in res.err


# --- track -------------------------------------------------------------------------------------
def _track(cli: Cli, gh: FakeGitHub, branch: str, result: str, run: int, *extra: str) -> Any:
    return cli(
        "nightly",
        "track",
        "--repository",
        TOOLKIT,
        "--branch",
        branch,
        "--result",
        result,
        "--run-url",
        f"https://github.com/{TOOLKIT}/actions/runs/{run}",
        "--github-api",
        gh.url,
        "--retries",
        "0",
        *extra,
    )


def test_track_opens_comments_and_closes(cli: Cli, fake_github: FakeGitHub) -> None:
    fake_github.repo(TOOLKIT)
    other = fake_github.add_issue(TOOLKIT, "Unrelated", labels=["nightly-failure"])
    old = fake_github.add_issue(
        TOOLKIT, "[nightly main] nightly build failing", labels=["nightly-failure"], state="closed"
    )

    res = _track(cli, fake_github, "main", "failure", 1, "--commit", "a" * 40)
    assert (res.code, res.out.strip()) == (0, "nightly track main: opened #3")
    issue = fake_github.issues_of(TOOLKIT)[2]
    assert issue["title"] == "[nightly main] nightly build failing"
    assert [lab["name"] for lab in issue["labels"]] == ["nightly-failure"]
    assert "nightly-failure" in fake_github.repo(TOOLKIT).labels  # created once, before use
    assert [m for m, p, q in fake_github.log if p.endswith("/labels")] == ["POST"]
    assert f"https://github.com/{TOOLKIT}/actions/runs/1" in issue["body"]
    assert "aaaaaaaaaaaa" in issue["body"]

    res = _track(cli, fake_github, "main", "failure", 2)
    assert res.out.strip() == "nightly track main: commented on #3"
    assert len(fake_github.issues_of(TOOLKIT)) == 3
    assert fake_github.comments_of(TOOLKIT, 3)[0]["body"].endswith("/actions/runs/2")

    res = _track(cli, fake_github, "3.14", "failure", 2)
    assert res.out.strip() == "nightly track 3.14: opened #4"

    res = _track(cli, fake_github, "main", "cancelled", 3)
    assert "left as it is" in res.out
    res = _track(cli, fake_github, "main", "success", 4)
    assert res.out.strip() == "nightly track main: closed #3"
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert "green again" in fake_github.comments_of(TOOLKIT, 3)[-1]["body"]
    assert fake_github.issues_of(TOOLKIT)[3]["state"] == "open"  # 3.14 still failing
    assert other["state"] == "open" and fake_github.comments_of(TOOLKIT, 1) == []
    assert old["state"] == "closed" and fake_github.comments_of(TOOLKIT, 2) == []

    res = _track(cli, fake_github, "main", "success", 5)
    assert "main is green; no open nightly-failure issue" in res.out


def test_track_result_auto_from_jobs(cli: Cli, fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.repo(TOOLKIT)
    jobs = {
        "jobs": [
            {
                "name": "select",
                "status": "completed",
                "conclusion": "success",
                "started_at": "2026-11-21T03:00:00Z",
                "completed_at": "2026-11-21T03:01:00Z",
            },
            {
                "name": "nightly main / build-source / build",
                "status": "completed",
                "conclusion": "success",
                "started_at": "2026-11-21T03:01:00Z",
                "completed_at": "2026-11-21T03:10:00Z",
            },
            {
                "name": "nightly main / sign / sign",
                "status": "completed",
                "conclusion": "failure",
                "started_at": "2026-11-21T03:10:00Z",
                "completed_at": "2026-11-21T03:11:00Z",
            },
            {
                "name": "nightly 3.14 / build-source / build",
                "status": "completed",
                "conclusion": "success",
                "started_at": "2026-11-21T03:01:00Z",
                "completed_at": "2026-11-21T03:10:00Z",
            },
        ]
    }
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(jobs))
    res = _track(cli, fake_github, "main", "auto", 9, "--jobs-json", str(path))
    assert res.code == 0, res.err
    assert "result of the main nightly: failure" in res.out and "opened #1" in res.out
    res = _track(cli, fake_github, "3.14", "auto", 9, "--jobs-json", str(path))
    assert "result of the 3.14 nightly: success" in res.out
    res = _track(cli, fake_github, "3.15", "auto", 9, "--jobs-json", str(path))
    assert res.code == 2 and "no job of this run is named 'nightly 3.15'" in res.err


def test_track_errors_exit_2(cli: Cli, fake_github: FakeGitHub) -> None:
    fake_github.repo(TOOLKIT)
    fake_github.errors[("POST", f"/repos/{TOOLKIT}/issues")] = 403
    res = _track(cli, fake_github, "main", "failure", 1)
    assert res.code == 2
    assert "HTTP 403" in res.err and "missing permission" in res.err
    res = _track(cli, fake_github, "3.x", "failure", 1)
    assert res.code == 2 and "nightly branch must be 'main' or 'X.Y'" in res.err
    res = cli(
        "nightly",
        "track",
        "--repository",
        TOOLKIT,
        "--branch",
        "main",
        "--result",
        "failure",
        "--github-api",
        fake_github.url,
    )
    assert res.code == 2 and "--run-url is required outside GitHub Actions" in res.err


# --- prune (retention, through cpython_release.publish.retention) ------------------------------
def test_prune_keeps_the_newest_nightlies_of_the_branch(cli: Cli, fake_github: FakeGitHub) -> None:
    fake_github.repo(TOOLKIT)
    for day in (17, 18, 19, 20):
        _publish_nightly(fake_github, "main", date(2026, 11, day), str(day) * 20)
    _publish_nightly(fake_github, "3.14", date(2026, 11, 16), "16" * 20)
    fake_github.add_release(TOOLKIT, "v3.14.2", prerelease=False)
    common = (
        "nightly",
        "prune",
        "--repository",
        TOOLKIT,
        "--branch",
        "main",
        "--keep",
        "2",
        "--github-api",
        fake_github.url,
        "--write-interval",
        "0",
        "--retries",
        "0",
    )
    res = cli(*common, "--dry-run")
    assert res.code == 0, res.err
    assert "would delete 2 release(s)" in res.out
    assert len(fake_github.repo(TOOLKIT).releases) == 6
    res = cli(*common)
    assert res.code == 0, res.err
    assert "deleted 2 release(s), kept up to 2" in res.out
    tags = [r["tag_name"] for r in fake_github.repo(TOOLKIT).releases]
    assert sorted(t for t in tags if t.startswith("nightly-main")) == [
        f"nightly-main-20261119-{'19' * 6}",
        f"nightly-main-20261120-{'20' * 6}",
    ]
    assert f"nightly-3.14-20261116-{'16' * 6}" in tags and "v3.14.2" in tags
    assert f"nightly-main-20261117-{'17' * 6}" not in fake_github.repo(TOOLKIT).tags
    assert [m for m, p, q in fake_github.log if m == "DELETE"] == ["DELETE"] * 4


def test_prune_needs_a_token(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    res = cli("nightly", "prune", "--repository", TOOLKIT, "--branch", "main")
    assert res.code == 2 and "needs $GITHUB_TOKEN" in res.err
