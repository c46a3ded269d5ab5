"""Talking to the GitHub Actions runner: outputs, step summaries, progress."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _append(var: str, text: str) -> bool:
    target = os.environ.get(var)
    if not target:
        return False
    try:
        with Path(target).open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:  # a full disk, a read-only or missing file: say which, exit 1
        from cpython_release.errors import CheckFailed

        raise CheckFailed(f"could not write ${var} ({target}): {exc.strerror or exc}") from None
    return True


def set_outputs(values: dict[str, str], *, env_var: str = "GITHUB_OUTPUT") -> None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT`` (multi-line values use a delimiter)."""
    if not os.environ.get(env_var):
        from cpython_release.errors import BadInput

        raise BadInput(f"${env_var} is not set: --format github only works inside Actions")
    lines = []
    for key, value in values.items():
        if "\n" in value:
            delim = f"EOF_{uuid.uuid4().hex}"
            lines.append(f"{key}<<{delim}\n{value}\n{delim}\n")
        else:
            lines.append(f"{key}={value}\n")
    _append(env_var, "".join(lines))


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return "\n".join(out) + "\n"


def write_summary(markdown: str) -> bool:
    """Append to the step summary; returns False outside Actions."""
    return _append("GITHUB_STEP_SUMMARY", markdown + "\n")


class Progress:
    """Progress on an interactive terminal, silence in CI logs and pipes."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        isatty = getattr(self._stream, "isatty", lambda: False)
        self.enabled = bool(isatty()) and not os.environ.get("CI")

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.enabled:
            pct = 100 * self.done // self.total
            self._stream.write(f"\r{self.label}: {pct:3d}%")
            self._stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._stream.write("\n")
