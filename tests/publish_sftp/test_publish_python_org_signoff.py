"""What a release manager signs off on ``publish --target python-org`` (issue 11), end to end
with a real sshd, the python.org contract server and a recording CDN:

- every credential is checked before anything is written, in dry runs too, and a refusal
  leaves nothing public (exit 2: nothing changed);
- a complete Release record; the steps left to a person are named with their admin URL;
- a journal of every change, kept when the run fails; a failure after changes is exit 1,
  names the request that failed and says a re-run resumes; the re-run converges;
- only what changed is purged;
- the signed manifest, SHA256SUMS and their signatures are published next to the files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.manifest import Manifest
from cpython_release.publish.journal import read
from fakes_pythonorg import FakeServer
from publish_local.release_factory import VERSION, XYZ, make_release, public_files, sign_manifest
from publish_sftp.conftest import CDN, STAFF, V2_TOKEN, Server
from publish_sftp.test_publish_python_org_cli import PREFLIGHT, argv
from publish_sftp.test_publish_sftp import assert_published


@pytest.fixture(autouse=True)
def api_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_ORG_API_KEY", STAFF[1])
    monkeypatch.setenv("PYTHON_ORG_API_TOKEN", V2_TOKEN)


def nothing_public(server: Server) -> bool:
    """Neither tree has anything, staging directories included."""
    return not any(server.ftp_root.iterdir()) and not any(server.docs_root.iterdir())


def api_writes(pyorg: FakeServer, since: int = 0) -> list[tuple[str, str, str]]:
    return [
        (e.method, e.path, e.query)
        for e in pyorg.state.log[since:]
        if e.method not in ("GET", "OPTIONS") and (e.method, e.path, e.query) not in PREFLIGHT
    ]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PYTHON_ORG_API_KEY", "wrong-key", "was rejected"),
        ("PYTHON_ORG_API_TOKEN", "wrong-token", "v2 token was rejected"),
    ],
)
def test_a_wrong_key_or_token_fails_before_any_upload(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variable: str,
    value: str,
    message: str,
) -> None:
    directory, _ = release
    monkeypatch.setenv(variable, value)
    for extra in (["--dry-run"], []):  # a dry run must not say it would publish
        journal = tmp_path / f"journal{len(extra)}.jsonl"
        r = cli(*argv(server, directory, pyorg, cdn, "--journal", str(journal), *extra))
        assert r.code == 2, r.err
        assert message in r.err and "Not retried" in r.err
        assert value not in r.out + r.err
        assert " upload " not in r.out and "would" not in r.out
        assert nothing_public(server)
        assert pyorg.state.releases == {} and api_writes(pyorg) == [] and cdn.purges == []
        end = read(journal)[-1]
        assert end["event"] == "end" and end["exit"] == 2 and end["changes"] == 0


def test_a_non_staff_key_fails_before_any_upload(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory, _ = release
    pyorg.state.add_user("viewer", "viewer-key", is_staff=False)
    monkeypatch.setenv("PYTHON_ORG_API_KEY", "viewer-key")
    r = cli(
        *argv(server, directory, pyorg, cdn)[:-6],
        "--api-url",
        pyorg.base_url,
        "--api-user",
        "viewer",
        "--cdn-base",
        cdn.url,
    )
    assert r.code == 2, r.err
    assert "is valid but may not write (the user is not staff)" in r.err
    assert nothing_public(server) and pyorg.state.releases == {}


def test_a_missing_root_or_a_refused_login_fails_before_any_upload(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    tmp_path: Path,
) -> None:
    directory, _ = release
    server.docs_root.rmdir()
    r = cli(*argv(server, directory, pyorg, cdn))
    assert r.code == 1, r.err
    assert f"{server.docs_root}: cannot stat the public root" in r.err
    assert not any(server.ftp_root.iterdir()) and api_writes(pyorg) == []
    server.docs_root.mkdir()
    other_key = tmp_path / "other_key"
    from publish_sftp.conftest import _keygen

    _keygen(other_key)
    args = argv(server, directory, pyorg, cdn)
    args[args.index("--ssh-key") + 1] = str(other_key)
    r = cli(*args)
    assert r.code == 2, r.err
    assert "SSH login as" in r.err and "refused" in r.err
    assert nothing_public(server) and api_writes(pyorg) == []


def test_check_credentials_connects_and_writes_nothing(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory, _ = release
    args = [a for a in argv(server, directory, pyorg, cdn) if a != str(directory)]
    args.remove("--dir")
    r = cli(*args, "--check-credentials")
    assert r.code == 0, r.err
    assert f"{server.ftp_root} is a directory" in r.err
    assert f"{server.docs_root} is a directory" in r.err
    assert "the key of rm is a staff key" in r.err and "the token may write" in r.err
    assert "credentials present and accepted" in r.out
    assert {(e.method, e.path, e.query) for e in pyorg.state.log} == PREFLIGHT
    assert nothing_public(server) and pyorg.state.releases == {}
    monkeypatch.setenv("PYTHON_ORG_API_TOKEN", "nope")
    r = cli(*args, "--check-credentials")
    assert r.code == 2 and "v2 token was rejected" in r.err


def test_complete_record_journal_purges_and_signed_lists(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    tmp_path: Path,
) -> None:
    directory, manifest = release
    journal = tmp_path / "journal.jsonl"
    # release-tools' form of the API base (with /api/v1/) works as well.
    args = argv(server, directory, pyorg, cdn, "--journal", str(journal))
    args[args.index("--api-url") + 1] = pyorg.base_url + "api/v1/"
    r = cli(*args)
    assert r.code == 0, r.err
    assert_published(server, directory, manifest)
    # The signed lists and their signatures sit next to the files, named by version.
    public = public_files(server.ftp_root)
    assert (
        public[f"{XYZ}/release-manifest-{VERSION}.json"]
        == (directory / "release-manifest.json").read_bytes()
    )
    assert (
        public[f"{XYZ}/release-manifest-{VERSION}.json.sigstore"]
        == (directory / "release-manifest.json.sigstore").read_bytes()
    )
    assert public[f"{XYZ}/SHA256SUMS-{VERSION}"] == (directory / "SHA256SUMS").read_bytes()
    assert public[f"{XYZ}/SHA256SUMS-{VERSION}.asc"] == (directory / "SHA256SUMS.asc").read_bytes()
    # The Release record has every field.
    pk = pyorg.state.release_pk(f"Python {VERSION}")
    assert pk is not None
    rel = pyorg.state.releases[pk]
    assert rel["release_date"] == "2026-01-01T00:00:00"  # the manifest's (tagged commit's) date
    assert rel["release_notes_url"] == (
        f"https://docs.python.org/release/{VERSION}/whatsnew/changelog.html"
        "#python-3-14-0-release-candidate-2"
    )
    assert rel["pre_release"] is True and rel["is_latest"] is False
    assert rel["is_published"] is True and rel["slug"] == "python-3140rc2"
    # The page text is left to a person, with its admin URL, on screen and in the journal.
    admin = f"{pyorg.base_url}admin/downloads/release/{pk}/change/"
    assert f"write the release page text of Python {VERSION}" in r.err and admin in r.err
    entries = read(journal)
    end = entries[-1]
    assert end["event"] == "end" and end["status"] == "ok" and end["exit"] == 0
    assert [s["url"] for s in end["last_steps"]] == [admin]
    # Every change is in the journal, as printed: renames, API writes, purges.
    changes = [e for e in entries if e["event"] == "change"]
    ops = {(e["target"], e["op"]) for e in changes}
    assert {
        ("sftp", "rename"),
        ("sftp", "put"),
        ("api", "POST"),
        ("api", "PATCH"),
        ("cdn", "PURGE"),
    } <= ops
    posts = [e for e in changes if e["op"] == "POST"]
    assert len(posts) == 1 + 4  # the release and its four file records
    assert all(e["detail"].startswith("/api/v1/downloads/") for e in posts)
    assert r.err.count("done: api POST") == 5
    assert f"done: sftp rename {server.ftp_root}/{XYZ}" in r.err
    assert len([e for e in changes if e["op"] == "PURGE"]) == len(cdn.purges) > 0
    assert all(s == "1" for _, _, s in cdn.purges)

    # A re-run changes nothing and purges nothing...
    purged = len(cdn.purges)
    again = cli(*args)
    assert again.code == 0, again.err
    assert len(cdn.purges) == purged
    assert "changes made: none" in again.err
    end = read(journal)[-1]
    assert end["changes"] == 0 and end["status"] == "ok"
    # ... unless --purge-all, which purges every URL of the release and the signed lists.
    everything = cli(*args, "--purge-all")
    assert everything.code == 0, everything.err
    paths = {path for _, path, _ in cdn.purges[purged:]}
    assert f"/ftp/python/{XYZ}/SHA256SUMS-{VERSION}" in paths
    assert f"/ftp/python/{XYZ}/Python-{VERSION}.tgz" in paths and len(paths) > 15


def test_one_changed_file_purges_only_that_file_and_the_pages(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
) -> None:
    directory, _ = release
    assert cli(*argv(server, directory, pyorg, cdn)).code == 0
    before = len(cdn.purges)
    # The same release again, one file rebuilt: replaced on the server and in the API.
    target = directory / f"Python-{VERSION}.tgz"
    make_release(directory, seed="")  # identical bytes: a no-op re-run...
    assert cli(*argv(server, directory, pyorg, cdn)).code == 0
    assert len(cdn.purges) == before  # ...purges nothing
    target.write_bytes(b"rebuilt")
    manifest = Manifest.load(directory / "release-manifest.json")
    digest = hashlib.sha256(b"rebuilt").hexdigest()
    arts = [
        dataclasses.replace(a, size=7, sha256=digest) if a.name == target.name else a
        for a in manifest.artifacts
    ]
    Manifest(manifest.release, tuple(arts)).write(directory / "release-manifest.json")
    sign_manifest(directory)  # a rebuilt release is signed again
    r = cli(*argv(server, directory, pyorg, cdn, "--replace"))
    assert r.code == 0, r.err
    paths = sorted(path for _, path, _ in cdn.purges[before:])
    assert f"/ftp/python/{XYZ}/Python-{VERSION}.tgz" in paths
    assert f"/ftp/python/{XYZ}/release-manifest-{VERSION}.json" in paths
    assert f"/ftp/python/{XYZ}/Python-{VERSION}.tar.xz" not in paths
    assert "/downloads/" in paths
    assert f"/downloads/release/python-{VERSION.replace('.', '')}/" in paths
    assert not any(p.startswith("/release/") for p in paths)  # the docs did not change


def test_failure_after_changes_is_exit_1_with_the_journal_and_the_rerun_converges(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    tmp_path: Path,
) -> None:
    directory, manifest = release
    journal = tmp_path / "journal.jsonl"
    # The third file record's POST fails and so does every request after it.
    pyorg.state.fail_posts = {4: "before"}
    pyorg.state.fail_requests = set(range(15, 200))
    r = cli(*argv(server, directory, pyorg, cdn, "--journal", str(journal)))
    assert r.code == 1, r.err
    assert "POST of the record for" in r.err  # the write that failed, not the re-read
    assert "Re-running the same command resumes" in r.err
    assert "This run had already made" in r.err
    assert "publish --target python-org (STOPPED)" in r.err and "changes made: " in r.err
    entries = read(journal)
    failed = [e for e in entries if e["event"] == "failed"]
    assert failed and failed[0]["op"] == "POST"
    assert failed[0]["subject"].endswith("/api/v1/downloads/release_file/")
    done = [e for e in entries if e["event"] == "change" and e["op"] == "POST"]
    assert len(done) == 3  # the release and two files were created, and say so
    end = entries[-1]
    assert end["event"] == "end" and end["exit"] == 1 and end["status"] == "failed"
    assert end["changes"] == len([e for e in entries if e["event"] == "change"])
    # The re-run converges: no duplicates, and the release is published.
    assert cdn.purges == []  # the failed run stopped before its purge...
    pyorg.state.fail_posts, pyorg.state.fail_requests = {}, set()
    again = cli(*argv(server, directory, pyorg, cdn, "--journal", str(journal)))
    assert again.code == 0, again.err
    # ...so the re-run, which completes the Release, purges the files the failed run put up
    # (it changed none of them itself)
    paths = {path for _, path, _ in cdn.purges}
    assert f"/ftp/python/{XYZ}/Python-{VERSION}.tgz" in paths
    assert f"/ftp/python/{XYZ}/" in paths and "/downloads/" in paths
    assert_published(server, directory, manifest)
    pk = pyorg.state.release_pk(f"Python {VERSION}")
    assert pk is not None and len(pyorg.state.releases) == 1
    assert len(pyorg.state.files_of(pk)) == 4
    assert pyorg.state.releases[pk]["is_published"] is True
    ends = [e for e in read(journal) if e["event"] == "end"]
    assert [e["status"] for e in ends] == ["failed", "ok"]


def test_journal_lines_are_json_and_hold_no_secret(
    cli: Callable[..., Any],
    server: Server,
    pyorg: FakeServer,
    cdn: CDN,
    release: tuple[Path, Manifest],
    tmp_path: Path,
) -> None:
    directory, _ = release
    journal = tmp_path / "j.jsonl"
    assert cli(*argv(server, directory, pyorg, cdn, "--journal", str(journal))).code == 0
    text = journal.read_text()
    assert STAFF[1] not in text and V2_TOKEN not in text
    assert all(json.loads(line) for line in text.splitlines())
