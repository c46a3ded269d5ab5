"""The inventory against real python.org directory listings (tests/data/listings).

The pipeline deliberately differs from history in three named ways, and only those:
- no ``.sig``/``.crt`` pairs: a Sigstore bundle carries both (sigstore-python 3+ writes
  only bundles);
- every published file gets a ``.sigstore`` bundle, PyManager zips and ``windows-V.json`` included;
- releases from before SBOMs existed (3.11.2, Feb 2023) now get them like today's releases.
Everything else (primary files, ``.asc`` and SBOM placement, MSI directories) must match exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cpython_release.errors import BadInput
from cpython_release.inventory import (
    GPG,
    SBOM,
    SIGSTORE,
    classify,
    gates,
    inventory,
    listing,
    windows_matrix,
)
from cpython_release.phase import Phase
from cpython_release.version import ReleaseVersion

LISTINGS = Path(__file__).resolve().parents[1] / "data" / "listings"
COMPANIONS = (SIGSTORE, GPG, SBOM, ".sig", ".crt")


def split(names: list[str]) -> tuple[set[str], dict[str, set[str]]]:
    primaries = {n for n in names if not n.endswith(COMPANIONS) and not n.endswith("/")}
    companions: dict[str, set[str]] = {p: set() for p in primaries}
    for n in names:
        for suffix in COMPANIONS:
            if n.endswith(suffix) and n[: -len(suffix)] in primaries:
                companions[n[: -len(suffix)]].add(suffix)
    return primaries, companions


@pytest.mark.parametrize(
    ("version", "phase", "predates_sbom"),
    [
        ("3.11.2", Phase.BUGFIX, True),
        ("3.12.11", Phase.SECURITY, False),
        ("3.13.5", Phase.BUGFIX, False),
        ("3.14.0rc2", Phase.PRERELEASE, False),
    ],
)
def test_matches_real_listing(version: str, phase: Phase, predates_sbom: bool) -> None:
    real = [
        ln.strip()
        for ln in (LISTINGS / f"{version}.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    v = ReleaseVersion.parse(version)
    ours = [n for n in listing(v, gates(v, phase)) if not n.endswith("/")]
    real_primary, real_comp = split(real)
    our_primary, our_comp = split(ours)
    assert sorted(our_primary) == sorted(real_primary)
    for name in sorted(real_primary):
        expected = real_comp[name] - {".sig", ".crt"}
        added = our_comp[name] - expected
        allowed = {SIGSTORE} | ({SBOM} if predates_sbom else set())
        assert added <= allowed, f"{name}: we add {added - allowed}"
        assert expected <= our_comp[name], f"{name}: we lack {expected - our_comp[name]}"


def test_security_release_is_source_only_unless_asked() -> None:
    v = ReleaseVersion.parse("3.12.11")
    plain = {f.platform for f in inventory(v, gates(v, Phase.SECURITY))}
    assert plain == {"source", "docs"}
    asked = {f.platform for f in inventory(v, gates(v, Phase.SECURITY, binaries_for_security=True))}
    assert asked == {"source", "docs", "windows", "macos"}


def test_docs_only_rc_and_final() -> None:
    for text, docs in (
        ("3.14.0a1", False),
        ("3.14.0b3", False),
        ("3.14.0rc1", True),
        ("3.14.2", True),
    ):
        v = ReleaseVersion.parse(text)
        files = inventory(v, gates(v, Phase.PRERELEASE if v.is_prerelease else Phase.BUGFIX))
        doc_files = [f for f in files if f.platform == "docs"]
        assert bool(doc_files) is docs, text
        if docs:
            assert {f.directory for f in doc_files} == {f"doc/{v}"}
            assert f"python-{v}-docs-html.tar.bz2" in {f.name for f in doc_files}


def test_android_ios_gpg_gates() -> None:
    def platforms(text: str) -> set[str]:
        v = ReleaseVersion.parse(text)
        return {f.platform for f in inventory(v, gates(v, Phase.BUGFIX))}

    assert "android" not in platforms("3.13.9")
    assert "android" in platforms("3.14.1") and "ios" not in platforms("3.14.1")
    assert {"android", "ios"} <= platforms("3.15.1")
    assert gates(ReleaseVersion.parse("3.13.9"), Phase.BUGFIX).gpg
    assert not gates(ReleaseVersion.parse("3.14.1"), Phase.BUGFIX).gpg


def test_msi_directories_carry_the_prerelease_suffix() -> None:
    v = ReleaseVersion.parse("3.14.0rc2")
    dirs = [n for n in listing(v, gates(v, Phase.PRERELEASE)) if n.endswith("/")]
    assert dirs == ["amd64rc2/", "arm64rc2/", "win32rc2/"]


def test_end_of_life_refused() -> None:
    with pytest.raises(BadInput, match="end-of-life"):
        gates(ReleaseVersion.parse("3.8.20"), Phase.END_OF_LIFE)


def test_windows_matrix_runners() -> None:
    m = windows_matrix(ReleaseVersion.parse("3.14.1"))
    assert {(r["arch"], r["runner"]) for r in m} == {
        ("win32", "windows-2025"),
        ("amd64", "windows-2025"),
        ("arm64", "windows-11-arm"),
    }


def test_classify() -> None:
    v = ReleaseVersion.parse("3.14.0rc2")
    f = classify(v, "python-3.14.0rc2-arm64.exe")
    assert (f.kind, f.platform, f.arch, f.job) == ("installer", "windows", "arm64", "build-windows")
    with pytest.raises(BadInput, match=r"not a file of a 3\.14\.0rc2 release"):
        classify(v, "python-3.14.0rc1-arm64.exe")
