"""Manifest fragments for platform builds.

Top-level files must carry python.org's names (checked with :func:`inventory.classify`).
Windows MSI parts live in the per-architecture subdirectory python.org uses
(``amd64rc2/core.msi``) and are recorded under that relative name.
An SBOM next to a file (``F.spdx.json``) is attached to its artifact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from cpython_release import __version__
from cpython_release.errors import BadInput
from cpython_release.hashing import sha256_file
from cpython_release.inventory import SBOM, classify, windows_arches
from cpython_release.manifest import (
    Artifact,
    FileRef,
    Manifest,
    ReleaseInfo,
    created_from_timestamp,
)
from cpython_release.nightly_names import release_tag
from cpython_release.plan import check_commit
from cpython_release.version import ReleaseVersion

MSI_PART_SUFFIXES = (".msi", ".cab")


def msi_part(version: ReleaseVersion, name: str) -> tuple[str, str] | None:
    """``(kind, arch)`` for ``<arch><pre>/<file>.msi|.cab``, else None."""
    directory, sep, leaf = name.partition("/")
    if not sep or "/" in leaf or not leaf.endswith(MSI_PART_SUFFIXES):
        return None
    for arch in windows_arches(version):
        if directory == f"{arch}{version.pre}":
            return ("msi" if leaf.endswith(".msi") else "cab", arch)
    return None


def release_info(
    version: ReleaseVersion, commit: str, repository: str, created: int
) -> ReleaseInfo:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+", repository or ""):
        raise BadInput(f"--repository must be OWNER/REPO, got {repository!r}")
    return ReleaseInfo(
        version=str(version),
        tag=release_tag(version, check_commit(commit)),
        commit=commit,
        repository=repository,
        toolkit_version=__version__,
        created=created_from_timestamp(created),
    )


def artifact_for(version: ReleaseVersion, root: Path, name: str, producer: str) -> Artifact:
    path = root / name
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    part = msi_part(version, name)
    if part is not None:
        kind, platform, arch = part[0], "windows", part[1]
    elif "/" in name:
        raise BadInput(
            f"{name}: only Windows MSI parts may sit in a subdirectory "
            f"(<arch>{version.pre}/*.msi|*.cab)"
        )
    else:
        planned = classify(version, name)
        kind, platform, arch = planned.kind, planned.platform, planned.arch or ""
    digest = sha256_file(path)
    sbom_path = root / (name + SBOM)
    sbom = None
    if sbom_path.is_file():
        s = sha256_file(sbom_path)
        sbom = FileRef(name + SBOM, s.size, s.sha256)
    return Artifact(
        name=name,
        kind=kind,
        platform=platform,
        arch=arch or None,
        size=digest.size,
        sha256=digest.sha256,
        producer=producer,
        sbom=sbom,
    )


def collect_names(root: Path) -> list[str]:
    """Every file below ``root`` except SBOM companions, as POSIX relative names."""
    names = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(SBOM):
            names.append(path.relative_to(root).as_posix())
    return names


def build_fragment(
    version: ReleaseVersion, release: ReleaseInfo, root: Path, names: Iterable[str], producer: str
) -> Manifest:
    artifacts = tuple(artifact_for(version, root, n, producer) for n in names)
    if not artifacts:
        raise BadInput(f"no artifacts in {root}")
    fragment = Manifest(release, artifacts)
    Manifest.from_dict(fragment.to_dict(), "fragment")  # schema-check before writing
    return fragment


def write_fragment(
    version: ReleaseVersion, release: ReleaseInfo, root: Path, producer: str, output: Path
) -> Manifest:
    fragment = build_fragment(version, release, root, collect_names(root), producer)
    output.parent.mkdir(parents=True, exist_ok=True)
    fragment.write(output)
    return fragment
