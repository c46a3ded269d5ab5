"""A small, CPython-shaped source tree and tarballs for the SBOM tests."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpython_release.demo_repo import DemoRepo
from cpython_release.hashing import sha256_file
from cpython_release.manifest import Artifact, Manifest, ReleaseInfo, created_from_timestamp

VERSION = "3.13.5"
COMMIT_TIME = 1_749_643_200  # 2025-06-11T12:00:00Z
PIP_WHEEL = "pip-24.0-py3-none-any.whl"
VENDORED = {"urllib3": "1.26.18", "idna": "3.6", "CacheControl": "0.14.0"}


def make_wheel(vendor_txt: str | None = None) -> bytes:
    text = (
        vendor_txt
        if vendor_txt is not None
        else "".join(f"{k}=={v}  # vendored\n" for k, v in VENDORED.items()) + "\n# end\n"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in (
            ("pip/__init__.py", b"__version__ = '24.0'\n"),
            ("pip/_vendor/vendor.txt", text.encode()),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(info, data)
    return buf.getvalue()


def _file(name: str, data: bytes) -> dict[str, Any]:
    return {
        "SPDXID": "SPDXRef-FILE-" + name.replace("/", "-").replace("_", "-"),
        "fileName": name,
        "checksums": [
            {"algorithm": "SHA1", "checksumValue": hashlib.sha1(data).hexdigest()},  # noqa: S324
            {"algorithm": "SHA256", "checksumValue": hashlib.sha256(data).hexdigest()},
        ],
    }


def _package(name: str, version: str, purpose: str = "SOURCE") -> dict[str, Any]:
    return {
        "SPDXID": f"SPDXRef-PACKAGE-{name}",
        "name": name,
        "versionInfo": version,
        "downloadLocation": f"https://example.org/{name}-{version}.tar.gz",
        "checksums": [
            {"algorithm": "SHA256", "checksumValue": hashlib.sha256(name.encode()).hexdigest()}
        ],
        "licenseConcluded": "MIT",
        "primaryPackagePurpose": purpose,
    }


def source_tree_files(*, reverse: bool = False) -> dict[str, bytes]:
    """{path: bytes} of the stand-in tree; ``reverse`` lists Misc/sbom.spdx.json's entries in
    the opposite order (the output must not care)."""
    files = {
        "README.rst": b"This is Python version 3.13.5\n",
        "Include/patchlevel.h": b'#define PY_VERSION "3.13.5"\n',
        "Lib/os.py": b"import sys\n" * 50,
        "Modules/expat/xmlparse.c": b"/* expat */\nint x;\n" * 30,
        "Modules/expat/COPYING": b"Copyright (c) expat\n",
        "Modules/_decimal/libmpdec/mpdecimal.c": b"/* mpdec */\n" * 10,
        f"Lib/ensurepip/_bundled/{PIP_WHEEL}": make_wheel(),
    }
    listed = {
        "expat": ["Modules/expat/COPYING", "Modules/expat/xmlparse.c"],
        "mpdecimal": ["Modules/_decimal/libmpdec/mpdecimal.c"],
    }
    packages = [_package("expat", "2.7.1"), _package("mpdecimal", "2.5.1")]
    sbom_files = [_file(n, files[n]) for names in listed.values() for n in names]
    rels = [
        {
            "spdxElementId": f"SPDXRef-PACKAGE-{pkg}",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": _file(n, files[n])["SPDXID"],
        }
        for pkg, names in listed.items()
        for n in names
    ]
    if reverse:
        packages, sbom_files, rels = packages[::-1], sbom_files[::-1], rels[::-1]
    files["Misc/sbom.spdx.json"] = json.dumps(
        {
            "SPDXID": "SPDXRef-DOCUMENT",
            "spdxVersion": "SPDX-2.3",
            "files": sbom_files,
            "packages": packages,
            "relationships": rels,
        },
        indent=2,
    ).encode()
    files["Misc/externals.spdx.json"] = json.dumps(
        {
            "SPDXID": "SPDXRef-DOCUMENT",
            "spdxVersion": "SPDX-2.3",
            "packages": [
                _package("bzip2", "1.0.8"),
                _package("mpdecimal", "4.0.0"),
                _package("openssl", "3.0.16"),
            ],
        },
        indent=2,
    ).encode()
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def write_tarball(
    path: Path,
    files: dict[str, bytes],
    version: str = VERSION,
    extra: list[tarfile.TarInfo] | None = None,
) -> Path:
    mode = "w:gz" if path.name.endswith(".tgz") else "w:xz"
    prefix = f"Python-{version}"
    with tarfile.open(path, mode) as tar:  # type: ignore[call-overload]
        d = tarfile.TarInfo(prefix)
        d.type, d.mtime, d.mode = tarfile.DIRTYPE, COMMIT_TIME, 0o755
        tar.addfile(d)
        for name in sorted(files):
            info = tarfile.TarInfo(f"{prefix}/{name}")
            info.size, info.mtime, info.mode = len(files[name]), COMMIT_TIME, 0o644
            tar.addfile(info, io.BytesIO(files[name]))
        for info in extra or []:
            tar.addfile(info)
    return path


@dataclass
class SbomRelease:
    directory: Path
    manifest: Manifest
    tree: Path  # the unpacked source tree

    def artifact(self, name: str) -> Artifact:
        return self.manifest.artifact(name)


def make_sbom_release(root: Path, files: dict[str, bytes] | None = None) -> SbomRelease:
    files = files if files is not None else source_tree_files()
    directory = root / "dist"
    directory.mkdir(parents=True)
    write_tarball(directory / f"Python-{VERSION}.tgz", files)
    write_tarball(directory / f"Python-{VERSION}.tar.xz", files)
    (directory / f"python-{VERSION}-amd64.exe").write_bytes(b"MZ installer")
    (directory / f"python-{VERSION}-embed-amd64.zip").write_bytes(b"PK embed")
    (directory / f"python-{VERSION}-macos11.pkg").write_bytes(b"xar!")
    kinds = {
        ".tgz": ("source", "source", None),
        ".tar.xz": ("source", "source", None),
        "amd64.exe": ("installer", "windows", "amd64"),
        "amd64.zip": ("embed", "windows", "amd64"),
        ".pkg": ("installer", "macos", "universal2"),
    }
    artifacts = []
    for p in sorted(directory.iterdir()):
        kind, platform, arch = next(v for k, v in kinds.items() if p.name.endswith(k))
        d = sha256_file(p)
        artifacts.append(Artifact(p.name, kind, platform, d.size, d.sha256, "test", arch))
    info = ReleaseInfo(
        VERSION,
        f"v{VERSION}",
        "ab" * 20,
        "python/cpython",
        "0.1.0",
        created_from_timestamp(COMMIT_TIME),
    )
    tree = write_tree(root / f"Python-{VERSION}", files)
    return SbomRelease(directory, Manifest(info, tuple(artifacts)), tree)


def spdx_problems(path: Path) -> list[str]:
    """spdx-tools' own parser and validator (the same as ``pyspdxtools -i``)."""
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = parse_file(str(path))
    return [m.validation_message for m in validate_full_spdx_document(document)]


