"""Gather exactly the files a manifest lists from a tree of downloaded workflow artifacts.

``actions/download-artifact`` puts each workflow artifact in its own directory
(``downloads/windows-amd64/python-3.14.0-amd64.exe``). The sign job must not sign "whatever
was downloaded": it copies into the release directory only the files the merged manifest
names (artifacts and their companions), each found at that relative path below exactly one
download directory. Anything else in the downloads is left behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.manifest import Manifest


def collect(manifest: Manifest, downloads: Path, dest: Path) -> list[str]:
    """Copy every listed file from ``downloads`` (or one directory below it) into ``dest``.

    Returns the names copied. A file found nowhere is left for the tamper check to report as
    missing; a name found in two places with different bytes is refused.
    """
    if not downloads.is_dir():
        raise BadInput(f"{downloads} is not a directory")
    if dest.exists() and any(dest.iterdir()):
        raise BadInput(f"{dest} must be empty: the release directory is built from the manifest")
    roots = [downloads, *sorted(p for p in downloads.iterdir() if p.is_dir())]
    copied: list[str] = []
    conflicts: list[str] = []
    for ref in manifest.all_files():
        found = [root / ref.name for root in roots if (root / ref.name).is_file()]
        if not found:
            continue
        if len(found) > 1:
            digests = {sha256_file(p) for p in found}
            if len(digests) > 1:
                conflicts.append(
                    f"{ref.name}: different files in "
                    + ", ".join(str(p.relative_to(downloads)) for p in found)
                )
                continue
        target = dest / ref.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found[0], target)
        copied.append(ref.name)
    if conflicts:
        raise CheckFailed(
            "refusing to sign: two downloads give one name different bytes", conflicts
        )
    return copied
