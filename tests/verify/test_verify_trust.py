"""Issue 10's attacks on verification, each reproduced and now failing closed.

Signatures come from the local CA (tests/verify/verify_support.py) and real GnuPG; the real
Sigstore bundles are in test_verify_sigstore_real.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cpython_release.hashing import sha256_file
from cpython_release.manifest import Manifest
from cpython_release.sigstore_policy import LegacyIdentity
from cpython_release.verify import verify_release
from cpython_release.verify.localca import Claims, LocalCA, LocalCAVerifier
from cpython_release.version import ReleaseVersion
from verify.verify_support import GpgKey, Release, identity, make_release, pipeline_signer


def resign(release: Release, ca: LocalCA, *names: str) -> None:
    """Re-sign files with the very identity the policy names (a compromised build job could)."""
    signer = pipeline_signer(ca, version=release.version)
    for name in names:
        path = release.directory / name
        (release.directory / f"{name}.sigstore").write_bytes(signer.sign(sha256_file(path).sha256))


# --- item 7: a keyring makes GPG mandatory for releases that carry it ------------------


def test_keyring_makes_gpg_mandatory_up_to_313(
    release: Release, ca: LocalCA, verifier: LocalCAVerifier, session_gpg: GpgKey
) -> None:
    """Every .asc stripped and the manifest rewritten without them (and re-signed)."""
    for asc in release.directory.glob("*.asc"):
        asc.unlink()
    m = Manifest.load(release.manifest_path)
    stripped = m.with_artifacts(
        [
            type(a)(
                **{**a.__dict__, "signatures": tuple(s for s in a.signatures if s.type != "gpg")}
            )
            for a in m.artifacts
        ]
    )
    stripped.write(release.manifest_path)
    resign(release, ca, "release-manifest.json")
    without = verify_release(release.directory, "3.13.5", policy=identity(), verifier=verifier)
    assert without.ok, without.problems  # no keyring: GPG is not part of the check
    report = verify_release(
        release.directory,
        "3.13.5",
        policy=identity(),
        verifier=verifier,
        keyring=session_gpg.keyring,
    )
    assert not report.ok
    for name in [*release.names, "release-manifest.json", "SHA256SUMS"]:
        assert any(
            p.startswith(f"{name}: not signed: no OpenPGP signature {name}.asc")
            for p in report.problems
        ), (name, report.problems)


def test_keyring_does_not_demand_gpg_from_314(
    release314: Release, verifier: LocalCAVerifier, session_gpg: GpgKey
) -> None:
    report = verify_release(
        release314.directory,
        "3.14.1",
        policy=identity(),
        verifier=verifier,
        keyring=session_gpg.keyring,
    )
    assert report.ok, report.problems
    assert json.loads(report.to_json())["files"][2]["checks"]["gpg"]["status"] == "-"


# --- item 1: legacy mode needs the release manager's bundle on every artifact -----------


def _strip_signatures(release: Release) -> None:
    """Every signature removed; manifest and SHA256SUMS rewritten to match."""
    for sig in [*release.directory.glob("*.sigstore"), *release.directory.glob("*.asc")]:
        sig.unlink()
    m = Manifest.load(release.manifest_path)
    m.with_artifacts([replace(a, signatures=()) for a in m.artifacts]).write(release.manifest_path)


def test_legacy_mode_refuses_a_release_without_signatures(
    release: Release, verifier: LocalCAVerifier
) -> None:
    _strip_signatures(release)
    report = verify_release(
        release.directory, "3.13.5", policy=LegacyIdentity.for_minor("3.13"), verifier=verifier
    )
    assert not report.ok
    for name in [*release.names, "release-manifest.json", "SHA256SUMS"]:
        assert f"{name}: not signed: no Sigstore bundle {name}.sigstore" in report.problems


def test_legacy_mode_accepts_the_release_managers_signatures(
    release: Release, ca: LocalCA, verifier: LocalCAVerifier
) -> None:
    _strip_signatures(release)
    drop = ("release-manifest.json",)
    for name in drop:
        (release.directory / name).unlink()
    legacy = LegacyIdentity.for_minor("3.13")
    manager = ca.signer(Claims(legacy.email, issuer=legacy.issuer))
    for name in [*release.names, "SHA256SUMS"]:
        digest = sha256_file(release.directory / name).sha256
        (release.directory / f"{name}.sigstore").write_bytes(manager.sign(digest))
    report = verify_release(release.directory, "3.13.5", policy=legacy, verifier=verifier)
    assert report.ok and report.mode == "sha256sums", report.problems
    # the pipeline's policy never takes this path
    report = verify_release(release.directory, "3.13.5", policy=identity(), verifier=verifier)
    assert report.problems[0].startswith("release-manifest.json: no signed manifest")


# --- item 4: nothing but a signed manifest binds files to the version --------------------


def test_another_releases_sha256sums_does_not_verify(
    ca: LocalCA, verifier: LocalCAVerifier, tmp_path: Path
) -> None:
    """A genuine 3.13.4 SHA256SUMS (and its files, signed) presented as 3.13.5."""
    old = make_release(tmp_path / "3.13.4", pipeline_signer(ca, version="3.13.4"), version="3.13.4")
    old.manifest_path.unlink()
    (old.directory / "release-manifest.json.sigstore").unlink()
    report = verify_release(old.directory, "3.13.5", policy=identity(), verifier=verifier)
    assert report.problems == [
        f"release-manifest.json: no signed manifest for Python 3.13.5: {old.directory} has no "
        "release-manifest.json (give --manifest; only --legacy verifies releases made before "
        "this pipeline)"
    ]
    legacy = LegacyIdentity.for_minor("3.13")
    report = verify_release(old.directory, "3.13.5", policy=legacy, verifier=verifier)
    assert "SHA256SUMS: lists Python-3.13.4.tgz, which is not a file of Python 3.13.5" in (
        report.problems
    )


def test_renamed_file_of_another_release_does_not_verify(
    release: Release, ca: LocalCA, verifier: LocalCAVerifier, tmp_path: Path
) -> None:
    """3.13.4's tarball and bundle (same pipeline identity) renamed to 3.13.5's."""
    old = make_release(
        tmp_path / "3.13.4",
        pipeline_signer(ca, version="3.13.4"),
        version="3.13.4",
        layout=(("Python-{v}.tgz", False),),
    )
    for suffix in ("", ".sigstore"):
        (old.directory / f"Python-3.13.4.tgz{suffix}").replace(
            release.directory / f"Python-3.13.5.tgz{suffix}"
        )
    report = verify_release(release.directory, "3.13.5", policy=identity(), verifier=verifier)
    problems = " ".join(report.problems)
    assert "Python-3.13.5.tgz: sha256 mismatch" in problems  # the signed manifest
    assert "signed from source ref refs/tags/v3.13.4, not refs/tags/v3.13.5" in problems
    # with the lists rewritten to match (what an attacker controls), still no manifest
    for name in ("release-manifest.json", "release-manifest.json.sigstore"):
        (release.directory / name).unlink()
    report = verify_release(release.directory, "3.13.5", policy=identity(), verifier=verifier)
    assert not report.ok and "no signed manifest" in report.problems[0]


# --- item 5: signatures are bound to the release they were made for ----------------------


def test_nightly_and_release_signatures_never_cross(ca: LocalCA, verifier: LocalCAVerifier) -> None:
    digest = "ab" * 32
    release_v = ReleaseVersion.parse("3.13.5")
    nightly_v = ReleaseVersion.parse("3.13.6.dev20261206", nightly=True)
    release_policy = identity().bound_to(release_v)
    nightly_policy = identity().bound_to(nightly_v)
    release_sig = pipeline_signer(ca).sign(digest)
    nightly_sig = pipeline_signer(ca, source_ref="refs/heads/3.13", trigger="schedule").sign(digest)
    assert verifier.verify(digest, release_sig, release_policy).status == "ok"
    assert verifier.verify(digest, nightly_sig, nightly_policy).status == "ok"
    crossed = verifier.verify(digest, nightly_sig, release_policy)
    assert crossed.status == "invalid" and "source ref refs/heads/3.13" in crossed.message
    crossed = verifier.verify(digest, release_sig, nightly_policy)
    assert crossed.status == "invalid" and "not refs/heads/*" in crossed.message
    # a nightly signature from a push (not the nightly workflow's triggers) is refused too
    pushed = pipeline_signer(ca, source_ref="refs/heads/3.13", trigger="push").sign(digest)
    assert "triggered by push" in verifier.verify(digest, pushed, nightly_policy).message
