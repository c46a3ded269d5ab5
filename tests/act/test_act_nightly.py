"""nightly.yml end to end under act, offline, on the demo repository: one branch green, one red.

- ``3.13`` is the demo's ``main`` one commit past v3.13.5 (patchlevel ``3.13.5+``), as
  branch 3.13 (a nightly is named by the branch its version belongs to): its leg runs
  release.yml in nightly mode through build-source (build, docs, test-source), sign (no
  secrets and no OIDC: signed with a GPG key made for the run), verify, publish as a GitHub
  pre-release in the fake GitHub, and verify of what that pre-release serves; then retention
  (14 older 3.13 nightlies are seeded: the oldest goes, with its tag) and track (the 3.13
  issue left open by an earlier failure is closed).
- ``3.12`` is a branch of the same repository whose head adds an empty news entry: blurb
  refuses it, so that leg fails at its first build step (early on purpose: a second full leg
  would double the test's time). Its docs job still runs beside the build. track opens a
  nightly-failure issue for it.

The release-cycle data (``$CPYTHON_RELEASE_CYCLE``) makes exactly these two branches
maintained. The Windows and macOS installers are skipped (``skip-installers``): their runners
exist only on GitHub.

How act is driven, and why:
- The two legs of one GitHub run are two act processes started together, each given its leg
  with ``--matrix branch:...``, sharing one artifact store and the same fakes, as the jobs of
  one run do. (act names a job of a workflow called by a called workflow after its nearest
  caller only, so in one process the legs' jobs could not be told apart.)
- act ends a run when a called workflow fails (nektos/act#1093: the failed call returns an
  error, where GitHub marks the job failed and goes on), so the red leg's process stops
  before retention and track. They run in a third process, on nightly.yml with the
  ``nightly`` job cut out (nothing else changed); its select finds 3.13 published already
  and only 3.12 to build.
- The Actions jobs API the track jobs read (``--result auto``) is fed live from the legs' own
  job results, named as GitHub names them (``nightly 3.12 / build-source / ...``), so the
  red/green decision comes from what really ran.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from act.github_proxy import github_proxy
from act_harness import GIT_ENV, TOOLKIT_REPO, ActHarness, ActRun
from cpython_release import nightly_names
from cpython_release.demo_repo import DemoRepo, make_demo_repo
from fakes_gh_issues.fake_github import FakeGitHub as IssuesFake
from fakes_github.server import GitHubState, start_server

pytestmark = pytest.mark.act

SOURCE_REPO = "example/cpython"
LINUX = ("ubuntu-24.04", "ubuntu-latest")
RUN_ID = 5151
KEEP = 14
GREEN, RED = "3.13", "3.12"
CYCLE = {
    "3.13": {
        "branch": "3.13",
        "status": "bugfix",
        "first_release": "2024-10-07",
        "end_of_life": "2029-10",
        "release_manager": "Demo",
    },
    "3.12": {
        "branch": "3.12",
        "status": "bugfix",
        "first_release": "2023-10-02",
        "end_of_life": "2028-10",
        "release_manager": "Demo",
    },
}
EMPTY_NEWS = "Misc/NEWS.d/next/Library/2025-06-21-12-00-00.gh-issue-140002.Empty1.rst"


def _git(repo: Path, *args: str) -> str:
    env = {**GIT_ENV, "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def red_branch(demo: DemoRepo) -> str:
    """Branch 3.12 (patchlevel 3.12.11+) whose head adds an empty news entry; its head."""
    _git(demo.path, "checkout", "-q", "-b", "3.12", demo.commit)
    patchlevel = demo.path / "Include" / "patchlevel.h"
    text = patchlevel.read_text()
    text = re.sub(r"(#define PY_MINOR_VERSION\s+)13", r"\g<1>12", text)
    text = re.sub(r"(#define PY_MICRO_VERSION\s+)5", r"\g<1>11", text)
    patchlevel.write_text(text.replace('"3.13.5+"', '"3.12.11+"'))
    (demo.path / EMPTY_NEWS).write_text("")
    _git(demo.path, "add", "-A")
    _git(demo.path, "commit", "-q", "-m", "gh-140002: add a news entry (left empty)")
    head = _git(demo.path, "rev-parse", "HEAD")
    _git(demo.path, "checkout", "-q", "main")
    return head


def after_legs_workflow(project: Path) -> str:
    """nightly.yml without its ``nightly`` job (the legs); written next to it, its name."""
    text = (project / ".github/workflows/nightly.yml").read_text()
    start, end = text.index("\n  nightly:\n"), text.index("\n  retention:\n")
    text = text[:start] + text[end:]
    assert text.count("needs: [select, nightly]") == 2
    text = text.replace("needs: [select, nightly]", "needs: [select]")
    name = "nightly-after-legs.yml"
    (project / ".github/workflows" / name).write_text(text)
    return name


def renamer(branch: str) -> Callable[[str], str]:
    """act's job keys in a run of one leg -> the job paths of nightly.yml (all_jobs)."""

    def rename(key: str) -> str:
        if key.startswith(f"nightly {branch}/"):  # a job of release.yml itself
            return "nightly/" + key.split("/", 1)[1]
        if "/" in key:  # a job of a workflow release.yml calls
            return "nightly/" + key
        return key  # select, retention, track

    return rename


