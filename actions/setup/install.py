#!/usr/bin/env python3
"""Install the toolkit this action belongs to into a cached virtual environment.

Runs before the toolkit exists, so standard library only, and on every runner the toolkit is
sent to: Linux, macOS and Windows, x64 and arm64. So no POSIX-only module, and no path in the
venv is assumed: the interpreter is found where the ``venv`` module put it (``Scripts\\`` on
Windows, ``bin/`` elsewhere), and every other executable next to it.

The toolkit root is two levels above this file. Its dependencies come only from the lock
``requirements/toolkit.txt`` (hash-pinned, wheels only, ``--require-hashes``); the toolkit
itself is then built from its own tree with the locked build backend, fetching nothing.

The venv lives in ``$RUNNER_TOOL_CACHE/cpython-release/<hash>``, keyed by the toolkit's
source and lock; a venv whose stamp matches is reused, so on a long-lived runner (or under
act) only the first job pays for the install. A lock directory serialises concurrent jobs on
one runner (``mkdir`` is atomic everywhere).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = Path("requirements") / "toolkit.txt"
SOURCES = ("pyproject.toml", "scripts", str(LOCK))
STALE_LOCK_S = 30 * 60


def source_hash(root: Path) -> str:
    h = hashlib.sha256()
    for top in SOURCES:
        base = root / top
        files = (
            [base]
            if base.is_file()
            else sorted(
                p
                for p in base.rglob("*")
                if p.is_file()
                and "__pycache__" not in p.parts
                and not p.name.endswith(".pyc")
                and ".egg-info" not in str(p)
            )
        )
        for f in files:
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def venv_python(venv: Path) -> Path:
    """The venv's interpreter, where the ``venv`` module lays it out on this platform."""
    for candidate in (venv / "Scripts" / "python.exe", venv / "bin" / "python"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no interpreter in {venv} (neither Scripts\\python.exe nor bin/python)"
    )


def entry_point(python: Path, name: str) -> Path:
    """A console script installed next to ``python`` (``name.exe`` in a Windows venv)."""
    return python.parent / (name + python.suffix)


@contextmanager
def runner_lock(path: Path) -> Iterator[None]:
    while True:
        try:
            path.mkdir()
            break
        except FileExistsError:
            try:
                if time.time() - path.stat().st_mtime > STALE_LOCK_S:
                    path.rmdir()  # left by a job that was killed
                    continue
            except FileNotFoundError:
                continue
            time.sleep(1)
    try:
        yield
    finally:
        path.rmdir()


def pip(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", *args, "--quiet", "--disable-pip-version-check"], check=True
    )


def install(venv: Path, root: Path) -> Path:
    """A fresh venv with the locked dependencies and the toolkit; returns its interpreter."""
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv_python(venv)
    pip(python, "install", "--require-hashes", "--only-binary", ":all:", "--no-deps",
        "-r", str(root / LOCK))  # fmt: skip
    # the toolkit from its own tree: no index, the locked build backend, no dependencies
    pip(python, "install", "--no-index", "--no-deps", "--no-build-isolation", str(root))
    return python


def write_env_file(variable: str, line: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs on whatever Python it was given
        print(f"::error::cpython-release needs Python 3.11+, not {sys.version.split()[0]}")
        return 2
    if not (ROOT / LOCK).is_file():
        print(f"::error::{ROOT / LOCK} is missing: the toolkit installs only locked dependencies")
        return 2
    digest = source_hash(ROOT)
    cache = Path(os.environ.get("RUNNER_TOOL_CACHE") or tempfile.gettempdir()) / "cpython-release"
    cache.mkdir(parents=True, exist_ok=True)
    venv = cache / f"{digest[:16]}-py{sys.version_info[0]}{sys.version_info[1]}"
    stamp = venv / "installed-from"
    with runner_lock(cache / f"{venv.name}.lock"):
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
            python = venv_python(venv)
            print(f"reusing {venv} (toolkit source {digest[:16]})")
        else:
            python = install(venv, ROOT)
            stamp.write_text(digest, encoding="utf-8")
    version = subprocess.run(
        [str(python), "-m", "cpython_release", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    executable = entry_point(python, "cpython-release")
    if not executable.is_file():
        print(f"::error::{executable} was not installed")
        return 1
    if os.environ.get("PUT_ON_PATH", "true") == "true":
        write_env_file("GITHUB_PATH", str(python.parent))
    write_env_file(
        "GITHUB_OUTPUT", f"version={version}\nsource-hash={digest}\nexecutable={executable}"
    )
    print(f"cpython-release {version} from {ROOT} (source {digest[:16]}) in {python.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
