"""SBOMs for the deterministic demo CPython repository (git archive as the source tarball)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpython_release.demo_repo import DemoRepo, make_demo_repo
from cpython_release.sbom import write_sboms
from sbom.sbom_support import demo_release, spdx_problems


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRepo]:
    yield make_demo_repo(tmp_path_factory.mktemp("demo") / "cpython", "3.13.5")


def test_demo_release_sboms(demo: DemoRepo, tmp_path: Path) -> None:
    directory = tmp_path / "dist"
    manifest = demo_release(demo, directory)
    notes: list[str] = []
    updated = write_sboms(directory, manifest, log=notes.append)
    names = sorted(a.sbom.name for a in updated.artifacts if a.sbom)
    assert names == [
        "Python-3.13.5.tgz.spdx.json",
        "python-3.13.5-amd64.exe.spdx.json",
        "python-3.13.5-embed-amd64.zip.spdx.json",
    ]
    for name in names:
        assert spdx_problems(directory / name) == [], name
        doc = json.loads((directory / name).read_text())
        assert doc["creationInfo"]["created"] == "2025-06-11T12:00:00Z"
    src = json.loads((directory / names[0]).read_text())
    listed = {f["fileName"] for f in src["files"]}
    tree_sbom = json.loads((demo.path / "Misc/sbom.spdx.json").read_text())
    assert {f["fileName"] for f in tree_sbom["files"]} <= listed
    assert "Include/patchlevel.h" in listed
    pip = next(p for p in src["packages"] if p["name"] == "pip")
    wheel = next((demo.path / "Lib/ensurepip/_bundled").glob("pip-*.whl"))
    assert pip["checksums"][0]["checksumValue"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    exe = json.loads((directory / names[1]).read_text())
    externals = json.loads((demo.path / "Misc/externals.spdx.json").read_text())
    exe_ids = {p["SPDXID"] for p in exe["packages"]}
    assert {p["SPDXID"] for p in externals["packages"]} <= exe_ids
    assert "SPDXRef-PACKAGE-pip" in exe_ids


def test_windows_sbom_from_the_demo_tree_equals_from_the_tarball(
    demo: DemoRepo, tmp_path: Path
) -> None:
    directory = tmp_path / "dist"
    manifest = demo_release(demo, directory)
    exe = directory / "python-3.13.5-amd64.exe.spdx.json"
    write_sboms(directory, manifest, demo.path, log=lambda _m: None)
    from_tree = exe.read_bytes()
    write_sboms(directory, manifest, directory / "Python-3.13.5.tgz", log=lambda _m: None)
    assert exe.read_bytes() == from_tree
