"""Nightly versions through every stage: parse, build-source, sign, verify, and the modes.

A nightly names a branch commit, not a tag: ``3.13.6.dev20261206`` built from a head whose
``Include/patchlevel.h`` says ``3.13.5+``. Every command takes it only in nightly mode
(``--nightly`` or ``$CPYTHON_RELEASE_NIGHTLY=true``); a release version in nightly mode and a
nightly version outside it are bad input (exit 2).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import DemoRepo, make_demo_repo
from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest
from cpython_release.nightly_names import parse_tag
from cpython_release.patchlevel import patchlevel_problem
from cpython_release.phase import Phase, ReleaseCycle
from cpython_release.version import ReleaseVersion

NIGHTLY = "3.13.6.dev20261206"
Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> DemoRepo:
    """The demo repository one commit past v3.13.5 (patchlevel 3.13.5+)."""
    return make_demo_repo(tmp_path_factory.mktemp("nightly") / "cpython", past_tag=True)


@pytest.fixture(scope="module")
def built(head: DemoRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cpython_release.cli import main

    out = tmp_path_factory.mktemp("dist")
    code = main(
        ["build-source", NIGHTLY, "--nightly", "--repo", str(head.path),
         "--commit", head.commit, "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    return out


# --- versions ---------------------------------------------------------------------------------
def test_each_mode_takes_only_its_versions() -> None:
    assert ReleaseVersion.parse(NIGHTLY, nightly=True).release == "3.13.6"
    assert ReleaseVersion.parse("3.13.5").release == "3.13.5"
    with pytest.raises(BadInput, match="is a nightly version, but this is not nightly mode"):
        ReleaseVersion.parse(NIGHTLY)
    with pytest.raises(BadInput, match="is a release version, but nightly mode"):
        ReleaseVersion.parse("3.13.5", nightly=True)
    with pytest.raises(BadInput, match="is not a date"):
        ReleaseVersion.parse("3.13.6.dev20261399", nightly=True)
    # readers of a manifest take either
    assert ReleaseVersion.parse(NIGHTLY, nightly=None).is_nightly
    assert not ReleaseVersion.parse("3.13.5", nightly=None).is_nightly


@pytest.mark.parametrize(
    ("found", "version", "ok"),
    [
        ("3.13.5+", NIGHTLY, True),
        ("3.11.2+", "3.11.3.dev20261206", True),
        ("3.16.0a0", "3.16.0a1.dev20261206", True),
        ("3.15.0a2+", "3.15.0a3.dev20261206", True),
        ("3.13.5+", "3.13.7.dev20261206", False),
        ("3.11.2", "3.11.3.dev20261206", False),  # a release commit is never a nightly
        ("3.13.5", "3.13.5", True),
        ("3.13.5+", "3.13.5", False),
        (None, NIGHTLY, False),
    ],
)
def test_patchlevel_fits_the_nightly(found: str | None, version: str, ok: bool) -> None:
    assert (patchlevel_problem(found, version) is None) is ok


def test_a_nightly_of_a_final_takes_its_branch_phase() -> None:
    cycle = ReleaseCycle.load(None)
    v = ReleaseVersion.parse("3.13.6.dev20261206", nightly=True)
    assert cycle.phase_of(v) is cycle.phase_of(ReleaseVersion.parse("3.13.6"))
    assert cycle.phase_of(ReleaseVersion.parse("3.15.0a3.dev20261206", nightly=True)) is (
        Phase.PRERELEASE
    )


# --- build-source -----------------------------------------------------------------------------
def test_build_source_builds_the_branch_head(built: Path, head: DemoRepo) -> None:
    m = Manifest.load(built / "fragment-build-source.json")
    assert sorted(m.names()) == [f"Python-{NIGHTLY}.tar.xz", f"Python-{NIGHTLY}.tgz"]
    assert m.release.version == NIGHTLY and m.release.commit == head.commit
    # the manifest's tag is the nightly's GitHub tag, bound to the commit and the day
    nightly = parse_tag(m.release.tag)
    assert nightly is not None and nightly.branch == "3.13"
    assert head.commit.startswith(nightly.short_sha) and nightly.day.isoformat() == "2026-12-06"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([NIGHTLY], "is a nightly version, but this is not nightly mode: pass --nightly"),
        (["3.13.5", "--nightly"], "is a release version, but nightly mode"),
        (["3.13.7.dev20261206", "--nightly"], "the next release from it is 3.13.6"),
    ],
)
def test_build_source_refuses_the_wrong_mode(
    cli: Cli, head: DemoRepo, tmp_path: Path, args: list[str], message: str
) -> None:
    r = cli(
        "build-source", *args, "--repo", str(head.path), "--commit", head.commit,
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert r.code == 2 and message in r.err, r.err
    assert not (tmp_path / "out" / "fragment-build-source.json").exists()


def test_the_environment_says_nightly_for_a_whole_workflow(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = cli("version", NIGHTLY)
    assert r.code == 2
    monkeypatch.setenv("CPYTHON_RELEASE_NIGHTLY", "true")
    r = cli("version", NIGHTLY)
    assert r.code == 0 and json.loads(r.out)["nightly"] is True
    r = cli("version", "3.13.5")
    assert r.code == 2 and "is a release version" in r.err
    monkeypatch.setenv("CPYTHON_RELEASE_NIGHTLY", "perhaps")
    r = cli("version", NIGHTLY)
    assert r.code == 2 and "must be true or false" in r.err


def test_a_release_version_needs_its_tag(cli: Cli, head: DemoRepo, tmp_path: Path) -> None:
    r = cli(
        "build-source", "3.13.6", "--repo", str(head.path), "--commit", head.commit,
        "--out", str(tmp_path),
    )  # fmt: skip
    assert r.code == 2 and "tag v3.13.6 does not exist" in r.err


# --- sign: the mode and the plan --------------------------------------------------------------
def built_commit(built: Path) -> str:
    return Manifest.load(built / "fragment-build-source.json").release.commit


def _sign(cli: Cli, built: Path, tmp_path: Path, *extra: str) -> Any:
    release = tmp_path / "release"
    return cli(
        "sign", str(release), "--collect-from", str(built), "--fragment",
        str(built / "fragment-build-source.json"), "--sigstore", "off", "--no-gpg", *extra,
    )  # fmt: skip


def test_sign_takes_a_nightly_only_in_nightly_mode(cli: Cli, built: Path, tmp_path: Path) -> None:
    r = _sign(cli, built, tmp_path)
    assert r.code == 2 and "describe the nightly" in r.err
    r = _sign(cli, built, tmp_path / "b", "--nightly")
    assert r.code == 0, r.err
    assert (tmp_path / "b" / "release" / "release-manifest.json").is_file()


def test_sign_refuses_builds_that_differ_from_the_plan(
    cli: Cli, built: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "version": NIGHTLY,
                "commit": built_commit(built),
                "artifacts": [
                    f"3.13.6/Python-{NIGHTLY}.tgz",
                    f"3.13.6/python-{NIGHTLY}-macos11.pkg",
                    f"doc/{NIGHTLY}/python-{NIGHTLY}-docs.epub",
                ],
            }
        )
    )
    r = _sign(cli, built, tmp_path, "--nightly", "--plan", str(plan))
    assert r.code == 1, r.err
    for line in (
        f"planned but not built: python-{NIGHTLY}-macos11.pkg",
        f"planned but not built: python-{NIGHTLY}-docs.epub",
        f"built but not planned: Python-{NIGHTLY}.tar.xz",
    ):
        assert line in r.err
    assert not (tmp_path / "release" / "release-manifest.json").exists()


def test_sign_with_the_plan_it_was_given(
    cli: Cli, built: Path, head: DemoRepo, tmp_path: Path
) -> None:
    r = cli("plan", NIGHTLY, "--nightly", "--commit", head.commit)
    assert r.code == 0, r.err
    plan = json.loads(r.out)
    source_only = {**plan, "artifacts": [a for a in plan["artifacts"] if "/Python-" in a]}
    (tmp_path / "plan.json").write_text(json.dumps(source_only))
    r = _sign(cli, built, tmp_path, "--nightly", "--plan", str(tmp_path / "plan.json"))
    assert r.code == 0, r.err
    # the whole plan lists the docs too, which this build did not make
    (tmp_path / "all.json").write_text(json.dumps(plan))
    r = _sign(cli, built, tmp_path / "c", "--nightly", "--plan", str(tmp_path / "all.json"))
    assert r.code == 1 and "planned but not built: python-" in r.err


def test_gpg_is_optional_outside_release_mode(
    cli: Cli, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GPG_PRIVATE_KEY", raising=False)
    fragment = str(built / "fragment-build-source.json")
    args = ("sign", "--collect-from", str(built), "--fragment", fragment,
            "--sigstore", "off", "--gpg", "--nightly")  # fmt: skip
    r = cli(args[0], str(tmp_path / "a"), *args[1:])
    assert r.code == 2 and "no key was given" in r.err
    assert not (tmp_path / "a" / "release-manifest.json").exists()
    r = cli(args[0], str(tmp_path / "b"), *args[1:], "--gpg-optional")
    assert r.code == 0, r.err
    assert "GPG signing SKIPPED" in r.err
    assert not list((tmp_path / "b").glob("*.asc"))


# --- plan: missing secrets stop a release before any build -----------------------------------
def test_plan_stops_a_release_without_its_gpg_key(cli: Cli, head: DemoRepo) -> None:
    r = cli("plan", "3.13.5", "--commit", head.commit, "--secrets-present", "")
    assert r.code == 2 and "GPG_PRIVATE_KEY" in r.err
    r = cli("plan", "3.13.5", "--commit", head.commit, "--secrets-present", "GPG_PRIVATE_KEY")
    assert r.code == 0 and json.loads(r.out)["notices"] == []
    r = cli("plan", "3.13.5", "--mode", "rehearsal", "--commit", head.commit,
            "--secrets-present", "")  # fmt: skip
    assert r.code == 0
    assert "no GPG_PRIVATE_KEY" in json.loads(r.out)["notices"][0]
    r = cli("plan", NIGHTLY, "--nightly", "--commit", head.commit, "--secrets-present", "")
    assert r.code == 0 and json.loads(r.out)["mode"] == "nightly"
    # a key kept behind the signing environment's reviewers is declared, not seen
    r = cli("plan", "3.13.5", "--commit", head.commit, "--secrets-present", "",
            "--secrets-in-environment", "GPG_PRIVATE_KEY GPG_PASSPHRASE")  # fmt: skip
    assert r.code == 0, r.err
    [notice] = json.loads(r.out)["notices"]
    assert "GPG_PRIVATE_KEY is declared to be kept in the signing environment" in notice


# --- a nightly is a branch head between releases, dated between its commit and tomorrow ------
def _tagged(head: DemoRepo) -> str:
    import subprocess

    return subprocess.run(
        ["git", "-C", str(head.path), "rev-parse", "v3.13.5^{commit}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.parametrize(
    ("version", "commit", "message"),
    [
        (NIGHTLY, "tagged", "a release commit, not a branch head"),
        ("3.13.6.dev20250101", "head", "is dated before its commit (2025-06-12)"),
        ("3.13.6.dev20991231", "head", "is dated in the future"),
    ],
)
def test_build_source_refuses_what_is_not_a_nightly(
    cli: Cli, head: DemoRepo, tmp_path: Path, version: str, commit: str, message: str
) -> None:
    sha = _tagged(head) if commit == "tagged" else head.commit
    r = cli("build-source", version, "--nightly", "--repo", str(head.path),
            "--commit", sha, "--out", str(tmp_path))  # fmt: skip
    assert r.code == 2 and message in r.err, r.err


def test_verify_checks_the_nightly_commit_is_a_branch_head(head: DemoRepo) -> None:
    from cpython_release.verify.gitcheck import check_nightly_commit

    assert check_nightly_commit(head.path, head.commit, NIGHTLY) is None
    problem = check_nightly_commit(head.path, _tagged(head), NIGHTLY)
    assert problem is not None and "a release commit" in problem
    problem = check_nightly_commit(head.path, "f" * 40, NIGHTLY)
    assert problem is not None and "is not in" in problem


def test_platform_builds_take_the_branch_head(tmp_path: Path) -> None:
    from cpython_release.errors import CheckFailed
    from cpython_release.platforms import macos, windows

    v = ReleaseVersion.parse("3.11.3.dev20261206", nightly=True)
    (tmp_path / "Include").mkdir()
    header = tmp_path / "Include" / "patchlevel.h"
    header.write_text('#define PY_VERSION              "3.11.2+"\n')
    macos.check_source_version(tmp_path, v)
    # build.bat -V on a 3.11.2+ head prints the last release
    fields = {"PythonVersion": "3.11.2", "PythonVersionNumber": "3.11.2"}
    assert windows.check_version_info(fields, v) == []
    assert windows.check_version_info({**fields, "PythonVersion": "3.11.1"}, v)
    header.write_text('#define PY_VERSION              "3.11.2"\n')  # the release commit
    with pytest.raises(CheckFailed, match="a release commit"):
        macos.check_source_version(tmp_path, v)


def test_nightlies_carry_no_gpg(cli: Cli, head: DemoRepo) -> None:
    r = cli("plan", NIGHTLY, "--nightly", "--commit", head.commit)
    plan = json.loads(r.out)
    assert plan["jobs"]["gpg"] is False
    r = cli("plan", "3.13.5", "--mode", "rehearsal", "--commit", head.commit)
    assert json.loads(r.out)["jobs"]["gpg"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": "3.13.7.dev20261206"}, "the plan is for 3.13.7.dev20261206"),
        ({"artifacts": ["../x/Python-3.13.6.dev20261206.tgz"]}, "malformed path"),
        ({"artifacts": ["a/Python-3.13.6.dev20261206.tgz"] * 2}, "twice"),
        ({"artifacts": ["Python-3.13.6.dev20261206.tgz"]}, "malformed path"),
    ],
)
def test_sign_refuses_a_plan_for_something_else(
    cli: Cli, built: Path, head: DemoRepo, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    plan = {
        "version": NIGHTLY,
        "commit": head.commit,
        "artifacts": [f"3.13.6/Python-{NIGHTLY}.tgz", f"3.13.6/Python-{NIGHTLY}.tar.xz"],
    }
    (tmp_path / "plan.json").write_text(json.dumps({**plan, **change}))
    r = _sign(cli, built, tmp_path, "--nightly", "--plan", str(tmp_path / "plan.json"))
    assert r.code == 1 and message in r.err, r.err


# --- trees from before CPython had an SBOM ----------------------------------------------------
def test_sbom_skips_a_tree_that_predates_it(cli: Cli, head: DemoRepo, tmp_path: Path) -> None:
    """3.12 and older branch points have no Misc/sbom.spdx.json: release-tools makes no SBOM
    for them, and neither does the sbom stage (a notice, exit 0, the manifest unchanged)."""
    import subprocess

    old = tmp_path / "cpython"
    subprocess.run(["git", "clone", "-q", str(head.path), str(old)], check=True)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    subprocess.run(["git", "-C", str(old), "rm", "-q", "Misc/sbom.spdx.json"], check=True)
    subprocess.run(
        ["git", "-C", str(old), "commit", "-q", "-m", "no SBOM yet"],
        check=True,
        env={**os.environ, **env},
    )
    commit = subprocess.run(
        ["git", "-C", str(old), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dist = tmp_path / "dist"
    r = cli("build-source", NIGHTLY, "--nightly", "--repo", str(old),
            "--commit", commit, "--out", str(dist))  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "fragment-sbom.json"
    r = cli("sbom", str(dist), "--fragment", str(dist / "fragment-build-source.json"),
            "-o", str(out))  # fmt: skip
    assert r.code == 0, r.err
    assert "NOTICE: no SBOMs for " + NIGHTLY in r.err and "predates" in r.err
    assert not list(dist.glob("*.spdx.json"))
    assert all(a.sbom is None for a in Manifest.load(out).artifacts)


def test_with_nothing_else_to_sign_a_key_of_this_run_signs_every_file(
    cli: Cli, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import subprocess

    monkeypatch.delenv("GPG_PRIVATE_KEY", raising=False)
    fragment = str(built / "fragment-build-source.json")
    args = ("sign", "--collect-from", str(built), "--fragment", fragment,
            "--sigstore", "off", "--nightly", "--ephemeral-gpg")  # fmt: skip
    r = cli(args[0], str(tmp_path / "a"), *args[1:])  # a release would need its own key
    assert r.code == 2 and "--gpg-optional" in r.err
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    r = cli(args[0], str(tmp_path / "b"), *args[1:], "--gpg-optional")
    assert r.code == 0, r.err
    assert "key made for this run only" in r.err
    signed = sorted(p.name for p in (tmp_path / "b").iterdir() if not p.name.endswith(".asc"))
    assert signed and "release-manifest.json" in signed
    m = re.search(r"gpg-public-key<<(\S+)\n(.*?)\n\1\n", outputs.read_text(), re.S)
    assert m is not None, outputs.read_text()
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--import"], input=m[2], text=True, env=env, check=True,
                   capture_output=True)  # fmt: skip
    for name in signed:  # every file, the manifest and the sums too, by that key
        asc = tmp_path / "b" / f"{name}.asc"
        done = subprocess.run(["gpg", "--batch", "--verify", str(asc), str(asc)[:-4]],
                              env=env, capture_output=True)  # fmt: skip
        assert done.returncode == 0, (name, done.stderr)
    (tmp_path / "b" / signed[0]).write_bytes(b"tampered")
    asc = tmp_path / "b" / f"{signed[0]}.asc"
    done = subprocess.run(["gpg", "--batch", "--verify", str(asc), str(asc)[:-4]], env=env,
                          capture_output=True)  # fmt: skip
    assert done.returncode != 0
