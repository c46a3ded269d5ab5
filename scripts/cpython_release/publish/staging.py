"""Publish a set of files into a public tree all at once: stage, verify, then rename.

One engine for every file tree (python.org's downloads host over SFTP, the docs host, a local
directory); a :class:`Tree` supplies the primitive operations.

What "all at once" means here, precisely:

* Every file is first written into a hidden staging directory *next to* the public one (same
  parent, so the same filesystem). Nothing of this run appears in the public tree until every
  file is staged and its size and SHA-256 have been checked **on the server side**.
* Then each file is moved into place by ``rename(2)`` (SFTP ``posix-rename``), which is atomic
  per file: a reader sees the old file or the new one, never a partial one. A public
  directory that does not exist yet (``3.14.0/`` for an a1, ``amd64rc2/``, ``doc/3.14.0rc2/``,
  the docs tree ``release/3.14.0rc2/``) is moved as a whole, so its files appear in one step.
* The set of renames is not one transaction: files in an existing directory (``3.14.0/`` for
  rc2) appear one rename after the other, a window of milliseconds (one round trip per file).
  If the run dies inside that window, some files are public and the rest are still staged
  and verified; a re-run skips the public ones and moves the rest.

A file already public with the same SHA-256 is skipped; a different one is refused unless
``replace`` (a replacement is itself one atomic rename over the old file).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cpython_release.errors import CheckFailed
from cpython_release.hashing import FileDigest
from cpython_release.publish.actions import Action, PublishResult, Verb
from cpython_release.publish.journal import Journal

DIR_MODE = 0o775
FILE_MODE = 0o664


@dataclass(frozen=True)
class Entry:
    """What a directory listing says about one name."""

    size: int
    is_dir: bool


class Tree(Protocol):
    """The primitive operations of a file tree; paths are absolute POSIX strings."""

    label: str  # the Action target: "sftp", "local"

    def listdir(self, path: str) -> dict[str, Entry] | None:
        """The entries of directory ``path``; None if it does not exist."""
        ...

    def digests(self, paths: Sequence[str]) -> dict[str, FileDigest]:
        """Size and SHA-256 of each path, computed where the files are; missing ones left out."""
        ...

    def mkdir(self, path: str, mode: int) -> None:
        """Create one directory with exactly ``mode`` (and the tree's group)."""
        ...

    def put(self, local: Path, path: str, mode: int) -> None:
        """Write ``local`` to ``path`` with exactly ``mode`` (and the tree's group)."""
        ...

    def put_many(self, jobs: Sequence[tuple[Path, str]], mode: int) -> None:
        """:meth:`put` for many files (a tree may upload them in parallel)."""
        ...

    def own(self, path: str, mode: int) -> None:
        """Give an existing ``path`` exactly ``mode`` (and the tree's group)."""
        ...

    def rename(self, src: str, dst: str) -> None:
        """Atomic rename; replaces a file at ``dst``."""
        ...

    def remove(self, path: str) -> None: ...

    def rmdir(self, path: str) -> None: ...


@dataclass(frozen=True)
class Item:
    """A file to publish: its place below the public root and the bytes it must have."""

    dest: str  # relative POSIX path below the root
    source: Path
    size: int
    sha256: str


@dataclass
class Plan:
    tree: Tree
    root: str
    staging: str
    items: list[Item]
    verbs: dict[str, Verb] = field(default_factory=dict)  # dest -> UPLOAD/REPLACE/SKIP/REFUSE
    moves: list[str] = field(default_factory=list)  # relative paths renamed staging -> public
    refused: list[str] = field(default_factory=list)

    @property
    def to_send(self) -> list[Item]:
        return [i for i in self.items if self.verbs[i.dest] in (Verb.UPLOAD, Verb.REPLACE)]

    def public(self, rel: str) -> str:
        return posixpath.join(self.root, rel)

    def staged(self, rel: str) -> str:
        return posixpath.join(self.staging, rel)


class _Listings:
    """Directory listings, fetched once each (one round trip per directory, not per file)."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.cache: dict[str, dict[str, Entry] | None] = {}

    def dir(self, path: str) -> dict[str, Entry] | None:
        if path not in self.cache:
            parent, name = posixpath.split(path)
            if parent != path and parent in self.cache:
                up = self.cache[parent]
                if up is None or name not in up or not up[name].is_dir:
                    self.cache[path] = None  # no need to ask: the parent says it is missing
                    return None
            self.cache[path] = self.tree.listdir(path)
        return self.cache[path]

    def entry(self, path: str) -> Entry | None:
        parent, name = posixpath.split(path)
        # Walk down from the top so a missing ancestor answers for everything below it.
        chain = []
        p = parent
        while p not in self.cache and posixpath.dirname(p) != p:
            chain.append(p)
            p = posixpath.dirname(p)
        for d in reversed(chain):
            self.dir(d)
        listing = self.dir(parent)
        return None if listing is None else listing.get(name)


def make_plan(
    tree: Tree,
    root: str,
    items: Sequence[Item],
    *,
    staging_name: str,
    replace: bool,
    root_may_be_missing: bool = False,
) -> Plan:
    """Compare the public tree with ``items``: what to upload, skip, replace or refuse.

    A missing ``root`` is an error (a mistyped root on a server must not grow a new tree)
    unless ``root_may_be_missing``; the caller then creates it before :func:`execute`.
    """
    plan = Plan(tree, root, posixpath.join(root, staging_name), sorted(items, key=_key))
    listings = _Listings(tree)
    if listings.dir(root) is None and not root_may_be_missing:
        raise CheckFailed(f"{tree.label}: the public root {root} does not exist")
    present: dict[str, Entry] = {}
    for item in plan.items:
        entry = listings.entry(plan.public(item.dest))
        if entry is not None:
            present[item.dest] = entry
    same_size = [
        plan.public(i.dest)
        for i in plan.items
        if i.dest in present and not present[i.dest].is_dir and present[i.dest].size == i.size
    ]
    remote = tree.digests(same_size) if same_size else {}
    for item in plan.items:
        entry = present.get(item.dest)
        if entry is None:
            plan.verbs[item.dest] = Verb.UPLOAD
            continue
        got = remote.get(plan.public(item.dest))
        if not entry.is_dir and got == FileDigest(item.size, item.sha256):
            plan.verbs[item.dest] = Verb.SKIP
        elif replace and not entry.is_dir:
            plan.verbs[item.dest] = Verb.REPLACE
        else:
            plan.verbs[item.dest] = Verb.REFUSE
            what = (
                "a directory"
                if entry.is_dir
                else f"a different file ({entry.size} bytes, sha256 "
                f"{got.sha256 if got else 'not computed'})"
            )
            plan.refused.append(
                f"{plan.public(item.dest)}: already holds {what}; expected {item.size} bytes, "
                f"sha256 {item.sha256}" + ("" if entry.is_dir else " (pass --replace)")
            )
    # Rename units: the topmost missing ancestor directory moves as a whole, else the file.
    units: set[str] = set()
    for item in plan.to_send:
        parts = item.dest.split("/")
        unit = item.dest
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            if listings.entry(plan.public(ancestor)) is None:
                unit = ancestor
                break
        units.add(unit)
    plan.moves = sorted(units)
    return plan


def _key(item: Item) -> str:
    return item.dest


def record(plan: Plan, result: PublishResult, *, summarize: str | None = None) -> None:
    """Add the plan's actions to ``result`` (one line per file, or per verb if ``summarize``)."""
    label = plan.tree.label
    if summarize is not None:
        for verb in (Verb.UPLOAD, Verb.REPLACE, Verb.SKIP, Verb.REFUSE):
            n = sum(1 for v in plan.verbs.values() if v is verb)
            if n:
                result.add(Action(verb, label, plan.root + "/", f"{n} files of {summarize}"))
        for problem in plan.refused[:20]:
            result.add(Action(Verb.REFUSE, label, problem.split(":", 1)[0]))
    else:
        for item in plan.items:
            verb = plan.verbs[item.dest]
            detail = f"{item.size} bytes" if verb in (Verb.UPLOAD, Verb.REPLACE) else ""
            if verb is Verb.REFUSE:
                detail = "different content already published; pass --replace"
            result.add(Action(verb, label, plan.public(item.dest), detail))
    for rel in plan.moves:
        detail = (
            "directory, all files at once" if not any(i.dest == rel for i in plan.items) else ""
        )
        result.add(Action(Verb.MOVE, label, plan.public(rel), detail))


def execute(plan: Plan, *, dir_mode: int = DIR_MODE, file_mode: int = FILE_MODE) -> None:
    """Stage, verify, then move into place. Safe to re-run after any interruption."""
    if plan.refused:
        raise CheckFailed("refusing to overwrite published files", plan.refused)
    send = plan.to_send
    if not send:
        _cleanup(plan)
        return
    tree = plan.tree
    wanted = {i.dest for i in send}
    _prepare_staging(plan, wanted, dir_mode)
    # Resume: a staged file of the right size is kept if its hash checks out below.
    staged_entries = _Listings(tree)
    staged_entries.dir(plan.staging)
    upload: list[Item] = []
    keep: list[Item] = []
    for item in send:
        entry = staged_entries.entry(plan.staged(item.dest))
        if entry is not None and not entry.is_dir and entry.size == item.size:
            keep.append(item)
        else:
            upload.append(item)
    if keep:
        got = tree.digests([plan.staged(i.dest) for i in keep])
        for item in keep:
            if got.get(plan.staged(item.dest)) != FileDigest(item.size, item.sha256):
                upload.append(item)
            else:  # staged by an interrupted run, perhaps with other settings
                tree.own(plan.staged(item.dest), file_mode)
    made: set[str] = set()
    for item in sorted(upload, key=_key):
        _makedirs(plan, posixpath.dirname(item.dest), made, dir_mode)
    tree.put_many([(i.source, plan.staged(i.dest)) for i in sorted(upload, key=_key)], file_mode)
    # Verify everything staged, on the server; one more try for a file that comes out wrong.
    bad = _verify(plan, send)
    if bad:
        for item in bad:
            tree.put(item.source, plan.staged(item.dest), file_mode)
        bad = _verify(plan, bad)
    if bad:
        raise CheckFailed(
            "staged files do not match the manifest after upload; nothing was made public",
            [plan.staged(i.dest) for i in bad],
        )
    # Everything is staged and verified: move into place.
    for rel in plan.moves:
        tree.rename(plan.staged(rel), plan.public(rel))
    _cleanup(plan)


def _verify(plan: Plan, items: Sequence[Item]) -> list[Item]:
    got = plan.tree.digests([plan.staged(i.dest) for i in items])
    return [i for i in items if got.get(plan.staged(i.dest)) != FileDigest(i.size, i.sha256)]


def _makedirs(plan: Plan, rel: str, made: set[str], mode: int) -> None:
    if not rel or rel in made:
        return
    _makedirs(plan, posixpath.dirname(rel), made, mode)
    path = plan.staged(rel)
    parent = plan.tree.listdir(posixpath.dirname(path)) or {}
    if posixpath.basename(path) not in parent:
        plan.tree.mkdir(path, mode)
    else:
        plan.tree.own(path, mode)
    made.add(rel)


def _walk(tree: Tree, top: str) -> tuple[list[str], list[str]]:
    """(directories, files) below ``top`` as paths relative to it; directories top-down."""
    dirs: list[str] = []
    files: list[str] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        listing = tree.listdir(posixpath.join(top, rel) if rel else top) or {}
        for name, entry in sorted(listing.items()):
            child = f"{rel}/{name}" if rel else name
            if entry.is_dir:
                dirs.append(child)
                stack.append(child)
            else:
                files.append(child)
    return sorted(dirs, key=lambda d: (d.count("/"), d)), files


def _prepare_staging(plan: Plan, wanted: set[str], mode: int) -> None:
    """Create the staging directory, or clear what an older run left there but this one
    does not publish (a whole-directory move must carry nothing else into public view)."""
    tree = plan.tree
    if tree.listdir(plan.staging) is None:
        tree.mkdir(plan.staging, mode)
        return
    tree.own(plan.staging, mode)
    needed_dirs = {posixpath.dirname(w) for w in wanted}
    for d in list(needed_dirs):
        while d:
            d = posixpath.dirname(d)
            needed_dirs.add(d)
    dirs, files = _walk(tree, plan.staging)
    for f in files:
        if f not in wanted:
            tree.remove(plan.staged(f))
    for d in reversed(dirs):
        if d not in needed_dirs:
            tree.rmdir(plan.staged(d))


def _cleanup(plan: Plan) -> None:
    """Remove the staging directory: once every planned file is public, what is left there
    (copies of files a crashed run had staged and an earlier re-run published) is junk."""
    tree = plan.tree
    if tree.listdir(plan.staging) is None:
        return
    dirs, files = _walk(tree, plan.staging)
    for f in files:
        tree.remove(plan.staged(f))
    for d in reversed(dirs):
        tree.rmdir(plan.staged(d))
    tree.rmdir(plan.staging)


class JournaledTree:
    """A :class:`Tree` whose every write goes to the run's journal once the server did it."""

    def __init__(self, tree: Tree, journal: Journal) -> None:
        self.tree = tree
        self.journal = journal
        self.label = tree.label

    def _done(self, op: str, subject: str, detail: str = "") -> None:
        self.journal.change(self.label, op, subject, detail)

    def listdir(self, path: str) -> dict[str, Entry] | None:
        return self.tree.listdir(path)

    def digests(self, paths: Sequence[str]) -> dict[str, FileDigest]:
        return self.tree.digests(paths)

    def mkdir(self, path: str, mode: int) -> None:
        self.tree.mkdir(path, mode)
        self._done("mkdir", path, f"mode {mode:o}")

    def put(self, local: Path, path: str, mode: int) -> None:
        self.tree.put(local, path, mode)
        self._done("put", path)

    def put_many(self, jobs: Sequence[tuple[Path, str]], mode: int) -> None:
        if not jobs:
            return
        where = posixpath.commonpath([p for _, p in jobs]) if len(jobs) > 1 else jobs[0][1]
        self.journal.batch(self.label, "put", len(jobs), where)
        self.tree.put_many(jobs, mode)
        for _, path in jobs:
            self._done("put", path)

    def own(self, path: str, mode: int) -> None:
        self.tree.own(path, mode)
        self._done("own", path, f"mode {mode:o}")

    def rename(self, src: str, dst: str) -> None:
        self.tree.rename(src, dst)
        self._done("rename", dst, f"from {src}")

    def remove(self, path: str) -> None:
        self.tree.remove(path)
        self._done("remove", path)

    def rmdir(self, path: str) -> None:
        self.tree.rmdir(path)
        self._done("rmdir", path)
