"""verify_release on realistic releases: happy paths, list sources, and the tamper battery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cpython_release.errors import BadInput
from cpython_release.sigstore_policy import LegacyIdentity, SigningIdentity
from cpython_release.verify import VerifyReport, verify_release
from cpython_release.verify.localca import Claims, LocalCA, LocalCAVerifier
from verify.verify_support import (
    TOOLKIT,
    GpgKey,
    Release,
    gpg_key,
    identity,
    make_release,
    pipeline_signer,
)

TGZ = "Python-3.13.5.tgz"
XZ = "Python-3.13.5.tar.xz"
PKG = "python-3.13.5-macos11.pkg"


def check(
    release: Release,
    verifier: LocalCAVerifier,
    policy: SigningIdentity | None = None,
    **kw: Any,
) -> VerifyReport:
    return verify_release(
        release.directory,
        kw.pop("version", release.version),
        policy=policy or identity(),
        verifier=verifier,
        **kw,
    )


def problems_of(report: VerifyReport, name: str) -> list[str]:
    return [p for p in report.problems if p.startswith(name + ":")]


def row(report: VerifyReport, name: str) -> dict[str, str]:
    r = next(r for r in report.rows if r.name == name)
    return {k: r.check(k).status for k in ("integrity", "sigstore", "gpg", "sbom")} | {
        "result": r.result
    }


def drop_manifest(release: Release) -> None:
    for suffix in ("", ".sigstore", ".asc"):
        (release.directory / f"release-manifest.json{suffix}").unlink(missing_ok=True)


# --- happy paths --------------------------------------------------------------------------


def test_valid_release_every_check(
    release: Release, verifier: LocalCAVerifier, session_gpg: GpgKey
) -> None:
    report = check(release, verifier, keyring=session_gpg.keyring)
    assert report.result == "valid" and report.ok, report.problems
    assert report.mode == "manifest" and report.release is not None
    assert report.release["commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert [r.name for r in report.rows][:2] == ["release-manifest.json", "SHA256SUMS"]
    assert len(report.rows) == 2 + len(release.names)
    assert row(report, TGZ) == {
        "integrity": "ok",
        "sigstore": "ok",
        "gpg": "ok",
        "sbom": "ok",
        "result": "valid",
    }
    assert row(report, PKG)["sbom"] == "-"  # macOS installers have no SBOM
    tgz = next(r for r in report.rows if r.name == TGZ)
    assert tgz.sha256 == release.manifest().artifact(TGZ).sha256
    assert "sign.yml@refs/tags/v1.0.0" in tgz.check("sigstore").message
    data = json.loads(report.to_json())
    assert data["result"] == "valid" and len(data["files"]) == len(report.rows)
    assert "VALID" in report.render_table()


def test_gpg_is_skipped_without_keyring(release: Release, verifier: LocalCAVerifier) -> None:
    report = check(release, verifier)
    assert report.ok
    assert row(report, TGZ)["gpg"] == "skipped"


def test_no_manifest_is_a_failure_even_with_signed_sums(
    release: Release, verifier: LocalCAVerifier
) -> None:
    """The signed manifest is the root of trust: SHA256SUMS or a listing do not replace it."""
    drop_manifest(release)
    report = check(release, verifier)
    assert report.result == "invalid" and report.mode == "none"
    assert report.problems == [
        "release-manifest.json: no signed manifest for Python 3.13.5: "
        f"{release.directory} has no release-manifest.json (give --manifest; only --legacy "
        "verifies releases made before this pipeline)"
    ]
    for suffix in ("", ".sigstore", ".asc"):
        (release.directory / f"SHA256SUMS{suffix}").unlink()
    assert check(release, verifier).problems == report.problems  # nor does a listing


def test_tag_commit_matches(
    tmp_path: Path, ca: LocalCA, verifier: LocalCAVerifier, tagged_repo: tuple[Path, str]
) -> None:
    repo, commit = tagged_repo
    release = make_release(
        tmp_path / "rel", pipeline_signer(ca), commit=commit, layout=(("Python-{v}.tgz", True),)
    )
    assert check(release, verifier, repo=repo).ok


def test_tag_commit_differs(
    release: Release, verifier: LocalCAVerifier, tagged_repo: tuple[Path, str]
) -> None:
    repo, commit = tagged_repo
    report = check(release, verifier, repo=repo)
    assert report.result == "invalid"
    assert problems_of(report, "release-manifest.json") == [
        "release-manifest.json: manifest commit 0123456789abcdef0123456789abcdef01234567 is not "
        f"the commit tag v3.13.5 points to ({commit})"
    ]


def test_tag_missing(
    release314: Release, verifier: LocalCAVerifier, tagged_repo: tuple[Path, str]
) -> None:
    report = check(release314, verifier, repo=tagged_repo[0])
    assert any("tag v3.14.1 not found" in p for p in report.problems)


# --- the tamper battery -------------------------------------------------------------------


def test_flipped_byte(release: Release, verifier: LocalCAVerifier, session_gpg: GpgKey) -> None:
    path = release.directory / TGZ
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = check(release, verifier, keyring=session_gpg.keyring)
    assert report.result == "invalid" and not report.ok
    found = problems_of(report, TGZ)
    assert len(found) == 1 and found[0].startswith(f"{TGZ}: sha256 mismatch: expected ")
    (bundle,) = problems_of(report, TGZ + ".sigstore")
    assert "the bundle signs a different file" in bundle
    assert "it signs the listed sha256, so the file changed after signing" in bundle
    (asc,) = problems_of(report, TGZ + ".asc")
    assert "BAD signature" in asc
    (sbom,) = problems_of(report, TGZ + ".spdx.json")
    assert "SBOM names sha256" in sbom and "but the file has" in sbom
    assert row(report, XZ)["result"] == "valid"  # only the tampered file is blamed


def test_truncated_file(release: Release, verifier: LocalCAVerifier) -> None:
    path = release.directory / PKG
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size - 100])
    report = check(release, verifier)
    assert report.result == "invalid"
    assert problems_of(report, PKG) == [
        f"{PKG}: size mismatch: expected {size} bytes, file has {size - 100} bytes"
    ]


def _swap(directory: Path, a: str, b: str) -> None:
    pa, pb = directory / a, directory / b
    da, db = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(db)
    pb.write_bytes(da)


def test_swapped_bundles(release: Release, verifier: LocalCAVerifier) -> None:
    _swap(release.directory, TGZ + ".sigstore", XZ + ".sigstore")
    report = check(release, verifier)
    assert report.result == "invalid"
    tgz = " ".join(problems_of(report, TGZ + ".sigstore"))
    assert f"it was made for {XZ}, not {TGZ}" in tgz
    assert "sha256 mismatch" in tgz  # and the manifest recorded another bundle
    assert f"it was made for {TGZ}, not {XZ}" in " ".join(problems_of(report, XZ + ".sigstore"))


def test_swapped_bundles_caught_by_signatures_alone(
    release: Release, verifier: LocalCAVerifier
) -> None:
    """The bundles themselves tell, besides the manifest's hashes of them."""
    _swap(release.directory, TGZ + ".sigstore", XZ + ".sigstore")
    report = check(release, verifier)
    assert report.result == "invalid"
    assert (
        f"{TGZ}.sigstore: Sigstore bundle rejected: the bundle signs a different file "
        f"(digest mismatch); it was made for {XZ}, not {TGZ}"
    ) in problems_of(report, TGZ + ".sigstore")


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(
            Claims.workflow("attacker/toolkit", "refs/tags/v1.0.0", "python/cpython"),
            "signer https://github.com/attacker/toolkit/.github/workflows/sign.yml"
            "@refs/tags/v1.0.0 is not allowed",
            id="other-toolkit",
        ),
        pytest.param(
            Claims.workflow(TOOLKIT, "refs/heads/feature", "python/cpython"),
            "sign.yml@refs/heads/feature is not allowed",
            id="other-ref",
        ),
        pytest.param(
            Claims.workflow(TOOLKIT, "refs/tags/v1.0.0", "python/cpython", "build.yml"),
            "build.yml@refs/tags/v1.0.0 is not allowed",
            id="other-workflow",
        ),
        pytest.param(
            Claims.workflow(TOOLKIT, "refs/tags/v1.0.0", "attacker/cpython"),
            "OIDCSourceRepositoryURI does not match (got https://github.com/attacker/"
            "cpython, expected https://github.com/python/cpython)",
            id="other-repository",
        ),
        pytest.param(
            Claims("mallory@example.org", "https://accounts.google.com"),
            "OIDCIssuerV2 does not match",
            id="personal-identity",
        ),
        pytest.param(
            Claims.workflow(
                TOOLKIT,
                "refs/tags/v1.0.0",
                "python/cpython",
                source_ref="refs/heads/main",
                trigger="schedule",
            ),
            "signed from source ref refs/heads/main, not refs/tags/v3.13.5",
            id="nightly-signature",
        ),
        pytest.param(
            Claims.workflow(
                TOOLKIT, "refs/tags/v1.0.0", "python/cpython", source_ref="refs/tags/v3.13.4"
            ),
            "signed from source ref refs/tags/v3.13.4, not refs/tags/v3.13.5",
            id="another-release",
        ),
        pytest.param(
            Claims.workflow(
                TOOLKIT,
                "refs/tags/v1.0.0",
                "python/cpython",
                source_ref="refs/tags/v3.13.5",
                trigger="push",
            ),
            "signed by a run triggered by push, not by workflow_dispatch",
            id="other-trigger",
        ),
    ],
)
def test_bundle_from_another_identity(
    release: Release, verifier: LocalCAVerifier, ca: LocalCA, claims: Claims, expected: str
) -> None:
    path = release.directory / TGZ
    from cpython_release.hashing import sha256_file

    (release.directory / (TGZ + ".sigstore")).write_bytes(
        ca.signer(claims).sign(sha256_file(path).sha256)
    )
    report = check(release, verifier)
    assert report.result == "invalid"
    [problem] = [p for p in problems_of(report, TGZ + ".sigstore") if "rejected" in p]
    assert problem.startswith(
        f"{TGZ}.sigstore: Sigstore bundle rejected: signer identity not allowed"
    )
    assert expected in problem


