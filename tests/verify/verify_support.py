"""Realistic releases for the verify tests: local-CA Sigstore bundles, real GPG, SPDX SBOMs.

A release directory looks like the sign stage's output: artifacts, ``F.sigstore``,
``F.asc`` (GPG era), ``F.spdx.json`` (source and Windows), ``SHA256SUMS`` and
``release-manifest.json``, both signed too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cpython_release.hashing import sha256_file
from cpython_release.inventory import classify
from cpython_release.manifest import (
    MANIFEST_NAME,
    Artifact,
    FileRef,
    Manifest,
    ReleaseInfo,
    Signature,
)
from cpython_release.sigstore_policy import PipelineIdentity, SigningIdentity
from cpython_release.verify.bundles import BundleVerdict, BundleVerifier
from cpython_release.verify.localca import Claims, LocalCA, LocalSigner
from cpython_release.version import ReleaseVersion

REPOSITORY = "python/cpython"
TOOLKIT = "python/cpython-release"
REF = "refs/tags/v1.0.0"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
# Real public-good Sigstore bundles, kept in the repository with their provenance.
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "sigstore"
REQUESTS: list[str] = []  # paths the test HTTP servers were asked for (``serve`` clears it)


def identity(repository: str = REPOSITORY) -> PipelineIdentity:
    """The pipeline policy; verify_release binds it to the version it checks."""
    return PipelineIdentity(repository, TOOLKIT, (REF,))


def pipeline_signer(
    ca: LocalCA,
    *,
    version: str = "3.13.5",
    repository: str = REPOSITORY,
    toolkit: str = TOOLKIT,
    ref: str = REF,
    source_ref: str | None = None,
    trigger: str = "workflow_dispatch",
) -> LocalSigner:
    """sign.yml at ``ref`` in a run dispatched from the release's tag (or ``source_ref``)."""
    return ca.signer(
        Claims.workflow(
            toolkit,
            ref,
            repository,
            source_ref=source_ref or f"refs/tags/v{version}",
            trigger=trigger,
        )
    )


@dataclass
class GpgKey:
    home: Path
    fingerprint: str
    keyring: Path  # exported public key (armored)

    def sign(self, path: Path) -> Path:
        out = path.with_name(path.name + ".asc")
        subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.home),
                "--batch",
                "--yes",
                "--armor",
                "--local-user",
                self.fingerprint,
                "--output",
                str(out),
                "--detach-sign",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
        return out


