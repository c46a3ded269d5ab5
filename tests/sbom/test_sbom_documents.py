"""SBOM content, validity (spdx-tools) and reproducibility."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.integrity import check_directory
from cpython_release.manifest import Manifest
from cpython_release.sbom import write_sboms
from cpython_release.sbom.pip import pypi_url
from cpython_release.sbom.spdx import normalize, set_verification_codes
from sbom.sbom_support import (
    PIP_WHEEL,
    VENDORED,
    VERSION,
    FakePyPI,
    SbomRelease,
    make_sbom_release,
    make_wheel,
    source_tree_files,
    spdx_problems,
    write_tarball,
)

PYSPDXTOOLS = str(Path(sys.executable).parent / "pyspdxtools")
TGZ = f"Python-{VERSION}.tgz"
EXE = f"python-{VERSION}-amd64.exe"
EMBED = f"python-{VERSION}-embed-amd64.zip"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _rels(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in doc["relationships"]
    }


def _pkg(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in doc["packages"] if p["name"] == name)
    return found


def test_source_tarball_sbom(sbom_release: SbomRelease) -> None:
    notes: list[str] = []
    updated = write_sboms(sbom_release.directory, sbom_release.manifest, log=notes.append)
    path = sbom_release.directory / (TGZ + ".spdx.json")
    assert updated.artifact(TGZ).sbom is not None
    assert updated.artifact(TGZ).sbom.name == path.name  # type: ignore[union-attr]
    assert spdx_problems(path) == []
    doc = _load(path)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0"
    assert doc["documentNamespace"] == f"https://www.python.org/ftp/python/3.13.5/{TGZ}.spdx.json"
    assert doc["creationInfo"]["created"] == "2025-06-11T12:00:00Z"  # the commit time
    assert "Tool: cpython-release-0.1.0" in doc["creationInfo"]["creators"]

    cpython = _pkg(doc, "CPython")
    tgz_sha = hashlib.sha256((sbom_release.directory / TGZ).read_bytes()).hexdigest()
    assert cpython["checksums"] == [{"algorithm": "SHA256", "checksumValue": tgz_sha}]
    assert cpython["downloadLocation"] == f"https://www.python.org/ftp/python/3.13.5/{TGZ}"
    assert cpython["packageFileName"] == TGZ

    # Every file of the tarball is in the SBOM once, with its real hashes.
    files = source_tree_files()
    by_name = {f["fileName"]: f for f in doc["files"]}
    assert sorted(by_name) == sorted(files)
    for name, data in files.items():
        sums = {c["algorithm"]: c["checksumValue"] for c in by_name[name]["checksums"]}
        assert sums == {
            "SHA1": hashlib.sha1(data).hexdigest(),  # noqa: S324
            "SHA256": hashlib.sha256(data).hexdigest(),
        }
    rels = _rels(doc)
    # Files from Misc/sbom.spdx.json stay with their package; the rest belong to CPython.
    expat_file = by_name["Modules/expat/COPYING"]["SPDXID"]
    assert ("SPDXRef-PACKAGE-expat", "CONTAINS", expat_file) in rels
    assert ("SPDXRef-PACKAGE-cpython", "CONTAINS", expat_file) not in rels
    assert ("SPDXRef-PACKAGE-cpython", "CONTAINS", "SPDXRef-FILE-Lib-os.py") in rels
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-PACKAGE-cpython") in rels
    for dep in ("expat", "mpdecimal", "pip"):
        assert ("SPDXRef-PACKAGE-cpython", "DEPENDS_ON", f"SPDXRef-PACKAGE-{dep}") in rels
    for vendored, version in VENDORED.items():
        ident = f"SPDXRef-PACKAGE-{vendored.lower()}"
        assert ("SPDXRef-PACKAGE-pip", "DEPENDS_ON", ident) in rels
        assert ("SPDXRef-PACKAGE-cpython", "DEPENDS_ON", ident) not in rels
        pkg = _pkg(doc, vendored.lower())
        assert pkg["versionInfo"] == version and pkg["downloadLocation"] == "NOASSERTION"
    pip = _pkg(doc, "pip")
    wheel = files[f"Lib/ensurepip/_bundled/{PIP_WHEEL}"]
    assert pip["versionInfo"] == "24.0"
    assert pip["checksums"][0]["checksumValue"] == hashlib.sha256(wheel).hexdigest()
    blake = hashlib.blake2b(wheel, digest_size=32).hexdigest()
    assert pip["downloadLocation"] == (
        f"https://files.pythonhosted.org/packages/{blake[:2]}/{blake[2:4]}/{blake[4:]}/{PIP_WHEEL}"
    )
    for p in doc["packages"]:
        assert p["supplier"] == "Organization: Python Software Foundation"
        assert p["filesAnalyzed"] is True
    # Verification code of CPython, computed independently.
    own = sorted(
        by_name[n]["checksums"][0]["checksumValue"].encode()
        for n in files
        if not n.startswith("Modules/")
    )
    code = hashlib.sha1(b"".join(own)).hexdigest()  # noqa: S324 (SPDX 2.3 defines it as SHA-1)
    assert cpython["packageVerificationCode"]["packageVerificationCodeValue"] == code
    assert any("PyPI check skipped" in n for n in notes)


def test_pypi_known_digest_layout() -> None:
    # The URL python/release-tools' tests show for pip 24.0 (blake2b 8a6a19e9...).
    url = pypi_url("pip-24.0-py3-none-any.whl", b"")
    assert url.startswith("https://files.pythonhosted.org/packages/")
    assert url.endswith("/pip-24.0-py3-none-any.whl")
    h = hashlib.blake2b(b"", digest_size=32).hexdigest()
    assert f"/{h[:2]}/{h[2:4]}/{h[4:]}/" in url


def test_windows_sboms(sbom_release: SbomRelease) -> None:
    notes: list[str] = []
    write_sboms(sbom_release.directory, sbom_release.manifest, log=notes.append)
    exe = _load(sbom_release.directory / (EXE + ".spdx.json"))
    embed = _load(sbom_release.directory / (EMBED + ".spdx.json"))
    for name in (EXE, EMBED):
        assert spdx_problems(sbom_release.directory / (name + ".spdx.json")) == []
    names = {p["name"] for p in exe["packages"]}
    assert {"bzip2", "openssl", "mpdecimal", "expat", "pip", "urllib3", "CPython"} <= names
    assert "pip" not in {p["name"] for p in embed["packages"]}  # no ensurepip in embed zips
    assert exe["files"] == [] and embed["files"] == []
    # mpdecimal is in both inputs: one package, the externals' version.
    mpdec = [p for p in exe["packages"] if p["SPDXID"] == "SPDXRef-PACKAGE-mpdecimal"]
    assert [p["versionInfo"] for p in mpdec] == ["4.0.0"]
    assert any("SPDXRef-PACKAGE-mpdecimal" in n and "dropped" in n for n in notes)
    assert _pkg(exe, "openssl")["primaryPackagePurpose"] == "LIBRARY"
    assert ("SPDXRef-PACKAGE-cpython", "DEPENDS_ON", "SPDXRef-PACKAGE-openssl") in _rels(exe)
    exe_sha = hashlib.sha256((sbom_release.directory / EXE).read_bytes()).hexdigest()
    assert _pkg(exe, "CPython")["checksums"][0]["checksumValue"] == exe_sha
    # The macOS installer gets none (as on python.org).
    assert not (sbom_release.directory / f"python-{VERSION}-macos11.pkg.spdx.json").exists()


def test_windows_sbom_same_from_tree_or_tarball(sbom_release: SbomRelease, tmp_path: Path) -> None:
    d = sbom_release.directory
    write_sboms(d, sbom_release.manifest, sbom_release.tree)
    from_tree = (d / (EXE + ".spdx.json")).read_bytes()
    write_sboms(d, sbom_release.manifest, d / f"Python-{VERSION}.tar.xz")
    assert (d / (EXE + ".spdx.json")).read_bytes() == from_tree


def test_reproducible_bytes(tmp_path: Path) -> None:
    one = make_sbom_release(tmp_path / "one")
    two = make_sbom_release(tmp_path / "two", source_tree_files(reverse=True))
    write_sboms(one.directory, one.manifest)
    write_sboms(two.directory, two.manifest)
    for name in (TGZ, EXE, EMBED):
        a = (one.directory / (name + ".spdx.json")).read_bytes()
        b = (two.directory / (name + ".spdx.json")).read_bytes()
        if name == TGZ:  # Misc/sbom.spdx.json differs in order, so the tarball's hash does
            a = a.replace(_sha(one, name).encode(), b"X")
            b = b.replace(_sha(two, name).encode(), b"X")
            a_doc, b_doc = json.loads(a), json.loads(b)
            for doc in (a_doc, b_doc):
                for f in doc["files"]:
                    if f["fileName"] == "Misc/sbom.spdx.json":
                        f["checksums"] = []
                for p in doc["packages"]:
                    p.pop("packageVerificationCode", None)
            assert a_doc == b_doc
        else:
            assert a == b
    # Same input, same bytes, and lists are sorted.
    before = (one.directory / (TGZ + ".spdx.json")).read_bytes()
    write_sboms(one.directory, one.manifest)
    assert (one.directory / (TGZ + ".spdx.json")).read_bytes() == before
    doc = json.loads(before)
    assert doc == normalize(doc)
    assert [f["fileName"] for f in doc["files"]] != []


def _sha(release: SbomRelease, name: str) -> str:
    return release.manifest.artifact(name).sha256


def test_tarball_that_differs_from_its_sbom_is_refused(tmp_path: Path) -> None:
    files = source_tree_files()
    files["Modules/expat/xmlparse.c"] = b"/* patched */\n"  # hash no longer matches
    del files["Modules/expat/COPYING"]  # listed in Misc/sbom.spdx.json, but gone
    release = make_sbom_release(tmp_path, files)
    with pytest.raises(CheckFailed, match=r"does not match its Misc/sbom\.spdx\.json") as err:
        write_sboms(release.directory, release.manifest)
    problems = err.value.problems
    assert any(p.startswith("Modules/expat/xmlparse.c: sha256 ") for p in problems)
    assert "Modules/expat/COPYING: listed in Misc/sbom.spdx.json but not in the tarball" in problems
    assert len(problems) == 2


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    files = source_tree_files()
    del files[f"Lib/ensurepip/_bundled/{PIP_WHEEL}"]
    release = make_sbom_release(tmp_path / "nopip", files)
    with pytest.raises(CheckFailed, match="no pip wheel in Lib/ensurepip/_bundled/"):
        write_sboms(release.directory, release.manifest)

    files = source_tree_files()
    files[f"Lib/ensurepip/_bundled/{PIP_WHEEL}"] = make_wheel("requests>=2\n")
    release = make_sbom_release(tmp_path / "badpin", files)
    with pytest.raises(CheckFailed, match="cannot read pip's vendored") as err:
        write_sboms(release.directory, release.manifest)
    assert err.value.problems == ["vendor.txt line 1: 'requests>=2' is not NAME==VERSION"]

    release = make_sbom_release(tmp_path / "fifo")
    fifo = tarfile.TarInfo(f"Python-{VERSION}/Lib/pipe")
    fifo.type = tarfile.FIFOTYPE
    write_tarball(release.directory / TGZ, source_tree_files(), extra=[fifo])
    changed = release.manifest.updated(
        release.manifest.artifact(TGZ).__class__(
            **{
                **release.manifest.artifact(TGZ).__dict__,
                "size": (release.directory / TGZ).stat().st_size,
                "sha256": hashlib.sha256((release.directory / TGZ).read_bytes()).hexdigest(),
            }
        )
    )
    with pytest.raises(CheckFailed, match="entries an SBOM cannot describe") as err:
        write_sboms(release.directory, changed)
    assert err.value.problems == ["Lib/pipe: not a regular file"]


def test_artifact_must_match_the_manifest(sbom_release: SbomRelease) -> None:
    (sbom_release.directory / EXE).write_bytes(b"MZ other")
    with pytest.raises(CheckFailed, match=f"{EXE} is not the file the manifest lists"):
        write_sboms(sbom_release.directory, sbom_release.manifest)


def test_windows_needs_a_source(sbom_release: SbomRelease) -> None:
    for name in (TGZ, f"Python-{VERSION}.tar.xz"):
        (sbom_release.directory / name).unlink()
    with pytest.raises(BadInput, match="Windows SBOMs need --source"):
        write_sboms(sbom_release.directory, sbom_release.manifest)


def test_with_pypi(sbom_release: SbomRelease) -> None:
    wheel = source_tree_files()[f"Lib/ensurepip/_bundled/{PIP_WHEEL}"]
    table: dict[tuple[str, str, str | None], tuple[str, str]] = {
        ("pip", "24.0", PIP_WHEEL): (
            "https://files.example/pip.whl",
            hashlib.sha256(wheel).hexdigest(),
        )
    }
    for name, version in VENDORED.items():
        table[(name.lower(), version, None)] = (
            f"https://files.example/{name}.whl",
            hashlib.sha256(name.encode()).hexdigest(),
        )
    notes: list[str] = []
    write_sboms(
        sbom_release.directory, sbom_release.manifest, pypi=FakePyPI(table), log=notes.append
    )
    doc = _load(sbom_release.directory / (TGZ + ".spdx.json"))
    assert _pkg(doc, "pip")["downloadLocation"] == "https://files.example/pip.whl"
    idna = _pkg(doc, "idna")
    assert idna["downloadLocation"] == "https://files.example/idna.whl"
    assert idna["checksums"][0]["checksumValue"] == hashlib.sha256(b"idna").hexdigest()
    assert any("matches PyPI" in n for n in notes)
    assert not any("skipped" in n for n in notes)

    table[("pip", "24.0", PIP_WHEEL)] = ("https://files.example/pip.whl", "0" * 64)
    with pytest.raises(CheckFailed, match="is not the file PyPI serves"):
        write_sboms(sbom_release.directory, sbom_release.manifest, pypi=FakePyPI(table))


def test_manifest_records_sboms_and_still_checks(sbom_release: SbomRelease) -> None:
    updated = write_sboms(sbom_release.directory, sbom_release.manifest, log=lambda _m: None)
    Manifest.from_dict(updated.to_dict())  # schema-valid
    with_sbom = sorted(a.name for a in updated.artifacts if a.sbom)
    assert with_sbom == sorted([TGZ, f"Python-{VERSION}.tar.xz", EXE, EMBED])
    report = check_directory(updated, sbom_release.directory)
    assert report.ok(), report.problems()


def test_pyspdxtools_cli_accepts_and_rejects(sbom_release: SbomRelease, tmp_path: Path) -> None:
    write_sboms(sbom_release.directory, sbom_release.manifest, log=lambda _m: None)
    good = sbom_release.directory / (EMBED + ".spdx.json")
    ok = subprocess.run([PYSPDXTOOLS, "-i", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    doc = _load(good)
    doc["relationships"].append(
        {
            "spdxElementId": "SPDXRef-PACKAGE-cpython",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-PACKAGE-nothing",
        }
    )
    bad = tmp_path / "bad.spdx.json"
    bad.write_text(json.dumps(doc))
    no = subprocess.run([PYSPDXTOOLS, "-i", str(bad)], capture_output=True, text=True)
    assert no.returncode != 0 and "SPDXRef-PACKAGE-nothing" in no.stderr


def test_verification_code_values() -> None:
    doc: dict[str, Any] = {
        "packages": [
            {"SPDXID": "P", "filesAnalyzed": True},
            {"SPDXID": "Q", "filesAnalyzed": False},
        ],
        "files": [
            {"SPDXID": f"F{i}", "checksums": [{"algorithm": "SHA1", "checksumValue": v}]}
            for i, v in enumerate(["F" * 40, "0" * 40, "e" * 40])
        ],
        "relationships": [
            {"spdxElementId": "P", "relationshipType": "CONTAINS", "relatedSpdxElement": f"F{i}"}
            for i in range(3)
        ],
    }
    set_verification_codes(doc)
    expected = hashlib.sha1(b"0" * 40 + b"e" * 40 + b"f" * 40).hexdigest()  # noqa: S324
    assert doc["packages"][0]["packageVerificationCode"] == {
        "packageVerificationCodeValue": expected
    }
    assert "packageVerificationCode" not in doc["packages"][1]


def test_normalize_sorts_inner_lists_first() -> None:
    data = {"a": [3, {"b": [2, 1]}, 1], "c": [[2, "b"], [1, "a"]]}
    # Items sort by their canonical JSON: '"a"' < '1', and [..] lists after sorting inside.
    assert normalize(data) == {"a": [1, 3, {"b": [1, 2]}], "c": [["a", 1], ["b", 2]]}