def test_bundle_from_an_untrusted_ca(release: Release, verifier: LocalCAVerifier) -> None:
    from cpython_release.hashing import sha256_file

    rogue = pipeline_signer(LocalCA("rogue"))
    path = release.directory / TGZ
    (release.directory / (TGZ + ".sigstore")).write_bytes(rogue.sign(sha256_file(path).sha256))
    report = check(release, verifier)
    assert (
        f"{TGZ}.sigstore: Sigstore bundle rejected: certificate not issued by the trusted CA"
    ) in problems_of(report, TGZ + ".sigstore")


def test_release_from_a_fork_is_rejected_for_python_cpython(
    release: Release, verifier: LocalCAVerifier, tmp_path: Path, ca: LocalCA
) -> None:
    fork = make_release(
        tmp_path / "fork",
        pipeline_signer(ca, repository="me/cpython"),
        repository="me/cpython",
        layout=(("Python-{v}.tgz", True),),
    )
    report = check(fork, verifier)
    assert report.result == "invalid"
    assert "release-manifest.json: built from repository me/cpython, expected python/cpython" in (
        report.problems
    )
    assert check(fork, verifier, identity("me/cpython")).ok  # a rehearsal verifies as the fork


def test_edited_manifest(release: Release, verifier: LocalCAVerifier) -> None:
    data = json.loads(release.manifest_path.read_text())
    data["release"]["created"] = "2025-06-12T00:00:00Z"
    release.manifest_path.write_text(json.dumps(data, indent=2, sort_keys=True))
    report = check(release, verifier)
    assert report.result == "invalid"
    (problem,) = report.problems
    assert problem.startswith(
        "release-manifest.json.sigstore: Sigstore bundle rejected: the bundle signs a different"
    )
    assert problem.endswith("release-manifest.json was changed after it was signed")


