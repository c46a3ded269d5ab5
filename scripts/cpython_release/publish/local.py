"""The ``local`` target: python.org's trees in a directory, for rehearsals.

``ROOT/www.python.org/ftp/python/...`` gets the files exactly where the downloads host has
them (``XYZ/``, ``XYZ/amd64rc2/``, ``doc/V/``), ``ROOT/docs.python.org/release/V/`` the
unpacked HTML docs, and ``ROOT/api/V.json`` the release and file records the python.org API
would hold. Files go through the same stage-verify-rename engine as the SFTP target, so a
rehearsal exercises it. A re-run changes nothing; different content is refused without
``replace``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import FileDigest, hash_many
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.publish import staging
from cpython_release.publish.actions import Action, PublishResult, Verb
from cpython_release.publish.layout import (
    docs_items,
    download_items,
    placements,
    signed_list_items,
    staging_name,
    xyz,
)
from cpython_release.publish.pythonorg_files import desired_release_files
from cpython_release.publish.pythonorg_sync import release_fields
from cpython_release.version import ReleaseVersion

FTP_SUBDIR = "www.python.org/ftp/python"
DOCS_SUBDIR = "docs.python.org/release"
API_SUBDIR = "api"


class LocalTree:
    """A :class:`staging.Tree` on the local filesystem."""

    label = "local"

    def listdir(self, path: str) -> dict[str, staging.Entry] | None:
        try:
            with os.scandir(path) as it:
                return {
                    e.name: staging.Entry(0 if e.is_dir() else e.stat().st_size, e.is_dir())
                    for e in it
                }
        except (FileNotFoundError, NotADirectoryError):
            return None

    def digests(self, paths: Sequence[str]) -> dict[str, FileDigest]:
        got = hash_many(Path(p) for p in paths)
        return {str(p): d for p, d in got.items() if isinstance(d, FileDigest)}

    def mkdir(self, path: str, mode: int) -> None:
        Path(path).mkdir()
        Path(path).chmod(mode)

    def put(self, local: Path, path: str, mode: int) -> None:
        shutil.copyfile(local, path)
        Path(path).chmod(mode)

    def put_many(self, jobs: Sequence[tuple[Path, str]], mode: int) -> None:
        for local, path in jobs:
            self.put(local, path, mode)

    def own(self, path: str, mode: int) -> None:
        Path(path).chmod(mode)

    def rename(self, src: str, dst: str) -> None:
        Path(src).replace(dst)

    def remove(self, path: str) -> None:
        Path(path).unlink()

    def rmdir(self, path: str) -> None:
        Path(path).rmdir()


def api_records(manifest: Manifest) -> dict[str, Any]:
    """The Release and ReleaseFile records python.org's API would hold for this release.

    They come from the python.org target's own rules (``pythonorg_files``,
    ``pythonorg_sync``), so a rehearsal shows exactly what the API would get. A nightly
    (``.devN``) has no python.org records; it gets bare file records.
    """
    version = manifest.release.version
    release: dict[str, Any] = {"name": f"Python {version}"}
    files: list[Any]
    try:
        parsed = ReleaseVersion.parse(version)
    except BadInput:
        files = _fallback_records(manifest)
    else:
        release = release_fields(parsed, manifest)
        files = [_plain(r) for r in desired_release_files(manifest, parsed)]
    release.update(
        tag=manifest.release.tag,
        commit=manifest.release.commit,
        repository=manifest.release.repository,
        ftp_directory=f"https://www.python.org/ftp/python/{xyz(version)}/",
    )
    return {"release": release, "files": files}


def _plain(record: Any) -> Any:
    if hasattr(record, "to_dict"):
        return record.to_dict()
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    return record


def _fallback_records(manifest: Manifest) -> list[dict[str, Any]]:
    """Bare file records (URL, size, hash, companions) for a nightly, which python.org lacks."""
    urls = {p.name: p.url for p in placements(manifest)}
    out = []
    for art in sorted(manifest.artifacts, key=lambda a: a.name):
        if "/" in art.name:
            continue  # MSI parts are served, but python.org lists no record for them
        out.append(
            {
                "file": art.name,
                "url": urls[art.name],
                "sha256_sum": art.sha256,
                "filesize": art.size,
                "companions": sorted(urls[c.name] for c in art.companion_files()),
            }
        )
    return out


def publish_local(
    manifest: Manifest,
    directory: Path,
    root: Path,
    *,
    replace: bool = False,
    dry_run: bool = False,
    manifest_path: Path | None = None,
) -> PublishResult:
    """Publish the (verified) artifact ``directory`` into the local tree ``root``, with the
    signed manifest (``manifest_path``, default in ``directory``), SHA256SUMS and their
    signatures next to the files, named as on python.org.

    Raises :class:`CheckFailed` (exit 1) if published content differs and ``replace`` is
    false; with ``dry_run`` it only reports, refusals included, and touches nothing.
    """
    result = PublishResult(target="local", dry_run=dry_run)
    tree = LocalTree()
    version = manifest.release.version
    ftp_root = root / FTP_SUBDIR
    docs_root = root / DOCS_SUBDIR
    index = root / API_SUBDIR / f"{version}.json"
    with tempfile.TemporaryDirectory(prefix="cpython-release-docs-") as scratch:
        plans = [
            staging.make_plan(
                tree,
                str(ftp_root),
                [
                    *download_items(manifest, directory),
                    *signed_list_items(
                        manifest, directory, manifest_path or directory / MANIFEST_NAME
                    ),
                ],
                staging_name=staging_name(manifest, xyz(version)),
                replace=replace,
                root_may_be_missing=True,
            )
        ]
        staging.record(plans[0], result)
        docs = docs_items(manifest, directory, Path(scratch))
        if docs is not None:
            archive, items = docs
            plans.append(
                staging.make_plan(
                    tree,
                    str(docs_root),
                    items,
                    staging_name=staging_name(manifest, version),
                    replace=replace,
                    root_may_be_missing=True,
                )
            )
            staging.record(plans[-1], result, summarize=archive)
        text = json.dumps(api_records(manifest), indent=2, sort_keys=True) + "\n"
        old = index.read_text(encoding="utf-8") if index.is_file() else None
        refused = [p for plan in plans for p in plan.refused]
        if old is None:
            result.add(Action(Verb.CREATE, "local", str(index), "release and file records"))
        elif old == text:
            result.add(Action(Verb.SKIP, "local", str(index)))
        elif replace:
            result.add(Action(Verb.REPLACE, "local", str(index)))
        else:
            result.add(
                Action(Verb.REFUSE, "local", str(index), "different records; pass --replace")
            )
            refused.append(f"{index}: holds different release records (pass --replace)")
        if dry_run:
            return result
        if refused:
            raise CheckFailed("refusing to overwrite published files", refused)
        for plan in plans:
            Path(plan.root).mkdir(parents=True, exist_ok=True)
            staging.execute(plan)
        if old != text:
            index.parent.mkdir(parents=True, exist_ok=True)
            tmp = index.with_name(index.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(index)
    return result
