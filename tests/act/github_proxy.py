"""One GitHub API address in front of the project's two GitHub fakes, for act runs.

``release.yml`` talks to one ``$GITHUB_API_URL``: releases and uploads go to the releases fake
(``fakes_github``), everything else (issues, labels, the run's jobs) to the issues fake
(``fakes_gh_issues``). The git tag refs of the repositories named in ``releases_repos`` go to
the releases fake too: that is where their releases' tags live (nightly retention deletes
them). URLs the backends put in bodies and ``Location`` headers are rewritten to this proxy's
address, so clients (PyGithub checks the upload host) only ever see one host.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

RELEASES = re.compile(
    r"^/(?:repos/[^/]+/[^/]+/releases|api/uploads/|_storage/|[^/]+/[^/]+/releases/download/)"
)
TAG_REF = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/git/refs?/tags/")
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, releases: str, other: str, releases_repos: Iterable[str] = ()) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.releases, self.other = releases, other
        self.releases_repos = {r.lower() for r in releases_repos}
        self.seen: list[tuple[str, str, str]] = []  # (method, path, backend)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: _Proxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        tag_ref = TAG_REF.match(self.path)
        to_releases = RELEASES.match(self.path) or (
            tag_ref is not None and tag_ref["repo"].lower() in self.server.releases_repos
        )
        backend = self.server.releases if to_releases else self.server.other
        self.server.seen.append((self.command, self.path, backend))
        target = urlsplit(backend)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read().replace(backend.encode(), self.server.url.encode())
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v.replace(backend, self.server.url))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _forward


@contextmanager
def github_proxy(releases: str, other: str, releases_repos: Iterable[str] = ()) -> Iterator[_Proxy]:
    server = _Proxy(releases.rstrip("/"), other.rstrip("/"), releases_repos)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
