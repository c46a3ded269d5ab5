from __future__ import annotations

import pytest

from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion


@pytest.mark.parametrize(
    ("text", "normal", "branch", "stage", "xyz", "pre"),
    [
        ("3.13.5", "3.13.5", "3.13", "final", "3.13.5", ""),
        ("3.14.0rc2", "3.14.0rc2", "3.14", "candidate", "3.14.0", "rc2"),
        ("3.15.0a1", "3.15.0a1", "main", "alpha", "3.15.0", "a1"),
        ("v3.12.11", "3.12.11", "3.12", "final", "3.12.11", ""),
        ("3.14.0b1", "3.14.0b1", "main", "beta", "3.14.0", "b1"),
        ("3.14.0b2", "3.14.0b2", "3.14", "beta", "3.14.0", "b2"),
        ("3.14.0", "3.14.0", "3.14", "final", "3.14.0", ""),
        ("3.10.19", "3.10.19", "3.10", "final", "3.10.19", ""),
    ],
)
def test_parse(text: str, normal: str, branch: str, stage: str, xyz: str, pre: str) -> None:
    v = ReleaseVersion.parse(text)
    assert str(v) == normal
    assert v.branch == branch
    assert v.stage == stage
    assert v.xyz == xyz
    assert v.pre == pre
    assert v.tag == "v" + normal


@pytest.mark.parametrize(
    "text",
    [
        "3.14",
        "3.14.0c1",
        "3.14.0-rc1",
        "latest",
        "",
        "3.14.0rc0",
        "3.14.0.dev1",
        "03.14.0",
        "3.14.0rc",
        "v",
        " ",
        "3.14.0RC1",
        "3.14.0a01",
    ],
)
def test_rejects(text: str) -> None:
    with pytest.raises(BadInput) as info:
        ReleaseVersion.parse(text)
    assert "version" in str(info.value)


def test_ordering_follows_pep440() -> None:
    versions = [ReleaseVersion.parse(v) for v in ("3.14.0", "3.14.0rc1", "3.14.0a7", "3.14.0b1")]
    assert [str(v) for v in sorted(versions)] == ["3.14.0a7", "3.14.0b1", "3.14.0rc1", "3.14.0"]


@pytest.mark.parametrize("bad", ["3.14", "3.14.0c1", "3.14.0-rc1", "latest", "", "3.14.0rc0"])
def test_cli_exit_2(cli, bad: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("version", bad)
    assert result.code == 2
    assert "error:" in result.err and "version" in result.err


def test_cli_shows_phase(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("version", "v3.12.11")
    assert result.code == 0
    assert '"phase": "security"' in result.out
    assert '"branch": "3.12"' in result.out


def test_nightly_versions() -> None:
    v = ReleaseVersion.parse("3.15.0a3.dev20261121", nightly=True)
    assert (str(v), v.tag, v.is_nightly, v.branch, v.xyz) == (
        "3.15.0a3.dev20261121",
        "",
        True,
        "main",
        "3.15.0",
    )
    assert v < ReleaseVersion.parse("3.15.0a3")
    assert ReleaseVersion.parse("3.14.2.dev20261121", nightly=True).is_prerelease
    with pytest.raises(BadInput):
        ReleaseVersion.parse("3.15.0a3.dev20261121")
    with pytest.raises(BadInput):
        ReleaseVersion.parse("3.15.0a3.dev1", nightly=True)
