"""SFTP publishing against a real OpenSSH server: layout, pinning, idempotency, faults."""

from __future__ import annotations

import grp
import os
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.publish.actions import Verb
from cpython_release.publish.sftp import (
    Endpoint,
    SFTPOptions,
    SSHCredentials,
    load_known_hosts,
    load_private_key,
    publish_sftp,
)
from publish_local.release_factory import (
    DOCS_PAGES,
    VERSION,
    XYZ,
    expected_downloads,
    make_release,
    public_files,
)
from publish_sftp.conftest import SSHD, TEST_GROUP, Server, _keygen
from publish_sftp.faults import faulty_connector

HERE = Path(__file__).parent


def options(
    server: Server, *, remote_hash: str = "exec", known_hosts: str | None = None
) -> SFTPOptions:
    s = server.sshd
    return SFTPOptions(
        SSHCredentials(
            s.user,
            load_private_key(s.key_file.read_text(), "key"),
            load_known_hosts(known_hosts or s.known_hosts_text(), "known_hosts"),
        ),
        downloads=Endpoint(s.host, s.port, str(server.ftp_root), TEST_GROUP),
        docs=Endpoint(s.host, s.port, str(server.docs_root), TEST_GROUP),
        remote_hash=remote_hash,  # type: ignore[arg-type]
    )


def assert_published(server: Server, directory: Path, manifest: Manifest) -> None:
    """The public trees hold exactly the release, with modes and group, and no staging."""
    assert public_files(server.ftp_root) == expected_downloads(directory, manifest)
    gid = grp.getgrnam(TEST_GROUP).gr_gid
    for p in [*server.ftp_root.rglob("*"), *server.docs_root.rglob("*")]:
        st = p.stat()
        assert stat.S_IMODE(st.st_mode) == (0o775 if p.is_dir() else 0o664), p
        assert st.st_gid == gid, p
    docs = public_files(server.docs_root / VERSION)
    assert sorted(docs) == sorted(DOCS_PAGES)
    assert [p.name for p in server.ftp_root.iterdir()] == [XYZ, "doc"] or sorted(
        p.name for p in server.ftp_root.iterdir()
    ) == sorted([XYZ, "doc"])
    assert [p.name for p in server.docs_root.iterdir()] == [VERSION]


def staged_files(server: Server) -> list[Path]:
    return [p for p in server.ftp_root.glob(".*staging*/**/*") if p.is_file()]


@pytest.mark.parametrize("remote_hash", ["exec", "read"])
def test_publish_then_rerun_skips_everything(
    cli: Callable[..., Any], server: Server, release: tuple[Path, Manifest], remote_hash: str
) -> None:
    directory, manifest = release
    r = cli(*server.argv(directory, "--remote-hash", remote_hash))
    assert r.code == 0, r.err
    assert_published(server, directory, manifest)
    assert f"sftp    upload   {server.ftp_root}/{XYZ}/amd64rc2/core.msi  (4096 bytes)" in r.out
    assert f"sftp    move     {server.ftp_root}/{XYZ}  (directory, all files at once)" in r.out
    before = {p: p.stat().st_mtime_ns for p in server.ftp_root.rglob("*")}

    r = cli(*server.argv(directory, "--remote-hash", remote_hash))
    assert r.code == 0, r.err
    assert " upload " not in r.out and " move " not in r.out
    n = len(expected_downloads(directory, manifest))
    assert r.out.count("sftp    skip") == n + 1  # every file, plus the docs tree summary
    assert {p: p.stat().st_mtime_ns for p in server.ftp_root.rglob("*")} == before


def test_dry_run_reads_but_writes_nothing(
    cli: Callable[..., Any], server: Server, release: tuple[Path, Manifest]
) -> None:
    directory, _ = release
    r = cli(*server.argv(directory, "--dry-run"))
    assert r.code == 0, r.err
    assert "dry run, nothing changed" in r.err
    assert f"upload   {server.ftp_root}/doc/{VERSION}/python-{VERSION}-docs.epub" in r.out
    assert f"upload   {server.docs_root}/  (3 files of python-{VERSION}-docs-html.zip)" in r.out
    assert list(server.ftp_root.iterdir()) == [] and list(server.docs_root.iterdir()) == []


