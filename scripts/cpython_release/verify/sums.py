"""``SHA256SUMS``: the sha256sum(1) format, one ``<hex>  <name>`` line per file."""

from __future__ import annotations

import re

from cpython_release.errors import CheckFailed

SUMS_NAME = "SHA256SUMS"
_LINE = re.compile(r"([0-9a-f]{64}) [ *]([^\n]+)")
_NAME = re.compile(r"(?!/)(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*")


def parse_sums(text: str, source: str = SUMS_NAME) -> dict[str, str]:
    """``{name: sha256}``; CheckFailed names every malformed or duplicated line."""
    out: dict[str, str] = {}
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.fullmatch(line)
        if not m or not _NAME.fullmatch(m.group(2)):
            problems.append(f"line {n}: not '<sha256>  <name>': {line[:120]!r}")
        elif m.group(2) in out:
            problems.append(f"line {n}: {m.group(2)} listed twice")
        else:
            out[m.group(2)] = m.group(1)
    if problems:
        raise CheckFailed(f"{source} is malformed", problems)
    return out