def test_edited_manifest_vouching_for_a_substituted_file(
    release: Release, verifier: LocalCAVerifier
) -> None:
    evil = b"#!/bin/sh\necho pwned\n"
    (release.directory / PKG).write_bytes(evil)
    data = json.loads(release.manifest_path.read_text())
    import hashlib

    for a in data["artifacts"]:
        if a["name"] == PKG:
            a["size"], a["sha256"] = len(evil), hashlib.sha256(evil).hexdigest()
    release.manifest_path.write_text(json.dumps(data))
    report = check(release, verifier)
    assert report.result == "invalid"
    assert problems_of(report, PKG) == []  # the file matches the edited manifest...
    assert problems_of(report, PKG + ".sigstore")  # ...but not its signature
    assert any(
        "release-manifest.json was changed after it was signed" in p for p in report.problems
    )
    assert any(p.startswith("SHA256SUMS: says ") for p in report.problems)


def test_manifest_that_is_not_a_manifest(release: Release, verifier: LocalCAVerifier) -> None:
    release.manifest_path.write_text('{"schema_version": 1}')
    report = check(release, verifier)
    assert report.result == "invalid"
    assert report.problems[0].startswith(
        "release-manifest.json: not a valid release manifest: release-manifest.json: not a valid"
    )


def test_listed_file_missing(release: Release, verifier: LocalCAVerifier) -> None:
    (release.directory / PKG).unlink()
    (release.directory / (XZ + ".spdx.json")).unlink()
    report = check(release, verifier)
    assert report.result == "invalid"
    assert f"{PKG}: missing (listed in release-manifest.json)" in report.problems
    assert f"{XZ}.spdx.json: missing (listed in release-manifest.json for {XZ})" in report.problems
    assert row(report, PKG)["sigstore"] == "failed"


