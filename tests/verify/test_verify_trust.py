"""Issue 10's attacks on verification, each reproduced and now failing closed.

Signatures come from the local CA (tests/verify/verify_support.py) and real GnuPG; the real
Sigstore bundles are in test_verify_sigstore_real.py.
"""

from __future__ import annotations

import json

from cpython_release.hashing import sha256_file
from cpython_release.manifest import Manifest
from cpython_release.verify import verify_release
from cpython_release.verify.localca import LocalCA, LocalCAVerifier
from verify.verify_support import GpgKey, Release, identity, pipeline_signer


def resign(release: Release, ca: LocalCA, *names: str) -> None:
    """Re-sign files with the very identity the policy names (a compromised build job could)."""
    signer = pipeline_signer(ca)
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
