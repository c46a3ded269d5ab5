"""The few git reads the upgrade check needs, with user/system configuration ignored."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cpython_release.demo_repo import git_env
from cpython_release.errors import BadInput


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not (self.path / ".git").exists() and not (self.path / "HEAD").exists():
            raise BadInput(f"--repo {self.path}: not a git repository")

    def run(self, *args: str, data: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=data,
            capture_output=True,
            env=git_env(),
            check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise BadInput(f"git {args[0]} failed: {err}")
        return proc.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode("utf-8", errors="replace")

    def commit_of(self, ref: str, option: str) -> str:
        """The commit ``ref`` names; a ref that names none is bad input for ``option``."""
        proc = subprocess.run(
            ["git", "-C", str(self.path), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            env=git_env(),
            check=False,
        )
        if proc.returncode != 0 or ref.startswith("-"):
            raise BadInput(f"{option} {ref}: no such commit or tag in {self.path}")
        return proc.stdout.decode().strip()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = subprocess.run(
            ["git", "-C", str(self.path), "merge-base", "--is-ancestor", ancestor, descendant],
            capture_output=True,
            env=git_env(),
            check=False,
        )
        if proc.returncode not in (0, 1):
            err = proc.stderr.decode(errors="replace").strip()
            raise BadInput(f"git merge-base failed: {err}")
        return proc.returncode == 0

    def show(self, rev: str, path: str) -> bytes | None:
        """``path`` at ``rev``, or None where the file does not exist there."""
        proc = subprocess.run(
            ["git", "-C", str(self.path), "show", f"{rev}:{path}"],
            capture_output=True,
            env=git_env(),
            check=False,
        )
        return proc.stdout if proc.returncode == 0 else None

    def blobs(self, ids: list[str]) -> dict[str, bytes]:
        """Many blobs in one ``git cat-file --batch`` (one process, not one per file)."""
        wanted = [i for i in dict.fromkeys(ids) if i and set(i) != {"0"}]
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", data=("\n".join(wanted) + "\n").encode())
        blobs: dict[str, bytes] = {}
        pos = 0
        for oid in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[1] == b"missing":
                continue
            size = int(header[2])
            blobs[oid] = out[pos : pos + size]
            pos += size + 1
        return blobs
