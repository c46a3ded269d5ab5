"""The local target and the stage-verify-rename engine behind every file target."""

from __future__ import annotations

import dataclasses
import json
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.manifest import Manifest
from cpython_release.publish import staging
from cpython_release.publish.actions import Verb
from cpython_release.publish.layout import placements, signed_list_items
from cpython_release.publish.local import LocalTree, publish_local
from publish_local.release_factory import (
    DOCS_PAGES,
    VERSION,
    XYZ,
    expected_downloads,
    make_release,
    public_files,
)

FTP = "www.python.org/ftp/python"
DOCS = "docs.python.org/release"


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_layout_modes_docs_and_records(release: tuple[Path, Manifest], tmp_path: Path) -> None:
    directory, manifest = release
    root = tmp_path / "site"
    result = publish_local(manifest, directory, root)

    assert public_files(root / FTP) == expected_downloads(directory, manifest)
    ftp = root / FTP
    assert (ftp / XYZ / "amd64rc2" / "core.msi").is_file()  # MSI subdirectory kept
    assert (ftp / "doc" / VERSION / f"python-{VERSION}-docs.epub").is_file()
    for p in ftp.rglob("*"):
        assert _mode(p) == (0o775 if p.is_dir() else 0o664), p
    # HTML docs unpacked without their top-level directory.
    docs = public_files(root / DOCS / VERSION)
    assert sorted(docs) == sorted(DOCS_PAGES)
    assert docs["library/os.html"] == DOCS_PAGES["library/os.html"]
    # No staging directory is left behind.
    assert [p.name for p in ftp.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in (root / DOCS).iterdir()] == [VERSION]
    # The API records python.org would get: the installer and tarballs, not MSI parts or docs.
    index = json.loads((root / "api" / f"{VERSION}.json").read_text())
    assert index["release"]["name"] == f"Python {VERSION}"
    urls = sorted(f["url"] for f in index["files"])
    assert f"https://www.python.org/ftp/python/{XYZ}/python-{VERSION}-amd64.exe" in urls
    assert not any("core.msi" in u or "docs" in u for u in urls)
    exe = next(f for f in index["files"] if f["url"].endswith("-amd64.exe"))
    assert exe["sha256_sum"] == manifest.artifact(f"python-{VERSION}-amd64.exe").sha256
    assert exe["sigstore_bundle_file"] == exe["url"] + ".sigstore"
    # What was done, file by file; dirs that did not exist moved in one rename each.
    uploads = result.count(Verb.UPLOAD)
    assert uploads == len(expected_downloads(directory, manifest)) + 1  # + the docs summary
    moves = {a.subject for a in result.actions if a.verb is Verb.MOVE}
    assert str(ftp / XYZ) in moves and str(ftp / "doc") in moves
    assert str(root / DOCS / VERSION) in moves


def test_rerun_changes_nothing(release: tuple[Path, Manifest], tmp_path: Path) -> None:
    directory, manifest = release
    root = tmp_path / "site"
    publish_local(manifest, directory, root)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    again = publish_local(manifest, directory, root)
    assert not again.changed()
    assert again.count(Verb.UPLOAD) == 0
    assert again.count(Verb.SKIP) == len(again.actions)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def test_different_content_refused_then_replaced(tmp_path: Path) -> None:
    root = tmp_path / "site"
    first = tmp_path / "a"
    publish_local(make_release(first), first, root)
    published = public_files(root / FTP)
    second = tmp_path / "b"
    rebuilt = make_release(second, seed="rebuilt")
    with pytest.raises(CheckFailed) as exc:
        publish_local(rebuilt, second, root)
    assert "refusing to overwrite" in str(exc.value)
    assert f"{XYZ}/Python-{VERSION}.tgz: already holds a different file" in str(exc.value)
    assert public_files(root / FTP) == published  # nothing touched

    plan = publish_local(rebuilt, second, root, dry_run=True)
    assert plan.count(Verb.REFUSE) > 0 and public_files(root / FTP) == published

    replaced = publish_local(rebuilt, second, root, replace=True)
    new = expected_downloads(second, rebuilt)
    differing = sum(1 for k, v in new.items() if published[k] != v)
    assert 0 < differing < len(new)  # the SBOMs did not change, the rest did
    assert replaced.count(Verb.REPLACE) == differing + 2  # + the docs tree + the API index
    assert replaced.count(Verb.SKIP) == len(new) - differing
    assert public_files(root / FTP) == expected_downloads(second, rebuilt)
    assert publish_local(rebuilt, second, root).changed() is False


