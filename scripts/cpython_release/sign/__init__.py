"""The sign stage: tamper check, Sigstore bundles, GPG signatures, SHA256SUMS, manifest."""

from cpython_release.sign.checksums import SUMS_NAME, parse_sums, sums_for, write_sums
from cpython_release.sign.gpg import GpgKey, GpgSigner
from cpython_release.sign.signer import (
    BundleRejected,
    ExpectedSigner,
    SigstoreBackend,
    SigstoreSigner,
    detect_ambient_token,
)
from cpython_release.sign.stage import (
    NoSigningIdentity,
    SignResult,
    SigstoreMode,
    load_and_check,
    sign_release,
)

__all__ = [
    "SUMS_NAME",
    "BundleRejected",
    "ExpectedSigner",
    "GpgKey",
    "GpgSigner",
    "NoSigningIdentity",
    "SignResult",
    "SigstoreBackend",
    "SigstoreMode",
    "SigstoreSigner",
    "detect_ambient_token",
    "load_and_check",
    "parse_sums",
    "sign_release",
    "sums_for",
    "write_sums",
]
