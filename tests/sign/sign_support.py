"""Test support for the sign stage: a small release directory, fragments, a Sigstore double,
an ephemeral GPG key (made with real GnuPG). Fixtures wrapping these are in conftest.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cpython_release.hashing import FileDigest, sha256_file
from cpython_release.manifest import Artifact, Manifest, ReleaseInfo, created_from_timestamp
from cpython_release.sign.signer import BundleRejected
from cpython_release.sigstore_policy import PipelineIdentity

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TOOLKIT = "python/release-pipeline"
SIGN_REF = "refs/tags/v1.0.0"
WORKFLOW_REF = f"{TOOLKIT}/.github/workflows/sign.yml@{SIGN_REF}"


@dataclass
class Release:
    directory: Path
    fragments: list[Path]
    version: str

    def names(self) -> list[str]:
        return sorted(
            p.relative_to(self.directory).as_posix()
            for p in self.directory.rglob("*")
            if p.is_file()
        )


def _artifact(
    directory: Path,
    name: str,
    data: bytes,
    kind: str,
    platform: str,
    producer: str,
    arch: str | None = None,
) -> Artifact:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    d = sha256_file(path)
    return Artifact(
        name=name,
        kind=kind,
        platform=platform,
        arch=arch,
        size=d.size,
        sha256=d.sha256,
        producer=producer,
    )


def make_release(root: Path, version: str = "3.13.5") -> Release:
    """Artifacts of two jobs (source, windows incl. an MSI part in a subdirectory)."""
    directory = root / "dist"
    directory.mkdir(parents=True)
    info = ReleaseInfo(
        version=version,
        tag=f"v{version}",
        commit=COMMIT,
        repository="python/cpython",
        toolkit_version="0.1.0",
        created=created_from_timestamp(1_750_000_000),
    )
    source = [
        _artifact(
            directory, f"Python-{version}.tgz", b"tgz " * 5000, "source", "source", "build-source"
        ),
        _artifact(
            directory, f"Python-{version}.tar.xz", b"xz " * 3000, "source", "source", "build-source"
        ),
    ]
    windows = [
        _artifact(
            directory,
            f"python-{version}-amd64.exe",
            b"MZ" + bytes(range(256)) * 20,
            "installer",
            "windows",
            "build-windows",
            "amd64",
        ),
        _artifact(
            directory, "amd64/core.msi", b"msi core", "msi", "windows", "build-windows", "amd64"
        ),
    ]
    frag_dir = root / "fragments"
    frag_dir.mkdir()
    fragments = []
    for job, arts in (("build-source", source), ("build-windows", windows)):
        path = frag_dir / f"{job}.json"
        Manifest(info, tuple(arts)).write(path)
        fragments.append(path)
    return Release(directory, fragments, version)


def identity() -> PipelineIdentity:
    return PipelineIdentity("python/cpython", TOOLKIT, (SIGN_REF,))


@dataclass
class FakeSigstore:
    """A Sigstore double. Its bundles name the signer and the digest; ``verify`` checks both
    against the file and the policy, so a wrong identity or a changed file really fails."""

    workflow: str | None = WORKFLOW_REF
    source_repository: str = "python/cpython"
    reject: set[str] = field(default_factory=set)  # file names whose bundles fail verify
    fail_sign: set[str] = field(default_factory=set)
    signed: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self) -> str:
        return f"fake signer {self.workflow}"

    def workflow_ref(self) -> str | None:
        return self.workflow

    def sign(self, path: Path, digest: FileDigest) -> bytes:
        from cpython_release.errors import CheckFailed

        if path.name in self.fail_sign:
            raise CheckFailed(f"cannot sign {path.name}", ["fake Rekor is down"])
        with self._lock:
            self.signed.append(path.name)
        return json.dumps(
            {
                "mediaType": "application/x-fake-sigstore",
                "sha256": digest.sha256,
                "san": f"https://github.com/{self.workflow}",
                "source": self.source_repository,
            },
            sort_keys=True,
        ).encode()

    def verify(
        self, path: Path, digest: FileDigest, bundle: bytes, identity: PipelineIdentity
    ) -> None:
        data = json.loads(bundle)
        if path.name in self.reject:
            raise BundleRejected("fake transparency log has no entry")
        if data["sha256"] != digest.sha256 or sha256_file(path).sha256 != digest.sha256:
            raise BundleRejected("digest mismatch")
        if not identity.allows_signer(data["san"]):
            raise BundleRejected(f"certificate SAN {data['san']} is not allowed")
        if data["source"] != identity.repository:
            raise BundleRejected("wrong source repository")


@dataclass(frozen=True)
class GpgTestKey:
    armored: str
    passphrase: str
    fingerprint: str
    public: str


@contextmanager
def generate_gpg_key() -> Iterator[GpgTestKey]:
    """An ed25519 signing key with a passphrase, made by real GnuPG in a throwaway home."""
    home = Path(tempfile.mkdtemp(prefix="cr-testkey-"))
    home.chmod(0o700)
    (home / "gpg-agent.conf").write_text("s2k-count 65536\n")
    env = {**os.environ, "GNUPGHOME": str(home)}
    passphrase = "test passphrase " + hashlib.sha256(os.urandom(8)).hexdigest()[:12]
    base = [
        "gpg",
        "--homedir",
        str(home),
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        passphrase,
    ]
    try:
        subprocess.run(
            [
                *base,
                "--quick-gen-key",
                "Release Test <release-test@example.org>",
                "ed25519",
                "sign",
                "1d",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        listing = subprocess.run(
            ["gpg", "--homedir", str(home), "--with-colons", "--list-secret-keys"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        armored = subprocess.run(
            [*base, "--armor", "--export-secret-keys", fpr],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        public = subprocess.run(
            ["gpg", "--homedir", str(home), "--armor", "--export", fpr],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        yield GpgTestKey(armored, passphrase, fpr, public)
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"],
            capture_output=True,
            check=False,
            env=env,
        )
        shutil.rmtree(home, ignore_errors=True)


def gpg_verify(public_key: str, signature: Path, data: Path, home: Path) -> str:
    """Verify with a separate keyring holding only the public key; returns gpg's status."""
    home.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--import"],
        input=public_key,
        text=True,
        check=True,
        capture_output=True,
        env=env,
    )
    done = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--status-fd",
            "1",
            "--verify",
            str(signature),
            str(data),
        ],
        text=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(
        ["gpgconf", "--homedir", str(home), "--kill", "all"],
        capture_output=True,
        check=False,
        env=env,
    )
    return done.stdout if done.returncode == 0 else "FAILED: " + done.stderr


def clear_ambient_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure no CI credential is visible (as on a developer machine)."""
    for var in (
        "GITHUB_ACTIONS",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "SIGSTORE_ID_TOKEN",
        "GOOGLE_SERVICE_ACCOUNT_NAME",
        "BUILDKITE",
        "GITLAB_CI",
        "CIRCLECI",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(var, raising=False)
    for var in [v for v in os.environ if v.endswith("_ID_TOKEN")]:
        monkeypatch.delenv(var, raising=False)
