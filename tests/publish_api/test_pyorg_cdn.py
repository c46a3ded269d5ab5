"""CDN purge: which URLs, and soft PURGE requests with retries against a local server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.inventory import Gates
from cpython_release.publish.actions import Verb
from cpython_release.publish.cdn import purge, purge_urls
from cpython_release.version import ReleaseVersion
from publish_api.pyorg_support import make_manifest

V = ReleaseVersion.parse("3.14.0rc2")
WWW = "https://www.python.org"


@dataclass
class Recorder:
    base: str = ""
    seen: list[tuple[str, str, str, str]] = field(default_factory=list)  # method host path soft
    fail: dict[str, int] = field(default_factory=dict)  # path -> 503s still to give
    broken: set[str] = field(default_factory=set)  # paths that always answer 500


@pytest.fixture
def cdn() -> Iterator[Recorder]:
    rec = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_PURGE(self) -> None:
            rec.seen.append(
                (
                    self.command,
                    self.headers.get("Host", ""),
                    self.path,
                    self.headers.get("Fastly-Soft-Purge", ""),
                )
            )
            status = 200
            if self.path in rec.broken:
                status = 500
            elif rec.fail.get(self.path, 0) > 0:
                rec.fail[self.path] -= 1
                status = 503
            body = b'{"status": "ok", "id": "1-2-3"}' if status == 200 else b"no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PURGE

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    rec.base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


def test_purge_urls_for_a_release_candidate() -> None:
    manifest = make_manifest()
    urls = purge_urls(V, manifest)
    assert len(urls) == len(set(urls))
    ftp = f"{WWW}/ftp/python/3.14.0/"
    for must in (
        f"{WWW}/downloads/release/python-3140rc2/",
        f"{WWW}/downloads/",
        f"{WWW}/downloads/source/",
        f"{WWW}/downloads/windows/",
        f"{WWW}/downloads/macos/",
        f"{WWW}/downloads/android/",
        f"{WWW}/ftp/python/",
        ftp,
        f"{ftp}amd64rc2/",
        f"{ftp}amd64rc2/core.msi",
        f"{ftp}Python-3.14.0rc2.tar.xz",
        f"{ftp}Python-3.14.0rc2.tar.xz.sigstore",
        f"{ftp}Python-3.14.0rc2.tar.xz.spdx.json",
        f"{ftp}windows-3.14.0rc2.json",
        f"{WWW}/ftp/python/doc/3.14.0rc2/",
        f"{WWW}/ftp/python/doc/3.14.0rc2/python-3.14.0rc2-docs-html.zip",
        "https://docs.python.org/release/3.14.0rc2/",
        "https://docs.python.org/release/3.14.0/",
    ):
        assert must in urls, must
    assert f"{WWW}/downloads/ios/" in urls
    no_ios = Gates(True, True, True, True, False, False, True)
    assert f"{WWW}/downloads/ios/" not in purge_urls(V, make_manifest(gates=no_ios))
    # Every file and companion the manifest vouches for is purged.
    files = [u for u in urls if not u.endswith("/")]
    assert len(files) == len(manifest.all_files())
    # Leaves before the pages that list them.
    assert (
        urls.index(f"{ftp}Python-3.14.0rc2.tgz") < urls.index(ftp) < urls.index(f"{WWW}/downloads/")
    )


def test_purge_urls_for_a_security_release_without_docs() -> None:
    gates = Gates(False, False, False, False, False, True, False)
    v = ReleaseVersion.parse("3.12.15")
    urls = purge_urls(v, make_manifest("3.12.15", gates=gates))
    assert not any("docs.python.org" in u or "/doc/" in u for u in urls)
    assert [u for u in urls if "/downloads/" in u] == [
        f"{WWW}/downloads/release/python-31215/",
        f"{WWW}/downloads/",
        f"{WWW}/downloads/source/",
    ]


def test_final_release_docs_url_is_not_doubled() -> None:
    v = ReleaseVersion.parse("3.14.1")
    urls = purge_urls(v, make_manifest("3.14.1"))
    assert [u for u in urls if "docs.python.org" in u] == [
        "https://docs.python.org/release/3.14.1/"
    ]


def test_soft_purge_of_every_url(cdn: Recorder) -> None:
    urls = purge_urls(V, make_manifest())
    result = purge(urls, cdn_base=cdn.base, backoff=0)
    assert result.target == "cdn" and result.count(Verb.PURGE) == len(urls)
    assert [s[0] for s in cdn.seen] == ["PURGE"] * len(urls)
    assert all(s[3] == "1" for s in cdn.seen)  # Fastly-Soft-Purge: 1
    assert [s[2] for s in cdn.seen][:1] == ["/ftp/python/3.14.0/Python-3.14.0rc2.tar.xz"]
    hosts = {s[1] for s in cdn.seen}
    assert hosts == {"www.python.org", "docs.python.org"}  # the original Host is kept
    assert ("PURGE", "docs.python.org", "/release/3.14.0rc2/", "1") in cdn.seen


def test_purge_retries_transient_failures(cdn: Recorder) -> None:
    cdn.fail["/downloads/"] = 2
    result = purge([f"{WWW}/downloads/", f"{WWW}/ftp/python/"], cdn_base=cdn.base, backoff=0)
    assert result.count(Verb.PURGE) == 2
    assert [s[2] for s in cdn.seen] == ["/downloads/"] * 3 + ["/ftp/python/"]


def test_purge_reports_every_failure_after_trying_all(cdn: Recorder) -> None:
    cdn.broken = {"/a/", "/c/"}
    urls = [f"{WWW}/a/", f"{WWW}/b/", f"{WWW}/c/"]
    with pytest.raises(CheckFailed) as info:
        purge(urls, cdn_base=cdn.base, backoff=0, retries=2)
    assert info.value.problems == [
        f"{WWW}/a/: 500 Internal Server Error",
        f"{WWW}/c/: 500 Internal Server Error",
    ]
    assert "2 of 3 URLs" in str(info.value)
    assert [s[2] for s in cdn.seen].count("/b/") == 1
    assert [s[2] for s in cdn.seen].count("/a/") == 3  # 1 + 2 retries


def test_purge_dry_run_sends_nothing(cdn: Recorder) -> None:
    urls = purge_urls(V, make_manifest())
    result = purge(urls, cdn_base=cdn.base, dry_run=True)
    assert result.dry_run and result.count(Verb.PURGE) == len(urls) and cdn.seen == []
    assert result.lines()[0].startswith("cdn     purge    https://www.python.org/ftp/python/")
