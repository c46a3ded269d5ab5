"""Slow: the ~100 MB demo tree against the GNU tar reference and, if available, release.py.

Run with ``pytest -m slow tests/build_source/test_build_source_large.py``. Set
CPYTHON_RELEASE_TOOLS to a python/release-tools checkout to also compare with its
``release.py --export V --skip-docs`` (it is never part of this project). The fast
identity proof on the small demo is test_build_source_reference.py.

Measured once by hand on this generator's large tree (4,460 files, 101 MB; commit
19a3d1ace3c2 of an earlier generator version), against release-tools a25ec43
``release.py --export 3.13.5 --skip-docs``: its .tgz and .tar.xz both decompress to
sha256:226c6446beb93a62a2dde0c67458e75f6cad97c215e5c7b402edf2e88c9b7115, the content
digest build-source recorded, and its .tar.xz (21,696,860 bytes) is byte-identical to
build-source's. Only the .tgz bytes differ (GNU gzip's deflate vs zlib's: 31,255,967 vs
31,282,359 bytes), as expected.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

from build_source.build_source_helpers import reference_export, sha256
from cpython_release.demo_repo import DemoRepo, git_env, make_demo_repo
from cpython_release.manifest import Manifest
from cpython_release.source.build import FRAGMENT_NAME

V = "3.13.5"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> DemoRepo:
    return make_demo_repo(tmp_path_factory.mktemp("large") / "cpython", V, scale="large")


@pytest.fixture(scope="module")
def large_built(large: DemoRepo, tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    out = tmp_path_factory.mktemp("large-out")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cpython_release",
            "build-source",
            V,
            "--repo",
            str(large.path),
            "--commit",
            large.commit,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return Manifest.load(out / FRAGMENT_NAME)


def test_large_demo_is_cpython_sized(large: DemoRepo) -> None:
    files = subprocess.run(
        ["git", "-C", str(large.path), "ls-files"],
        capture_output=True,
        text=True,
        check=True,
        env=git_env(),
    ).stdout.splitlines()
    assert 4000 <= len(files) <= 5000
    size = sum((large.path / f).lstat().st_size for f in files)
    assert 90_000_000 <= size <= 115_000_000


def test_large_tree_identical_to_gnu_tar_reference(
    large: DemoRepo, large_built: Manifest, tmp_path: Path
) -> None:
    _, ref_tar = reference_export(large.path, V, tmp_path / "ref")
    digest = f"sha256:{sha256(ref_tar)}"
    assert {a.content_digest for a in large_built.artifacts} == {digest}


def test_large_tree_identical_to_release_py(
    large: DemoRepo, large_built: Manifest, tmp_path: Path
) -> None:
    tools = os.environ.get("CPYTHON_RELEASE_TOOLS")
    if not tools:
        pytest.skip("set CPYTHON_RELEASE_TOOLS to a python/release-tools checkout")
    clone = tmp_path / "cpython"
    subprocess.run(["git", "clone", "-q", str(large.path), str(clone)], check=True, env=git_env())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [sys.executable, str(Path(tools) / "release.py"), "--export", V, "--skip-docs"],
        cwd=clone,
        check=True,
        env=env,
        capture_output=True,
    )
    tar = lzma.decompress((clone / V / "src" / f"Python-{V}.tar.xz").read_bytes())
    digest = "sha256:" + hashlib.sha256(tar).hexdigest()
    assert {a.content_digest for a in large_built.artifacts} == {digest}
