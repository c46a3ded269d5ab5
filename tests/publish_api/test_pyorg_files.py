"""The desired ReleaseFile set: add_to_pydotorg.py's classification, slugs and companions."""

from __future__ import annotations

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.inventory import Gates
from cpython_release.manifest import Artifact
from cpython_release.publish.pythonorg_files import (
    Classification,
    classify_file,
    desired_release_files,
    file_slug,
    make_slug,
    release_name,
    release_slug,
    version_slug,
)
from cpython_release.version import ReleaseVersion
from publish_api.pyorg_support import ALL_GATES, make_manifest

V314 = ReleaseVersion.parse("3.14.0rc2")
V313 = ReleaseVersion.parse("3.13.5")

# (file, record name, OS, download button, description), for 3.14.0rc2: add_to_pydotorg's table.
CASES_314 = [
    ("Python-3.14.0rc2.tgz", "Gzipped source tarball", "source", False, ""),
    ("Python-3.14.0rc2.tar.xz", "XZ compressed source tarball", "source", True, ""),
    (
        "windows-3.14.0rc2.json",
        "Windows release manifest",
        "windows",
        False,
        "Install with 'py install 3.14'",
    ),
    (
        "python-3.14.0rc2-embed-amd64.zip",
        "Windows embeddable package (64-bit)",
        "windows",
        False,
        "",
    ),
    (
        "python-3.14.0rc2-embed-arm64.zip",
        "Windows embeddable package (ARM64)",
        "windows",
        False,
        "",
    ),
    (
        "python-3.14.0rc2-embed-win32.zip",
        "Windows embeddable package (32-bit)",
        "windows",
        False,
        "",
    ),
    ("python-3.14.0rc2-arm64.exe", "Windows installer (ARM64)", "windows", False, "Experimental"),
    ("python-3.14.0rc2-amd64.exe", "Windows installer (64-bit)", "windows", True, "Recommended"),
    ("python-3.14.0rc2.exe", "Windows installer (32-bit)", "windows", False, ""),
    ("python-3.14.0rc2-macos11.pkg", "macOS installer", "macos", True, "for macOS 10.15 and later"),
    (
        "python-3.14.0rc2-aarch64-linux-android.tar.gz",
        "Android embeddable package (aarch64)",
        "android",
        False,
        "",
    ),
    (
        "python-3.14.0rc2-x86_64-linux-android.tar.gz",
        "Android embeddable package (x86_64)",
        "android",
        False,
        "",
    ),
    ("python-3.14.0rc2-iOS-XCframework.tar.gz", "iOS XCframework", "ios", False, ""),
]


@pytest.mark.parametrize(("filename", "name", "os", "button", "description"), CASES_314)
def test_classification_matches_add_to_pydotorg(
    filename: str, name: str, os: str, button: bool, description: str
) -> None:
    assert classify_file(V314, filename) == Classification(name, os, button, description)


@pytest.mark.parametrize(
    "filename",
    [
        "Python-3.14.0rc2.tgz.sigstore",  # companions are never records
        "Python-3.14.0rc2.tar.xz.spdx.json",
        "python-3.14.0rc2-amd64.exe.asc",
        "python-3.14.0rc2-amd64.zip",  # PyManager packages: no rule
        "python-3.14.0rc2t-amd64.zip",  # "3.14.0rc2t-" is not this version
        "python-3.14.0rc2-test-amd64.zip",
        "python-3.14.0rc2-embeddable-amd64.zip",
        "python-3.14.0rc2-docs-html.zip",  # docs live in doc/V/, no rule either
        "Python-3.14.0rc1.tgz",  # another release's file in the shared XYZ/ directory
        "Python-3.14.0.tgz",
        "amd64rc2/core.msi",  # MSI parts sit in subdirectories
        "README.txt",
    ],
)
def test_files_without_a_record(filename: str) -> None:
    assert classify_file(V314, filename) is None


def test_macos_description_before_3_14() -> None:
    cls = classify_file(V313, "python-3.13.5-macos11.pkg")
    assert cls is not None and cls.description == "for macOS 10.13 and later"
    pm = classify_file(V313, "windows-3.13.5.json")
    assert pm is not None and pm.description == "Install with 'py install 3.13'"


def test_first_matching_rule_wins() -> None:
    # "-embed-arm64.zip" must not fall through to a later rule; "-arm64.exe" before ".exe".
    arm = classify_file(V314, "python-3.14.0rc2-arm64.exe")
    assert arm is not None and arm.name == "Windows installer (ARM64)"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.9.0a1", "390-a1"),
        ("3.10.0b3", "3100-b3"),
        ("3.14.0rc2", "3140-rc2"),
        ("3.12.15", "31215"),
    ],
)
def test_version_slug(version: str, expected: str) -> None:
    assert version_slug(ReleaseVersion.parse(version)) == expected


