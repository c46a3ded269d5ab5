"""The documentation build: CPython's ``Doc/Makefile`` ``dist-*`` targets in their own venv.

What release.py's ``build_docs`` does: a fresh venv, ``pip install -r Doc/requirements.txt``,
then in ``Doc/`` ``make dist-epub dist-html dist-texinfo dist-text`` with ``BLURB``,
``SPHINXBUILD`` and ``SPHINXOPTS`` pointing into it; the archives land in ``Doc/dist``.
It runs on an extracted copy of the tree *before* the release export (the docs read
``Misc/NEWS.d``), so nothing the docs build leaves behind can reach the source tarballs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cpython_release.errors import CheckFailed

DIST_TARGETS = ("dist-epub", "dist-html", "dist-texinfo", "dist-text")

Runner = Callable[[Sequence[str], Path, Mapping[str, str]], None]


class DocsBuilder(Protocol):
    def build(self, srcdir: Path) -> Path:
        """Build the docs archives for the tree at ``srcdir``; return the dist directory."""
        ...


def run_logged(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
    """Run a build command, streaming its output; a failure is a failed check (exit 1)."""
    print(f"+ {' '.join(cmd)}  (in {cwd})", file=sys.stderr, flush=True)
    proc = subprocess.run(list(cmd), cwd=cwd, env=dict(env), check=False)
    if proc.returncode != 0:
        raise CheckFailed(f"docs build step failed (exit {proc.returncode}): {' '.join(cmd)}")


@dataclass
class MakeDocsBuilder:
    """The real driver. ``install=False`` skips the venv (the Makefile's defaults are used)."""

    python: str = field(default_factory=lambda: sys.executable)
    install: bool = True
    targets: tuple[str, ...] = DIST_TARGETS
    sphinxopts: str = "-j auto"
    run: Runner = run_logged

    def commands(self, srcdir: Path, venv: Path) -> list[tuple[list[str], Path, dict[str, str]]]:
        """Every command of the build, in order (also what a dry run would show)."""
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        steps: list[tuple[list[str], Path, dict[str, str]]] = []
        if self.install:
            bindir = venv / "bin"
            steps.append(([self.python, "-m", "venv", str(venv)], srcdir, env))
            steps.append(
                (
                    [str(bindir / "python"), "-m", "pip", "install", "-r", "Doc/requirements.txt"],
                    srcdir,
                    env,
                )
            )
            env = {
                **env,
                "BLURB": str(bindir / "blurb"),
                "SPHINXBUILD": str(bindir / "sphinx-build"),
                "SPHINXOPTS": self.sphinxopts,
            }
        for target in self.targets:
            steps.append((["make", target], srcdir / "Doc", env))
        return steps

    def build(self, srcdir: Path) -> Path:
        if not (srcdir / "Doc" / "Makefile").is_file():
            raise CheckFailed(f"cannot build the docs: {srcdir}/Doc/Makefile is missing")
        with tempfile.TemporaryDirectory(prefix="docs-venv-") as venv:
            for cmd, cwd, env in self.commands(srcdir, Path(venv)):
                self.run(cmd, cwd, env)
        return srcdir / "Doc" / "dist"


def collect(dist: Path, expected: list[str]) -> list[Path]:
    """The expected archives from ``dist``; every one must be there."""
    missing = [n for n in expected if not (dist / n).is_file()]
    if missing:
        found = sorted(p.name for p in dist.iterdir()) if dist.is_dir() else []
        raise CheckFailed(
            "the docs build did not produce every archive",
            [f"missing {n}" for n in missing] + [f"found: {', '.join(found) or 'nothing'}"],
        )
    return [dist / n for n in expected]
