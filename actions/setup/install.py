#!/usr/bin/env python3
"""Install the toolkit this action belongs to into a cached virtual environment.

Runs before the toolkit exists, so standard library only, and on every runner the toolkit is
sent to: Linux, macOS and Windows, x64 and arm64. So no POSIX-only module, and no path in the
venv is assumed: the interpreter is found where the ``venv`` module put it (``Scripts\\`` on
Windows, ``bin/`` elsewhere), and every other executable next to it.

The toolkit root is two levels above this file. Its dependencies come only from the lock
``requirements/toolkit.txt`` (hash-pinned, wheels only, ``--require-hashes``); the toolkit
itself is then built from its own tree with the locked build backend, fetching nothing.

The venv lives in ``$RUNNER_TOOL_CACHE/cpython-release/<key>``, keyed by the toolkit's
source and lock, the interpreter (implementation, full version) and the platform its wheels
are for. A venv is reused (on a long-lived runner, or under act, only the first job pays for
the install) only when its stamp matches AND what is installed in it is exactly the lock
for this platform (names and versions, nothing more, nothing less) plus the toolkit at its
version AND every installed file is what its package's RECORD says (same hash) with no file
that no RECORD lists (a planted .pth or .pyc would run in every later call); anything else
is rebuilt from scratch. Every interpreter runs with ``-I``, and the lock may hold nothing
but entries, hashes and comments (pip obeys option lines such as ``--no-binary``).

The toolkit is installed from a clean copy of its source files (``pyproject.toml``,
``scripts``, the lock): a ``build/`` or ``*.egg-info`` left in the tree by an earlier build
on a persistent runner cannot leak into the install.
After installing, ``pip check`` must pass: the lock covers every dependency of what it holds.

A lock directory serialises concurrent jobs on one runner (``mkdir`` is atomic everywhere);
one left by a killed job is taken over after STALE_LOCK_S, by renaming exactly that
directory (checked by inode and modification time) out of the way, so two waiters cannot
both take over.

A command that fails (venv, pip) ends the step with one titled ``::error`` annotation naming
what failed and its last lines of output (the whole output is in the log above it), not with
a traceback; a failed pip install points to the lock's check and its regeneration command.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = Path("requirements") / "toolkit.txt"
SOURCES = ("pyproject.toml", "scripts", str(LOCK))
# what building the toolkit reads besides SOURCES (the package's long description, the
# license file pyproject.toml names)
BUILD_EXTRAS = ("README.md", "LICENSE")
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


def venv_key(digest: str) -> str:
    """The venv's directory name: toolkit source, interpreter and the platform its wheels
    are for (``sysconfig.get_platform()``: x64 Python on Windows arm64 is ``win-amd64``,
    where ``platform.machine()`` may say ARM64)."""
    impl = sys.implementation.name
    version = "".join(map(str, sys.version_info[:3]))
    where = re.sub(r"[^A-Za-z0-9_.-]", "-", sysconfig.get_platform().lower())
    return f"{digest[:16]}-{impl}{version}-{where}"


# What a lock line may be (tools/lock.py check says the same): pip obeys option lines in a
# requirements file (``--no-binary X`` would build X's hash-listed sdist, running its build
# backend; ``--extra-index-url`` adds an index), so anything else is refused before pip runs.
LOCK_LINE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]*==\S+(?: ; .+?)? \\"
    r"|    --hash=sha256:[0-9a-f]{64}(?: \\)?"
    r"|\s*(?:#.*)?"
)


def lock_line_problems(text: str) -> list[str]:
    return [
        f"line {number}: {line[:80]!r}"
        for number, line in enumerate(text.splitlines(), 1)
        if not LOCK_LINE.fullmatch(line)
    ]


def take_over_stale(path: Path, judged: os.stat_result) -> bool:
    """Move the stale lock ``path`` (stat ``judged``) aside; True when exactly that one went.

    Another waiter may have taken it over and made a fresh lock meanwhile: the directory we
    moved is then not the one judged stale (another inode or modification time: inodes are
    reused, and a rename keeps the time), and it is put back."""
    aside = path.with_name(f"{path.name}.stale-{uuid.uuid4().hex}")
    try:
        path.rename(aside)
    except FileNotFoundError:
        return False  # someone else took it over first
    moved = aside.stat()
    if (moved.st_ino, moved.st_mtime_ns) != (judged.st_ino, judged.st_mtime_ns):
        aside.rename(path)  # a live lock: give it back
        return False
    aside.rmdir()
    return True


@contextmanager
def runner_lock(path: Path) -> Iterator[None]:
    while True:
        try:
            path.mkdir()
            break
        except FileExistsError:
            try:
                judged = path.stat()
            except FileNotFoundError:
                continue
            if time.time() - judged.st_mtime > STALE_LOCK_S:  # left by a killed job
                take_over_stale(path, judged)
                continue
            time.sleep(1)
    try:
        yield
    finally:
        path.rmdir()


class StepFailed(Exception):
    """A command of the install failed: what it was, and its last lines of output."""

    def __init__(self, what: str, status: str, tail: str) -> None:
        super().__init__(what)
        self.what = what
        self.status = status
        self.tail = tail


def run(args: list[str], what: str) -> str:
    """Run ``args``; its output (stdout and stderr, in order) goes to the log and is returned.
    StepFailed, carrying the output's last lines, if it cannot start or exits non-zero."""
    try:
        done = subprocess.run(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
    except OSError as exc:
        raise StepFailed(what, "could not start", str(exc)) from None
    sys.stdout.write(done.stdout)
    sys.stdout.flush()
    if done.returncode:
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        tail = "\n".join(lines[-8:])[-1500:] or "(no output)"
        raise StepFailed(what, f"exit status {done.returncode}", tail)
    return done.stdout


def pip(python: Path, *args: str, what: str) -> None:
    # -I (here and for every interpreter started below): no module from the working
    # directory (a caller's checkout, a self-hosted runner's leftovers) shadows pip, venv or
    # the toolkit, and no PYTHON* variable changes what runs
    run([str(python), "-I", "-m", "pip", *args, "--quiet", "--disable-pip-version-check"], what)


def clean_copy(root: Path, dest: Path) -> Path:
    """The toolkit's source files (SOURCES, BUILD_EXTRAS) alone, copied to ``dest``: no build/, no
    *.egg-info, no __pycache__ that a persistent runner's earlier builds left in ``root``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for top in (*SOURCES, *BUILD_EXTRAS):
        src = root / top
        if not src.exists() and top in BUILD_EXTRAS:
            continue
        if src.is_dir():
            shutil.copytree(src, dest / top, ignore=ignore)
        else:
            (dest / top).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / top)
    return dest


def install(venv: Path, root: Path) -> Path:
    """A fresh venv with the locked dependencies and the toolkit; returns its interpreter."""
    if venv.exists():
        shutil.rmtree(venv)
    run([sys.executable, "-I", "-m", "venv", str(venv)], f"creating the virtual environment {venv}")
    python = venv_python(venv)
    pip(python, "install", "--require-hashes", "--only-binary", ":all:", "--no-deps",
        "-r", str(root / LOCK), what="pip install of the locked dependencies")  # fmt: skip
    # what the venv module seeds besides pip (setuptools, before 3.12) goes unless locked
    installed, wanted, _ = inspect(python, root)
    seeded = sorted(set(installed) - set(wanted) - {"pip", "cpython-release"})
    if seeded:
        pip(python, "uninstall", "--yes", *seeded, what="pip uninstall of " + " ".join(seeded))
    # the toolkit from a clean copy of its tree: no index, the locked build backend, no
    # dependencies
    with tempfile.TemporaryDirectory(prefix="cpython-release-src-") as tmp:
        src = clean_copy(root, Path(tmp) / "toolkit")
        pip(python, "install", "--no-index", "--no-deps", "--no-build-isolation", str(src),
            what="pip install of the toolkit")  # fmt: skip
    # every dependency of what the lock installed is installed: the lock is the full closure
    pip(python, "check", what="pip check")
    return python


# Run by the venv's interpreter: what is installed, what the lock wants on this platform
# (markers evaluated by the packaging library pip vendors, since the venv holds nothing else
# we may rely on), and every installed file that is not what its package's RECORD says
# (another hash, missing), or that no RECORD lists in site-packages or the scripts directory
# (a planted .pth or .pyc runs in every later call; the action puts the scripts directory
# first on PATH, so a planted `gpg` or `git` would run there), a package installed twice, a
# link. This catches an accident or a careless tamperer, not someone who can write the
# cache: they can rewrite a RECORD with its file, or the interpreter that runs this check.
# Prints JSON: {"installed": {name: version}, "wanted": {name: version}, "tampered": [text]}.
INSPECT = r"""
import base64, hashlib, json, os, re, sys, sysconfig
from importlib import metadata
from pip._vendor.packaging.markers import Marker
from pip._vendor.packaging.utils import canonicalize_name
wanted = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ; (.+?))? \\$", line.rstrip())
    if m and (m[3] is None or Marker(m[3]).evaluate()):
        wanted[canonicalize_name(m[1])] = m[2]