class JobsFeed:
    """The run's Actions jobs API (``GET .../actions/runs/{id}/jobs``), filled as act finishes
    jobs: GitHub names a called workflow's job "<caller job name> / <job name>"."""

    def __init__(self, jobs: list[dict[str, Any]]) -> None:
        self.jobs = jobs
        self.lock = threading.Lock()

    def leg(self, branch: str) -> Callable[[dict[str, Any]], None]:
        started: dict[str, str] = {}

        def on_event(event: dict[str, Any]) -> None:
            job = str(event.get("job") or "")
            started.setdefault(job, str(event.get("time")))
            if not event.get("jobResult"):
                return
            parts = [p.strip() for p in job.split("/")]
            if len(parts) == 2:  # nightly.yml's own jobs: "nightly/select"
                name = parts[1]
            elif parts[0] == f"nightly {branch}":  # release.yml's: "nightly 3.13/release/blockers"
                name = " / ".join([parts[0], *parts[2:]])
            else:  # called by release.yml: "build-source/<workflow>/Build the source archives"
                name = " / ".join([f"nightly {branch}", parts[0], *parts[2:]])
            with self.lock:
                self.jobs.append(
                    {
                        "id": len(self.jobs) + 1,
                        "name": name,
                        "status": "completed",
                        "conclusion": event["jobResult"],
                        "started_at": started[job],
                        "completed_at": str(event.get("time")),
                        "labels": ["ubuntu-24.04"],
                    }
                )

        return on_event


@dataclass
class Nightly:
    green: ActRun
    red: ActRun
    after: ActRun
    releases: GitHubState
    issues: IssuesFake
    heads: dict[str, str]
    seeded: list[str]  # tags of the seeded older 3.13 nightlies, oldest first
    day: date
    artifacts: Path


