"""Where each file of a release goes on python.org.

Downloads live below ``/srv/www.python.org/ftp/python/``: the release's files in ``XYZ/``
(pre-releases share it with the final), Windows MSI parts in ``XYZ/{arch}{Pre}/`` (the
manifest names them that way already: ``amd64rc2/core.msi``), docs archives in ``doc/V/``.
The HTML docs are unpacked into ``/srv/docs.python.org/release/V/``. The directory of a
bare file name comes from :func:`cpython_release.inventory.classify` (``PlannedFile.directory``);
names the inventory does not know (newer docs formats) fall back on the artifact's platform.
Companions (signatures, SBOMs) go next to their artifact.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cpython_release.errors import BadInput
from cpython_release.hashing import hash_many
from cpython_release.inventory import WINDOWS_ARCHES, classify
from cpython_release.manifest import Artifact, Manifest
from cpython_release.publish.staging import Item
from cpython_release.version import ReleaseVersion

FTP_ROOT = "/srv/www.python.org/ftp/python"
DOCS_ROOT = "/srv/docs.python.org/release"
DOWNLOADS_URL = "https://www.python.org/ftp/python/"

_XYZ_RE = re.compile(r"(\d+\.\d+\.\d+)")
# The signed lists of a release and the signatures next to them (sign stage).
SIGNED_LISTS = ("release-manifest.json", "SHA256SUMS")
LIST_SIGNATURES = (".sigstore", ".asc")
# The HTML docs archive to unpack, in order of preference (release-tools unpacks the zip).
_HTML_SUFFIXES = ("-docs-html.zip", "-docs-html.tar.bz2", "-docs-html.tar.xz")


@dataclass(frozen=True)
class Placement:
    """One file of the artifact directory and its place below the ftp root."""

    name: str  # path in the artifact directory (the manifest's name)
    dest: str  # POSIX path below ftp/python/, e.g. "3.14.0/amd64rc2/core.msi"
    size: int
    sha256: str
    artifact: str  # the artifact it belongs to (itself, or the one it signs or describes)

    @property
    def url(self) -> str:
        return DOWNLOADS_URL + self.dest


def xyz(version: str) -> str:
    """``3.14.0`` for ``3.14.0rc2`` (and for a ``3.14.0a1.dev5`` nightly)."""
    match = _XYZ_RE.match(version)
    if match is None:
        raise BadInput(f"not a release version: {version!r}")
    return match.group(1)


def _parse(version: str) -> ReleaseVersion | None:
    try:
        return ReleaseVersion.parse(version)
    except BadInput:
        return None  # a nightly (.devN): no inventory, fall back on the platform


def artifact_directory(manifest: Manifest, artifact: Artifact) -> str:
    """The directory below ftp/python/ that holds ``artifact`` (without a trailing slash)."""
    version = manifest.release.version
    base = xyz(version)
    parts = PurePosixPath(artifact.name).parts
    if len(parts) > 1:
        pre = _parse(version)
        suffix = pre.pre if pre else ""
        allowed = {f"{arch}{suffix}" for arch, _, _ in WINDOWS_ARCHES}
        if len(parts) != 2 or parts[0] not in allowed or artifact.platform != "windows":
            raise BadInput(
                f"{artifact.name}: only Windows MSI parts may sit in a subdirectory, and only "
                f"in one of {', '.join(sorted(allowed))}/"
            )
        return base
    parsed = _parse(version)
    if parsed is not None:
        try:
            return classify(parsed, artifact.name).directory
        except BadInput:
            pass
    return f"doc/{version}" if artifact.platform == "docs" else base


def placements(manifest: Manifest) -> list[Placement]:
    """Every file the manifest vouches for, with its destination, sorted by destination."""
    out: list[Placement] = []
    for art in manifest.artifacts:
        directory = artifact_directory(manifest, art)
        out.append(Placement(art.name, f"{directory}/{art.name}", art.size, art.sha256, art.name))
        out.extend(
            Placement(c.name, f"{directory}/{c.name}", c.size, c.sha256, art.name)
            for c in art.companion_files()
        )
    seen: dict[str, str] = {}
    for p in out:
        if p.dest in seen:
            raise BadInput(f"{p.name} and {seen[p.dest]} would both be published as {p.dest}")
        seen[p.dest] = p.name
    return sorted(out, key=lambda p: p.dest)


def staging_name(manifest: Manifest, public: str) -> str:
    """The hidden staging directory next to ``public``: ``.3.14.0.staging-v3.14.0rc2``."""
    return f".{public}.staging-{manifest.release.tag}"


def html_docs_archive(manifest: Manifest) -> Artifact | None:
    """The HTML docs archive to unpack into the docs tree, if the release has docs."""
    docs = {a.name: a for a in manifest.artifacts if a.platform == "docs"}
    for suffix in _HTML_SUFFIXES:
        for name in sorted(docs):
            if name.endswith(suffix) and "/" not in name:
                return docs[name]
    return None


def unpack_html_docs(archive: Path, out: Path) -> list[str]:
    """Unpack ``archive`` into the empty directory ``out``; return the POSIX paths of its files.

    The archive's single top-level directory (``python-V-docs-html/``) is dropped, as
    release-tools does. Absolute paths, ``..``, links and devices are refused.
    """
    tmp = out / ".unpack"
    tmp.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member(archive, info.filename)
                if ((info.external_attr >> 16) & 0o170000) == 0o120000:
                    raise BadInput(f"{archive.name}: {info.filename} is a symbolic link")
                target = tmp.joinpath(*PurePosixPath(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    else:
        try:
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    _check_member(archive, member.name)
                    if not (member.isfile() or member.isdir()):
                        raise BadInput(f"{archive.name}: {member.name} is not a regular file")
                tf.extractall(tmp, filter="data")
        except tarfile.TarError as exc:
            raise BadInput(f"{archive.name}: not a readable archive: {exc}") from exc
    entries = list(tmp.iterdir())
    top = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
    for child in top.iterdir():
        shutil.move(str(child), str(out / child.name))
    shutil.rmtree(tmp)
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _check_member(archive: Path, name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BadInput(f"{archive.name}: unsafe member path {name!r}")


def download_items(manifest: Manifest, directory: Path) -> list[Item]:
    """The files to publish below ftp/python/, read from the (already verified) directory."""
    return [Item(p.dest, directory / p.name, p.size, p.sha256) for p in placements(manifest)]


def docs_items(manifest: Manifest, directory: Path, scratch: Path) -> tuple[str, list[Item]] | None:
    """Unpack the HTML docs into ``scratch``; the items of the docs tree ``V/`` and the archive
    they come from, or None for a release without docs."""
    archive = html_docs_archive(manifest)
    if archive is None:
        return None
    version = manifest.release.version
    names = unpack_html_docs(directory / archive.name, scratch)
    if not names:
        raise BadInput(f"{archive.name} holds no files")
    digests = hash_many(scratch / n for n in names)
    items = []
    for n in names:
        d = digests[scratch / n]
        if isinstance(d, OSError):  # pragma: no cover - we just wrote it
            raise d
        items.append(Item(f"{version}/{n}", scratch / n, d.size, d.sha256))
    return archive.name, items


def published_list_name(name: str, version: str) -> str:
    """The name a signed list gets in python.org's ``XYZ/`` directory, which every
    pre-release of X.Y.Z shares: the version goes in (``release-manifest-3.14.0rc2.json``,
    ``SHA256SUMS-3.14.0rc2``), so rc2's lists never collide with rc1's or the final's."""
    stem, dot, ext = name.partition(".")
    return f"{stem}-{version}{dot}{ext}"


def signed_list_items(manifest: Manifest, directory: Path, manifest_path: Path) -> list[Item]:
    """The signed manifest, SHA256SUMS and their signatures (``.sigstore``, ``.asc`` where
    made), to publish next to the release's files. The manifest is required; SHA256SUMS and
    the signatures go up when the sign stage made them."""
    version = manifest.release.version
    sources = {"release-manifest.json": manifest_path, "SHA256SUMS": directory / "SHA256SUMS"}
    paths: list[tuple[str, Path]] = []
    for name, path in sources.items():
        if not path.is_file():
            if name == "SHA256SUMS":
                continue
            raise BadInput(f"{path}: the signed manifest is missing")
        paths.append((published_list_name(name, version), path))
        for suffix in LIST_SIGNATURES:
            sig = path.with_name(path.name + suffix)
            if sig.is_file():
                paths.append((published_list_name(name, version) + suffix, sig))
    digests = hash_many(p for _, p in paths)
    items = []
    for dest, path in paths:
        d = digests[path]
        if isinstance(d, OSError):
            raise BadInput(f"cannot read {path}: {d.strerror or d}")
        items.append(Item(f"{xyz(version)}/{dest}", path, d.size, d.sha256))
    return items