def test_dry_run_touches_nothing(release: tuple[Path, Manifest], tmp_path: Path) -> None:
    directory, manifest = release
    root = tmp_path / "site"
    plan = publish_local(manifest, directory, root, dry_run=True)
    assert not root.exists()
    assert plan.dry_run
    lines = "\n".join(plan.lines())
    assert f"upload   {root / FTP / XYZ / 'amd64rc2' / 'core.msi'}" in lines
    assert f"move     {root / FTP / XYZ}  (directory, all files at once)" in lines
    assert "create   " in lines and f"api/{VERSION}.json" in lines


def test_new_release_joins_existing_directory(tmp_path: Path) -> None:
    """rc2 lands in the 3.14.0/ directory rc1 already fills; rc1's files stay as they are."""
    root = tmp_path / "site"
    rc1 = tmp_path / "rc1"
    publish_local(make_release(rc1, "3.14.0rc1"), rc1, root)
    rc1_files = public_files(root / FTP / XYZ)
    rc2 = tmp_path / "rc2"
    m2 = make_release(rc2)
    result = publish_local(m2, rc2, root)
    after = public_files(root / FTP / XYZ)
    assert {k: after[k] for k in rc1_files} == rc1_files
    assert f"Python-{VERSION}.tgz" in after and "amd64rc2/core.msi" in after
    moves = {a.subject for a in result.actions if a.verb is Verb.MOVE}
    # Existing 3.14.0/: files renamed one by one; new amd64rc2/ as a whole.
    assert str(root / FTP / XYZ / f"Python-{VERSION}.tgz") in moves
    assert str(root / FTP / XYZ / "amd64rc2") in moves


