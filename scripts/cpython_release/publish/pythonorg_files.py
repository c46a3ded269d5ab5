"""The ReleaseFile records python.org should hold for a release, computed from the manifest.

The rules are today's ``add_to_pydotorg.py`` (python/release-tools), so the download pages
look exactly as they do now:

- only files directly in ``ftp/python/XYZ/`` become records (docs archives and MSI parts do
  not), their name must start with ``python-V-``/``python-V.`` or ``windows-V-``/``windows-V.``,
  and companions (``.asc .sig .crt .sigstore .spdx.json``) are never records of their own;
- the first matching rule of :data:`_RULES` gives the record's name, OS, download button and
  description; a file no rule matches (PyManager zips, the test zips) gets no record;
- the slug is ``<version without dots, "-" before a pre-release suffix>-<name>``, the name
  with spaces turned into ``-``, other characters dropped, cut to 40 characters;
- companion URLs are the file URL plus the companion's suffix, set only when the manifest
  lists that companion (python.org rejects any other value with 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cpython_release.errors import CheckFailed
from cpython_release.manifest import Artifact, Manifest
from cpython_release.version import ReleaseVersion

PYTHON_ORG = "https://www.python.org/"

# ReleaseFile field -> the companion suffix python.org requires for it
# (pythondotorg apps/downloads/models.py RELEASE_FILE_SIDECAR_SUFFIXES).
COMPANION_FIELDS: dict[str, str] = {
    "gpg_signature_file": ".asc",
    "sigstore_signature_file": ".sig",
    "sigstore_cert_file": ".crt",
    "sigstore_bundle_file": ".sigstore",
    "sbom_spdx2_file": ".spdx.json",
}
COMPANION_SUFFIXES = tuple(COMPANION_FIELDS.values())

# The OS slugs python.org has (GET downloads/os/?slug=...).
OS_SLUGS = ("source", "windows", "macos", "android", "ios")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    name: str
    os: str
    download_button: bool
    description: Callable[[ReleaseVersion], str]


def _text(value: str) -> Callable[[ReleaseVersion], str]:
    return lambda _v: value


def _macos_description(v: ReleaseVersion) -> str:
    return "for macOS 10.15 and later" if v.at_least(3, 14) else "for macOS 10.13 and later"


def _pymanager_description(v: ReleaseVersion) -> str:
    return f"Install with 'py install {v.minor_version}'"


# In add_to_pydotorg.py's order: the first rule whose pattern is found wins.
_RULES: tuple[Rule, ...] = (
    Rule(re.compile(r"\.tgz$"), "Gzipped source tarball", "source", False, _text("")),
    Rule(re.compile(r"\.tar\.xz$"), "XZ compressed source tarball", "source", True, _text("")),
    Rule(
        re.compile(r"windows-.+\.json"),
        "Windows release manifest",
        "windows",
        False,
        _pymanager_description,
    ),
    Rule(
        re.compile(r"-embed-amd64\.zip$"),
        "Windows embeddable package (64-bit)",
        "windows",
        False,
        _text(""),
    ),
    Rule(
        re.compile(r"-embed-arm64\.zip$"),
        "Windows embeddable package (ARM64)",
        "windows",
        False,
        _text(""),
    ),
    Rule(
        re.compile(r"-arm64\.exe$"),
        "Windows installer (ARM64)",
        "windows",
        False,
        _text("Experimental"),
    ),
    Rule(
        re.compile(r"-amd64\.exe$"),
        "Windows installer (64-bit)",
        "windows",
        True,
        _text("Recommended"),
    ),
    Rule(
        re.compile(r"-embed-win32\.zip$"),
        "Windows embeddable package (32-bit)",
        "windows",
        False,
        _text(""),
    ),
    Rule(re.compile(r"\.exe$"), "Windows installer (32-bit)", "windows", False, _text("")),
    Rule(
        re.compile(r"-macos(x)?1[1-9](\.[0-9]*)?\.pkg$"),
        "macOS installer",
        "macos",
        True,
        _macos_description,
    ),
    Rule(
        re.compile(r"-aarch64-linux-android\.tar\.gz$"),
        "Android embeddable package (aarch64)",
        "android",
        False,
        _text(""),
    ),
    Rule(
        re.compile(r"-x86_64-linux-android\.tar\.gz$"),
        "Android embeddable package (x86_64)",
        "android",
        False,
        _text(""),
    ),
    Rule(re.compile(r"-iOS-XCframework\.tar\.gz$"), "iOS XCframework", "ios", False, _text("")),
)


@dataclass(frozen=True)
class Classification:
    name: str
    os: str
    download_button: bool
    description: str


def classify_file(version: ReleaseVersion, filename: str) -> Classification | None:
    """How python.org lists ``filename`` (a bare name in ``XYZ/``), or None for no record."""
    if "/" in filename or filename.endswith(COMPANION_SUFFIXES):
        return None
    prefix, _, rest = filename.partition("-")
    if prefix.lower() not in ("python", "windows"):
        return None
    if not rest.startswith((f"{version}-", f"{version}.")):
        return None
    for rule in _RULES:
        if rule.pattern.search(filename):
            return Classification(
                rule.name, rule.os, rule.download_button, rule.description(version)
            )
    return None


def version_slug(version: ReleaseVersion) -> str:
    """``3140-rc2`` for 3.14.0rc2, ``31215`` for 3.12.15 (add_to_pydotorg ``slug_for``)."""
    base = version.xyz.replace(".", "")
    return f"{base}-{version.pre}" if version.pre else base


def make_slug(text: str) -> str:
    """Spaces become ``-``; anything but ``[a-zA-Z0-9_-]`` is dropped."""
    return re.sub(r"[^a-zA-Z0-9_-]", "", text.replace(" ", "-"))


def file_slug(version: ReleaseVersion, name: str) -> str:
    return f"{version_slug(version)}-{make_slug(name)[:40]}"


def release_name(version: ReleaseVersion) -> str:
    """The Release's name: ``Python 3.14.0rc2``. add_to_pydotorg finds the release by it."""
    return f"Python {version}"


