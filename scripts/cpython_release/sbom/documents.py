"""The SPDX documents: one per source tarball, one per Windows installer or embeddable zip.

The content follows python/release-tools' ``sbom.py`` (see the module docstring of
:mod:`cpython_release.sbom`), with two differences that make the output reproducible: the
``created`` time is the release commit's time, and every list is sorted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from cpython_release.errors import CheckFailed
from cpython_release.sbom.pip import PyPI, add_pip
from cpython_release.sbom.source import EXTERNALS_SBOM, SOURCE_SBOM, SourceScan
from cpython_release.sbom.spdx import (
    CPYTHON_ID,
    DOCUMENT_ID,
    LICENSE_LIST_VERSION,
    PSF,
    SPDX_VERSION,
    Doc,
    file_entry,
    relationship,
    set_verification_codes,
    sha256_of,
)
from cpython_release.version import ReleaseVersion


@dataclass(frozen=True)
class Subject:
    """The artifact an SBOM describes."""

    name: str  # file name as published, e.g. Python-3.13.5.tgz
    sha256: str
    version: ReleaseVersion
    created: str  # the release commit time, 2025-06-11T12:00:00Z
    toolkit_version: str

    @property
    def download_url(self) -> str:
        return f"https://www.python.org/ftp/python/{self.version.xyz}/{self.name}"


@dataclass
class Built:
    doc: Doc
    notes: list[str] = field(default_factory=list)


def _load(scan: SourceScan, name: str) -> Doc:
    try:
        data = json.loads(scan.read(name))
    except ValueError as exc:
        raise CheckFailed(f"{name} is not JSON: {exc}") from None
    except RecursionError:
        raise CheckFailed(f"{name} is not usable: JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("packages", []), list):
        raise CheckFailed(f"{name} is not an SPDX JSON document")
    return data


def _document(
    subject: Subject, packages: list[Any], files: list[Any], relationships: list[Any]
) -> Doc:
    return {
        "SPDXID": DOCUMENT_ID,
        "spdxVersion": SPDX_VERSION,
        "name": "CPython SBOM",
        "dataLicense": "CC0-1.0",
        # Named as the OpenSSF SBOM naming guidance says: where the SBOM is published.
        "documentNamespace": f"{subject.download_url}.spdx.json",
        "creationInfo": {
            "created": subject.created,
            "creators": [
                "Person: Python Release Managers",
                f"Tool: cpython-release-{subject.toolkit_version}",
            ],
            "licenseListVersion": LICENSE_LIST_VERSION,
        },
        "packages": list(packages),
        "files": list(files),
        "relationships": list(relationships),
    }


def _add_cpython(doc: Doc, subject: Subject) -> None:
    """The CPython package; it DEPENDS_ON every package listed so far."""
    version = str(subject.version)
    for package in doc["packages"]:
        doc["relationships"].append(relationship(CPYTHON_ID, "DEPENDS_ON", package["SPDXID"]))
    doc["packages"].append(
        {
            "SPDXID": CPYTHON_ID,
            "name": "CPython",
            "versionInfo": version,
            "licenseConcluded": "PSF-2.0",
            "originator": PSF,
            "supplier": PSF,
            "packageFileName": PurePosixPath(subject.name).name,
            "externalRefs": [
                {
                    "referenceCategory": "SECURITY",
                    "referenceLocator": f"cpe:2.3:a:python:python:{version}:*:*:*:*:*:*:*",
                    "referenceType": "cpe23Type",
                }
            ],
            "primaryPackagePurpose": "SOURCE",
            "downloadLocation": subject.download_url,
            "checksums": [{"algorithm": "SHA256", "checksumValue": subject.sha256}],
        }
    )


def source_tarball_sbom(subject: Subject, scan: SourceScan, pypi: PyPI | None) -> Built:
    """CPython's ``Misc/sbom.spdx.json``, plus pip, plus every other file of the tarball."""
    if scan.problems:
        raise CheckFailed(f"{subject.name} has entries an SBOM cannot describe", scan.problems)
    source = _load(scan, SOURCE_SBOM)
    doc = _document(
        subject,
        source.get("packages", []),
        source.get("files", []),
        source.get("relationships", []),
    )
    _add_cpython(doc, subject)
    # pip comes after CPython's DEPENDS_ON edges: CPython depends on pip, not on its vendored
    # packages.
    notes = add_pip(doc, *scan.pip_wheel(), pypi)

    known: dict[str, str] = {}
    problems = []
    for f in doc["files"]:
        sha = sha256_of(f)
        if sha is None:
            problems.append(f"{SOURCE_SBOM}: {f.get('fileName')} has no SHA256")
        else:
            known[f["fileName"]] = sha
    for rel, hashes in sorted(scan.files.items()):
        if rel in known:
            expected = known.pop(rel)
            if expected != hashes.sha256:
                problems.append(f"{rel}: sha256 {hashes.sha256}, {SOURCE_SBOM} says {expected}")
            continue
        entry = file_entry(rel, hashes.sha1, hashes.sha256)
        doc["files"].append(entry)
        doc["relationships"].append(relationship(CPYTHON_ID, "CONTAINS", entry["SPDXID"]))
    problems += [
        f"{name}: listed in {SOURCE_SBOM} but not in the tarball" for name in sorted(known)
    ]
    if problems:
        raise CheckFailed(f"{subject.name} does not match its {SOURCE_SBOM}", problems)
    doc["relationships"].append(relationship(DOCUMENT_ID, "DESCRIBES", CPYTHON_ID))
    for package in doc["packages"]:
        package["supplier"] = PSF  # shipped inside the tarball; originator names the authors
        package["filesAnalyzed"] = True
    set_verification_codes(doc)
    return Built(doc, notes)


def windows_sbom(subject: Subject, scan: SourceScan, pypi: PyPI | None) -> Built:
    """``Misc/externals.spdx.json`` and the source SBOM's packages (compiled in, so LIBRARY),
    and pip for the installers (the embeddable zips have no ensurepip)."""
    externals = _load(scan, EXTERNALS_SBOM)
    source = _load(scan, SOURCE_SBOM)
    notes: list[str] = []
    packages = {p["SPDXID"]: p for p in externals.get("packages", [])}
    for p in source.get("packages", []):
        if p["SPDXID"] in packages:
            # The Windows build uses the external copy (e.g. mpdecimal); one ID, one package.
            notes.append(
                f"{p['SPDXID']}: {EXTERNALS_SBOM} version "
                f"{packages[p['SPDXID']].get('versionInfo')} kept, {SOURCE_SBOM} "
                f"version {p.get('versionInfo')} dropped"
            )
            continue
        packages[p["SPDXID"]] = p
    doc = _document(subject, list(packages.values()), [], [])
    _add_cpython(doc, subject)
    if subject.name.endswith(".exe"):
        notes += add_pip(doc, *scan.pip_wheel(), pypi)
    doc["relationships"].append(relationship(DOCUMENT_ID, "DESCRIBES", CPYTHON_ID))
    for package in doc["packages"]:
        package["supplier"] = PSF
        package["filesAnalyzed"] = False  # no files of the binaries are listed
        package.pop("packageVerificationCode", None)
        if package.get("primaryPackagePurpose") == "SOURCE":
            package["primaryPackagePurpose"] = "LIBRARY"
    return Built(doc, notes)
