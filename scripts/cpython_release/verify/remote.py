"""A release directory served over HTTP(S): fetch files by name, hashing while streaming.

Bounded, whatever the server does: one deadline for the whole run, every file capped at the
size the manifest gives it (or a fixed cap for files the manifest does not size), the bytes
stored exactly as served (``Accept-Encoding: identity``, no Content-Encoding decoding: a
``.tgz`` labelled gzip is still the ``.tgz``), and an abort (an error, a signal) closes the
open connections and stops every download, so the caller's ``finally`` removes the files.
"""

from __future__ import annotations

import errno
import hashlib
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from cpython_release.errors import BadInput, CheckFailed, ReleaseError
from cpython_release.hashing import FileDigest
from cpython_release.http import is_unreachable, unreachable
from cpython_release.limits import MAX_PAGE, cap_for, too_large

DEFAULT_DEADLINE = 3600.0  # seconds for every download of one verification
READ = 64 << 10

SAFE_NAME = re.compile(r"(?!/)(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*")


GITHUB_RELEASE = re.compile(r"/releases/download/[^/]+/$")


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def _http_error(verb: str, url: str, status: int) -> ReleaseError:
    """A server failure (5xx) is a failure, exit 1: the input may well be right. Any other
    answer but 200 (and 404/410, a missing file, which the verdict rules judge) is bad input."""
    if status >= 500:
        return CheckFailed(f"could not {verb} {url}: the server answered {status}")
    return BadInput(f"cannot {verb} {url}: HTTP {status}")


class RemoteDirectory:
    """``base_url`` is a directory (``https://www.python.org/ftp/python/3.14.1/``)."""

    def __init__(
        self,
        base_url: str,
        *,
        workers: int = 4,
        retries: int = 3,
        backoff: float = 0.5,
        deadline: float = DEFAULT_DEADLINE,
        sizes: dict[str, int] | None = None,
    ) -> None:
        try:
            parts = urlsplit(base_url)
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError as exc:
            raise BadInput(f"not a usable URL: {base_url!r}: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInput(f"not an http(s) URL: {base_url!r}")
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.workers = workers
        self.retries = retries
        self.backoff = backoff
        self.deadline = deadline
        self._ends = time.monotonic() + deadline
        self.sizes: dict[str, int] = dict(sizes or {})  # the manifest's sizes, when known
        self._local = threading.local()
        self._stop = threading.Event()
        self._open: set[Any] = set()
        self._lock = threading.Lock()

    def _session(self) -> Any:
        from cpython_release.http import session

        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = session(retries=self.retries, backoff=self.backoff)
            s.headers["Accept-Encoding"] = "identity"
        return s

    def url(self, name: str) -> str:
        # A GitHub release is flat: publish-github names `amd64/core.msi` `amd64--core.msi`.
        if GITHUB_RELEASE.search(urlsplit(self.base).path) and "/" in name:
            from cpython_release.publish.github_release import asset_name

            name = asset_name(name)
        return urljoin(self.base, name)

    def remaining(self) -> float:
        return max(0.001, self._ends - time.monotonic())

    def _left(self, url: str) -> float:
        left = self._ends - time.monotonic()
        if left <= 0:
            raise BadInput(
                f"cannot fetch {url}: gave up after the overall deadline of {self.deadline:g} s"
            )
        return left

    def _cap(self, name: str) -> int:
        return cap_for(name, self.sizes)

    def abort(self) -> None:
        """Stop every download now: close the open connections."""
        self._stop.set()
        with self._lock:
            responses = list(self._open)
        for r in responses:
            r.close()

    def _get(self, url: str) -> Any:
        import requests

        left = self._left(url)
        try:
            r = self._session().get(url, stream=True, timeout=(min(30.0, left), min(60.0, left)))
        except requests.RequestException as exc:
            if is_unreachable(exc):
                raise unreachable(url, exc) from None
            raise BadInput(f"cannot fetch {url}: {exc}") from None
        with self._lock:
            self._open.add(r)
        return r

    def _release(self, r: Any) -> None:
        with self._lock:
            self._open.discard(r)
        r.close()

    def _chunks(self, r: Any, url: str, cap: int) -> Any:
        """The raw bytes as served, in pieces as they arrive; OSError(EFBIG) past ``cap``."""
        import requests
        import urllib3

        size = 0
        while True:
            if self._stop.is_set():
                raise BadInput(f"cannot fetch {url}: interrupted")
            self._left(url)
            try:
                chunk = r.raw.read1(READ, decode_content=False)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if self._stop.is_set():
                    raise BadInput(f"cannot fetch {url}: interrupted") from None
                self._left(url)
                # the connection broke mid-download: the network failed, not the input
                raise unreachable(url, exc) from None
            if not chunk:
                return
            size += len(chunk)
            if size > cap:
                raise too_large(cap)
            yield chunk

    def get_text(self, name_or_url: str) -> str | None:
        """The text of a small file, or None when the server says 404."""
        url = name_or_url if is_url(name_or_url) else self.url(name_or_url)
        r = self._get(url)
        try:
            if r.status_code in (404, 410):
                return None
            if r.status_code != 200:
                raise _http_error("fetch", url, r.status_code)
            try:
                data = b"".join(self._chunks(r, url, MAX_PAGE))
            except OSError as exc:
                raise BadInput(f"cannot fetch {url}: {exc.strerror}") from None
        finally:
            self._release(r)
        return data.decode("utf-8", errors="replace")

    def listing(self) -> list[str] | None:
        """File names in the server's directory index (None if it has none)."""
        page = self.get_text(self.base)
        if page is None or "<a " not in page.lower():
            return None
        parser = _Links()
        parser.feed(page)
        names = []
        for href in parser.hrefs:
            if "?" in href or "#" in href or "/" in href.rstrip("/") or href.endswith("/"):
                continue
            name = unquote(href)
            if SAFE_NAME.fullmatch(name):
                names.append(name)
        return sorted(set(names))

    def download(self, name: str, dest: Path) -> FileDigest | OSError | None:
        """Stream ``name`` to ``dest/name``, hashing as it arrives (None if 404; an OSError
        if it is larger than it may be, and nothing is kept)."""
        if not SAFE_NAME.fullmatch(name):
            raise BadInput(f"refusing unsafe file name {name!r}")
        url = self.url(name)
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        r = self._get(url)
        try:
            if r.status_code in (404, 410):
                return None
            if r.status_code != 200:
                raise _http_error("download", url, r.status_code)
            with target.open("wb") as fh:
                for chunk in self._chunks(r, url, self._cap(name)):
                    h.update(chunk)
                    fh.write(chunk)
                    size += len(chunk)
        except OSError as exc:
            target.unlink(missing_ok=True)
            if exc.errno != errno.EFBIG:
                raise
            return exc
        finally:
            self._release(r)
        return FileDigest(size, h.hexdigest())

    def download_many(self, names: Iterable[str], dest: Path) -> dict[str, FileDigest | OSError]:
        """Download in parallel; only the files that exist are in the result. On any error
        or signal, every other download stops before this returns."""
        items = sorted(set(names))
        pool = ThreadPoolExecutor(max_workers=max(1, self.workers))
        try:
            results = list(pool.map(lambda n: (n, self.download(n, dest)), items))
        except BaseException:
            self.abort()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return {n: d for n, d in results if d is not None}
