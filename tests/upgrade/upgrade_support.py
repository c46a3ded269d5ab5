"""Helpers of the upgrade-check tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cpython_release.demo_repo import git_env


class GitRepo:
    """A throwaway repository: ``commit({path: text or None}, message)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "t")
        self.git("config", "user.email", "t@example.org")
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "tag.gpgsign", "false")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args],
            check=True,
            capture_output=True,
            text=True,
            env=git_env(),
        ).stdout.strip()

    def commit(self, files: dict[str, str | None], message: str) -> str:
        for rel, text in files.items():
            target = self.path / rel
            if text is None:
                self.git("rm", "-q", rel)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.git("add", rel)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str) -> None:
        self.git("tag", "-a", name, "-m", name)
