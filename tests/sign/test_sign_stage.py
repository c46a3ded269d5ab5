"""The sign stage end to end, with the Sigstore double and real GnuPG."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.integrity import check_directory
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.sign import SUMS_NAME, NoSigningIdentity, sign_release
from cpython_release.sign.signer import ExpectedSigner
from cpython_release.sign.stage import output_names
from sign.sign_support import (
    TOOLKIT,
    FakeSigstore,
    GpgTestKey,
    Release,
    gpg_verify,
    identity,
    make_release,
)


def _sign(
    release: Release, signer: FakeSigstore | None, key: GpgTestKey | None = None, **kw: object
) -> object:
    return sign_release(
        release.directory,
        release.fragments,
        version=release.version,
        gpg_key=key.armored if key else None,
        passphrase=key.passphrase if key else None,
        signer=signer,
        identity=kw.pop("identity", identity()),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_signs_every_artifact_and_records_it(
    release: Release, fake_sigstore: FakeSigstore, gpg_key: GpgTestKey, tmp_path: Path
) -> None:
    before = release.names()
    result = sign_release(
        release.directory,
        release.fragments,
        version="3.13.5",
        gpg_key=gpg_key.armored,
        passphrase=gpg_key.passphrase,
        signer=fake_sigstore,
        identity=identity(),
    )
    d = release.directory
    assert result.sigstore == "signed"
    assert result.gpg_fingerprint == gpg_key.fingerprint
    # Every artifact, SHA256SUMS and the manifest were signed, each exactly once.
    assert sorted(fake_sigstore.signed) == sorted(
        [Path(n).name for n in before] + [SUMS_NAME, MANIFEST_NAME]
    )
    expected_new = {n + s for n in before for s in (".sigstore", ".asc")} | output_names()
    assert set(release.names()) == set(before) | expected_new
    assert sorted(result.written) == sorted(expected_new)

    manifest = Manifest.load(d / MANIFEST_NAME)
    assert manifest == result.manifest
    for art in manifest.artifacts:
        assert {(s.type, s.name) for s in art.signatures} == {
            ("sigstore", art.name + ".sigstore"),
            ("gpg", art.name + ".asc"),
        }
    # Recorded sizes and hashes are the files' (strict check, nothing unlisted).
    report = check_directory(manifest, d, ignore=output_names())
    assert report.ok(), report.problems()
    assert report.checked == 3 * len(before)
    # The .asc files verify with only the public key, in an unrelated keyring.
    status = gpg_verify(
        gpg_key.public, d / "amd64/core.msi.asc", d / "amd64/core.msi", tmp_path / "verify-home"
    )
    assert f"VALIDSIG {gpg_key.fingerprint}" in status
    status = gpg_verify(
        gpg_key.public, d / (MANIFEST_NAME + ".asc"), d / MANIFEST_NAME, tmp_path / "verify-home"
    )
    assert "GOODSIG" in status
    # The bundle of the manifest covers the manifest as written.
    bundle = json.loads((d / (MANIFEST_NAME + ".sigstore")).read_text())
    import hashlib

    assert bundle["sha256"] == hashlib.sha256((d / MANIFEST_NAME).read_bytes()).hexdigest()
    # sha256sum accepts SHA256SUMS, which lists exactly the artifacts.
    done = subprocess.run(
        ["sha256sum", "-c", "--strict", SUMS_NAME], cwd=d, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        sorted(line.split("  ", 1)[1] for line in (d / SUMS_NAME).read_text().splitlines())
        == manifest.names()
    )


@pytest.mark.parametrize("damage", ["change", "remove", "extra", "all"])
def test_refuses_a_tampered_directory_naming_each_offender(
    release: Release, fake_sigstore: FakeSigstore, damage: str
) -> None:
    d = release.directory
    expect = []
    if damage in ("change", "all"):
        (d / "Python-3.13.5.tgz").write_bytes(b"tgz " * 4999 + b"tgz!")
        expect.append("sha256 mismatch: Python-3.13.5.tgz")
    if damage in ("remove", "all"):
        (d / "amd64/core.msi").unlink()
        expect.append("missing: amd64/core.msi")
    if damage in ("extra", "all"):
        (d / "evil.exe").write_bytes(b"MZ")
        expect.append("unlisted file: evil.exe")
    before = release.names()
    with pytest.raises(CheckFailed, match="refusing to sign") as err:
        _sign(release, fake_sigstore, sigstore_mode="require", gpg=False)
    problems = err.value.problems
    for e in expect:
        assert any(p.startswith(e) for p in problems), (e, problems)
    assert len(problems) == len(expect)
    assert fake_sigstore.signed == []
    assert release.names() == before


def test_a_bundle_that_does_not_verify_stops_everything(
    release: Release, gpg_key: GpgTestKey
) -> None:
    before = release.names()
    fake = FakeSigstore(reject={"python-3.13.5-amd64.exe"})
    with pytest.raises(CheckFailed, match="1 of 4 Sigstore signatures failed") as err:
        _sign(release, fake, gpg_key)
    assert err.value.problems == [
        "python-3.13.5-amd64.exe: the new bundle does not verify against "
        f"{identity().describe()}: fake transparency log has no entry"
    ]
    assert release.names() == before  # no bundle, .asc, SHA256SUMS or manifest left behind


def test_failure_late_in_the_run_removes_what_was_written(
    release: Release, gpg_key: GpgTestKey
) -> None:
    before = release.names()
    fake = FakeSigstore(fail_sign={MANIFEST_NAME})
    with pytest.raises(CheckFailed, match="Sigstore signatures failed") as err:
        _sign(release, fake, gpg_key)
    assert "fake Rekor is down" in str(err.value)
    assert len(fake.signed) == 5  # four artifacts and SHA256SUMS were signed, then undone
    assert release.names() == before


def test_wrong_signer_identity_is_refused_before_signing(release: Release) -> None:
    fake = FakeSigstore(workflow="someone/fork/.github/workflows/sign.yml@refs/heads/main")
    with pytest.raises(CheckFailed, match="would sign as a workflow") as err:
        _sign(release, fake, gpg=False)
    assert "someone/fork" in str(err.value)
    assert fake.signed == []


def test_policy_is_checked_even_when_the_signer_does_not_name_itself(
    release: Release,
) -> None:
    fake = FakeSigstore(workflow=None)  # cannot check early; verification catches it
    fake_policy = identity().__class__("python/cpython", "other/toolkit", ("refs/heads/x",))
    with pytest.raises(CheckFailed, match="4 of 4 Sigstore signatures failed") as err:
        _sign(release, fake, gpg=False, identity=fake_policy)
    assert all("certificate SAN https://github.com/None" in p for p in err.value.problems)


def test_expected_signer_takes_the_ref_from_the_job(
    release: Release, fake_sigstore: FakeSigstore
) -> None:
    result = _sign(release, fake_sigstore, gpg=False, identity=ExpectedSigner(TOOLKIT))
    assert "taken from job_workflow_ref" in result.sigstore_note  # type: ignore[attr-defined]
    with pytest.raises(CheckFailed, match=r"not the toolkit's sign\.yml"):
        _sign(
            make_fresh(release),
            FakeSigstore(),
            gpg=False,
            identity=ExpectedSigner("python/other-toolkit"),
        )
    with pytest.raises(BadInput, match="must be refs/heads/NAME"):
        _sign(
            make_fresh(release),
            FakeSigstore(),
            gpg=False,
            identity=ExpectedSigner(TOOLKIT, ("v1.0.0",)),
        )


def make_fresh(release: Release) -> Release:
    root = release.directory.parent / f"again-{len(list(release.directory.parent.iterdir()))}"
    return make_release(root, release.version)


def test_no_identity_auto_skips_loudly_and_still_checksums(
    release: Release, gpg_key: GpgTestKey, no_ambient_identity: None
) -> None:
    notices: list[str] = []
    result = _sign(release, None, gpg_key, warn=notices.append)
    assert result.sigstore == "skipped"  # type: ignore[attr-defined]
    assert len(notices) == 1 and "Sigstore signing SKIPPED" in notices[0]
    assert "NOT Sigstore-signed" in notices[0]
    names = release.names()
    assert not [n for n in names if n.endswith(".sigstore")]
    assert "Python-3.13.5.tgz.asc" in names and SUMS_NAME + ".asc" in names
    art = Manifest.load(release.directory / MANIFEST_NAME).artifact("Python-3.13.5.tgz")
    assert [s.type for s in art.signatures] == ["gpg"]


def test_no_identity_require_stops_before_writing(
    release: Release, gpg_key: GpgTestKey, no_ambient_identity: None
) -> None:
    before = release.names()
    with pytest.raises(NoSigningIdentity, match="--sigstore require: no ambient OIDC") as err:
        _sign(release, None, gpg_key, sigstore_mode="require")
    assert err.value.exit_code == 2
    assert release.names() == before


def test_in_actions_without_id_token_permission_says_so(
    release: Release, no_ambient_identity: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with pytest.raises(NoSigningIdentity, match="id-token"):
        _sign(release, None, sigstore_mode="require", gpg=False)


def test_sigstore_off_and_314_has_no_gpg_by_default(release_314: Release) -> None:
    result = _sign(release_314, None, sigstore_mode="off")
    assert result.sigstore == "off"  # type: ignore[attr-defined]
    assert result.gpg_fingerprint is None  # type: ignore[attr-defined]
    assert not [n for n in release_314.names() if n.endswith((".asc", ".sigstore"))]
    assert {SUMS_NAME, MANIFEST_NAME} <= set(release_314.names())


def test_314_signs_with_gpg_when_asked(release_314: Release, gpg_key: GpgTestKey) -> None:
    _sign(release_314, FakeSigstore(), gpg_key, gpg=True)
    assert "Python-3.14.0rc2.tgz.asc" in release_314.names()


def test_313_without_a_key_is_bad_input(release: Release, fake_sigstore: FakeSigstore) -> None:
    with pytest.raises(BadInput, match=r"GPG signatures are needed for 3\.13\.5.*GPG_PRIVATE_KEY"):
        _sign(release, fake_sigstore)
    assert fake_sigstore.signed == []


def test_wrong_version_and_presigned_fragments_are_refused(
    release: Release, fake_sigstore: FakeSigstore
) -> None:
    with pytest.raises(BadInput, match=r"describe 3\.13\.5, not the release 3\.13\.4"):
        sign_release(
            release.directory,
            release.fragments,
            version="3.13.4",
            signer=fake_sigstore,
            identity=identity(),
            gpg=False,
        )
    _sign(release, fake_sigstore, gpg=False)
    # Signing the signed directory again: its own outputs are unlisted in the fragments...
    with pytest.raises(CheckFailed, match="refusing to sign") as err:
        _sign(release, fake_sigstore, gpg=False)
    assert "unlisted file: release-manifest.json" in err.value.problems
    # ...and the final manifest as a fragment already carries signatures.
    with pytest.raises(BadInput, match="already list signatures"):
        sign_release(
            release.directory,
            [release.directory / MANIFEST_NAME],
            signer=fake_sigstore,
            identity=identity(),
            gpg=False,
        )
