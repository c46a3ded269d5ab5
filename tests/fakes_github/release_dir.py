"""Small, real release directories (artifacts, companions, manifest, SHA256SUMS) for tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cpython_release.manifest import (
    MANIFEST_NAME,
    Artifact,
    FileRef,
    Manifest,
    ReleaseInfo,
    Signature,
)
from cpython_release.publish.github_release import Pacing

REPO = "octo/cpython"
COMMIT = "abcdef0123456789abcdef0123456789abcdef01"
# No pauses between requests and no retry backoff: the fake answers at once.
TEST_PACING = Pacing(
    write_interval=0.0,
    read_interval=0.0,
    retries=2,
    retry_backoff=0.0,
    upload_attempts=3,
    timeout=20,
)


@dataclass
class ReleaseDir:
    manifest: Manifest
    directory: Path

    def files(self) -> dict[str, bytes]:
        """Every file of the release, by relative path."""
        return {
            p.relative_to(self.directory).as_posix(): p.read_bytes()
            for p in sorted(self.directory.rglob("*"))
            if p.is_file()
        }


def _write(directory: Path, name: str, data: bytes) -> FileRef:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return FileRef(name, len(data), hashlib.sha256(data).hexdigest())


def make_release(
    directory: Path,
    *,
    version: str = "3.14.0rc2",
    tag: str | None = None,
    extra_artifacts: int = 0,
    with_msi: bool = True,
    salt: str = "",
) -> ReleaseDir:
    """A release directory as the pipeline leaves it: artifacts, companions, manifest, sums."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts: list[Artifact] = []

    def artifact(name: str, kind: str, platform: str, sbom: bool = False) -> None:
        ref = _write(directory, name, f"{name} {salt}".encode() * 50)
        sig = _write(directory, name + ".sigstore", f'{{"bundle": "{name}{salt}"}}'.encode())
        sb = (
            _write(directory, name + ".spdx.json", f'{{"spdx": "{name}"}}'.encode())
            if sbom
            else None
        )
        artifacts.append(
            Artifact(
                name=name,
                kind=kind,
                platform=platform,
                size=ref.size,
                sha256=ref.sha256,
                producer="test",
                signatures=(Signature(sig.name, sig.size, sig.sha256),),
                sbom=sb,
            )
        )

    artifact(f"Python-{version}.tgz", "source", "source", sbom=True)
    artifact(f"Python-{version}.tar.xz", "source", "source", sbom=True)
    if with_msi:
        artifact(f"amd64{version.split('.')[-1][1:] or 'final'}/core.msi", "msi", "windows")
    for i in range(extra_artifacts):
        ref = _write(directory, f"extra-{i:04d}.bin", f"extra {i} {salt}".encode())
        artifacts.append(
            Artifact(f"extra-{i:04d}.bin", "source", "source", ref.size, ref.sha256, "test")
        )
    manifest = Manifest(
        ReleaseInfo(
            version=version,
            tag=tag or f"v{version}",
            commit=COMMIT,
            repository="python/cpython",
            toolkit_version="0.1.0",
            created="2026-11-21T00:00:00Z",
        ),
        tuple(artifacts),
    )
    manifest.write(directory / MANIFEST_NAME)
    _write(directory, MANIFEST_NAME + ".sigstore", b'{"bundle": "manifest"}')
    sums = "".join(f"{f.sha256}  {f.name}\n" for f in manifest.all_files())
    _write(directory, "SHA256SUMS", sums.encode())
    return ReleaseDir(manifest, directory)
