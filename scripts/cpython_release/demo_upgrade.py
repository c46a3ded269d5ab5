"""The demo repository's upgrade-safety case (issue 14): a second patch release, planted.

``make_demo_repo(path, "3.13.5", upgrade=True)`` writes the usual ``v3.13.5`` (plus a small
real module ``Lib/json_demo/scanner.py`` with its tests ``Lib/test/test_json_demo.py``,
``Misc/stable_abi.toml`` and ``Doc/data/python3.13.abi``), then these backports and the
release commit tagged ``v3.13.6``:

- gh-140101 (behaviour change): numbers with leading zeros are now refused, and the existing
  assertion that ``"007"`` parses as 7 is edited to expect ``ValueError``: part 1 flags the
  edited test, part 2 sees the old test pass on 3.13.5 and fail on 3.13.6;
- gh-140102 (a crash fix): the empty string raised IndexError, now ValueError; the commit
  only *adds* a test: not flagged;
- gh-140103 (a removed test): the legacy alias ``parseNumber`` goes, and with it its test
  method: flagged by part 1 (and by part 2: the old test fails on the new interpreter);
- gh-140104 (a stable-ABI entry removed): ``function.PyDemo_OldCall`` leaves
  ``Misc/stable_abi.toml`` and the ABI dump: flagged by part 3. Its message names no issue;
  the gh-issue comes from its NEWS entry's file name.

Without ``upgrade=True`` nothing here is used and the demo repository is unchanged.
"""

from __future__ import annotations

import io
from pathlib import Path

FROM_VERSION = "3.13.5"
TO_VERSION = "3.13.6"
#: Committer time of the first planted backport (ten days after 3.13.5); one hour apart.
BACKPORT_TIME = 1749643200 + 10 * 86400
#: Committer time of the 3.13.6 release commit, and its tag's.
RELEASE_TIME = BACKPORT_TIME + 4 * 3600
#: gh-issue -> what the upgrade check must say of it.
PLANTED = {
    140101: "changed-tests",
    140102: None,
    140103: "removed-tests",
    140104: "stable-abi",
}

_SCANNER = '''\
"""json_demo.scanner: the number scanner (a small real module for the upgrade check)."""


def parse_number(text):
    """Parse a JSON-like number: an int, or a float when it has a fraction."""
    text = text.strip(){empty}
    if text[0] == "-":
        return -parse_number(text[1:]){zeros}
    if "." in text:
        return float(text)
    return int(text)
{alias}'''
_EMPTY = '\n    if not text:\n        raise ValueError("empty number")'
_ZEROS = (
    '\n    if len(text) > 1 and text[0] == "0" and text[1] != ".":\n'
    '        raise ValueError(f"leading zeros are not allowed: {text!r}")'
)
_ALIAS = "\n\nparseNumber = parse_number  # the name before 3.13, kept for compatibility\n"

_TESTS = '''\
"""Tests of json_demo.scanner."""

import unittest

from json_demo import scanner


class ScannerTests(unittest.TestCase):
    def test_parse_int(self):
        self.assertEqual(scanner.parse_number("12"), 12)
        self.assertEqual(scanner.parse_number("-3"), -3)

    def test_parse_float(self):
        self.assertEqual(scanner.parse_number("1.5"), 1.5)
{alias}
    def test_leading_zeros(self):
{zeros}{empty}

if __name__ == "__main__":
    unittest.main()
'''
_T_ALIAS = """
    def test_legacy_alias(self):
        self.assertIs(scanner.parseNumber, scanner.parse_number)
"""
_T_ZEROS_OLD = '        self.assertEqual(scanner.parse_number("007"), 7)\n'
_T_ZEROS_NEW = (
    '        with self.assertRaises(ValueError):\n            scanner.parse_number("007")\n'
)
_T_EMPTY = """
    def test_empty(self):
        with self.assertRaises(ValueError):
            scanner.parse_number("")
"""

_STABLE_ABI = """\
# The limited API and stable ABI of the demo tree (the shape of CPython's manifest).

[function.PyDemo_Call]
    added = '3.2'
[function.PyDemo_OldCall]
    added = '3.2'
    abi_only = true
[data.PyDemo_Type]
    added = '3.2'
[struct.PyDemoObject]
    added = '3.2'
    struct_abi_kind = 'opaque'
[macro.PY_DEMO_FLAG]
    added = '3.10'
"""


def _symbol(name: str, kind: str = "func-type", size: str = "") -> str:
    """One ``elf-symbol`` line of a libabigail ABI dump (what ``Doc/data/python3.Y.abi`` holds)."""
    return (
        f"    <elf-symbol name='{name}'{size} type='{kind}' binding='global-binding' "
        "visibility='default-visibility' is-defined='yes'/>\n"
    )


_ABI = (
    "<abi-corpus version='2.1' path='libpython3.13.so.1.0' architecture='elf-amd-x86_64' "
    "soname='libpython3.13.so.1.0'>\n"
    "  <elf-function-symbols>\n"
    + _symbol("PyDemo_Call")
    + "{old}"
    + _symbol("PyDemo_New")
    + "  </elf-function-symbols>\n  <elf-variable-symbols>\n"
    + _symbol("PyDemo_Type", "object-type", " size='408'")
    + "  </elf-variable-symbols>\n</abi-corpus>\n"
)
_ABI_OLD = _symbol("PyDemo_OldCall")


def _scanner(*, empty: bool, zeros: bool, alias: bool) -> bytes:
    return _SCANNER.format(
        empty=_EMPTY if empty else "", zeros=_ZEROS if zeros else "", alias=_ALIAS if alias else ""
    ).encode()


