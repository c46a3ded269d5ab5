"""Part 3b: the exported ABI of the new build against the previous release's.

With libabigail's ``abidiff`` on PATH and a shared ``libpython3.Y.so`` in both build
directories, the two libraries are compared (ABI changes are findings). Otherwise the
branch's committed ABI dumps (``Doc/data/python3.Y.abi``, what ``make check-abidump``
compares against) at the two refs are compared: an exported function or variable symbol
that disappears is a finding. That reads what was committed, not what was built, and the
report says so. With neither, the check fails closed: an ``abi`` finding (subject "not
compared") says what could not be compared; it never passes silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from cpython_release.upgrade.findings import Finding
from cpython_release.upgrade.gitrepo import Repo

_SYMBOL = re.compile(rb"<elf-symbol name='([^']+)'[^>]*?type='(func-type|object-type)'")
_VERSION = re.compile(rb"#define PY_(MAJOR|MINOR)_VERSION\s+(\d+)")


def _libpython(build: Path) -> Path | None:
    for pattern in ("libpython3*.so*", "lib/libpython3*.so*"):
        hits = sorted(p for p in build.glob(pattern) if p.is_file() and not p.is_symlink())
        if hits:
            return hits[0]
    return None


def _short_version(repo: Repo, commit: str) -> str | None:
    text = repo.show(commit, "Include/patchlevel.h") or b""
    parts = dict((k.decode(), v.decode()) for k, v in _VERSION.findall(text))
    if "MAJOR" in parts and "MINOR" in parts:
        return f"{parts['MAJOR']}.{parts['MINOR']}"
    return None


def symbols(dump: bytes) -> set[str]:
    return {name.decode() for name, _ in _SYMBOL.findall(dump)}


def abi_check(
    repo: Repo, base_commit: str, head_commit: str, build_old: Path, build_new: Path
) -> tuple[str, list[Finding], str]:
    """(status "ran"/"skipped", findings, note)."""
    abidiff = shutil.which("abidiff")
    old_lib, new_lib = _libpython(build_old), _libpython(build_new)
    if abidiff and old_lib and new_lib:
        return _abidiff(abidiff, old_lib, new_lib, head_commit)
    why = "abidiff is not installed" if not abidiff else "no shared libpython in the builds"
    short = _short_version(repo, head_commit)
    dump_path = f"Doc/data/python{short}.abi"
    old_dump = repo.show(base_commit, dump_path) if short else None
    new_dump = repo.show(head_commit, dump_path) if short else None
    if old_dump is None or new_dump is None:
        note = f"{why}, and no {dump_path} at both refs: exported ABI NOT compared"
        return (
            "failed",
            [
                Finding(
                    kind="abi",
                    commit=None,  # nothing was compared: no commit explains it
                    gh_issue=None,
                    detail=f"the exported ABI could not be compared: {note} (install "
                    "abidiff and build with --enable-shared, or waive this by --waivers)",
                    subject="not compared",
                    score=1,
                )
            ],
            note,
        )
    lost = sorted(symbols(old_dump) - symbols(new_dump))
    note = (
        f"{why}: compared the committed {dump_path} at both refs (not the builds): "
        f"{len(lost)} exported symbol(s) gone"
    )
    if not lost:
        return "ran", [], note
    commit = repo.text("log", "-1", "--format=%H", f"{base_commit}..{head_commit}", "--", dump_path)
    from cpython_release.upgrade.changed_tests import commit_infos

    sha = commit.strip() or head_commit
    info = commit_infos(repo, f"{base_commit}..{head_commit}").get(sha)
    return (
        "ran",
        [
            Finding(
                kind="abi",
                commit=sha,
                gh_issue=info.gh_issue if info else None,
                detail=f"exported symbol {name} is gone from {dump_path}",
                subject=name,
                score=1,
            )
            for name in lost
        ],
        note,
    )


def _abidiff(
    abidiff: str, old: Path, new: Path, head_commit: str
) -> tuple[str, list[Finding], str]:
    proc = subprocess.run(
        [abidiff, "--no-added-syms", str(old), str(new)],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    # abidiff's exit status is a bit field: 1 error, 2 usage error, 4 ABI change,
    # 8 incompatible ABI change.
    if proc.returncode & 3:
        from cpython_release.errors import CheckFailed

        raise CheckFailed(f"abidiff {old.name} {new.name} failed: {proc.stderr.strip()[:500]}")
    if not proc.returncode & 12:
        return "ran", [], f"abidiff {old.name}: no ABI change"
    kind = "incompatible ABI change" if proc.returncode & 8 else "ABI change"
    return (
        "ran",
        [
            Finding(
                kind="abi",
                commit=None,  # the builds differ; abidiff names no commit
                gh_issue=None,
                detail=f"abidiff reports an {kind} in {new.name}",
                subject=new.name,
                score=1,
                extra={"output": proc.stdout[-4000:]},
            )
        ],
        f"abidiff {old.name}: {kind}",
    )
