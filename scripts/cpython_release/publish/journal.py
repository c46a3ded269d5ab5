"""The journal of a publish run: every change made on a server, as it happens.

Each entry is printed (stderr) and, with a path, appended to a JSON-lines file and flushed at
once, so the file survives a killed run: it lists what was done up to the kill. A run that
ends (well or not) appends one ``{"event": "end", ...}`` line with its status, its error and
the steps left to a person (with their URLs). A file without that line is a run that was
killed; re-running the same command resumes it (every step skips what is already done).

Entries (``"event": "change"``) name the target (``sftp``, ``api``, ``cdn``), the operation
(``mkdir``, ``put``, ``rename``, ``POST``, ``DELETE``, ``PATCH``, ``PURGE`` ...), its
subject (a path or URL) and a detail; ``"event": "failed"`` names the request that failed.
Credentials never appear: subjects are paths and URLs, details are the server's answers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

SCHEMA = "cpython-release/publish-journal-v1"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LastStep:
    """Something only a person can do (in python.org's admin), with where to do it."""

    what: str
    url: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "url": self.url}


@dataclass
class Journal:
    """Changes made so far; ``path`` (optional) is the JSON-lines file they go to."""

    path: Path | None = None
    stream: IO[str] | None = None  # where entries are printed (default stderr)
    quiet_ops: frozenset[str] = frozenset({"put", "own"})  # in the file only, counted on screen
    entries: list[dict[str, Any]] = field(default_factory=list)
    last_steps: list[LastStep] = field(default_factory=list)
    _file: IO[str] | None = None

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
            self._write({"event": "start", "schema": SCHEMA, "time": _now()})

    # --- writing -------------------------------------------------------------------------
    def _write(self, entry: dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps(entry, sort_keys=True) + "\n")
            self._file.flush()

    def _print(self, line: str) -> None:
        print(line, file=self.stream or sys.stderr, flush=True)

    def change(self, target: str, op: str, subject: str, detail: str = "") -> None:
        """One change done on a server (record it right after the server confirmed it)."""
        entry = {
            "event": "change",
            "time": _now(),
            "target": target,
            "op": op,
            "subject": subject,
            "detail": detail,
        }
        self.entries.append(entry)
        self._write(entry)
        if op not in self.quiet_ops:
            extra = f"  ({detail})" if detail else ""
            self._print(f"done: {target} {op} {subject}{extra}")

    def batch(self, target: str, op: str, count: int, where: str) -> None:
        """Announce a batch of quiet operations (each is still recorded by :meth:`change`)."""
        self._print(f"doing: {target} {op} {count} files into {where}")

    def failed(self, target: str, op: str, subject: str, error: str) -> None:
        entry = {
            "event": "failed",
            "time": _now(),
            "target": target,
            "op": op,
            "subject": subject,
            "error": error,
        }
        self._write(entry)
        self._print(f"FAILED: {target} {op} {subject}: {error}")

    def last_step(self, what: str, url: str) -> None:
        step = LastStep(what, url)
        if step not in self.last_steps:
            self.last_steps.append(step)

    def end(
        self, status: str, exit_code: int, error: str = "", problems: Sequence[str] = ()
    ) -> None:
        self._write(
            {
                "event": "end",
                "time": _now(),
                "status": status,
                "exit": exit_code,
                "error": error,
                "problems": list(problems),
                "changes": len(self.entries),
                "last_steps": [s.to_dict() for s in self.last_steps],
            }
        )
        if self._file is not None:
            self._file.close()
            self._file = None

    # --- reading -------------------------------------------------------------------------
    @property
    def changed(self) -> bool:
        return bool(self.entries)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            key = f"{e['target']} {e['op']}"
            out[key] = out.get(key, 0) + 1
        return out


def read(path: Path) -> list[dict[str, Any]]:
    """The entries of a journal file (a truncated last line, from a kill, is dropped)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def digest(path: Path) -> dict[str, Any]:
    """A journal file as the run record keeps it: the last run's status (``killed`` when it
    has no end line), its changes, its failures and the steps left to a person."""
    entries = read(path)
    starts = [i for i, e in enumerate(entries) if e.get("event") == "start"]
    last = entries[starts[-1] :] if starts else entries
    end = next((e for e in reversed(last) if e.get("event") == "end"), None)
    changes = [e for e in last if e.get("event") == "change"]
    counts: dict[str, int] = {}
    for e in changes:
        key = f"{e.get('target')} {e.get('op')}"
        counts[key] = counts.get(key, 0) + 1
    return {
        "runs": len(starts),
        "status": end.get("status", "") if end else "killed",
        "exit": end.get("exit") if end else None,
        "error": end.get("error", "") if end else "",
        "changes": len(changes),
        "counts": counts,
        "failed": [e for e in last if e.get("event") == "failed"],
        "last_steps": end.get("last_steps", []) if end else [],
        # Public trees and API records only: staging writes are counted, not listed.
        "entries": [e for e in changes if e.get("op") not in ("put", "own")],
    }
