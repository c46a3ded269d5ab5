"""A release directory served over HTTP(S): fetch files by name, hashing while streaming."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from cpython_release.errors import BadInput
from cpython_release.hashing import CHUNK, FileDigest

SAFE_NAME = re.compile(r"(?!/)(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*")


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


class RemoteDirectory:
    """``base_url`` is a directory (``https://www.python.org/ftp/python/3.14.1/``)."""

    def __init__(
        self, base_url: str, *, workers: int = 4, retries: int = 3, backoff: float = 0.5
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
        self._local = threading.local()

    def _session(self) -> Any:
        from cpython_release.http import session

        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = session(retries=self.retries, backoff=self.backoff)
        return s

    def url(self, name: str) -> str:
        return urljoin(self.base, name)

    def get_text(self, name_or_url: str) -> str | None:
        """The text of a small file, or None when the server says 404."""
        import requests

        url = name_or_url if is_url(name_or_url) else self.url(name_or_url)
        try:
            r = self._session().get(url, timeout=60)
        except requests.RequestException as exc:
            raise BadInput(f"cannot fetch {url}: {exc}") from None
        if r.status_code in (404, 410):
            return None
        if r.status_code != 200:
            raise BadInput(f"cannot fetch {url}: HTTP {r.status_code}")
        text: str = r.content.decode("utf-8", errors="replace")
        return text

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

    def download(self, name: str, dest: Path) -> FileDigest | None:
        """Stream ``name`` to ``dest/name``, hashing as it arrives (None if 404)."""
        import requests

        if not SAFE_NAME.fullmatch(name):
            raise BadInput(f"refusing unsafe file name {name!r}")
        url = self.url(name)
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        try:
            with self._session().get(url, stream=True, timeout=60) as r:
                if r.status_code in (404, 410):
                    return None
                if r.status_code != 200:
                    raise BadInput(f"cannot download {url}: HTTP {r.status_code}")
                with target.open("wb") as fh:
                    for chunk in r.iter_content(CHUNK):
                        h.update(chunk)
                        fh.write(chunk)
                        size += len(chunk)
        except requests.RequestException as exc:
            raise BadInput(f"cannot download {url}: {exc}") from None
        return FileDigest(size, h.hexdigest())

    def download_many(self, names: Iterable[str], dest: Path) -> dict[str, FileDigest]:
        """Download in parallel; only the files that exist are in the result."""
        items = sorted(set(names))
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            results = list(pool.map(lambda n: (n, self.download(n, dest)), items))
        return {n: d for n, d in results if d is not None}
