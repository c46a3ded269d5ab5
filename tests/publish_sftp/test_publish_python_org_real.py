"""``publish --target python-org`` against the REAL pythondotorg application (on PostgreSQL,
as ``tools/pydotorg-local.sh`` starts it) and a real OpenSSH server: what a release manager
signs off. Skipped unless ``CPYTHON_RELEASE_PYDOTORG_URL`` is set.

- a wrong key or token leaves nothing public and fails before any upload;
- the Release record has every field;
- a kill (SIGKILL) mid-run leaves a journal of what was done, and the re-run converges with no
  duplicates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from cpython_release.publish.journal import read
from cpython_release.publish.pythonorg_api import PythonOrgAPI
from publish_api.pyorg_support import STAFF, V2_TOKEN
from publish_local.release_factory import VERSION, make_release
from publish_sftp.conftest import CDN, Server
from publish_sftp.test_publish_sftp import assert_published

REAL = os.environ.get("CPYTHON_RELEASE_PYDOTORG_URL", "")
pytestmark = pytest.mark.skipif(not REAL, reason="CPYTHON_RELEASE_PYDOTORG_URL is not set")
ROOT = Path(__file__).resolve().parents[2]


class SlowProxy:
    """Forwards to the real app, ``delay`` seconds per request: a kill lands mid-run."""

    def __init__(self, upstream: str, delay: float) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                time.sleep(proxy.delay)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                r = requests.request(
                    self.command,
                    upstream.rstrip("/") + self.path,
                    headers=headers,
                    data=body or None,
                    timeout=30,
                    allow_redirects=False,
                )
                self.send_response(r.status_code)
                for k, v in r.headers.items():
                    if k.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.delay = delay
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()


@pytest.fixture
def proxy() -> Iterator[SlowProxy]:
    p = SlowProxy(REAL, 0.0)
    yield p
    p.server.shutdown()
    p.server.server_close()


@pytest.fixture
def version() -> Iterator[str]:
    """The release factory's version; any record of it left in the database is removed."""
    cleanup(f"Python {VERSION}")
    yield VERSION
    cleanup(f"Python {VERSION}")


def real_argv(server: Server, directory: Path, api_url: str, cdn: CDN, *extra: str) -> list[str]:
    args = server.argv(directory)
    for part in ("api", "purge"):
        i = args.index(part)
        del args[i - 1 : i + 1]
    return [*args, "--api-url", api_url, "--api-user", STAFF[0], "--cdn-base", cdn.url, *extra]


def env(key: str = STAFF[1], token: str = V2_TOKEN) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHON_ORG_API_KEY": key,
        "PYTHON_ORG_API_TOKEN": token,
        "PYTHONPATH": str(ROOT / "scripts"),
    }


