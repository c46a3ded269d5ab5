"""The bundled pip wheel and the packages it vendors, as SPDX packages.

Everything needed comes from the wheel itself: pip's version (file name), its SHA-256, its
PyPI download URL (PyPI stores a file under the BLAKE2b-256 of its bytes), and the vendored
projects (``pip/_vendor/vendor.txt``). Asking PyPI is optional: with a :class:`PyPI` client
the wheel's hash is compared with PyPI's and the vendored projects get their download URL and
hash; without one the vendored projects say ``NOASSERTION`` and a note says the check was
skipped.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Protocol

from cpython_release.errors import CheckFailed
from cpython_release.sbom.spdx import CPYTHON_ID, PIP_ID, Doc, relationship, spdx_id

PYPI_FILES = "https://files.pythonhosted.org/packages"
_PIN = re.compile(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.+!-]*)")
_WHEEL = re.compile(r"pip-([0-9][^-]*)-[^-]+-[^-]+-[^-]+\.whl")


class PyPI(Protocol):
    """The two facts the SBOM wants from PyPI."""

    def file(self, project: str, version: str, filename: str | None) -> tuple[str, str]:
        """(download URL, sha256) of ``filename``, or of the release's wheel if ``None``."""
        ...


@dataclass
class PyPIJson:
    """PyPI's JSON API (``/pypi/<project>/<version>/json``) through the retrying session."""

    base_url: str = "https://pypi.org"
    timeout: float = 30.0
    _cache: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _session: Any = None

    def _release(self, project: str, version: str) -> dict[str, Any]:
        from cpython_release.http import session

        key = (project, version)
        if key not in self._cache:
            url = f"{self.base_url.rstrip('/')}/pypi/{project}/{version}/json"
            if self._session is None:
                self._session = session()
            try:
                resp = self._session.get(url, timeout=self.timeout)
                resp.raise_for_status()
                data = resp.json()
            except Exception as exc:
                from cpython_release.http import is_unreachable, unreachable

                if is_unreachable(exc):
                    raise unreachable(f"PyPI at {url}", exc) from None
                raise CheckFailed(
                    f"PyPI has no metadata for {project} {version}", [f"{url}: {exc}"]
                ) from None
            if not isinstance(data, dict):
                raise CheckFailed(f"PyPI metadata for {project} {version} is not an object")
            self._cache[key] = data
        return self._cache[key]

    def file(self, project: str, version: str, filename: str | None) -> tuple[str, str]:
        for u in self._release(project, version).get("urls", []):
            if (filename is None and u.get("packagetype") == "bdist_wheel") or (
                filename is not None and u.get("filename") == filename
            ):
                return str(u["url"]), str(u["digests"]["sha256"])
        raise CheckFailed(f"PyPI lists no {filename or 'wheel'} for {project} {version}")


def pypi_url(filename: str, data: bytes) -> str:
    """Where PyPI serves a file with these bytes (its path is the file's BLAKE2b-256)."""
    h = hashlib.blake2b(data, digest_size=32).hexdigest()
    return f"{PYPI_FILES}/{h[:2]}/{h[2:4]}/{h[4:]}/{filename}"


def vendored(wheel: bytes) -> list[tuple[str, str]]:
    """(project, version) pins of ``pip/_vendor/vendor.txt``, names lower-cased."""
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as whl:
            text = whl.read("pip/_vendor/vendor.txt").decode("utf-8")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise CheckFailed(
            "the bundled pip wheel has no readable pip/_vendor/vendor.txt", [str(exc)]
        ) from None
    pins = []
    bad = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.partition("#")[0].strip()
        if not line:
            continue
        match = _PIN.fullmatch(line)
        if match is None:
            bad.append(f"vendor.txt line {number}: {raw!r} is not NAME==VERSION")
            continue
        pins.append((match.group(1).lower(), match.group(2)))
    if bad:
        raise CheckFailed("cannot read pip's vendored packages", bad)
    return sorted(pins)


def remove_pip(doc: Doc) -> None:
    """Drop pip and what it depends on, if the source SBOM already lists them."""
    gone = {PIP_ID} | {
        r["relatedSpdxElement"]
        for r in doc["relationships"]
        if r["relationshipType"] == "DEPENDS_ON" and r["spdxElementId"] == PIP_ID
    }
    doc["packages"] = [p for p in doc["packages"] if p["SPDXID"] not in gone]
    doc["relationships"] = [
        r
        for r in doc["relationships"]
        if r["relatedSpdxElement"] not in gone and r["spdxElementId"] not in gone
    ]


def add_pip(doc: Doc, filename: str, wheel: bytes, pypi: PyPI | None) -> list[str]:
    """Add pip, its vendored packages and the DEPENDS_ON edges; returns notes to report."""
    match = _WHEEL.fullmatch(filename)
    if match is None:
        raise CheckFailed(f"{filename} is not a pip wheel file name")
    version = match.group(1)
    sha256 = hashlib.sha256(wheel).hexdigest()
    url = pypi_url(filename, wheel)
    notes = []
    remove_pip(doc)
    if pypi is not None:
        pypi_url_, pypi_sha = pypi.file("pip", version, filename)
        if pypi_sha != sha256:
            raise CheckFailed(
                f"the bundled {filename} is not the file PyPI serves",
                [f"bundled sha256 {sha256}", f"PyPI sha256 {pypi_sha}"],
            )
        url = pypi_url_
        notes.append(f"PyPI check: {filename} matches PyPI")
    else:
        notes.append(
            f"PyPI check skipped: {filename} was not compared with PyPI, and "
            "pip's vendored packages carry no download location or hash"
        )
    deps = []
    for project, pin in vendored(wheel):
        ident = spdx_id(f"SPDXRef-PACKAGE-{project}")
        deps.append(ident)
        package: dict[str, Any] = {
            "SPDXID": ident,
            "name": project,
            "versionInfo": pin,
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE_MANAGER",
                    "referenceLocator": f"pkg:pypi/{project}@{pin}",
                    "referenceType": "purl",
                }
            ],
            "primaryPackagePurpose": "SOURCE",
            "licenseConcluded": "NOASSERTION",
        }
        if pypi is not None:
            dep_url, dep_sha = pypi.file(project, pin, None)
            package["downloadLocation"] = dep_url
            package["checksums"] = [{"algorithm": "SHA256", "checksumValue": dep_sha}]
        doc["packages"].append(package)
    doc["packages"].append(
        {
            "SPDXID": PIP_ID,
            "name": "pip",
            "versionInfo": version,
            "originator": "Organization: Python Packaging Authority",
            "licenseConcluded": "NOASSERTION",
            "downloadLocation": url,
            "packageFileName": filename,
            "checksums": [{"algorithm": "SHA256", "checksumValue": sha256}],
            "externalRefs": [
                {
                    "referenceCategory": "SECURITY",
                    "referenceLocator": f"cpe:2.3:a:pypa:pip:{version}:*:*:*:*:*:*:*",
                    "referenceType": "cpe23Type",
                },
                {
                    "referenceCategory": "PACKAGE_MANAGER",
                    "referenceLocator": f"pkg:pypi/pip@{version}",
                    "referenceType": "purl",
                },
            ],
            "primaryPackagePurpose": "SOURCE",
        }
    )
    doc["relationships"].extend(relationship(PIP_ID, "DEPENDS_ON", d) for d in deps)
    doc["relationships"].append(relationship(CPYTHON_ID, "DEPENDS_ON", PIP_ID))
    return notes
