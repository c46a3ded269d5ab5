"""A local directory is read with the same caps as a URL: a huge manifest, SHA256SUMS,
bundle or signature is refused before it is read whole (issue 10's open "unbounded reads").

The large files are sparse: they take no disk space, and a reader that ignored the cap
would fail these tests with another message (it reads 256 MiB of zeros, "not JSON").
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from cpython_release.errors import BadInput
from cpython_release.limits import MAX_SIDE_FILE, MAX_UNSIZED, read_capped
from cpython_release.manifest import MANIFEST_NAME
from cpython_release.sigstore_policy import SigningIdentity
from cpython_release.verify import BundleVerdict, verify_release
from cpython_release.verify.localca import LocalCAVerifier
from verify.verify_support import GpgKey, Release, identity


class CliResult(Protocol):
    code: int
    out: str
    err: str


Cli = Callable[..., CliResult]


class Recording:
    """The local-CA verifier, noting the size of every bundle it was handed."""

    def __init__(self, inner: LocalCAVerifier) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    def verify(self, sha256: str, bundle: bytes, policy: SigningIdentity) -> BundleVerdict:
        self.sizes.append(len(bundle))
        return self.inner.verify(sha256, bundle, policy)


def sparse(path: Path, size: int) -> None:
    path.unlink(missing_ok=True)
    with path.open("wb") as fh:
        fh.truncate(size)


def test_read_capped_refuses_past_the_cap_even_without_a_size(tmp_path: Path) -> None:
    """A FIFO reports size 0: the read itself stops one byte past the cap."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with contextlib.suppress(BrokenPipeError):  # the reader stops early, as it should
            fifo.write_bytes(b"x" * 100)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(OSError, match="larger than the 10 bytes it may have"):
        read_capped(fifo, 10)
    writer.join(5)
    (tmp_path / "small").write_bytes(b"y" * 10)
    assert read_capped(tmp_path / "small", 10) == b"y" * 10


def test_a_huge_manifest_in_the_directory_is_bad_input(cli: Cli, release: Release) -> None:
    sparse(release.directory / MANIFEST_NAME, MAX_UNSIZED + 1)
    r = cli("verify", release.version, str(release.directory))
    assert r.code == 2, r.out + r.err
    assert f"larger than the {MAX_UNSIZED} bytes it may have" in r.err
    assert "Traceback" not in r.out + r.err


def test_a_huge_manifest_given_explicitly_is_bad_input(
    cli: Cli, release: Release, tmp_path: Path
) -> None:
    given = tmp_path / "elsewhere" / MANIFEST_NAME
    given.parent.mkdir()
    sparse(given, MAX_UNSIZED + 1)
    r = cli("verify", release.version, str(release.directory), "--manifest", str(given))
    assert r.code == 2 and f"larger than the {MAX_UNSIZED} bytes" in r.err, r.err


def test_a_huge_sha256sums_is_bad_input(cli: Cli, release: Release) -> None:
    sparse(release.directory / "SHA256SUMS", MAX_UNSIZED + 1)
    r = cli("verify", release.version, str(release.directory))
    assert r.code == 2 and f"larger than the {MAX_UNSIZED} bytes" in r.err, r.err


def test_manifest_load_is_capped_for_every_command(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    sparse(path, MAX_UNSIZED + 1)
    r = cli("manifest", "show", str(path))
    assert r.code == 2 and f"larger than the {MAX_UNSIZED} bytes it may have" in r.err, r.err


def test_a_huge_manifest_bundle_fails_without_being_read(
    release: Release, verifier: LocalCAVerifier
) -> None:
    """The manifest does not size its own bundle: the fixed cap for a .sigstore holds."""
    sparse(release.directory / f"{MANIFEST_NAME}.sigstore", MAX_SIDE_FILE + 1)
    recording = Recording(verifier)
    report = verify_release(
        release.directory, release.version, policy=identity(), verifier=recording
    )
    assert not report.ok
    assert (
        f"{MANIFEST_NAME}.sigstore: unreadable: larger than the {MAX_SIDE_FILE} bytes it may have"
        in report.problems
    ), report.problems
    assert recording.sizes and max(recording.sizes) < MAX_SIDE_FILE  # the others were read


def test_an_artifact_bundle_past_the_cap_is_never_read(
    release: Release, verifier: LocalCAVerifier
) -> None:
    """A listed bundle of another size still gets its verdict (what does it sign?), but one
    past the fixed cap (and the listed size) is refused unread."""
    sparse(release.directory / "Python-3.13.5.tgz.sigstore", MAX_SIDE_FILE + 1)
    recording = Recording(verifier)
    report = verify_release(
        release.directory, release.version, policy=identity(), verifier=recording
    )
    assert any(
        p.startswith("Python-3.13.5.tgz.sigstore: size mismatch") for p in report.problems
    ), report.problems
    assert recording.sizes and max(recording.sizes) < MAX_SIDE_FILE  # refused, not verified
    row = next(r for r in report.rows if r.name == "Python-3.13.5.tgz")
    assert row.checks["sigstore"].status == "failed"


def test_a_huge_manifest_signature_is_not_handed_to_gpg(
    release: Release, verifier: LocalCAVerifier, session_gpg: GpgKey
) -> None:
    sparse(release.directory / f"{MANIFEST_NAME}.asc", MAX_SIDE_FILE + 1)
    report = verify_release(
        release.directory,
        release.version,
        policy=identity(),
        verifier=verifier,
        keyring=session_gpg.keyring,
    )
    assert (
        f"{MANIFEST_NAME}.asc: larger than the {MAX_SIDE_FILE} bytes it may have" in report.problems
    ), report.problems


def test_a_release_within_the_caps_still_verifies(
    release: Release, verifier: LocalCAVerifier, session_gpg: GpgKey
) -> None:
    report = verify_release(
        release.directory,
        release.version,
        policy=identity(),
        verifier=verifier,
        keyring=session_gpg.keyring,
    )
    assert report.ok, json.loads(report.to_json())["problems"]


def test_bad_input_type_for_huge_lists(release: Release, verifier: LocalCAVerifier) -> None:
    sparse(release.directory / MANIFEST_NAME, MAX_UNSIZED + 1)
    with pytest.raises(BadInput, match="larger than the"):
        verify_release(release.directory, release.version, policy=identity(), verifier=verifier)
