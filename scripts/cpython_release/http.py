"""One ``requests`` session with retries, shared by every network client."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cpython_release import __version__

USER_AGENT = f"cpython-release/{__version__}"


def session(
    retries: int = 5,
    backoff: float = 1.0,
    allowed_methods: frozenset[str] | None = None,
) -> requests.Session:
    """A session that retries idempotent requests on connection errors, 429 and 5xx."""
    retry = Retry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=allowed_methods or frozenset({"GET", "HEAD", "PURGE", "OPTIONS"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    s.headers["User-Agent"] = USER_AGENT
    return s
