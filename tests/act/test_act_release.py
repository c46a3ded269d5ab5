"""release.yml end to end under act, offline: the path every release takes.

plan -> blockers -> build-source (build, docs, test-source, rebuild) -> sign (GPG; no OIDC,
so no Sigstore) -> blockers again -> verify -> publish to a fake GitHub -> verify what the
release serves -> summary, with upgrade-safety beside the builds. These tests assert on the
session's shared release run (tests/act/release_run.py: 3.13.6 with binaries-for-security,
so the Windows and macOS jobs run too; test_act_release_binaries.py asserts on those). The
release is the demo's planted upgrade case (3.13.5 -> 3.13.6, demo_upgrade): the
upgrade-safety job builds both releases, finds every planted case, and the release goes on
because the run's upgrade-waivers input waives each finding by name. The plan of a security release
without installers, and a runner label left unmapped on purpose, are asserted on the
secret-less rehearsal's run (test_act_rehearsal_nosecrets.py).
"""

from __future__ import annotations

import json

import pytest

from act.release_run import VERSION, ReleaseRun
from act_harness import TOOLKIT_REPO

pytestmark = pytest.mark.act


def test_the_release_is_planned_and_signed(shared_release_run: ReleaseRun) -> None:
    # every job is accounted for in test_act_release_binaries.py
    run = shared_release_run.run
    plan = run.outputs("plan/plan")
    assert plan["gpg"] == "true" and plan["android"] == "false" and plan["ios"] == "false"
    assert plan["publish-github"] == "true" and plan["publish-python-org"] == "false"
    assert run.job_results["sign/sign"] == "success"
    assert "refusing to sign" not in run.job_log("sign/sign")


def test_published_release_is_signed_and_verified(shared_release_run: ReleaseRun) -> None:
    run, commit = shared_release_run.run, shared_release_run.commit
    # the GitHub release is made in the repository running the workflow (the fork)
    repo = shared_release_run.releases.repos[TOOLKIT_REPO.lower()]
    [rel] = list(repo.releases.values())
    assert rel.tag_name == f"v{VERSION}" and not rel.draft and rel.target_commitish == commit
    names = sorted(a.name for a in rel.assets.values())
    assert f"Python-{VERSION}.tgz.asc" in names and f"Python-{VERSION}.tar.xz.spdx.json" in names
    assert "SHA256SUMS" in names and "release-manifest.json" in names
    assert not any(n.endswith(".sigstore") for n in names)  # no OIDC identity under act
    assert f"Python {VERSION}: VALID" in run.job_log("verify-published/verify")
    # publish itself checked the manifest's signature first, for the signer verify named
    publish_log = run.job_log("publish-github/publish")
    assert "release/release-manifest.json is signed (OpenPGP keys in " in publish_log
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


def test_upgrade_safety_finds_the_planted_cases(shared_release_run: ReleaseRun) -> None:
    """The job ran beside the builds: both releases built (the test-source build of each
    archive), every planted case found, each waived by the input, and sign went on."""
    run, commit = shared_release_run.run, shared_release_run.commit
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
    # the range came from upgrade-check --from auto, the builds' prefixes from test-archive's
    # install-dirs output (nothing spelt out in shell), and each build's patchlevel.h was
    # checked against its side of the range (no "not checked" notice)
    out = run.outputs("upgrade-safety")
    assert (out["from"], out["from-version"]) == ("v3.13.5", "3.13.5")
    assert out["to-commit"] == commit
    old, new = json.loads(out["install-dirs"])
    assert old.endswith("/builds/Python-3_13_5_tgz/install")
    assert new.endswith("/builds/Python-3_13_6_tgz/install")
    assert (report["from_version"], report["release"]) == ("3.13.5", "3.13.6")
    assert not [n for n in report["notices"] if "not checked" in n], report["notices"]
    assert 140102 not in {f["gh_issue"] for f in report["findings"]}  # only added tests
    log = run.job_log("upgrade-safety")
    assert "Upgrade safety" in log or "upgrade check v3.13.5" in log
    record = json.loads((run.artifacts / "run-record" / "run-record.json").read_text())
    entry = record["upgrade_safety"]
    assert entry["status"] == "clean" and len(entry["findings"]) == 6
    assert entry["check_s"] > 0 and entry["job_s"] == 5 * 60 + 30
    assert {w["reason"] for w in entry["waivers"]} >= {"abi_only entry, never exported"}
