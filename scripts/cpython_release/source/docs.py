"""The documentation build: each branch's own ``Doc/Makefile`` recipe, in its own venv.

What release.py's ``build_docs`` does: a fresh venv, ``pip install -r Doc/requirements.txt``,
then ``make`` in ``Doc/`` with ``SPHINXBUILD`` and ``BLURB`` pointing into the venv; the
archives land in ``Doc/dist``. It runs on an extracted copy of the tree *before* the release
export (the docs read ``Misc/NEWS.d``), so nothing the docs build leaves behind can reach the
source tarballs.

The recipe is read from the Makefile's targets, not guessed from the version:

- ``dist-targets``: the Makefile has ``dist-epub``, ``dist-html``, ``dist-text`` and
  ``dist-texinfo`` (CPython's since 2024): ``make`` runs each of them.
- ``dist``: older branch points have one ``dist`` target, which also builds LaTeX PDFs (a
  TeX installation, and archives the inventory does not list). ``make`` runs the same
  builder targets ``dist`` runs (``html``, ``text``, ``epub``, ``texinfo``, then ``make
  info`` in ``build/texinfo``), and :func:`pack_dist` archives them the way ``dist`` lays
  them out.

Every ``make`` gets ``DISTVERSION=<version>`` on its command line: the archives are named
after the version being built (a nightly's ``3.11.3.devYYYYMMDD``), not after what
``Doc/tools/extensions/patchlevel.py`` reads from a branch head (``3.11.2+``). The venv's
tools go on the command line too: CPython's Makefiles assign ``SPHINXBUILD`` and ``BLURB``
with ``=``, which overrides the environment but not the command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.inventory import DOCS_FORMATS
from cpython_release.output import note

DIST_TARGETS = ("dist-epub", *(f"dist-{fmt}" for fmt in sorted(DOCS_FORMATS)))
#: The builder targets the old ``dist`` recipe runs, one per archived format.
BUILDER_TARGETS = ("html", "text", "epub", "texinfo")
SPLIT_RECIPE = "dist-targets"
DIST_RECIPE = "dist"
#: Archive timestamps when neither the caller nor $SOURCE_DATE_EPOCH gives one:
#: 1980-01-01 00:00:00 UTC, the earliest time a zip entry can record.
ZIP_EPOCH = 315532800

Runner = Callable[[Sequence[str], Path, Mapping[str, str]], None]
Step = tuple[list[str], Path, dict[str, str]]

_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+]*")
_RULE_RE = re.compile(r"^(?P<targets>[^\s:#=$][^:#=$]*?)\s*::?(?!=)")


class DocsBuilder(Protocol):
    def build(self, srcdir: Path, version: str) -> Path:
        """Build the docs archives of ``version`` for the tree at ``srcdir``; return their
        directory."""
        ...


def run_logged(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
    """Run a build command, streaming its output; a failure is a failed check (exit 1)."""
    note(f"+ {' '.join(cmd)}  (in {cwd})")
    proc = subprocess.run(list(cmd), cwd=cwd, env=dict(env), check=False)
    if proc.returncode != 0:
        raise CheckFailed(f"docs build step failed (exit {proc.returncode}): {' '.join(cmd)}")


# --- which recipe the Makefile offers -------------------------------------------------


def makefile_targets(text: str) -> set[str]:
    """The explicit targets a Makefile's rules name (no includes, no computed names)."""
    targets: set[str] = set()
    in_define = False
    for line in text.replace("\\\n", " ").splitlines():
        word = line.strip().split(maxsplit=1)[0] if line.strip() else ""
        if in_define:
            in_define = word != "endef"
            continue
        if word == "define":
            in_define = True
            continue
        if line.startswith("\t"):
            continue  # a recipe line
        match = _RULE_RE.match(line)
        if match:
            targets.update(match["targets"].split())
    return targets


