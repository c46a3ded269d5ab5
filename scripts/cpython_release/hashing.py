"""Streaming SHA-256, one pass per file, files in parallel.

hashlib releases the GIL while it hashes large buffers, so threads scale across cores.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileDigest:
    size: int
    sha256: str


def sha256_file(path: Path) -> FileDigest:
    h = hashlib.sha256()
    size = 0
    with path.open("rb", buffering=0) as fh:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return FileDigest(size, h.hexdigest())


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_many(
    paths: Iterable[Path],
    workers: int | None = None,
    on_done: Callable[[Path], None] | None = None,
) -> dict[Path, FileDigest | OSError]:
    """Hash many files in parallel; an unreadable file maps to its OSError."""
    items = list(paths)
    workers = workers or min(8, (os.cpu_count() or 2) + 1)

    def one(p: Path) -> tuple[Path, FileDigest | OSError]:
        try:
            result: FileDigest | OSError = sha256_file(p)
        except OSError as exc:
            result = exc
        if on_done:
            on_done(p)
        return p, result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return dict(pool.map(one, items))
