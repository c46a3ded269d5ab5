"""``publish --target python-org`` end to end: real sshd, fake python.org API, a CDN that
records PURGEs. Files first, then the API records, then the purge; a refusal stops all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.manifest import Manifest
from fakes_pythonorg import FakeServer
from publish_local.release_factory import (
    VERSION,
    XYZ,
    expected_downloads,
    make_release,
    public_files,
)
from publish_sftp.conftest import CDN, STAFF, V2_TOKEN, Server
from publish_sftp.test_publish_sftp import assert_published

# The credentials check: GET release 0 (must not exist), the staff-only DELETE that matches
# nothing, the v2 token's OPTIONS.
PREFLIGHT = {
    ("GET", "/api/v1/downloads/release/0/", ""),
    ("DELETE", "/api/v1/downloads/release_file/", "release=0"),
    ("OPTIONS", "/api/v2/downloads/release/", ""),
}


def argv(server: Server, directory: Path, pyorg: FakeServer, cdn: CDN, *extra: str) -> list[str]:
    args = server.argv(directory)
    for part in ("api", "purge"):
        i = args.index(part)
        del args[i - 1 : i + 1]  # this test runs every part
    return [
        *args,
        "--api-url",
        pyorg.base_url,
        "--api-user",
        STAFF[0],
        "--cdn-base",
        cdn.url,
        *extra,
    ]


@pytest.fixture(autouse=True)
def api_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_ORG_API_KEY", STAFF[1])
    monkeypatch.setenv("PYTHON_ORG_API_TOKEN", V2_TOKEN)


def test_files_then_records_then_purge_and_rerun(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
) -> None:
    directory, manifest = release
    dry = cli(*argv(server, directory, pyorg, cdn, "--dry-run"))
    assert dry.code == 0, dry.err
    assert f"sftp    upload   {server.ftp_root}/{XYZ}/python-{VERSION}-amd64.exe" in dry.out
    assert "api     create   file 3140-rc2-Windows-installer-64-bit" in dry.out
    assert f"cdn     purge    https://www.python.org/ftp/python/{XYZ}/" in dry.out
    assert list(server.ftp_root.iterdir()) == []
    assert pyorg.state.releases == {} and cdn.purges == []

    r = cli(*argv(server, directory, pyorg, cdn))
    assert r.code == 0, r.err
    assert_published(server, directory, manifest)
    pk = pyorg.state.release_pk(f"Python {VERSION}")
    assert pk is not None and pyorg.state.releases[pk]["is_published"] is True
    urls = sorted(f["url"] for f in pyorg.state.files_of(pk).values())
    assert urls == sorted(
        f"https://www.python.org/ftp/python/{XYZ}/{n}"
        for n in (
            f"Python-{VERSION}.tgz",
            f"Python-{VERSION}.tar.xz",
            f"python-{VERSION}-amd64.exe",
            f"python-{VERSION}-macos11.pkg",
        )
    )
    purged = {(host, path) for host, path, soft in cdn.purges if soft == "1"}
    assert ("www.python.org", f"/ftp/python/{XYZ}/") in purged
    assert ("www.python.org", f"/ftp/python/{XYZ}/python-{VERSION}-amd64.exe.sigstore") in purged

    again = cli(*argv(server, directory, pyorg, cdn))
    assert again.code == 0, again.err
    assert " upload " not in again.out and " create " not in again.out
    assert "api     skip     file 3140-rc2-Windows-installer-64-bit" in again.out


def test_refused_files_stop_before_the_api_and_the_cdn(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    make_release(first)
    make_release(second, seed="other build")
    args = server.argv(first)  # files only
    assert cli(*args).code == 0
    before = len(pyorg.state.log)
    r = cli(*argv(server, second, pyorg, cdn))
    assert r.code == 1
    assert "refusing to overwrite published files" in r.err
    # Only the credentials check reached the API (it writes nothing); no purge.
    assert {(e.method, e.path, e.query) for e in pyorg.state.log[before:]} == PREFLIGHT
    assert pyorg.state.releases == {} and cdn.purges == []
    assert public_files(server.ftp_root) == expected_downloads(
        first, Manifest.load(first / "release-manifest.json")
    )


def test_tampered_directory_refused_before_connecting(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
) -> None:
    directory, _ = release
    (directory / f"Python-{VERSION}.tgz.sigstore").write_bytes(b"{}")
    r = cli(*argv(server, directory, pyorg, cdn))
    assert r.code == 1
    assert f"size mismatch: Python-{VERSION}.tgz.sigstore" in r.err
    assert "refusing to publish anything" in r.err
    assert list(server.ftp_root.iterdir()) == []
    assert pyorg.state.requests == 0 and cdn.purges == []
