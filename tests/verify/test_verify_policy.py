"""The shared identity policy: signer URIs, ref patterns, validation."""

from __future__ import annotations

import pytest

from cpython_release.errors import BadInput
from cpython_release.sigstore_policy import LegacyIdentity, PipelineIdentity

BASE = "https://github.com/python/cpython-release/.github/workflows/sign.yml@"


def test_positional_construction_and_signer_uris() -> None:
    p = PipelineIdentity("python/cpython", "python/cpython-release", ("refs/tags/v1.0.0",))
    assert p.workflow == "sign.yml"
    assert p.signer_uris() == [BASE + "refs/tags/v1.0.0"]
    other = PipelineIdentity("a/b", "c/d", ("refs/heads/main",), workflow="release.yml")
    assert other.signer_uris() == [
        "https://github.com/c/d/.github/workflows/release.yml@refs/heads/main"
    ]


@pytest.mark.parametrize(
    ("refs", "uri", "allowed"),
    [
        (("refs/tags/v1.0.0",), BASE + "refs/tags/v1.0.0", True),
        (("refs/tags/v1.0.0",), BASE + "refs/tags/v1.0.1", False),
        (("refs/tags/v*",), BASE + "refs/tags/v2.3.4", True),
        (("refs/tags/v*",), BASE + "refs/heads/v2", False),
        (("refs/heads/main", "refs/tags/v*"), BASE + "refs/heads/main", True),
        (("refs/tags/*",), BASE + "refs/tags/x@y", False),
        (("refs/tags/v*",), BASE.replace("sign.yml", "evil.yml") + "refs/tags/v1", False),
        (
            ("refs/tags/v*",),
            BASE.replace("cpython-release", "cpython-releasex") + "refs/tags/v1",
            False,
        ),
        (("refs/tags/v*",), "mallory@example.org", False),
        # a full commit SHA only when named: never any SHA (impostor commits, old sign.yml)
        (("a" * 40,), BASE + "a" * 40, True),
        (("a" * 40,), BASE + "b" * 40, False),
        (("refs/heads/*",), BASE + "a" * 40, False),
        (("refs/tags/v*",), BASE + "a" * 40, False),
        (("refs/heads/main",), BASE + "a" * 40, False),
    ],
)
def test_allows_signer(refs: tuple[str, ...], uri: str, allowed: bool) -> None:
    p = PipelineIdentity("python/cpython", "python/cpython-release", refs)
    assert p.allows_signer(uri) is allowed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repository": "cpython"}, "repository must be OWNER/NAME"),
        ({"toolkit_repository": "a/b/c"}, "repository must be OWNER/NAME"),
        ({"allowed_refs": ()}, "at least one allowed ref"),
        ({"allowed_refs": ("main",)}, "an allowed ref looks like"),
        ({"allowed_refs": ("refs/tags/v1 x",)}, "an allowed ref looks like"),
        ({"workflow": "../sign.yml"}, "a file name like sign.yml"),
        ({"workflow": "sign"}, "a file name like sign.yml"),
    ],
)
def test_invalid_pipeline_identity(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "repository": "python/cpython",
        "toolkit_repository": "python/cpython-release",
        "allowed_refs": ("refs/heads/main",),
        **kwargs,
    }
    with pytest.raises(BadInput, match=message):
        PipelineIdentity(**args)  # type: ignore[arg-type]


def test_legacy_identities() -> None:
    assert LegacyIdentity.for_minor("3.12") == LegacyIdentity(
        "thomas@python.org", "https://accounts.google.com"
    )
    assert LegacyIdentity.for_minor("3.14").issuer == "https://github.com/login/oauth"
    with pytest.raises(BadInput, match=r"no known release-manager identity for Python 3\.9"):
        LegacyIdentity.for_minor("3.9")