def test_different_file_refused_unless_replace(
    cli: Callable[..., Any], server: Server, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    make_release(first)
    rebuilt = make_release(second, seed="rebuilt")
    assert cli(*server.argv(first)).code == 0
    published = public_files(server.ftp_root)
    r = cli(*server.argv(second))
    assert r.code == 1
    assert "refusing to overwrite published files" in r.err
    assert f"{server.ftp_root}/{XYZ}/Python-{VERSION}.tgz: already holds a different file" in r.err
    assert public_files(server.ftp_root) == published
    assert staged_files(server) == []  # refused before a single byte was sent

    r = cli(*server.argv(second, "--replace"))
    assert r.code == 0, r.err
    assert public_files(server.ftp_root) == expected_downloads(second, rebuilt)
    assert f"replace  {server.ftp_root}/{XYZ}/Python-{VERSION}.tgz" in r.out


def test_unknown_or_changed_host_key_refused(
    cli: Callable[..., Any], server: Server, release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    directory, _ = release
    _keygen(tmp_path / "other")
    other = (tmp_path / "other.pub").read_text().split()
    # The right host name pinned to a different key.
    changed = tmp_path / "changed_hosts"
    changed.write_text(f"[127.0.0.1]:{server.sshd.port} {other[0]} {other[1]}\n")
    args = server.argv(directory)
    args[args.index("--known-hosts") + 1] = str(changed)
    r = cli(*args)
    assert r.code == 1
    assert "host key does NOT match the pinned known_hosts entry" in r.err
    # A known_hosts that knows other hosts only: never auto-accepted.
    unknown = tmp_path / "unknown_hosts"
    unknown.write_text(f"[127.0.0.1]:1 {server.sshd.host_key_line.split(' ', 1)[1]}\n")
    args[args.index("--known-hosts") + 1] = str(unknown)
    r = cli(*args)
    assert r.code == 1
    assert "host key is not in the given known_hosts; refusing to connect" in r.err
    assert list(server.ftp_root.iterdir()) == []


def test_secrets_from_environment(
    cli: Callable[..., Any],
    server: Server,
    release: tuple[Path, Manifest],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workflow passes the key and known_hosts as text in the environment."""
    directory, manifest = release
    monkeypatch.setenv("PYTHON_ORG_SSH_KEY", server.sshd.key_file.read_text())
    monkeypatch.setenv("PYTHON_ORG_KNOWN_HOSTS", server.sshd.known_hosts_text())
    monkeypatch.setenv("PYTHON_ORG_SSH_USERNAME", server.sshd.user)
    args = server.argv(directory)
    for opt in ("--ssh-key", "--known-hosts", "--ssh-user"):
        i = args.index(opt)
        del args[i : i + 2]
    r = cli(*args)
    assert r.code == 0, r.err
    assert_published(server, directory, manifest)
    assert "PRIVATE KEY" not in r.out + r.err


def test_connection_dropped_mid_upload_then_rerun_converges(server: Server, tmp_path: Path) -> None:
    directory = tmp_path / "a"
    manifest = make_release(directory, size=64 * 1024)
    total = len(expected_downloads(directory, manifest))
    # Past the handshake, login and listings, about three 64 KiB files in.
    connector = faulty_connector(drop_after=3 * 64 * 1024 + 24 * 1024)
    with pytest.raises(CheckFailed, match="SFTP publish interrupted") as exc:
        publish_sftp(manifest, directory, options(server), connector=connector)
    assert "Re-run the same command to resume" in str(exc.value)
    staged = staged_files(server)
    assert 0 < len(staged) < total
    assert [p.name for p in server.ftp_root.iterdir()] == [f".{XYZ}.staging-v{VERSION}"]

    result = publish_sftp(manifest, directory, options(server))
    assert result.count(Verb.UPLOAD) == total + 1
    assert_published(server, directory, manifest)
    assert publish_sftp(manifest, directory, options(server)).changed() is False


def test_sigkill_mid_upload_then_rerun_converges(
    cli: Callable[..., Any], server: Server, tmp_path: Path
) -> None:
    """SIGKILL with some files staged (a signed list among them) and others half-sent; the
    public tree never shows any of it, and a re-run publishes the release."""
    directory = tmp_path / "a"
    manifest = make_release(directory, size=64 * 1024)
    # Staged files carry their published paths (the signed lists named by version), not the
    # manifest's names: the sizes come from expected_downloads, which knows both.
    sizes = {dest: len(data) for dest, data in expected_downloads(directory, manifest).items()}
    sums = f"{XYZ}/SHA256SUMS-{VERSION}"
    assert sums in sizes
    staging = server.ftp_root / f".{XYZ}.staging-v{VERSION}"
    s = server.sshd
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent / "scripts"), str(HERE.parent)]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "slow_publish.py"),
            str(directory),
            str(server.ftp_root),
            str(server.docs_root),
            s.host,
            str(s.port),
            s.user,
            str(s.key_file),
            str(s.known_hosts),
            sums,  # the victim stalls its connection once this file is staged
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen_public: set[str] = set()
    output = b""
    try:
        deadline = time.monotonic() + 60
        while b"frozen" not in output:
            seen_public |= {p.name for p in server.ftp_root.iterdir()}
            assert time.monotonic() < deadline, output.decode()
            ready, _, _ = select.select([proc.stdout], [], [], 0.005)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, f"the publish ended before staging {sums}: {output.decode()}"
                output += chunk
        staged = {p.relative_to(staging).as_posix(): p.stat().st_size for p in staged_files(server)}
        assert set(staged) <= set(sizes), "staged files that are not the release's"
        complete = {dest for dest, size in staged.items() if size == sizes[dest]}
        assert sums in complete and len(complete) >= 2, staged
        assert len(complete) < len(sizes)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # The public tree never showed anything but the staging directory.
    seen_public |= {p.name for p in server.ftp_root.iterdir()}
    assert seen_public == {staging.name}
    assert list(server.docs_root.iterdir()) == []

    r = cli(*server.argv(directory))
    assert r.code == 0, r.err
    assert_published(server, directory, manifest)
    r = cli(*server.argv(directory))
    assert r.code == 0 and " upload " not in r.out


def test_existing_directory_gets_new_files_one_rename_each(server: Server, tmp_path: Path) -> None:
    """rc2 joins rc1 in 3.14.0/: rc1's files stay, rc2's are renamed in individually."""
    rc1, rc2 = tmp_path / "rc1", tmp_path / "rc2"
    m1 = make_release(rc1, "3.14.0rc1")
    publish_sftp(m1, rc1, options(server))
    old = public_files(server.ftp_root / XYZ)
    m2 = make_release(rc2)
    result = publish_sftp(m2, rc2, options(server, remote_hash="read"))
    new = public_files(server.ftp_root / XYZ)
    assert {k: new[k] for k in old} == old
    moves = [a.subject for a in result.actions if a.verb is Verb.MOVE]
    assert f"{server.ftp_root}/{XYZ}/Python-{VERSION}.tgz" in moves
    assert f"{server.ftp_root}/{XYZ}/amd64rc2" in moves  # a new subdirectory: one rename
    assert f"{server.ftp_root}/doc/{VERSION}" in moves
    assert sorted(p.name for p in server.docs_root.iterdir()) == ["3.14.0rc1", VERSION]


def test_missing_public_root_is_an_error(
    server: Server, release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    directory, manifest = release
    opts = options(server)
    assert opts.downloads is not None
    wrong = SFTPOptions(
        opts.credentials,
        downloads=Endpoint(opts.downloads.host, opts.downloads.port, str(tmp_path / "nope"), None),
        docs=None,
    )
    with pytest.raises(CheckFailed, match="does not exist"):
        publish_sftp(manifest, directory, wrong)
    assert not (tmp_path / "nope").exists()


def test_sshd_fixture_is_real(sshd: SSHD) -> None:
    out = subprocess.run(
        ["ssh-keygen", "-F", f"[127.0.0.1]:{sshd.port}", "-f", str(sshd.known_hosts)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "ssh-ed25519" in out.stdout


def test_missing_sshd_fails_loudly_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from publish_sftp import conftest

    monkeypatch.setattr(conftest, "SSHD_CANDIDATES", ("/nonexistent/sshd",))
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y openssh-server"):
        conftest._sshd_binary()
