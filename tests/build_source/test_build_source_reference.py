"""The archives against an independent reference: git archive + GNU tar + blurb, as release.py.

The reference shares no code with the toolkit; equality of the uncompressed tar streams
means the same paths, bytes, modes, mtimes and owners (and the same order and headers).
"""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from build_source.build_source_helpers import disk_tree, members, reference_export, sha256
from cpython_release.demo_repo import COMMIT_TIME, DemoRepo, make_demo_repo
from cpython_release.manifest import Manifest

V = "3.13.5"


@pytest.fixture(scope="module")
def reference(demo: DemoRepo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return reference_export(demo.path, V, tmp_path_factory.mktemp("reference"))


def test_tar_stream_identical_to_gnu_tar_reference(
    built: Path, reference: tuple[Path, Path]
) -> None:
    _, ref_tar = reference
    ref = ref_tar.read_bytes()
    assert gzip.decompress((built / f"Python-{V}.tgz").read_bytes()) == ref
    assert lzma.decompress((built / f"Python-{V}.tar.xz").read_bytes()) == ref
    fragment = Manifest.load(built / "fragment-build-source.json")
    for art in fragment.artifacts:
        assert art.content_digest == f"sha256:{sha256(ref_tar)}"


def test_extracted_tree_identical_to_reference(
    built: Path, reference: tuple[Path, Path], tmp_path: Path
) -> None:
    ref_dir, _ = reference
    for name in (f"Python-{V}.tgz", f"Python-{V}.tar.xz"):
        dest = tmp_path / name
        with tarfile.open(built / name) as tf:
            tf.extractall(dest, filter="data")
        assert disk_tree(dest / f"Python-{V}") == disk_tree(ref_dir)


def test_xz_bytes_equal_xz_cli(built: Path, reference: tuple[Path, Path]) -> None:
    if shutil.which("xz") is None:
        pytest.skip("no xz")
    _, ref_tar = reference
    cli = subprocess.run(
        ["xz", "-6", "-T1", "-c", str(ref_tar)],
        capture_output=True,
        check=True,
        env={**os.environ, "XZ_OPT": ""},
    ).stdout
    assert (built / f"Python-{V}.tar.xz").read_bytes() == cli


def test_release_export_contents(built: Path) -> None:
    tree = members(built / f"Python-{V}.tgz")
    top = f"Python-{V}"
    names = set(tree)
    assert all(n == top or n.startswith(top + "/") for n in names)
    assert f"{top}/Misc/NEWS" in names
    assert not any(n.startswith(f"{top}/Misc/NEWS.d") for n in names)
    for gone in (
        ".gitattributes",
        ".gitignore",
        ".github",
        ".azure-pipelines",
        "Misc/mypy",
        "Misc/export-ignored-notes.txt",
        "Tools/ci",
    ):
        assert f"{top}/{gone}" not in names, gone
    for kept in (
        ".editorconfig",
        ".pre-commit-config.yaml",
        "Lib/test/.ruff.toml",
        "Doc/.gitignore",
        "Misc/README.link",
    ):
        assert f"{top}/{kept}" in names, kept
    assert tree[f"{top}/configure"].mode == 0o755
    assert tree[f"{top}/README.rst"].mode == 0o644
    assert tree[f"{top}/Misc/README.link"].linkname == "../README.rst"
    news = tree[f"{top}/Misc/NEWS"]
    assert news.mode == 0o644 and news.size > 0


def test_official_archive_properties(built: Path, demo: DemoRepo) -> None:
    for name in (f"Python-{V}.tgz", f"Python-{V}.tar.xz"):
        path = built / name
        with tarfile.open(path) as tf:
            infos = tf.getmembers()
            assert tf.pax_headers == {}  # no global header
        listed = [m.name for m in infos]
        assert listed[0] == f"Python-{V}"
        for m in infos:
            assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "", "")
            assert m.mtime == demo.commit_time == COMMIT_TIME
            assert m.mode & 0o022 == 0
            assert (m.mode >> 3) & 0o7 == (m.mode >> 6) & 0o5
            assert "atime" not in m.pax_headers and "ctime" not in m.pax_headers
            tarfile.data_filter(m, "/nonexistent")  # raises if the data filter would refuse
    raw = (built / f"Python-{V}.tgz").read_bytes()
    assert raw[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"  # no name, mtime 0, -9
    xz = (built / f"Python-{V}.tar.xz").read_bytes()
    assert xz[:6] == b"\xfd7zXZ\x00" and xz[6:8] == b"\x00\x04"  # CRC64
    assert xz.count(b"\xfd7zXZ\x00") == 1 and xz.endswith(b"YZ")  # one stream
    ustar = gzip.decompress(raw)[257:265]
    assert ustar == b"ustar\x0000"  # POSIX (pax) format, not GNU's "ustar  "


def test_edge_case_names_identical_to_gnu_tar(tmp_path: Path) -> None:
    """Long names (100/101 bytes), non-ASCII, long symlink targets, GNU sort order."""
    demo = make_demo_repo(tmp_path / "repo", V)
    repo = demo.path
    long_dir = "Lib/" + "d" * 60 + "/" + "e" * 60
    files = {
        f"{long_dir}/" + "f" * 120 + ".py": "long\n",
        "Lib/" + "x" * 96: "exactly 100 with the prefix\n",
        "Lib/" + "y" * 97: "one more\n",
        "Lib/a.txt": "a\n",
        "Lib/a/b.txt": "b\n",
        "Lib/a-b": "c\n",
        "Lib/B": "d\n",
        "Lib/caf\u00e9.txt": "e\n",
        "Lib/empty": "",
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    (repo / "Lib/longlink").symlink_to("t" * 101)
    (repo / "Lib" / ("L" * 110)).symlink_to("u" * 120)
    (repo / "Lib/a/run.sh").write_text("#!/bin/sh\n")
    (repo / "Lib/a/run.sh").chmod(0o700)
    from cpython_release.demo_repo import git_env

    env = {
        **git_env(),
        "GIT_COMMITTER_DATE": f"{COMMIT_TIME} +0000",
        "GIT_AUTHOR_DATE": f"{COMMIT_TIME} +0000",
    }
    for args in (
        ["add", "-A"],
        ["commit", "-qm", "edge cases"],
        ["tag", "-f", "-a", "-m", "t", f"v{V}"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    _, ref_tar = reference_export(repo, V, tmp_path / "ref")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "cpython_release.source", str(repo), V, commit, str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert lzma.decompress((out / f"Python-{V}.tar.xz").read_bytes()) == ref_tar.read_bytes()
