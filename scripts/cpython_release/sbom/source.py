"""Read a CPython source tree or source tarball: the SBOM inputs and every file's hashes."""

from __future__ import annotations

import hashlib
import lzma
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cpython_release.errors import BadInput, CheckFailed

SOURCE_SBOM = "Misc/sbom.spdx.json"
EXTERNALS_SBOM = "Misc/externals.spdx.json"
BUNDLED = "Lib/ensurepip/_bundled"
_PIP_WHEEL = re.compile(r"pip-[^/]*\.whl")
_TARBALL = re.compile(r"Python-(.+)\.(tgz|tar\.xz)")
CHUNK = 1 << 20


class PredatesSbom(CheckFailed):
    """The source has no ``Misc/sbom.spdx.json``: a version from before CPython had SBOMs
    (3.12 and older branch points). release-tools makes no SBOM for those; neither do we."""


@dataclass(frozen=True)
class FileHashes:
    sha1: str
    sha256: str


@dataclass
class SourceScan:
    """What a full pass over a source tree found."""

    files: dict[str, FileHashes] = field(default_factory=dict)  # relative POSIX path -> hashes
    kept: dict[str, bytes] = field(default_factory=dict)  # contents of the files we need
    problems: list[str] = field(default_factory=list)

    def read(self, name: str) -> bytes:
        try:
            return self.kept[name]
        except KeyError:
            if name == SOURCE_SBOM:
                raise PredatesSbom(f"the source has no {name}") from None
            raise CheckFailed(f"the source has no {name}") from None

    def pip_wheel(self) -> tuple[str, bytes]:
        wheels = sorted(n for n in self.kept if n.startswith(BUNDLED + "/"))
        if not wheels:
            raise CheckFailed(f"the source has no pip wheel in {BUNDLED}/")
        if len(wheels) > 1:
            raise CheckFailed(f"more than one pip wheel in {BUNDLED}/", wheels)
        return PurePosixPath(wheels[0]).name, self.kept[wheels[0]]


def _wanted(name: str) -> bool:
    if name in (SOURCE_SBOM, EXTERNALS_SBOM):
        return True
    parent, _, base = name.rpartition("/")
    return parent == BUNDLED and _PIP_WHEEL.fullmatch(base) is not None


def _hash_stream(chunks: Iterator[bytes]) -> FileHashes:
    sha1 = hashlib.sha1(usedforsecurity=False)
    sha256 = hashlib.sha256()
    for chunk in chunks:
        sha1.update(chunk)
        sha256.update(chunk)
    return FileHashes(sha1.hexdigest(), sha256.hexdigest())


def _chunks(fh: object) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):  # type: ignore[attr-defined]
        yield chunk


def tarball_version(name: str) -> str:
    match = _TARBALL.fullmatch(name)
    if match is None:
        raise BadInput(f"{name} is not a CPython source tarball name (Python-V.tgz/.tar.xz)")
    return match.group(1)


def scan_tarball(path: Path, *, hash_files: bool = True) -> SourceScan:
    """One pass over ``Python-V/...``: hash every file, keep the SBOM inputs."""
    version = tarball_version(path.name)
    scan = SourceScan()
    try:
        with tarfile.open(path, "r:*") as tar:
            _scan_members(tar, f"Python-{version}/", scan, hash_files)
    except (OSError, EOFError, tarfile.TarError, lzma.LZMAError, zlib.error) as exc:
        raise CheckFailed(f"cannot read {path.name}: {exc}") from None
    return scan


def _scan_members(tar: tarfile.TarFile, prefix: str, scan: SourceScan, hash_files: bool) -> None:
    for member in tar:
        if member.isdir():
            continue
        if not member.name.startswith(prefix):
            scan.problems.append(f"{member.name}: outside {prefix}")
            continue
        rel = member.name[len(prefix) :]
        if not (member.isfile() or member.issym() or member.islnk()):
            scan.problems.append(f"{rel}: not a regular file")
            continue
        try:
            fh = tar.extractfile(member)  # links resolve to their target's bytes
        except (KeyError, tarfile.TarError) as exc:
            scan.problems.append(f"{rel}: unreadable link ({exc})")
            continue
        if fh is None:
            scan.problems.append(f"{rel}: unreadable")
            continue
        with fh:
            if _wanted(rel):
                data = fh.read()
                scan.kept[rel] = data
                if hash_files:
                    scan.files[rel] = FileHashes(
                        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                        hashlib.sha256(data).hexdigest(),
                    )
            elif hash_files:
                scan.files[rel] = _hash_stream(_chunks(fh))


def scan_directory(path: Path) -> SourceScan:
    """The SBOM inputs of an unpacked source tree (no file hashes: Windows SBOMs list none)."""
    if not (path / SOURCE_SBOM).is_file():
        raise PredatesSbom(f"the source tree {path} has no {SOURCE_SBOM}")
    scan = SourceScan()
    for name in (SOURCE_SBOM, EXTERNALS_SBOM):
        if (path / name).is_file():
            scan.kept[name] = (path / name).read_bytes()
    bundled = path / BUNDLED
    if bundled.is_dir():
        for wheel in sorted(bundled.iterdir()):
            if _PIP_WHEEL.fullmatch(wheel.name) and wheel.is_file():
                scan.kept[f"{BUNDLED}/{wheel.name}"] = wheel.read_bytes()
    return scan


def scan_source(path: Path) -> SourceScan:
    """A source tree (directory) or a source tarball, for Windows SBOMs."""
    if path.is_dir():
        return scan_directory(path)
    if path.is_file():
        return scan_tarball(path, hash_files=False)
    raise BadInput(f"no such source tree or tarball: {path}")
