"""GPG signing with real GnuPG and an ephemeral key: temporary home, no leaks."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.sign.gpg import GpgKey, GpgSigner
from sign.sign_support import GpgTestKey, gpg_verify


def test_signs_verifies_and_deletes_its_home(gpg_key: GpgTestKey, tmp_path: Path) -> None:
    data = tmp_path / "Python-3.13.5.tgz"
    data.write_bytes(b"release bytes\n" * 100)
    with GpgSigner(GpgKey(gpg_key.armored, gpg_key.passphrase)) as signer:
        home = signer.home
        assert home is not None and home.is_dir()
        assert (home.stat().st_mode & 0o777) == 0o700
        asc = signer.sign(data)
    assert home is not None and not home.exists()
    assert asc == tmp_path / "Python-3.13.5.tgz.asc"
    text = asc.read_text()
    assert text.startswith("-----BEGIN PGP SIGNATURE-----")
    assert f"VALIDSIG {gpg_key.fingerprint}" in gpg_verify(
        gpg_key.public, asc, data, tmp_path / "h"
    )
    data.write_bytes(b"release bytes\n" * 99)  # a changed file no longer verifies
    assert gpg_verify(gpg_key.public, asc, data, tmp_path / "h").startswith("FAILED")


def test_home_is_deleted_when_the_block_fails(gpg_key: GpgTestKey) -> None:
    signer = GpgSigner(GpgKey(gpg_key.armored, gpg_key.passphrase))
    with pytest.raises(RuntimeError, match="boom"), signer:
        home = signer.home
        raise RuntimeError("boom")
    assert home is not None and not home.exists()


def test_wrong_passphrase_fails_without_leaking_secrets(
    gpg_key: GpgTestKey,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    data = tmp_path / "f"
    data.write_bytes(b"x")
    wrong = "not the passphrase 12345"
    with (
        pytest.raises(CheckFailed, match="gpg could not sign f") as err,
        GpgSigner(GpgKey(gpg_key.armored, wrong)) as signer,
    ):
        home = signer.home
        signer.sign(data)
    assert not (tmp_path / "f.asc").exists() and not (tmp_path / "f.asc.tmp").exists()
    assert home is not None and not home.exists()
    out, errout = capfd.readouterr()
    everything = str(err.value) + caplog.text + out + errout
    key_body = gpg_key.armored.splitlines()[3]  # a line of the key's base64 body
    for secret in (wrong, gpg_key.passphrase, key_body):
        assert secret not in everything
    assert "PRIVATE KEY" not in everything


def test_repr_hides_the_key() -> None:
    key = GpgKey("-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecret", "hunter2")
    assert "secret" not in repr(key) and "hunter2" not in repr(key)


def test_public_key_or_garbage_is_bad_input(gpg_key: GpgTestKey) -> None:
    with pytest.raises(BadInput, match="holds no secret key"), GpgSigner(GpgKey(gpg_key.public)):
        pass
    with (
        pytest.raises(BadInput, match=r"cannot import the GPG key from \$GPG_PRIVATE_KEY"),
        GpgSigner(GpgKey("not a key at all")),
    ):
        pass


def test_from_env() -> None:
    assert GpgKey.from_env({}) is None
    assert GpgKey.from_env({"GPG_PRIVATE_KEY": "  \n"}) is None
    key = GpgKey.from_env({"GPG_PRIVATE_KEY": "K", "GPG_PASSPHRASE": ""})
    assert key is not None and key.armored == "K" and key.passphrase is None


def test_malformed_key_message_does_not_quote_the_key(
    gpg_key: GpgTestKey, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Without the blank line after BEGIN, gpg says "invalid armor header: <first key line>"."""
    lines = gpg_key.armored.splitlines()
    assert lines[0].startswith("-----BEGIN") and lines[1] == ""
    broken = "\n".join([lines[0], *lines[2:]]) + "\n"
    with pytest.raises(BadInput) as err, GpgSigner(GpgKey(broken, gpg_key.passphrase)):
        pass
    out, errout = capfd.readouterr()
    everything = str(err.value) + caplog.text + out + errout
    assert "cannot import the GPG key" in everything
    for line in lines[2:]:
        if line and not line.startswith("-----"):
            assert line not in everything
            assert line[:16] not in everything  # not even a piece of a line
    assert "[redacted]" in everything or "invalid armor" not in everything


def test_scrub_cuts_pieces_of_the_key_but_keeps_other_words() -> None:
    from cpython_release.sign.gpg import scrub_secret_text

    key = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEaxWx8RYJKwYBBAHaRw8BAQdA\n=abcd\n-----END"
    text = (
        "gpg: invalid armor header: lFgEaxWx8RYJKwYB\n"
        "gpg: keydb_search_first failed: 0123456789abcdefXYZ"
    )
    out = scrub_secret_text(text, key, "pw")
    assert "lFgEaxWx8RYJKwYB" not in out and "[redacted]" in out
    assert "0123456789abcdefXYZ" in out and "keydb_search_first" in out
