"""release.yml end to end under act, offline: the Linux path of a fork's rehearsal.

plan -> blockers -> build-source (build, docs, test-source), with upgrade-safety beside
them -> sign (GPG; no OIDC, so no Sigstore) -> blockers again -> verify -> publish to a fake
GitHub -> verify what the release serves -> summary. 3.13 is a security branch and no
installers were asked for, so the plan skips Windows and macOS; the sign job holds the
builds to the plan (exactly the source tarballs, their SBOMs and the docs). The macOS
rebuild's runner label is deliberately not mapped: the test demands that exactly that job,
and no other, is reported as unsupported.

The release is the demo's planted upgrade case (3.13.5 -> 3.13.6, demo_upgrade): the
upgrade-safety job builds both releases, finds every planted case, and the release goes on
because the run's upgrade-waivers input waives each finding by name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from act.github_proxy import github_proxy
from act_harness import TOOLKIT_REPO, ActHarness, ActRun
from cpython_release.demo_repo import make_demo_repo
from cpython_release.rehearsal.ephemeral_gpg import generate
from fakes_gh_issues.fake_github import FakeGitHub as IssuesFake
from fakes_github.server import start_server

pytestmark = pytest.mark.act

SOURCE_REPO = "example/cpython"
LINUX = ("ubuntu-24.04", "ubuntu-latest")
RUN_ID = 4242
VERSION = "3.13.6"
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


@pytest.fixture(scope="module")
def release(
    act: ActHarness, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ActRun, object, str]]:
    tmp = tmp_path_factory.mktemp("release")
    demo = make_demo_repo(tmp / "cpython", upgrade=True)
    act.add_repo(SOURCE_REPO, demo.path)
    key = generate(tmp)
    with (
        start_server(token="fake-token", repos=(SOURCE_REPO, "example/cpython-release")) as gh,
        IssuesFake(token=None) as issues,
        github_proxy(gh.base_url, issues.url) as api,
    ):
        issues.repo(SOURCE_REPO)
        # what the Actions jobs API would report for this run (the summary job reads it)
        issues.add_run(
            TOOLKIT_REPO,
            RUN_ID,
            [
                {
                    "id": 1,
                    "name": name,
                    "status": "completed",
                    "conclusion": "success",
                    "started_at": start,
                    "completed_at": end,
                    "labels": ["ubuntu-24.04"],
                }
                for name, start, end in (
                    ("plan / plan", "2025-06-11T12:10:00Z", "2025-06-11T12:10:40Z"),
                    (
                        "build-source / Build the source archives",
                        "2025-06-11T12:10:50Z",
                        "2025-06-11T12:14:05Z",
                    ),
                    ("upgrade-safety", "2025-06-11T12:10:50Z", "2025-06-11T12:16:20Z"),
                    ("sign / Sign the release", "2025-06-11T12:20:00Z", "2025-06-11T12:21:10Z"),
                    ("publish-github / publish", "2025-06-11T12:22:00Z", "2025-06-11T12:23:30Z"),
                )
            ],
        )
        issues.add_tag(SOURCE_REPO, f"v{VERSION}", "2025-06-11T12:00:00Z")
        run = act.run(
            "release.yml",
            inputs={
                "version": VERSION,
                "commit": demo.commit,
                "repository": SOURCE_REPO,
                "mode": "rehearsal",
                "publish-target": "github",
                "binaries-for-security": "false",
                "upgrade-waivers": WAIVERS,
            },
            secrets={"GITHUB_TOKEN": "fake-token", "GPG_PRIVATE_KEY": key.armored_secret},
            env={
                "GITHUB_API_URL": api.url,
                "GITHUB_SERVER_URL": api.url,
                "GITHUB_RUN_ID": str(RUN_ID),
            },
            labels=LINUX,
            timeout=900,
        )
        (tmp / "github-api.log").write_text(
            "\n".join(f"{m} {path} -> {backend}" for m, path, backend in api.seen) + "\n"
        )
        yield run, gh, demo.commit


def test_linux_path_runs_and_platforms_are_planned(release: tuple[ActRun, object, str]) -> None:
    run, _, _ = release
    run.assert_jobs(
        ran={
            "plan/plan",
            "blockers",
            "upgrade-safety",
            "build-source/build",
            "build-source/docs",
            "build-source/test-source",
            "sign/sign",
            "blockers-after-approval",
            "verify/verify",
            "publish-github/publish",
            "verify-published/verify",
            "summary",
        },
        skipped={
            "build-mobile/android",
            "build-mobile/ios",
            "publish-python-org/publish",
            "credentials/publish",  # python.org's credentials: not a python-org publish
            "build-windows/build",
            "build-windows/package",
            "build-windows/index",
            "build-windows/smoke",
            "build-macos/build",
            "build-macos/package",
            "build-macos/smoke",
        },
        unsupported={"build-source/rebuild"},
    )
    plan = run.outputs("plan/plan")
    assert plan["windows"] == "false" and plan["macos"] == "false" and plan["gpg"] == "true"
    assert plan["android"] == "false" and plan["publish-github"] == "true"
    assert json.loads(plan["windows-matrix"])["include"] == []
    assert "refusing to sign" not in run.job_log("sign/sign")


def test_published_release_is_signed_and_verified(release: tuple[ActRun, object, str]) -> None:
    run, gh, commit = release
    # the GitHub release is made in the repository running the workflow (the fork)
    repo = gh.state.repos[TOOLKIT_REPO.lower()]  # type: ignore[attr-defined]
    [rel] = list(repo.releases.values())
    assert rel.tag_name == f"v{VERSION}" and not rel.draft and rel.target_commitish == commit
    names = sorted(a.name for a in rel.assets.values())
    assert f"Python-{VERSION}.tgz.asc" in names and f"Python-{VERSION}.tar.xz.spdx.json" in names
    assert "SHA256SUMS" in names and "release-manifest.json" in names
    assert not any(n.endswith(".sigstore") for n in names)  # no OIDC identity under act
    assert f"Python {VERSION}: VALID" in run.job_log("verify-published/verify")
    # no Sigstore identity under act: the rehearsal's GPG key (the sign job's public key) is
    # the signer both verify jobs name, and every file carries its good .asc
    for artifact in (f"verify-report-{VERSION}", f"verify-report-{VERSION}-published"):
        report = json.loads((run.artifacts / artifact / "verify-report.json").read_text())
        assert report["result"] == "valid", report["problems"]
        assert report["policy"].startswith("OpenPGP keys in "), report["policy"]
        assert {f["checks"]["gpg"]["status"] for f in report["files"]} == {"ok"}
    record = json.loads((run.artifacts / "run-record" / "run-record.json").read_text())
    # tag at 12:00 (the fake's tagger date), published when the publish job completed
    assert record["tag_to_published_s"] == 23 * 60 + 30
    assert {j["name"] for j in record["jobs"]} >= {"plan / plan", "sign / Sign the release"}
    assert record["publish_journal"] is None  # published to GitHub: no python.org journal


def test_upgrade_safety_finds_the_planted_cases(release: tuple[ActRun, object, str]) -> None:
    """The job ran beside the builds: both releases built (the test-source build of each
    archive), every planted case found, each waived by the input, and sign went on."""
    run, _, commit = release
    report = json.loads((run.artifacts / "upgrade-report" / "upgrade-report.json").read_text())
    assert report["from"] == "v3.13.5" and report["to_commit"] == commit
    checks = {c["name"]: c["status"] for c in report["checks"]}
    assert checks["changed-tests"] == checks["old-tests"] == checks["abi-dump"] == "ran"
    found = sorted((f["kind"], f["gh_issue"]) for f in report["findings"])
    assert found == sorted(
        [
            ("behaviour-change", 140101),
            ("behaviour-change", 140103),
            ("changed-tests", 140101),
            ("removed-tests", 140103),
            ("stable-abi", 140104),
            ("abi", 140104),
        ]
    )
    assert all(f["waived"] for f in report["findings"]) and report["result"] == "clean"
    assert 140102 not in {f["gh_issue"] for f in report["findings"]}  # only added tests
    log = run.job_log("upgrade-safety")
    assert "Upgrade safety" in log or "upgrade check v3.13.5" in log
    record = json.loads((run.artifacts / "run-record" / "run-record.json").read_text())
    entry = record["upgrade_safety"]
    assert entry["status"] == "clean" and len(entry["findings"]) == 6
    assert entry["check_s"] > 0 and entry["job_s"] == 5 * 60 + 30
    assert {w["reason"] for w in entry["waivers"]} >= {"abi_only entry, never exported"}
