"""``publish`` checks the signed manifest's own signature before it publishes anything, as
``verify`` checks it, for the signer the options name (issue 11's open "publish trusts the
upstream verify job"). An unsigned, forged or other-identity manifest publishes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from cpython_release.manifest import MANIFEST_NAME
from cpython_release.verify.localca import Claims, LocalCA
from verify.verify_support import REF, TOOLKIT, GpgKey, Release, gpg_key

pytestmark = pytest.mark.usefixtures("cli_trusts_local_ca")


class CliResult(Protocol):
    code: int
    out: str
    err: str


Cli = Callable[..., CliResult]

# What release.yml passes to both verify and publish: the source repository, the repository
# and ref the sign job ran as.
POLICY = ("--repository", "python/cpython", "--toolkit-repository", TOOLKIT, "--allowed-ref", REF)


@pytest.fixture(autouse=True)
def _no_actions_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(var, raising=False)


def publish(cli: Cli, release: Release, root: Path, *extra: str) -> CliResult:
    return cli("publish", "--dir", str(release.directory), "--root", str(root), *extra)


def nothing_published(root: Path) -> bool:
    return not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_a_signed_release_publishes(cli: Cli, release: Release, tmp_path: Path) -> None:
    root = tmp_path / "site"
    r = publish(cli, release, root, *POLICY)
    assert r.code == 0, r.err
    assert "release-manifest.json is signed" in r.err
    assert (root / "www.python.org/ftp/python/3.13.5/Python-3.13.5.tgz").is_file()


def test_the_default_signer_is_the_pipelines(cli: Cli, release: Release, tmp_path: Path) -> None:
    """No options: python/cpython signed by python/cpython-release's sign.yml on main or a
    v* tag (the fixture's ref, refs/tags/v1.0.0, is one)."""
    assert publish(cli, release, tmp_path / "site").code == 0


def test_a_manifest_changed_after_signing_publishes_nothing(
    cli: Cli, release: Release, tmp_path: Path
) -> None:
    data = json.loads(release.manifest_path.read_text())
    data["release"]["created"] = "2025-06-12T00:00:00Z"
    release.manifest_path.write_text(json.dumps(data, indent=2))
    root = tmp_path / "site"
    r = publish(cli, release, root, *POLICY)
    assert r.code == 1, r.err
    assert "does not verify" in r.err and "refusing to publish anything" in r.err
    assert "release-manifest.json was changed after it was signed" in r.err
    assert nothing_published(root)


def test_an_unsigned_manifest_publishes_nothing(cli: Cli, release: Release, tmp_path: Path) -> None:
    (release.directory / f"{MANIFEST_NAME}.sigstore").unlink()
    root = tmp_path / "site"
    r = publish(cli, release, root, *POLICY, "--dry-run")  # a dry run refuses too
    assert r.code == 1, r.err
    assert "not signed: no Sigstore bundle release-manifest.json.sigstore" in r.err
    assert nothing_published(root)


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        (Claims.workflow(TOOLKIT, REF, "attacker/cpython"), "OIDCSourceRepositoryURI"),
        (Claims.workflow("attacker/toolkit", REF, "python/cpython"), "not allowed"),
        (
            Claims.workflow(
                TOOLKIT, REF, "python/cpython", source_ref="refs/heads/main", trigger="schedule"
            ),
            "signed from source ref refs/heads/main, not refs/tags/v3.13.5",
        ),
    ],
    ids=["other-repository", "other-toolkit", "nightly-signature"],
)
def test_a_manifest_signed_by_another_identity_publishes_nothing(
    cli: Cli, release: Release, tmp_path: Path, ca: LocalCA, claims: Claims, why: str
) -> None:
    from cpython_release.hashing import sha256_file

    bundle = ca.signer(claims).sign(sha256_file(release.manifest_path).sha256)
    (release.directory / f"{MANIFEST_NAME}.sigstore").write_bytes(bundle)
    root = tmp_path / "site"
    r = publish(cli, release, root, *POLICY)
    assert r.code == 1, r.err
    assert "Sigstore bundle rejected" in r.err and why in r.err, r.err
    assert nothing_published(root)


def test_the_policy_options_are_applied(cli: Cli, release: Release, tmp_path: Path) -> None:
    """A signer the options do not name is refused (a fork's repository, another ref)."""
    root = tmp_path / "site"
    r = publish(cli, release, root, "--repository", "fork/cpython")
    assert r.code == 1 and "built from repository python/cpython, expected fork/cpython" in r.err
    r = publish(cli, release, root, "--allowed-ref", "refs/heads/main")
    assert r.code == 1 and "is not allowed" in r.err, r.err
    assert nothing_published(root)


def test_a_signer_keyring_needs_a_good_asc_by_it(
    cli: Cli, pristine: dict[str, Release], tmp_path: Path, session_gpg: GpgKey
) -> None:
    """Runs without a Sigstore identity (rehearsals) name the key that signed."""
    import shutil

    src = pristine["3.13.5"]  # signed with session_gpg too
    directory = tmp_path / "rel"
    shutil.copytree(src.directory, directory)
    release = Release(directory, src.version, list(src.names))
    root = tmp_path / "site"
    r = publish(cli, release, root, "--signer-keyring", str(session_gpg.keyring))
    assert r.code == 0, r.err
    with gpg_key("Mallory <mallory@example.org>") as other:
        r = publish(cli, release, tmp_path / "other", "--signer-keyring", str(other.keyring))
        assert r.code == 1 and "which is not in the keyring" in r.err, r.err
        assert nothing_published(tmp_path / "other")
        other.sign(release.manifest_path)  # signed, but by a key the option does not name
        r = publish(cli, release, tmp_path / "other", "--signer-keyring", str(session_gpg.keyring))
        assert r.code == 1 and "which is not in the keyring" in r.err, r.err
    (directory / f"{MANIFEST_NAME}.asc").unlink()
    r = publish(cli, release, tmp_path / "other", "--signer-keyring", str(session_gpg.keyring))
    assert r.code == 1 and "no OpenPGP signature release-manifest.json.asc" in r.err, r.err
    assert nothing_published(tmp_path / "other")


def test_a_missing_keyring_is_bad_input(cli: Cli, release: Release, tmp_path: Path) -> None:
    r = publish(cli, release, tmp_path / "site", "--signer-keyring", str(tmp_path / "none"))
    assert r.code == 2 and "is not a file" in r.err, r.err
