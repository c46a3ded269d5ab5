"""``build_source``: the build-source stage as one call.

Writes ``Python-V.tgz``, ``Python-V.tar.xz`` (and, with ``docs``, the documentation
archives) plus a manifest fragment, ``fragment-build-source.json``, into ``out``. All
outputs are written into a temporary directory inside ``out`` and renamed into place at
the end; an existing output is an error unless ``force``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from cpython_release import __version__
from cpython_release.errors import BadInput
from cpython_release.hashing import sha256_file
from cpython_release.inventory import Gates, inventory
from cpython_release.manifest import Artifact, Manifest, ReleaseInfo, created_from_timestamp
from cpython_release.nightly_names import release_tag
from cpython_release.source.archive import (
    SourceArchives,
    archive_names,
    export_tree,
    make_source_archives,
    verify_checkout,
)
from cpython_release.source.cleanup import remove_tree
from cpython_release.source.docs import DocsBuilder, MakeDocsBuilder, collect
from cpython_release.source.git import GitRepo, check_sha
from cpython_release.source.tree import Tree
from cpython_release.version import ReleaseVersion

FRAGMENT_NAME = "fragment-build-source.json"
DOCS_FRAGMENT_NAME = "fragment-docs.json"
PRODUCER = "build-source"
DOCS_PRODUCER = "docs"


def docs_names(version: ReleaseVersion) -> list[str]:
    """The documentation archives a release ships (from the inventory)."""
    everything = Gates(True, False, False, False, False, False, False)
    return [f.name for f in inventory(version, everything) if f.kind == "docs"]


def _ignored_paths(repo: Path, out: Path) -> list[str]:
    """``out`` relative to the repository if it lies inside it (its files are not dirt)."""
    try:
        return [out.resolve().relative_to(repo.resolve()).as_posix()]
    except ValueError:
        return []


def _reserve(out: Path, names: list[str], force: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    existing = [n for n in names if (out / n).exists() or (out / n).is_symlink()]
    if existing and not force:
        raise BadInput(
            f"output already exists in {out}: {', '.join(existing)} (pass --force to replace)"
        )
    return Path(tempfile.mkdtemp(prefix=".build-source-", dir=out))


def _publish(tmp: Path, out: Path, names: list[str]) -> None:
    for name in names:
        (tmp / name).replace(out / name)


def _docs_hook(
    builder: DocsBuilder, version: ReleaseVersion, work: Path, dest: Path
) -> Callable[[Tree], None]:
    def hook(tree: Tree) -> None:
        srcdir = work / f"docs-tree/Python-{version}"
        srcdir.mkdir(parents=True)
        tree.extract_to(srcdir)
        for path in collect(builder.build(srcdir, str(version)), docs_names(version)):
            shutil.copyfile(path, dest / path.name)
        shutil.rmtree(work / "docs-tree", ignore_errors=True)

    return hook


def _docs_artifacts(version: ReleaseVersion, directory: Path) -> list[Artifact]:
    out = []
    for name in docs_names(version):
        digest = sha256_file(directory / name)
        out.append(Artifact(name, "docs", "docs", digest.size, digest.sha256, DOCS_PRODUCER))
    return out


def _source_artifacts(result: SourceArchives) -> list[Artifact]:
    return [
        Artifact(
            f.name,
            "source",
            "source",
            f.size,
            f.sha256,
            PRODUCER,
            content_digest=result.content_digest,
        )
        for f in (result.tgz, result.txz)
    ]


def _fragment(
    version: ReleaseVersion,
    commit: str,
    repository: str,
    commit_time: int,
    artifacts: list[Artifact],
) -> Manifest:
    return Manifest(
        ReleaseInfo(
            version=str(version),
            tag=release_tag(version, commit),
            commit=commit,
            repository=repository,
            toolkit_version=__version__,
            created=created_from_timestamp(commit_time),
        ),
        tuple(artifacts),
    )


def _check_docs(version: ReleaseVersion) -> None:
    if version.pre_kind not in (None, "rc"):
        raise BadInput(f"--docs: {version} is not a release candidate or final; no docs ship")


def build_source(
    repo: Path,
    version: ReleaseVersion,
    commit: str,
    out: Path,
    *,
    repository: str = "python/cpython",
    docs: bool = False,
    force: bool = False,
    docs_builder: DocsBuilder | None = None,
    blurb: list[str] | None = None,
) -> Path:
    """Build the source archives (and docs); return the path of the manifest fragment."""
    check_sha(commit)
    if docs:
        _check_docs(version)
    tgz, txz = archive_names(str(version))
    extra = docs_names(version) if docs else []
    names = [tgz, txz, *extra, FRAGMENT_NAME]
    out = Path(out).absolute()  # git runs inside the repository: keep a relative --out here
    tmp = _reserve(out, names, force)
    try:
        hook = _docs_hook(docs_builder or MakeDocsBuilder(), version, tmp, tmp) if docs else None
        result = make_source_archives(
            repo,
            str(version),
            commit,
            tmp,
            ignore=_ignored_paths(repo, out),
            blurb=blurb,
            work_dir=tmp,
            before_export=hook,
        )
        artifacts = _source_artifacts(result)
        if docs:
            artifacts += _docs_artifacts(version, tmp)
        _fragment(version, commit, repository, result.commit_time, artifacts).write(
            tmp / FRAGMENT_NAME
        )
        _publish(tmp, out, names)
    finally:
        remove_tree(tmp)  # complete, even if a second signal arrives meanwhile
    return out / FRAGMENT_NAME


def build_docs(
    repo: Path,
    version: ReleaseVersion,
    commit: str,
    out: Path,
    *,
    repository: str = "python/cpython",
    force: bool = False,
    docs_builder: DocsBuilder | None = None,
    blurb: list[str] | None = None,
) -> Path:
    """Only the documentation archives, with their own fragment (``fragment-docs.json``)."""
    check_sha(commit)
    _check_docs(version)
    names = [*docs_names(version), DOCS_FRAGMENT_NAME]
    out = Path(out).absolute()  # git runs inside the repository: keep a relative --out here
    tmp = _reserve(out, names, force)
    try:
        git = GitRepo.open(repo)
        _, commit_time = verify_checkout(
            git, str(version), commit, ignore=_ignored_paths(repo, out)
        )
        hook = _docs_hook(docs_builder or MakeDocsBuilder(), version, tmp, tmp)
        work = Path(tempfile.mkdtemp(prefix="work-", dir=tmp))
        tree = export_tree(
            git, str(version), commit, work, blurb=blurb, before_export=hook, transform=False
        )
        tree.discard_spool()
        _fragment(version, commit, repository, commit_time, _docs_artifacts(version, tmp)).write(
            tmp / DOCS_FRAGMENT_NAME
        )
        _publish(tmp, out, names)
    finally:
        remove_tree(tmp)  # complete, even if a second signal arrives meanwhile
    return out / DOCS_FRAGMENT_NAME
