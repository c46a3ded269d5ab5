"""``cpython-release sign`` exit codes and messages, in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.manifest import MANIFEST_NAME, Manifest
from sign.sign_support import GpgTestKey, Release


def test_require_without_identity_exits_2_and_writes_nothing(
    release: Release, no_ambient_identity: None, capsys: pytest.CaptureFixture[str]
) -> None:
    before = release.names()
    code = main(
        [
            "sign",
            str(release.directory),
            "--fragments-dir",
            str(release.fragments[0].parent),
            "--sigstore",
            "require",
            "--no-gpg",
            "--toolkit-repository",
            "python/release-pipeline",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "cpython-release sign: error: --sigstore require: no ambient OIDC identity" in err
    assert release.names() == before


def test_auto_without_identity_signs_gpg_and_says_sigstore_skipped(
    release: Release,
    no_ambient_identity: None,
    gpg_key: GpgTestKey,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GPG_PRIVATE_KEY", gpg_key.armored)
    monkeypatch.setenv("GPG_PASSPHRASE", gpg_key.passphrase)
    summary = tmp_path / "summary.md"
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    args = ["sign", "3.13.5", str(release.directory), "--format", "json"]
    for f in release.fragments:
        args += ["--fragment", str(f)]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0
    assert "NOTICE: Sigstore signing SKIPPED" in err
    result = json.loads(out)
    assert result["sigstore"] == "skipped"
    assert result["gpg_fingerprint"] == gpg_key.fingerprint
    assert "Sigstore: **skipped**" in summary.read_text()
    assert "sigstore=skipped\n" in outputs.read_text()
    # the public key, for a verifier that names it as the signer (no Sigstore identity)
    assert "gpg-public-key<<EOF_" in outputs.read_text()
    assert "-----BEGIN PGP PUBLIC KEY BLOCK-----" in outputs.read_text()
    assert "PRIVATE KEY" not in outputs.read_text()
    manifest = Manifest.load(release.directory / MANIFEST_NAME)
    assert all([s.type for s in a.signatures] == ["gpg"] for a in manifest.artifacts)
    for secret in (gpg_key.passphrase, gpg_key.armored.splitlines()[3]):
        assert secret not in out + err + summary.read_text()


def test_tampered_directory_exits_1_naming_files(
    release: Release, capsys: pytest.CaptureFixture[str]
) -> None:
    (release.directory / "Python-3.13.5.tar.xz").write_bytes(b"evil")
    (release.directory / "stray.txt").write_text("x")
    code = main(
        [
            "sign",
            str(release.directory),
            "--fragments-dir",
            str(release.fragments[0].parent),
            "--sigstore",
            "off",
            "--no-gpg",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "refusing to sign" in err
    assert "size mismatch: Python-3.13.5.tar.xz: manifest 9000 bytes, file 4 bytes" in err
    assert "unlisted file: stray.txt" in err


def test_no_fragments_and_gpg_without_key_are_exit_2(
    release: Release, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GPG_PRIVATE_KEY", raising=False)
    assert main(["sign", str(release.directory)]) == 2
    assert "give the manifest fragments" in capsys.readouterr().err
    code = main(
        [
            "sign",
            str(release.directory),
            "--fragments-dir",
            str(release.fragments[0].parent),
            "--sigstore",
            "off",
        ]
    )
    assert code == 2
    assert "GPG signatures are needed for 3.13.5" in capsys.readouterr().err


def test_module_entry_point_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cpython_release", "sign", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "--sigstore {auto,require,off}" in done.stdout
