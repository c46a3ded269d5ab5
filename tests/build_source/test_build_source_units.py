"""Unit tests: tar headers, GNU order, modes, compressors, export removals."""

from __future__ import annotations

import gzip
import lzma
import tarfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest

from cpython_release.errors import BadInput
from cpython_release.source.compress import GzipCompressor, compress_stream, release_targets
from cpython_release.source.export import remove_unshipped
from cpython_release.source.tarwriter import entry_headers, release_mode, tar_stream
from cpython_release.source.tree import DIR, FILE, SYMLINK, Entry, Tree


def make_tree(spec: dict[str, tuple[str, int, bytes | str]]) -> Tree:
    tree = Tree(None)
    tree.entries[""] = Entry("", DIR, 0o775)
    for path, (kind, mode, payload) in spec.items():
        if kind == FILE:
            assert isinstance(payload, bytes)
            tree.entries[path] = Entry(path, FILE, mode, size=len(payload), data=payload)
        elif kind == SYMLINK:
            assert isinstance(payload, str)
            tree.entries[path] = Entry(path, SYMLINK, mode, linkname=payload)
        else:
            tree.entries[path] = Entry(path, DIR, mode)
    return tree


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (0o664, 0o644),
        (0o775, 0o755),
        (0o600, 0o644),
        (0o700, 0o755),
        (0o777, 0o755),
        (0o444, 0o444),
    ],
)
def test_release_mode_is_go_plus_u_go_minus_w(mode: int, expected: int) -> None:
    assert release_mode(mode) == expected


def test_gnu_sort_order_is_per_directory_bytewise() -> None:
    tree = make_tree(
        {
            "a": (DIR, 0o775, b""),
            "a/x": (FILE, 0o664, b"x"),
            "a.txt": (FILE, 0o664, b""),
            "a-b": (FILE, 0o664, b""),
            "B": (FILE, 0o664, b""),
            "caf\u00e9": (FILE, 0o664, b""),
            "z": (FILE, 0o664, b""),
        }
    )
    assert [e.path for e in tree.ordered()] == [
        "",
        "B",
        "a",
        "a/x",
        "a-b",
        "a.txt",
        "caf\u00e9",
        "z",
    ]


def test_pax_headers_only_when_needed() -> None:
    exact = entry_headers(Entry("x" * 86, FILE, 0o664), "Python-3.13.5", 5)  # 100 bytes
    assert len(exact) == 512
    longer = entry_headers(Entry("x" * 87, FILE, 0o664), "Python-3.13.5", 5)  # 101 bytes
    assert len(longer) == 512 * 3
    assert longer[156:157] == b"x" and b"PaxHeaders/" in longer[:100]
    assert b" path=Python-3.13.5/" + b"x" * 87 + b"\n" in longer[512:1024]
    accented = entry_headers(Entry("caf\u00e9", FILE, 0o664), "P", 5)
    assert len(accented) == 512 * 3 and b"path=P/caf\xc3\xa9\n" in accented
    link = entry_headers(Entry("l", SYMLINK, 0o777, linkname="t" * 101), "P", 5)
    assert link[512:1024].startswith(b"115 linkpath=")
    both = entry_headers(Entry("L" * 110, SYMLINK, 0o777, linkname="u" * 120), "P", 5)
    payload = both[512:1024]
    assert payload.index(b"linkpath=") < payload.index(b" path=")


def test_headers_parse_back_with_tarfile() -> None:
    tree = make_tree(
        {
            "Lib": (DIR, 0o775, b""),
            "Lib/" + "n" * 150 + ".py": (FILE, 0o664, b"data\n" * 200),
            "Lib/link": (SYMLINK, 0o777, "../" + "t" * 120),
            "configure": (FILE, 0o775, b"#!/bin/sh\n"),
        }
    )
    raw = b"".join(tar_stream(tree, "Python-3.14.0rc2", 1_700_000_000, chunk=256))
    assert len(raw) % 10240 == 0
    with tarfile.open(fileobj=BytesIO(raw)) as tf:
        got = {m.name: m for m in tf}
        assert got["Python-3.14.0rc2/Lib/" + "n" * 150 + ".py"].size == 1000
        assert got["Python-3.14.0rc2/Lib/link"].linkname == "../" + "t" * 120
        assert got["Python-3.14.0rc2/configure"].mode == 0o755
        assert all(m.mtime == 1_700_000_000 and m.uname == "" for m in got.values())