installed, recorded, tampered = {}, set(), []
for d in metadata.distributions():
    name = canonicalize_name(d.metadata["Name"])
    if name in installed:
        tampered.append(f"{name} is installed twice")
    installed[name] = d.version
    for f in d.files or []:
        path = os.path.normcase(os.path.abspath(f.locate()))
        recorded.add(path)
        try:
            data = open(path, "rb").read()
        except OSError:
            tampered.append(f"{f} is missing")
            continue
        if f.hash is not None:
            digest = hashlib.new(f.hash.mode, data).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != f.hash.value:
                tampered.append(f"{f} is not what {d.metadata['Name']} installed")
# bytecode for -O/-OO (PYTHONOPTIMIZE) is written at run time and used only then
OPTIMIZED = re.compile(r".*\.opt-[12]\.pyc")
paths = sysconfig.get_paths()
for top in {paths["purelib"], paths["platlib"]}:
    for base, dirs, names in os.walk(top):
        for name in dirs + names:
            if os.path.islink(os.path.join(base, name)):
                tampered.append(f"{os.path.relpath(os.path.join(base, name), top)} is a link")
        for name in names:
            path = os.path.normcase(os.path.abspath(os.path.join(base, name)))
            if path not in recorded and not OPTIMIZED.fullmatch(name):
                tampered.append(f"{os.path.relpath(path, top)} was installed by no package")