def detect_recipe(makefile: Path) -> str:
    """``SPLIT_RECIPE`` or ``DIST_RECIPE``, from the targets ``makefile`` defines."""
    if not makefile.is_file():
        raise CheckFailed(f"cannot build the docs: {makefile} is missing")
    targets = makefile_targets(makefile.read_text(encoding="utf-8", errors="replace"))
    if set(DIST_TARGETS) <= targets:
        return SPLIT_RECIPE
    if {"dist", *BUILDER_TARGETS} <= targets:
        return DIST_RECIPE
    missing_split = sorted(set(DIST_TARGETS) - targets)
    missing_dist = sorted({"dist", *BUILDER_TARGETS} - targets)
    raise CheckFailed(
        f"cannot build the docs: {makefile} offers no recipe this driver knows",
        [
            f"no dist-* recipe: missing {', '.join(missing_split)}",
            f"no dist recipe: missing {', '.join(missing_dist)}",
        ],
    )


def check_version(version: str) -> str:
    if not _VERSION_RE.fullmatch(version):
        raise BadInput(f"docs: {version!r} is not a version to name archives after")
    return version


# --- the old ``dist`` layout, archived here ----------------------------------------------


def _entries(src: Path) -> list[Path]:
    """Every directory and file below ``src``, sorted by path (bytes order)."""
    if not src.is_dir():
        raise CheckFailed(f"the docs build did not produce {src}")
    found = []
    for path in src.rglob("*"):
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            raise CheckFailed(f"unexpected non-regular file in the docs build: {path}")
        found.append(path)
    return sorted(found, key=lambda p: os.fsencode(p.relative_to(src)))


def _mode(path: Path) -> int:
    if path.is_dir():
        return 0o755
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def _tar_bz2(dest: Path, top: str, src: Path, entries: list[Path], mtime: int) -> None:
    def info(name: str, path: Path) -> tarfile.TarInfo:
        ti = tarfile.TarInfo(name)
        ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = _mode(path), mtime, 0, 0, "", ""
        if path.is_dir():
            ti.type = tarfile.DIRTYPE
        else:
            ti.size = path.stat().st_size
        return ti

    # GNU format: what GNU tar writes by default, as the Makefile's `tar -cf` did.
    with tarfile.open(dest, "w:bz2", compresslevel=9, format=tarfile.GNU_FORMAT) as tf:
        tf.addfile(info(top, src))
        for path in entries:
            ti = info(f"{top}/{path.relative_to(src).as_posix()}", path)
            if ti.isdir():
                tf.addfile(ti)
            else:
                with path.open("rb") as fh:
                    tf.addfile(ti, fh)


def _zip(dest: Path, top: str, src: Path, entries: list[Path], mtime: int) -> None:
    stamp = time.gmtime(max(mtime, ZIP_EPOCH))[:6]

    def info(name: str, path: Path) -> zipfile.ZipInfo:
        zi = zipfile.ZipInfo(name, date_time=stamp)
        zi.create_system = 3  # Unix, as zip(1) records it, on every platform
        kind = 0o040000 if path.is_dir() else 0o100000
        zi.external_attr = ((kind | _mode(path)) << 16) | (0x10 if path.is_dir() else 0)
        zi.compress_type = zipfile.ZIP_STORED if path.is_dir() else zipfile.ZIP_DEFLATED
        return zi

    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(info(f"{top}/", src), b"")
        for path in entries:
            name = f"{top}/{path.relative_to(src).as_posix()}"
            if path.is_dir():
                zf.writestr(info(name + "/", path), b"")
            else:
                zf.writestr(info(name, path), path.read_bytes(), compresslevel=9)


