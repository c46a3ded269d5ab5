"""Who may sign a release: the Sigstore identity policies that sign and verify share.

Pipeline releases are signed inside this project's ``sign.yml`` reusable workflow. The Fulcio
certificate's SAN is that workflow's own path and ref (``job_workflow_ref``), while the
Source Repository extensions name the calling repository. A release is valid when:

- the issuer is GitHub Actions;
- the SAN is ``https://github.com/<toolkit>/.github/workflows/sign.yml@<ref>`` for an allowed ref;
- the source repository is the expected one (``python/cpython``, or a fork for rehearsals);
- the run is bound to the release: for a release the Source Repository Ref is
  ``refs/tags/v{version}`` and the trigger one of the release workflow's
  (``workflow_dispatch``); a nightly (``X.Y.Z.devYYYYMMDD``) is signed from a branch
  (``refs/heads/*``) by a scheduled or dispatched run. So a nightly never verifies as a
  release, nor a release as a nightly, nor one release as another.

An allowed ref may be a shell-style pattern (``refs/tags/v*``); ``*`` never matches ``@``.

Historical releases were signed by the release managers' personal identities; the legacy
policy checks those per minor version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cpython_release.errors import BadInput

if TYPE_CHECKING:
    from cpython_release.version import ReleaseVersion

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
SIGN_WORKFLOW = "sign.yml"
SIGN_WORKFLOW_PATH = f".github/workflows/{SIGN_WORKFLOW}"

# Release managers' personal identities, per minor version (signing.md).
LEGACY_IDENTITIES: dict[str, tuple[str, str]] = {
    "3.10": ("pablogsal@python.org", "https://accounts.google.com"),
    "3.11": ("pablogsal@python.org", "https://accounts.google.com"),
    "3.12": ("thomas@python.org", "https://accounts.google.com"),
    "3.13": ("thomas@python.org", "https://accounts.google.com"),
    "3.14": ("hugo@python.org", "https://github.com/login/oauth"),
    "3.15": ("hugo@python.org", "https://github.com/login/oauth"),
    "3.16": ("savannah@python.org", "https://github.com/login/oauth"),
    "3.17": ("savannah@python.org", "https://github.com/login/oauth"),
}

# The callers' workflow triggers (workflows/release.yml, workflows/nightly.yml): the Build
# Trigger extension of the certificate is the event that started the caller's run.
RELEASE_TRIGGERS = ("workflow_dispatch",)
NIGHTLY_TRIGGERS = ("schedule", "workflow_dispatch")
NIGHTLY_SOURCE_REF = "refs/heads/*"
_SOURCE_REF_OID = "1.3.6.1.4.1.57264.1.14"
_BUILD_TRIGGER_OID = "1.3.6.1.4.1.57264.1.20"

# An allowed ref of sign.yml: a full ref (patterns allowed), or the full commit SHA a caller
# pinned the workflow to (a reusable workflow called as ``...@<sha>`` gets a certificate
# naming that SHA). Never "any SHA": GitHub resolves ``owner/repo@<sha>`` across the whole
# fork network, so an impostor commit (a sign.yml without the protected environment) would
# carry the toolkit's name; and old commits of the toolkit had weaker sign.yml files.
_SHA_RE = re.compile(r"[0-9a-f]{40}")
_REF_RE = re.compile(rf"refs/[A-Za-z0-9._/*+-]+|{_SHA_RE.pattern}")
_WORKFLOW_RE = re.compile(r"[A-Za-z0-9._-]+\.ya?ml")


def certificate_sans(cert: Any) -> set[str]:
    """Every e-mail, URI and Sigstore "other name" SAN of an X.509 certificate."""
    from cryptography.x509 import (
        ExtensionNotFound,
        ObjectIdentifier,
        OtherName,
        RFC822Name,
        SubjectAlternativeName,
        UniformResourceIdentifier,
    )

    try:
        san = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
    except ExtensionNotFound:
        return set()
    out: set[str] = set(san.get_values_for_type(RFC822Name))
    out.update(san.get_values_for_type(UniformResourceIdentifier))
    other = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
    out.update(
        on.value.decode(errors="replace")
        for on in san.get_values_for_type(OtherName)
        if on.type_id == other
    )
    return out


class AllowedSigner:
    """A sigstore ``VerificationPolicy``: the SAN is one of the allowed signer URIs.

    sigstore's own ``AnyOf`` of ``Identity`` policies only says "0 of N policies succeeded";
    this names the signer that was found and the ones that were allowed.
    """

    def __init__(self, identity: PipelineIdentity) -> None:
        self._identity = identity

    def verify(self, cert: Any) -> None:
        from sigstore.errors import VerificationError

        sans = certificate_sans(cert)
        if not any(self._identity.allows_signer(s) for s in sans):
            found = ", ".join(sorted(sans)) or "none"
            allowed = " or ".join(self._identity.signer_uris())
            hint = "--allowed-ref names the refs of the signing workflow that may sign"
            pinned = [s.rsplit("@", 1)[1] for s in sans if _SHA_RE.fullmatch(s.rsplit("@", 1)[-1])]
            if pinned:
                hint = (
                    f"signed at commit {pinned[0]}: check that it is a reviewed commit of "
                    f"{self._identity.toolkit_repository} (on its main branch or a release "
                    f"tag), then pass --allowed-ref {pinned[0]}"
                )
            raise VerificationError(f"signer {found} is not allowed (allowed: {allowed}; {hint})")


def certificate_extension(cert: Any, oid: str) -> str | None:
    """A Fulcio extension's text (DER UTF8String, as sigstore's V2 policies read it)."""
    from cryptography.hazmat import asn1
    from cryptography.x509 import ExtensionNotFound, ObjectIdentifier

    try:
        ext = cert.extensions.get_extension_for_oid(ObjectIdentifier(oid)).value
    except ExtensionNotFound:
        return None
    try:
        return str(asn1.decode_der(str, ext.value))
    except ValueError:
        return None


class ReleaseBinding:
    """A sigstore ``VerificationPolicy``: the certificate's source ref and trigger are the
    ones the identity binds the release to."""

    def __init__(self, identity: PipelineIdentity) -> None:
        self._identity = identity

    def verify(self, cert: Any) -> None:
        from sigstore.errors import VerificationError

        want = self._identity.source_ref or ""
        ref = certificate_extension(cert, _SOURCE_REF_OID)
        if ref is None or not (ref == want or ("*" in want and fnmatchcase(ref, want))):
            raise VerificationError(
                f"signed from source ref {ref or 'none'}, not {want} "
                "(a signature is bound to the ref of the run that made it)"
            )
        trigger = certificate_extension(cert, _BUILD_TRIGGER_OID)
        if trigger not in self._identity.triggers:
            raise VerificationError(
                f"signed by a run triggered by {trigger or 'nothing named'}, not by "
                f"{' or '.join(self._identity.triggers)}"
            )


@dataclass(frozen=True)
class PipelineIdentity:
    """The identity a pipeline-signed release must carry."""

    repository: str  # the source repository, e.g. "python/cpython"
    toolkit_repository: str  # the repository whose sign.yml signed, e.g. "python/release-pipeline"
    allowed_refs: tuple[str, ...]  # refs of sign.yml, e.g. ("refs/tags/v1.0.0", "refs/heads/main")
    issuer: str = GITHUB_ACTIONS_ISSUER
    workflow: str = SIGN_WORKFLOW  # the signing workflow's file name in .github/workflows/
    # What binds a signature to one release (see bound_to); verify_release always sets them.
    source_ref: str | None = None  # the Source Repository Ref (``refs/heads/*`` patterns ok)
    triggers: tuple[str, ...] = ()  # the allowed Build Triggers (event names)

    kind = "pipeline"

    def bound_to(self, version: ReleaseVersion) -> PipelineIdentity:
        """This identity for ``version``: its tag and the release trigger, or (a nightly)
        a branch and the nightly triggers."""
        if version.is_nightly:
            return replace(self, source_ref=NIGHTLY_SOURCE_REF, triggers=NIGHTLY_TRIGGERS)
        return replace(self, source_ref=f"refs/tags/v{version}", triggers=RELEASE_TRIGGERS)

    def __post_init__(self) -> None:
        for repo in (self.repository, self.toolkit_repository):
            if repo.count("/") != 1 or not all(repo.split("/")):
                raise BadInput(f"repository must be OWNER/NAME, got {repo!r}")
        if not self.allowed_refs:
            raise BadInput("at least one allowed ref of sign.yml is required")
        for ref in self.allowed_refs:
            if not _REF_RE.fullmatch(ref):
                raise BadInput(
                    "an allowed ref looks like refs/tags/v1.0, refs/heads/* or a full commit "
                    f"SHA, got {ref!r}"
                )
        if not _WORKFLOW_RE.fullmatch(self.workflow):
            raise BadInput(
                f"the signing workflow is a file name like sign.yml, got {self.workflow!r}"
            )

    @property
    def workflow_path(self) -> str:
        return f".github/workflows/{self.workflow}"

    def signer_uris(self) -> list[str]:
        return [
            f"https://github.com/{self.toolkit_repository}/{self.workflow_path}@{ref}"
            for ref in self.allowed_refs
        ]

    def allows_signer(self, uri: str) -> bool:
        """Whether ``uri`` (a certificate SAN) is the workflow at one of the allowed refs."""
        prefix = f"https://github.com/{self.toolkit_repository}/{self.workflow_path}@"
        if not uri.startswith(prefix):
            return False
        ref = uri[len(prefix) :]
        return any(
            ref == allowed or ("*" in allowed and "@" not in ref and fnmatchcase(ref, allowed))
            for allowed in self.allowed_refs
        )

    def describe(self) -> str:
        bound = (
            f", source ref {self.source_ref}, trigger {' or '.join(self.triggers)}"
            if self.source_ref
            else ""
        )
        return (
            f"issuer {self.issuer}, signer {' or '.join(self.signer_uris())}, "
            f"source repository {self.repository}{bound}"
        )

    def to_policy(self) -> object:
        """The sigstore ``VerificationPolicy`` for this identity."""
        from sigstore.verify import policy

        checks: list[Any] = [
            policy.OIDCIssuerV2(self.issuer),
            AllowedSigner(self),
            policy.OIDCSourceRepositoryURI(f"https://github.com/{self.repository}"),
        ]
        if self.source_ref:
            checks.append(ReleaseBinding(self))
        return policy.AllOf(checks)


@dataclass(frozen=True)
class LegacyIdentity:
    """A release manager's personal identity (releases signed before the pipeline)."""

    email: str
    issuer: str

    kind = "legacy"

    @classmethod
    def for_minor(cls, minor: str) -> LegacyIdentity:
        try:
            return cls(*LEGACY_IDENTITIES[minor])
        except KeyError:
            raise BadInput(f"no known release-manager identity for Python {minor}") from None

    def describe(self) -> str:
        return f"identity {self.email}, issuer {self.issuer}"

    def to_policy(self) -> object:
        from sigstore.verify import policy

        return policy.Identity(identity=self.email, issuer=self.issuer)


@dataclass(frozen=True)
class KeyringIdentity:
    """OpenPGP keys as the named signer: every file must carry a good ``.asc`` by a key of
    ``keyring``, and no Sigstore identity is involved.

    For runs that have no Sigstore identity: a local rehearsal signs with an ephemeral key
    and names exactly that key. It verifies what that key signed, nothing more; a real
    release is verified against the pipeline's or the release manager's Sigstore identity.
    """

    keyring: Path

    kind = "keyring"

    def describe(self) -> str:
        return f"OpenPGP keys in {self.keyring} (every file needs a good .asc; no Sigstore)"

    def to_policy(self) -> object:
        raise BadInput("an OpenPGP keyring policy names no Sigstore identity")


SigningIdentity = PipelineIdentity | LegacyIdentity | KeyringIdentity
