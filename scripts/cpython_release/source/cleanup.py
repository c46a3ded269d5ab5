"""Remove a temporary directory completely, even when a second signal arrives meanwhile.

A cancelled CI job gets SIGINT, then SIGTERM a few seconds later: the first one unwinds
the build (``cli`` turns SIGTERM into an exception, Python SIGINT into KeyboardInterrupt),
and a second one arriving while the ``finally`` block removes the tree would cut the removal
short and leave it behind. So SIGINT and SIGTERM are held back (blocked, not lost) while
the tree is removed; a held-back signal is delivered right after.

Standard library only: the source build runs on bare interpreters.
"""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path

_HELD = {signal.SIGINT, signal.SIGTERM}


def remove_tree(path: Path) -> None:
    """``shutil.rmtree(path)``, ignoring errors, with SIGINT and SIGTERM held back meanwhile
    (POSIX, main thread; elsewhere a plain removal)."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        shutil.rmtree(path, ignore_errors=True)
        return
    previous = block(signal.SIG_BLOCK, _HELD)
    try:
        shutil.rmtree(path, ignore_errors=True)
    finally:
        block(signal.SIG_SETMASK, previous)
