"""The contract between stages: what the SBOM and sign stages write, verify accepts.

The sign stage's Sigstore backend here is the tests' local CA (the stage signs digests and
checks each new bundle through its ``SigstoreBackend`` interface); GPG is real. Then the
directory goes through ``verify_release`` exactly as the verify workflow would see it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cpython_release.hashing import FileDigest
from cpython_release.sbom.stage import write_sboms
from cpython_release.sign.signer import BundleRejected
from cpython_release.sign.stage import sign_release
from cpython_release.sigstore_policy import PipelineIdentity
from cpython_release.verify import verify_release
from cpython_release.verify.localca import LocalCA, LocalSigner
from sbom.sbom_support import make_sbom_release
from verify.verify_support import REF, TOOLKIT, GpgKey, identity, pipeline_signer


class LocalCASigstore:
    """The sign stage's ``SigstoreBackend``, backed by the local CA."""

    def __init__(self, ca: LocalCA, signer: LocalSigner) -> None:
        self.signer = signer
        self.verifier = ca.verifier()

    def describe(self) -> str:
        return "local CA"

    def workflow_ref(self) -> str | None:
        return f"{TOOLKIT}/.github/workflows/sign.yml@{REF}"

    def sign(self, path: Path, digest: FileDigest) -> bytes:
        return self.signer.sign(digest.sha256)

    def verify(
        self, path: Path, digest: FileDigest, bundle: bytes, identity: PipelineIdentity
    ) -> None:
        verdict = self.verifier.verify(digest.sha256, bundle, identity)
        if verdict.status != "ok":
            raise BundleRejected(verdict.message)


def _secret_key(key: GpgKey) -> str:
    return subprocess.run(
        [
            "gpg",
            "--homedir",
            str(key.home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--armor",
            "--export-secret-keys",
            key.fingerprint,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_sbom_then_sign_then_verify(tmp_path: Path, ca: LocalCA, session_gpg: GpgKey) -> None:
    built = make_sbom_release(tmp_path)
    manifest = write_sboms(built.directory, built.manifest, built.tree, log=lambda _m: None)
    fragment = tmp_path / "fragment.json"
    manifest.write(fragment)
    result = sign_release(
        built.directory,
        [fragment],
        version="3.13.5",
        gpg_key=_secret_key(session_gpg),
        passphrase="",
        sigstore_mode="require",
        identity=identity(),
        signer=LocalCASigstore(ca, pipeline_signer(ca)),
        log=lambda _m: None,
        warn=lambda _m: None,
    )
    assert result.sigstore == "signed"
    report = verify_release(
        built.directory,
        "3.13.5",
        policy=identity(),
        verifier=ca.verifier(),
        keyring=session_gpg.keyring,
        strict=True,
    )
    assert report.ok, report.problems
    sboms = [r for r in report.rows if r.check("sbom").status == "ok"]
    assert {r.name for r in sboms} == {a.name for a in manifest.artifacts if a.sbom}
    assert len(sboms) >= 3  # both tarballs and a Windows artifact
    assert all(r.check("gpg").status == "ok" for r in report.rows)
    assert all(r.check("sigstore").status == "ok" for r in report.rows)

    tgz = built.directory / "Python-3.13.5.tgz"
    tgz.write_bytes(tgz.read_bytes() + b"\0")
    report = verify_release(
        built.directory,
        "3.13.5",
        policy=identity(),
        verifier=ca.verifier(),
        keyring=session_gpg.keyring,
    )
    assert report.result == "invalid"
    assert {p.split(":")[0] for p in report.problems} == {
        "Python-3.13.5.tgz",
        "Python-3.13.5.tgz.sigstore",
        "Python-3.13.5.tgz.asc",
        "Python-3.13.5.tgz.spdx.json",
    }


@pytest.fixture(autouse=True)
def _needs_gpg(session_gpg: GpgKey) -> None:
    """Every test here signs with GPG (session_gpg skips when gpg is missing)."""
