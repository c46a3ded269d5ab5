"""A deterministic, CPython-shaped git repository for tests, benchmarks and rehearsals.

``make_demo_repo(path, "3.13.5")`` writes a git repository whose annotated tag ``v3.13.5``
points at a release commit. Everything is fixed: file contents come from seeded PRNGs
(string seeds, which hash the same way on every Python), author/committer/tagger names and
dates are constants, and the history is written with ``git fast-import`` with no user or
system git configuration in effect. The same call therefore gives the same commit SHA on
any machine.

The tree has what the release tooling looks at: ``Include/patchlevel.h`` (``PY_VERSION``),
``README.rst`` and ``LICENSE`` (what ``blurb`` checks for), ``configure``, ``Makefile.pre.in``,
``Misc/NEWS.d`` (released versions and ``next/`` entries valid for blurb 2.3.0), small but
valid SPDX 2.3 SBOMs shaped like CPython's (``Misc/sbom.spdx.json``,
``Misc/externals.spdx.json``), a bundled pip wheel (a real zip with ``dist-info`` and
``pip/_vendor/vendor.txt``), ``.gitattributes`` with ``export-ignore`` and ``export-subst``,
``.github/``, ``.azure-pipelines/``, ``Misc/mypy/``, nested dot-files, a symlink and
executable scripts.

The ``configure`` script is a tiny POSIX sh script that writes a ``Makefile``: ``make``
checks the tree was exported like a release (``Misc/NEWS`` present, ``Misc/NEWS.d`` gone)
and creates a ``python`` launcher (the host ``python3`` running this tree's ``Lib``),
``make install`` installs it under ``--prefix`` (with ``include/pythonX.Y/patchlevel.h``, as
CPython installs its headers), and ``python3 -m test NAME...`` runs the demo's real unittest
modules (``DEMO_TESTS``). ``Doc/Makefile`` has ``dist-*`` targets
that write small archives into ``Doc/dist`` (named like CPython's).

``scale="small"`` gives a few hundred files (about 1.2 MB); ``scale="large"`` about 4,500
files and 100 MB whose compressibility is close to CPython's (xz -6 to about a fifth).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import math
import os
import random
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput

__all__ = [
    "COMMIT_TIME",
    "DEMO_TESTS",
    "DemoRepo",
    "git_env",
    "make_demo_repo",
]

#: Committer time of the release commit (2025-06-11 12:00:00 UTC); the tag's tagger time too.
COMMIT_TIME = 1749643200
#: Time of the first ("import") commit.
BASE_TIME = 1746100800
AUTHOR = "Demo Release Manager <release-manager@example.org>"
PIP_VERSION = "25.1.1"
#: Test modules the demo ships under ``Lib/test``; ``python3 -m test`` can run them.
DEMO_TESTS = (
    "test_sys",
    "test_os",
    "test_zlib",
    "test_lzma",
    "test_hashlib",
    "test_tarfile",
    "test_unicodedata",
    "test_ensurepip",
)

_SCALES = ("small", "large")

# Targets (total bytes of generated filler) per scale. The fixed files come on top.
_TARGET_BYTES = {"small": 1_100_000, "large": 98_000_000}


@dataclass(frozen=True)
class DemoRepo:
    path: Path
    version: str
    commit: str
    tag: str
    commit_time: int


def git_env() -> dict[str, str]:
    """An environment in which git ignores the user's and the system's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in ("EMAIL",)}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


# --------------------------------------------------------------------------------------
# Version helpers (kept local: this module has no third-party dependencies)


def _split_version(version: str) -> tuple[int, int, int, str, int]:
    import re

    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)([1-9]\d*))?", version)
    if not m:
        raise BadInput(f"demo repository: not a CPython release version: {version!r}")
    major, minor, micro, kind, serial = m.groups()
    return int(major), int(minor), int(micro), kind or "", int(serial or 0)


def _earlier_versions(version: str) -> list[str]:
    """The versions released before ``version`` on its branch (one Misc/NEWS.d file each)."""
    major, minor, micro, kind, serial = _split_version(version)
    base = f"{major}.{minor}.0"
    stages = [("a", 2), ("b", 1), ("rc", 1)]
    out: list[str] = []
    for stage, count in stages:
        if kind == stage:
            out += [f"{base}{stage}{s}" for s in range(1, serial)]
            return out
        out += [f"{base}{stage}{s}" for s in range(1, count + 1)]
    out += [f"{major}.{minor}.{m}" for m in range(micro)]
    return out


# --------------------------------------------------------------------------------------
# Text generation

_KEYWORDS = frozenset(
    [
        "False",
        "None",
        "True",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "nonlocal",
        "not",
        "or",
        "pass",
        "raise",
        "return",
        "try",
        "while",
        "with",
        "yield",
        "match",
        "case",
        "type",
        "print",
        "exec",
    ]
)
_ONSETS = [
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "z",
    "ch",
    "sh",
    "th",
    "st",
    "pr",
    "tr",
    "gr",
    "bl",
    "cl",
    "fl",
    "pl",
    "sl",
]
_VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ou", "ea", "io"]
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "x", "ck", "nd", "st"]


def _make_vocabulary(size: int) -> tuple[list[str], list[float]]:
    rng = random.Random("cpython-release demo vocabulary v1")  # noqa: S311 - deterministic on purpose
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        syllables = 1 + int(rng.random() * 3)
        w = "".join(
            _ONSETS[int(rng.random() * len(_ONSETS))]
            + _VOWELS[int(rng.random() * len(_VOWELS))]
            + _CODAS[int(rng.random() * len(_CODAS))]
            for _ in range(syllables)
        )
        if len(w) < 3 or w in seen or w in _KEYWORDS:
            continue
        seen.add(w)
        words.append(w)
    # Zipf-like frequencies, as identifiers in real code.
    cum: list[float] = []
    total = 0.0
    for rank in range(1, size + 1):
        total += 1.0 / (rank**0.9)
        cum.append(total)
    return words, cum


@functools.cache
def _vocabulary() -> tuple[list[str], list[float]]:
    """Made on first use, not at import: commands that only need :func:`git_env` (the
    upgrade check) do not pay for it."""
    return _make_vocabulary(30000)


