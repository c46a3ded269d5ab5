"""The verify stage: check a release's files, Sigstore bundles, OpenPGP signatures and SBOMs.

Entry point: :func:`verify_release` (used by ``cpython-release verify`` and ``rehearse``).
Names are imported on first use, so the SBOM worker process (``verify.sbom``) starts
without loading the rest of the stage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cpython_release.verify.bundles import BundleVerdict as BundleVerdict
    from cpython_release.verify.bundles import BundleVerifier as BundleVerifier
    from cpython_release.verify.bundles import SigstoreBundleVerifier as SigstoreBundleVerifier
    from cpython_release.verify.core import verify_release as verify_release
    from cpython_release.verify.report import Check as Check
    from cpython_release.verify.report import Row as Row
    from cpython_release.verify.report import VerifyReport as VerifyReport

_WHERE = {
    "BundleVerdict": "bundles",
    "BundleVerifier": "bundles",
    "SigstoreBundleVerifier": "bundles",
    "verify_release": "core",
    "Check": "report",
    "Row": "report",
    "VerifyReport": "report",
}

__all__ = [
    "BundleVerdict",
    "BundleVerifier",
    "Check",
    "Row",
    "SigstoreBundleVerifier",
    "VerifyReport",
    "verify_release",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"cpython_release.verify.{module}"), name)