def test_resume_after_crash_ignores_strangers_in_staging(
    release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    """A crashed run left staged files (one truncated) and an unrelated file: the re-run
    keeps good staged copies, re-uploads the bad one, and publishes nothing it does not own."""
    directory, manifest = release
    root = tmp_path / "site"
    stage = root / FTP / f".{XYZ}.staging-v{VERSION}"
    (stage / XYZ / "amd64rc1").mkdir(parents=True)
    (stage / XYZ / "amd64rc1" / "stray.msi").write_bytes(b"not ours")
    shutil.copy(directory / f"Python-{VERSION}.tgz", stage / XYZ / f"Python-{VERSION}.tgz")
    tar = directory / f"Python-{VERSION}.tar.xz"
    (stage / XYZ / tar.name).write_bytes(tar.read_bytes()[:-1] + b"X")  # same size, wrong
    publish_local(manifest, directory, root)
    assert public_files(root / FTP) == expected_downloads(directory, manifest)
    assert not stage.exists()


class FlakyTree(LocalTree):
    """Writes a corrupted copy the first ``bad`` times a file is put."""

    def __init__(self, bad: int) -> None:
        self.bad = bad
        self.puts = 0

    def put(self, local: Path, path: str, mode: int) -> None:
        super().put(local, path, mode)
        self.puts += 1
        if self.bad > 0:
            self.bad -= 1
            with Path(path).open("r+b") as fh:
                fh.write(b"\0")


def _items(tmp_path: Path) -> list[staging.Item]:
    directory = tmp_path / "a"
    manifest = make_release(directory)
    return [
        staging.Item(p.dest, directory / p.name, p.size, p.sha256) for p in placements(manifest)
    ]


def test_corrupted_upload_is_caught_before_anything_is_public(tmp_path: Path) -> None:
    items = _items(tmp_path)
    root = tmp_path / "pub"
    root.mkdir()
    # One bad write is redone and verified.
    tree = FlakyTree(bad=1)
    plan = staging.make_plan(tree, str(root), items, staging_name=".s", replace=False)
    staging.execute(plan)
    assert tree.puts == len(items) + 1
    assert len(public_files(root)) == len(items)
    # A server that always corrupts: nothing becomes public.
    root2 = tmp_path / "pub2"
    root2.mkdir()
    always = FlakyTree(bad=10 * len(items))
    plan = staging.make_plan(always, str(root2), items, staging_name=".s", replace=False)
    with pytest.raises(CheckFailed, match="nothing was made public"):
        staging.execute(plan)
    assert [p.name for p in root2.iterdir()] == [".s"]


def test_unsafe_docs_archive_refused(tmp_path: Path) -> None:
    directory = tmp_path / "a"
    manifest = make_release(directory)
    archive = directory / f"python-{VERSION}-docs-html.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("python-docs/../../evil.html", b"x")
    d = sha256_file(archive)
    tampered = manifest.updated(
        dataclasses.replace(manifest.artifact(archive.name), size=d.size, sha256=d.sha256)
    )
    with pytest.raises(BadInput, match="unsafe member path"):
        publish_local(tampered, directory, tmp_path / "site")
    assert not list(tmp_path.rglob("evil.html"))


def test_msi_outside_its_subdirectory_refused(tmp_path: Path) -> None:
    directory = tmp_path / "a"
    manifest = make_release(directory)
    msi = manifest.artifact("amd64rc2/core.msi")
    bad = manifest.updated(dataclasses.replace(msi, name="amd64rc1/core.msi"))
    with pytest.raises(BadInput, match="only Windows MSI parts may sit in a subdirectory"):
        placements(bad)


# --- the command -----------------------------------------------------------------------------
def test_cli_local_publish_rerun_and_tamper(
    cli: Callable[..., Any], release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    directory, manifest = release
    root = tmp_path / "site"
    r = cli("publish", "--dir", str(directory), "--root", str(root), "--dry-run")
    assert r.code == 0, r.err
    assert "dry run, nothing changed" in r.err and not root.exists()
    assert f"local   upload   {root / FTP / XYZ / 'amd64rc2' / 'core.msi'}" in r.out

    r = cli("publish", "--target", "local", "--dir", str(directory), "--root", str(root))
    assert r.code == 0, r.err
    assert "verified: " in r.err and "(done)" in r.err
    assert public_files(root / FTP) == expected_downloads(directory, manifest)

    r = cli("publish", "--dir", str(directory), "--root", str(root))
    assert r.code == 0
    assert " upload " not in r.out and " move " not in r.out and " skip " in r.out

    # A file changed after signing: refused before anything is published.
    (directory / f"python-{VERSION}-macos11.pkg").write_bytes(b"evil")
    fresh = tmp_path / "fresh"
    r = cli("publish", "--dir", str(directory), "--root", str(fresh))
    assert r.code == 1
    assert "refusing to publish anything" in r.err
    assert f"size mismatch: python-{VERSION}-macos11.pkg" in r.err
    assert not fresh.exists()


def test_cli_refuses_different_content_exit_1(cli: Callable[..., Any], tmp_path: Path) -> None:
    root = tmp_path / "site"
    a, b = tmp_path / "a", tmp_path / "b"
    make_release(a)
    make_release(b, seed="other")
    assert cli("publish", "--dir", str(a), "--root", str(root)).code == 0
    r = cli("publish", "--dir", str(b), "--root", str(root))
    assert r.code == 1
    assert "refusing to overwrite published files" in r.err and "--replace" in r.err
    r = cli("publish", "--dir", str(b), "--root", str(root), "--replace")
    assert r.code == 0, r.err
    assert "replace" in r.out


def test_cli_check_credentials(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "PYTHON_ORG_API_KEY",
        "PYTHON_ORG_SSH_KEY",
        "PYTHON_ORG_KNOWN_HOSTS",
        "PYTHON_ORG_SSH_USERNAME",
        "PYTHON_ORG_API_USERNAME",
        "GITHUB_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    r = cli("publish", "--target", "python-org", "--check-credentials")
    assert r.code == 2
    for name in (
        "PYTHON_ORG_API_KEY",
        "PYTHON_ORG_SSH_KEY",
        "PYTHON_ORG_KNOWN_HOSTS",
        "PYTHON_ORG_SSH_USERNAME",
        "PYTHON_ORG_API_USERNAME",
    ):
        assert name in r.err
    assert "nothing was touched" in r.err
    # Present credentials are then tried (tests/publish_sftp/test_publish_python_org_cli.py).
    r = cli("publish", "--target", "github", "--check-credentials", "--repo", "")
    assert r.code == 2 and "GITHUB_TOKEN" in r.err
    assert cli("publish", "--check-credentials").code == 0  # local needs none


class DiesMidRenames(LocalTree):
    """Counts uploads; its ``rename`` fails once ``renames_left`` renames have been done."""

    def __init__(self, renames_left: int | None = None) -> None:
        self.renames_left = renames_left
        self.puts = 0

    def put(self, local: Path, path: str, mode: int) -> None:
        self.puts += 1
        super().put(local, path, mode)

    def rename(self, src: str, dst: str) -> None:
        if self.renames_left is not None:
            if self.renames_left == 0:
                raise OSError("killed between two renames")
            self.renames_left -= 1
        super().rename(src, dst)


def test_interrupted_between_renames_rerun_moves_the_rest_without_reuploading(
    tmp_path: Path,
) -> None:
    """rc2 joins rc1's directory, so its files are renamed one by one; the run dies after two.
    Every public file is complete; the re-run uploads nothing and moves the rest."""
    rc1, rc2 = tmp_path / "rc1", tmp_path / "rc2"
    publish_local(make_release(rc1, "3.14.0rc1"), rc1, tmp_path / "site")
    ftp = tmp_path / "site" / FTP
    m2 = make_release(rc2)
    items = [staging.Item(p.dest, rc2 / p.name, p.size, p.sha256) for p in placements(m2)]
    items += signed_list_items(m2, rc2, rc2 / "release-manifest.json")
    dying = DiesMidRenames(renames_left=2)
    plan = staging.make_plan(dying, str(ftp), items, staging_name=".s", replace=False)
    assert len(plan.moves) > 3
    with pytest.raises(OSError, match="killed between two renames"):
        staging.execute(plan)
    want = expected_downloads(rc2, m2)
    public = public_files(ftp)
    assert sum(1 for k in want if k in public) >= 2
    assert all(public[k] == want[k] for k in want if k in public)  # nothing partial
    again = DiesMidRenames()
    plan = staging.make_plan(again, str(ftp), items, staging_name=".s", replace=False)
    assert plan.verbs and Verb.SKIP in plan.verbs.values()
    staging.execute(plan)
    assert again.puts == 0  # everything still staged was verified and reused
    public = public_files(ftp)
    assert {k: public[k] for k in want} == want
    assert not (ftp / ".s").exists()


def test_nightly_version_publishes_with_bare_records(tmp_path: Path) -> None:
    """A .devN nightly has no python.org inventory: directories come from the platform."""
    directory = tmp_path / "a"
    base = make_release(directory, only={f"Python-{VERSION}.tgz", f"python-{VERSION}-docs.epub"})
    nightly = Manifest(dataclasses.replace(base.release, version="3.14.0rc2.dev4"), base.artifacts)
    root = tmp_path / "site"
    publish_local(nightly, directory, root)
    assert (root / FTP / XYZ / f"Python-{VERSION}.tgz").is_file()
    assert (root / FTP / "doc" / "3.14.0rc2.dev4" / f"python-{VERSION}-docs.epub").is_file()
    index = json.loads((root / "api" / "3.14.0rc2.dev4.json").read_text())
    assert [f["file"] for f in index["files"]] == [
        f"Python-{VERSION}.tgz",
        f"python-{VERSION}-docs.epub",
    ]


def test_cli_publish_format_json(
    cli: Callable[..., Any], release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    directory, _ = release
    root = tmp_path / "site"
    r = cli(
        "publish", "--dir", str(directory), "--root", str(root), "--dry-run", "--format", "json"
    )
    assert r.code == 0, r.err
    planned = json.loads(r.out)  # stdout is only the JSON
    assert planned["target"] == "local" and planned["result"] == "dry-run"
    uploads = [a for a in planned["actions"] if a["verb"] == "upload"]
    assert any(a["subject"].endswith("core.msi") for a in uploads) and not root.exists()
    r = cli("publish", "--dir", str(directory), "--root", str(root), "--format", "json")
    assert r.code == 0, r.err
    done = json.loads(r.out)
    assert done["result"] == "done" and root.exists()
    assert any(a["verb"] == "upload" for a in done["actions"])
