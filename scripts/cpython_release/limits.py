"""How large a file read whole into memory may be, wherever it comes from.

A manifest, SHA256SUMS, a Sigstore bundle or an OpenPGP signature is read whole (to parse
it, or to hand it to a verifier). Over HTTP every download is capped (``verify.remote``);
a local directory gets the same caps here, so a hostile 2 GB manifest or bundle is refused
before it is read, not after it filled the memory.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

MAX_SIDE_FILE = 1 << 20  # a .sigstore or .asc the manifest does not size
MAX_UNSIZED = 256 << 20  # the manifest, SHA256SUMS, an SBOM or (legacy) an artifact
MAX_PAGE = 8 << 20  # a directory index

SIDE_SUFFIXES = (".sigstore", ".asc", ".sig", ".crt")


def cap_for(name: str, sizes: dict[str, int] | None = None) -> int:
    """The most bytes ``name`` may have: its size in the manifest, else a fixed cap."""
    if sizes and name in sizes:
        return sizes[name]
    if name.endswith(SIDE_SUFFIXES):
        return MAX_SIDE_FILE
    return MAX_UNSIZED


def too_large(cap: int) -> OSError:
    """The error for a file past its cap (the same words as an HTTP download's)."""
    return OSError(errno.EFBIG, f"larger than the {cap} bytes it may have")


def read_capped(path: Path, cap: int) -> bytes:
    """The bytes of ``path``, refused with OSError(EFBIG) when it has more than ``cap``.

    The size is checked before reading, and the read itself stops one byte past the cap
    (a file that grows meanwhile, or a device that reports no size, is refused too).
    """
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size > cap:
            raise too_large(cap)
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise too_large(cap)
    return data
