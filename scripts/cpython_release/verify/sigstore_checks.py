"""Sigstore bundle checks with sigstore-python, including bundles without an inclusion proof.

A bundle whose transparency-log entry carries an inclusion proof with a checkpoint is
verified by sigstore's public API (``Verifier.verify_artifact``), offline.

Older bundles (python.org's up to 2024) carry only the log's signed promise (SET), no
checkpoint; sigstore-python refuses to load them. Everything in them that can be checked
offline is checked here, with sigstore's own code:

1. the signed entry timestamp against the Rekor key of the trust root;
2. the certificate chain to the Fulcio root of the trust root, at the logged time;
3. the certificate's SCT, its key usage and the identity policy;
4. the signature over the artifact's digest with the certificate's key;
5. the log entry's body against the certificate, signature and digest.

Only then is the verdict "needs-online": what is missing is the inclusion proof. With
``online``, the entry is fetched from Rekor (as ``sigstore plumbing fix-bundle`` does),
put in the bundle and the repaired bundle is verified by ``verify_artifact``.

sigstore-python has no public API for steps 1-5 on such a bundle: the calls below marked
"below the public API" use sigstore's internal functions (sigstore 4.x) rather than
re-implementing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

HASHEDREKORD = ("hashedrekord", "0.0.1")


class OfflineCheckFailed(Exception):
    """One of the offline checks failed; the message says which."""


@dataclass(frozen=True)
class TrustRoot:
    """The Sigstore trust root and the Rekor instance to repair bundles from."""

    trusted_root: Any  # sigstore.models.TrustedRoot
    rekor_url: str

    @classmethod
    def production(cls, *, offline: bool) -> TrustRoot:
        from sigstore.models import ClientTrustConfig

        config = ClientTrustConfig.production(offline=offline)
        return cls(config.trusted_root, _rekor_url(config.trusted_root))

    def verifier(self) -> Any:
        from sigstore.verify import Verifier

        return Verifier(trusted_root=self.trusted_root)


def _rekor_url(trusted_root: Any) -> str:
    # below the public API: the trust root's first transparency log, as Verifier does
    tlogs = trusted_root._inner.tlogs
    return str(tlogs[0].base_url) if tlogs else "https://rekor.sigstore.dev"


def parse_raw(bundle: bytes) -> Any:
    """The bundle as sigstore's protobuf model, without sigstore's client invariants
    (which refuse a bundle without a checkpoint)."""
    from sigstore_models.bundle.v1 import Bundle as RawBundle

    return RawBundle.from_json(bundle)


def leaf_certificate(raw: Any) -> Any:
    from cryptography.x509 import load_der_x509_certificate

    material = raw.verification_material
    if material.certificate is not None:
        return load_der_x509_certificate(material.certificate.raw_bytes)
    chain = material.x509_certificate_chain
    if chain is None or not chain.certificates:
        raise OfflineCheckFailed("no signing certificate")
    return load_der_x509_certificate(chain.certificates[0].raw_bytes)


def check_offline(raw: Any, sha256: str, policy: Any, root: TrustRoot) -> None:
    """Steps 1-5 above; raises :class:`OfflineCheckFailed` naming the first failure."""
    from cryptography.exceptions import InvalidSignature
    from sigstore.errors import Error as SigstoreError

    entries = raw.verification_material.tlog_entries
    if len(entries) != 1:
        raise OfflineCheckFailed(f"expected exactly one transparency-log entry, got {len(entries)}")
    entry = entries[0]
    kind = (entry.kind_version.kind, entry.kind_version.version)
    if kind != HASHEDREKORD:
        raise OfflineCheckFailed(f"unsupported log entry type {kind[0]}/{kind[1]}")
    if raw.message_signature is None:
        raise OfflineCheckFailed("no message signature")
    if entry.inclusion_promise is None or not entry.integrated_time:
        raise OfflineCheckFailed("the log entry has neither an inclusion proof nor a promise")
    cert = leaf_certificate(raw)
    try:
        _check_set(entry, root)
        when = datetime.fromtimestamp(int(entry.integrated_time), tz=UTC)
        chain = _check_chain(cert, when, root)
        _check_certificate(cert, chain, policy, root)
        _check_signature(cert, raw.message_signature.signature, sha256)
        _check_entry_body(entry, cert, raw.message_signature.signature, sha256)
    except InvalidSignature:
        raise OfflineCheckFailed("the signature is not valid for this file's digest") from None
    except SigstoreError as exc:
        raise OfflineCheckFailed(str(exc)) from None


def _check_set(entry: Any, root: TrustRoot) -> None:
    """1. The Rekor key signed this entry (its promise to include it)."""
    from sigstore._internal.trust import KeyringPurpose
    from sigstore.models import TransparencyLogEntry

    # below the public API: TransparencyLogEntry's constructor insists on a checkpoint;
    # its SET check (_verify_set) is what sigstore runs for the promise.
    log_entry = object.__new__(TransparencyLogEntry)
    log_entry._inner = entry
    log_entry._verify_set(root.trusted_root.rekor_keyring(KeyringPurpose.VERIFY))


def _check_chain(cert: Any, when: datetime, root: TrustRoot) -> list[Any]:
    """2. The certificate chains to a Fulcio root of the trust root, valid at ``when``."""
    from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult

    # below the public API: Verifier._verify_chain_at_time, sigstore's own path validation
    result = TimestampVerificationResult(source=TimestampSource.TRANSPARENCY_SERVICE, time=when)
    chain: list[Any] = root.verifier()._verify_chain_at_time(cert, result)
    return chain


def _check_certificate(cert: Any, chain: list[Any], policy: Any, root: TrustRoot) -> None:
    """3. SCT, the Sigstore X.509 profile, and the identity policy."""
    from cryptography.x509 import ExtendedKeyUsage, KeyUsage
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from sigstore._internal.sct import verify_sct
    from sigstore._internal.trust import KeyringPurpose
    from sigstore.errors import VerificationError

    # below the public API: sigstore's SCT check, as in Verifier._verify_common_signing_cert
    verify_sct(cert, chain, root.trusted_root.ct_keyring(KeyringPurpose.VERIFY))
    if not cert.extensions.get_extension_for_class(KeyUsage).value.digital_signature:
        raise VerificationError("key usage is not digital signature")
    if (
        ExtendedKeyUsageOID.CODE_SIGNING
        not in cert.extensions.get_extension_for_class(ExtendedKeyUsage).value
    ):
        raise VerificationError("extended key usage does not contain code signing")
    policy.verify(cert)


def hashed(sha256: str) -> Any:
    from sigstore.hashes import Hashed
    from sigstore_models.common.v1 import HashAlgorithm

    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256))


def _check_signature(cert: Any, signature: bytes, sha256: str) -> None:
    """4. The certificate's key signed this digest (what verify_artifact checks)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    digest = hashed(sha256)
    cert.public_key().verify(signature, digest.digest, ec.ECDSA(digest._as_prehashed()))


def _check_entry_body(entry: Any, cert: Any, signature: bytes, sha256: str) -> None:
    """5. The logged entry is this certificate, this signature and this digest."""
    import rekor_types
    from sigstore._internal.rekor import _hashedrekord_from_parts
    from sigstore.errors import VerificationError

    # below the public API: the body sigstore itself would log for these parts
    expected = _hashedrekord_from_parts(cert, signature, hashed(sha256))
    actual = rekor_types.Hashedrekord.model_validate_json(entry.canonicalized_body)
    if expected != actual:
        raise VerificationError("the transparency-log entry is for other materials")


def repair(raw: Any, root: TrustRoot) -> Any:
    """The bundle with its log entry fetched from Rekor (inclusion proof and checkpoint),
    as sigstore's ``plumbing fix-bundle`` does; a :class:`sigstore.models.Bundle`."""
    from sigstore._internal.rekor.client import RekorClient
    from sigstore.models import Bundle

    # below the public API: RekorClient is sigstore's internal Rekor client
    entry = raw.verification_material.tlog_entries[0]
    fetched = RekorClient(root.rekor_url).log.entries.get(log_index=int(entry.log_index))
    raw.verification_material.tlog_entries = [fetched._inner]
    return Bundle.from_json(raw.to_json())
