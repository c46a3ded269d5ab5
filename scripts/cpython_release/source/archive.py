"""The source-archive pipeline, standard library only: repository + version + commit ->
``Python-V.tgz`` and ``Python-V.tar.xz``.

1. Check the commit exists, the tag ``vV`` resolves to exactly it, the work tree is clean.
2. ``git archive`` the commit (never the tag: a tag can move) into a spool file.
3. Check the tree is CPython's for ``V``; apply the release export (blurb, removals).
4. Serialise the tree once; hash the tar stream and compress it twice, in parallel.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.patchlevel import nightly_release
from cpython_release.source.compress import compress_stream, release_targets
from cpython_release.source.export import check_cpython_tree, release_transform
from cpython_release.source.git import GitRepo, check_sha
from cpython_release.source.tarwriter import tar_stream
from cpython_release.source.tree import Tree

_VERSION_RE = re.compile(r"\d+\.\d+\.\d+((a|b|rc)[1-9]\d*)?")


@dataclass(frozen=True)
class ArchiveFile:
    name: str
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class SourceArchives:
    version: str
    commit: str
    tag: str
    commit_time: int
    tgz: ArchiveFile
    txz: ArchiveFile
    tar_size: int
    tar_sha256: str
    entries: int

    @property
    def content_digest(self) -> str:
        return f"sha256:{self.tar_sha256}"


def archive_names(version: str) -> tuple[str, str]:
    return f"Python-{version}.tgz", f"Python-{version}.tar.xz"


def verify_checkout(
    repo: GitRepo, version: str, commit: str, *, ignore: list[str] | None = None
) -> tuple[str, int]:
    """Check commit, tag and work tree; return (tag, commit time). Raises BadInput.

    A nightly version (``3.13.6.dev20261121``) has no tag: its identity is the commit, which
    must exist; the tag returned is empty.
    """
    nightly = nightly_release(version) is not None
    if not nightly and not _VERSION_RE.fullmatch(version):
        raise BadInput(f"not a CPython release version: {version!r}")
    check_sha(commit)
    tag = "" if nightly else f"v{version}"
    if not repo.has_commit(commit):
        raise BadInput(f"commit {commit} is not in {repo.path} (fetch it, with its tags)")
    if nightly:
        _check_clean(repo, ignore)
        commit_time = repo.commit_time(commit)
        _check_nightly_date(version, commit_time)
        return tag, commit_time
    tagged = repo.tag_commit(tag)
    if tagged is None:
        raise BadInput(f"tag {tag} does not exist in {repo.path} (fetch tags: git fetch --tags)")
    if tagged != commit:
        raise BadInput(f"tag {tag} points to {tagged}, not to --commit {commit}")
    _check_clean(repo, ignore)
    return tag, repo.commit_time(commit)


def _check_nightly_date(version: str, commit_time: int) -> None:
    """A nightly's date (``.devYYYYMMDD``, UTC) lies between its commit's day and tomorrow."""
    stamp = version.rsplit(".dev", 1)[1]
    day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    committed = datetime.fromtimestamp(commit_time, UTC).date()
    if day < committed:
        raise BadInput(f"nightly {version} is dated before its commit ({committed})")
    if day > datetime.now(UTC).date() + timedelta(days=1):
        raise BadInput(f"nightly {version} is dated in the future")


def _check_clean(repo: GitRepo, ignore: list[str] | None) -> None:
    dirty = repo.dirty(ignore or [])
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise BadInput(f"the work tree of {repo.path} is dirty: {shown}")


def export_tree(
    repo: GitRepo,
    version: str,
    commit: str,
    work: Path,
    *,
    blurb: list[str] | None = None,
    before_export: Callable[[Tree], None] | None = None,
    transform: bool = True,
) -> Tree:
    """``git archive`` the commit into ``work`` and apply the release export to it."""
    top = f"Python-{version}"
    spool = work / "git-archive.tar"
    repo.archive(commit, spool, top)
    tree = Tree.from_git_archive(spool, top)
    check_cpython_tree(tree, version)
    if before_export is not None:
        before_export(tree)  # the docs build needs the tree with Misc/NEWS.d
    if transform:
        release_transform(tree, blurb, scratch=work)
    return tree


def make_source_archives(
    repo_path: Path,
    version: str,
    commit: str,
    dest: Path,
    *,
    ignore: list[str] | None = None,
    blurb: list[str] | None = None,
    work_dir: Path | None = None,
    before_export: Callable[[Tree], None] | None = None,
) -> SourceArchives:
    """Write both archives into ``dest`` (which must exist)."""
    repo = GitRepo.open(repo_path)
    tag, commit_time = verify_checkout(repo, version, commit, ignore=ignore)
    tgz_name, txz_name = archive_names(version)
    with tempfile.TemporaryDirectory(prefix="source-work-", dir=work_dir or dest) as tmp:
        tree = export_tree(
            repo, version, commit, Path(tmp), blurb=blurb, before_export=before_export
        )
        entries = len(tree.entries)
        result = compress_stream(
            tar_stream(tree, f"Python-{version}", commit_time),
            release_targets(dest / tgz_name, dest / txz_name),
        )
    tgz, txz = result.outputs
    return SourceArchives(
        version=version,
        commit=commit,
        tag=tag,
        commit_time=commit_time,
        tgz=ArchiveFile(tgz_name, tgz.path, tgz.size, tgz.sha256),
        txz=ArchiveFile(txz_name, txz.path, txz.size, txz.sha256),
        tar_size=result.tar_size,
        tar_sha256=result.tar_sha256,
        entries=entries,
    )
