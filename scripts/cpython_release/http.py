"""One ``requests`` session with retries, shared by every network client."""

from __future__ import annotations

import re

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cpython_release import __version__
from cpython_release.errors import Unreachable

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


# urllib3's prefixes that name its own objects: "<...HTTPSConnection object at 0x7f..>: "
# (urllib3 1.x) and "HTTPSConnection(host='peps.python.org', port=443): " (2.x)
_OBJECT_REPR = re.compile(
    r"<[\w.]+ object at 0x[0-9a-f]+>: |\b\w*HTTPS?Connection(?:Pool)?\(host=[^()]*\): "
)


def is_unreachable(exc: BaseException) -> bool:
    """A failure to reach the server at all (DNS, refused, reset, time-out), not an answer."""
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def network_reason(exc: BaseException) -> str:
    """The innermost reason of a connection failure, without urllib3's object addresses.

    ``requests`` wraps urllib3's ``MaxRetryError`` wrapping ``NameResolutionError`` etc.; the
    innermost one says what happened ("Failed to resolve 'x' (...)").
    """
    reason: BaseException = exc
    for _ in range(5):
        inner = getattr(reason, "reason", None)
        if inner is None and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if not isinstance(inner, BaseException):
            break
        reason = inner
    return _OBJECT_REPR.sub("", str(reason)) or type(reason).__name__


def unreachable(what: str, exc: BaseException) -> Unreachable:
    """The :class:`Unreachable` (exit 1) for a connection failure while talking to ``what``."""
    return Unreachable(what, network_reason(exc))