class FakePyPI:
    """Answers like PyPI's JSON API would, from a table."""

    def __init__(self, files: dict[tuple[str, str, str | None], tuple[str, str]]) -> None:
        self.files = files
        self.asked: list[tuple[str, str, str | None]] = []

    def file(self, project: str, version: str, filename: str | None) -> tuple[str, str]:
        self.asked.append((project, version, filename))
        return self.files[(project, version, filename)]


def demo_release(demo: DemoRepo, directory: Path) -> Manifest:
    """A release directory: the tag's ``git archive`` as tarballs, stand-in Windows files."""
    directory.mkdir(parents=True)
    v = demo.version
    archive = subprocess.run(
        ["git", "-C", str(demo.path), "archive", "--format=tar", f"--prefix=Python-{v}/", demo.tag],
        check=True,
        capture_output=True,
    ).stdout
    (directory / f"Python-{v}.tgz").write_bytes(
        subprocess.run(["gzip", "-n", "-9"], input=archive, check=True, capture_output=True).stdout
    )
    (directory / f"python-{v}-amd64.exe").write_bytes(b"MZ demo installer")
    (directory / f"python-{v}-embed-amd64.zip").write_bytes(b"PK demo embed")
    arts = []
    for path, kind, platform, arch in (
        (directory / f"Python-{v}.tgz", "source", "source", None),
        (directory / f"python-{v}-amd64.exe", "installer", "windows", "amd64"),
        (directory / f"python-{v}-embed-amd64.zip", "embed", "windows", "amd64"),
    ):
        d = sha256_file(path)
        arts.append(Artifact(path.name, kind, platform, d.size, d.sha256, "demo", arch))
    info = ReleaseInfo(
        v,
        demo.tag,
        demo.commit,
        "python/cpython",
        "0.1.0",
        created_from_timestamp(demo.commit_time),
    )
    return Manifest(info, tuple(arts))
