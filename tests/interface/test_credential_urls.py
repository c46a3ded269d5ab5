"""A URL that receives credentials (the python.org API key and token, a GitHub token) must be
https: plain http is refused (exit 2) before anything is sent, except to loopback hosts."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Protocol

import pytest

from cpython_release.blockers import github_client
from cpython_release.cli import build_parser, command_paths
from cpython_release.errors import BadInput
from cpython_release.publish.github_release import Pacing, connect
from cpython_release.publish.pythonorg_api import PythonOrgAPI
from cpython_release.secure_url import check_credential_url


class CliResult(Protocol):
    code: int
    out: str
    err: str


Cli = Callable[..., CliResult]

PLAIN = "http://api.example.org/"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.python.org/",
        "https://api.github.com",
        "http://127.0.0.1:8000/",
        "http://localhost:8000/api/v1/",
        "http://[::1]:8000/",
        "http://LOCALHOST/",
    ],
)
def test_https_and_loopback_are_accepted(url: str) -> None:
    assert check_credential_url(url, "API") == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://www.python.org/", "is plain http"),
        ("http://127.0.0.2/", "is plain http"),  # loopback means the three names, no more
        ("http://localhost.example.org/", "is plain http"),
        ("http://[::ffff:10.0.0.1]/", "is plain http"),
        ("ftp://www.python.org/", "not an https URL"),
        ("www.python.org", "not an https URL"),
        ("https://", "not an https URL"),
        ("http://[::1", "not a usable URL"),
    ],
)
def test_plain_http_elsewhere_is_refused(url: str, why: str) -> None:
    with pytest.raises(BadInput, match=why):
        check_credential_url(url, "API")


def test_the_clients_refuse_plain_http_before_sending() -> None:
    with pytest.raises(
        BadInput, match=re.escape("python.org API 'http://www.python.org/' is plain http")
    ):
        PythonOrgAPI("http://www.python.org/", "rm", "key")
    with pytest.raises(
        BadInput, match=re.escape("GitHub API 'http://api.example.org/' is plain http")
    ):
        github_client(PLAIN, "ghp_token")
    with pytest.raises(BadInput, match="is plain http"):
        connect(PLAIN, "ghp_token", Pacing())
    github_client(PLAIN, None)  # no token, nothing to leak: anonymous reads stay possible


def test_publish_refuses_a_plain_http_python_org_api(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key never leaves: exit 2 at the command line, before any name lookup (a client
    that tried the host would fail otherwise: exit 1, could not reach)."""
    monkeypatch.setenv("PYTHON_ORG_API_KEY", "s3cret")
    monkeypatch.setenv("PYTHON_ORG_API_USERNAME", "rm")
    for extra in (["--check-credentials"], ["--dry-run"], []):
        r = cli(
            "publish",
            "--target",
            "python-org",
            "--skip",
            "files",
            "--skip",
            "docs",
            "--api-url",
            "http://pythonorg.invalid/",
            *extra,
        )
        assert r.code == 2, r.err
        assert "python.org API 'http://pythonorg.invalid/' is plain http" in r.err, r.err
        assert "s3cret" not in r.out + r.err


def test_publish_github_refuses_a_plain_http_api(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_s3cret")
    r = cli("publish", "--target", "github", "--repo", "o/r", "--github-api-url", PLAIN)
    assert r.code == 2 and "GitHub API 'http://api.example.org/' is plain http" in r.err, r.err
    monkeypatch.setenv("GITHUB_API_URL", PLAIN)  # the default comes from the environment
    r = cli("publish", "--target", "github", "--repo", "o/r", "--check-credentials")
    assert r.code == 2 and "is plain http" in r.err, r.err


def _github_api_commands() -> list[tuple[str, ...]]:
    parser = build_parser()
    found = []
    for path in command_paths(parser):
        p: argparse.ArgumentParser = parser
        for word in path:
            sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
            p = sub.choices[word]
        if any("--github-api" in a.option_strings for a in p._actions):
            found.append(path)
    return found


def test_every_github_api_command_refuses_plain_http(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = _github_api_commands()
    assert len(commands) >= 7, commands  # blockers, finish, nightly x3, prepare, summary
    for path in commands:
        r = cli(*path, "--github-api", PLAIN)
        assert r.code == 2, (path, r.err)
        assert "GitHub API 'http://api.example.org/' is plain http" in r.err, (path, r.err)
    monkeypatch.setenv("GITHUB_API_URL", "http://ghe.example/api/v3")
    for path in commands:
        r = cli(*path)
        assert r.code == 2 and "is plain http" in r.err, (path, r.err)
