"""The demo CPython repository: deterministic, CPython-shaped, usable by blurb."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cpython_release.demo_repo import COMMIT_TIME, DemoRepo, git_env, make_demo_repo
from cpython_release.errors import BadInput

# Pinned: the same call must give the same commit on every machine and interpreter.
# (Changing the generator on purpose changes this value; update it in the same commit.)
PINNED_3_13_5_SMALL = "4260384023abde5750bfb4267054280aaca62aba"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=git_env()
    ).stdout.strip()


def test_demo_commit_is_pinned_and_tag_is_annotated(demo: DemoRepo) -> None:
    assert demo.commit == PINNED_3_13_5_SMALL
    assert demo.tag == "v3.13.5"
    assert git(demo.path, "cat-file", "-t", "v3.13.5") == "tag"
    assert git(demo.path, "rev-parse", "v3.13.5^{commit}") == demo.commit
    assert int(git(demo.path, "log", "-1", "--format=%ct", demo.commit)) == COMMIT_TIME
    assert git(demo.path, "status", "--porcelain") == ""
    assert git(demo.path, "rev-parse", "HEAD") == demo.commit


def test_demo_same_call_same_commit_other_version_differs(tmp_path: Path, demo: DemoRepo) -> None:
    again = make_demo_repo(tmp_path / "again", "3.13.5")
    assert again.commit == demo.commit
    rc = make_demo_repo(tmp_path / "rc", "3.14.0rc2")
    assert rc.commit != demo.commit
    assert '"3.14.0rc2"' in (rc.path / "Include/patchlevel.h").read_text()
    assert (rc.path / "Misc/NEWS.d/3.14.0rc1.rst").is_file()
    assert not (rc.path / "Misc/NEWS.d/3.14.0rc3.rst").exists()


def test_demo_commit_independent_of_interpreter(tmp_path: Path, demo: DemoRepo) -> None:
    # A different interpreter process with a different hash seed and umask.
    out = subprocess.run(
        [sys.executable, "-m", "cpython_release.demo_repo", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"},
    ).stdout
    assert json.loads(out)["commit"] == demo.commit


def test_demo_tree_looks_like_cpython(demo: DemoRepo) -> None:
    root = demo.path
    for rel in (
        "README.rst",
        "LICENSE",
        "Makefile.pre.in",
        "Include/Python.h",
        "Python/ceval.c",
        "Doc/Makefile",
        "Doc/requirements.txt",
        "Misc/mypy/typeshed_stubs.txt",
        ".github/workflows/build.yml",
        ".azure-pipelines/ci.yml",
        "Lib/test/.ruff.toml",
        "Doc/.gitignore",
        "Misc/sbom.spdx.json",
        "Misc/externals.spdx.json",
    ):
        assert (root / rel).is_file(), rel
    assert '#define PY_VERSION              "3.13.5"' in (root / "Include/patchlevel.h").read_text()
    assert (root / "README.rst").read_text().startswith("This is Python version 3.13.5")
    assert os.access(root / "configure", os.X_OK)
    assert os.access(root / "Tools/scripts/summarize_stats.py", os.X_OK)
    assert (root / "Misc/README.link").is_symlink()
    assert str((root / "Misc/README.link").readlink()) == "../README.rst"
    attrs = (root / ".gitattributes").read_text()
    assert "export-ignore" in attrs and "export-subst" in attrs
    news = list((root / "Misc/NEWS.d/next").rglob("*.rst"))
    assert len(news) >= 5
    assert (root / "Misc/NEWS.d/3.13.5.rst").is_file()
    files = int(git(root, "ls-files", "-z").count("\0"))
    assert 200 <= files <= 600
    size = sum((root / p).lstat().st_size for p in git(root, "ls-files").splitlines())
    assert size < 2_000_000


def test_demo_blurb_merge_accepts_entries(tmp_path: Path, demo: DemoRepo) -> None:
    export = tmp_path / "export"
    archive = subprocess.run(
        ["git", "-C", str(demo.path), "archive", "--prefix=P/", demo.commit],
        capture_output=True,
        check=True,
        env=git_env(),
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive, check=True)
    (tmp_path / "P").rename(export)
    blurb = Path(sys.executable).with_name("blurb")
    subprocess.run([str(blurb), "merge"], cwd=export, check=True, capture_output=True)
    news = (export / "Misc/NEWS").read_text()
    assert "What's New in Python 3.13.5 final?" in news
    assert "What's New in Python next?" in news
    assert "CVE-2025-" in news
    assert (export / "Misc/build-info.txt").read_text().startswith(f"commit: {demo.commit}\n")
    assert not (export / "Misc/export-ignored-notes.txt").exists()
    assert not (export / "Tools/ci").exists()


def test_demo_sbom_matches_files(demo: DemoRepo) -> None:
    doc = json.loads((demo.path / "Misc/sbom.spdx.json").read_text())
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert {p["name"] for p in doc["packages"]} == {"expat", "mpdecimal", "hacl-star"}
    assert doc["files"], "the SBOM lists vendored files"
    for f in doc["files"]:
        data = (demo.path / f["fileName"]).read_bytes()
        sums = {c["algorithm"]: c["checksumValue"] for c in f["checksums"]}
        assert sums["SHA256"] == hashlib.sha256(data).hexdigest()
    ids = {f["SPDXID"] for f in doc["files"]}
    contains = [r for r in doc["relationships"] if r["relationshipType"] == "CONTAINS"]
    assert {r["relatedSpdxElement"] for r in contains} == ids
    ext = json.loads((demo.path / "Misc/externals.spdx.json").read_text())
    assert {"openssl", "zlib", "xz"} <= {p["name"] for p in ext["packages"]}


def test_demo_sboms_are_valid_spdx_2_3(demo: DemoRepo) -> None:
    parse = pytest.importorskip("spdx_tools.spdx.parser.parse_anything")
    validation = pytest.importorskip("spdx_tools.spdx.validation.document_validator")
    for name in ("Misc/sbom.spdx.json", "Misc/externals.spdx.json"):
        document = parse.parse_file(str(demo.path / name))
        assert validation.validate_full_spdx_document(document) == [], name


def test_demo_bundled_pip_wheel_is_real(demo: DemoRepo) -> None:
    wheels = list((demo.path / "Lib/ensurepip/_bundled").glob("pip-*-py3-none-any.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(io.BytesIO(wheels[0].read_bytes())) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert "Name: pip" in zf.read(meta).decode()
        record = zf.read(next(n for n in names if n.endswith("/RECORD"))).decode()
        assert "pip/_vendor/vendor.txt,sha256=" in record
        vendor = zf.read("pip/_vendor/vendor.txt").decode()
        assert "requests==" in vendor and "urllib3==" in vendor


def test_demo_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="scale"):
        make_demo_repo(tmp_path / "a", scale="huge")
    with pytest.raises(BadInput, match="release version"):
        make_demo_repo(tmp_path / "b", "3.13")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("x")
    with pytest.raises(BadInput, match="not empty"):
        make_demo_repo(tmp_path / "c")
