"""SBOM then sign, on the demo repository's release: the whole second half of a release."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cpython_release.demo_repo import make_demo_repo
from cpython_release.integrity import check_directory
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.sbom import write_sboms
from cpython_release.sign import SUMS_NAME, sign_release
from cpython_release.sign.stage import output_names
from sbom.sbom_support import demo_release
from sign.sign_support import FakeSigstore, GpgTestKey, gpg_verify, identity


def test_sbom_then_sign_the_demo_release(tmp_path: Path, gpg_key: GpgTestKey) -> None:
    demo = make_demo_repo(tmp_path / "cpython", "3.13.5")
    directory = tmp_path / "dist"
    fragment = tmp_path / "fragment.json"
    write_sboms(directory, demo_release(demo, directory), log=lambda _m: None).write(fragment)

    fake = FakeSigstore()
    result = sign_release(directory, [fragment], version="3.13.5", gpg_key=gpg_key.armored,
                          passphrase=gpg_key.passphrase, signer=fake, identity=identity())
    manifest = Manifest.load(directory / MANIFEST_NAME)
    assert manifest.release.commit == demo.commit
    for art in manifest.artifacts:
        assert art.sbom is not None and len(art.signatures) == 2
    # Artifacts are signed; their SBOMs are covered by the signed manifest.
    assert sorted(fake.signed) == sorted([*manifest.names(), SUMS_NAME, MANIFEST_NAME])
    assert check_directory(manifest, directory, ignore=output_names()).ok()
    done = subprocess.run(["sha256sum", "-c", "--strict", SUMS_NAME], cwd=directory,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert "GOODSIG" in gpg_verify(gpg_key.public, directory / "Python-3.13.5.tgz.asc",
                                   directory / "Python-3.13.5.tgz", tmp_path / "v")
    assert result.sigstore == "signed"
