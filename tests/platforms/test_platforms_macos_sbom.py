from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from cpython_release.cli import main
from cpython_release.errors import CheckFailed
from cpython_release.platforms import macos_sbom
from cpython_release.platforms.macos_sbom import BuildContext, LibraryRecipe
from cpython_release.version import ReleaseVersion

V = ReleaseVersion.parse("3.14.0rc2")

# The shape of Mac/BuildScript/build-installer.py's library_recipes() (written for this
# test): nested conditions, string formatting, str.format, f-strings, helper calls.
RECIPES = """
import os

def shellQuote(value):
    return value

def library_recipes():
    result = []
    result.extend([
          dict(
              name="OpenSSL 3.0.16",
              url="https://example.org/openssl-3.0.16.tar.gz",
              checksum="57e03c50feab5d31b152af2b764f10379aecd8ee92f16c985983ce4a99f7ef86",
              buildrecipe=build_universal_openssl,
              configure=None,
          ),
    ])
    if internalTk():
        if useOldTk():
            tcl_tk_ver = "8.6.8"
            tcl_checksum = "81656d3367af032e0ae6157eff134f89"
        else:
            tcl_tk_ver = "8.6.16"
            tcl_checksum = "91cb8fa61771c63c262efb553059b7c7ad6757afa5857af6265e4b0bdc2a14a5"
        base_url = "https://example.org/{what}{version}-src.tar.gz"
        result.extend([
          dict(
              name="Tcl %s" % (tcl_tk_ver,),
              url=base_url.format(what="tcl", version=tcl_tk_ver),
              checksum=tcl_checksum,
              configure_pre=["--libdir=%s/lib" % (getVersion(),)],
              install="make && make install DESTDIR=%s" % shellQuote(os.path.join("a", "b")),
          ),
        ])
    if PYTHON_3:
        result.extend([dict(name="XZ 5.8.1", url="https://example.org/xz-5.8.1.tar.gz",
                            checksum="ef68674fb47a8b8e741b34e429d86e9d")])
    result.extend([
        dict(name="NCurses 6.5", url=f"https://example.org/ncurses-{'6.5'}.tar.gz",
             checksum=None, configure_pre=[f"--libdir={getVersion()}/lib"]),
        dict(name="libmpdec 4.0.0", url="https://example.org/mpdecimal-4.0.0.tar.gz",
             checksum="942445c3245b22730fd41a67a7c5c231d11cb1b9936b9c0f76334fb7d0b4468c"),
    ])
    if getDeptargetTuple() < (10, 5):
        result.extend([dict(name="Bzip2 1.0.6", url="x", checksum="y")])
    if not PYTHON_3:
        result.extend([dict(name="Sleepycat DB 4.7.25")])
    return result

def pkg_recipes():
    return [dict(name="PythonFramework")]
"""


def test_library_recipes_modern_build_host() -> None:
    libs = macos_sbom.library_recipes(RECIPES)
    assert [(lib.name, lib.version) for lib in libs] == [
        ("OpenSSL", "3.0.16"),
        ("Tcl", "8.6.16"),
        ("XZ", "5.8.1"),
        ("NCurses", "6.5"),
        ("libmpdec", "4.0.0"),
    ]
    assert libs[1].url == "https://example.org/tcl8.6.16-src.tar.gz"
    assert libs[3].url == "https://example.org/ncurses-6.5.tar.gz" and libs[3].checksum is None


def test_library_recipes_follow_the_build_context() -> None:
    old_host = macos_sbom.library_recipes(RECIPES, BuildContext(build_macos=(10, 14)))
    assert old_host[1] == LibraryRecipe(
        "Tcl",
        "8.6.8",
        "https://example.org/tcl8.6.8-src.tar.gz",
        "81656d3367af032e0ae6157eff134f89",
    )
    ancient = macos_sbom.library_recipes(RECIPES, BuildContext(deployment_target=(10, 4)))
    assert [lib.name for lib in ancient] == ["OpenSSL", "XZ", "NCurses", "libmpdec", "Bzip2"]


