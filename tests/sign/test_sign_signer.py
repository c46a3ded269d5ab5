"""The production Sigstore backend and identity plumbing, without any network."""

from __future__ import annotations

import base64
import functools
import json
import time
from pathlib import Path

import pytest
import requests

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.sign import sign_release, stage
from cpython_release.sign.signer import (
    AmbientToken,
    BundleRejected,
    SigstoreSigner,
    check_signer_ref,
    detect_ambient_token,
    identity_from_workflow_ref,
    unverified_claims,
)
from sign.sign_support import TOOLKIT, WORKFLOW_REF, Release, identity


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def fake_token(**claims: object) -> str:
    now = int(time.time())
    body = {
        "iss": "https://token.actions.githubusercontent.com",
        "aud": "sigstore",
        "sub": "repo:python/cpython:environment:release-signing",
        "iat": now,
        "exp": now + 600,
        "job_workflow_ref": WORKFLOW_REF,
        "repository": "python/cpython",
        "ref": "refs/tags/v3.13.5",
        "event_name": "workflow_dispatch",
        **claims,
    }
    return _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(body) + "."


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> object:
        raise requests.ConnectionError("network disabled in this test")

    monkeypatch.setattr(requests.Session, "send", refuse)


def test_claims_and_identity_helpers() -> None:
    assert unverified_claims(fake_token())["job_workflow_ref"] == WORKFLOW_REF
    with pytest.raises(BadInput, match="not a JWT"):
        unverified_claims("nonsense")
    assert check_signer_ref("refs/tags/v1.0.0") == "refs/tags/v1.0.0"
    assert check_signer_ref("refs/tags/v1.*") == "refs/tags/v1.*"
    # a caller that pins the reusable workflow by commit gets a certificate naming that SHA
    assert check_signer_ref("a" * 40) == "a" * 40
    for bad in ("main", "v1.0.0", "refs/heads/", "refs/pull/1/merge", "a" * 39, "A" * 40):
        with pytest.raises(BadInput):
            check_signer_ref(bad)
    got = identity_from_workflow_ref(WORKFLOW_REF, "python/cpython", TOOLKIT)
    assert got == identity()
    pinned = identity_from_workflow_ref(
        f"{TOOLKIT}/.github/workflows/sign.yml@{'a' * 40}", "python/cpython", TOOLKIT
    )
    assert pinned.allowed_refs == ("a" * 40,)
    with pytest.raises(BadInput, match="cannot take the signer ref from job_workflow_ref"):
        identity_from_workflow_ref(
            f"{TOOLKIT}/.github/workflows/sign.yml@{'a' * 12}", "python/cpython", TOOLKIT
        )
    with pytest.raises(CheckFailed, match="not the toolkit's sign"):
        identity_from_workflow_ref(
            f"{TOOLKIT}/.github/workflows/other.yml@refs/heads/main", "python/cpython", TOOLKIT
        )


def test_no_credential_outside_ci(no_ambient_identity: None) -> None:
    found = detect_ambient_token()
    assert found.token is None and "no ambient OIDC identity" in found.reason


def test_production_signer_wiring(tmp_path: Path, no_network: None) -> None:
    signer = SigstoreSigner(fake_token(), offline=True)
    assert signer.workflow_ref() == WORKFLOW_REF
    assert "token.actions.githubusercontent.com" in signer.describe()
    f = tmp_path / "f"
    f.write_bytes(b"data")
    digest = sha256_file(f)
    with pytest.raises(BundleRejected, match="failed to load bundle"):
        signer.verify(f, digest, b'{"mediaType": "nope"}', identity())
    with pytest.raises(CheckFailed, match="cannot sign f") as err:
        signer.sign(f, digest)
    assert "network disabled in this test" in str(err.value)


def test_unusable_tokens_are_bad_input() -> None:
    with pytest.raises(BadInput, match="unusable"):
        SigstoreSigner(fake_token(exp=int(time.time()) - 3600), offline=True)
    with pytest.raises(BadInput, match="unknown Sigstore instance"):
        SigstoreSigner(fake_token(), instance="nowhere", offline=True)


def test_stage_with_the_real_backend_fails_cleanly_offline(
    release: Release, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    """Ambient token found, Fulcio unreachable: exit 1, nothing written, no traceback."""
    monkeypatch.setattr(stage, "detect_ambient_token", lambda: AmbientToken(fake_token(), "test"))
    monkeypatch.setattr(stage, "SigstoreSigner", functools.partial(SigstoreSigner, offline=True))
    before = release.names()
    with pytest.raises(CheckFailed, match="4 of 4 Sigstore signatures failed") as err:
        sign_release(
            release.directory,
            release.fragments,
            identity=identity(),
            gpg=False,
            sigstore_mode="require",
        )
    assert all("network disabled" in p for p in err.value.problems)
    assert release.names() == before


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (
            {"ref": "refs/heads/main"},
            "this run started from 'refs/heads/main', not refs/tags/v3.13.5",
        ),
        ({"ref": "refs/tags/v3.13.4"}, "started from 'refs/tags/v3.13.4'"),
        ({"event_name": "push"}, "triggered by 'push', not by workflow_dispatch"),
    ],
)
def test_stage_refuses_a_run_its_signatures_would_not_verify_for(
    release: Release, monkeypatch: pytest.MonkeyPatch, claims: dict[str, str], message: str
) -> None:
    """The certificate names the run's ref and trigger; verifiers bind them to the release."""
    monkeypatch.setattr(
        stage, "detect_ambient_token", lambda: AmbientToken(fake_token(**claims), "test")
    )
    before = release.names()
    with pytest.raises(CheckFailed, match=r"refusing to sign 3\.13\.5") as err:
        sign_release(
            release.directory,
            release.fragments,
            identity=identity(),
            gpg=False,
            sigstore_mode="require",
        )
    assert message in str(err.value)
    assert release.names() == before


def test_run_binding_of_a_nightly() -> None:
    from cpython_release.sign.signer import check_run_binding
    from cpython_release.version import ReleaseVersion

    nightly = ReleaseVersion.parse("3.13.6.dev20261206", nightly=True)
    check_run_binding({"ref": "refs/heads/3.13", "event_name": "schedule"}, nightly)
    with pytest.raises(CheckFailed, match="not refs/heads/"):
        check_run_binding({"ref": "refs/tags/v3.13.5", "event_name": "schedule"}, nightly)
