"""One act run of release.yml that several test modules assert on (see tests/act/conftest.py).

A fork's rehearsal of the security release 3.13.5 with binaries-for-security: every job of
release.yml runs on this host, the Windows (three architectures) and macOS jobs included, and
the release is published to a fake GitHub and verified as served. What a Linux host cannot run
is in the harness's PLATFORM_ONLY table (recorded stand-ins). Release mode cannot run here: it
requires Sigstore bundles, and act has no OIDC identity. The release is the demo's planted
upgrade case (3.13.5 -> 3.13.6, demo_upgrade): upgrade-safety finds every planted case and
the run's upgrade-waivers input waives each one by name.

The run is made once per test session, by the worker that gets the ``act-release-run`` group
(tests/suite_order.py); a module that asserts on it joins that group.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act.github_proxy import github_proxy
from act_harness import GIT_ENV, TOOLKIT_REPO, ActHarness, ActRun
from cpython_release.demo_repo import make_demo_repo
from cpython_release.rehearsal.ephemeral_gpg import generate
from fakes_gh_issues.fake_github import FakeGitHub as IssuesFake
from fakes_github.server import GitHubState, start_server
from platforms.test_platforms_macos_sbom import RECIPES

SOURCE_REPO = "example/cpython"
VERSION = "3.13.6"
RUN_ID = 4242
TAGGED_AT = "2025-06-11T12:00:00Z"
# what the Actions jobs API reports for this run (the summary job reads it)
JOBS_API = (
    ("plan / plan", "2025-06-11T12:10:00Z", "2025-06-11T12:10:40Z"),
    ("build-source / Build the source archives", "2025-06-11T12:10:50Z", "2025-06-11T12:14:05Z"),
    ("upgrade-safety", "2025-06-11T12:10:50Z", "2025-06-11T12:16:20Z"),
    ("sign / Sign the release", "2025-06-11T12:20:00Z", "2025-06-11T12:21:10Z"),
    ("publish-github / publish", "2025-06-11T12:22:00Z", "2025-06-11T12:23:30Z"),
)

#: One waiver per planted finding (an unwaived one would fail upgrade-safety and stop sign).
WAIVERS = """
[[waiver]]
kind = "changed-tests"
gh_issue = 140101
reason = "JSON conformance fix, in What's New of 3.13.6"
[[waiver]]
kind = "behaviour-change"
gh_issue = 140101
reason = "the same JSON conformance fix"
[[waiver]]
kind = "removed-tests"
gh_issue = 140103
reason = "the alias was deprecated since 3.11"
[[waiver]]
kind = "behaviour-change"
gh_issue = 140103
reason = "the alias was deprecated since 3.11"
[[waiver]]
kind = "stable-abi"
subject = "function.PyDemo_OldCall"
reason = "abi_only entry, never exported"
[[waiver]]
kind = "abi"
subject = "PyDemo_OldCall"
reason = "abi_only entry, never exported"
"""


@dataclass
class ReleaseRun:
    run: ActRun
    releases: GitHubState  # the fake GitHub's releases
    commit: str  # the release commit (tag v3.13.5)
    workdir: Path  # this run's fixtures and logs


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout.strip()


def add_build_installer(repo: Path, version: str = VERSION) -> str:
    """The release commit gets Mac/BuildScript/build-installer.py (the demo repository has
    none), whose library recipes the macOS SBOM reads; the tag ``vVERSION`` moves with it."""
    script = repo / "Mac" / "BuildScript" / "build-installer.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(RECIPES, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"Python {version} (with the macOS build script)")
    _git(repo, "tag", "-f", "-a", "-m", f"Python {version}", f"v{version}")
    return _git(repo, "rev-parse", "HEAD")


@dataclass
class Fakes:
    """The fake GitHub of a release.yml run behind one API address (``api.url``)."""

    releases: GitHubState  # releases and their assets
    issues: IssuesFake  # issues, tags, the Actions jobs API
    api: Any  # the proxy: ``url`` and ``seen``

    def env(self, run_id: int) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.api.url,
            "GITHUB_SERVER_URL": self.api.url,
            "GITHUB_RUN_ID": str(run_id),
        }

    def log_requests(self, path: Path) -> None:
        path.write_text("\n".join(f"{m} {p} -> {b}" for m, p, b in self.api.seen) + "\n")


def jobs_api(names: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Jobs as the Actions jobs API lists them: (name, started_at, completed_at), all green."""
    return [
        {
            "id": i,
            "name": name,
            "status": "completed",
            "conclusion": "success",
            "started_at": start,
            "completed_at": end,
            "labels": ["ubuntu-24.04"],
        }
        for i, (name, start, end) in enumerate(names, 1)
    ]


@contextmanager
def release_fakes(
    run_id: int, jobs: list[dict[str, Any]], version: str = VERSION
) -> Iterator[Fakes]:
    """Fakes for a release of SOURCE_REPO's ``vVERSION`` (tagged at TAGGED_AT) run as
    ``run_id`` of TOOLKIT_REPO, whose jobs API lists ``jobs``."""
    with (
        start_server(token="fake-token", repos=(SOURCE_REPO, TOOLKIT_REPO)) as gh,
        IssuesFake(token=None) as issues,
        github_proxy(gh.base_url, issues.url) as api,
    ):
        issues.repo(SOURCE_REPO)
        issues.add_run(TOOLKIT_REPO, run_id, jobs)
        issues.add_tag(SOURCE_REPO, f"v{version}", TAGGED_AT)
        yield Fakes(gh.state, issues, api)


@contextmanager
def release_run(act: ActHarness, tmp: Path) -> Iterator[ReleaseRun]:
    demo = make_demo_repo(tmp / "cpython", upgrade=True)
    commit = add_build_installer(demo.path)
    act.add_repo(SOURCE_REPO, demo.path)
    key = generate(tmp)
    with release_fakes(RUN_ID, jobs_api(JOBS_API)) as fakes:
        run = act.run(
            "release.yml",
            inputs={
                "version": VERSION,
                "commit": commit,
                "repository": SOURCE_REPO,
                "mode": "rehearsal",
                "publish-target": "github",
                "binaries-for-security": "true",
                "upgrade-waivers": WAIVERS,
            },
            secrets={"GITHUB_TOKEN": "fake-token", "GPG_PRIVATE_KEY": key.armored_secret},
            env=fakes.env(RUN_ID),
            timeout=1500,
        )
        fakes.log_requests(tmp / "github-api.log")
        yield ReleaseRun(run, fakes.releases, commit, tmp)
