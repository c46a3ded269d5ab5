"""The verify stage: check a release's files, Sigstore bundles, OpenPGP signatures and SBOMs.

Entry point: :func:`verify_release` (used by ``cpython-release verify`` and ``rehearse``).
"""

from __future__ import annotations

from cpython_release.verify.bundles import (
    BundleVerdict,
    BundleVerifier,
    SigstoreBundleVerifier,
)
from cpython_release.verify.core import verify_release
from cpython_release.verify.report import Check, Row, VerifyReport

__all__ = [
    "BundleVerdict",
    "BundleVerifier",
    "Check",
    "Row",
    "SigstoreBundleVerifier",
    "VerifyReport",
    "verify_release",
]
