"""Sigstore signing behind a small interface.

The sign stage talks to Sigstore only through :class:`SigstoreBackend`: sign one file's
digest, and verify one bundle against the identity policy the release will be checked with.
Production uses :class:`SigstoreSigner` (sigstore-python's ``Signer`` with the ambient OIDC
identity of a GitHub Actions job); tests drive the stage with a double.

There is no interactive flow: with no ambient identity, :func:`detect_ambient_token` says why
and the stage decides (``--sigstore auto`` skips loudly, ``require`` stops).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Protocol

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import FileDigest
from cpython_release.sigstore_policy import SIGN_WORKFLOW_PATH, PipelineIdentity
from cpython_release.version import ReleaseVersion

SIGSTORE_CLIENT_ID = "sigstore"  # the OIDC audience Fulcio expects
INSTANCES = ("production", "staging")


class BundleRejected(Exception):
    """A freshly made bundle does not verify against the release's identity policy."""


class SigstoreBackend(Protocol):
    """What the sign stage needs from Sigstore. Implementations must be thread-safe."""

    def describe(self) -> str:
        """Who signs, in words (for logs and the step summary)."""
        ...

    def workflow_ref(self) -> str | None:
        """The signing workflow as ``OWNER/REPO/PATH@REF`` when known (the token's
        ``job_workflow_ref`` claim), so a wrong identity is caught before anything is signed."""
        ...

    def sign(self, path: Path, digest: FileDigest) -> bytes:
        """Sign the file whose bytes have ``digest``; return the bundle's JSON."""
        ...

    def verify(
        self, path: Path, digest: FileDigest, bundle: bytes, identity: PipelineIdentity
    ) -> None:
        """Raise :class:`BundleRejected` unless ``bundle`` signs ``digest`` as ``identity``."""
        ...


@dataclass(frozen=True)
class AmbientToken:
    """An ambient OIDC token, or the reason there is none."""

    token: str | None
    reason: str

    @property
    def claims(self) -> dict[str, Any]:
        return unverified_claims(self.token) if self.token else {}


