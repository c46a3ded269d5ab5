"""A real OpenSSH server on 127.0.0.1 for the SFTP publish tests (one per session).

It runs Debian's ``sshd`` (package ``openssh-server``) in the foreground with a temporary
host key, user key and config; the login user is the current user. If ``sshd`` is missing
the fixture fails with the install hint: nothing is skipped.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cpython_release.manifest import Manifest
from fakes_pythonorg import FakeServer, FakeState, start_server
from publish_local.release_factory import make_release, signer_options, with_signer

SSHD_CANDIDATES = ("sshd", "/usr/sbin/sshd")
INSTALL_HINT = "apt-get update && apt-get install -y openssh-server"


@dataclass(frozen=True)
class SSHD:
    host: str
    port: int
    user: str
    key_file: Path  # the user's private key
    known_hosts: Path  # pins the server's host key for [127.0.0.1]:port
    host_key_line: str
    log: Path

    def known_hosts_text(self) -> str:
        return self.known_hosts.read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _sshd_binary() -> str:
    for candidate in SSHD_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail(f"OpenSSH sshd is needed for the SFTP tests and was not found: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHD]:
    binary = _sshd_binary()
    if shutil.which("ssh-keygen") is None:
        pytest.fail(f"ssh-keygen is needed for the SFTP tests: {INSTALL_HINT}")
    d = tmp_path_factory.mktemp("sshd")
    _keygen(d / "host_key")
    _keygen(d / "user_key")
    shutil.copy(d / "user_key.pub", d / "authorized_keys")
    # OpenSSH insists on its privilege separation directory even when run by hand.
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = _free_port()
    config = d / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {d / 'host_key'}\n"
        f"PidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\n"
        "StrictModes no\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        "UsePAM no\n"
        "UseDNS no\n"
        "MaxStartups 50\n"
        "MaxSessions 50\n"
        "Subsystem sftp internal-sftp\n"
        "LogLevel ERROR\n"
    )
    log = d / "sshd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                pytest.fail(f"sshd exited with {proc.returncode}: {log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-2.0-"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start on port {port}: {log.read_text()}")
                time.sleep(0.05)
        host_pub = (d / "host_key.pub").read_text().split()
        line = f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}"
        (d / "known_hosts").write_text(line + "\n")
        yield SSHD(
            "127.0.0.1", port, getpass.getuser(), d / "user_key", d / "known_hosts", line, log
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Server:
    """One test's view of the server: its public roots (local paths sshd serves)."""

    sshd: SSHD
    ftp_root: Path
    docs_root: Path

    def argv(self, directory: Path, *extra: str) -> list[str]:
        """``cpython-release publish`` arguments for the files and docs parts only."""
        return [
            "publish",
            "--target",
            "python-org",
            "--skip",
            "api",
            "--skip",
            "purge",
            "--dir",
            str(directory),
            "--host",
            self.sshd.host,
            "--port",
            str(self.sshd.port),
            "--docs-host",
            self.sshd.host,
            "--docs-port",
            str(self.sshd.port),
            "--ftp-root",
            str(self.ftp_root),
            "--docs-root",
            str(self.docs_root),
            "--group",
            TEST_GROUP,
            "--docs-group",
            TEST_GROUP,
            "--ssh-user",
            self.sshd.user,
            "--ssh-key",
            str(self.sshd.key_file),
            "--known-hosts",
            str(self.sshd.known_hosts),
            *signer_options(),  # the key that signed the test releases' manifests
            *extra,
        ]


# A group other than the login user's primary one, so chgrp is visible.
TEST_GROUP = "users"


@pytest.fixture
def server(sshd: SSHD, tmp_path: Path) -> Server:
    srv = tmp_path / "srv"
    ftp = srv / "www.python.org" / "ftp" / "python"
    docs = srv / "docs.python.org" / "release"
    ftp.mkdir(parents=True)
    docs.mkdir(parents=True)
    return Server(sshd, ftp, docs)


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Manifest]:
    directory = tmp_path / "artifacts"
    return directory, make_release(directory)


# --- python.org's API (the contract server) and a CDN that records PURGEs ------------------
STAFF = ("rm", "s3cret-api-key")
V2_TOKEN = "drf-token-of-rm"


class CDN:
    def __init__(self) -> None:
        self.purges: list[tuple[str, str, str]] = []  # (host, path, soft)
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self) -> None:
                cdn.purges.append(
                    (
                        self.headers.get("Host", ""),
                        self.path,
                        self.headers.get("Fastly-Soft-Purge", ""),
                    )
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)


@pytest.fixture
def cdn() -> Iterator[CDN]:
    c = CDN()
    c.thread.start()
    yield c
    c.server.shutdown()
    c.server.server_close()


@pytest.fixture
def pyorg() -> Iterator[FakeServer]:
    """The python.org contract server with the staff user (and its v2 token)."""
    state = FakeState()
    state.add_user(*STAFF, v2_token=V2_TOKEN)
    with start_server(state) as server:
        yield server


@pytest.fixture
def cli(cli: Callable[..., Any]) -> Callable[..., Any]:
    """The shared ``cli``; ``publish`` is told the key that signed the test releases
    (publish checks the manifest's signature: tests/verify/test_publish_checks_signature.py)."""

    def run(*args: str) -> Any:
        return cli(*with_signer(args))

    return run