def _tests(*, empty: bool, zeros: bool, alias: bool) -> bytes:
    return _TESTS.format(
        alias=_T_ALIAS if alias else "",
        zeros=_T_ZEROS_NEW if zeros else _T_ZEROS_OLD,
        empty=_T_EMPTY if empty else "",
    ).encode()


def base_files() -> dict[str, bytes]:
    """Files the upgrade case adds to the 3.13.5 tree."""
    state = {"empty": False, "zeros": False, "alias": True}
    return {
        "Lib/json_demo/scanner.py": _scanner(**state),
        "Lib/test/test_json_demo.py": _tests(**state),
        "Misc/stable_abi.toml": _STABLE_ABI.encode(),
        "Doc/data/python3.13.abi": _ABI.format(old=_ABI_OLD).encode(),
    }


def _commit(out: io.BytesIO, ident: bytes, when: int, message: str, parent: str, mark: str) -> None:
    out.write(f"commit refs/heads/main\nmark {mark}\n".encode())
    out.write(b"author %s %d +0000\ncommitter %s %d +0000\n" % (ident, when, ident, when))
    msg = message.encode()
    out.write(b"data %d\n%s\n" % (len(msg), msg))
    out.write(f"from {parent}\n".encode())


def _put(out: io.BytesIO, path: str, data: bytes) -> None:
    out.write(f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(data) + data + b"\n")


def _news(n: int, section: str, text: str) -> tuple[str, bytes]:
    return (
        f"Misc/NEWS.d/next/{section}/2025-06-2{n}-12-00-00.gh-issue-14010{n}.Upgr{n}a.rst",
        (text + "\n").encode(),
    )


def release_stream(ident: bytes, parent: str, patchlevel: bytes) -> bytes:
    """fast-import commands for the four backports and the 3.13.6 release commit (tagged),
    on top of ``parent`` (the 3.13.5 release commit's mark)."""
    out = io.BytesIO()
    when = BACKPORT_TIME
    state = {"empty": False, "zeros": False, "alias": True}
    steps = (
        (
            "gh-140101: json_demo: refuse numbers with leading zeros, as JSON does",
            {"zeros": True},
            _news(1, "Library", "Numbers with leading zeros are now refused."),
        ),
        (
            "gh-140102: json_demo: fix a crash on an empty number",
            {"empty": True},
            _news(2, "Library", "Fix a crash when the number is empty."),
        ),
        (
            "gh-140103: json_demo: drop the legacy parseNumber alias",
            {"alias": False},
            _news(3, "Library", "Remove the legacy parseNumber alias."),
        ),
    )
    mark = parent
    for n, (message, change, (news_path, news)) in enumerate(steps, 1):
        state.update(change)
        _commit(out, ident, when, message, mark, f":{10 + n}")
        if n == 1:
            bumped = patchlevel.replace(f'"{FROM_VERSION}"'.encode(), f'"{FROM_VERSION}+"'.encode())
            _put(out, "Include/patchlevel.h", bumped)
        _put(out, "Lib/json_demo/scanner.py", _scanner(**state))
        _put(out, "Lib/test/test_json_demo.py", _tests(**state))
        _put(out, news_path, news)
        mark = f":{10 + n}"
        when += 3600
    _commit(out, ident, when, "C API: remove PyDemo_OldCall from the limited API", mark, ":14")
    abi = _STABLE_ABI.replace(
        "[function.PyDemo_OldCall]\n    added = '3.2'\n    abi_only = true\n", ""
    )
    _put(out, "Misc/stable_abi.toml", abi.encode())
    _put(out, "Doc/data/python3.13.abi", _ABI.format(old="").encode())
    _put(out, *_news(4, "C_API", "Remove PyDemo_OldCall from the limited API."))
    when += 3600
    _commit(out, ident, when, f"Python {TO_VERSION}", ":14", ":15")
    release = patchlevel.replace(f'"{FROM_VERSION}"'.encode(), f'"{TO_VERSION}"'.encode())
    release = release.replace(b"PY_MICRO_VERSION        5", b"PY_MICRO_VERSION        6")
    _put(out, "Include/patchlevel.h", release)
    out.write(f"tag v{TO_VERSION}\nfrom :15\n".encode())
    out.write(b"tagger %s %d +0000\n" % (ident, when))
    tag_msg = f"Python {TO_VERSION}\n".encode()
    out.write(b"data %d\n%s\n" % (len(tag_msg), tag_msg))
    return out.getvalue()


def build_release(repo: Path, tag: str, dest: Path) -> Path:
    """The demo tree at ``tag`` exported as a release is (``Misc/NEWS`` written, no
    ``Misc/NEWS.d``, no ``.gitattributes``), then ``./configure && make``: the demo's
    "interpreter" for ``upgrade-check --build-old/--build-new``, a ``python`` launcher that runs
    this machine's python3 on that release's ``Lib``. Returns ``dest``."""
    import shutil
    import subprocess
    import tarfile

    from cpython_release.demo_repo import git_env
    from cpython_release.errors import BadInput

    if dest.exists() and any(dest.iterdir()):
        raise BadInput(f"demo build: {dest} exists and is not empty")
    proc = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", tag],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    if proc.returncode != 0:
        raise BadInput(f"demo build: git archive {tag}: {proc.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tf:
        tf.extractall(dest, filter="data")
    (dest / "Misc" / "NEWS").write_text("news\n")
    shutil.rmtree(dest / "Misc" / "NEWS.d", ignore_errors=True)
    (dest / ".gitattributes").unlink(missing_ok=True)
    for step in (["./configure"], ["make"]):
        run = subprocess.run(step, cwd=dest, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise BadInput(f"demo build of {tag}: {' '.join(step)} failed: {run.stderr.strip()}")
    return dest
