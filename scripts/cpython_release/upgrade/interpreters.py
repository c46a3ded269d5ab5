"""Finding the interpreter in a build directory and running a script under it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cpython_release.errors import BadInput

#: Where a built interpreter sits in a build directory: CPython's build tree (``python``,
#: ``python.exe`` on macOS), an install prefix (``bin/python3``), or a bare launcher.
CANDIDATES = ("python", "python.exe", "bin/python3", "python3")


def find_python(build_dir: Path, option: str) -> Path:
    for rel in CANDIDATES:
        path = build_dir / rel
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
    raise BadInput(
        f"{option} {build_dir}: no built interpreter in it (looked for {', '.join(CANDIDATES)})"
    )


def clean_env() -> dict[str, str]:
    """The environment without the toolkit's own Python settings (its venv, PYTHONPATH)."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_python(
    python: Path, args: list[str], *, cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(python), *args],
            cwd=cwd,
            env=clean_env(),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        return subprocess.CompletedProcess(exc.cmd, -9, out, f"timed out after {timeout:.0f} s")
    except OSError as exc:
        raise BadInput(f"{python}: cannot run it: {exc.strerror}") from exc