@pytest.fixture(scope="module")
def nightly(act: ActHarness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nightly]:
    tmp = tmp_path_factory.mktemp("nightly")
    demo = make_demo_repo(tmp / "cpython", "3.13.5", past_tag=True)
    # make_demo_repo names the head past the tag branch 3.13 as well as main
    assert _git(demo.path, "rev-parse", GREEN) == demo.commit
    heads = {GREEN: demo.commit, RED: red_branch(demo)}
    act.add_repo(SOURCE_REPO, demo.path)
    cycle = tmp / "release-cycle.json"
    cycle.write_text(json.dumps(CYCLE))
    today = datetime.now(UTC).date()
    with (
        start_server(token="fake-token", repos=(SOURCE_REPO, TOOLKIT_REPO)) as gh,
        IssuesFake(token=None) as issues,
        github_proxy(gh.base_url, issues.url, releases_repos=(TOOLKIT_REPO,)) as api,
    ):
        issues.repo(SOURCE_REPO)
        # select reads Include/patchlevel.h of each head through the contents API
        for commit in heads.values():
            text = _git(demo.path, "show", f"{commit}:Include/patchlevel.h")
            issues.add_file(SOURCE_REPO, "Include/patchlevel.h", commit, text)
        # 3.13's nightlies of the last 14 days (another commit each): retention keeps 14
        seeded = []
        for back in range(KEEP, 0, -1):
            commit = f"{back:040x}"
            n = nightly_names.Nightly.for_commit(GREEN, today - timedelta(days=back), commit)
            body = nightly_names.release_body(n, commit)
            gh.state.add_release(TOOLKIT_REPO, n.tag, name=n.name, body=body, prerelease=True)
            seeded.append(n.tag)
        # 3.13 failed last night: its issue is open, and this green nightly closes it
        issues.add_issue(TOOLKIT_REPO, nightly_issue(GREEN), labels=["nightly-failure"])
        issues.add_run(TOOLKIT_REPO, RUN_ID, [])
        feed = JobsFeed(issues.repo(TOOLKIT_REPO).jobs[RUN_ID])
        shared = tmp / "artifacts"
        common: dict[str, Any] = {
            "secrets": {"GITHUB_TOKEN": "fake-token"},
            "env": {
                "GITHUB_API_URL": api.url,
                "GITHUB_SERVER_URL": api.url,
                "GITHUB_RUN_ID": str(RUN_ID),
                "CPYTHON_RELEASE_CYCLE": str(cycle),
                # git ls-remote of https://github.com/example/cpython.git reads the demo
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"url.{demo.path}.insteadOf",
                "GIT_CONFIG_VALUE_0": f"https://github.com/{SOURCE_REPO}.git",
            },
            "inputs": {"source-repository": SOURCE_REPO, "skip-installers": "true"},
            "labels": LINUX,
            "artifacts": shared,
            "timeout": 1500,
        }

        def leg(branch: str) -> ActRun:
            return act.run(
                "nightly.yml",
                matrix={"branch": branch},
                rename=renamer(branch),
                on_event=feed.leg(branch),
                **common,
            )

        with ThreadPoolExecutor(2) as pool:
            green_f, red_f = pool.submit(leg, GREEN), pool.submit(leg, RED)
            green, red = green_f.result(), red_f.result()
        after = act.run(after_legs_workflow(act.project), matrix={"branch": RED}, **common)
        (tmp / "github-api.log").write_text(
            "\n".join(f"{m} {path} -> {backend}" for m, path, backend in api.seen) + "\n"
        )
        (tmp / "jobs.json").write_text(json.dumps(feed.jobs, indent=1))
        yield Nightly(green, red, after, gh.state, issues, heads, seeded, today, shared)


def nightly_issue(branch: str) -> str:
    return f"[nightly {branch}] nightly build failing"


RELEASE_JOBS = {
    "plan/plan",
    "blockers",
    "upgrade-safety",  # bugfix and security releases only, never a nightly
    "build-source/build",
    "build-source/docs",
    "build-source/test-source",
    "build-source/rebuild",
    "build-windows/build",
    "build-windows/package",
    "build-windows/index",
    "build-windows/smoke",
    "build-macos/build",
    "build-macos/package",
    "build-macos/smoke",
    "credentials/publish",
    "build-mobile/android",
    "build-mobile/ios",
    "sign/sign",
    "blockers-after-approval",
    "verify/verify",
    "publish-python-org/publish",
    "publish-github/publish",
    "verify-published/verify",
    "summary",
}


def leg_jobs(*names: str) -> set[str]:
    assert set(names) <= RELEASE_JOBS
    return {f"nightly/{n}" for n in names}


def test_green_leg_runs_every_stage(nightly: Nightly) -> None:
    ran = {
        "plan/plan",
        "blockers",
        "build-source/build",
        "build-source/docs",
        "build-source/test-source",
        "sign/sign",
        "blockers-after-approval",
        "verify/verify",
        "publish-github/publish",
        "verify-published/verify",
    }
    nightly.green.assert_jobs(
        ran={"select", "retention", "track", *leg_jobs(*ran)},
        skipped=leg_jobs(*(RELEASE_JOBS - ran - {"build-source/rebuild"})),
        unsupported=leg_jobs("build-source/rebuild"),
    )
    assert nightly.green.outputs("nightly/plan/plan")["gpg"] == "false"  # nightlies: no GPG
    stamp = nightly.day.strftime("%Y%m%d")
    version = f"3.13.6.dev{stamp}"
    assert f"Python {version}: VALID" in nightly.green.job_log("nightly/verify-published/verify")
    for name in (f"verify-report-{version}", f"verify-report-{version}-published"):
        report = json.loads((nightly.artifacts / name / "verify-report.json").read_text())
        assert report["result"] == "valid", report["problems"]
        assert {f["checks"]["gpg"]["status"] for f in report["files"]} == {"ok"}