def test_unlisted_file_is_reported_and_fails_with_strict(
    release: Release, verifier: LocalCAVerifier
) -> None:
    (release.directory / "notes.txt").write_text("hello")
    (release.directory / "amd64").mkdir()
    (release.directory / "amd64" / "core.msi").write_bytes(b"msi")
    report = check(release, verifier)
    assert report.ok
    assert report.warnings == ["unlisted file: amd64/core.msi", "unlisted file: notes.txt"]
    strict = check(release, verifier, strict=True)
    assert strict.result == "invalid"
    assert strict.problems == [
        "amd64/core.msi: unlisted file (not in the release's list of files)",
        "notes.txt: unlisted file (not in the release's list of files)",
    ]


def test_edited_sha256sums(release: Release, verifier: LocalCAVerifier) -> None:
    sums = release.directory / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    lines[0] = "0" * 64 + lines[0][64:]
    sums.write_text("\n".join(lines) + "\n")
    report = check(release, verifier)
    assert report.result == "invalid"
    name = lines[0][66:]
    assert any(p.startswith(f"SHA256SUMS: says {'0' * 64} for {name}") for p in report.problems)
    assert any("SHA256SUMS was changed after it was signed" in p for p in report.problems)


def test_sbom_naming_another_hash(release: Release, verifier: LocalCAVerifier) -> None:
    sbom = release.directory / (TGZ + ".spdx.json")
    data = json.loads(sbom.read_text())
    data["packages"][0]["checksums"][0]["checksumValue"] = "ab" * 32
    sbom.write_text(json.dumps(data))
    report = check(release, verifier)
    (problem,) = [p for p in problems_of(report, TGZ + ".spdx.json") if "SBOM" in p]
    assert problem.endswith(
        f"SBOM names sha256 {'ab' * 32} for {TGZ}, but the file has {row_sha(report, TGZ)}"
    )


def row_sha(report: VerifyReport, name: str) -> str | None:
    return next(r.sha256 for r in report.rows if r.name == name)


def test_sbom_not_valid_spdx(release: Release, verifier: LocalCAVerifier) -> None:
    sbom = release.directory / (XZ + ".spdx.json")
    data = json.loads(sbom.read_text())
    data["relationships"].append(
        {
            "spdxElementId": "SPDXRef-PACKAGE-cpython",
            "relatedSpdxElement": "SPDXRef-FILE-gone",
            "relationshipType": "CONTAINS",
        }
    )
    del data["creationInfo"]["creators"]
    sbom.write_text(json.dumps(data))
    report = check(release, verifier)
    (problem,) = [p for p in problems_of(report, XZ + ".spdx.json") if "SBOM" in p]
    assert "SBOM is not valid SPDX" in problem and "creators" in problem
    assert report.result == "invalid"


