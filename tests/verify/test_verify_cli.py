"""``cpython-release verify``: exit statuses, outputs, policy options."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from cpython_release.verify import SigstoreBundleVerifier, core
from cpython_release.verify.localca import LocalCA
from verify.verify_support import (
    FIXTURES,
    TOOLKIT,
    GpgKey,
    PretendDigest,
    Release,
    make_release,
    pipeline_signer,
)


class CliResult(Protocol):
    code: int
    out: str
    err: str


Cli = Callable[..., CliResult]
POLICY = ("--toolkit-repository", TOOLKIT, "--allowed-ref", "refs/tags/v1.0.0")


@pytest.fixture(autouse=True)
def _no_actions_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_valid_release(cli: Cli, release: Release, session_gpg: GpgKey) -> None:
    r = cli(
        "verify", "3.13.5", str(release.directory), *POLICY, "--keyring", str(session_gpg.keyring)
    )
    assert r.code == 0, r.out + r.err
    assert "Python 3.13.5: VALID (7 files from manifest, 0 problems" in r.out
    assert "Python-3.13.5.tgz" in r.out


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_json_report_summary_and_outputs(
    cli: Cli, release: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = tmp_path / "reports" / "verify.json"
    r = cli(
        "verify",
        "3.13.5",
        str(release.directory),
        *POLICY,
        "--report",
        str(report),
        "--format",
        "github",
    )
    assert r.code == 0, r.err
    printed = json.loads(report.read_text())
    # github: the table for the log (its verdict line once), the outputs for the next step
    assert r.out.count("Python 3.13.5: VALID") == 1 and "Python 3.13.5: VALID" not in r.err
    assert printed["result"] == "valid" and printed["mode"] == "manifest"
    assert {f["name"] for f in printed["files"]} >= set(release.names)
    assert outputs.read_text().splitlines() == ["result=valid", f"report={report.resolve()}"]
    assert "### Verify Python 3.13.5: valid" in summary.read_text()


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_tampered_release_exits_1(cli: Cli, release: Release) -> None:
    (release.directory / "Python-3.13.5.tar.xz").write_bytes(b"tampered")
    r = cli("verify", "3.13.5", str(release.directory), *POLICY)
    assert r.code == 1
    assert "FAIL: Python-3.13.5.tar.xz: size mismatch" in r.out
    assert "Python 3.13.5: INVALID" in r.out and "INVALID" not in r.err  # said once


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_policy_options_reach_the_verifier(cli: Cli, release: Release) -> None:
    # the release was signed at refs/tags/v1.0.0: the default refs allow it (refs/tags/v*)
    assert (
        cli("verify", "3.13.5", str(release.directory), "--toolkit-repository", TOOLKIT).code == 0
    )
    r = cli(
        "verify",
        "3.13.5",
        str(release.directory),
        "--toolkit-repository",
        TOOLKIT,
        "--allowed-ref",
        "refs/heads/main",
    )
    assert r.code == 1 and "sign.yml@refs/tags/v1.0.0 is not allowed" in r.out
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--repository", "me/cpython")
    assert r.code == 1 and "built from repository python/cpython, expected me/cpython" in r.out
    r = cli("verify", "3.13.5", str(release.directory), "--legacy", "--format", "json")
    assert r.code == 1
    data = json.loads(r.out)
    assert data["policy"] == "identity thomas@python.org, issuer https://accounts.google.com"


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_strict_fails_on_unlisted_file(cli: Cli, release: Release) -> None:
    (release.directory / "stray.txt").write_text("?")
    r = cli("verify", "3.13.5", str(release.directory), *POLICY)
    assert r.code == 0 and "warning: unlisted file: stray.txt" in r.out
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--strict")
    assert r.code == 1 and "FAIL: stray.txt: unlisted file" in r.out


def test_needs_online_is_never_success(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = FIXTURES / "Python-3.12.5.tgz.sigstore"
    data = b"stand-in"
    (tmp_path / "Python-3.12.5.tgz").write_bytes(data)
    (tmp_path / "Python-3.12.5.tgz.sigstore").write_bytes(bundle.read_bytes())
    real = "38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"
    monkeypatch.setattr(
        core,
        "SigstoreBundleVerifier",
        lambda offline=True: PretendDigest(
            SigstoreBundleVerifier(offline=offline), {hashlib.sha256(data).hexdigest(): real}
        ),
    )
    r = cli("verify", "3.12.5", str(tmp_path), "--legacy")
    assert r.code == 1
    assert "NEEDS ONLINE: Python-3.12.5.tgz.sigstore: needs online verification" in r.out
    assert "NEEDS ONLINE VERIFICATION" in r.out and "NEEDS ONLINE VERIFICATION" not in r.err
    r = cli("verify", "3.12.5", str(tmp_path), "--legacy", "--allow-needs-online")
    assert r.code == 2 and "unrecognized arguments: --allow-needs-online" in r.err
    r = cli("verify", "3.12.5", str(tmp_path), "--legacy-identity", "hugo@python.org")
    assert r.code == 2 and "--legacy-identity and --legacy-issuer need --legacy" in r.err
    r = cli("verify", "3.12.5", str(tmp_path), "--legacy", "--legacy-identity", "hugo@python.org")
    assert r.code == 1 and "SANs do not match hugo@python.org" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("3.13.5", "/nonexistent/dir"), "is not a directory"),
        (("3.13", "."), "not a CPython release version"),
        (("3.13.5", ".", "--allowed-ref", "main"), "an allowed ref looks like"),
        (("3.13.5", ".", "--repository", "cpython"), "repository must be OWNER/NAME"),
        (("3.9.1", ".", "--legacy"), "no known release-manager identity for Python 3.9"),
        (("3.13.5", ".", "--workers", "0"), "--workers must be at least 1"),
        (("3.13.5", "ftp://example.org/x/"), "is not a directory"),
    ],
)
def test_bad_input_exits_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    r = cli("verify", *args)
    assert r.code == 2
    assert message in r.err


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_github_output_outside_actions(cli: Cli, release: Release) -> None:
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--format", "github")
    assert r.code == 2 and "--format github needs $GITHUB_OUTPUT" in r.err
    # refused before verifying anything: no report table was printed
    assert r.out == ""
    # the old spelling still works, with a warning, and is checked up front too
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--github-output")
    assert r.code == 2 and r.out == ""
    assert "--github-output is deprecated" in r.err and "use --format github" in r.err


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_the_verdict_is_printed_once(cli: Cli, release: Release) -> None:
    (release.directory / "Python-3.13.5.tar.xz").write_bytes(b"tampered")
    r = cli("verify", "3.13.5", str(release.directory), *POLICY)
    assert r.code == 1
    said = r.out + r.err
    assert said.count("Python 3.13.5: INVALID") == 1, said
    assert "3 problems," in said
    r = cli("verify", "3.13.5", str(release.directory), *POLICY, "--json")
    assert r.code == 1 and json.loads(r.out)["result"] == "invalid"
    assert "--json is deprecated" in r.err
    assert r.err.count("Python 3.13.5: INVALID") == 1


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_given_sums_file_must_exist(cli: Cli, tmp_path: Path, release: Release) -> None:
    r = cli("verify", "3.13.5", str(release.directory), "--sums", str(tmp_path / "none"))
    assert r.code == 2 and "none is not a file" in r.err


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_empty_inputs_mean_defaults_and_refs_split(cli: Cli, release: Release) -> None:
    """Workflow and action inputs arrive as strings; unset ones are empty."""
    r = cli(
        "verify",
        "3.13.5",
        str(release.directory),
        "--repository",
        "",
        "--toolkit-repository",
        TOOLKIT,
        "--allowed-ref",
        "",
        "--workflow",
        "",
        "--keyring",
        "",
        "--repo",
        "",
        "--format",
        "json",
    )
    assert r.code == 0, r.out
    assert "sign.yml@refs/heads/main or " in json.loads(r.out)["policy"]
    r = cli(
        "verify",
        "3.13.5",
        str(release.directory),
        "--toolkit-repository",
        TOOLKIT,
        "--allowed-ref",
        "refs/heads/main, refs/tags/v1.0.0",
        "--format",
        "json",
    )
    assert r.code == 0
    assert json.loads(r.out)["policy"].endswith(
        "sign.yml@refs/heads/main or https://github.com/python/cpython-release/.github/"
        "workflows/sign.yml@refs/tags/v1.0.0, source repository python/cpython, "
        "source ref refs/tags/v3.13.5, trigger workflow_dispatch"
    )


def test_no_flag_accepts_unsigned_files(cli: Cli, release314: Release) -> None:
    r = cli("verify", "3.14.1", str(release314.directory), *POLICY, "--allow-unsigned")
    assert r.code == 2 and "unrecognized arguments: --allow-unsigned" in r.err


def test_signer_keyring_names_openpgp_keys(
    cli: Cli, release: Release, release314: Release, session_gpg: GpgKey
) -> None:
    """A rehearsal's policy: the ephemeral key is the signer; every file needs its .asc."""
    keyring = str(session_gpg.keyring)
    r = cli(
        "verify", "3.13.5", str(release.directory), "--signer-keyring", keyring, "--format", "json"
    )
    report = json.loads(r.out)
    assert r.code == 0, report["problems"]
    assert report["policy"].startswith(f"OpenPGP keys in {keyring}")
    assert {f["checks"]["gpg"]["status"] for f in report["files"]} == {"ok"}
    assert {f["checks"]["sigstore"]["status"] for f in report["files"]} == {"-"}
    (release.directory / "Python-3.13.5.tgz.asc").unlink()
    r = cli("verify", "3.13.5", str(release.directory), "--signer-keyring", keyring)
    assert r.code == 1 and "FAIL: Python-3.13.5.tgz.asc: missing" in r.out
    r = cli("verify", "3.14.1", str(release314.directory), "--signer-keyring", keyring)
    assert r.code == 1
    assert "release-manifest.json: not signed: no OpenPGP signature release-manifest.json.asc" in (
        r.out
    )
    r = cli("verify", "3.14.1", str(release314.directory), "--signer-keyring", keyring, "--legacy")
    assert r.code == 2 and "name different signers" in r.err