def test_green_leg_is_a_github_prerelease(nightly: Nightly) -> None:
    head = nightly.heads[GREEN]
    stamp = nightly.day.strftime("%Y%m%d")
    tag = f"nightly-{GREEN}-{stamp}-{head[:12]}"
    repo = nightly.releases.repos[TOOLKIT_REPO.lower()]
    [rel] = [r for r in repo.releases.values() if r.tag_name == tag]
    assert rel.prerelease and not rel.draft and rel.target_commitish == head
    names = {a.name for a in rel.assets.values()}
    version = f"3.13.6.dev{stamp}"
    assert {f"Python-{version}.tgz", f"Python-{version}.tar.xz", "SHA256SUMS"} <= names
    assert {"release-manifest.json", f"python-{version}-docs-html.zip"} <= names
    # no secrets, no OIDC: signed with a key made for the run, which verify-published checked
    assert f"Python-{version}.tgz.asc" in names
    assert not [n for n in names if n.endswith(".sigstore")]
    assert nightly_names.identify(rel.tag_name, rel.body) is not None


def test_red_leg_fails_at_its_build_and_act_stops_there(nightly: Nightly) -> None:
    ran = {"plan/plan", "blockers", "build-source/build", "build-source/docs"}
    nightly.red.assert_jobs(
        ran={"select", *leg_jobs(*ran)},
        failed=leg_jobs("build-source/build"),
        # test-source and rebuild need the build; sign and what follows need build-source;
        # retention and track are never reached under act (see the module docstring)
        skipped={"retention", "track", *leg_jobs(*(RELEASE_JOBS - ran))},
    )
    log = nightly.red.job_log("nightly/build-source/build")
    assert "Blurb 'body' text must not be empty" in log and "Empty1.rst" in log
    assert nightly.red.returncode != 0


def test_legs_keep_their_artifacts_apart(nightly: Nightly) -> None:
    names = sorted(p.name for p in nightly.artifacts.iterdir())
    # both docs jobs uploaded, each under its own leg's names
    assert {"nightly-3.13-docs", "nightly-3.12-docs", "nightly-3.13-release"} <= set(names)
    per_run = [n for n in names if not n.startswith(("nightly-3.13-", "nightly-3.12-"))]
    assert all(n.startswith(("verify-report-", "run-record-nightly-")) for n in per_run), names


def test_retention_keeps_the_newest_14(nightly: Nightly) -> None:
    repo = nightly.releases.repos[TOOLKIT_REPO.lower()]
    kept = sorted(
        r.tag_name for r in repo.releases.values() if r.tag_name.startswith("nightly-3.13-")
    )
    oldest = nightly.seeded[0]
    assert len(kept) == KEEP and oldest not in kept and nightly.seeded[1] in kept
    assert oldest not in repo.tags  # its tag went with it
    assert "deleted 1 release(s)" in nightly.green.job_log("retention")


def test_track_opens_the_red_issue_and_closes_the_green_one(nightly: Nightly) -> None:
    nightly.after.assert_jobs(ran={"select", "retention", "track"})
    issues = {i["title"]: i for i in nightly.issues.issues_of(TOOLKIT_REPO)}
    assert set(issues) == {nightly_issue(GREEN), nightly_issue(RED)}
    red, green = issues[nightly_issue(RED)], issues[nightly_issue(GREEN)]
    assert red["state"] == "open" and [x["name"] for x in red["labels"]] == ["nightly-failure"]
    assert nightly.heads[RED][:12] in red["body"]
    assert green["state"] == "closed"
    [comment] = nightly.issues.comments_of(TOOLKIT_REPO, green["number"])
    assert "green again" in comment["body"]
    assert "result of the 3.12 nightly: failure" in nightly.after.job_log("track")
    assert "result of the 3.13 nightly: success" in nightly.green.job_log("track")
