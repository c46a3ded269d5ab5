"""Helpers for the build-source tests: an independent reference export, tar inspection.

``reference_export`` is the official procedure (release.py --export --skip-docs) done with
the real tools in subprocesses: git archive, GNU tar extraction, blurb merge/export, rm,
find, then GNU tar with the exact release options. It shares no code with the toolkit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cpython_release.demo_repo import git_env

GNU_TAR_OPTIONS = [
    "--sort=name",
    "--clamp-mtime",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "--mode=go+u,go-w",
]


def blurb_command() -> str:
    found = Path(sys.executable).with_name("blurb")
    if found.is_file():
        return str(found)
    which = shutil.which("blurb")
    if which is None:
        pytest.skip("blurb is not installed")
    return which


def gnu_tar() -> str:
    tar = shutil.which("tar")
    if tar is None:
        pytest.skip("no tar")
    out = subprocess.run([tar, "--version"], capture_output=True, text=True, check=False).stdout
    if "GNU tar" not in out:
        pytest.skip("the reference needs GNU tar")
    return tar


def commit_time(repo: Path, rev: str) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", rev, "-1", "--pretty=%ct"],
        capture_output=True,
        text=True,
        check=True,
        env=git_env(),
    ).stdout
    return int(out)


def gnu_tar_release(directory: Path, name: str, mtime: int, dest: Path) -> Path:
    """``tar cf`` with release.py's options (uncompressed)."""
    stamp = datetime.fromtimestamp(mtime, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    subprocess.run(
        [gnu_tar(), "cf", str(dest), *GNU_TAR_OPTIONS, f"--mtime={stamp}", name],
        cwd=directory,
        check=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    return dest


def reference_export(repo: Path, version: str, work: Path) -> tuple[Path, Path]:
    """The official export; returns (exported directory, uncompressed release tar)."""
    top = f"Python-{version}"
    work.mkdir(parents=True, exist_ok=True)
    raw = work / f"{top}.tar"
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "archive",
            "--format=tar",
            f"--prefix={top}/",
            "-o",
            str(raw),
            f"v{version}",
        ],
        check=True,
        env=git_env(),
    )
    subprocess.run([gnu_tar(), "-xf", str(raw)], cwd=work, check=True)
    raw.unlink()
    tree = work / top
    blurb = blurb_command()
    subprocess.run([blurb, "merge"], cwd=tree, check=True, capture_output=True)
    for name in (".gitattributes", ".gitignore"):
        (tree / name).unlink(missing_ok=True)
    subprocess.run([blurb, "export"], cwd=tree, check=True, capture_output=True)
    for name in (".azure-pipelines", ".git", ".github", "Misc/mypy"):
        shutil.rmtree(tree / name, ignore_errors=True)
    for name in ("Doc/venv", "Doc/build", "Doc/dist"):
        shutil.rmtree(tree / name, ignore_errors=True)
    subprocess.run(
        ["find", ".", "-depth", "-name", "__pycache__", "-exec", "rm", "-rf", "{}", ";"],
        cwd=tree,
        check=True,
    )
    subprocess.run(
        ["find", ".", "-name", "*.py[co]", "-exec", "rm", "-f", "{}", ";"], cwd=tree, check=True
    )
    out = gnu_tar_release(work, top, commit_time(repo, f"v{version}"), work / "reference.tar")
    return tree, out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Member:
    type: bytes
    mode: int
    uid: int
    gid: int
    uname: str
    gname: str
    mtime: float
    size: int
    linkname: str
    digest: str


def members(archive: Path) -> dict[str, Member]:
    """Every member of an archive with what a user extracting it would get."""
    out: dict[str, Member] = {}
    with tarfile.open(archive) as tf:
        for m in tf:
            data = b""
            if m.isreg():
                fh = tf.extractfile(m)
                assert fh is not None
                data = fh.read()
            out[m.name] = Member(
                m.type,
                m.mode,
                m.uid,
                m.gid,
                m.uname,
                m.gname,
                m.mtime,
                m.size,
                m.linkname,
                hashlib.sha256(data).hexdigest(),
            )
    return out


def disk_tree(root: Path) -> dict[str, tuple[str, int, str]]:
    """A directory as (kind, permission bits after go+u,go-w, content or link) per path."""
    out: dict[str, tuple[str, int, str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("symlink", 0, str(path.readlink()))
        elif stat.S_ISDIR(st.st_mode):
            out[rel] = ("dir", 0, "")
        else:
            executable = bool(st.st_mode & stat.S_IXUSR)
            out[rel] = ("file", 0o755 if executable else 0o644, sha256(path))
    return out
