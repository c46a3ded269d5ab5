"""Git access for the source build: the commit, its tag, its time, and ``git archive``.

Every command runs with the caller's ``GIT_*`` variables removed (a hook's ``GIT_DIR`` must
not redirect us) and with the settings that could change ``git archive`` output pinned on
the command line, so the export does not depend on the machine's git configuration.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput

SHA_RE = re.compile(r"[0-9a-f]{40}")

#: Settings that would otherwise let user/system configuration change the exported bytes.
ARCHIVE_CONFIG = (
    "core.autocrlf=false",
    "core.eol=lf",
    f"core.attributesFile={os.devnull}",
    "tar.umask=0002",
    "log.date=default",
    "i18n.logOutputEncoding=UTF-8",
)


def git_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def check_sha(commit: str) -> str:
    if not SHA_RE.fullmatch(commit or ""):
        raise BadInput(
            f"--commit must be a full 40-character lowercase hex commit SHA, got {commit!r}: "
            "a branch or tag name could move between jobs"
        )
    return commit


@dataclass(frozen=True)
class GitRepo:
    path: Path

    @classmethod
    def open(cls, path: Path) -> GitRepo:
        path = Path(path)
        if not path.is_dir():
            raise BadInput(f"--repo {path}: no such directory")
        proc = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            env=git_environ(),
            check=False,
        )
        if proc.returncode != 0:
            raise BadInput(f"--repo {path}: not a git repository ({proc.stderr.strip()})")
        top = Path(proc.stdout.strip())
        if top.resolve() != path.resolve():
            raise BadInput(f"--repo {path}: not the top of a git work tree (that is {top})")
        return cls(path)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            env=git_environ(),
            check=False,
        )
        if check and proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise BadInput(f"git {args[0]} failed in {self.path}: {err}")
        return proc

    def text(self, *args: str) -> str:
        return self.run(*args).stdout.decode().strip()

    def has_commit(self, commit: str) -> bool:
        return self.run("cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0

    def tag_commit(self, tag: str) -> str | None:
        """The commit a tag points to (annotated tags peeled), or None if there is no tag."""
        proc = self.run(
            "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}", check=False
        )
        out = proc.stdout.decode().strip()
        return out if proc.returncode == 0 and SHA_RE.fullmatch(out) else None

    def commit_time(self, commit: str) -> int:
        """The committer time (what ``git archive`` stamps and release.py clamps to)."""
        return int(self.text("show", "-s", "--format=%ct", commit))

    def read_blob(self, commit: str, path: str) -> bytes | None:
        proc = self.run("cat-file", "blob", f"{commit}:{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def dirty(self, ignore: list[str]) -> list[str]:
        """Modified, staged or untracked paths (ignored files and ``ignore`` prefixes aside)."""
        raw = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all").stdout
        fields = raw.decode(errors="surrogateescape").split("\0")
        out: list[str] = []
        skip = False
        for field in fields:
            if skip:
                skip = False
                continue
            if len(field) < 4:
                continue
            status, path = field[:2], field[3:]
            if "R" in status or "C" in status:
                skip = True  # the next field is the rename source
            if any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in ignore):
                continue
            out.append(f"{status.strip() or '?'} {path}")
        return out

    def archive(self, commit: str, dest: Path, prefix: str) -> None:
        """``git archive --format=tar --prefix=PREFIX/ COMMIT`` into ``dest``."""
        config = [arg for setting in ARCHIVE_CONFIG for arg in ("-c", setting)]
        proc = subprocess.run(
            [
                "git",
                *config,
                "-C",
                str(self.path),
                "archive",
                "--format=tar",
                f"--prefix={prefix}/",
                "-o",
                str(dest),
                commit,
            ],
            capture_output=True,
            env=git_environ(),
            check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise BadInput(f"git archive {commit} failed: {err}")