def release_slug(version: ReleaseVersion) -> str:
    """``python-3140rc2``: the release page is ``/downloads/release/python-3140rc2/``."""
    return "python-" + str(version).replace(".", "")


def release_page_url(version: ReleaseVersion, base_url: str = PYTHON_ORG) -> str:
    return f"{base_url}downloads/release/{release_slug(version)}/"


@dataclass(frozen=True)
class DesiredFile:
    """One ReleaseFile as python.org should hold it (``os`` is the OS slug)."""

    filename: str  # the artifact's name in the manifest
    name: str
    slug: str
    os: str
    description: str
    is_source: bool
    url: str
    sha256_sum: str
    filesize: int
    download_button: bool
    gpg_signature_file: str = ""
    sigstore_signature_file: str = ""
    sigstore_cert_file: str = ""
    sigstore_bundle_file: str = ""
    sbom_spdx2_file: str = ""

    def payload(self, release_uri: str, os_uri: str) -> dict[str, Any]:
        """The JSON body of ``POST downloads/release_file/``."""
        return {
            "name": self.name,
            "slug": self.slug,
            "os": os_uri,
            "release": release_uri,
            "description": self.description,
            "is_source": self.is_source,
            "url": self.url,
            "sha256_sum": self.sha256_sum,
            "filesize": self.filesize,
            "download_button": self.download_button,
            "gpg_signature_file": self.gpg_signature_file,
            "sigstore_signature_file": self.sigstore_signature_file,
            "sigstore_cert_file": self.sigstore_cert_file,
            "sigstore_bundle_file": self.sigstore_bundle_file,
            "sbom_spdx2_file": self.sbom_spdx2_file,
        }


def _desired(
    art: Artifact, version: ReleaseVersion, cls: Classification, base_url: str
) -> DesiredFile:
    url = f"{base_url}ftp/python/{version.xyz}/{art.name}"
    companions: dict[str, str] = {}
    names = {c.name for c in art.companion_files()}
    for field_name, suffix in COMPANION_FIELDS.items():
        if art.name + suffix in names:
            companions[field_name] = url + suffix
    return DesiredFile(
        filename=art.name,
        name=cls.name,
        slug=file_slug(version, cls.name),
        os=cls.os,
        description=cls.description,
        is_source=cls.os == "source",
        url=url,
        sha256_sum=art.sha256,
        filesize=art.size,
        download_button=cls.download_button,
        **companions,
    )


def desired_release_files(
    manifest: Manifest, version: ReleaseVersion, *, base_url: str = PYTHON_ORG
) -> list[DesiredFile]:
    """Every ReleaseFile the release should have, sorted by slug.

    Raises :class:`CheckFailed` when two files would get the same slug or URL, or when one
    OS would get two download buttons: python.org answers those with a 500.
    """
    if manifest.release.version != str(version):
        raise CheckFailed(f"the manifest is for {manifest.release.version}, not for {version}")
    if not base_url.endswith("/"):
        base_url += "/"
    out: list[DesiredFile] = []
    for art in sorted(manifest.artifacts, key=lambda a: a.name):
        cls = classify_file(version, art.name)
        if cls is not None:
            out.append(_desired(art, version, cls, base_url))
    problems: list[str] = []
    for attr in ("slug", "url"):
        seen: dict[str, str] = {}
        for d in out:
            key = getattr(d, attr)
            if key in seen:
                problems.append(f"{d.filename} and {seen[key]} would both get the {attr} {key}")
            seen[key] = d.filename
    buttons: dict[str, str] = {}
    for d in out:
        if d.download_button:
            if d.os in buttons:
                problems.append(
                    f"{d.filename} and {buttons[d.os]} would both get the {d.os} download button"
                )
            buttons[d.os] = d.filename
    if problems:
        raise CheckFailed("the manifest cannot be listed on python.org", problems)
    return sorted(out, key=lambda d: d.slug)
