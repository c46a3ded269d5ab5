"""SBOM then sign, on the demo repository's release: the whole second half of a release,
once from ``git archive`` stand-ins and once from real ``build_source`` output."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpython_release.demo_repo import DemoRepo, make_demo_repo
from cpython_release.integrity import check_directory
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.sbom import write_sboms
from cpython_release.sign import SUMS_NAME, sign_release
from cpython_release.sign.stage import output_names
from cpython_release.source import FRAGMENT_NAME, build_source
from cpython_release.version import ReleaseVersion
from sbom.sbom_support import demo_release
from sign.sign_support import FakeSigstore, GpgTestKey, gpg_verify, identity


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRepo]:
    yield make_demo_repo(tmp_path_factory.mktemp("demo") / "cpython", "3.13.5")


def test_sbom_then_sign_the_demo_release(
    tmp_path: Path, gpg_key: GpgTestKey, demo: DemoRepo
) -> None:
    directory = tmp_path / "dist"
    fragment = tmp_path / "fragment.json"
    write_sboms(directory, demo_release(demo, directory), log=lambda _m: None).write(fragment)

    fake = FakeSigstore()
    result = sign_release(
        directory,
        [fragment],
        version="3.13.5",
        gpg_key=gpg_key.armored,
        passphrase=gpg_key.passphrase,
        signer=fake,
        identity=identity(),
    )
    manifest = Manifest.load(directory / MANIFEST_NAME)
    assert manifest.release.commit == demo.commit
    for art in manifest.artifacts:
        assert art.sbom is not None and len(art.signatures) == 2
    # Artifacts are signed; their SBOMs are covered by the signed manifest.
    assert sorted(fake.signed) == sorted([*manifest.names(), SUMS_NAME, MANIFEST_NAME])
    assert check_directory(manifest, directory, ignore=output_names()).ok()
    done = subprocess.run(
        ["sha256sum", "-c", "--strict", SUMS_NAME], cwd=directory, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert "GOODSIG" in gpg_verify(
        gpg_key.public,
        directory / "Python-3.13.5.tgz.asc",
        directory / "Python-3.13.5.tgz",
        tmp_path / "v",
    )
    assert result.sigstore == "signed"


def test_build_source_then_sbom_then_sign(
    tmp_path: Path, gpg_key: GpgTestKey, demo: DemoRepo
) -> None:
    """Real build-source output: its fragment sits in the release directory (ignored)."""
    out = tmp_path / "dist"
    fragment = build_source(demo.path, ReleaseVersion.parse("3.13.5"), demo.commit, out)
    assert fragment == out / FRAGMENT_NAME
    write_sboms(out, Manifest.load(fragment), log=lambda _m: None).write(fragment)
    fake = FakeSigstore()
    sign_release(
        out,
        [fragment],
        version="3.13.5",
        gpg_key=gpg_key.armored,
        passphrase=gpg_key.passphrase,
        signer=fake,
        identity=identity(),
    )
    manifest = Manifest.load(out / MANIFEST_NAME)
    assert manifest.names() == ["Python-3.13.5.tar.xz", "Python-3.13.5.tgz"]
    assert manifest.release.created == "2025-06-11T12:00:00Z"
    for art in manifest.artifacts:
        assert art.sbom is not None and art.sbom.name == art.name + ".spdx.json"
        assert {s.type for s in art.signatures} == {"sigstore", "gpg"}
        doc = json.loads((out / art.sbom.name).read_text())
        cpython = next(p for p in doc["packages"] if p["name"] == "CPython")
        assert cpython["checksums"][0]["checksumValue"] == art.sha256
    report = check_directory(manifest, out, ignore=output_names() | {FRAGMENT_NAME})
    assert report.ok(), report.problems()
    done = subprocess.run(
        ["sha256sum", "-c", "--strict", SUMS_NAME], cwd=out, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
