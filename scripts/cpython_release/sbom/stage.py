"""Write ``<artifact>.spdx.json`` for every artifact that gets one, and record it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.inventory import SBOM, classify
from cpython_release.manifest import Artifact, FileRef, Manifest
from cpython_release.sbom.documents import Built, Subject, source_tarball_sbom, windows_sbom
from cpython_release.sbom.pip import PyPI
from cpython_release.sbom.source import PredatesSbom, SourceScan, scan_source, scan_tarball
from cpython_release.sbom.spdx import dumps
from cpython_release.version import ReleaseVersion


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def wants_sbom(version: ReleaseVersion, artifact: Artifact) -> bool:
    """Source tarballs, Windows installers and embeddable zips (as python.org has them)."""
    if "/" in artifact.name:
        return False
    try:
        planned = classify(version, artifact.name)
    except BadInput:
        return False
    return SBOM in planned.companions


def _subject(manifest: Manifest, artifact: Artifact, directory: Path) -> Subject:
    path = directory / artifact.name
    if not path.is_file():
        raise CheckFailed(f"missing: {artifact.name}")
    digest = sha256_file(path)
    if (digest.size, digest.sha256) != (artifact.size, artifact.sha256):
        raise CheckFailed(
            f"{artifact.name} is not the file the manifest lists",
            [f"manifest {artifact.sha256}", f"file {digest.sha256}"],
        )
    return Subject(
        name=artifact.name,
        sha256=artifact.sha256,
        version=ReleaseVersion.parse(manifest.release.version, nightly=None),
        created=manifest.release.created,
        toolkit_version=manifest.release.toolkit_version,
    )


def build_sbom(
    manifest: Manifest,
    artifact: Artifact,
    directory: Path,
    source: SourceScan | None = None,
    *,
    pypi: PyPI | None = None,
) -> Built:
    """The SPDX document for one artifact of ``manifest`` (not written)."""
    subject = _subject(manifest, artifact, directory)
    if artifact.platform == "source":
        return source_tarball_sbom(subject, scan_tarball(directory / artifact.name), pypi)
    if artifact.platform == "windows":
        if source is None:
            raise BadInput(f"{artifact.name}: a Windows SBOM needs the source tree or tarball")
        return windows_sbom(subject, source, pypi)
    raise BadInput(f"{artifact.name}: no SBOM is made for {artifact.platform} artifacts")


def _predates_notice(version: ReleaseVersion, exc: PredatesSbom) -> str:
    return (
        f"NOTICE: no SBOMs for {version}: {exc} (the tree predates CPython's SBOM; "
        "release-tools makes none for such versions). SBOM step skipped."
    )


def default_source(manifest: Manifest, directory: Path) -> Path | None:
    """The release's own source tarball, when it sits in the directory."""
    for a in sorted(manifest.artifacts, key=lambda a: a.name):
        if a.platform == "source" and (directory / a.name).is_file():
            return directory / a.name
    return None


def write_sboms(
    directory: Path,
    manifest: Manifest,
    source: Path | None = None,
    *,
    pypi: PyPI | None = None,
    log: Callable[[str], None] = _stderr,
) -> Manifest:
    """Write ``<artifact>.spdx.json`` next to each artifact that gets an SBOM; return the
    manifest with each one recorded as the artifact's ``sbom``.

    ``source`` (a source tree or tarball) feeds the Windows SBOMs; by default the release's
    source tarball in ``directory``. The source tarballs' SBOMs come from themselves.
    """
    version = ReleaseVersion.parse(manifest.release.version, nightly=None)
    chosen = [a for a in sorted(manifest.artifacts, key=lambda a: a.name) if wants_sbom(version, a)]
    if not chosen:
        log("no artifact of this release gets an SBOM")
        return manifest
    scan: SourceScan | None = None
    if any(a.platform == "windows" for a in chosen):
        source = source or default_source(manifest, directory)
        if source is None:
            raise BadInput(
                "Windows SBOMs need --source (a source tree or tarball); the "
                "release directory has no source tarball"
            )
        try:
            scan = scan_source(source)
        except PredatesSbom as exc:
            log(_predates_notice(version, exc))
            return manifest

    def one(artifact: Artifact) -> tuple[Artifact, Built | PredatesSbom]:
        try:
            return artifact, build_sbom(manifest, artifact, directory, scan, pypi=pypi)
        except PredatesSbom as exc:
            return artifact, exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, chosen))
    skipped = [exc for _, exc in results if isinstance(exc, PredatesSbom)]
    if skipped:
        log(_predates_notice(version, skipped[0]))
        return manifest
    updated = manifest
    for artifact, built in results:
        assert not isinstance(built, PredatesSbom)
        path = directory / (artifact.name + SBOM)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(dumps(built.doc))
        tmp.replace(path)
        digest = sha256_file(path)
        updated = updated.updated(
            replace(artifact, sbom=FileRef(path.name, digest.size, digest.sha256))
        )
        for note in dict.fromkeys(built.notes):
            log(f"{artifact.name}: {note}")
        log(
            f"wrote {path.name} ({len(built.doc['packages'])} packages, "
            f"{len(built.doc['files'])} files)"
        )
    return updated