def test_sbom_for_another_artifact(release: Release, verifier: LocalCAVerifier) -> None:
    _swap(release.directory, TGZ + ".spdx.json", XZ + ".spdx.json")
    report = check(release, verifier)
    assert f"{TGZ}.spdx.json: SBOM describes {XZ}, not {TGZ}" in report.problems


def test_gpg_signature_by_a_key_not_in_the_keyring(
    release: Release, verifier: LocalCAVerifier
) -> None:
    with gpg_key("Someone Else <else@example.org>") as other:
        report = check(release, verifier, keyring=other.keyring)
    assert report.result == "invalid"
    (problem,) = problems_of(report, TGZ + ".asc")
    assert "OpenPGP signature not valid: signed by key" in problem
    assert "which is not in the keyring" in problem


def test_unsigned_file_fails(release314: Release, verifier: LocalCAVerifier) -> None:
    (release314.directory / "Python-3.14.1.tgz.sigstore").unlink()
    report = check(release314, verifier)
    assert (
        "Python-3.14.1.tgz.sigstore: missing (listed in release-manifest.json for "
        "Python-3.14.1.tgz)" in report.problems
    )


def test_wrong_version(release: Release, verifier: LocalCAVerifier) -> None:
    report = check(release, verifier, version="3.13.6")
    assert "release-manifest.json: describes Python 3.13.5, not 3.13.6" in report.problems
    assert "release-manifest.json: names tag v3.13.5, expected v3.13.6" in report.problems


# --- bad input ----------------------------------------------------------------------------


def test_bad_inputs(tmp_path: Path, release: Release, verifier: LocalCAVerifier) -> None:
    with pytest.raises(BadInput, match="is not a directory"):
        verify_release(tmp_path / "nope", "3.13.5", policy=identity(), verifier=verifier)
    with pytest.raises(BadInput, match="not a CPython release version"):
        verify_release(release.directory, "3.13", policy=identity(), verifier=verifier)
    with pytest.raises(BadInput, match=r"keyring .* is not a file"):
        check(release, verifier, keyring=tmp_path / "missing.asc")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match=r"no signed files of Python 3\.13\.5"):
        verify_release(
            tmp_path / "empty", "3.13.5", policy=LegacyIdentity.for_minor("3.13"), verifier=verifier
        )
    (tmp_path / "keys.asc").write_text("not a key")
    with pytest.raises(BadInput, match="holds no OpenPGP public keys"):
        check(release, verifier, keyring=tmp_path / "keys.asc")


def test_manifest_and_sums_given_from_elsewhere(
    release: Release, verifier: LocalCAVerifier, session_gpg: GpgKey, tmp_path: Path
) -> None:
    """Like rehearse: the published tree has no manifest; the sign stage's copies vouch."""
    signed = tmp_path / "signed"
    signed.mkdir()
    for name in ("release-manifest.json", "SHA256SUMS"):
        for suffix in ("", ".sigstore", ".asc"):
            (release.directory / (name + suffix)).rename(signed / (name + suffix))
    kw: dict[str, Any] = {
        "manifest": signed / "release-manifest.json",
        "sums": signed / "SHA256SUMS",
        "keyring": session_gpg.keyring,
    }
    report = check(release, verifier, **kw)
    assert report.ok, report.problems
    assert [r.name for r in report.rows[:2]] == ["release-manifest.json", "SHA256SUMS"]
    assert row(report, "release-manifest.json")["gpg"] == "ok"
    edited = (signed / "SHA256SUMS").read_text().replace("  ", " *", 1)
    (signed / "SHA256SUMS").write_text(edited)
    report = check(release, verifier, **kw)
    assert report.result == "invalid"
    assert any(
        p.startswith("SHA256SUMS.asc: OpenPGP signature not valid: BAD signature")
        for p in report.problems
    )
    assert any("SHA256SUMS was changed after it was signed" in p for p in report.problems)


def test_tag_check_needs_a_manifest(
    release: Release, verifier: LocalCAVerifier, tagged_repo: tuple[Path, str]
) -> None:
    drop_manifest(release)
    report = check(release, verifier, repo=tagged_repo[0], policy=LegacyIdentity.for_minor("3.13"))
    assert "release-manifest.json: cannot check the tag's commit: no valid release manifest" in (
        report.problems
    )
