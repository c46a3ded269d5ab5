"""A small, complete, deterministic release directory (files, companions, manifest) to publish."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cpython_release.hashing import sha256_file
from cpython_release.manifest import (
    MANIFEST_NAME,
    Artifact,
    FileRef,
    Manifest,
    ReleaseInfo,
    Signature,
)
from verify.verify_support import GpgKey, gpg_key

VERSION = "3.14.0rc2"
XYZ = "3.14.0"
DOCS_PAGES = {
    "index.html": b"<h1>Python docs</h1>",
    "library/os.html": b"<h1>os</h1>",
    "_static/basic.css": b"body { margin: 0 }",
}


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    platform: str
    arch: str | None = None
    sigstore: bool = True
    sbom: bool = False


def specs(version: str) -> list[Spec]:
    pre = version[len(XYZ) :] if version.startswith(XYZ) else ""
    return [
        Spec(f"Python-{version}.tgz", "source", "source", sbom=True),
        Spec(f"Python-{version}.tar.xz", "source", "source", sbom=True),
        Spec(f"python-{version}-amd64.exe", "installer", "windows", "amd64", sbom=True),
        Spec(f"amd64{pre}/core.msi", "msi", "windows", "amd64", sigstore=False),
        Spec(f"amd64{pre}/core_pdb.msi", "msi", "windows", "amd64", sigstore=False),
        Spec(f"python-{version}-macos11.pkg", "installer", "macos", "universal2"),
        Spec(f"python-{version}-docs-html.zip", "docs", "docs"),
        Spec(f"python-{version}-docs.epub", "docs", "docs"),
    ]


def content(name: str, size: int, seed: str) -> bytes:
    """``size`` deterministic bytes for ``name``."""
    block = hashlib.sha512(f"{seed}:{name}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def docs_zip(version: str, seed: str, pages: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in sorted((pages or DOCS_PAGES).items()):
            info = zipfile.ZipInfo(f"python-{version}-docs-html/{path}", (2020, 1, 1, 0, 0, 0))
            zf.writestr(info, data + seed.encode())
    return buf.getvalue()


def _ref(directory: Path, name: str) -> tuple[int, str]:
    d = sha256_file(directory / name)
    return d.size, d.sha256


def make_release(
    directory: Path,
    version: str = VERSION,
    *,
    size: int = 4096,
    seed: str = "",
    only: set[str] | None = None,
) -> Manifest:
    """Write a release into ``directory`` and its manifest; return the manifest.

    ``seed`` changes every file's bytes (a "different build"); ``only`` keeps a subset of
    artifact names.
    """
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = []
    for spec in specs(version):
        if only is not None and spec.name not in only:
            continue
        path = directory / spec.name
        path.parent.mkdir(parents=True, exist_ok=True)
        if spec.name.endswith("-docs-html.zip"):
            path.write_bytes(docs_zip(version, seed))
        else:
            path.write_bytes(content(spec.name, size, seed))
        sigs: list[Signature] = []
        if spec.sigstore:
            (directory / f"{spec.name}.sigstore").write_bytes(
                content(spec.name + ".sigstore", 300, seed)
            )
            name = f"{spec.name}.sigstore"
            sigs.append(Signature(name, *_ref(directory, name)))
        sbom = None
        if spec.sbom:
            (directory / f"{spec.name}.spdx.json").write_bytes(b'{"spdxVersion": "SPDX-2.3"}')
            sbom = FileRef(f"{spec.name}.spdx.json", *_ref(directory, spec.name + ".spdx.json"))
        size_, sha = _ref(directory, spec.name)
        artifacts.append(
            Artifact(
                name=spec.name,
                kind=spec.kind,
                platform=spec.platform,
                arch=spec.arch,
                size=size_,
                sha256=sha,
                producer="test",
                signatures=tuple(sigs),
                sbom=sbom,
            )
        )
    manifest = Manifest(
        ReleaseInfo(
            version, f"v{version}", "0" * 40, "python/cpython", "0.1.0", "2026-01-01T00:00:00Z"
        ),
        tuple(artifacts),
    )
    manifest.write(directory / MANIFEST_NAME)
    (directory / "SHA256SUMS").write_text(
        "".join(f"{a.sha256}  {a.name}\n" for a in sorted(artifacts, key=lambda a: a.name))
    )
    # The sign stage's signatures of both lists (a stand-in bundle; a GPG one for SHA256SUMS).
    (directory / f"{MANIFEST_NAME}.sigstore").write_bytes(content("manifest.sigstore", 300, seed))
    (directory / "SHA256SUMS.asc").write_bytes(content("sums.asc", 200, seed))
    sign_manifest(directory)
    return manifest


_SIGNER: list[GpgKey] = []


def _signer() -> GpgKey:
    """One OpenPGP key per test process, made on first use (publish checks the manifest's
    signature: these releases are signed by it, and publish is told so)."""
    if not _SIGNER:
        stack = contextlib.ExitStack()
        _SIGNER.append(stack.enter_context(gpg_key("Publish Tests <publish@example.org>")))
        atexit.register(stack.close)
    return _SIGNER[0]


_SIGNED: dict[str, bytes] = {}  # manifest sha256 -> its .asc


def sign_manifest(directory: Path) -> None:
    """(Re-)sign ``directory``'s manifest: ``release-manifest.json.asc`` by the test key. The
    same manifest gets the same signature (an OpenPGP signature carries its time; a rebuilt
    identical release must be byte-identical, its signatures included)."""
    manifest = directory / MANIFEST_NAME
    asc = directory / f"{MANIFEST_NAME}.asc"
    key = sha256_file(manifest).sha256
    if key not in _SIGNED:
        _SIGNED[key] = _signer().sign(manifest).read_bytes()
    asc.write_bytes(_SIGNED[key])


def signer_options() -> tuple[str, str]:
    """The publish options naming the key that signed the test releases."""
    return ("--signer-keyring", str(_signer().keyring))


def with_signer(args: tuple[str, ...]) -> tuple[str, ...]:
    """A ``publish`` command line, told which key signed the test releases (unless it says
    itself, or only checks credentials, which reads no files)."""
    if not args or args[0] != "publish" or {"--check-credentials", "--signer-keyring"} & set(args):
        return args
    return (*args, *signer_options())


def public_files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative POSIX path -> bytes)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def expected_downloads(directory: Path, manifest: Manifest) -> dict[str, bytes]:
    """What ftp/python/ must hold after publishing ``manifest`` (written independently of
    layout.py: docs archives in doc/V/, everything else, MSI subdirectories included, in XYZ/)."""
    version = manifest.release.version
    out = {
        (f"doc/{version}/" if "-docs" in ref.name else f"{XYZ}/") + ref.name: (
            directory / ref.name
        ).read_bytes()
        for ref in manifest.all_files()
    }
    # The signed lists and their signatures, named by version (XYZ/ is shared by every
    # pre-release of XYZ).
    for name, published in (
        (MANIFEST_NAME, f"release-manifest-{version}.json"),
        ("SHA256SUMS", f"SHA256SUMS-{version}"),
    ):
        for suffix in ("", ".sigstore", ".asc"):
            if (directory / (name + suffix)).is_file():
                out[f"{XYZ}/{published}{suffix}"] = (directory / (name + suffix)).read_bytes()
    return out