def test_gzip_framing_matches_gzip_no_name() -> None:
    comp = GzipCompressor()
    data = b"hello world\n" * 1000
    blob = comp.compress(data[:5000]) + comp.compress(data[5000:]) + comp.flush()
    assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
    assert gzip.decompress(blob) == data
    assert zlib.decompress(blob, 31) == data
    empty = GzipCompressor().flush()
    assert gzip.decompress(empty) == b""


def test_compress_stream_writes_both_and_hashes(tmp_path: Path) -> None:
    chunks = [bytes([i]) * 100_000 for i in range(20)]
    result = compress_stream(
        iter(chunks), release_targets(tmp_path / "a.tgz", tmp_path / "a.tar.xz")
    )
    data = b"".join(chunks)
    assert result.tar_size == len(data)
    import hashlib

    assert result.tar_sha256 == hashlib.sha256(data).hexdigest()
    assert gzip.decompress((tmp_path / "a.tgz").read_bytes()) == data
    assert lzma.decompress((tmp_path / "a.tar.xz").read_bytes()) == data
    assert [w.size for w in result.outputs] == [
        (tmp_path / n).stat().st_size for n in ("a.tgz", "a.tar.xz")
    ]


def test_compress_stream_reports_write_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="writing the archives failed"):
        compress_stream(
            iter([b"x" * 10] * 50),
            release_targets(tmp_path / "missing" / "a.tgz", tmp_path / "a.xz"),
        )


def test_compress_stream_producer_error_stops_workers(tmp_path: Path) -> None:
    def chunks() -> object:
        yield b"abc"
        raise RuntimeError("producer broke")

    with pytest.raises(RuntimeError, match="producer broke"):
        compress_stream(chunks(), release_targets(tmp_path / "a.tgz", tmp_path / "a.xz"))  # type: ignore[arg-type]


def test_remove_unshipped_follows_release_py() -> None:
    tree = make_tree(
        {
            ".gitattributes": (FILE, 0o664, b""),
            ".gitignore": (FILE, 0o664, b""),
            ".github": (DIR, 0o775, b""),
            ".github/x.yml": (FILE, 0o664, b""),
            ".azure-pipelines": (FILE, 0o664, b"a file, so rmtree leaves it"),
            "Misc": (DIR, 0o775, b""),
            "Misc/mypy": (DIR, 0o775, b""),
            "Misc/mypy/a": (FILE, 0o664, b""),
            "Doc": (DIR, 0o775, b""),
            "Doc/.gitignore": (FILE, 0o664, b""),
            "Doc/build": (DIR, 0o775, b""),
            "Doc/build/x": (FILE, 0o664, b""),
            "Lib": (DIR, 0o775, b""),
            "Lib/__pycache__": (DIR, 0o775, b""),
            "Lib/__pycache__/a.cpython-313.pyc": (FILE, 0o664, b""),
            "Lib/b.pyc": (FILE, 0o664, b""),
            "Lib/c.pyo": (FILE, 0o664, b""),
            "Lib/keep.py": (FILE, 0o664, b""),
            "Lib/dir.pyc": (DIR, 0o775, b""),
        }
    )
    remove_unshipped(tree)
    assert sorted(tree.entries) == sorted(
        [
            "",
            ".azure-pipelines",
            "Misc",
            "Doc",
            "Doc/.gitignore",
            "Lib",
            "Lib/keep.py",
            "Lib/dir.pyc",
        ]
    )
