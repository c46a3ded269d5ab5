#!/usr/bin/env python3
"""Install the toolkit this action belongs to into a cached virtual environment.

Runs before the toolkit exists, so standard library only. The toolkit root is two levels above
this file. The venv lives in ``$RUNNER_TOOL_CACHE/cpython-release/<source-hash>-<extras>``; a
venv whose stamp matches is reused, so on a long-lived runner (or under act) only the first job
pays for the install. A lock serialises concurrent jobs on one runner.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "scripts")


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


def main() -> int:
    extras = ",".join(
        sorted(e.strip() for e in os.environ.get("EXTRAS", "").split(",") if e.strip())
    )
    if extras and not re.fullmatch(r"[a-z,]+", extras):
        print(f"::error::bad extras {extras!r}")
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs on whatever python3 the runner has
        print(f"::error::cpython-release needs Python 3.11+, not {sys.version.split()[0]}")
        return 2
    digest = source_hash(ROOT)
    cache = Path(os.environ.get("RUNNER_TOOL_CACHE") or tempfile.gettempdir()) / "cpython-release"
    cache.mkdir(parents=True, exist_ok=True)
    venv = cache / f"{digest[:16]}-{extras.replace(',', '+') or 'base'}"
    stamp = venv / "installed-from"
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text() == digest:
            print(f"reusing {venv} (toolkit source {digest[:16]})")
        else:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            spec = f"{ROOT}[{extras}]" if extras else str(ROOT)
            subprocess.run(
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    spec,
                ],
                check=True,
            )
            stamp.write_text(digest)
    version = subprocess.run(
        [str(venv / "bin" / "cpython-release"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as fh:
        fh.write(str(venv / "bin") + "\n")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as fh:
        fh.write(f"version={version}\nsource-hash={digest}\n")
    print(f"cpython-release {version} from {ROOT} (source {digest[:16]}) on PATH")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
