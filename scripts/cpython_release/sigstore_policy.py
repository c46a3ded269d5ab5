"""Who may sign a release: the Sigstore identity policies that sign and verify share.

Pipeline releases are signed inside this project's ``sign.yml`` reusable workflow. The Fulcio
certificate's SAN is that workflow's own path and ref (``job_workflow_ref``), while the
Source Repository extensions name the calling repository. A release is valid when:

- the issuer is GitHub Actions;
- the SAN is ``https://github.com/<toolkit>/.github/workflows/sign.yml@<ref>`` for an allowed ref;
- the source repository is the expected one (``python/cpython``, or a fork for rehearsals).

An allowed ref may be a shell-style pattern (``refs/tags/v*``); ``*`` never matches ``@``.

Historical releases were signed by the release managers' personal identities; the legacy
policy checks those per minor version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from cpython_release.errors import BadInput

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

# A full ref (patterns allowed), or the full commit SHA a caller pinned the workflow to:
# a reusable workflow called as ``...@<sha>`` gets a certificate naming that SHA.
_REF_RE = re.compile(r"refs/[A-Za-z0-9._/*+-]+|[0-9a-f]{40}")
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
            raise VerificationError(f"signer {found} is not allowed (allowed: {allowed})")


@dataclass(frozen=True)
class PipelineIdentity:
    """The identity a pipeline-signed release must carry."""

    repository: str  # the source repository, e.g. "python/cpython"
    toolkit_repository: str  # the repository whose sign.yml signed, e.g. "python/release-pipeline"
    allowed_refs: tuple[str, ...]  # refs of sign.yml, e.g. ("refs/tags/v1.0.0", "refs/heads/main")
    issuer: str = GITHUB_ACTIONS_ISSUER
    workflow: str = SIGN_WORKFLOW  # the signing workflow's file name in .github/workflows/

    kind = "pipeline"

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
        return (
            f"issuer {self.issuer}, signer {' or '.join(self.signer_uris())}, "
            f"source repository {self.repository}"
        )

    def to_policy(self) -> object:
        """The sigstore ``VerificationPolicy`` for this identity."""
        from sigstore.verify import policy

        return policy.AllOf(
            [
                policy.OIDCIssuerV2(self.issuer),
                AllowedSigner(self),
                policy.OIDCSourceRepositoryURI(f"https://github.com/{self.repository}"),
            ]
        )


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


SigningIdentity = PipelineIdentity | LegacyIdentity
