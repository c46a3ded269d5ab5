"""``verify --only NAME``: one file and the signed manifest, nothing else fetched (issue 13)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cpython_release.errors import BadInput
from cpython_release.verify import verify_release
from cpython_release.verify.localca import LocalCAVerifier
from verify.test_verify_cli import POLICY, Cli
from verify.verify_support import REQUESTS, Release, identity

Serve = Callable[[Path], str]
TGZ = "Python-3.13.5.tgz"


def fetched() -> set[str]:
    return {r.lstrip("/") for r in REQUESTS if r != "/"}  # "/" is the directory index


def test_only_downloads_the_file_its_companions_and_the_signed_manifest(
    release: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    url = serve(release.directory)
    report = verify_release(url, "3.13.5", policy=identity(), verifier=verifier, only=[TGZ])
    assert report.ok, report.problems
    assert [r.name for r in report.rows] == ["release-manifest.json", TGZ]
    companions = {p.name for p in release.directory.glob(f"{TGZ}.*")}
    assert companions >= {f"{TGZ}.sigstore", f"{TGZ}.spdx.json"}
    # what a packager's run asks the server for: the list and its bundle, the file and its
    # companions; no other artifact, not SHA256SUMS (the manifest is the list here)
    asked = fetched() - {"release-manifest-3.13.5.json", "SHA256SUMS-3.13.5"}
    manifest = {"release-manifest.json", "release-manifest.json.sigstore"}
    manifest.add("release-manifest.json.asc")  # asked for: up to 3.13 the lists carry one too
    assert asked == manifest | {TGZ} | companions
    assert len(release.names) > 3  # there were others to leave alone


def test_only_still_checks_the_manifest_signature(
    release: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    # a manifest whose bundle signs something else: --only must not skip the root of trust
    shutil.copy(
        release.directory / f"{TGZ}.sigstore", release.directory / "release-manifest.json.sigstore"
    )
    report = verify_release(
        serve(release.directory), "3.13.5", policy=identity(), verifier=verifier, only=[TGZ]
    )
    assert report.result == "invalid"
    assert any(p.startswith("release-manifest.json.sigstore:") for p in report.problems)


def test_only_checks_the_chosen_file_and_ignores_the_others(
    release: Release, verifier: LocalCAVerifier
) -> None:
    other = next(n for n in release.names if n != TGZ)
    (release.directory / other).write_bytes(b"tampered")  # not asked for: not read
    report = verify_release(
        release.directory, "3.13.5", policy=identity(), verifier=verifier, only=[TGZ]
    )
    assert report.ok, report.problems
    assert not report.warnings
    (release.directory / TGZ).write_bytes(b"tampered")
    report = verify_release(
        release.directory, "3.13.5", policy=identity(), verifier=verifier, only=[TGZ, other]
    )
    assert [r.name for r in report.rows] == ["release-manifest.json", TGZ, other]
    assert any(p.startswith(f"{TGZ}: ") for p in report.problems)
    assert any(p.startswith(f"{other}: ") for p in report.problems)


def test_a_name_the_manifest_lacks_is_bad_input(
    release: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    url = serve(release.directory)
    with pytest.raises(BadInput, match=r"--only Python-3\.13\.5\.tgx: not in the signed manifest"):
        verify_release(
            url, "3.13.5", policy=identity(), verifier=verifier, only=["Python-3.13.5.tgx"]
        )
    assert TGZ not in fetched()


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_cli_only_is_repeatable_and_exits_2_for_an_unknown_name(cli: Cli, release: Release) -> None:
    other = next(n for n in release.names if n != TGZ)
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--only", TGZ, "--only", other)
    assert r.code == 0, r.out + r.err
    assert TGZ in r.out and other in r.out
    assert "Python 3.13.5: VALID (3 files from manifest" in r.out
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--only", "nope.tgz")
    assert r.code == 2
    assert "--only nope.tgz: not in the signed manifest of Python 3.13.5" in r.err
    assert "Traceback" not in r.err


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_a_forged_manifest_is_invalid_before_only_judges_the_name(
    cli: Cli, release: Release
) -> None:
    # a forged (no longer signed) manifest that leaves out the file asked for: its word that
    # the name is unknown counts for nothing; the manifest fails, exit 1, not 2
    path = release.directory / "release-manifest.json"
    data = json.loads(path.read_text())
    data["artifacts"] = [a for a in data["artifacts"] if a["name"] != TGZ]
    path.write_text(json.dumps(data))
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--only", TGZ)
    assert r.code == 1, r.out + r.err
    assert "INVALID" in r.out
    assert "release-manifest.json.sigstore:" in r.out
    assert "not in the signed manifest" not in r.out + r.err
    # unsigned: the bundle is gone
    (release.directory / "release-manifest.json.sigstore").unlink()
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--only", TGZ)
    assert r.code == 1, r.out + r.err
    assert "not in the signed manifest" not in r.out + r.err


def test_the_unknown_name_message_counts_with_plural() -> None:
    from cpython_release.verify.checks import Entry
    from cpython_release.verify.core import _only
    from cpython_release.version import ReleaseVersion

    entries = [Entry(TGZ, "source")]
    with pytest.raises(BadInput, match=r"it lists 1 file, e\.g\. Python-3\.13\.5\.tgz\)"):
        _only(entries, ["nope.tgz"], ReleaseVersion.parse("3.13.5"), "manifest")
