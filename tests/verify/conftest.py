"""Fixtures for the verify stage tests (builders live in verify_support.py)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cpython_release.verify import core
from cpython_release.verify.localca import LocalCA, LocalCAVerifier
from verify.verify_support import (
    REQUESTS,
    GpgKey,
    Release,
    git_repo,
    gpg_key,
    make_release,
    pipeline_signer,
)


@pytest.fixture(scope="session")
def ca() -> LocalCA:
    return LocalCA()


@pytest.fixture(scope="session")
def session_gpg() -> Iterator[GpgKey]:
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    with gpg_key() as key:
        yield key


@pytest.fixture(scope="session")
def pristine(
    tmp_path_factory: pytest.TempPathFactory, ca: LocalCA, session_gpg: GpgKey
) -> dict[str, Release]:
    """Built once: a 3.13.5 release (with GPG) and a 3.14.1 release (Sigstore only)."""
    root = tmp_path_factory.mktemp("pristine")
    return {
        "3.13.5": make_release(
            root / "3.13.5", pipeline_signer(ca), version="3.13.5", gpg=session_gpg
        ),
        "3.14.1": make_release(
            root / "3.14.1", pipeline_signer(ca, version="3.14.1"), version="3.14.1"
        ),
    }


def _copy(src: Release, dest: Path) -> Release:
    shutil.copytree(src.directory, dest)
    return Release(dest, src.version, list(src.names))


@pytest.fixture
def release(pristine: dict[str, Release], tmp_path: Path) -> Release:
    """A private copy of the signed 3.13.5 release (tests may tamper with it)."""
    return _copy(pristine["3.13.5"], tmp_path / "rel")


@pytest.fixture
def release314(pristine: dict[str, Release], tmp_path: Path) -> Release:
    return _copy(pristine["3.14.1"], tmp_path / "rel314")


@pytest.fixture
def verifier(ca: LocalCA) -> LocalCAVerifier:
    return ca.verifier()


@pytest.fixture
def cli_trusts_local_ca(monkeypatch: pytest.MonkeyPatch, ca: LocalCA) -> None:
    """Make ``cpython-release verify`` (in-process) use the local CA instead of Sigstore."""
    monkeypatch.setattr(core, "SigstoreBundleVerifier", lambda offline=True: ca.verifier())


@pytest.fixture(scope="session")
def tagged_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("repo") / "cpython"
    return path, git_repo(path, "v3.13.5")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        REQUESTS.append(self.path)
        super().do_GET()


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """Serve a directory over HTTP on 127.0.0.1; returns its base URL."""
    servers: list[ThreadingHTTPServer] = []
    REQUESTS.clear()

    def start(directory: Path) -> str:
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory))
        )
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