def test_library_recipes_refuse_what_they_cannot_read() -> None:
    with pytest.raises(CheckFailed, match="cannot decide a condition"):
        macos_sbom.library_recipes(RECIPES.replace("if PYTHON_3:", "if someNewCheck():"))
    with pytest.raises(CheckFailed, match="no library_recipes"):
        macos_sbom.library_recipes("def other():\n    pass\n")
    with pytest.raises(CheckFailed, match="does not parse"):
        macos_sbom.library_recipes("def (:")
    with pytest.raises(CheckFailed, match="name that cannot be read"):
        macos_sbom.library_recipes(RECIPES.replace('name="XZ 5.8.1"', "name=xz_name()"))


def _write_sbom(tmp_path: Path) -> Path:
    doc = macos_sbom.pkg_sbom(
        V,
        "python-3.14.0rc2-macos11.pkg",
        "ab" * 32,
        macos_sbom.library_recipes(RECIPES),
        1755000000,
    )
    path = tmp_path / "python-3.14.0rc2-macos11.pkg.spdx.json"
    path.write_text(macos_sbom.dumps(doc), encoding="utf-8")
    return path


def test_sbom_is_valid_spdx_23(tmp_path: Path) -> None:
    path = _write_sbom(tmp_path)
    document = parse_file(str(path))
    assert validate_full_spdx_document(document) == []
    names = {p.name: p.version for p in document.packages}
    assert names == {
        "CPython": "3.14.0rc2",
        "OpenSSL": "3.0.16",
        "Tcl": "8.6.16",
        "XZ": "5.8.1",
        "NCurses": "6.5",
        "libmpdec": "4.0.0",
    }
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["creationInfo"]["created"] == "2025-08-12T12:00:00Z"
    openssl = next(p for p in data["packages"] if p["name"] == "OpenSSL")
    assert openssl["externalRefs"][0]["referenceLocator"] == (
        "cpe:2.3:a:openssl:openssl:3.0.16:*:*:*:*:*:*:*"
    )
    assert openssl["checksums"] == [
        {
            "algorithm": "SHA256",
            "checksumValue": "57e03c50feab5d31b152af2b764f10379aecd8ee92f16c985983ce4a99f7ef86",
        }
    ]
    xz = next(p for p in data["packages"] if p["name"] == "XZ")
    assert xz["checksums"][0]["algorithm"] == "MD5"
    contains = [
        r["relatedSpdxElement"]
        for r in data["relationships"]
        if r["relationshipType"] == "CONTAINS"
    ]
    assert len(contains) == 5


def test_sbom_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _write_sbom(tmp_path / "a")
    b = _write_sbom(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_cli_sbom(tmp_path: Path) -> None:
    script = tmp_path / "cpython" / "Mac" / "BuildScript" / "build-installer.py"
    script.parent.mkdir(parents=True)
    script.write_text(RECIPES, encoding="utf-8")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "python-3.14.0rc2-macos11.pkg").write_bytes(b"xar!")
    assert (
        main(
            [
                "macos",
                "sbom",
                "3.14.0rc2",
                "--source",
                str(tmp_path / "cpython"),
                "--dist",
                str(dist),
                "--created",
                "1755000000",
            ]
        )
        == 0
    )
    sbom = json.loads((dist / "python-3.14.0rc2-macos11.pkg.spdx.json").read_text())
    assert sbom["packages"][0]["checksums"][0]["checksumValue"] == (
        hashlib.sha256(b"xar!").hexdigest()
    )
    assert sbom["documentNamespace"].endswith(hashlib.sha256(b"xar!").hexdigest())
    (dist / "python-3.14.0rc2-macos11.pkg").unlink()
    assert (
        main(
            [
                "macos",
                "sbom",
                "3.14.0rc2",
                "--source",
                str(tmp_path / "cpython"),
                "--dist",
                str(dist),
                "--created",
                "1755000000",
            ]
        )
        == 2
    )