def pack_dist(doc: Path, version: str, mtime: int) -> list[Path]:
    """Archive ``doc/build`` into ``doc/dist`` as the old ``make dist`` lays it out.

    Per format F of the inventory, ``python-V-docs-F.tar.bz2`` and ``.zip`` each hold one
    top directory ``python-V-docs-F/`` with everything in ``build/F`` (texinfo after ``make
    info``); the epub is ``build/epub/Python.epub`` copied to ``python-V-docs.epub``.

    Hand-written (tarfile and zipfile, not the Makefile's ``tar``/``bzip2``/``zip``) because
    the bytes must not depend on the build: entries sorted by name, owner 0, one timestamp,
    normalised modes, so a rebuild of the same HTML gives the same archives. ``make dist``
    itself cannot be used: it also builds the PDFs, which need LaTeX and which the inventory
    does not list.
    """
    dist = doc / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    written = []
    for fmt in DOCS_FORMATS:
        top = f"python-{version}-docs-{fmt}"
        src = doc / "build" / fmt
        entries = _entries(src)
        note(f"+ archive build/{fmt} as {top}.tar.bz2 and {top}.zip")
        _tar_bz2(dist / f"{top}.tar.bz2", top, src, entries, mtime)
        _zip(dist / f"{top}.zip", top, src, entries, mtime)
        written += [dist / f"{top}.tar.bz2", dist / f"{top}.zip"]
    epub = doc / "build" / "epub" / "Python.epub"
    if not epub.is_file():
        raise CheckFailed(f"the docs build did not produce {epub}")
    shutil.copyfile(epub, dist / f"python-{version}-docs.epub")
    written.append(dist / f"python-{version}-docs.epub")
    return written


# --- the driver ---------------------------------------------------------------------------


@dataclass
class MakeDocsBuilder:
    """The real driver. ``install=False`` skips the venv (the Makefile's defaults are used).

    ``targets`` are the ``dist-*`` targets of the split recipe; ``mtime`` is the timestamp
    of the archives this driver writes itself (default: $SOURCE_DATE_EPOCH, else
    :data:`ZIP_EPOCH`).
    """

    python: str = field(default_factory=lambda: sys.executable)
    install: bool = True
    targets: tuple[str, ...] = DIST_TARGETS
    sphinxopts: str = "-j auto"
    run: Runner = run_logged
    mtime: int | None = None

    def commands(self, srcdir: Path, venv: Path, version: str, recipe: str) -> list[Step]:
        """Every command of the build, in order (also what a dry run would show)."""
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        steps: list[Step] = []
        variables = [f"DISTVERSION={check_version(version)}"]
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
            variables += [f"SPHINXBUILD={bindir / 'sphinx-build'}", f"BLURB={bindir / 'blurb'}"]
            env = {**env, "SPHINXOPTS": self.sphinxopts}
        doc = srcdir / "Doc"
        if recipe == SPLIT_RECIPE:
            steps += [(["make", *variables, target], doc, env) for target in self.targets]
        else:
            steps += [(["make", *variables, target], doc, env) for target in BUILDER_TARGETS]
            steps.append((["make", "-C", "build/texinfo", "info"], doc, env))
        return steps

    def archive_time(self) -> int:
        if self.mtime is not None:
            return self.mtime
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        return int(epoch) if epoch.isdigit() else ZIP_EPOCH

    def build(self, srcdir: Path, version: str) -> Path:
        doc = srcdir / "Doc"
        recipe = detect_recipe(doc / "Makefile")
        print(f"docs: Doc/Makefile offers the {recipe} recipe", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="docs-venv-") as venv:
            steps = self.commands(srcdir, Path(venv), version, recipe)
            _check_makeinfo(steps)
            for cmd, cwd, env in steps:
                self.run(cmd, cwd, env)
        if recipe == DIST_RECIPE:
            pack_dist(doc, version, self.archive_time())
        return doc / "dist"


def _check_makeinfo(steps: Sequence[Step]) -> None:
    """The info archive needs ``makeinfo`` (texinfo): say so before the long build, not
    after it (exit 2)."""
    if any("texinfo" in arg for cmd, _, _ in steps for arg in cmd) and not shutil.which("makeinfo"):
        raise BadInput(
            "the docs build makes the texinfo/info archive, which needs makeinfo: install "
            "texinfo (Debian and Ubuntu: apt-get install texinfo)"
        )


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