class _Words:
    """Draws identifiers from the shared vocabulary with a per-file PRNG."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)  # noqa: S311
        self._buf: list[str] = []

    def word(self) -> str:
        if not self._buf:
            vocab, cum = _vocabulary()
            self._buf = self.rng.choices(vocab, cum_weights=cum, k=512)
        return self._buf.pop()

    def words(self, n: int) -> str:
        return " ".join(self.word() for _ in range(n))

    def ident(self) -> str:
        if self.rng.random() < 0.35:
            return f"{self.word()}_{self.word()}"
        return self.word()

    def num(self) -> int:
        r = self.rng.random()
        if r < 0.5:
            return int(r * 20)
        return int(self.rng.random() * 100000)

    def sentence(self) -> str:
        s = self.words(4 + int(self.rng.random() * 10))
        return s[:1].upper() + s[1:] + "."


def _py_chunk(w: _Words) -> str:
    f, a, b, c = w.ident(), w.ident(), w.ident(), w.ident()
    r = w.rng.random()
    if r < 0.25:
        return (
            f"\n\nclass {f.title().replace('_', '')}({w.word().title()}):\n"
            f'    """{w.sentence()}"""\n\n'
            f"    {a} = {w.num()}\n\n"
            f"    def __init__(self, {b}, {c}=None):\n"
            f"        self.{b} = {b}\n"
            f"        self.{c} = {c} if {c} is not None else {w.num()}\n"
        )
    body = [
        f"\n\ndef {f}({a}, {b}={w.num()}):",
        f'    """{w.sentence()}',
        "",
        f"    {w.sentence()}",
        '    """',
    ]
    for _ in range(2 + int(w.rng.random() * 6)):
        k = w.rng.random()
        if k < 0.3:
            body.append(f"    {c} = {a}.{w.ident()}({b}, {w.num()})")
        elif k < 0.5:
            body.append(f"    if {c} is None or {a} > {w.num()}:")
            body.append(f"        raise ValueError({w.sentence()!r})")
        elif k < 0.7:
            body.append(f"    for {w.word()}_item in {a}.{w.ident()}():")
            body.append(f"        {c} = {w.ident()}({b}, {w.word()}_item)")
        elif k < 0.85:
            body.append(f"    # {w.sentence()}")
            body.append(f"    {c} = [{w.ident()} for {w.ident()} in range({w.num()})]")
        else:
            body.append(f"    {c} = {{{w.word()!r}: {w.num()}, {w.word()!r}: {a}}}")
    body.append(f"    return {c}" if "    " + c in "\n".join(body) else f"    return {a}")
    return "\n".join(body) + "\n"


def _py_file(w: _Words, size: int, header: str = "") -> str:
    parts = [header or f'"""{w.sentence()}\n\n{w.sentence()}\n"""\n\nimport {w.word()}\n']
    total = len(parts[0])
    while total < size:
        chunk = _py_chunk(w)
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def _c_chunk(w: _Words) -> str:
    f, a, b, c = w.ident(), w.ident(), w.ident(), w.ident()
    lines = [
        "",
        "/* " + w.sentence() + " */",
        "static PyObject *",
        f"{f}(PyObject *{a}, Py_ssize_t {b})",
        "{",
        f"    PyObject *{c} = NULL;",
    ]
    for _ in range(2 + int(w.rng.random() * 8)):
        k = w.rng.random()
        if k < 0.3:
            lines.append(f"    {c} = Py{w.word().title()}_{w.word().title()}({a}, {w.num()});")
            lines.append(f"    if ({c} == NULL) {{")
            lines.append("        goto error;")
            lines.append("    }")
        elif k < 0.55:
            lines.append(f"    for (Py_ssize_t i = 0; i < {b}; i++) {{")
            lines.append(f"        {w.ident()}[i] = {w.ident()}({a}, i + {w.num()});")
            lines.append("    }")
        elif k < 0.75:
            lines.append(f"    if ({b} > {w.num()} && {w.ident()}({c}) < 0) {{")
            lines.append(f'        PyErr_SetString(PyExc_ValueError, "{w.words(5)}");')
            lines.append("        return NULL;")
            lines.append("    }")
        else:
            lines.append(f"    Py_XSETREF({c}, {w.ident()}({a}, {b} * {w.num()}));")
    lines += [f"    return {c};", "error:", f"    Py_XDECREF({c});", "    return NULL;", "}", ""]
    return "\n".join(lines)


def _c_file(w: _Words, size: int) -> str:
    parts = [f'/* {w.sentence()} */\n\n#include "Python.h"\n#include "pycore_{w.word()}.h"\n']
    total = len(parts[0])
    while total < size:
        chunk = _c_chunk(w)
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def _h_file(w: _Words, size: int, guard: str) -> str:
    parts = [f'#ifndef {guard}\n#define {guard}\n#ifdef __cplusplus\nextern "C" {{\n#endif\n']
    total = len(parts[0])
    while total < size:
        r = w.rng.random()
        if r < 0.4:
            line = f"#define {w.ident().upper()} {w.num()}\n"
        elif r < 0.8:
            line = (
                f"PyAPI_FUNC(PyObject *) Py{w.word().title()}_{w.word().title()}"
                f"(PyObject *{w.ident()}, Py_ssize_t {w.ident()});\n"
            )
        else:
            line = (
                f"\ntypedef struct {{\n    PyObject_HEAD\n    Py_ssize_t {w.ident()};\n"
                f"    PyObject *{w.ident()};\n}} Py{w.word().title()}Object;\n"
            )
        parts.append(line)
        total += len(line)
    parts.append("\n#ifdef __cplusplus\n}\n#endif\n#endif\n")
    return "".join(parts)


