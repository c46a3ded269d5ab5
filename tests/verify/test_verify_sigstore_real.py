"""Real public-good Sigstore bundles through the production verifier, offline."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cpython_release.sigstore_policy import LegacyIdentity, PipelineIdentity, SigningIdentity
from cpython_release.verify import SigstoreBundleVerifier, verify_release
from cpython_release.verify.bundles import BundleVerdict
from verify.verify_support import FIXTURES, PretendDigest

RFC_SHA = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"
PY_SHA = "38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"
RFC_SIGNER = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)


@pytest.fixture(scope="module")
def sigstore() -> SigstoreBundleVerifier:
    return SigstoreBundleVerifier(offline=True)


@pytest.fixture(scope="module")
def rfc_bundle() -> bytes:
    return (FIXTURES / "rfc8785-0.1.2-wheel.sigstore").read_bytes()


@pytest.fixture(scope="module")
def py_bundle() -> bytes:
    return (FIXTURES / "Python-3.12.5.tgz.sigstore").read_bytes()


def rfc_policy(
    repository: str = "trailofbits/rfc8785.py",
    ref: str = "refs/tags/v0.1.2",
    workflow: str = "release.yml",
    toolkit: str = "trailofbits/rfc8785.py",
) -> PipelineIdentity:
    return PipelineIdentity(repository, toolkit, (ref,), workflow=workflow)


def test_pipeline_policy_accepts_real_github_actions_bundle(
    sigstore: SigstoreBundleVerifier, rfc_bundle: bytes
) -> None:
    verdict = sigstore.verify(RFC_SHA, rfc_bundle, rfc_policy())
    assert verdict == BundleVerdict("ok", f"signed by {RFC_SIGNER}", RFC_SIGNER, RFC_SHA)
    assert sigstore.verify(RFC_SHA, rfc_bundle, rfc_policy(ref="refs/tags/v*")).status == "ok"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        pytest.param(
            rfc_policy(repository="python/cpython"),
            "Certificate's OIDCSourceRepositoryURI does not match (got "
            "https://github.com/trailofbits/rfc8785.py, expected "
            "https://github.com/python/cpython)",
            id="python-cpython",
        ),
        pytest.param(
            rfc_policy(ref="refs/tags/v0.1.3"),
            f"signer {RFC_SIGNER} is not allowed (allowed: https://github.com/"
            "trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.3; "
            "--allowed-ref names the refs of the signing workflow that may sign)",
            id="wrong-ref",
        ),
        pytest.param(rfc_policy(ref="refs/heads/*"), "is not allowed", id="ref-pattern"),
        pytest.param(rfc_policy(workflow="sign.yml"), "is not allowed", id="wrong-workflow"),
        pytest.param(
            rfc_policy(toolkit="python/cpython-release"), "is not allowed", id="wrong-toolkit"
        ),
        pytest.param(LegacyIdentity.for_minor("3.14"), "OIDCIssuer does not match", id="legacy"),
    ],
)
def test_pipeline_policy_rejects_real_bundle(
    sigstore: SigstoreBundleVerifier, rfc_bundle: bytes, policy: SigningIdentity, message: str
) -> None:
    verdict = sigstore.verify(RFC_SHA, rfc_bundle, policy)
    assert verdict.status == "invalid"
    assert verdict.message.startswith("signer identity not allowed: ")
    assert message in verdict.message


def test_real_bundle_for_another_file(sigstore: SigstoreBundleVerifier, rfc_bundle: bytes) -> None:
    verdict = sigstore.verify("00" * 32, rfc_bundle, rfc_policy())
    assert verdict.status == "invalid"
    assert verdict.message == "the bundle signs a different file (digest mismatch)"
    assert verdict.signed_sha256 == RFC_SHA


def _mutate(bundle: bytes, change: Callable[[dict[str, object]], None]) -> bytes:
    data = json.loads(bundle)
    change(data)
    return json.dumps(data).encode()


def _flip_signature(d: dict[str, object]) -> None:
    msg = d["messageSignature"]
    assert isinstance(msg, dict)
    sig = bytearray(base64.b64decode(msg["signature"]))
    sig[8] ^= 1
    msg["signature"] = base64.b64encode(bytes(sig)).decode()


def _break_proof(d: dict[str, object]) -> None:
    vm = d["verificationMaterial"]
    assert isinstance(vm, dict)
    vm["tlogEntries"][0]["inclusionProof"]["rootHash"] = base64.b64encode(b"x" * 32).decode()


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (_flip_signature, "the signature is not valid for this file's digest"),
        (_break_proof, ""),
        (lambda d: d.pop("verificationMaterial"), "malformed bundle: not a Sigstore bundle"),
        (
            lambda d: d["verificationMaterial"]["x509CertificateChain"]["certificates"][0].update(
                rawBytes=base64.b64encode(b"not a certificate").decode()
            ),
            "malformed bundle: the bundle's signing certificate is not readable",
        ),
        (
            lambda d: d["messageSignature"]["messageDigest"].update(digest="***"),
            "malformed bundle: the bundle's message digest is not base64",
        ),
    ],
    ids=["signature", "inclusion-proof", "no-material", "certificate", "digest"],
)
def test_tampered_real_bundle_is_invalid_never_a_crash(
    sigstore: SigstoreBundleVerifier,
    rfc_bundle: bytes,
    mutation: Callable[[dict[str, object]], None],
    message: str,
) -> None:
    verdict = sigstore.verify(RFC_SHA, _mutate(rfc_bundle, mutation), rfc_policy())
    assert verdict.status == "invalid"
    assert message in verdict.message


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"not json",
        b"[]",
        b'{"verificationMaterial": {}}',
        b"\xff\xfe",
        b'{"verificationMaterial": {"tlogEntries": 5, '
        b'"x509CertificateChain": {"certificates": {}}}}',
        b'{"verificationMaterial": {"certificate": {"rawBytes": 7}}, "messageSignature": []}',
    ],
)
def test_garbage_bundles(sigstore: SigstoreBundleVerifier, garbage: bytes) -> None:
    verdict = sigstore.verify(RFC_SHA, garbage, rfc_policy())
    assert verdict.status == "invalid"


def test_python_org_bundle_needs_online_verification(
    sigstore: SigstoreBundleVerifier, py_bundle: bytes
) -> None:
    verdict = sigstore.verify(PY_SHA, py_bundle, LegacyIdentity.for_minor("3.12"))
    assert verdict.status == "needs-online"
    assert verdict.message.startswith("needs online verification")
    assert verdict.signer == "thomas@python.org"


@pytest.mark.parametrize(
    ("sha", "policy", "message"),
    [
        (PY_SHA, LegacyIdentity.for_minor("3.14"), "OIDCIssuer does not match"),
        (PY_SHA, LegacyIdentity.for_minor("3.11"), "SANs do not match pablogsal@python.org"),
        ("11" * 32, LegacyIdentity.for_minor("3.12"), "signs a different file"),
    ],
    ids=["3.14-identity", "3.11-identity", "other-file"],
)
def test_python_org_bundle_rejections_do_not_need_the_network(
    sigstore: SigstoreBundleVerifier,
    py_bundle: bytes,
    sha: str,
    policy: SigningIdentity,
    message: str,
) -> None:
    verdict = sigstore.verify(sha, py_bundle, policy)
    assert verdict.status == "invalid"
    assert message in verdict.message


def _python_org_dir(tmp_path: Path, py_bundle: bytes) -> tuple[Path, str]:
    import hashlib

    d = tmp_path / "3.12.5"
    d.mkdir()
    data = b"stand-in for the 27 MB tarball"
    (d / "Python-3.12.5.tgz").write_bytes(data)
    (d / "Python-3.12.5.tgz.sigstore").write_bytes(py_bundle)
    return d, hashlib.sha256(data).hexdigest()


def test_historical_release_directory_needs_online(
    tmp_path: Path, sigstore: SigstoreBundleVerifier, py_bundle: bytes
) -> None:
    d, fake = _python_org_dir(tmp_path, py_bundle)
    report = verify_release(
        d,
        "3.12.5",
        policy=LegacyIdentity.for_minor("3.12"),
        verifier=PretendDigest(sigstore, {fake: PY_SHA}),
    )
    assert report.mode == "listing"
    assert report.result == "needs-online" and not report.ok
    assert report.problems == []
    (note,) = report.needs_online
    assert note.startswith("Python-3.12.5.tgz.sigstore: needs online verification")
    assert note.endswith("(signer thomas@python.org)")
    assert "NEEDS ONLINE VERIFICATION" in report.render_table()


def test_real_bundle_swapped_onto_another_file(
    tmp_path: Path, sigstore: SigstoreBundleVerifier, py_bundle: bytes, rfc_bundle: bytes
) -> None:
    d, _ = _python_org_dir(tmp_path, py_bundle)
    report = verify_release(d, "3.12.5", policy=LegacyIdentity.for_minor("3.12"), verifier=sigstore)
    assert report.result == "invalid"
    assert report.problems == [
        "Python-3.12.5.tgz.sigstore: Sigstore bundle rejected: the bundle signs a different file "
        f"(digest mismatch); it signs sha256 {PY_SHA}, this file is "
        f"{report.rows[0].sha256}"
    ]
    (d / "Python-3.12.5.tgz.sigstore").write_bytes(rfc_bundle)
    report = verify_release(d, "3.12.5", policy=LegacyIdentity.for_minor("3.12"), verifier=sigstore)
    assert report.result == "invalid"
    assert "the bundle signs a different file (digest mismatch)" in report.problems[0]
