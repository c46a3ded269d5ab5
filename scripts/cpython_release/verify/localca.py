"""A local, ephemeral certificate authority that imitates Fulcio for tests and rehearsals.

Real keyless bundles need a GitHub Actions OIDC token and the public-good Sigstore
instance; neither exists in a test or an offline rehearsal. :class:`LocalCA` issues
certificates that carry the same identity extensions Fulcio writes (SAN, OIDC issuer,
source repository URI, ...), and :class:`LocalSigner` signs file digests with them in the
shape of a Sigstore bundle (media type ``application/vnd.cpython-release.local-bundle+json``,
no transparency-log entry). :class:`LocalCAVerifier` is a
:class:`~cpython_release.verify.bundles.BundleVerifier` that trusts only that CA and applies
the very same identity policy objects as production (``PipelineIdentity.to_policy()``).

Nothing here is reachable from the command line: it is trusted only when a caller hands
over the CA certificate explicitly.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from cpython_release.sigstore_policy import GITHUB_ACTIONS_ISSUER, SigningIdentity
from cpython_release.verify.bundles import (
    BundleVerdict,
    describe_signer,
    policy_error,
    read_facts,
)

LOCAL_MEDIA_TYPE = "application/vnd.cpython-release.local-bundle+json;version=1"
_FULCIO = "1.3.6.1.4.1.57264.1."


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    n = len(raw)
    if n < 0x80:
        length = bytes([n])
    else:
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(body)]) + body
    return b"\x0c" + length + raw


@dataclass(frozen=True)
class Claims:
    """The identity facts a certificate carries (Fulcio's extensions)."""

    san: str  # a URI (workflow) or an e-mail address (a person)
    issuer: str = GITHUB_ACTIONS_ISSUER
    source_repository: str | None = None  # OWNER/NAME
    source_ref: str | None = None
    trigger: str | None = None  # the event that started the run (Build Trigger)

    @classmethod
    def workflow(
        cls,
        toolkit_repository: str,
        ref: str,
        repository: str,
        workflow: str = "sign.yml",
        *,
        source_ref: str | None = None,
        trigger: str = "workflow_dispatch",
    ) -> Claims:
        """sign.yml at ``ref`` in ``toolkit_repository``, called by a run of ``repository``
        at ``source_ref`` (default: ``ref``) started by ``trigger``."""
        return cls(
            san=f"https://github.com/{toolkit_repository}/.github/workflows/{workflow}@{ref}",
            source_repository=repository,
            source_ref=source_ref or ref,
            trigger=trigger,
        )


class LocalCA:
    """An ephemeral CA (ECDSA P-256), created in memory."""

    def __init__(self, name: str = "cpython-release local CA") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._key, hashes.SHA256())
        )

    def signer(self, claims: Claims) -> LocalSigner:
        """A signing key with a certificate for ``claims``."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        san: x509.GeneralName = (
            x509.RFC822Name(claims.san)
            if "@" in claims.san and "://" not in claims.san
            else x509.UniformResourceIdentifier(claims.san)
        )
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
            .add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(_FULCIO + "1"), claims.issuer.encode()
                ),
                critical=False,
            )
            .add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(_FULCIO + "8"), _der_utf8(claims.issuer)
                ),
                critical=False,
            )
        )
        if claims.source_repository:
            uri = f"https://github.com/{claims.source_repository}"
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(_FULCIO + "12"), _der_utf8(uri)),
                critical=False,
            ).add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(_FULCIO + "5"), claims.source_repository.encode()
                ),
                critical=False,
            )
        if claims.source_ref:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(_FULCIO + "14"), _der_utf8(claims.source_ref)
                ),
                critical=False,
            )
        if claims.trigger:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(_FULCIO + "20"), _der_utf8(claims.trigger)
                ),
                critical=False,
            )
        cert = builder.sign(self._key, hashes.SHA256())
        return LocalSigner(key, cert)

    def verifier(self) -> LocalCAVerifier:
        return LocalCAVerifier(self.certificate)


class LocalSigner:
    """Signs SHA-256 digests, writing bundles in Sigstore's JSON shape."""

    def __init__(self, key: Any, certificate: Any) -> None:
        self._key = key
        self.certificate = certificate

    def sign(self, sha256: str) -> bytes:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        digest = bytes.fromhex(sha256)
        signature = self._key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        bundle = {
            "mediaType": LOCAL_MEDIA_TYPE,
            "verificationMaterial": {
                "certificate": {"rawBytes": base64.b64encode(der).decode()},
                "tlogEntries": [],
            },
            "messageSignature": {
                "messageDigest": {
                    "algorithm": "SHA2_256",
                    "digest": base64.b64encode(digest).decode(),
                },
                "signature": base64.b64encode(signature).decode(),
            },
        }
        return (json.dumps(bundle, indent=2, sort_keys=True) + "\n").encode()


class LocalCAVerifier:
    """Trusts one local CA; checks chain, signature, digest and the identity policy."""

    def __init__(self, ca_certificate: Any) -> None:
        self._ca = ca_certificate

    def verify(self, sha256: str, bundle: bytes, identity: SigningIdentity) -> BundleVerdict:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        try:
            facts = read_facts(bundle)
            data = json.loads(bundle)
            signature = base64.b64decode(data["messageSignature"]["signature"], validate=True)
        except (ValueError, KeyError, TypeError) as exc:
            return BundleVerdict("invalid", f"malformed bundle: {exc}")
        signer = describe_signer(facts.certificate)
        signed = facts.signed_sha256
        if facts.media_type != LOCAL_MEDIA_TYPE or facts.certificate is None:
            return BundleVerdict("invalid", "not a bundle of the local CA", signer, signed)
        if signed is not None and signed != sha256:
            return BundleVerdict(
                "invalid", "the bundle signs a different file (digest mismatch)", signer, signed
            )
        try:
            facts.certificate.verify_directly_issued_by(self._ca)
        except (ValueError, TypeError, InvalidSignature):
            return BundleVerdict(
                "invalid", "certificate not issued by the trusted CA", signer, signed
            )
        try:
            facts.certificate.public_key().verify(
                signature, bytes.fromhex(sha256), ec.ECDSA(Prehashed(hashes.SHA256()))
            )
        except InvalidSignature:
            return BundleVerdict(
                "invalid",
                "the signature is not valid for this file's digest",
                signer,
                signed,
            )
        why = policy_error(identity, facts.certificate)
        if why:
            return BundleVerdict("invalid", f"signer identity not allowed: {why}", signer, signed)
        return BundleVerdict("ok", f"signed by {signer}", signer, signed)
