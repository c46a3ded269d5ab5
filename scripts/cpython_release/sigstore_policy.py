"""Who may sign a release: the Sigstore identity policies that sign and verify share.

Pipeline releases are signed inside this project's ``sign.yml`` reusable workflow. The Fulcio
certificate's SAN is that workflow's own path and ref (``job_workflow_ref``), while the
Source Repository extensions name the calling repository. A release is valid when:

- the issuer is GitHub Actions;
- the SAN is ``https://github.com/<toolkit>/.github/workflows/sign.yml@<ref>`` for an allowed ref;
- the source repository is the expected one (``python/cpython``, or a fork for rehearsals).

Historical releases were signed by the release managers' personal identities; the legacy
policy checks those per minor version.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpython_release.errors import BadInput

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
SIGN_WORKFLOW_PATH = ".github/workflows/sign.yml"

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


@dataclass(frozen=True)
class PipelineIdentity:
    """The identity a pipeline-signed release must carry."""

    repository: str  # the source repository, e.g. "python/cpython"
    toolkit_repository: str  # the repository whose sign.yml signed, e.g. "python/release-pipeline"
    allowed_refs: tuple[str, ...]  # refs of sign.yml, e.g. ("refs/tags/v1.0.0", "refs/heads/main")
    issuer: str = GITHUB_ACTIONS_ISSUER

    def __post_init__(self) -> None:
        for repo in (self.repository, self.toolkit_repository):
            if repo.count("/") != 1 or not all(repo.split("/")):
                raise BadInput(f"repository must be OWNER/NAME, got {repo!r}")
        if not self.allowed_refs:
            raise BadInput("at least one allowed ref of sign.yml is required")

    def signer_uris(self) -> list[str]:
        return [
            f"https://github.com/{self.toolkit_repository}/{SIGN_WORKFLOW_PATH}@{ref}"
            for ref in self.allowed_refs
        ]

    def describe(self) -> str:
        return (
            f"issuer {self.issuer}, signer {' or '.join(self.signer_uris())}, "
            f"source repository {self.repository}"
        )

    def to_policy(self) -> object:
        """The sigstore ``VerificationPolicy`` for this identity."""
        from sigstore.verify import policy

        signers = [policy.Identity(identity=uri, issuer=self.issuer) for uri in self.signer_uris()]
        signer: policy.VerificationPolicy = signers[0] if len(signers) == 1 else policy.AnyOf(
            signers  # type: ignore[arg-type]
        )
        return policy.AllOf(
            [
                signer,
                policy.OIDCIssuerV2(self.issuer),
                policy.OIDCSourceRepositoryURI(f"https://github.com/{self.repository}"),
            ]
        )


@dataclass(frozen=True)
class LegacyIdentity:
    """A release manager's personal identity (releases signed before the pipeline)."""

    email: str
    issuer: str

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
