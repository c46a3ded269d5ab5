"""Helpers for the python.org API client tests: credentials and manifests."""

from __future__ import annotations

import hashlib

from cpython_release.inventory import GPG, SBOM, SIGSTORE, Gates, inventory
from cpython_release.manifest import Artifact, FileRef, Manifest, ReleaseInfo, Signature
from cpython_release.version import ReleaseVersion

STAFF = ("rm", "s3cret-key")
VIEWER = ("viewer", "viewer-key")
V2_TOKEN = "drf-token-of-rm"
ALL_GATES = Gates(
    docs=True, windows=True, macos=True, android=True, ios=True, gpg=False, sbom_windows=True
)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_manifest(
    version: str = "3.14.0rc2",
    *,
    gates: Gates = ALL_GATES,
    salt: str = "",
    changed: tuple[str, ...] = (),
    msi: bool = True,
) -> Manifest:
    """A manifest for every file the inventory plans, with made-up hashes.

    ``changed`` names get different bytes (a rebuilt file); ``salt`` changes them all.
    """
    v = ReleaseVersion.parse(version)
    artifacts: list[Artifact] = []
    for planned in inventory(v, gates):
        seed = salt + planned.name + ("!" if planned.name in changed else "")
        sigs: list[Signature] = []
        sbom = None
        for suffix in planned.companions:
            ref = (planned.name + suffix, 100 + len(suffix), digest(seed + suffix))
            if suffix == SIGSTORE:
                sigs.append(Signature(*ref, type="sigstore"))
            elif suffix == GPG:
                sigs.append(Signature(*ref, type="gpg"))
            elif suffix == SBOM:
                sbom = FileRef(*ref)
        artifacts.append(
            Artifact(
                name=planned.name,
                kind=planned.kind,
                platform=planned.platform,
                size=1000 + len(seed),
                sha256=digest(seed),
                producer=planned.job,
                arch=planned.arch,
                signatures=tuple(sigs),
                sbom=sbom,
            )
        )
    if msi and gates.windows:
        artifacts.append(
            Artifact(f"amd64{v.pre}/core.msi", "msi", "windows", 5, digest("msi"), "build-windows")
        )
    info = ReleaseInfo(version, v.tag, "a" * 40, "python/cpython", "0.1.0", "2026-10-07T12:00:00Z")
    return Manifest(info, tuple(artifacts))
