"""One pass over the tar stream: its SHA-256, gzip -9 and xz -6 at the same time.

The caller's thread produces the tar stream and hashes it; two worker threads compress the
same chunks (zlib and liblzma release the GIL, so on two cores the wall time is about
that of xz alone). Queues are bounded, so memory stays flat whatever the tree size.

- gzip: the header ``gzip --no-name -9`` writes (no name, mtime 0, XFL 2, OS 3), raw
  deflate at level 9, CRC-32 and size trailer.
- xz: one stream, one block, preset 6, CRC64 (what ``xz -6 -T1`` writes).
"""

from __future__ import annotations

import hashlib
import lzma
import queue
import struct
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from cpython_release.errors import BadInput

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
QUEUE_CHUNKS = 8


class Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class GzipCompressor:
    """A gzip member as ``gzip --no-name -9`` frames it."""

    def __init__(self, level: int = 9) -> None:
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 8)
        self._crc = 0
        self._size = 0
        self._started = False

    def compress(self, data: bytes) -> bytes:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        out = self._deflate.compress(data)
        if not self._started:
            self._started = True
            return GZIP_HEADER + out
        return out

    def flush(self) -> bytes:
        head = b"" if self._started else GZIP_HEADER
        self._started = True
        tail = struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF)
        return head + self._deflate.flush() + tail


def xz_compressor() -> Compressor:
    return lzma.LZMACompressor(format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=6)


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class StreamResult:
    tar_size: int
    tar_sha256: str
    outputs: tuple[Written, ...]


class _Worker(threading.Thread):
    def __init__(self, path: Path, factory: Callable[[], Compressor]) -> None:
        super().__init__(name=f"compress-{path.name}", daemon=True)
        self.path = path
        self.factory = factory
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.error: BaseException | None = None
        self.result: Written | None = None

    def run(self) -> None:
        digest = hashlib.sha256()
        size = 0
        fh: BinaryIO | None = None
        comp: Compressor | None = None
        try:
            fh = self.path.open("wb")
            comp = self.factory()
        except BaseException as exc:
            self.error = exc
        while True:
            chunk = self.queue.get()
            if self.error is not None:
                if chunk is None:
                    break
                continue  # keep draining so the producer never blocks
            try:
                assert fh is not None and comp is not None
                out = comp.compress(chunk) if chunk is not None else comp.flush()
                if out:
                    digest.update(out)
                    size += len(out)
                    fh.write(out)
                if chunk is None:
                    fh.close()
                    self.result = Written(self.path, size, digest.hexdigest())
                    break
            except BaseException as exc:
                self.error = exc
                if chunk is None:
                    break
        if fh is not None and not fh.closed:
            fh.close()


def compress_stream(
    chunks: Iterable[bytes],
    targets: list[tuple[Path, Callable[[], Compressor]]],
) -> StreamResult:
    """Hash ``chunks`` and compress them into every target in parallel."""
    workers = [_Worker(path, factory) for path, factory in targets]
    for w in workers:
        w.start()
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            for w in workers:
                w.queue.put(chunk)
    finally:
        for w in workers:
            w.queue.put(None)
        for w in workers:
            w.join()
    errors = [f"{w.path.name}: {w.error}" for w in workers if w.error is not None]
    if errors:
        raise BadInput("writing the archives failed: " + "; ".join(errors))
    outputs = tuple(w.result for w in workers if w.result is not None)
    return StreamResult(size, digest.hexdigest(), outputs)


def release_targets(tgz: Path, txz: Path) -> list[tuple[Path, Callable[[], Compressor]]]:
    return [(tgz, GzipCompressor), (txz, xz_compressor)]
