"""Sigstore bundles behind a small interface, verified by digest and offline by default.

:class:`BundleVerifier` is all the verify stage needs: given a file's SHA-256 and a bundle,
say whether the bundle signs that digest as an identity the policy allows. Production uses
:class:`SigstoreBundleVerifier` (sigstore-python's ``Verifier``); tests and rehearsals may
pass another implementation (see :mod:`cpython_release.verify.localca`).

There are three verdicts, never an exception:

- ``ok``: the signature, certificate chain, transparency-log proof and identity all check out;
- ``invalid``: something does not (the message says what);
- ``needs-online``: the bundle's log entry has no inclusion proof with a checkpoint (older
  python.org bundles). Before saying so, everything that can be checked offline is checked
  (:mod:`cpython_release.verify.sigstore_checks`: the log's signed promise, the chain to the
  Fulcio root, the signature over the digest), so a forged bundle is invalid. It is a
  failure: only ``offline=False``, which fetches the proof from Rekor, can make it ``ok``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cpython_release.errors import BadInput
from cpython_release.sigstore_policy import SigningIdentity, certificate_sans

if TYPE_CHECKING:
    from cpython_release.verify.sigstore_checks import TrustRoot

Status = Literal["ok", "invalid", "needs-online"]


@dataclass(frozen=True)
class BundleVerdict:
    status: Status
    message: str
    signer: str | None = None  # the certificate's identity, when it could be read
    signed_sha256: str | None = None  # the digest the bundle says it signs (unverified)


class BundleVerifier(Protocol):
    """Verify one bundle for one file digest. Implementations never raise for bad bundles."""

    def verify(self, sha256: str, bundle: bytes, identity: SigningIdentity) -> BundleVerdict: ...


@dataclass(frozen=True)
class BundleFacts:
    """What a bundle says about itself, read without verifying anything."""

    media_type: str
    signed_sha256: str | None
    certificate: Any  # cryptography x509.Certificate, or None
    has_checkpoint: bool
    tlog_entries: int


def read_facts(bundle: bytes) -> BundleFacts:
    """Parse the bundle JSON far enough to describe it; ``ValueError`` if it is not a bundle."""
    try:
        return _read_facts(bundle)
    except (TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"unexpected structure ({type(exc).__name__}: {exc})") from None


def _read_facts(bundle: bytes) -> BundleFacts:
    from cryptography import x509

    try:
        data = json.loads(bundle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("verificationMaterial"), dict):
        raise ValueError("not a Sigstore bundle (no verificationMaterial)")
    media_type = str(data.get("mediaType", ""))
    material = data["verificationMaterial"]
    signed: str | None = None
    msg = data.get("messageSignature")
    if isinstance(msg, dict) and isinstance(msg.get("messageDigest"), dict):
        try:
            signed = base64.b64decode(msg["messageDigest"].get("digest", ""), validate=True).hex()
        except (binascii.Error, TypeError):
            raise ValueError("the bundle's message digest is not base64") from None
    raw_cert: str | None = None
    if isinstance(material.get("certificate"), dict):
        raw_cert = material["certificate"].get("rawBytes")
    elif isinstance(material.get("x509CertificateChain"), dict):
        certs = material["x509CertificateChain"].get("certificates") or [{}]
        raw_cert = certs[0].get("rawBytes") if isinstance(certs[0], dict) else None
    cert = None
    if isinstance(raw_cert, str):
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(raw_cert))
        except (ValueError, binascii.Error):
            raise ValueError("the bundle's signing certificate is not readable") from None
    entries = material.get("tlogEntries") or []
    has_checkpoint = bool(entries) and all(
        isinstance(e, dict)
        and isinstance(e.get("inclusionProof"), dict)
        and bool(e["inclusionProof"].get("checkpoint"))
        for e in entries
    )
    return BundleFacts(media_type, signed, cert, has_checkpoint, len(entries))


def describe_signer(cert: Any) -> str | None:
    if cert is None:
        return None
    sans = sorted(certificate_sans(cert))
    return ", ".join(sans) if sans else None


def policy_error(identity: SigningIdentity, cert: Any) -> str | None:
    """Apply the identity policy to a certificate; the reason it fails, or None."""
    from sigstore.errors import VerificationError

    try:
        identity.to_policy().verify(cert)  # type: ignore[attr-defined]
    except VerificationError as exc:
        return str(exc)
    return None


class SigstoreBundleVerifier:
    """Production: sigstore-python against the public-good instance.

    ``offline=True`` (the default) uses the trust root shipped with sigstore-python (or the
    local TUF cache) and never touches the network: a bundle without an inclusion proof is
    checked as far as it can be offline and then "needs-online" (a failure).
    ``offline=False`` refreshes the trust root and fetches missing inclusion proofs from
    Rekor (see :mod:`cpython_release.verify.sigstore_checks`). ``root`` replaces the
    public-good trust root and Rekor (tests).
    """

    def __init__(self, *, offline: bool = True, root: TrustRoot | None = None) -> None:
        self.offline = offline
        self._root = root

    def _get(self) -> TrustRoot:
        if self._root is None:
            from sigstore.errors import Error as SigstoreError

            from cpython_release.verify.sigstore_checks import TrustRoot

            try:
                self._root = TrustRoot.production(offline=self.offline)
            except SigstoreError as exc:
                mode = "offline" if self.offline else "online"
                raise BadInput(f"cannot load the Sigstore trust root ({mode}): {exc}") from None
        return self._root

    def prepare(self) -> None:
        """Import sigstore and load the trust root now (verify() would do it on first use)."""
        self._get()

    def verify(self, sha256: str, bundle: bytes, identity: SigningIdentity) -> BundleVerdict:
        try:
            return self._verify(sha256, bundle, identity)
        except BadInput:
            raise
        except Exception as exc:  # a verdict, never a crash, whatever the bundle holds
            return BundleVerdict("invalid", f"cannot verify bundle: {type(exc).__name__}: {exc}")

    def _verify(self, sha256: str, bundle: bytes, identity: SigningIdentity) -> BundleVerdict:
        try:
            facts = read_facts(bundle)
        except ValueError as exc:
            return BundleVerdict("invalid", f"malformed bundle: {exc}")
        signer = describe_signer(facts.certificate)
        signed = facts.signed_sha256
        if signed is not None and signed != sha256:
            return BundleVerdict(
                "invalid", "the bundle signs a different file (digest mismatch)", signer, signed
            )
        if facts.certificate is not None:
            # Checked before trust is established: this can only reject, never accept.
            why = policy_error(identity, facts.certificate)
            if why:
                return BundleVerdict(
                    "invalid", f"signer identity not allowed: {why}", signer, signed
                )
        if facts.certificate is None:
            return BundleVerdict("invalid", "malformed bundle: no signing certificate")
        if signed is None:
            return BundleVerdict("invalid", "malformed bundle: no message signature", signer)
        if not facts.tlog_entries:
            return BundleVerdict(
                "invalid", "malformed bundle: no transparency-log entry", signer, signed
            )
        if facts.has_checkpoint:
            return self._verify_fully(sha256, bundle, identity, signer, signed)
        return self._verify_without_proof(sha256, bundle, identity, signer, signed)

    def _verify_without_proof(
        self,
        sha256: str,
        bundle: bytes,
        identity: SigningIdentity,
        signer: str | None,
        signed: str | None,
    ) -> BundleVerdict:
        from cpython_release.verify import sigstore_checks

        root = self._get()
        try:
            raw = sigstore_checks.parse_raw(bundle)
            sigstore_checks.check_offline(raw, sha256, identity.to_policy(), root)
        except sigstore_checks.OfflineCheckFailed as exc:
            return BundleVerdict("invalid", f"forged or damaged bundle: {exc}", signer, signed)
        if self.offline:
            return BundleVerdict(
                "needs-online",
                "needs online verification: signature, certificate chain to the Fulcio root "
                "and the log's signed promise verified offline, but the bundle has no "
                "inclusion proof; run with --online to fetch it from Rekor (not verified)",
                signer,
                signed,
            )
        try:
            repaired = sigstore_checks.repair(raw, root)
        except Exception as exc:  # the network, Rekor's answer: stays unverified
            return BundleVerdict(
                "needs-online",
                f"could not fetch the inclusion proof from Rekor ({type(exc).__name__}: {exc}); "
                "not verified",
                signer,
                signed,
            )
        return self._verify_fully(sha256, repaired, identity, signer, signed)

    def _verify_fully(
        self,
        sha256: str,
        bundle: Any,
        identity: SigningIdentity,
        signer: str | None,
        signed: str | None,
    ) -> BundleVerdict:
        """sigstore's ``verify_artifact``; ``bundle`` is JSON bytes or a parsed Bundle."""
        from sigstore.errors import Error as SigstoreError
        from sigstore.models import Bundle

        from cpython_release.verify.sigstore_checks import hashed

        verifier = self._get().verifier()
        try:
            parsed = bundle if isinstance(bundle, Bundle) else Bundle.from_json(bundle)
            verifier.verify_artifact(hashed(sha256), parsed, identity.to_policy())
        except SigstoreError as exc:
            text = str(exc)
            if "message digest mismatch" in text:
                text = f"the bundle signs a different file ({text})"
            elif "Signature is invalid" in text:
                text = f"the signature is not valid for this file's digest ({text})"
            return BundleVerdict("invalid", text, signer, signed)
        except Exception as exc:  # malformed input deep inside the bundle: never crash
            return BundleVerdict(
                "invalid", f"cannot verify bundle: {type(exc).__name__}: {exc}", signer, signed
            )
        return BundleVerdict("ok", f"signed by {signer or 'the allowed identity'}", signer, signed)