TOOLKIT_SHA = "3" * 40


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_a_release_signed_at_the_pinned_commit_needs_that_commit_named(
    cli: Cli, ca: LocalCA, tmp_path: Path
) -> None:
    """The caller templates pin the toolkit by SHA, so a real release's certificate names
    sign.yml@<SHA>. The default policy refuses it (any SHA would admit impostor commits from
    the toolkit's fork network) and says which SHA signed and how to allow it; naming that
    SHA verifies, and only that SHA."""
    release = make_release(
        tmp_path / "r", pipeline_signer(ca, version="3.14.1", ref=TOOLKIT_SHA), version="3.14.1"
    )
    r = cli("verify", "3.14.1", str(release.directory), "--toolkit-repository", TOOLKIT)
    assert r.code == 1
    assert f"signed at commit {TOOLKIT_SHA}: check that it is a reviewed commit" in r.out + r.err
    assert f"then pass --allowed-ref {TOOLKIT_SHA}" in r.out + r.err
    r = cli("verify", "3.14.1", str(release.directory), "--toolkit-repository", TOOLKIT,
            "--allowed-ref", TOOLKIT_SHA, "--format", "json")  # fmt: skip
    assert r.code == 0, r.out
    assert f"sign.yml@{TOOLKIT_SHA}," in json.loads(r.out)["policy"]
    r = cli("verify", "3.14.1", str(release.directory), "--toolkit-repository", TOOLKIT,
            "--allowed-ref", "4" * 40)  # fmt: skip
    assert r.code == 1 and f"sign.yml@{TOOLKIT_SHA} is not allowed" in r.out + r.err


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_an_allowed_ref_of_separators_alone_is_bad_input(cli: Cli, release: Release) -> None:
    r = cli("verify", "3.13.5", str(release.directory), "--allowed-ref", " , ")
    assert r.code == 2 and "--allowed-ref ' , ' names no ref" in r.err
