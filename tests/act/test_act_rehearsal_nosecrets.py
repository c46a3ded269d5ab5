"""release.yml for 3.13.5 in rehearsal mode with no secrets at all, end to end under act.

What a fork that set up nothing sees: no GPG key (3.13 would carry ``.asc`` signatures as a
release), no python.org credentials, no OIDC identity (so no Sigstore), only the automatic
``GITHUB_TOKEN``. 3.13 is a security branch and no installers were asked for, so the plan
skips Windows and macOS. The macOS rebuild's runner label is deliberately not mapped: the
test demands that exactly that job, and no other, is reported as unsupported. The plan
reports the missing key as a notice and goes on; the sign job skips GPG with a loud notice;
as nothing else would sign, it signs every file with a GPG key made for this run only, and
verify checks every file and hash against that key (the sign job's ``gpg-public-key``
output). Nothing is published (``publish-target: none``), so the publish and
verify-published jobs are skipped; the summary still runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from act.release_run import JOBS_API, SOURCE_REPO, jobs_api, release_fakes
from act_harness import ActHarness, ActRun
from cpython_release.demo_repo import make_demo_repo

pytestmark = pytest.mark.act

LINUX = ("ubuntu-24.04", "ubuntu-latest")
RUN_ID = 4343


@pytest.fixture(scope="module")
def rehearsal(act: ActHarness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActRun]:
    tmp = tmp_path_factory.mktemp("nosecrets")
    demo = make_demo_repo(tmp / "cpython", "3.13.5")
    act.add_repo(SOURCE_REPO, demo.path)
    # the Actions jobs API for this run, which the summary job reads
    with release_fakes(RUN_ID, jobs_api(JOBS_API[:1]), "3.13.5") as fakes:
        yield act.run(
            "release.yml",
            inputs={
                "version": "3.13.5",
                "commit": demo.commit,
                "repository": SOURCE_REPO,
                "mode": "rehearsal",
                "publish-target": "none",
                "binaries-for-security": "false",
            },
            # the automatic token only (act has none of its own); no other secret
            secrets={"GITHUB_TOKEN": "fake-token"},
            env=fakes.env(RUN_ID),
            labels=LINUX,
            timeout=900,
        )


def test_every_job_accounted_for_and_verify_passes(rehearsal: ActRun) -> None:
    rehearsal.assert_jobs(
        ran={
            "plan/plan",
            "blockers",
            "upgrade-safety",  # no earlier 3.13 tag in the demo: it says so and passes
            "build-source/build",
            "build-source/docs",
            "build-source/test-source",
            "sign/sign",
            "blockers-after-approval",
            "verify/verify",
            "summary",
        },
        skipped={
            "build-windows/build",
            "build-windows/package",
            "build-windows/index",
            "build-windows/smoke",
            "build-macos/build",
            "build-macos/package",
            "build-macos/smoke",
            "build-mobile/android",
            "build-mobile/ios",
            "publish-python-org/publish",
            "credentials/publish",  # python.org's credentials: not a python-org publish
            "publish-github/publish",
            "verify-published/verify",
        },
        unsupported={"build-source/rebuild"},
    )
    assert rehearsal.job_results["verify/verify"] == "success"
    assert "Python 3.13.5: VALID" in rehearsal.job_log("verify/verify")
    # the signer verify names is the run's own key (the sign job's public key): every .asc good
    report = json.loads(
        (rehearsal.artifacts / "verify-report-3.13.5" / "verify-report.json").read_text()
    )
    assert report["result"] == "valid", report["problems"]
    assert report["policy"].startswith("OpenPGP keys in "), report["policy"]
    assert {f["checks"]["gpg"]["status"] for f in report["files"]} == {"ok"}


def test_upgrade_safety_is_skipped_with_its_reason(rehearsal: ActRun) -> None:
    """The demo has no tag before v3.13.5: in rehearsal mode upgrade-check --from auto skips
    (in release mode it would stop the run), the builds and the check do not run, and the
    report and the run record say why."""
    out = rehearsal.outputs("upgrade-safety")
    assert out["from"] == "" and out["result"] == "skipped"
    report = json.loads(
        (rehearsal.artifacts / "upgrade-report" / "upgrade-report.json").read_text()
    )
    assert report["result"] == "skipped"
    assert "no earlier 3.13 release tag (v3.13.0 to v3.13.4)" in report["reason"]
    ran = {s.name: s.result for s in rehearsal.steps("upgrade-safety")}
    assert ran["The previous release of the branch"] == "success"
    assert ran.get("Upgrade check") in (None, "skipped"), ran
    record = json.loads((rehearsal.artifacts / "run-record" / "run-record.json").read_text())
    assert record["upgrade_safety"]["status"] == "skipped"
    assert "Upgrade safety: skipped" in rehearsal.job_log("summary")


def test_plan_reports_the_missing_key_as_a_notice(rehearsal: ActRun) -> None:
    out = rehearsal.outputs("plan/plan")
    # 3.13 is signed with GPG as a release; the plan keeps that and says the key is missing
    assert out["gpg"] == "true"
    # a security release without binaries-for-security: no installers are planned (the
    # Windows and macOS jobs are skipped: test_every_job_accounted_for_and_verify_passes)
    assert out["windows"] == "false" and out["macos"] == "false" and out["android"] == "false"
    assert json.loads(out["windows-matrix"])["include"] == []
    assert out["publish-github"] == "false"  # publish-target none
    plan = json.loads(out["plan"])
    [notice] = plan["notices"]
    assert "GPG_PRIVATE_KEY" in notice and "rehearsal" in notice


def test_sign_skips_the_release_key_loudly_and_signs_with_a_key_of_this_run(
    rehearsal: ActRun,
) -> None:
    log = rehearsal.job_log("sign/sign")
    assert "GPG signing SKIPPED" in log and "GPG_PRIVATE_KEY" in log
    # nothing else signs (no key, no OIDC): a key made for this run, which verify checks
    assert "key made for this run only" in log
    released = sorted(p.name for p in (rehearsal.artifacts / "release").rglob("*") if p.is_file())
    assert "Python-3.13.5.tgz" in released and "Python-3.13.5.tar.xz" in released
    assert "release-manifest.json" in released and "SHA256SUMS" in released
    assert "Python-3.13.5.tgz.asc" in released and "release-manifest.json.asc" in released
    assert not [n for n in released if n.endswith(".sigstore")]
