"""Where credentials may be sent: https only (plain http to this machine, for local servers).

An API key or token sent over plain ``http://`` can be read by anyone on the path. Every
command that sends one (the python.org API key and v2 token, a GitHub token) checks its URL
here, before it does anything: plain http is refused (exit 2) unless the host is loopback
(``localhost``, ``127.0.0.1``, ``::1``), where local servers and the tests' fakes run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from urllib.parse import urlsplit

from cpython_release.errors import BadInput

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_credential_url(url: str, what: str) -> str:
    """``url`` unchanged if credentials may go there; else :class:`BadInput` (exit 2)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise BadInput(f"{what}: not a usable URL: {url!r}: {exc}") from None
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host:
        if host in LOOPBACK_HOSTS:
            return url
        raise BadInput(
            f"{what} {url!r} is plain http: its credentials would cross the network "
            "unencrypted; use https:// (http:// is accepted only for localhost, 127.0.0.1 "
            "and ::1)"
        )
    raise BadInput(f"{what}: not an https URL: {url!r}")


def credential_url(what: str) -> Callable[[str], str]:
    """An argparse ``type=`` for a URL that receives credentials: refused at parse time
    (exit 2, with the usage), before the command does anything."""

    def parse(text: str) -> str:
        try:
            return check_credential_url(text, what)
        except BadInput as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = what  # argparse names the type in "invalid <type> value" messages
    return parse