# the scripts directory: what packages installed, and what the venv module lays out
VENV_MADE = re.compile(
    r"(?i)pythonw?(3(\.\d+)?)?(\.exe)?|activate(\.bat|\.ps1|\.csh|\.fish|\.nu)?"
    r"|deactivate\.bat"
)
for name in sorted(os.listdir(paths["scripts"])):
    path = os.path.normcase(os.path.abspath(os.path.join(paths["scripts"], name)))
    if path not in recorded and not VENV_MADE.fullmatch(name):
        tampered.append(f"{name} in the scripts directory was installed by no package")
print(json.dumps({"installed": installed, "wanted": wanted, "tampered": sorted(tampered)}))
"""


def inspect(python: Path, root: Path) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(installed, wanted, tampered): name -> version in the venv, and in the lock for this
    platform; and the venv's files that are not what its packages installed."""
    done = subprocess.run(
        [str(python), "-I", "-c", INSPECT, str(root / LOCK)], capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"cannot inspect {python}: {done.stderr.strip()[-300:]}")
    found = json.loads(done.stdout)
    return found["installed"], found["wanted"], list(found.get("tampered", ["not reported"]))


def lock_mismatch(python: Path, root: Path, version: str) -> list[str]:
    """How the venv differs from the lock (plus pip, and the toolkit at ``version``); []
    when it holds exactly that."""
    try:
        installed, wanted, tampered = inspect(python, root)
    except (RuntimeError, ValueError, KeyError) as exc:
        return [str(exc)]
    wanted = {**wanted, "cpython-release": version, "pip": installed.get("pip", "")}
    problems = [
        f"{name} {installed.get(name, 'missing')} (the lock has {want})"
        for name, want in sorted(wanted.items())
        if installed.get(name) != want
    ]
    problems += [f"{name} {v} is not in the lock" for name, v in sorted(installed.items())
                 if name not in wanted]  # fmt: skip
    problems += tampered
    return problems


