"""The exported tree, held as metadata plus offsets into the ``git archive`` spool file.

File contents stay in the spool (read once, when the tar stream is written) unless an
export step replaced them (``Misc/NEWS``). :meth:`Tree.ordered` walks the tree the way
GNU tar's ``--sort=name`` does: each directory's entries sorted by their byte names, and
a subdirectory's contents right after the subdirectory itself.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from cpython_release.errors import BadInput

FILE = "file"
DIR = "dir"
SYMLINK = "symlink"

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


def encode_name(name: str) -> bytes:
    return name.encode(_ENCODING, _ERRORS)


@dataclass(frozen=True)
class Entry:
    """One tree entry. ``path`` is relative to the top directory ("" is the top itself)."""

    path: str
    type: str
    mode: int
    size: int = 0
    offset: int | None = None  # data offset in the spool file
    data: bytes | None = None  # replaced content
    linkname: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


@dataclass
class Tree:
    spool: Path | None
    entries: dict[str, Entry] = field(default_factory=dict)

    # --- construction ----------------------------------------------------------------
    @classmethod
    def from_git_archive(cls, spool: Path, prefix: str) -> Tree:
        """Index a ``git archive --prefix=PREFIX/`` tar without reading file contents."""
        tree = cls(spool)
        top = prefix.rstrip("/")
        try:
            with tarfile.open(spool, "r:", encoding=_ENCODING, errors=_ERRORS) as tf:
                for member in tf:
                    name = member.name.rstrip("/")
                    if name == top:
                        rel = ""
                    elif name.startswith(top + "/"):
                        rel = name[len(top) + 1 :]
                    else:
                        raise BadInput(f"git archive: unexpected member outside {top}/: {name}")
                    if member.isdir():
                        tree.entries[rel] = Entry(rel, DIR, member.mode & 0o7777)
                    elif member.issym():
                        tree.entries[rel] = Entry(
                            rel, SYMLINK, member.mode & 0o7777, linkname=member.linkname
                        )
                    elif member.isreg():
                        tree.entries[rel] = Entry(
                            rel,
                            FILE,
                            member.mode & 0o7777,
                            size=member.size,
                            offset=member.offset_data,
                        )
                    else:
                        raise BadInput(f"git archive: unsupported member type for {name}")
        except tarfile.TarError as exc:
            raise BadInput(f"git archive produced an unreadable tar: {exc}") from exc
        tree.entries.setdefault("", Entry("", DIR, 0o775))
        return tree

    # --- queries ---------------------------------------------------------------------
    def __contains__(self, path: str) -> bool:
        return path in self.entries

    def get(self, path: str) -> Entry | None:
        return self.entries.get(path)

    def is_dir(self, path: str) -> bool:
        e = self.entries.get(path)
        return e is not None and e.type == DIR

    def is_file(self, path: str) -> bool:
        e = self.entries.get(path)
        return e is not None and e.type == FILE

    def under(self, path: str) -> list[str]:
        """``path`` and everything below it."""
        pre = path + "/"
        return [p for p in self.entries if p == path or p.startswith(pre)]

    def read(self, entry: Entry | str) -> bytes:
        e = self.entries[entry] if isinstance(entry, str) else entry
        if e.data is not None:
            return e.data
        if e.offset is None or self.spool is None:
            return b""
        with self.spool.open("rb") as fh:
            fh.seek(e.offset)
            return fh.read(e.size)

    def iter_data(self, entry: Entry, chunk: int) -> Iterator[bytes]:
        """The entry's content in pieces of at most ``chunk`` bytes."""
        if entry.data is not None:
            for i in range(0, len(entry.data), chunk):
                yield entry.data[i : i + chunk]
            return
        if entry.offset is None or self.spool is None or entry.size == 0:
            return
        fd = os.open(self.spool, os.O_RDONLY)
        try:
            pos, end = entry.offset, entry.offset + entry.size
            while pos < end:
                piece = os.pread(fd, min(chunk, end - pos), pos)
                if not piece:
                    raise BadInput(f"spool file truncated while reading {entry.path}")
                yield piece
                pos += len(piece)
        finally:
            os.close(fd)

    # --- edits -----------------------------------------------------------------------
    def remove(self, path: str) -> None:
        """Remove ``path`` and, for a directory, everything below it."""
        for p in self.under(path):
            del self.entries[p]

    def set_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        old = self.entries.get(path)
        if old is not None and old.type == FILE:
            self.entries[path] = replace(old, data=data, size=len(data), offset=None)
        else:
            self.remove(path)
            self.entries[path] = Entry(path, FILE, mode, size=len(data), data=data)
        parent = _parent(path)
        while parent not in self.entries:
            self.entries[parent] = Entry(parent, DIR, 0o755)
            parent = _parent(parent)

    # --- order and output --------------------------------------------------------------
    def ordered(self) -> list[Entry]:
        """All entries in GNU tar ``--sort=name`` order, top directory first."""
        children: dict[str, list[str]] = {}
        for p in self.entries:
            if p:
                parent = _parent(p)
                children.setdefault(parent, []).append(p)
        missing = [p for p in children if p not in self.entries]
        if missing:
            raise BadInput(f"tree has entries below missing directories: {sorted(missing)[:5]}")
        out: list[Entry] = []
        stack = [""]
        while stack:
            p = stack.pop()
            e = self.entries[p]
            out.append(e)
            if e.type == DIR:
                kids = sorted(children.get(p, ()), key=lambda c: encode_name(c.rsplit("/", 1)[-1]))
                stack.extend(reversed(kids))
        return out

    def extract_to(self, dest: Path) -> None:
        """Write the tree to ``dest`` (used for the documentation build)."""
        for e in self.ordered():
            target = dest / e.path if e.path else dest
            if e.type == DIR:
                target.mkdir(parents=True, exist_ok=True)
            elif e.type == SYMLINK:
                target.symlink_to(e.linkname)
            else:
                with target.open("wb") as fh:
                    for piece in self.iter_data(e, 1 << 20):
                        fh.write(piece)
                target.chmod(e.mode & 0o777)

    def materialize(self, dest: Path, paths: list[str]) -> None:
        """Write just ``paths`` (files, or directories with their contents) below ``dest``."""
        for path in paths:
            for p in sorted(self.under(path)):
                e = self.entries[p]
                target = dest / p
                if e.type == DIR:
                    target.mkdir(parents=True, exist_ok=True)
                elif e.type == FILE:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(self.read(e))
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.symlink_to(e.linkname)

    def discard_spool(self) -> None:
        if self.spool is not None and self.spool.exists():
            self.spool.unlink()
