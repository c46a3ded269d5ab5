"""``cpython-release blockers`` against fake GitHub and buildbot APIs."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from cpython_release.blockers import IssueRef, scope
from cpython_release.buildbot import Build, BuildbotClient, Builder, Result, check_branch
from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion
from fakes_gh_issues import FakeBuildbot, FakeGitHub

Cli = Callable[..., Any]
CliResult = Any
FORK = "rehearsal-org/cpython"


def _issue(labels: tuple[str, ...] = (), milestone: str | None = None) -> IssueRef:
    return IssueRef(1, "t", "u", ("release-blocker", *labels), milestone)


@pytest.mark.parametrize(
    ("labels", "milestone", "version", "applies", "why"),
    [
        (("3.15", "type-bug"), None, "3.15.0a2", True, "labelled 3.15"),
        (("3.14", "3.15"), None, "3.14.2", True, "labelled 3.14"),
        (("3.13",), None, "3.14.2", False, "scoped to 3.13"),
        ((), None, "3.14.2", True, "not scoped to a branch"),
        ((), "3.15", "3.15.0a2", True, "milestone 3.15"),
        ((), "v3.15.0a2", "3.15.0a2", True, "milestone v3.15.0a2"),
        ((), "Python 3.15.0a2", "3.15.0a2", True, "milestone Python 3.15.0a2"),
        ((), "3.15.0a1", "3.15.0a2", False, "scoped to milestone 3.15.0a1"),
        ((), "3.14", "3.15.0a2", False, "scoped to milestone 3.14"),
        ((), "Some day", "3.15.0a2", True, "not scoped to a branch"),
        (("3.13",), "3.14", "3.14.1", True, "milestone 3.14"),
        ((), "3.16.0a3", "3.16.0a3.dev20261121", True, "milestone 3.16.0a3"),
        (("3.15",), None, "3.16.0a3.dev20261121", False, "scoped to 3.15"),
    ],
)
def test_scope_rules(
    labels: tuple[str, ...], milestone: str | None, version: str, applies: bool, why: str
) -> None:
    parsed = ReleaseVersion.parse(version, nightly=None)
    assert scope(_issue(labels, milestone), parsed) == (applies, why)


def run_blockers(cli: Cli, gh: FakeGitHub, repo: str, version: str, *extra: str) -> CliResult:
    return cli(
        "blockers",
        version,
        "--repository",
        repo,
        "--github-api",
        gh.url,
        "--retries",
        "0",
        *extra,
    )


def test_fork_without_blockers_passes_and_skips_buildbot(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.repo(FORK)
    fake_github.add_issue(FORK, "closed blocker", labels=["release-blocker"], state="closed")
    fake_github.add_issue(FORK, "deferred", labels=["deferred-blocker", "3.16"])
    fake_github.add_issue(FORK, "deferred elsewhere", labels=["deferred-blocker", "3.13"])
    res = run_blockers(cli, fake_github, FORK, "3.16.0a2", "--buildbot-api", fake_buildbot.url)
    assert res.code == 0, res.err
    assert "deferred (blocks the next release) issue #2: deferred" in res.out
    assert "deferred elsewhere" not in res.out
    assert "no open release-blocker issues apply" in res.out
    assert f"Buildbot check skipped: {FORK} is not python/cpython" in res.out
    assert fake_buildbot.log == []
    # The query asks GitHub for open issues with the label, not for everything.
    queries = [q for m, p, q in fake_github.log if p == f"/repos/{FORK}/issues"]
    assert [q["labels"] for q in queries] == ["release-blocker", "deferred-blocker"]
    assert queries[0]["state"] == "open"


def test_blockers_stop_the_run_with_a_list(cli: Cli, fake_github: FakeGitHub) -> None:
    # 31 blockers for other branches after them, so the applicable ones sit on page 2 (30 a page).
    applicable = fake_github.add_issue(FORK, "Crash in the JIT", labels=["release-blocker", "3.15"])
    unscoped = fake_github.add_issue(FORK, "Unscoped regression", labels=["release-blocker"])
    pr = fake_github.add_issue(
        FORK,
        "Revert the thing",
        labels=["release-blocker"],
        milestone="3.15.0a2",
        pull_request=True,
    )
    for i in range(31):
        fake_github.add_issue(FORK, f"old {i}", labels=["release-blocker", "3.13"])
    fake_github.max_per_page = 30
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2")
    assert res.code == 1
    assert "3 release blocker(s) for 3.15.0a2 in rehearsal-org/cpython" in res.err
    assert "--allow-blockers" in res.err
    for issue in (applicable, unscoped):
        assert f"issue #{issue['number']}: {issue['title']} ({issue['html_url']})" in res.err
    assert f"PR #{pr['number']}: Revert the thing" in res.err
    assert "[milestone 3.15.0a2]" in res.err
    assert "old 0" not in res.err
    assert res.out.count("ignored issue #") == 31
    pages = [
        (q["labels"], q.get("page", "1"))
        for m, p, q in fake_github.log
        if p == f"/repos/{FORK}/issues"
    ]
    assert pages == [("release-blocker", "1"), ("release-blocker", "2"), ("deferred-blocker", "1")]


def test_allow_blockers_overrides_loudly(
    cli: Cli, fake_github: FakeGitHub, actions_env: dict[str, Path]
) -> None:
    fake_github.add_issue(FORK, "Crash in the JIT", labels=["release-blocker", "3.15"])
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2", "--allow-blockers")
    assert res.code == 0
    assert "RELEASE BLOCKERS OVERRIDDEN (--allow-blockers): 1 for 3.15.0a2" in res.err
    assert "Crash in the JIT" in res.err
    assert "::warning title=Release blockers overridden::issue #1: Crash in the JIT" in res.err
    summary = actions_env["summary"].read_text()
    assert "OVERRIDDEN" in summary and "Crash in the JIT" in summary


def test_json_format(cli: Cli, fake_github: FakeGitHub) -> None:
    fake_github.add_issue(FORK, "Crash", labels=["release-blocker", "3.15"])
    fake_github.add_issue(FORK, "Old", labels=["release-blocker", "3.12"])
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2", "--format", "json", "--allow-blockers")
    data = json.loads(res.out)
    assert res.code == 0
    assert data["overridden"] is True
    assert data["branch"] == "main"
    assert [i["title"] for i in data["blocking_issues"]] == ["Crash"]
    assert [i["reason"] for i in data["ignored_issues"]] == ["scoped to 3.12"]
    assert data["buildbot"] is None and "not python/cpython" in data["buildbot_skipped"]


def test_nightly_version_is_checked_for_its_branch(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.add_issue("python/cpython", "Crash", labels=["release-blocker", "3.16"])
    res = run_blockers(
        cli,
        fake_github,
        "python/cpython",
        "3.16.0a3.dev20261121",
        "--nightly",
        "--allow-blockers",
        "--buildbot-api",
        fake_buildbot.url,
    )
    assert res.code == 0
    assert "(branch main)" in res.out and "2 stable builders tagged 3.x" in res.out
    assert "RELEASE BLOCKERS OVERRIDDEN (--allow-blockers): 1 for 3.16.0a3.dev20261121" in res.err


def test_cpython_checks_stable_buildbots_of_the_branch(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.repo("python/cpython")
    res = run_blockers(
        cli, fake_github, "python/cpython", "3.14.2", "--buildbot-api", fake_buildbot.url
    )
    assert res.code == 1
    assert "1 release blocker(s) for 3.14.2 in python/cpython" in res.err
    assert "buildbot AMD64 Windows11 Bigmem 3.14: build #89 failed test (failure)" in res.err
    assert "/#/builders/7/builds/89" in res.err
    # recovered (3), no builds (12), unstable (20) and stale (31) builders are not blockers
    for name in ("RHEL8 LTO", "macOS", "s390x", "PPC64LE"):
        assert name not in res.err
    assert "4 stable builders tagged 3.14, 1 failing" in res.out
    assert ("/all/api/v2/builders", {"tags__contains": "3.14"}) in fake_buildbot.log


def test_main_uses_the_3x_builders(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.repo("python/cpython")
    res = run_blockers(
        cli, fake_github, "python/cpython", "3.16.0a2", "--buildbot-api", fake_buildbot.url
    )
    assert res.code == 0, res.err
    assert "2 stable builders tagged 3.x, 0 failing" in res.out


def test_new_branch_falls_back_to_main_builders(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.repo("python/cpython")
    res = run_blockers(
        cli, fake_github, "python/cpython", "3.15.0b2", "--buildbot-api", fake_buildbot.url
    )
    assert res.code == 0, res.err
    assert "no stable builders tagged 3.15; used the 3.x (main) builders" in res.out


def test_stale_days_option(cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot) -> None:
    fake_github.repo(FORK)
    res = run_blockers(
        cli,
        fake_github,
        FORK,
        "3.14.2",
        "--check-buildbot",
        "--buildbot-api",
        fake_buildbot.url,
        "--stale-days",
        "30",
    )
    assert res.code == 1
    assert "PPC64LE RHEL8 3.14: build #17" in res.err


def test_skip_buildbot_for_cpython(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.repo("python/cpython")
    res = run_blockers(
        cli,
        fake_github,
        "python/cpython",
        "3.14.2",
        "--skip-buildbot",
        "--buildbot-api",
        fake_buildbot.url,
    )
    assert res.code == 0
    assert "Buildbot check skipped: --skip-buildbot given" in res.out
    assert fake_buildbot.log == []


def test_buildbot_errors_are_exit_2(
    cli: Cli, fake_github: FakeGitHub, fake_buildbot: FakeBuildbot
) -> None:
    fake_github.repo("python/cpython")
    fake_buildbot.fail_status = 503
    res = run_blockers(
        cli, fake_github, "python/cpython", "3.14.2", "--buildbot-api", fake_buildbot.url
    )
    assert res.code == 2
    assert "answered HTTP 503" in res.err
    fake_buildbot.fail_status = None
    fake_buildbot.builders = []
    res = run_blockers(
        cli, fake_github, "python/cpython", "3.14.2", "--buildbot-api", fake_buildbot.url
    )
    assert res.code == 2
    assert "lists no stable builders for 3.14" in res.err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_fork_with_issues_turned_off(cli: Cli, fake_github: FakeGitHub) -> None:
    """GitHub answers 410 for the issues of a repository with Issues turned off (a new
    fork's default): that is not "no blockers" (exit 1), and --allow-blockers (nightlies,
    rehearsals) goes on with the reason on record."""
    fake_github.repo(FORK)
    fake_github.errors[("GET", f"/repos/{FORK}/issues")] = 410
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2")
    assert res.code == 1, res.err
    assert f"Issues are turned off in {FORK}" in res.out + res.err
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2", "--allow-blockers")
    assert res.code == 0, res.err
    assert "RELEASE BLOCKERS OVERRIDDEN" in res.err and "Issues are turned off" in res.err


def test_github_errors_are_exit_2_not_no_blockers(
    cli: Cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_github.repo(FORK)
    fake_github.errors[("GET", f"/repos/{FORK}/issues")] = 500
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2")
    assert res.code == 2
    assert "GitHub API error while listing release-blocker issues" in res.err
    assert "HTTP 500" in res.err
    del fake_github.errors[("GET", f"/repos/{FORK}/issues")]

    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    res = run_blockers(cli, fake_github, FORK, "3.15.0a2")
    assert (res.code, "HTTP 401 Bad credentials (is GITHUB_TOKEN valid?)" in res.err) == (2, True)

    res = cli(
        "blockers",
        "3.15.0a2",
        "--repository",
        FORK,
        "--retries",
        "0",
        "--github-api",
        f"http://127.0.0.1:{_closed_port()}",
    )
    assert res.code == 1  # the network failed, not the input
    assert "could not reach the GitHub API" in res.err


@pytest.mark.parametrize(
    ("repo", "version", "message"),
    [("not-a-repo", "3.15.0a2", "OWNER/REPO"), (FORK, "3.15", "not a CPython release version")],
)
def test_bad_input(cli: Cli, repo: str, version: str, message: str) -> None:
    res = cli("blockers", version, "--repository", repo)
    assert res.code == 2
    assert message in res.err


class _SubstringServer(BuildbotClient):
    """A server whose tag filter matches substrings: '3.1' finds the 3.14 builders."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9/api/v2", requests.Session())

    def builders(self, tag: str) -> list[Builder]:
        return [Builder(1, "AMD64 3.14", ("3.14", "stable"))]

    def last_build(self, builderid: int) -> Build | None:
        return Build(1, 1, Result.FAILURE, time.time(), "failed")


def test_builders_must_carry_the_exact_tag() -> None:
    with pytest.raises(BadInput, match=r"no stable builders for 3\.1 \(tag 3\.x\)"):
        check_branch(_SubstringServer(), "3.1")
    report = check_branch(_SubstringServer(), "3.14")
    assert [s.builder.name for s in report.failing] == ["AMD64 3.14"]
    stale = check_branch(_SubstringServer(), "3.14", now=time.time() + 15 * 86400)
    assert stale.failing == [] and stale.statuses[0].stale
