"""release.yml under act with Windows and macOS: a fork's rehearsal of a security release
with binaries-for-security, as far as a Linux host can go (the shared run of
tests/act/release_run.py, which test_act_release.py asserts on too).

Every job of release.yml runs, the Windows (three architectures) and macOS jobs included, on
this host. The harness replaces only the steps in its PLATFORM_ONLY table (MSBuild,
Doc\\make.bat, WiX, build-installer.py, the installers' smoke tests) by recorded stand-ins;
setup, the tag checks, binary signing (unsigned: no secrets), PC/layout packaging through the
toolkit (with a stand-in python.exe and nuget), pkgbuild/productbuild packaging through the
toolkit (stand-in tools), SBOMs, fragments and uploads run for real, and their files flow
through sign (held to the plan), verify and publish to a fake GitHub, and verify again as
served. Release mode cannot run here: it requires Sigstore bundles, and act has no OIDC
identity (tests/act/test_installer_signing_jobs.py covers its refusal of unsigned installers).
"""

from __future__ import annotations

import json

import pytest

from act.release_run import VERSION, ReleaseRun
from act_harness import PLATFORM_ONLY, TOOLKIT_REPO, ActRun
from fakes_github.server import GitHubState

pytestmark = pytest.mark.act

ARCHES = ("amd64", "arm64", "win32")
WINDOWS_JOBS = {
    "build-windows/build",
    "build-windows/package",
    "build-windows/index",
    "build-windows/smoke",
}
MACOS_JOBS = {"build-macos/build", "build-macos/package", "build-macos/smoke"}


@pytest.fixture
def release(shared_release_run: ReleaseRun) -> tuple[ActRun, GitHubState, str]:
    r = shared_release_run
    return r.run, r.releases, r.commit


def test_every_job_runs_windows_and_macos_included(
    release: tuple[ActRun, GitHubState, str],
) -> None:
    run, _, _ = release
    run.assert_jobs(
        ran={
            "plan/plan",
            "blockers",
            "upgrade-safety",  # the planted upgrade case: test_act_release.py asserts on it
            "build-source/build",
            "build-source/docs",
            "build-source/test-source",
            "build-source/rebuild",
            *WINDOWS_JOBS,
            *MACOS_JOBS,
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
        },
    )
    plan = run.outputs("plan/plan")
    assert plan["windows"] == "true" and plan["macos"] == "true"
    assert len(json.loads(plan["windows-matrix"])["include"]) == 3


def test_only_platform_only_steps_were_stood_in(release: tuple[ActRun, GitHubState, str]) -> None:
    run, _, _ = release
    # exactly the PLATFORM_ONLY steps were replaced in what act ran, and every step ran
    for rel, table in PLATFORM_ONLY.items():
        text = (run.project / rel).read_text(encoding="utf-8")
        assert text.count("platform_standin.py") == len(table), rel
    for job in WINDOWS_JOBS | MACOS_JOBS:
        steps = {s.name: s.result for s in run.steps(job)}
        assert steps and set(steps.values()) == {"success"}, (job, steps)
    # the portable steps ran the real toolkit: signing without secrets says so, PC/layout and
    # nuget were driven by `windows layout`, pkgbuild/productbuild by `macos package`
    log = run.job_log("build-windows/package")
    assert "UNSIGNED" in log
    assert "PC/layout stand-in wrote" in log and "nuget stand-in packed" in log
    mac = run.job_log("build-macos/package")
    assert "UNSIGNED and not notarized" in mac and "stand-in wrote" in mac


def test_windows_and_macos_fragments(release: tuple[ActRun, GitHubState, str]) -> None:
    run, _, commit = release
    for arch in ARCHES:
        name = f"fragment-windows-{arch}"
        fragment = json.loads((run.artifacts / name / f"{name}.json").read_text())
        assert fragment["release"]["commit"] == commit
        found = {a["name"]: a for a in fragment["artifacts"]}
        exe = f"python-{VERSION}.exe" if arch == "win32" else f"python-{VERSION}-{arch}.exe"
        assert exe in found and f"python-{VERSION}-embed-{arch}.zip" in found
        assert f"{arch}/core.msi" in found
        assert found[exe]["producer"] == f"build-windows ({arch})"
        assert found[exe]["sbom"]["name"] == exe + ".spdx.json"
        assert (run.artifacts / f"windows-{arch}" / exe).stat().st_size == found[exe]["size"]
        nupkg = {"amd64": "python", "win32": "pythonx86", "arm64": "pythonarm64"}[arch]
        assert (run.artifacts / f"nuget-windows-{arch}" / f"{nupkg}.{VERSION}.nupkg").is_file()
    mac = json.loads((run.artifacts / "fragment-macos" / "fragment-macos.json").read_text())
    [pkg] = mac["artifacts"]
    assert pkg["name"] == f"python-{VERSION}-macos11.pkg" and pkg["platform"] == "macos"
    assert (run.artifacts / "macos" / f"python-{VERSION}-macos11.pkg.spdx.json").is_file()


def test_installers_are_signed_published_and_verified(
    release: tuple[ActRun, GitHubState, str],
) -> None:
    run, releases, commit = release
    repo = releases.repos[TOOLKIT_REPO.lower()]
    [rel] = list(repo.releases.values())
    assert rel.tag_name == f"v{VERSION}" and rel.target_commitish == commit
    names = {a.name for a in rel.assets.values()}
    for name in (
        f"python-{VERSION}-amd64.exe",
        f"python-{VERSION}-arm64.exe",
        f"python-{VERSION}.exe",
        f"python-{VERSION}-embed-win32.zip",
        f"python-{VERSION}-amd64.exe.asc",
        f"python-{VERSION}-amd64.exe.spdx.json",
        f"python-{VERSION}-macos11.pkg",
        f"python-{VERSION}-macos11.pkg.asc",
    ):
        assert name in names, name
    manifest = json.loads((run.artifacts / "release" / "release-manifest.json").read_text())
    producers = {a["producer"] for a in manifest["artifacts"]}
    assert {f"build-windows ({a})" for a in ARCHES} | {"build-macos"} <= producers
    # the files from the build artifacts, then as the GitHub release serves them
    for job in ("verify/verify", "verify-published/verify"):
        assert f"Python {VERSION}: VALID (" in run.job_log(job), job
