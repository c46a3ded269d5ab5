"""Helpers for the python.org API client tests: credentials and manifests."""

from __future__ import annotations

import hashlib
from typing import Any

from cpython_release.inventory import GPG, SBOM, SIGSTORE, Gates, inventory
from cpython_release.manifest import Artifact, FileRef, Manifest, ReleaseInfo, Signature
from cpython_release.publish.pythonorg_files import desired_release_files
from cpython_release.version import ReleaseVersion
from fakes_pythonorg import FakeState

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


def server_view(state: FakeState, release: int) -> dict[str, dict[str, Any]]:
    """The release's records on the fake server, by slug, in the client's payload terms."""
    out: dict[str, dict[str, Any]] = {}
    for rec in state.files_of(release).values():
        view = {k: v for k, v in rec.items() if k != "md5_sum"}
        view["os"] = f"/api/v1/downloads/os/{rec['os']}/"
        view["release"] = f"/api/v1/downloads/release/{rec['release']}/"
        out[rec["slug"]] = view
    return out


def desired_view(
    state: FakeState, manifest: Manifest, version: str, release: int
) -> dict[str, dict[str, Any]]:
    v = ReleaseVersion.parse(version)
    out = {}
    for d in desired_release_files(manifest, v):
        os_uri = f"/api/v1/downloads/os/{state.os_pk(d.os)}/"
        out[d.slug] = d.payload(f"/api/v1/downloads/release/{release}/", os_uri)
    return out


def assert_converged(state: FakeState, manifest: Manifest, version: str = "3.14.0rc2") -> int:
    """The release exists and holds exactly the manifest's records; returns its pk."""
    pk = state.release_pk(f"Python {version}")
    assert pk is not None, "no release"
    assert server_view(state, pk) == desired_view(state, manifest, version, pk)
    return pk
