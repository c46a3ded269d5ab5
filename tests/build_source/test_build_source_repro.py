"""Reproducibility: the same commit gives byte-identical archives whatever the run."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cpython_release
from build_source.build_source_helpers import blurb_command
from cpython_release.demo_repo import DemoRepo, git_env

V = "3.13.5"
NAMES = (f"Python-{V}.tgz", f"Python-{V}.tar.xz", "fragment-build-source.json")
SCRIPTS = str(Path(cpython_release.__file__).parents[1])


def same_bytes(a: Path, b: Path, names: tuple[str, ...] = NAMES) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def cli(
    repo: Path,
    commit: str,
    out: Path,
    *,
    env: dict[str, str] | None = None,
    umask: int | None = None,
    cwd: Path | None = None,
) -> None:
    cmd = [
        sys.executable,
        "-m",
        "cpython_release",
        "build-source",
        V,
        "--repo",
        str(repo),
        "--commit",
        commit,
        "--out",
        str(out),
    ]
    if umask is not None:
        cmd = ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    assert proc.returncode == 0, proc.stderr


def test_second_run_identical(demo: DemoRepo, built: Path, tmp_path: Path) -> None:
    cli(demo.path, demo.commit, tmp_path / "again")
    same_bytes(built, tmp_path / "again")


def test_other_checkout_dir_and_worktree_mtimes(
    demo: DemoRepo, built: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "elsewhere" / "checkout"
    subprocess.run(["git", "clone", "-q", str(demo.path), str(clone)], check=True, env=git_env())
    rng = random.Random(7)  # noqa: S311 - arbitrary, repeatable mtimes
    for path in clone.rglob("*"):
        if ".git" not in path.parts and not path.is_symlink():
            stamp = rng.randrange(0, 2_000_000_000)
            os.utime(path, (stamp, stamp))
    cli(clone, demo.commit, tmp_path / "out", cwd=tmp_path)
    same_bytes(built, tmp_path / "out")


@pytest.mark.parametrize(
    ("umask", "env"),
    [
        (0o077, {"TZ": "Pacific/Chatham", "LC_ALL": "C", "LANG": "C"}),
        (0o000, {"TZ": "America/St_Johns", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "4242"}),
    ],
)
def test_umask_tz_locale(
    demo: DemoRepo, built: Path, tmp_path: Path, umask: int, env: dict[str, str]
) -> None:
    cli(demo.path, demo.commit, tmp_path / "out", env={**os.environ, **env}, umask=umask)
    same_bytes(built, tmp_path / "out")


def find_python(minor: str) -> str | None:
    """A working ``python3.N`` (directly, or through pyenv when its shim is not active)."""
    candidates = [shutil.which(f"python{minor}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        whence = subprocess.run(
            [pyenv, "whence", f"python{minor}"], capture_output=True, text=True, check=False
        ).stdout.split()
        for version in whence:
            prefix = subprocess.run(
                [pyenv, "prefix", version], capture_output=True, text=True, check=False
            ).stdout.strip()
            candidates.append(str(Path(prefix) / "bin" / f"python{minor}") if prefix else None)
    for exe in candidates:
        if (
            exe
            and subprocess.run([exe, "-c", "pass"], capture_output=True, check=False).returncode
            == 0
        ):
            return exe
    return None


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_other_interpreters(demo: DemoRepo, built: Path, tmp_path: Path, minor: str) -> None:
    exe = find_python(minor)
    if exe is None:
        pytest.skip(f"python{minor} is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = SCRIPTS
    proc = subprocess.run(
        [
            exe,
            "-m",
            "cpython_release.source",
            str(demo.path),
            V,
            demo.commit,
            str(tmp_path),
            "--blurb",
            blurb_command(),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f'"Python-{V}.tgz"' in proc.stdout
    same_bytes(built, tmp_path, NAMES[:2])
