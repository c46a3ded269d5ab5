"""Proving the archives: build and test what was shipped; compare rebuilt content digests.

``test_archive`` checks an archive the way users meet it: it must pass tarfile's ``data``
filter and hold one ``Python-V/`` directory; then ``./configure --prefix``, ``make``,
``make install`` and ``<prefix>/bin/python3 -m test -uall -jN <subset>`` run in it.
Both the ``.tgz`` and the ``.tar.xz`` are tested (the official process tests the .tgz only).

``compare_fragments`` is the rebuild check: two fragments built independently (another
OS, another runner) must give the same content digest (SHA-256 of the uncompressed tar).
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.output import note

#: CPython test modules the test-source job runs from each archive (the demo tree ships
#: small modules with the same names, see demo_repo.DEMO_TESTS).
DEFAULT_TESTS = (
    "test_sys",
    "test_os",
    "test_zlib",
    "test_lzma",
    "test_hashlib",
    "test_tarfile",
    "test_unicodedata",
    "test_ensurepip",
)


@dataclass(frozen=True)
class Step:
    name: str
    command: list[str]
    returncode: int
    seconds: float


@dataclass(frozen=True)
class ArchiveTest:
    archive: str
    top: str
    members: int
    steps: tuple[Step, ...]
    #: The ``--prefix`` it was installed into (``bin/python3`` is the interpreter).
    install: Path

    def to_dict(self) -> dict[str, object]:
        return {
            "archive": self.archive,
            "top": self.top,
            "members": self.members,
            "install": str(self.install),
            "steps": [
                {"name": s.name, "returncode": s.returncode, "seconds": round(s.seconds, 1)}
                for s in self.steps
            ],
        }


def _safe_extract(archive: Path, dest: Path) -> tuple[str, int]:
    """Extract with the ``data`` filter; the archive must hold exactly one top directory."""
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            tops = {m.name.split("/", 1)[0] for m in members}
            if len(tops) != 1:
                raise CheckFailed(f"{archive.name}: expected one top-level directory", sorted(tops))
            top = tops.pop()
            stem = archive.name.removesuffix(".tgz").removesuffix(".tar.xz")
            if top != stem:
                raise CheckFailed(f"{archive.name}: top-level directory is {top!r}, not {stem!r}")
            tf.extractall(dest, filter="data")
    except tarfile.FilterError as exc:
        raise CheckFailed(f"{archive.name}: rejected by tarfile's data filter: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise CheckFailed(f"{archive.name}: cannot read the archive: {exc}") from exc
    return top, len(members)


def _run(name: str, cmd: list[str], cwd: Path, log: Path) -> Step:
    start = time.monotonic()
    note(f"+ {' '.join(cmd)}")
    with log.open("ab") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n".encode())
        fh.flush()
        try:
            proc = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, check=False)
        except OSError as exc:  # no such program, not executable, bad interpreter line
            fh.write(f"cannot run {cmd[0]}: {exc.strerror or exc}\n".encode())
            return Step(name, cmd, 127, time.monotonic() - start)
    return Step(name, cmd, proc.returncode, time.monotonic() - start)


def _tail(log: Path, lines: int = 25) -> list[str]:
    return log.read_text(errors="replace").splitlines()[-lines:]


def run_archive_test(
    archive: Path,
    workdir: Path,
    *,
    tests: tuple[str, ...] = DEFAULT_TESTS,
    jobs: int | None = None,
) -> ArchiveTest:
    """Extract, configure, build, install and run ``tests`` from one archive."""
    if not archive.is_file():
        raise BadInput(f"no such archive: {archive}")
    if not tests:
        raise BadInput("no tests to run: give at least one test module name")
    jobs = jobs or os.cpu_count() or 2
    base = workdir / archive.name.replace(".", "_")
    if base.exists():
        raise BadInput(f"work directory {base} already exists")
    base.mkdir(parents=True)
    top, members = _safe_extract(archive, base)
    src = base / top
    prefix = base / "install"
    log = base / "build.log"
    plan = [
        ("configure", ["./configure", f"--prefix={prefix}"], src),
        ("make", ["make", f"-j{jobs}"], src),
        ("install", ["make", "install"], src),
        (
            "test",
            [str(prefix / "bin" / "python3"), "-m", "test", "-uall", f"-j{jobs}", *tests],
            src,
        ),
    ]
    steps: list[Step] = []
    for name, cmd, cwd in plan:
        step = _run(name, cmd, cwd, log)
        steps.append(step)
        if step.returncode != 0:
            raise CheckFailed(
                f"{archive.name}: {name} failed (exit {step.returncode}); log: {log}",
                _tail(log),
            )
    return ArchiveTest(archive.name, top, members, tuple(steps), prefix)


def compare_fragments(first: Path, second: Path) -> list[str]:
    """Compare content digests of the artifacts two fragments share; raise on mismatch."""
    a, b = Manifest.load(first), Manifest.load(second)
    problems: list[str] = []
    if a.release.commit != b.release.commit or a.release.version != b.release.version:
        problems.append(
            f"different releases: {a.release.version}@{a.release.commit} vs "
            f"{b.release.version}@{b.release.commit}"
        )
    digests_a = {x.name: x.content_digest for x in a.artifacts if x.content_digest}
    digests_b = {x.name: x.content_digest for x in b.artifacts if x.content_digest}
    for name in sorted(set(digests_a) ^ set(digests_b)):
        where = first if name in digests_a else second
        problems.append(f"{name}: has a content digest only in {where}")
    compared = []
    for name in sorted(set(digests_a) & set(digests_b)):
        if digests_a[name] != digests_b[name]:
            problems.append(f"{name}: {digests_a[name]} != {digests_b[name]}")
        compared.append(name)
    if not compared and not problems:
        problems.append("no artifact with a content digest in both fragments")
    if problems:
        raise CheckFailed("rebuild does not match", problems)
    return compared
