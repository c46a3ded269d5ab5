#!/usr/bin/env python3
"""Offline stand-ins for the remote actions our workflows use, for act runs in the tests.

Each stand-in keeps its real action's inputs, outputs and failure modes that matter to us:
- upload-artifact v4: artifact names are unique per run (a second upload of a name fails
  unless ``overwrite``); the least common ancestor of the paths is the root; ``if-no-files-found``.
- download-artifact v4: by name into ``path``; without a name every artifact (``pattern``)
  into ``path/<name>/``, or merged with ``merge-multiple``; an unknown name fails.
- checkout v5: clones the repository from ``$ACT_STANDIN_REPOS/<owner>/<name>`` at ``ref``;
  like the real one it fetches no tags unless ``fetch-depth: 0`` or ``fetch-tags: true``.
- setup-python, cache: the host's Python; never a cache hit.
- attest-build-provenance: checks ``subject-checksums`` is sha256sum format and records the
  subjects in ``$ACT_STANDIN_ARTIFACTS/../attestations.jsonl``.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn


def inp(name: str, default: str = "") -> str:
    return os.environ.get("INPUT_" + name.upper().replace("-", "_"), default).strip()


def output(key: str, value: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as fh:
        fh.write(f"{key}={value}\n")


def fail(msg: str) -> NoReturn:
    print(f"::error::{msg}")
    sys.exit(1)


def store() -> Path:
    root = os.environ.get("ACT_STANDIN_ARTIFACTS")
    if not root:
        fail("ACT_STANDIN_ARTIFACTS is not set (the act harness sets it)")
    return Path(str(root))


def workspace() -> Path:
    return Path(os.environ.get("GITHUB_WORKSPACE", "."))


def upload() -> None:
    name = inp("name", "artifact")
    patterns = [p.strip() for p in inp("path").splitlines() if p.strip()]
    include = [p for p in patterns if not p.startswith("!")]
    exclude = [p[1:] for p in patterns if p.startswith("!")]
    files: list[Path] = []
    bases: list[Path] = []
    for pattern in include:
        full = pattern if os.path.isabs(pattern) else str(workspace() / pattern)
        prefix = re.split(r"[*?\[]", full, maxsplit=1)[0]
        base = (
            Path(prefix) if prefix.endswith("/") or Path(prefix).is_dir() else Path(prefix).parent
        )
        bases.append(base)
        for hit in sorted(glob.glob(full, recursive=True)):
            p = Path(hit)
            if p.is_dir():
                files.extend(q for q in sorted(p.rglob("*")) if q.is_file())
            elif p.is_file():
                files.append(p)
    files = [
        f
        for f in files
        if not any(
            fnmatch.fnmatch(str(f), str(workspace() / e)) or fnmatch.fnmatch(str(f), e)
            for e in exclude
        )
    ]
    if not files:
        mode = inp("if-no-files-found", "warn")
        msg = f"No files were found with the provided path: {inp('path')}"
        if mode == "error":
            fail(msg)
        print(f"::warning::{msg}" if mode == "warn" else msg)
        return
    root = Path(os.path.commonpath([str(b) for b in bases])) if bases else workspace()
    dest = store() / name
    if dest.exists():
        if inp("overwrite", "false") != "true":
            fail(f"Failed to CreateArtifact: an artifact with this name already exists: {name}")
        shutil.rmtree(dest)
    for f in files:
        rel = f.relative_to(root) if f.is_relative_to(root) else Path(f.name)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest / rel)
    print(f"uploaded artifact {name}: {len(files)} files")
    output("artifact-id", str(abs(hash(name)) % 10**9))


def download() -> None:
    name = inp("name")
    path = Path(inp("path") or str(workspace()))
    if not path.is_absolute():
        path = workspace() / path
    if name:
        src = store() / name
        if not src.is_dir():
            fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
        shutil.copytree(src, path, dirs_exist_ok=True)
    else:
        pattern = inp("pattern") or "*"
        merge = inp("merge-multiple", "false") == "true"
        names = (
            sorted(p.name for p in store().iterdir() if fnmatch.fnmatch(p.name, pattern))
            if store().is_dir()
            else []
        )
        for n in names:
            shutil.copytree(store() / n, path if merge else path / n, dirs_exist_ok=True)
        print(f"downloaded {len(names)} artifacts: {', '.join(names)}")
    output("download-path", str(path))


def checkout() -> None:
    repo = inp("repository") or os.environ["GITHUB_REPOSITORY"]
    ref = inp("ref")
    src = Path(os.environ.get("ACT_STANDIN_REPOS", "/nonexistent")) / repo
    if not (src / ".git").exists() and not (src / "HEAD").exists():
        fail(f"checkout stand-in: no local copy of {repo} under $ACT_STANDIN_REPOS")
    dest = workspace() / inp("path", ".")
    if dest.exists() and any(dest.iterdir()) and dest != workspace():
        shutil.rmtree(dest)
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(src), str(dest)], check=True)
    target = ref or "HEAD"
    branch = subprocess.run(
        ["git", "-C", str(dest), "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{ref}"],
        capture_output=True,
    )
    if ref and branch.returncode == 0:
        # like actions/checkout: a branch ref is checked out as that local branch
        done = subprocess.run(
            ["git", "-C", str(dest), "checkout", "-q", "-B", ref, f"refs/remotes/origin/{ref}"]
        )
    else:
        done = subprocess.run(["git", "-C", str(dest), "checkout", "-q", "--detach", target])
    if done.returncode:
        fail(f"checkout stand-in: {repo} has no ref {target}")
    depth = inp("fetch-depth", "1")
    if depth != "0" and inp("fetch-tags", "false") != "true":
        tags = subprocess.run(
            ["git", "-C", str(dest), "tag"], capture_output=True, text=True, check=True
        ).stdout.split()
        if tags:
            subprocess.run(
                ["git", "-C", str(dest), "tag", "-d", *tags], check=True, capture_output=True
            )
    if inp("persist-credentials", "true") != "false":
        print("::warning::checkout stand-in: persist-credentials is not false")
    sha = subprocess.run(
        ["git", "-C", str(dest), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"checked out {repo}@{target} = {sha} into {dest}")
    output("commit", sha)
    output("ref", ref)


def setup_python() -> None:
    output("python-version", ".".join(map(str, sys.version_info[:3])))
    output("python-path", sys.executable)


def cache() -> None:
    output("cache-hit", "false")


def attest() -> None:
    checksums = inp("subject-checksums")
    if not checksums:
        fail("attest stand-in: only subject-checksums is used by this project")
    path = Path(checksums) if os.path.isabs(checksums) else workspace() / checksums
    subjects = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not m:
            fail(f"attest stand-in: not sha256sum format: {line!r}")
        subjects.append({"name": m[2], "sha256": m[1]})
    if not subjects or len(subjects) > 1024:
        fail(f"attest stand-in: {len(subjects)} subjects (1 to 1024 allowed)")
    record = store().parent / "attestations.jsonl"
    with record.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"subjects": subjects}) + "\n")
    output("attestation-id", "0")
    output("bundle-path", str(record))


if __name__ == "__main__":
    {
        "upload": upload,
        "download": download,
        "checkout": checkout,
        "setup-python": setup_python,
        "cache": cache,
        "attest": attest,
    }[sys.argv[1]]()