def unverified_claims(token: str) -> dict[str, Any]:
    """The JWT payload, unverified: only for early, friendly checks (Fulcio verifies)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError, binascii.Error):
        raise BadInput("the ambient OIDC token is not a JWT") from None
    if not isinstance(data, dict):
        raise BadInput("the ambient OIDC token's payload is not a JSON object")
    return data


def detect_ambient_token() -> AmbientToken:
    """Ask sigstore-python for an ambient credential (GitHub Actions and other CI)."""
    from sigstore.oidc import IdentityError, detect_credential

    try:
        token = detect_credential(SIGSTORE_CLIENT_ID)
    except IdentityError as exc:
        # Inside Actions without ``id-token: write`` this says exactly that.
        return AmbientToken(
            None,
            f"ambient credential detection failed: {exc} (inside GitHub Actions the job "
            "needs `permissions: id-token: write`)",
        )
    if not token:
        return AmbientToken(
            None,
            "no ambient OIDC identity (not a GitHub Actions job with `id-token: write`); "
            "keyless Sigstore signing only works inside the sign workflow",
        )
    return AmbientToken(token, "ambient OIDC identity found")


def workflow_uri(workflow_ref: str) -> str:
    """``OWNER/REPO/.github/workflows/sign.yml@REF`` -> the certificate SAN."""
    return f"https://github.com/{workflow_ref}"


def check_signing_identity(backend: SigstoreBackend, identity: PipelineIdentity) -> None:
    """Fail before signing when this job cannot produce bundles ``identity`` accepts."""
    ref = backend.workflow_ref()
    if ref is None:
        return
    if not identity.allows_signer(workflow_uri(ref)):
        raise CheckFailed(
            "this job would sign as a workflow the release will not be verified against",
            [f"signer: {workflow_uri(ref)}", f"expected: {identity.describe()}"],
        )


def identity_from_workflow_ref(
    workflow_ref: str, repository: str, toolkit_repository: str
) -> PipelineIdentity:
    """The identity when no signer ref was pinned: the ref of this very run of sign.yml.

    The toolkit repository and workflow path must still be the expected ones.
    """
    path, sep, ref = workflow_ref.partition("@")
    expected = f"{toolkit_repository}/{SIGN_WORKFLOW_PATH}"
    if not sep or path != expected:
        raise CheckFailed(
            "the signing workflow is not the toolkit's sign.yml",
            [f"job_workflow_ref: {workflow_ref}", f"expected: {expected}@<ref>"],
        )
    try:
        return PipelineIdentity(repository, toolkit_repository, (ref,))
    except BadInput as exc:  # e.g. sign.yml called by commit SHA: the policy needs a ref
        raise BadInput(
            f"cannot take the signer ref from job_workflow_ref {workflow_ref!r}: {exc}"
        ) from None


def check_signer_ref(ref: str) -> str:
    """A ref of sign.yml as the certificate names it: ``refs/heads/X`` or ``refs/tags/X``
    (patterns like ``refs/tags/v*`` allowed), or the full commit SHA a caller pinned the
    workflow to. Short names and short SHAs are ambiguous."""
    if ref.startswith(("refs/heads/", "refs/tags/")) and len(ref.split("/", 2)[2]) > 0:
        return ref
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        return ref
    raise BadInput(
        f"signer ref {ref!r} must be refs/heads/NAME, refs/tags/NAME or a full commit SHA "
        "(the certificate names the full ref)"
    )


@dataclass(frozen=True)
class ExpectedSigner:
    """What the command line says about the signing identity, before the manifest is read.

    ``repository`` defaults to the manifest's; with no ``refs`` the ref is taken from the
    signer's own ``job_workflow_ref`` (the path must still be the toolkit's sign.yml).
    """

    toolkit_repository: str
    refs: tuple[str, ...] = ()
    repository: str | None = None

    def resolve(
        self, manifest_repository: str, backend: SigstoreBackend
    ) -> tuple[PipelineIdentity, str]:
        """The policy, and a note on where its ref came from."""
        repository = self.repository or manifest_repository
        if self.refs:
            refs = tuple(check_signer_ref(r) for r in self.refs)
            return PipelineIdentity(repository, self.toolkit_repository, refs), "pinned"
        ref = backend.workflow_ref()
        if ref is None:
            raise BadInput(
                "no signer ref given and the signer does not name its workflow; "
                "pass --signer-ref refs/tags/vX.Y.Z"
            )
        identity = identity_from_workflow_ref(ref, repository, self.toolkit_repository)
        return identity, f"signer ref {identity.allowed_refs[0]} taken from job_workflow_ref"


def _hashed(digest: FileDigest) -> Any:
    from sigstore.hashes import Hashed
    from sigstore_models.common.v1 import HashAlgorithm

    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest.sha256))


class SigstoreSigner:
    """Production backend: sigstore-python with an ambient identity token.

    Creating it refreshes Sigstore's TUF trust root (network; ``offline=True`` uses the
    cached or bundled root instead); that failure is reported as such. The Fulcio
    certificate is requested once, on first use, and reused for every file.
    """

    def __init__(self, token: str, *, instance: str = "production", offline: bool = False) -> None:
        from sigstore.errors import Error as SigstoreError
        from sigstore.models import ClientTrustConfig
        from sigstore.oidc import IdentityError, IdentityToken
        from sigstore.sign import SigningContext
        from sigstore.verify import Verifier

        if instance not in INSTANCES:
            raise BadInput(f"unknown Sigstore instance {instance!r}; use one of {INSTANCES}")
        try:
            self._token = IdentityToken(token, SIGSTORE_CLIENT_ID)
        except IdentityError as exc:
            raise BadInput(f"the ambient OIDC token is unusable: {exc}") from None
        self._claims = unverified_claims(token)
        try:
            config = (
                ClientTrustConfig.production(offline=offline)
                if instance == "production"
                else ClientTrustConfig.staging(offline=offline)
            )
        except SigstoreError as exc:
            raise CheckFailed(
                f"cannot load the Sigstore {instance} trust root (network?)", [str(exc)]
            ) from None
        self._instance = instance
        self._context = SigningContext.from_trust_config(config)
        self._verifier = Verifier(trusted_root=config.trusted_root)
        self._signer: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        who = self._claims.get("job_workflow_ref") or self._claims.get("sub") or "?"
        return f"{who} (issuer {self._claims.get('iss', '?')}, Sigstore {self._instance})"

    def workflow_ref(self) -> str | None:
        ref = self._claims.get("job_workflow_ref")
        return ref if isinstance(ref, str) else None

    def _get_signer(self) -> Any:
        from sigstore.sign import Signer

        with self._lock:
            if self._signer is None:
                self._signer = Signer(self._token, self._context, cache=True)
            return self._signer

    def sign(self, path: Path, digest: FileDigest) -> bytes:
        from sigstore.errors import Error as SigstoreError
        from sigstore.oidc import ExpiredIdentity

        try:
            bundle = self._get_signer().sign_artifact(_hashed(digest))
        except ExpiredIdentity:
            raise CheckFailed(f"cannot sign {path.name}: the OIDC token expired") from None
        except SigstoreError as exc:
            raise CheckFailed(f"cannot sign {path.name}", [exc.diagnostics()]) from None
        except Exception as exc:  # Fulcio/Rekor client and network errors are not Errors
            raise CheckFailed(
                f"cannot sign {path.name}", [f"{type(exc).__name__}: {exc}"]
            ) from None
        text: str = bundle.to_json()
        return text.encode("utf-8")

    def verify(
        self, path: Path, digest: FileDigest, bundle: bytes, identity: PipelineIdentity
    ) -> None:
        from sigstore.errors import Error as SigstoreError
        from sigstore.models import Bundle

        try:
            parsed = Bundle.from_json(bundle)
            self._verifier.verify_artifact(
                _hashed(digest),
                parsed,
                identity.to_policy(),  # type: ignore[arg-type]
            )
        except SigstoreError as exc:
            raise BundleRejected(str(exc)) from None
        except ValueError as exc:  # malformed bundle JSON
            raise BundleRejected(f"malformed bundle: {exc}") from None


def check_run_binding(claims: dict[str, Any], version: ReleaseVersion) -> None:
    """Refuse to sign what verifiers will refuse: the run must start from the release's tag
    by one of the release workflow's triggers (a nightly: from a branch, scheduled or
    dispatched), because the certificate names the run's ref and trigger and the policy
    (``PipelineIdentity.bound_to``) requires them."""
    bound = PipelineIdentity("o/r", "o/r", ("refs/heads/main",)).bound_to(version)
    ref, event = claims.get("ref"), claims.get("event_name")
    want = bound.source_ref or ""
    if not isinstance(ref, str) or not (ref == want or ("*" in want and fnmatchcase(ref, want))):
        raise CheckFailed(
            f"refusing to sign {version}: this run started from {ref!r}, not {want}",
            [
                "the signatures would never verify: dispatch the release workflow from its tag "
                "(Run workflow -> Use workflow from -> Tags)"
                if not version.is_nightly
                else "nightlies are signed from their branch"
            ],
        )
    if event not in bound.triggers:
        raise CheckFailed(
            f"refusing to sign {version}: this run was triggered by {event!r}, not by "
            f"{' or '.join(bound.triggers)}"
        )


def check_toolkit_commit(claims: dict[str, Any], checkout: Path) -> str:
    """The toolkit code running here must be the commit the sign workflow was loaded from.

    sign.yml checks its checkout out at ``job.workflow_sha`` and compares the two in a
    workflow step before anything is installed. This is the second, independent check, against
    the OIDC token's ``job_workflow_sha`` claim (what GitHub loaded sign.yml from, and what the
    certificate will name): a mismatch means the job runs other code, and nothing is signed.
    """
    import subprocess

    expected = claims.get("job_workflow_sha")
    if not isinstance(expected, str) or not re.fullmatch(r"[0-9a-f]{40}", expected):
        raise CheckFailed(
            "the OIDC token carries no job_workflow_sha claim to check the toolkit checkout against"
        )
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if done.returncode:
        raise BadInput(
            f"--toolkit-checkout {checkout} is not a git checkout: {done.stderr.strip()}"
        )
    actual = done.stdout.strip()
    if actual != expected:
        raise CheckFailed(
            "the toolkit checked out for this job is not the commit its workflow came from",
            [
                f"toolkit checkout {checkout}: {actual}",
                f"job_workflow_sha (what GitHub loaded sign.yml from): {expected}",
                "sign.yml checks out job.workflow_sha; a different checkout is not the toolkit "
                "the certificate names",
            ],
        )
    return actual
