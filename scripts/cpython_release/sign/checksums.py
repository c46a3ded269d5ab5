"""``SHA256SUMS`` in the format ``sha256sum`` writes and ``sha256sum -c`` reads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest

SUMS_NAME = "SHA256SUMS"
_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")


def format_sums(entries: Iterable[tuple[str, str]]) -> str:
    """``<sha256>  <name>`` lines, sorted by name (text mode, two spaces)."""
    lines = []
    for name, sha256 in sorted(entries):
        if "\n" in name or "\\" in name:
            raise BadInput(f"cannot write {name!r} to {SUMS_NAME}: newline or backslash")
        lines.append(f"{sha256}  {name}\n")
    return "".join(lines)


def sums_for(manifest: Manifest) -> str:
    """One line per artifact, with the hash the manifest (already re-checked) vouches for."""
    return format_sums((a.name, a.sha256) for a in manifest.artifacts)


def write_sums(directory: Path, manifest: Manifest) -> Path:
    path = directory / SUMS_NAME
    tmp = path.with_name(SUMS_NAME + ".tmp")
    tmp.write_text(sums_for(manifest), encoding="utf-8", newline="\n")
    tmp.replace(path)
    return path


def parse_sums(text: str) -> dict[str, str]:
    """Name -> sha256; raises :class:`BadInput` on a malformed or repeated line."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.fullmatch(line)
        if match is None:
            raise BadInput(f"{SUMS_NAME} line {number} is not '<sha256>  <name>': {line!r}")
        sha256, name = match.groups()
        if name in out:
            raise BadInput(f"{SUMS_NAME} lists {name} twice")
        out[name] = sha256
    return out