def test_slug_rules() -> None:
    assert make_slug("Hello, world!") == "Hello-world"
    assert file_slug(V314, "Windows installer (64-bit)") == "3140-rc2-Windows-installer-64-bit"
    long = "An extremely long description of a file that goes on and on"
    assert file_slug(V314, long) == "3140-rc2-" + make_slug(long)[:40]
    assert len(file_slug(V314, long)) == len("3140-rc2-") + 40
    assert release_name(V314) == "Python 3.14.0rc2"
    assert release_slug(V314) == "python-3140rc2"
    assert release_slug(V313) == "python-3135"


def test_desired_set_for_a_full_release() -> None:
    files = desired_release_files(make_manifest("3.15.0rc1"), ReleaseVersion.parse("3.15.0rc1"))
    by_file = {d.filename: d for d in files}
    assert sorted(by_file) == sorted(
        [
            "Python-3.15.0rc1.tgz",
            "Python-3.15.0rc1.tar.xz",
            "windows-3.15.0rc1.json",
            "python-3.15.0rc1.exe",
            "python-3.15.0rc1-amd64.exe",
            "python-3.15.0rc1-arm64.exe",
            "python-3.15.0rc1-embed-win32.zip",
            "python-3.15.0rc1-embed-amd64.zip",
            "python-3.15.0rc1-embed-arm64.zip",
            "python-3.15.0rc1-macos11.pkg",
            "python-3.15.0rc1-aarch64-linux-android.tar.gz",
            "python-3.15.0rc1-x86_64-linux-android.tar.gz",
            "python-3.15.0rc1-iOS-XCframework.tar.gz",
        ]
    )
    xz = by_file["Python-3.15.0rc1.tar.xz"]
    base = "https://www.python.org/ftp/python/3.15.0/Python-3.15.0rc1.tar.xz"
    assert xz.url == base
    assert xz.slug == "3150-rc1-XZ-compressed-source-tarball"
    assert xz.is_source and xz.download_button and xz.os == "source"
    assert xz.sigstore_bundle_file == base + ".sigstore"
    assert xz.sbom_spdx2_file == base + ".spdx.json"
    assert xz.gpg_signature_file == ""  # no GPG from 3.14
    assert xz.sigstore_signature_file == "" and xz.sigstore_cert_file == ""
    assert (xz.sha256_sum, xz.filesize) == (
        make_manifest("3.15.0rc1").artifact(xz.filename).sha256,
        make_manifest("3.15.0rc1").artifact(xz.filename).size,
    )
    buttons = sorted(d.os for d in files if d.download_button)
    assert buttons == ["macos", "source", "windows"]
    assert all(d.is_source == (d.os == "source") for d in files)
    # Each companion URL is set exactly when the manifest lists that companion.
    manifest = make_manifest("3.15.0rc1")
    for d in files:
        names = {c.name for c in manifest.artifact(d.filename).companion_files()}
        for attr, suffix in (
            ("sigstore_bundle_file", ".sigstore"),
            ("sbom_spdx2_file", ".spdx.json"),
            ("gpg_signature_file", ".asc"),
        ):
            want = d.url + suffix if d.filename + suffix in names else ""
            assert getattr(d, attr) == want, (d.filename, attr)
    assert by_file["python-3.15.0rc1-macos11.pkg"].sbom_spdx2_file == ""
    assert by_file["python-3.15.0rc1-amd64.exe"].sbom_spdx2_file.endswith(".exe.spdx.json")


def test_gpg_companion_for_3_13() -> None:
    gates = Gates(True, True, True, False, False, True, True)
    files = desired_release_files(make_manifest("3.13.5", gates=gates), V313)
    tgz = next(d for d in files if d.filename == "Python-3.13.5.tgz")
    assert tgz.gpg_signature_file == tgz.url + ".asc"
    assert tgz.sigstore_bundle_file == tgz.url + ".sigstore"
    assert {d.os for d in files} == {"source", "windows", "macos"}


def test_security_release_lists_only_the_sources() -> None:
    gates = Gates(False, False, False, False, False, True, False)
    files = desired_release_files(
        make_manifest("3.12.15", gates=gates), ReleaseVersion.parse("3.12.15")
    )
    assert [d.slug for d in files] == [
        "31215-Gzipped-source-tarball",
        "31215-XZ-compressed-source-tarball",
    ]


def test_conflicts_are_refused() -> None:
    manifest = make_manifest()
    # A second macOS installer would take a second macOS download button (a 500 on python.org).
    extra = Artifact("python-3.14.0rc2-macos12.pkg", "installer", "macos", 1, "0" * 64, "x")
    with pytest.raises(CheckFailed) as info:
        desired_release_files(manifest.updated(extra), V314)
    assert any("macos download button" in p for p in info.value.problems)
    assert any("slug 3140-rc2-macOS-installer" in p for p in info.value.problems)


def test_version_must_match_the_manifest() -> None:
    with pytest.raises(CheckFailed, match=r"manifest is for 3\.14\.0rc2, not for 3\.14\.0rc1"):
        desired_release_files(make_manifest(), ReleaseVersion.parse("3.14.0rc1"))


def test_base_url_is_configurable() -> None:
    files = desired_release_files(make_manifest(gates=ALL_GATES), V314, base_url="https://x.test")
    assert all(d.url.startswith("https://x.test/ftp/python/3.14.0/") for d in files)
