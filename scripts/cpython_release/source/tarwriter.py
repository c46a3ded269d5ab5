"""A tar stream byte-identical to GNU tar 1.34 run the way release.py runs it::

    tar cf - --sort=name --mtime=@T --clamp-mtime --owner=0 --group=0 --numeric-owner \\
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \\
        --mode=go+u,go-w Python-V

That is POSIX (pax) format: ustar headers (magic ``ustar\\0``, version ``00``), uid/gid 0,
empty owner names; a pax extended header only for a name longer than 100 bytes or not
ASCII (``path``), or a link target longer than 100 bytes (``linkpath``, written first),
named ``<dir>/PaxHeaders/<base>``; the ustar name then holds the first 100 bytes. Every
mtime is the commit time (the export changes files, and clamping brings them back).
The archive ends with two zero blocks, padded to a 10240-byte record.
"""

from __future__ import annotations

from collections.abc import Iterator

from cpython_release.errors import BadInput
from cpython_release.source.tree import DIR, FILE, SYMLINK, Entry, Tree, encode_name

BLOCK = 512
RECORD = 20 * BLOCK
NAME_FIELD = 100
_MAX_OCTAL_11 = 0o77777777777
_TYPEFLAG = {FILE: b"0", DIR: b"5", SYMLINK: b"2"}


def release_mode(mode: int) -> int:
    """GNU tar ``--mode=go+u,go-w`` applied to permission bits."""
    mode &= 0o7777
    user = (mode >> 6) & 0o7
    mode |= (user << 3) | user
    return mode & ~0o022


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


def _header(
    name: bytes,
    mode: int,
    size: int,
    mtime: int,
    typeflag: bytes,
    linkname: bytes = b"",
    *,
    device_fields: bool = True,
) -> bytes:
    if size > _MAX_OCTAL_11 or mtime > _MAX_OCTAL_11 or mtime < 0:
        raise BadInput("file too large or mtime out of range for a ustar header")
    dev = _octal(0, 8) if device_fields else b"\0" * 8
    fields = [
        name[:NAME_FIELD].ljust(NAME_FIELD, b"\0"),
        _octal(mode, 8),
        _octal(0, 8),  # uid
        _octal(0, 8),  # gid
        _octal(size, 12),
        _octal(mtime, 12),
        b" " * 8,  # checksum placeholder
        typeflag,
        linkname[:NAME_FIELD].ljust(NAME_FIELD, b"\0"),
        b"ustar\x0000",
        b"\0" * 32,  # uname
        b"\0" * 32,  # gname
        dev,
        dev,
        b"\0" * 155,  # prefix (GNU tar's posix format does not split names)
        b"\0" * 12,
    ]
    block = bytearray(b"".join(fields))
    assert len(block) == BLOCK
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _pax_record(key: str, value: bytes) -> bytes:
    """``"%d %s=%s\n"``, where the length counts its own digits."""
    body = b" " + key.encode() + b"=" + value + b"\n"
    n = p = 0
    while True:
        n = len(body) + len(str(p))
        if n == p:
            return str(n).encode() + body
        p = n


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def entry_headers(entry: Entry, top: str, mtime: int) -> bytes:
    """The header block(s) of one entry: an optional pax header, then the ustar header."""
    path = f"{top}/{entry.path}" if entry.path else top
    name = encode_name(path + "/" if entry.type == DIR else path)
    link = encode_name(entry.linkname)
    records = b""
    if entry.type == SYMLINK and len(link) > NAME_FIELD:
        records += _pax_record("linkpath", link)
    if len(name) > NAME_FIELD or not name.isascii():
        records += _pax_record("path", name)
    out = b""
    if records:
        dirname, _, base = path.rpartition("/")
        xname = encode_name(f"{dirname or '.'}/PaxHeaders/{base}")
        out += _header(xname, 0o644, len(records), mtime, b"x", device_fields=False)
        out += records + _padding(len(records))
    size = entry.size if entry.type == FILE else 0
    out += _header(name, release_mode(entry.mode), size, mtime, _TYPEFLAG[entry.type], link)
    return out


def tar_stream(tree: Tree, top: str, mtime: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The whole tar, as pieces of roughly ``chunk`` bytes (small files are batched)."""
    buf = bytearray()
    total = 0
    for entry in tree.ordered():
        buf += entry_headers(entry, top, mtime)
        if entry.type == FILE and entry.size:
            written = 0
            for piece in tree.iter_data(entry, chunk):
                written += len(piece)
                if len(buf) + len(piece) > chunk and buf:
                    total += len(buf)
                    yield bytes(buf)
                    buf.clear()
                if len(piece) >= chunk:
                    total += len(piece)
                    yield piece
                else:
                    buf += piece
            if written != entry.size:
                raise BadInput(f"{entry.path}: read {written} bytes, expected {entry.size}")
            buf += _padding(entry.size)
        if len(buf) >= chunk:
            total += len(buf)
            yield bytes(buf)
            buf.clear()
    buf += b"\0" * (2 * BLOCK)
    total += len(buf)
    buf += b"\0" * (-total % RECORD)
    yield bytes(buf)
