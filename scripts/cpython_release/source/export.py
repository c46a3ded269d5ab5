"""What ``release.py --export V --skip-docs`` does to the archived tree, step by step.

1. ``blurb merge`` writes ``Misc/NEWS`` (blurb itself runs, in a scratch copy of the few
   files it reads; its changes are applied back to the tree).
2. The top-level ``.gitattributes`` and ``.gitignore`` go (only those: nested dot-files stay).
3. ``blurb export`` removes ``Misc/NEWS.d``.
4. The directories ``.azure-pipelines``, ``.git``, ``.github``, ``Misc/mypy`` go.
5. ``Doc/venv``, ``Doc/build``, ``Doc/dist``, every ``__pycache__`` and every ``*.pyc``/
   ``*.pyo`` go.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.patchlevel import patchlevel_problem
from cpython_release.source.tree import DIR, FILE, SYMLINK, Tree

TOP_LEVEL_FILES = (".gitattributes", ".gitignore")
REMOVED_DIRS = (".azure-pipelines", ".git", ".github", "Misc/mypy")
DOC_LEFTOVERS = ("Doc/venv", "Doc/build", "Doc/dist")
NEWS_D = "Misc/NEWS.d"
# What blurb reads: its repository-root check (README.rst, LICENSE, Include/Python.h,
# Python/ceval.c) and the news entries themselves.
BLURB_INPUTS = ("README.rst", "LICENSE", "Include/Python.h", "Python/ceval.c", "Misc/NEWS.d")

_README_RE = re.compile(rb"This is \w+ version \d+\.\d+")
_PY_VERSION_RE = re.compile(rb'#define\s+PY_VERSION\s+"([^"]+)"')


def check_cpython_tree(tree: Tree, version: str) -> None:
    """Refuse a tree that is not a CPython source tree for ``version``."""
    problems: list[str] = []
    for path in ("README.rst", "LICENSE", "Include/Python.h", "Python/ceval.c", "configure"):
        if not tree.is_file(path):
            problems.append(f"{path} is missing")
    if tree.is_file("README.rst") and not _README_RE.match(tree.read("README.rst")):
        problems.append("README.rst does not start with 'This is Python version X.Y'")
    if tree.is_file("LICENSE") and not tree.read("LICENSE").startswith(
        b"A. HISTORY OF THE SOFTWARE"
    ):
        problems.append("LICENSE does not start with 'A. HISTORY OF THE SOFTWARE'")
    if not tree.is_file("Include/patchlevel.h"):
        problems.append("Include/patchlevel.h is missing")
    else:
        m = _PY_VERSION_RE.search(tree.read("Include/patchlevel.h"))
        found = m.group(1).decode(errors="replace") if m else None
        problem = patchlevel_problem(found, version)
        if problem:
            problems.append(problem)
    if problems:
        raise BadInput("not a CPython source tree for " + version + ": " + "; ".join(problems))
    if not tree.is_dir(NEWS_D):
        raise BadInput(
            f"{NEWS_D} is missing from the commit: blurb merge needs the news entries "
            "(was 'blurb release' run and committed?)"
        )


def find_blurb() -> list[str]:
    """The blurb command: $CPYTHON_RELEASE_BLURB, this interpreter's blurb, or PATH's."""
    explicit = os.environ.get("CPYTHON_RELEASE_BLURB")
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise BadInput(f"CPYTHON_RELEASE_BLURB={explicit} is not an executable file")
        return [explicit]
    if importlib.util.find_spec("blurb") is not None:
        return [sys.executable, "-m", "blurb"]
    found = shutil.which("blurb")
    if found:
        return [found]
    raise BadInput(
        "blurb is not installed: install the build extra (pip install 'cpython-release[build]', "
        "which pins blurb) or set CPYTHON_RELEASE_BLURB to a blurb executable"
    )


def _snapshot(root: Path) -> dict[str, tuple[str, bytes | None]]:
    out: dict[str, tuple[str, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath, d)
            rel = p.relative_to(root).as_posix()
            out[rel] = (SYMLINK, None) if p.is_symlink() else (DIR, None)
        for f in filenames:
            p = Path(dirpath, f)
            rel = p.relative_to(root).as_posix()
            out[rel] = (SYMLINK, None) if p.is_symlink() else (FILE, p.read_bytes())
    return out


def _run_blurb(blurb: list[str], args: list[str], cwd: Path) -> None:
    env = dict(os.environ)
    env.update(PYTHONUTF8="1", PYTHONDONTWRITEBYTECODE="1", TZ="UTC")
    proc = subprocess.run(
        [*blurb, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise BadInput(
            f"blurb {' '.join(args)} failed (exit {proc.returncode}): "
            + (" | ".join(detail[-5:]) or "no output")
        )


def run_blurb(tree: Tree, blurb: list[str] | None = None, scratch: Path | None = None) -> None:
    """``blurb merge`` then ``blurb export``, on a scratch copy of what blurb reads.

    Whatever blurb changes in the copy (writes ``Misc/NEWS``, removes ``Misc/NEWS.d``)
    is applied to ``tree``; nothing else is touched.
    """
    command = blurb or find_blurb()
    with tempfile.TemporaryDirectory(prefix="blurb-", dir=scratch) as tmp:
        root = Path(tmp)
        inputs = [p for p in (*BLURB_INPUTS, "Misc/NEWS") if p in tree]
        tree.materialize(root, inputs)
        before = _snapshot(root)
        _run_blurb(command, ["merge", "-f"], root)
        _run_blurb(command, ["export"], root)
        after = _snapshot(root)
    for path in sorted(set(before) - set(after), key=len):
        if path in tree:
            tree.remove(path)
    for path, (kind, data) in sorted(after.items()):
        if kind == FILE and data is not None and before.get(path) != (kind, data):
            tree.set_file(path, data)
        elif kind != FILE and path not in before:
            raise BadInput(f"blurb created an unexpected {kind} {path}")
    if tree.is_dir(NEWS_D) or not tree.is_file("Misc/NEWS"):
        raise BadInput("blurb did not produce Misc/NEWS and remove Misc/NEWS.d")


def remove_unshipped(tree: Tree) -> list[str]:
    """Steps 2, 4 and 5: drop what the official tarballs do not ship. Returns what went."""
    removed: list[str] = []

    def drop(path: str) -> None:
        removed.extend(sorted(tree.under(path)))
        tree.remove(path)

    for name in TOP_LEVEL_FILES:  # os.unlink: files and symlinks, never directories
        e = tree.get(name)
        if e is not None and e.type != DIR:
            drop(name)
    for name in (*REMOVED_DIRS, *DOC_LEFTOVERS):  # shutil.rmtree(ignore_errors=True)
        if tree.is_dir(name):
            drop(name)
    for path in sorted(tree.entries, key=len):  # find -name __pycache__ -exec rm -rf
        e = tree.get(path)
        if e is not None and e.name == "__pycache__":
            drop(path)
    for path in sorted(tree.entries):  # find -name '*.py[co]' -exec rm -f
        e = tree.entries[path]
        if e.type != DIR and (e.name.endswith(".pyc") or e.name.endswith(".pyo")):
            drop(path)
    return removed


def release_transform(
    tree: Tree, blurb: list[str] | None = None, scratch: Path | None = None
) -> None:
    run_blurb(tree, blurb, scratch)  # merge, then (after the dot-files, same result) export
    remove_unshipped(tree)
