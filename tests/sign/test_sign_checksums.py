"""SHA256SUMS: sha256sum's format, accepted by ``sha256sum -c``."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest
from cpython_release.sign.checksums import SUMS_NAME, format_sums, parse_sums, write_sums
from sign.sign_support import Release


def test_sha256sum_accepts_it_and_catches_a_change(release: Release) -> None:
    manifest = Manifest.load(release.fragments[0])
    for f in release.fragments[1:]:
        manifest = manifest.with_artifacts([*manifest.artifacts, *Manifest.load(f).artifacts])
    path = write_sums(release.directory, manifest)
    assert path.name == SUMS_NAME
    lines = path.read_text().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == sorted(manifest.names())
    for line in lines:
        sha, name = line.split("  ", 1)
        assert sha == hashlib.sha256((release.directory / name).read_bytes()).hexdigest()
    ok = subprocess.run(
        ["sha256sum", "-c", "--strict", SUMS_NAME],
        cwd=release.directory,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "amd64/core.msi: OK" in ok.stdout
    (release.directory / "amd64/core.msi").write_bytes(b"changed")
    bad = subprocess.run(
        ["sha256sum", "-c", SUMS_NAME], cwd=release.directory, capture_output=True, text=True
    )
    assert bad.returncode == 1 and "amd64/core.msi: FAILED" in bad.stdout
    assert parse_sums(path.read_text()) == {a.name: a.sha256 for a in manifest.artifacts}


def test_format_is_sorted_and_rejects_bad_names() -> None:
    a, b = "a" * 64, "b" * 64
    assert format_sums([("z", a), ("y", b)]) == f"{b}  y\n{a}  z\n"
    with pytest.raises(BadInput, match="newline or backslash"):
        format_sums([("x\ny", a)])


def test_parse_rejects_malformed_and_repeated_lines() -> None:
    a = "a" * 64
    assert parse_sums(f"{a} *bin\n") == {"bin": a}
    with pytest.raises(BadInput, match="line 1 is not"):
        parse_sums("abc  x\n")
    with pytest.raises(BadInput, match="lists x twice"):
        parse_sums(f"{a}  x\n{a}  x\n")