def toolkit_version(root: Path) -> str:
    """``[project] version`` of the toolkit's pyproject.toml (read without tomllib: 3.11+ has
    it, but this must say something useful on an older interpreter too)."""
    for line in (root / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version = "):
            return line.split("=", 1)[1].strip().strip('"')
    raise ValueError("pyproject.toml has no version")


def write_env_file(variable: str, line: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def lock_command(root: Path) -> str:
    """The command in the lock's header that regenerates it ("" if the header has none)."""
    lines = (root / LOCK).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines[:-1]):
        after = lines[i + 1]
        if line.startswith("#") and "following command" in line and after.startswith("#"):
            return after.lstrip("#").strip()
    return ""


def annotation(title: str, message: str) -> str:
    """A ``::error`` workflow command (escaped as GitHub's actions/toolkit does: ``%``, CR and
    LF in the message; also ``:`` and ``,`` in the title)."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    prop = data(title).replace(":", "%3A").replace(",", "%2C")
    return f"::error title={prop}::{data(message)}"


def failure(exc: StepFailed, root: Path) -> str:
    """The annotation for a failed command; a pip failure points to the lock's tools."""
    message = f"{exc.what} failed ({exc.status}):\n{exc.tail}"
    if exc.what.startswith("pip"):
        command = lock_command(root)
        message += (
            f"\nA hash mismatch, a missing wheel or a missing dependency means the lock "
            f"{LOCK.as_posix()} does not fit this runner: run `python tools/lock.py check` in "
            "the toolkit's repository, and regenerate the lock with the command in its header"
            + (f" (`{command}`)" if command else "")
            + "."
        )
    return annotation(f"cpython-release setup: {exc.what} failed", message)


def main() -> int:
    try:
        return setup()
    except StepFailed as exc:
        print(failure(exc, ROOT), flush=True)
        return 1


def setup() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs on whatever Python it was given
        print(f"::error::cpython-release needs Python 3.11+, not {sys.version.split()[0]}")
        return 2
    if not (ROOT / LOCK).is_file():
        print(f"::error::{ROOT / LOCK} is missing: the toolkit installs only locked dependencies")
        return 2
    odd = lock_line_problems((ROOT / LOCK).read_text(encoding="utf-8"))
    if odd:
        print(
            f"::error title=cpython-release setup::{LOCK} holds lines that are not an entry, "
            f"a hash or a comment (refused before pip reads them): {'; '.join(odd[:5])}"
        )
        return 2
    digest = source_hash(ROOT)
    cache = Path(os.environ.get("RUNNER_TOOL_CACHE") or tempfile.gettempdir()) / "cpython-release"
    cache.mkdir(parents=True, exist_ok=True)
    venv = cache / venv_key(digest)
    stamp = venv / "installed-from"
    with runner_lock(cache / f"{venv.name}.lock"):
        problems = ["no stamp, or another source"]
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
            problems = lock_mismatch(venv_python(venv), ROOT, toolkit_version(ROOT))
        if not problems:
            python = venv_python(venv)
            print(f"reusing {venv} (toolkit source {digest[:16]}, exactly the lock)")
        else:
            if venv.exists():
                print(f"rebuilding {venv}: " + "; ".join(problems[:5]))
            stamp.unlink(missing_ok=True)
            python = install(venv, ROOT)
            problems = lock_mismatch(python, ROOT, toolkit_version(ROOT))
            if problems:
                print("::error::the new venv is not the lock: " + "; ".join(problems))
                return 1
            stamp.write_text(digest, encoding="utf-8")
    said = run(
        [str(python), "-I", "-m", "cpython_release", "--version"], "cpython-release --version"
    )
    # the line it prints to stdout ("cpython-release 0.1.0"), whatever else went to stderr
    version = [
        line.split()[-1] for line in said.splitlines() if line.startswith("cpython-release ")
    ]
    if not version:
        print(f"::error::cpython-release --version said {said.strip()!r}, not its version")
        return 1
    executable = entry_point(python, "cpython-release")
    if not executable.is_file():
        print(f"::error::{executable} was not installed")
        return 1
    if os.environ.get("PUT_ON_PATH", "true") == "true":
        write_env_file("GITHUB_PATH", str(python.parent))
    write_env_file(
        "GITHUB_OUTPUT",
        f"version={version[-1]}\nsource-hash={digest}\nexecutable={executable}\nroot={ROOT}",
    )
    print(f"cpython-release {version[-1]} from {ROOT} (source {digest[:16]}) in {python.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