@contextmanager
def gpg_key(name: str = "Test Release Manager <rm@example.org>") -> Iterator[GpgKey]:
    """An ephemeral ed25519 signing key without passphrase, in a temporary GNUPGHOME."""
    home = Path(tempfile.mkdtemp(prefix="cr-vgpg-"))
    home.chmod(0o700)
    try:
        subprocess.run(
            [
                "gpg",
                "--homedir",
                str(home),
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                name,
                "ed25519",
                "sign",
                "1d",
            ],
            check=True,
            capture_output=True,
        )
        listing = subprocess.run(
            ["gpg", "--homedir", str(home), "--with-colons", "--list-keys", name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
        keyring = home / "public.asc"
        keyring.write_bytes(
            subprocess.run(
                ["gpg", "--homedir", str(home), "--armor", "--export", fpr],
                check=True,
                capture_output=True,
            ).stdout
        )
        yield GpgKey(home, fpr, keyring)
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False
        )
        shutil.rmtree(home, ignore_errors=True)


def sbom_for(name: str, sha256: str, version: str, files: int = 3) -> dict[str, Any]:
    """An SPDX 2.3 SBOM shaped like release-tools' (the artifact is the described package)."""
    entries = []
    rels = []
    for i in range(files):
        fname = f"Lib/module{i}.py"
        data = f"# module {i}\n".encode()
        sid = f"SPDXRef-FILE-Lib-module{i}.py"
        entries.append(
            {
                "SPDXID": sid,
                "fileName": fname,
                "checksums": [
                    {"algorithm": "SHA1", "checksumValue": hashlib.sha1(data).hexdigest()},  # noqa: S324
                    {"algorithm": "SHA256", "checksumValue": hashlib.sha256(data).hexdigest()},
                ],
            }
        )
        rels.append(
            {
                "spdxElementId": "SPDXRef-PACKAGE-cpython",
                "relatedSpdxElement": sid,
                "relationshipType": "CONTAINS",
            }
        )
    sha1s = sorted(e["checksums"][0]["checksumValue"].encode() for e in entries)  # type: ignore[index]
    url = f"https://www.python.org/ftp/python/{ReleaseVersion.parse(version).xyz}/{name}"
    return {
        "SPDXID": "SPDXRef-DOCUMENT",
        "spdxVersion": "SPDX-2.3",
        "name": "CPython SBOM",
        "dataLicense": "CC0-1.0",
        "documentNamespace": f"{url}.spdx.json",
        "creationInfo": {
            "created": "2025-06-11T00:00:00Z",
            "creators": ["Person: Python Release Managers"],
            "licenseListVersion": "3.22",
        },
        "packages": [
            {
                "SPDXID": "SPDXRef-PACKAGE-cpython",
                "name": "CPython",
                "versionInfo": version,
                "licenseConcluded": "PSF-2.0",
                "originator": "Organization: Python Software Foundation",
                "supplier": "Organization: Python Software Foundation",
                "packageFileName": name,
                "primaryPackagePurpose": "SOURCE",
                "downloadLocation": url,
                "filesAnalyzed": True,
                "packageVerificationCode": {
                    "packageVerificationCodeValue": hashlib.sha1(b"".join(sha1s)).hexdigest()  # noqa: S324
                },
                "checksums": [{"algorithm": "SHA256", "checksumValue": sha256}],
            }
        ],
        "files": entries,
        "relationships": [
            *rels,
            {
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relatedSpdxElement": "SPDXRef-PACKAGE-cpython",
                "relationshipType": "DESCRIBES",
            },
        ],
    }


# (name template, with SBOM) of a small but realistic release
LAYOUT = (
    ("Python-{v}.tgz", True),
    ("Python-{v}.tar.xz", True),
    ("python-{v}-amd64.exe", True),
    ("python-{v}-embed-amd64.zip", True),
    ("python-{v}-macos11.pkg", False),
)


@dataclass
class Release:
    directory: Path
    version: str
    names: list[str] = field(default_factory=list)

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_NAME

    def manifest(self) -> Manifest:
        return Manifest.load(self.manifest_path)


def make_release(
    directory: Path,
    signer: LocalSigner,
    *,
    version: str = "3.13.5",
    gpg: GpgKey | None = None,
    sizes: dict[str, int] | None = None,
    commit: str = COMMIT,
    repository: str = REPOSITORY,
    sbom_files: int = 3,
    layout: tuple[tuple[str, bool], ...] = LAYOUT,
) -> Release:
    """Write a signed release into ``directory`` (created)."""
    v = ReleaseVersion.parse(version)
    directory.mkdir(parents=True, exist_ok=True)
    release = Release(directory, str(v))
    artifacts = []
    for i, (template, with_sbom) in enumerate(layout):
        name = template.format(v=v)
        path = directory / name
        size = (sizes or {}).get(name, 4096 + 97 * i)
        seed = hashlib.sha256(f"{name}-{i}".encode()).digest()
        path.write_bytes((seed * (size // 32 + 1))[:size])
        digest = sha256_file(path)
        sigs = []
        bundle = path.with_name(name + ".sigstore")
        bundle.write_bytes(signer.sign(digest.sha256))
        d = sha256_file(bundle)
        sigs.append(Signature(bundle.name, d.size, d.sha256, "sigstore"))
        if gpg is not None:
            asc = gpg.sign(path)
            d = sha256_file(asc)
            sigs.append(Signature(asc.name, d.size, d.sha256, "gpg"))
        sbom_ref = None
        if with_sbom:
            sbom = path.with_name(name + ".spdx.json")
            sbom.write_text(
                json.dumps(
                    sbom_for(name, digest.sha256, str(v), sbom_files), indent=2, sort_keys=True
                )
            )
            d = sha256_file(sbom)
            sbom_ref = FileRef(sbom.name, d.size, d.sha256)
        planned = classify(v, name)
        artifacts.append(
            Artifact(
                name=name,
                kind=planned.kind,
                platform=planned.platform,
                arch=planned.arch,
                size=digest.size,
                sha256=digest.sha256,
                producer="test",
                signatures=tuple(sigs),
                sbom=sbom_ref,
            )
        )
        release.names.append(name)
    manifest = Manifest(
        ReleaseInfo(str(v), v.tag, commit, repository, "0.1.0", "2025-06-11T00:00:00Z"),
        tuple(artifacts),
    )
    manifest.write(release.manifest_path)
    sums = directory / "SHA256SUMS"
    sums.write_text(
        "".join(f"{a.sha256}  {a.name}\n" for a in sorted(artifacts, key=lambda a: a.name))
    )
    for meta in (release.manifest_path, sums):
        meta.with_name(meta.name + ".sigstore").write_bytes(signer.sign(sha256_file(meta).sha256))
        if gpg is not None:
            gpg.sign(meta)
    return release


def git_repo(path: Path, tag: str) -> str:
    """A git repository with one commit, tagged ``tag``; returns the commit."""
    path.mkdir(parents=True)
    env = [
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "tag.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
    ]
    subprocess.run(["git", *env, "init", "-q", str(path)], check=True)
    (path / "README").write_text("cpython\n")
    subprocess.run(["git", *env, "-C", str(path), "add", "README"], check=True)
    subprocess.run(["git", *env, "-C", str(path), "commit", "-q", "-m", "release"], check=True)
    subprocess.run(["git", *env, "-C", str(path), "tag", "-a", "-m", tag, tag], check=True)
    return subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


class PretendDigest:
    """Hands the production verifier the real digest of a file we do not have.

    The real python.org bundles sign 27 MB tarballs that are not in the fixtures; a small
    stand-in file's digest is mapped to the real one, so the real bundle goes through the
    real verifier.
    """

    def __init__(self, inner: BundleVerifier, real: dict[str, str]) -> None:
        self.inner = inner
        self.real = real

    def verify(self, sha256: str, bundle: bytes, identity: SigningIdentity) -> BundleVerdict:
        return self.inner.verify(self.real.get(sha256, sha256), bundle, identity)