def run(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpython_release", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def releases_named(name: str) -> list[dict[str, Any]]:
    r = requests.get(
        f"{REAL}api/v1/downloads/release/",
        params={"name": name},
        headers={"Authorization": f"ApiKey {STAFF[0]}:{STAFF[1]}"},
        timeout=30,
    )
    r.raise_for_status()
    objects: list[dict[str, Any]] = r.json()["objects"]
    return objects


def files_of(release_uri: str) -> list[dict[str, Any]]:
    pk = release_uri.rstrip("/").rsplit("/", 1)[-1]
    r = requests.get(
        f"{REAL}api/v1/downloads/release_file/",
        params={"release": pk, "limit": "100"},
        headers={"Authorization": f"ApiKey {STAFF[0]}:{STAFF[1]}"},
        timeout=30,
    )
    r.raise_for_status()
    objects: list[dict[str, Any]] = r.json()["objects"]
    return objects


def cleanup(name: str) -> None:
    api = PythonOrgAPI(REAL, *STAFF)
    for obj in releases_named(name):
        api.request("DELETE", api.absolute(obj["resource_uri"]), ok=(204,), journal=False)


@pytest.mark.parametrize(("key", "token"), [("wrong-key", V2_TOKEN), (STAFF[1], "wrong-token")])
def test_a_wrong_key_or_token_leaves_nothing_public(
    server: Server, cdn: CDN, tmp_path: Path, version: str, key: str, token: str
) -> None:
    directory = tmp_path / "release"
    make_release(directory, version)
    journal = tmp_path / "journal.jsonl"
    r = run(real_argv(server, directory, REAL, cdn, "--journal", str(journal)), env(key, token))
    assert r.returncode == 2, r.stderr
    assert "rejected" in r.stderr and "Not retried" in r.stderr
    assert " upload " not in r.stdout
    assert not any(server.ftp_root.iterdir()) and not any(server.docs_root.iterdir())
    assert releases_named(f"Python {version}") == [] and cdn.purges == []
    end = read(journal)[-1]
    assert end["event"] == "end" and end["exit"] == 2 and end["changes"] == 0


def test_complete_record_then_kill_mid_run_and_rerun_converges(
    server: Server,
    cdn: CDN,
    tmp_path: Path,
    proxy: SlowProxy,
    version: str,
    record_property: Callable[[str, object], None],
) -> None:
    name = f"Python {version}"
    directory = tmp_path / "release"
    manifest = make_release(directory, version)
    journal = tmp_path / "journal.jsonl"
    # 1. Killed (SIGKILL) in the middle of the API writes.
    proxy.delay = 0.4
    args = real_argv(
        server, directory, proxy.url, cdn, "--journal", str(journal), "--release-date", "2026-12-02"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "cpython_release", *args],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    posts: list[dict[str, Any]] = []
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.is_file():
            posts = [
                e for e in read(journal) if e.get("event") == "change" and e.get("op") == "POST"
            ]
            if len(posts) >= 2:
                proc.send_signal(signal.SIGKILL)
                break
        time.sleep(0.02)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the run ended before the kill"
    entries = read(journal)
    assert not any(e["event"] == "end" for e in entries)  # killed: no end line
    done = [e for e in entries if e["event"] == "change"]
    assert any(e["target"] == "sftp" and e["op"] == "rename" for e in done)
    killed_posts = [e for e in done if e["op"] == "POST"]
    assert len(killed_posts) >= 2 and killed_posts[0]["subject"].endswith("/release/")
    record_property("journal_entries_at_kill", len(entries))
    record_property("api_posts_at_kill", len(killed_posts))
    # What the journal says was created is there.
    (rel,) = releases_named(name)
    assert len(files_of(rel["resource_uri"])) == len(killed_posts) - 1
    assert rel["is_published"] is False

    # 2. The re-run converges: no duplicates, published, every field.
    proxy.delay = 0.0
    again = run(
        real_argv(
            server, directory, REAL, cdn, "--journal", str(journal), "--release-date", "2026-12-02"
        ),
        env(),
    )
    assert again.returncode == 0, again.stderr
    assert_published(server, directory, manifest)
    (rel,) = releases_named(name)
    files = files_of(rel["resource_uri"])
    assert len(files) == 4 and len({f["slug"] for f in files}) == 4
    slug = "python-" + version.replace(".", "")
    assert rel["slug"] == slug and rel["is_published"] is True
    assert rel["release_date"].startswith("2026-12-02T00:00:00")
    assert rel["release_notes_url"] == (
        f"https://docs.python.org/release/{version}/whatsnew/changelog.html"
        "#python-3-14-0-release-candidate-2"
    )
    assert rel["pre_release"] is True
    assert rel["is_latest"] is False  # a pre-release
    assert rel["release_page"] is None and rel["show_on_download_page"] is True
    pk = rel["resource_uri"].rstrip("/").rsplit("/", 1)[-1]
    assert f"admin/downloads/release/{pk}/change/" in again.stderr
    ends = [e for e in read(journal) if e["event"] == "end"]
    assert ends[-1]["status"] == "ok" and ends[-1]["last_steps"]
    record_property("rerun_changes", ends[-1]["changes"])

    # 3. A third run changes nothing and purges nothing.
    purged = len(cdn.purges)
    third = run(real_argv(server, directory, REAL, cdn, "--journal", str(journal)), env())
    assert third.returncode == 0, third.stderr
    assert "changes made: none" in third.stderr and len(cdn.purges) == purged