def _rst_file(w: _Words, size: int, title: str) -> str:
    parts = [f"{title}\n{'=' * len(title)}\n\n"]
    total = len(parts[0])
    while total < size:
        r = w.rng.random()
        if r < 0.15:
            head = w.words(3).title()
            chunk = f"\n{head}\n{'-' * len(head)}\n\n"
        elif r < 0.4:
            chunk = (
                f".. function:: {w.ident()}({w.ident()}, /, {w.ident()}=None)\n\n"
                f"   {w.sentence()} {w.sentence()}\n\n"
            )
        elif r < 0.5:
            chunk = f"::\n\n   >>> {w.ident()}({w.num()})\n   {w.num()}\n\n"
        else:
            chunk = " ".join(w.sentence() for _ in range(3 + int(w.rng.random() * 4))) + "\n\n"
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def _bin_file(w: _Words, size: int) -> bytes:
    # Half incompressible noise, half a repetitive table: like audio/image test data.
    noise = w.rng.randbytes(size // 2)
    pattern = bytes(range(256)) * (size // 512 + 1)
    return noise + pattern[: size - len(noise)]


# --------------------------------------------------------------------------------------
# The tree


@dataclass(frozen=True)
class _Entry:
    path: str
    data: bytes
    mode: str = "100644"  # git modes: 100644, 100755, 120000


# (directory, kind, small count, large count, min size, max size)
_LAYOUT: tuple[tuple[str, str, int, int, int, int], ...] = (
    ("Lib", "py", 40, 750, 800, 90_000),
    ("Lib/test", "pytest", 40, 1050, 1_000, 120_000),
    ("Lib/{pkg}", "py", 24, 420, 500, 60_000),
    ("Lib/test/archivetestdata", "bin", 3, 60, 500, 60_000),
    ("Modules", "c", 24, 300, 2_000, 150_000),
    ("Modules/clinic", "c", 8, 170, 1_000, 40_000),
    ("Modules/_decimal/libmpdec", "c", 4, 40, 2_000, 60_000),
    ("Objects", "c", 10, 70, 5_000, 250_000),
    ("Objects/clinic", "c", 4, 40, 1_000, 30_000),
    ("Python", "c", 10, 90, 3_000, 200_000),
    ("Parser", "c", 3, 20, 3_000, 300_000),
    ("Include", "h", 10, 100, 500, 30_000),
    ("Include/internal", "h", 10, 170, 500, 40_000),
    ("Include/cpython", "h", 5, 50, 500, 20_000),
    ("Doc/library", "rst", 30, 480, 1_000, 100_000),
    ("Doc/c-api", "rst", 8, 80, 1_000, 60_000),
    ("Doc/howto", "rst", 4, 40, 2_000, 80_000),
    ("Doc/whatsnew", "rst", 3, 20, 10_000, 200_000),
    ("Doc/_static", "bin", 1, 10, 2_000, 40_000),
    ("Tools/build", "py", 6, 90, 1_000, 50_000),
    ("Tools/clinic", "py", 3, 30, 2_000, 80_000),
    ("PCbuild", "txt", 6, 140, 500, 30_000),
    ("Mac/BuildScript", "py", 2, 20, 1_000, 40_000),
)

# Package and top-level module names never collide with the standard library: the demo's
# installed Lib/ goes on PYTHONPATH in front of the host interpreter's own.
_PACKAGES = (
    "asyncio_demo",
    "email_demo",
    "json_demo",
    "importlib_demo",
    "concurrent_demo",
    "xml_demo",
    "sqlite3_demo",
    "tomllib_demo",
)


def _sizes(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    return [
        int(math.exp(math.log(lo) + rng.random() * (math.log(hi) - math.log(lo)))) for _ in range(n)
    ]


def _filler(scale: str) -> Iterator[_Entry]:
    """Generated source files, sized so the total is about the scale's target."""
    rng = random.Random(f"demo layout {scale}")  # noqa: S311
    plan: list[tuple[str, str, int]] = []
    for directory, kind, small, large, lo, hi in _LAYOUT:
        count = small if scale == "small" else large
        for i, size in enumerate(_sizes(rng, count, lo, hi)):
            plan.append((directory, kind, size if i >= 0 else 0))
    raw_total = sum(s for _, _, s in plan)
    factor = _TARGET_BYTES[scale] / raw_total
    used: set[str] = set()
    for index, (directory, kind, raw_size) in enumerate(plan):
        size = max(200, int(raw_size * factor))
        w = _Words(f"{scale}:{index}:{directory}")
        if "{pkg}" in directory:
            directory = directory.format(pkg=_PACKAGES[index % len(_PACKAGES)])
        base = w.ident()
        if directory == "Lib":
            base = f"_{w.word()}_{base}"
        ext = {"py": ".py", "pytest": ".py", "c": ".c", "h": ".h", "rst": ".rst", "bin": ".dat"}
        name = {
            "pytest": f"test_{base}.py",
            "txt": f"{base}.vcxproj",
        }.get(kind, base + ext.get(kind, ".txt"))
        if kind == "bin" and directory.startswith("Doc"):
            name = base + ".png"
        path = f"{directory}/{name}"
        if path in used or name in ("test.py",):
            path = f"{directory}/{base}_{index}{Path(name).suffix}"
        used.add(path)
        data: bytes
        if kind in ("py", "pytest"):
            data = _py_file(w, size).encode()
        elif kind == "c":
            data = _c_file(w, size).encode()
        elif kind == "h":
            data = _h_file(w, size, f"Py_{base.upper()}_H").encode()
        elif kind == "rst":
            data = _rst_file(w, size, f":mod:`{base}` --- {w.words(4)}").encode()
        elif kind == "bin":
            data = _bin_file(w, size)
        else:
            data = "".join(
                f'    <ClCompile Include="..\\Modules\\{w.ident()}.c" />\n'
                for _ in range(size // 48 + 1)
            ).encode()
        yield _Entry(path, data)


def _patchlevel(version: str) -> str:
    major, minor, micro, kind, serial = _split_version(version)
    level = {"a": "ALPHA", "b": "BETA", "rc": "GAMMA", "": "FINAL"}[kind]
    return f"""\
/* Python version identification scheme. */
#ifndef Py_PATCHLEVEL_H
#define Py_PATCHLEVEL_H

#define PY_RELEASE_LEVEL_ALPHA  0xA
#define PY_RELEASE_LEVEL_BETA   0xB
#define PY_RELEASE_LEVEL_GAMMA  0xC     /* For release candidates */
#define PY_RELEASE_LEVEL_FINAL  0xF     /* Serial should be 0 here */

/*--start constants--*/
#define PY_MAJOR_VERSION        {major}
#define PY_MINOR_VERSION        {minor}
#define PY_MICRO_VERSION        {micro}
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_{level}
#define PY_RELEASE_SERIAL       {serial}

/* Version as a string */
#define PY_VERSION              "{version}"
/*--end constants--*/

#define PY_VERSION_HEX ((PY_MAJOR_VERSION << 24) | (PY_MINOR_VERSION << 16) | \\
                        (PY_MICRO_VERSION <<  8) | \\
                        (PY_RELEASE_LEVEL <<  4) | \\
                        (PY_RELEASE_SERIAL << 0))

#endif /* Py_PATCHLEVEL_H */
"""


_SECTIONS = ("Security", "Core and Builtins", "Library", "Documentation", "Tests", "Build", "C API")
_SANITIZED = {"Core and Builtins": "Core_and_Builtins", "C API": "C_API"}


def _nonce(w: _Words) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[int(w.rng.random() * len(alphabet))] for _ in range(6))


def _blurb_body(w: _Words, n: int) -> str:
    text = " ".join(w.sentence() for _ in range(n))
    return "Fix " + text[0].lower() + text[1:]


def _news_entries(version: str, scale: str) -> Iterator[_Entry]:
    per_version = 6 if scale == "small" else 400
    next_entries = 6 if scale == "small" else 150
    released = [*_earlier_versions(version), version]
    for vi, v in enumerate(released):
        w = _Words(f"news {scale} {v}")
        blocks: list[str] = []
        for i in range(per_version):
            section = _SECTIONS[i % len(_SECTIONS)]
            meta = [
                f".. date: 2025-0{1 + vi % 6}-{10 + i % 18:02d}",
                f".. gh-issue: {100000 + vi * 1000 + i}",
                f".. nonce: {_nonce(w)}",
            ]
            if i == 0:
                meta.append(f".. release date: 2025-0{1 + vi % 6}-28")
            meta.append(f".. section: {section}")
            if section == "Security" and i % 2 == 0:
                meta.append(f".. cve: CVE-2025-{4000 + vi * 10 + i}")
            blocks.append("\n".join(meta) + "\n\n" + _blurb_body(w, 1 + i % 4) + "\n")
        yield _Entry(f"Misc/NEWS.d/{v}.rst", "\n..\n\n".join(blocks).encode())
    w = _Words(f"news next {scale} {version}")
    for i in range(next_entries):
        section = _SECTIONS[i % len(_SECTIONS)]
        directory = _SANITIZED.get(section, section)
        name = f"2025-06-{1 + i % 9:02d}-1{i % 10}-00-00.gh-issue-{130000 + i}.{_nonce(w)}.rst"
        yield _Entry(
            f"Misc/NEWS.d/next/{directory}/{name}", (_blurb_body(w, 1 + i % 3) + "\n").encode()
        )


def _wheel() -> tuple[str, bytes]:
    """A small but real pip wheel (stored, so its bytes do not depend on zlib)."""
    name = f"pip-{PIP_VERSION}-py3-none-any.whl"
    dist_info = f"pip-{PIP_VERSION}.dist-info"
    vendored = {
        "CacheControl": "0.14.2",
        "distlib": "0.3.9",
        "idna": "3.10",
        "packaging": "25.0",
        "requests": "2.32.3",
        "urllib3": "1.26.20",
    }
    files: dict[str, bytes] = {
        "pip/__init__.py": f'__version__ = "{PIP_VERSION}"\n\n\ndef main(args=None):\n'
        "    return 0\n".encode(),
        "pip/__main__.py": b"import sys\n\nfrom pip import main\n\nsys.exit(main())\n",
        "pip/_vendor/__init__.py": b"",
        "pip/_vendor/vendor.txt": "".join(f"{k}=={v}\n" for k, v in vendored.items()).encode(),
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.4\nName: pip\n"
            f"Version: {PIP_VERSION}\nSummary: The PyPA recommended tool for installing "
            "Python packages.\nLicense-Expression: MIT\nRequires-Python: >=3.9\n"
        ).encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": b"[console_scripts]\npip = pip._internal.cli.main:main\n",
        f"{dist_info}/top_level.txt": b"pip\n",
    }
    record_lines = []
    for fname, data in files.items():
        digest = hashlib.sha256(data).digest()
        import base64

        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record_lines.append(f"{fname},sha256={b64},{len(data)}")
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for fname, data in files.items():
            info = zipfile.ZipInfo(fname, date_time=(2025, 5, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data)
    return name, buf.getvalue()


def _spdx_id(path: str) -> str:
    return "SPDXRef-FILE-" + "".join(c if c.isalnum() or c == "." else "-" for c in path)


def _describes(packages: list[dict[str, object]]) -> list[dict[str, str]]:
    """DOCUMENT DESCRIBES each package: what makes the document valid SPDX 2.3 on its own."""
    return [
        {
            "relatedSpdxElement": str(p["SPDXID"]),
            "relationshipType": "DESCRIBES",
            "spdxElementId": "SPDXRef-DOCUMENT",
        }
        for p in packages
    ]


def _sbom(files: dict[str, bytes]) -> bytes:
    """Misc/sbom.spdx.json: CPython's shape (files with SHA1+SHA256, packages, CONTAINS)."""
    packages = {
        "expat": ("2.7.1", "MIT", "libexpat_project:libexpat", "Modules/expat/"),
        "mpdecimal": ("2.5.1", "BSD-2-Clause", "bytereef:mpdecimal", "Modules/_decimal/libmpdec/"),
        "hacl-star": ("0.0.0", "MIT", "hacl-star:hacl-star", "Modules/_hacl/"),
    }
    doc_files = []
    rels = []
    pkgs: list[dict[str, object]] = []
    for pname, (ver, lic, cpe, prefix) in packages.items():
        members = sorted(p for p in files if p.startswith(prefix))
        archive_sha = hashlib.sha256(f"{pname}-{ver}".encode()).hexdigest()
        pkgs.append(
            {
                "SPDXID": f"SPDXRef-PACKAGE-{pname}",
                "checksums": [{"algorithm": "SHA256", "checksumValue": archive_sha}],
                "downloadLocation": f"https://example.org/{pname}/{pname}-{ver}.tar.gz",
                "externalRefs": [
                    {
                        "referenceCategory": "SECURITY",
                        "referenceLocator": f"cpe:2.3:a:{cpe}:{ver}:*:*:*:*:*:*:*",
                        "referenceType": "cpe23Type",
                    }
                ],
                "licenseConcluded": lic,
                "name": pname,
                "originator": f"Organization: {pname} developers",
                "primaryPackagePurpose": "SOURCE",
                "versionInfo": ver,
            }
        )
        for m in members:
            doc_files.append(
                {
                    "SPDXID": _spdx_id(m),
                    "checksums": [
                        {"algorithm": "SHA1", "checksumValue": hashlib.sha1(files[m]).hexdigest()},  # noqa: S324
                        {
                            "algorithm": "SHA256",
                            "checksumValue": hashlib.sha256(files[m]).hexdigest(),
                        },
                    ],
                    "fileName": m,
                }
            )
            rels.append(
                {
                    "relatedSpdxElement": _spdx_id(m),
                    "relationshipType": "CONTAINS",
                    "spdxElementId": f"SPDXRef-PACKAGE-{pname}",
                }
            )
    doc = {
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {"created": "2025-06-11T12:00:00Z", "creators": ["Person: Demo"]},
        "dataLicense": "CC0-1.0",
        "documentNamespace": "https://example.org/cpython-demo/sbom",
        "files": doc_files,
        "name": "CPython SBOM",
        "packages": pkgs,
        "relationships": _describes(pkgs) + rels,
        "spdxVersion": "SPDX-2.3",
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def _externals_sbom() -> bytes:
    externals = {
        "bzip2": ("1.0.8", "bzip2-1.0.6"),
        "libffi": ("3.4.4", "MIT"),
        "openssl": ("3.0.16", "Apache-2.0"),
        "sqlite": ("3.49.1.0", "blessing"),
        "xz": ("5.2.5", "0BSD"),
        "zlib": ("1.3.1", "Zlib"),
    }
    pkgs: list[dict[str, object]] = []
    for name, (ver, lic) in externals.items():
        pkgs.append(
            {
                "SPDXID": f"SPDXRef-PACKAGE-{name}",
                "checksums": [
                    {
                        "algorithm": "SHA256",
                        "checksumValue": hashlib.sha256(f"{name}-{ver}".encode()).hexdigest(),
                    }
                ],
                "downloadLocation": f"https://github.com/python/cpython-source-deps/archive/"
                f"refs/tags/{name}-{ver}.tar.gz",
                "externalRefs": [
                    {
                        "referenceCategory": "SECURITY",
                        "referenceLocator": f"cpe:2.3:a:{name}:{name}:{ver}:*:*:*:*:*:*:*",
                        "referenceType": "cpe23Type",
                    }
                ],
                "licenseConcluded": lic,
                "name": name,
                "primaryPackagePurpose": "SOURCE",
                "versionInfo": ver,
            }
        )
    doc = {
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {"created": "2025-06-11T12:00:00Z", "creators": ["Person: Demo"]},
        "dataLicense": "CC0-1.0",
        "documentNamespace": "https://example.org/cpython-demo/externals",
        "files": [],
        "name": "CPython Windows externals SBOM",
        "packages": pkgs,
        "relationships": _describes(pkgs),
        "spdxVersion": "SPDX-2.3",
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


_CONFIGURE = r"""#!/bin/sh
# configure for the cpython-release demo tree (a stand-in for CPython's autoconf script).
# Writes a Makefile; `make` checks the tree looks like an exported release and creates a
# `python` launcher; `make install` installs it; `make test` runs the demo test modules.
prefix=/usr/local
for arg in "$@"; do
    case $arg in
        --prefix=*) prefix=${arg#--prefix=} ;;
        --help) echo "usage: ./configure [--prefix=DIR]"; exit 0 ;;
        *) echo "configure: warning: ignoring $arg" >&2 ;;
    esac
done
host_python=$(command -v python3) || { echo "configure: error: no python3" >&2; exit 1; }
srcdir=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^#define PY_VERSION[ ]*"\(.*\)"/\1/p' "$srcdir/Include/patchlevel.h")
[ -n "$version" ] || { echo "configure: error: no PY_VERSION" >&2; exit 1; }
short=$(echo "$version" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
echo "checking for python version... $version"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@HOST_PYTHON@|$host_python|g" \
    -e "s|@VERSION@|$version|g" -e "s|@SHORT@|$short|g" -e "s|@SRCDIR@|$srcdir|g" \
    "$srcdir/Makefile.pre.in" > Makefile
echo "configure: wrote Makefile (prefix $prefix)"
"""

_MAKEFILE_PRE_IN = """\
# Makefile.pre.in for the cpython-release demo tree (configure substitutes @VARS@).
prefix=\t\t@PREFIX@
HOST_PYTHON=\t@HOST_PYTHON@
VERSION=\t@VERSION@
SHORT=\t\t@SHORT@
srcdir=\t\t@SRCDIR@
TESTOPTS=

all: python

python: Makefile Include/patchlevel.h
\t@test -f Misc/NEWS || { echo "error: Misc/NEWS missing (not an exported release)"; exit 1; }
\t@test ! -d Misc/NEWS.d || { echo "error: Misc/NEWS.d present (blurb export not run)"; exit 1; }
\t@test ! -e .gitattributes || { echo "error: .gitattributes shipped"; exit 1; }
\t@grep -q '"$(VERSION)"' Include/patchlevel.h
\tprintf '#!/bin/sh\\nPYTHONPATH="$(srcdir)/Lib" exec "$(HOST_PYTHON)" "$$@"\\n' > python
\tchmod +x python

install: python
\tmkdir -p "$(prefix)/bin" "$(prefix)/lib/python$(SHORT)" "$(prefix)/include/python$(SHORT)"
\tcp -R Lib/. "$(prefix)/lib/python$(SHORT)/"
\tcp Include/patchlevel.h "$(prefix)/include/python$(SHORT)/"
\tprintf '#!/bin/sh\\nPYTHONPATH="$(prefix)/lib/python$(SHORT)" exec "$(HOST_PYTHON)" "$$@"\\n' \\
\t\t> "$(prefix)/bin/python3"
\tchmod +x "$(prefix)/bin/python3"

test: python
\t./python -m test $(TESTOPTS)

clean:
\trm -f python

.PHONY: all install test clean
"""

_TEST_MAIN = '''\
"""Minimal regrtest stand-in: ``python -m test [-uall] [-jN] NAME...`` runs demo modules."""

import sys
import unittest


def main(argv):
    names = []
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
        elif arg in ("-u", "-j", "--timeout"):
            skip_next = True
        elif not arg.startswith("-"):
            names.append(arg)
    if not names:
        print("no tests named", file=sys.stderr)
        return 2
    suite = unittest.TestSuite()
    for name in names:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromName("test." + name))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    print("== Tests result: %s ==" % ("SUCCESS" if result.wasSuccessful() else "FAILURE"))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

# One small but real unittest module per name in DEMO_TESTS (CPython's own module names,
# so the same test subset runs against the demo tree and against CPython).
_DEMO_TEST_BODIES = {
    "test_sys": """\
    def test_version(self):
        self.assertGreaterEqual(sys.version_info[:2], (3, 8))
        self.assertIn(sys.byteorder, ("little", "big"))
""",
    "test_os": """\
    def test_installed_stdlib(self):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.assertIn("ensurepip", os.listdir(here))
        self.assertEqual(os.path.split(os.path.join("a", "b")), ("a", "b"))
""",
    "test_zlib": """\
    def test_roundtrip(self):
        import zlib
        data = bytes(range(256)) * 64
        self.assertEqual(zlib.decompress(zlib.compress(data, 9)), data)
        self.assertEqual(zlib.crc32(b"abc"), 0x352441C2)
""",
    "test_lzma": """\
    def test_roundtrip(self):
        import lzma
        data = bytes(range(256)) * 64
        blob = lzma.compress(data, check=lzma.CHECK_CRC64)
        self.assertEqual(lzma.decompress(blob), data)
""",
    "test_hashlib": """\
    def test_sha256_vector(self):
        import hashlib
        self.assertEqual(
            hashlib.sha256(b"abc").hexdigest(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        )
""",
    "test_tarfile": """\
    def test_roundtrip(self):
        import io
        import tarfile
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            info = tarfile.TarInfo("a/b.txt")
            info.size = 3
            tf.addfile(info, io.BytesIO(b"abc"))
        buf.seek(0)
        with tarfile.open(fileobj=buf) as tf:
            self.assertEqual(tf.extractfile("a/b.txt").read(), b"abc")
""",
    "test_unicodedata": """\
    def test_names(self):
        import unicodedata
        self.assertEqual(unicodedata.name("A"), "LATIN CAPITAL LETTER A")
        self.assertEqual(unicodedata.lookup("SNOWMAN"), "\\u2603")
""",
    "test_ensurepip": """\
    def test_bundled_wheel(self):
        import zipfile
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        bundled = os.path.join(here, "ensurepip", "_bundled")
        wheels = [n for n in os.listdir(bundled) if n.endswith(".whl")]
        self.assertEqual(len(wheels), 1)
        with zipfile.ZipFile(os.path.join(bundled, wheels[0])) as zf:
            self.assertIsNone(zf.testzip())
            self.assertIn("pip/_vendor/vendor.txt", zf.namelist())
""",
}


def _demo_test_module(name: str) -> str:
    cls = name[len("test_") :].title().replace("_", "") + "Tests"
    return (
        f'"""Demo {name}: a small real test the release test job runs."""\n\n'
        "import os\nimport sys\nimport unittest\n\n\n"
        f"class {cls}(unittest.TestCase):\n{_DEMO_TEST_BODIES[name]}\n\n"
        'if __name__ == "__main__":\n    unittest.main()\n'
    )


_DOC_MAKEFILE = """\
# Doc/Makefile for the cpython-release demo tree: real targets, tiny outputs.
# The release tooling runs `make dist-epub dist-html dist-texinfo dist-text` here with
# SPHINXBUILD and BLURB pointing into a venv made from requirements.txt.
PYTHON       = python3
SPHINXBUILD  = sphinx-build
BLURB        = blurb
DISTVERSION  = $(shell $(PYTHON) tools/extensions/patchlevel.py)

.PHONY: dist-html dist-text dist-texinfo dist-epub clean

build/%:
\tmkdir -p $@
\t$(PYTHON) tools/render.py $* $@

dist-html: build/html
\t$(PYTHON) tools/pack.py build/html dist python-$(DISTVERSION)-docs-html

dist-text: build/text
\t$(PYTHON) tools/pack.py build/text dist python-$(DISTVERSION)-docs-text

dist-texinfo: build/texinfo
\t$(PYTHON) tools/pack.py build/texinfo dist python-$(DISTVERSION)-docs-texinfo

dist-epub: build/epub
\tmkdir -p dist
\tcp build/epub/Python.epub dist/python-$(DISTVERSION)-docs.epub

clean:
\trm -rf build dist
"""

_DOC_PATCHLEVEL = '''\
"""Print the documentation's version (what CPython's Doc/tools/extensions/patchlevel.py does)."""

import re
from pathlib import Path

text = (Path(__file__).parents[3] / "Include" / "patchlevel.h").read_text()
print(re.search(r'#define PY_VERSION\\s+"([^"]+)"', text).group(1))
'''

_DOC_RENDER = '''\
"""Render the demo docs: one output file per .rst, in the requested format."""

import sys
from pathlib import Path

fmt, out = sys.argv[1], Path(sys.argv[2])
root = Path(__file__).parents[1]
sources = sorted(p for p in root.rglob("*.rst") if "build" not in p.parts)
if fmt == "epub":
    import zipfile
    with zipfile.ZipFile(out / "Python.epub", "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        for src in sources:
            zf.writestr(str(src.relative_to(root)), src.read_text())
else:
    suffix = {"html": ".html", "text": ".txt", "texinfo": ".texi"}[fmt]
    for src in sources:
        target = out / src.relative_to(root).with_suffix(suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(src.read_text())
'''

_DOC_PACK = '''\
"""pack.py DIR DISTDIR NAME: write DISTDIR/NAME.zip and DISTDIR/NAME.tar.bz2 (top dir NAME)."""

import sys
import tarfile
import zipfile
from pathlib import Path

src, dist, top = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
dist.mkdir(parents=True, exist_ok=True)
files = sorted(p for p in src.rglob("*") if p.is_file())
with zipfile.ZipFile(dist / (top + ".zip"), "w", zipfile.ZIP_DEFLATED) as zf:
    for path in files:
        zf.write(path, f"{top}/{path.relative_to(src)}")
with tarfile.open(dist / (top + ".tar.bz2"), "w:bz2") as tf:
    for path in files:
        tf.add(path, f"{top}/{path.relative_to(src)}")
'''


def _fixed_files(version: str, scale: str) -> Iterator[_Entry]:
    major, minor, *_ = _split_version(version)
    short = f"{major}.{minor}"
    w = _Words(f"fixed {scale}")
    yield _Entry(
        "README.rst",
        f"This is Python version {version}\n{'=' * (23 + len(version))}\n\n"
        f"{_rst_file(w, 3000, 'General Information')}".encode(),
    )
    yield _Entry(
        "LICENSE",
        f"A. HISTORY OF THE SOFTWARE\n==========================\n\n{w.sentence()}\n".encode(),
    )
    yield _Entry("configure", _CONFIGURE.encode(), "100755")
    yield _Entry("configure.ac", f"AC_INIT([python], [{short}])\n".encode())
    yield _Entry("Makefile.pre.in", _MAKEFILE_PRE_IN.encode())
    yield _Entry("Include/patchlevel.h", _patchlevel(version).encode())
    yield _Entry("Include/Python.h", _h_file(w, 4000, "Py_PYTHON_H").encode())
    yield _Entry("Python/ceval.c", _c_file(w, 20000 if scale == "small" else 400_000).encode())
    yield _Entry("Misc/ACKS", ("\n".join(w.ident().title() for _ in range(200)) + "\n").encode())
    yield _Entry("Misc/externals.spdx.json", _externals_sbom())
    yield _Entry("Misc/mypy/typeshed_stubs.txt", b"Lib/_colorize.py\nLib/tomllib\n")
    yield _Entry("Misc/README.link", b"../README.rst", "120000")  # a symlink inside the tree
    yield _Entry(
        "Misc/build-info.txt",
        b"commit: $Format:%H$\ncommitted: $Format:%cI$\nliteral: $Format$ stays\n",
    )
    yield _Entry("Misc/export-ignored-notes.txt", b"Release-manager notes; not shipped.\n")
    # dotfiles: only the top-level .gitattributes/.gitignore are removed by the export
    yield _Entry(
        ".gitattributes",
        b"# Attributes for the demo tree\n"
        b"*.png binary\n"
        b"PC/*.bat text eol=crlf\n"
        b"/Misc/export-ignored-notes.txt export-ignore\n"
        b"/Tools/ci export-ignore\n"
        b"/Misc/build-info.txt export-subst\n",
    )
    yield _Entry(".gitignore", b"*.o\n*.pyc\n__pycache__/\n/python\n/Makefile\nbuild/\n")
    yield _Entry(".editorconfig", b"root = true\n\n[*.{py,c,h}]\nindent_style = space\n")
    yield _Entry(".pre-commit-config.yaml", b"repos: []\n")
    yield _Entry("Lib/test/.ruff.toml", b'extend = "../../.ruff.toml"\n')
    yield _Entry("Doc/.gitignore", b"build/\nvenv/\ndist/\n")
    yield _Entry(".github/workflows/build.yml", b"name: Tests\non: [push]\njobs: {}\n")
    yield _Entry(".github/CODEOWNERS", b"* @python/demo\n")
    yield _Entry(".azure-pipelines/ci.yml", b"trigger: none\n")
    yield _Entry("Tools/ci/run.sh", b"#!/bin/sh\necho ci only\n", "100755")
    yield _Entry(
        "Tools/scripts/summarize_stats.py",
        b'#!/usr/bin/env python3\n"""Print a summary."""\n\nprint(\'stats\')\n',
        "100755",
    )
    yield _Entry("PC/build_env.bat", b"@echo off\nrem Build environment\nset PY=1\n")
    # Misc/NEWS.d
    yield from _news_entries(version, scale)
    # Lib
    yield _Entry(
        "Lib/ensurepip/__init__.py",
        f'__all__ = ["version", "bootstrap"]\n_PIP_VERSION = "{PIP_VERSION}"\n\n\n'
        "def version():\n    return _PIP_VERSION\n".encode(),
    )
    wheel_name, wheel = _wheel()
    yield _Entry(f"Lib/ensurepip/_bundled/{wheel_name}", wheel)
    yield _Entry("Lib/test/__init__.py", b"# Dummy file to make this directory a package.\n")
    yield _Entry("Lib/test/__main__.py", _TEST_MAIN.encode())
    for name in DEMO_TESTS:
        yield _Entry(f"Lib/test/{name}.py", _demo_test_module(name).encode())
    for pkg in _PACKAGES:
        yield _Entry(f"Lib/{pkg}/__init__.py", f'"""The {pkg} package."""\n'.encode())
    # Vendored libraries the SBOM describes.
    for pkg_dir, names in (
        ("Modules/expat", ("COPYING", "expat.h", "xmlparse.c", "xmltok.c", "xmlrole.c")),
        ("Modules/_decimal/libmpdec", ("mpdecimal.h", "basearith.c", "README.txt")),
        ("Modules/_hacl", ("Hacl_Hash_SHA2.c", "Hacl_Hash_SHA2.h", "Lib_Memzero0.c")),
    ):
        for name in names:
            wv = _Words(f"vendored {pkg_dir}/{name}")
            if name.endswith(".c"):
                body = _c_file(wv, 4000 if scale == "small" else 60_000)
            elif name.endswith(".h"):
                body = _h_file(wv, 2000, name.replace(".", "_").upper())
            else:
                body = wv.sentence() + "\n"
            yield _Entry(f"{pkg_dir}/{name}", body.encode())
    # Doc
    yield _Entry("Doc/Makefile", _DOC_MAKEFILE.encode())
    # CPython's lists Sphinx, blurb, python-docs-theme...; the demo's docs need nothing, so
    # the real docs driver (venv + pip install -r + make dist-*) runs offline on it.
    yield _Entry(
        "Doc/requirements.txt",
        b"# Requirements to build the documentation (the demo docs need no packages).\n",
    )
    yield _Entry("Doc/conf.py", b"project = 'Python'\nextensions = []\n")
    yield _Entry("Doc/tools/extensions/patchlevel.py", _DOC_PATCHLEVEL.encode())
    yield _Entry("Doc/tools/render.py", _DOC_RENDER.encode())
    yield _Entry("Doc/tools/pack.py", _DOC_PACK.encode())
    yield _Entry("Doc/index.rst", _rst_file(w, 2000, "Python Documentation").encode())


def _tree(version: str, scale: str, extra: dict[str, bytes] | None = None) -> list[_Entry]:
    entries: dict[str, _Entry] = {}
    for e in _fixed_files(version, scale):
        entries[e.path] = e
    for p, data in (extra or {}).items():  # the upgrade case's files (demo_upgrade)
        entries[p] = _Entry(p, data)
    for e in _filler(scale):
        entries.setdefault(e.path, e)
    sbom_input = {p: e.data for p, e in entries.items()}
    entries["Misc/sbom.spdx.json"] = _Entry("Misc/sbom.spdx.json", _sbom(sbom_input))
    return [entries[p] for p in sorted(entries)]


# --------------------------------------------------------------------------------------
# Writing the repository


def _data_cmd(data: bytes) -> bytes:
    return b"data %d\n" % len(data) + data + b"\n"


def _fast_import_stream(
    version: str, scale: str, commit_msg: str, *, past_tag: bool = False, upgrade: bool = False
) -> bytes:
    from cpython_release import demo_upgrade

    ident = AUTHOR.encode()
    out = io.BytesIO()
    tree = _tree(version, scale, demo_upgrade.base_files() if upgrade else None)
    # Commit 1: the tree before the release (patchlevel says "+" like CPython's branches).
    out.write(b"commit refs/heads/main\nmark :1\n")
    out.write(b"author %s %d +0000\ncommitter %s %d +0000\n" % (ident, BASE_TIME, ident, BASE_TIME))
    out.write(_data_cmd(b"Import the demo tree"))
    for e in tree:
        data = e.data
        if e.path == "Include/patchlevel.h":
            data = data.replace(f'"{version}"'.encode(), f'"{version}+"'.encode())
        out.write(f"M {e.mode} inline {e.path}\n".encode())
        out.write(_data_cmd(data))
    # Commit 2: the release commit (what `release.py --bump` would make).
    out.write(b"commit refs/heads/main\nmark :2\n")
    out.write(
        b"author %s %d +0000\ncommitter %s %d +0000\n" % (ident, COMMIT_TIME, ident, COMMIT_TIME)
    )
    out.write(_data_cmd(commit_msg.encode()))
    out.write(b"from :1\n")
    patch = next(e for e in tree if e.path == "Include/patchlevel.h")
    out.write(b"M 100644 inline Include/patchlevel.h\n" + _data_cmd(patch.data))
    out.write(f"tag v{version}\nfrom :2\n".encode())
    out.write(b"tagger %s %d +0000\n" % (ident, COMMIT_TIME))
    out.write(_data_cmd(f"Python {version}\n".encode()))
    if past_tag:
        out.write(_past_tag_commit(version, patch.data, ident))
    if upgrade:
        out.write(demo_upgrade.release_stream(ident, ":2", patch.data))
    out.write(b"done\n")
    return out.getvalue()


#: Committer time of the commit past the tag (one day after the release).
PAST_TAG_TIME = COMMIT_TIME + 86400


def _past_tag_commit(version: str, patchlevel: bytes, ident: bytes) -> bytes:
    """Commit 3: one fix past the release, as a branch head between releases looks: the
    patchlevel goes back to ``V+`` (what ``release.py --done`` does) and one news entry
    waits in ``Misc/NEWS.d/next``."""
    out = io.BytesIO()
    out.write(b"commit refs/heads/main\nmark :3\n")
    out.write(
        b"author %s %d +0000\ncommitter %s %d +0000\n"
        % (ident, PAST_TAG_TIME, ident, PAST_TAG_TIME)
    )
    out.write(_data_cmd(b"gh-140000: Fix the demo's first bug after the release"))
    out.write(b"from :2\n")
    bumped = patchlevel.replace(f'"{version}"'.encode(), f'"{version}+"'.encode())
    out.write(b"M 100644 inline Include/patchlevel.h\n" + _data_cmd(bumped))
    entry = "Misc/NEWS.d/next/Library/2025-06-12-12-00-00.gh-issue-140000.PastTg.rst"
    out.write(f"M 100644 inline {entry}\n".encode())
    out.write(_data_cmd(b"Fix the demo's first bug after the release.\n"))
    return out.getvalue()


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=data,
        capture_output=True,
        env=git_env(),
        check=False,
    )
    if proc.returncode != 0:
        raise BadInput(
            f"demo repository: git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode().strip()


def make_demo_repo(
    path: Path,
    version: str = "3.13.5",
    *,
    scale: str = "small",
    past_tag: bool = False,
    upgrade: bool = False,
) -> DemoRepo:
    """Create a CPython-shaped git repository whose tag ``vVERSION`` is the release commit.

    With ``past_tag``, ``main`` goes one commit further (patchlevel ``VERSION+``, one entry
    in ``Misc/NEWS.d/next``): a branch head between releases, what a nightly builds; the
    branch ``X.Y`` points there too. The returned ``commit`` is then that head; the tag still
    names the release commit.

    With ``upgrade`` (3.13.5 only), the upgrade-safety case of ``demo_upgrade``: planted
    backports after ``v3.13.5`` and a second patch release ``v3.13.6``, which is returned.
    """
    if scale not in _SCALES:
        raise BadInput(f"demo repository: scale must be one of {', '.join(_SCALES)}")
    if upgrade and (past_tag or version != "3.13.5"):
        raise BadInput("demo repository: the upgrade case is 3.13.5 -> 3.13.6, without past_tag")
    _split_version(version)
    path = Path(path)
    if path.exists() and any(path.iterdir()):
        raise BadInput(f"demo repository: {path} exists and is not empty")
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    for key, value in (
        ("core.autocrlf", "false"),
        ("commit.gpgsign", "false"),
        ("tag.gpgsign", "false"),
        ("user.name", "Demo"),
        ("user.email", "demo@example.org"),
    ):
        _git(path, "config", key, value)
    stream = _fast_import_stream(
        version, scale, f"Python {version}", past_tag=past_tag, upgrade=upgrade
    )
    _git(path, "fast-import", "--quiet", "--done", data=stream)
    _git(path, "reset", "-q", "--hard", "main")
    commit = _git(path, "rev-parse", "main^{commit}")
    if past_tag:
        # the maintenance branch a nightly of this release line builds (main carries it too)
        major, minor, *_ = _split_version(version)
        _git(path, "branch", f"{major}.{minor}", commit)
    from cpython_release import demo_upgrade

    if upgrade:
        version = demo_upgrade.TO_VERSION
    return DemoRepo(
        path=path,
        version=version,
        commit=commit,
        tag=f"v{version}",
        commit_time=demo_upgrade.RELEASE_TIME
        if upgrade
        else PAST_TAG_TIME
        if past_tag
        else COMMIT_TIME,
    )


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the deterministic demo CPython repository.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--version", default="3.13.5")
    parser.add_argument("--scale", choices=_SCALES, default="small")
    parser.add_argument(
        "--past-tag", action="store_true", help="one commit past the tag (a nightly's head)"
    )
    parser.add_argument(
        "--upgrade", action="store_true", help="the upgrade-safety case: v3.13.6 after v3.13.5"
    )
    parser.add_argument(
        "--builds",
        type=Path,
        metavar="DIR",
        help="with --upgrade: also build both releases (DIR/3.13.5 and DIR/3.13.6), the "
        "interpreters for upgrade-check --build-old/--build-new",
    )
    args = parser.parse_args(argv)
    from cpython_release import demo_upgrade

    try:
        if args.builds and not args.upgrade:
            raise BadInput("--builds needs --upgrade (it builds v3.13.5 and v3.13.6)")
        repo = make_demo_repo(
            args.path, args.version, scale=args.scale, past_tag=args.past_tag, upgrade=args.upgrade
        )
        builds = {
            v: str(demo_upgrade.build_release(repo.path, f"v{v}", args.builds / v))
            for v in (demo_upgrade.FROM_VERSION, demo_upgrade.TO_VERSION)
            if args.builds
        }
    except BadInput as exc:
        print(f"demo_repo: error: {exc}", file=sys.stderr)
        return 2
    info: dict[str, object] = {
        "path": str(repo.path),
        "version": repo.version,
        "commit": repo.commit,
        "tag": repo.tag,
        "commit_time": repo.commit_time,
    }
    if builds:
        info["builds"] = builds
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
