"""URL mode is bounded (issue 10, item 6): an overall deadline, sizes capped by the manifest,
raw bytes with no Content-Encoding decoding, temporary files removed on any exit.

A local HTTP server serves a signed release and misbehaves for one file at a time.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cpython_release.errors import BadInput
from cpython_release.hashing import sha256_file
from cpython_release.manifest import Manifest
from cpython_release.verify import verify_release
from cpython_release.verify.localca import LocalCA, LocalCAVerifier
from verify.verify_support import Release, identity, make_release, pipeline_signer

TGZ = "Python-3.14.1.tgz"
Behaviour = Callable[[BaseHTTPRequestHandler, bytes], None]


class Server:
    """Serves ``directory``; ``special[name]`` replaces how one file is sent."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.special: dict[str, Behaviour] = {}
        self.sent: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                path = server.directory / name
                if not name or not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                if name in server.special:
                    server.special[name](self, data)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def served(tmp_path: Path, ca: LocalCA) -> Iterator[tuple[Release, Server]]:
    rel = make_release(
        tmp_path / "rel",
        pipeline_signer(ca, version="3.14.1"),
        version="3.14.1",
        layout=(("Python-{v}.tgz", False), ("Python-{v}.tar.xz", False)),
    )
    server = Server(rel.directory)
    yield rel, server
    server.httpd.shutdown()
    server.httpd.server_close()


def drip(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    """One byte every 0.2 s, forever (a slow-loris server)."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(data) * 1000))
    handler.end_headers()
    try:
        while True:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def endless(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    handler.send_response(200)
    handler.end_headers()  # no length: the body ends when the connection does
    chunk = b"\0" * 65536
    try:
        for _ in range(100_000):  # 6.5 GB if nobody stops reading
            handler.wfile.write(chunk)
    except OSError:
        pass
    handler.close_connection = True


def labelled_gzip(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    """The .tgz as it is, but labelled Content-Encoding: gzip (as some servers do)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/x-tar")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def test_a_tgz_labelled_gzip_is_stored_as_served(
    served: tuple[Release, Server], verifier: LocalCAVerifier, ca: LocalCA
) -> None:
    rel, server = served
    tgz = rel.directory / TGZ
    tgz.write_bytes(gzip.compress(b"a tarball, really" * 1000))  # a real gzip stream
    digest = sha256_file(tgz)
    signer = pipeline_signer(ca, version="3.14.1")
    bundle = rel.directory / f"{TGZ}.sigstore"
    bundle.write_bytes(signer.sign(digest.sha256))
    m = Manifest.load(rel.manifest_path)
    art = m.artifact(TGZ)
    b = sha256_file(bundle)
    sigs = tuple(replace(s, size=b.size, sha256=b.sha256) for s in art.signatures)
    m.updated(replace(art, size=digest.size, sha256=digest.sha256, signatures=sigs)).write(
        rel.manifest_path
    )
    (rel.directory / "release-manifest.json.sigstore").write_bytes(
        signer.sign(sha256_file(rel.manifest_path).sha256)
    )
    (rel.directory / "SHA256SUMS").write_text(
        "".join(f"{a.sha256}  {a.name}\n" for a in Manifest.load(rel.manifest_path).artifacts)
    )
    (rel.directory / "SHA256SUMS.sigstore").write_bytes(
        signer.sign(sha256_file(rel.directory / "SHA256SUMS").sha256)
    )
    assert verify_release(rel.directory, "3.14.1", policy=identity(), verifier=verifier).ok
    server.special[TGZ] = labelled_gzip
    report = verify_release(server.url, "3.14.1", policy=identity(), verifier=verifier)
    assert report.ok, report.problems  # the bytes hashed are the bytes served


def test_an_endless_body_stops_at_the_manifests_size(
    served: tuple[Release, Server], verifier: LocalCAVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel, server = served
    temp = Path(tempfile.mkdtemp(prefix="cr-b-"))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    server.special[TGZ] = endless
    start = time.monotonic()
    report = verify_release(server.url, "3.14.1", policy=identity(), verifier=verifier)
    assert time.monotonic() - start < 30
    size = Manifest.load(rel.manifest_path).artifact(TGZ).size
    assert f"{TGZ}: unreadable: larger than the {size} bytes it may have" in report.problems
    assert list(temp.iterdir()) == []  # nothing left behind
    temp.rmdir()


def test_a_slow_server_meets_the_overall_deadline(
    served: tuple[Release, Server], verifier: LocalCAVerifier
) -> None:
    _, server = served
    server.special[TGZ] = drip
    start = time.monotonic()
    with pytest.raises(BadInput, match=r"gave up after the overall deadline of 2 s"):
        verify_release(server.url, "3.14.1", policy=identity(), verifier=verifier, deadline=2)
    assert time.monotonic() - start < 10


def test_sigterm_removes_the_downloads(served: tuple[Release, Server]) -> None:
    """``cpython-release verify URL`` killed mid-download leaves no temporary files."""
    _, server = served
    server.special[TGZ] = drip
    temp = Path(tempfile.mkdtemp(prefix="cr-s-"))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cpython_release", "verify", "3.14.1", server.url],
            env={**os.environ, "TMPDIR": str(temp)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not list(temp.glob(f"cr-verify-*/{TGZ}")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 128 + signal.SIGTERM, err.decode()
        assert list(temp.iterdir()) == [], list(temp.rglob("*"))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in sorted(temp.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        temp.rmdir()
