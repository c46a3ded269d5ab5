"""python.org's files over SSH/SFTP: the downloads tree and the unpacked HTML docs.

Host keys are pinned: only the known_hosts given (file or text) is trusted, never the
system's, and an unknown or changed host key is refused (paramiko ``RejectPolicy``).

Files go through :mod:`cpython_release.publish.staging`: staged next to the public
directory, verified on the server, then renamed into place (see that module for what "all
at once" guarantees).

Checking a file on the server (``--remote-hash``):

* ``exec`` (default): run ``sha256sum`` and ``stat`` on the server over the SSH channel
  (``exec_command``; the paths go in on stdin, so one command checks any number of
  files). Costs one round trip per check and no transfer; the server does the reading.
  Needs a shell account with coreutils, which release managers have on the downloads
  host (release-tools runs ``mkdir``/``cp``/``chgrp`` the same way).
* ``read``: read every file back over SFTP and hash it here. Works for SFTP-only
  accounts, but moves every byte twice (a release is several hundred MB), and it checks what
  the server *sends*, which is what the disk holds only as far as the server is honest.

Either way the check is independent of the upload: a truncated or corrupted write is caught
before anything is renamed into public view.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import posixpath
import shlex
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import paramiko

from cpython_release.errors import BadInput, CheckFailed, Unreachable
from cpython_release.hashing import FileDigest
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.publish import staging
from cpython_release.publish.actions import PublishResult
from cpython_release.publish.journal import Journal
from cpython_release.publish.layout import (
    DOCS_ROOT,
    FTP_ROOT,
    docs_items,
    download_items,
    signed_list_items,
    staging_name,
    xyz,
)

DOWNLOADS_HOST = "downloads.nyc1.psf.io"
DOCS_HOST = "docs.nyc1.psf.io"
IO_TIMEOUT = 300.0  # seconds without progress on the SFTP channel
HASH_TIMEOUT = 1800.0  # seconds for the server to hash one batch
PUT_CHANNELS = 4  # parallel SFTP channels for uploads (OpenSSH allows 10 sessions)
RemoteHash = Literal["exec", "read"]
_CONNECTION_ERRORS = (paramiko.SSHException, OSError, EOFError)


@dataclass(frozen=True)
class SSHCredentials:
    """Who logs in, with which key, trusting which host keys."""

    username: str
    key: paramiko.PKey
    known_hosts: paramiko.HostKeys


@dataclass(frozen=True)
class Endpoint:
    """One SFTP destination: a host and the public root on it."""

    host: str
    port: int
    root: str
    group: str | None  # the group the published tree gets (downloads / docs), or None


@dataclass(frozen=True)
class SFTPOptions:
    credentials: SSHCredentials
    downloads: Endpoint | None = field(  # None: leave the downloads tree alone
        default_factory=lambda: Endpoint(DOWNLOADS_HOST, 22, FTP_ROOT, "downloads")
    )
    docs: Endpoint | None = field(  # None: leave the docs tree alone
        default_factory=lambda: Endpoint(DOCS_HOST, 22, DOCS_ROOT, "docs")
    )
    remote_hash: RemoteHash = "exec"
    timeout: float = 30.0


# --- credentials ----------------------------------------------------------------------------
def load_private_key(text: str, source: str) -> paramiko.PKey:
    """An unencrypted OpenSSH/PEM private key (Ed25519, ECDSA or RSA) from its text."""
    key_classes: tuple[type[paramiko.PKey], ...] = (
        paramiko.Ed25519Key,
        paramiko.ECDSAKey,
        paramiko.RSAKey,
    )
    for cls in key_classes:
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise BadInput(f"{source} is not a usable unencrypted SSH private key")


def load_known_hosts(text: str, source: str) -> paramiko.HostKeys:
    """Parse known_hosts lines (hashed or plain names, ``[host]:port`` for other ports)."""
    keys = paramiko.HostKeys()
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):  # @revoked / @cert-authority: paramiko would misread them
            raise BadInput(
                f"{source}, line {lineno}: markers ({line.split()[0]}) are not "
                "supported; pin plain host keys"
            )
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, lineno)
        except (paramiko.SSHException, ValueError) as exc:
            raise BadInput(f"{source}, line {lineno}: not a known_hosts entry: {exc}") from exc
        if entry is None or entry.key is None:
            continue  # a key type paramiko does not know: it cannot match anyway
        for name in entry.hostnames:
            keys.add(name, entry.key.get_name(), entry.key)
    if not keys.keys():
        raise BadInput(f"{source} has no usable host key: refusing to connect without pinning")
    return keys


# --- connecting -----------------------------------------------------------------------------
SocketFactory = Callable[[str, int], Any]


def connect(
    creds: SSHCredentials, host: str, port: int, *, timeout: float = 30.0, sock: Any = None
) -> paramiko.SSHClient:
    """Log in with the pinned host keys; refuse unknown or changed ones."""
    client = paramiko.SSHClient()
    pinned = client.get_host_keys()
    for name in creds.known_hosts:
        for ktype, key in creds.known_hosts[name].items():
            pinned.add(name, ktype, key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    where = f"{host}:{port}"
    try:
        client.connect(
            host,
            port=port,
            username=creds.username,
            pkey=creds.key,
            sock=sock,
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
        )
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise CheckFailed(
            f"{where}: host key does NOT match the pinned known_hosts entry "
            f"(got {exc.key.get_name()} {exc.key.fingerprint}); refusing to connect"
        ) from exc
    except paramiko.AuthenticationException as exc:
        client.close()
        raise BadInput(f"{where}: SSH login as {creds.username} refused: {exc}") from exc
    except paramiko.SSHException as exc:
        client.close()
        if "known_hosts" in str(exc):
            raise CheckFailed(
                f"{where}: host key is not in the given known_hosts; refusing to connect "
                "(add the server's key to the pinned known_hosts, never auto-accepted)"
            ) from exc
        raise CheckFailed(f"{where}: SSH connection failed: {exc}") from exc
    except OSError as exc:
        client.close()
        raise Unreachable(where, exc.strerror or exc) from exc
    return client


class SFTPTree:
    """A :class:`staging.Tree` on an SFTP server."""

    label = "sftp"

    def __init__(
        self, client: paramiko.SSHClient, *, group: str | None, remote_hash: RemoteHash
    ) -> None:
        self.client = client
        sftp = client.open_sftp()
        channel = sftp.get_channel()
        if channel is not None:
            channel.settimeout(IO_TIMEOUT)  # a hung server fails the run instead of hanging it
        self.sftp = sftp
        self.remote_hash = remote_hash
        self.uid: int | None = None  # the login's uid, learnt from the first file it creates
        self.gid = self._resolve_group(group) if group else None

    # --- reading ---
    def listdir(self, path: str) -> dict[str, staging.Entry] | None:
        try:
            attrs = self.sftp.listdir_attr(path)
        except FileNotFoundError:
            return None
        out = {}
        for a in attrs:
            mode = a.st_mode or 0
            if stat.S_ISLNK(mode):  # follow links, as a web server would
                try:
                    mode = self.sftp.stat(posixpath.join(path, a.filename)).st_mode or 0
                except FileNotFoundError:
                    continue
            out[a.filename] = staging.Entry(a.st_size or 0, stat.S_ISDIR(mode))
        return out

    def digests(self, paths: Sequence[str]) -> dict[str, FileDigest]:
        if not paths:
            return {}
        if self.remote_hash == "read":
            return self._read_digests(paths)
        return self._exec_digests(paths)

    def _exec_digests(self, paths: Sequence[str]) -> dict[str, FileDigest]:
        """One command for any number of files: the paths go in on stdin, NUL-separated
        (no quoting, no command-line limit); xargs batches them."""
        if any("\0" in p or "\n" in p for p in paths):
            raise BadInput("remote paths with NUL or newline characters cannot be checked")
        command = (
            "LC_ALL=C xargs -0 -r sh -c "
            + shlex.quote('sha256sum -- "$@"; stat -c "%s:%n" -- "$@"')
            + " sh"
        )
        code, out, err = self._exec(command, stdin="\0".join(paths).encode())
        if code in (126, 127) or (not out and "not found" in err):
            raise CheckFailed(
                "the server cannot run sha256sum/stat over SSH; use --remote-hash read"
                + (f" ({err.strip()[:200]})" if err.strip() else "")
            )
        hashes: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for line in out.splitlines():
            head, sep, name = line.partition("  ")
            if sep and len(head) == 64 and not head.startswith("\\"):
                hashes[name] = head
                continue
            size, sep, name = line.partition(":")
            if sep and size.isdigit():
                sizes[name] = int(size)
        return {p: FileDigest(sizes[p], hashes[p]) for p in paths if p in hashes and p in sizes}

    def _exec(self, command: str, stdin: bytes = b"") -> tuple[int, str, str]:
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise paramiko.SSHException("SSH connection is closed")
        chan = transport.open_session()
        chan.settimeout(HASH_TIMEOUT)
        try:
            chan.exec_command(command)
            chan.sendall(stdin)
            chan.shutdown_write()
            out = chan.makefile("rb").read().decode("utf-8", "replace")
            err = chan.makefile_stderr("rb").read().decode("utf-8", "replace")
            return chan.recv_exit_status(), out, err
        finally:
            chan.close()

    def _read_digests(self, paths: Sequence[str]) -> dict[str, FileDigest]:
        out = {}
        for p in paths:
            h = hashlib.sha256()
            size = 0
            try:
                with self.sftp.open(p, "rb") as fh:
                    fh.prefetch()
                    while chunk := fh.read(1 << 20):
                        h.update(chunk)
                        size += len(chunk)
            except FileNotFoundError:
                continue
            out[p] = FileDigest(size, h.hexdigest())
        return out

    def _resolve_group(self, group: str) -> int:
        if group.isdigit():
            return int(group)
        try:
            with self.sftp.open("/etc/group", "r") as fh:
                text = fh.read().decode("utf-8", "replace")
        except OSError as exc:
            raise BadInput(
                f"cannot read /etc/group on the server to find group {group!r}; give its "
                "numeric id instead"
            ) from exc
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) >= 3 and fields[0] == group and fields[2].isdigit():
                return int(fields[2])
        raise BadInput(f"no group {group!r} on the server")

    # --- writing ---
    def own(self, path: str, mode: int) -> None:
        self.sftp.chmod(path, mode)  # explicit: the server's umask applies to create modes
        if self.gid is not None:
            if self.uid is None:
                self.uid = self.sftp.stat(path).st_uid or 0
            self.sftp.chown(path, self.uid, self.gid)  # keeps the owner, sets the group

    def mkdir(self, path: str, mode: int) -> None:
        self.sftp.mkdir(path, mode)
        self.own(path, mode)

    def put(self, local: Path, path: str, mode: int) -> None:
        self._put(self.sftp, local, path, mode)

    def _put(self, sftp: paramiko.SFTPClient, local: Path, path: str, mode: int) -> None:
        sftp.put(str(local), path, confirm=False)  # verified by hash before publishing
        sftp.chmod(path, mode)
        if self.gid is not None:
            if self.uid is None:
                self.uid = sftp.stat(path).st_uid or 0
            sftp.chown(path, self.uid, self.gid)

    def put_many(self, jobs: Sequence[tuple[Path, str]], mode: int) -> None:
        """Upload over several SFTP channels of the one connection at once: small files cost
        round trips (open, write, close, chmod, chown), not bandwidth, so N channels cut
        the latency N-fold (the HTML docs are ~2,000 files)."""
        jobs = list(jobs)
        if self.gid is not None and self.uid is None and jobs:
            self.put(*jobs.pop(0), mode)  # learns the uid before the workers start
        if len(jobs) < 2 * PUT_CHANNELS:
            for local, path in jobs:
                self.put(local, path, mode)
            return
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise paramiko.SSHException("SSH connection is closed")
        active = transport

        def worker(share: Sequence[tuple[Path, str]]) -> None:
            sftp = paramiko.SFTPClient.from_transport(active)
            if sftp is None:  # pragma: no cover - paramiko returns None only on failure
                raise paramiko.SSHException("cannot open another SFTP channel")
            try:
                channel = sftp.get_channel()
                if channel is not None:
                    channel.settimeout(IO_TIMEOUT)
                for local, path in share:
                    self._put(sftp, local, path, mode)
            finally:
                sftp.close()

        with ThreadPoolExecutor(max_workers=PUT_CHANNELS) as pool:
            futures = [pool.submit(worker, jobs[i::PUT_CHANNELS]) for i in range(PUT_CHANNELS)]
            for future in futures:
                future.result()

    def rename(self, src: str, dst: str) -> None:
        self.sftp.posix_rename(src, dst)

    def remove(self, path: str) -> None:
        self.sftp.remove(path)

    def rmdir(self, path: str) -> None:
        self.sftp.rmdir(path)

    def close(self) -> None:
        self.sftp.close()


Connector = Callable[[SSHCredentials, str, int], paramiko.SSHClient]


@contextlib.contextmanager
def _trees(
    options: SFTPOptions, connector: Connector
) -> Iterator[tuple[SFTPTree | None, SFTPTree | None]]:
    """An :class:`SFTPTree` per endpoint (one connection per host and port)."""
    clients: dict[tuple[str, int], paramiko.SSHClient] = {}

    def client_for(ep: Endpoint) -> paramiko.SSHClient:
        key = (ep.host, ep.port)
        if key not in clients:
            clients[key] = connector(options.credentials, ep.host, ep.port)
        return clients[key]

    try:
        down = None
        if options.downloads is not None:
            down = SFTPTree(
                client_for(options.downloads),
                group=options.downloads.group,
                remote_hash=options.remote_hash,
            )
        docs = None
        if options.docs is not None:
            docs = SFTPTree(
                client_for(options.docs),
                group=options.docs.group,
                remote_hash=options.remote_hash,
            )
        yield down, docs
    finally:
        for c in clients.values():
            c.close()


def _default_connector(options: SFTPOptions) -> Connector:
    def connector(creds: SSHCredentials, host: str, port: int) -> paramiko.SSHClient:
        return connect(creds, host, port, timeout=options.timeout)

    return connector


def check_access(options: SFTPOptions, connector: Connector | None = None) -> list[str]:
    """Log in to each host and check its public root is a directory; write nothing.

    Returns one line per endpoint checked. A refused login is :class:`BadInput`; a host key
    mismatch or a missing root, :class:`CheckFailed`.
    """
    lines = []
    try:
        with _trees(options, connector or _default_connector(options)) as (down, docs):
            for tree, ep in ((down, options.downloads), (docs, options.docs)):
                if tree is None or ep is None:
                    continue
                where = f"{options.credentials.username}@{ep.host}:{ep.port}:{ep.root}"
                try:
                    attrs = tree.sftp.stat(ep.root)
                except OSError as exc:
                    raise CheckFailed(
                        f"sftp: {where}: cannot stat the public root: {exc.strerror or exc}"
                    ) from exc
                if not stat.S_ISDIR(attrs.st_mode or 0):
                    raise CheckFailed(f"sftp: {where}: the public root is not a directory")
                group = f", group {ep.group} (gid {tree.gid})" if ep.group else ""
                lines.append(f"sftp: logged in, {where} is a directory{group}")
    except _CONNECTION_ERRORS as exc:
        raise CheckFailed(f"sftp: connection failed while checking access: {exc}") from exc
    return lines


def publish_sftp(
    manifest: Manifest,
    directory: Path,
    options: SFTPOptions,
    *,
    replace: bool = False,
    dry_run: bool = False,
    connector: Connector | None = None,
    journal: Journal | None = None,
    manifest_path: Path | None = None,
) -> PublishResult:
    """Publish the (verified) artifact ``directory`` to python.org's downloads (and docs) host:
    every file of the manifest, and the signed manifest (``manifest_path``, default in
    ``directory``), SHA256SUMS and their signatures next to them (:func:`signed_list_items`).
    With ``journal``, every write is recorded as the server confirms it.

    Dry runs connect and read (to tell uploads from skips) but write nothing. Refusals
    (different content already published, without ``replace``) raise :class:`CheckFailed`
    before anything is written; so does a dropped connection (a re-run resumes).
    """

    result = PublishResult(target="python-org", dry_run=dry_run)
    version = manifest.release.version
    try:
        with (
            tempfile.TemporaryDirectory(prefix="cpython-release-docs-") as scratch,
            _trees(options, connector or _default_connector(options)) as (raw_down, raw_docs),
        ):
            down: staging.Tree | None = raw_down
            docs_tree: staging.Tree | None = raw_docs
            if journal is not None:
                down = staging.JournaledTree(raw_down, journal) if raw_down else None
                docs_tree = staging.JournaledTree(raw_docs, journal) if raw_docs else None
            plans = []
            if down is not None and options.downloads is not None:
                lists = signed_list_items(
                    manifest, directory, manifest_path or directory / MANIFEST_NAME
                )
                items = [*download_items(manifest, directory), *lists]
                plans.append(
                    staging.make_plan(
                        down,
                        options.downloads.root,
                        items,
                        staging_name=staging_name(manifest, xyz(version)),
                        replace=replace,
                    )
                )
                staging.record(plans[-1], result)
            docs = docs_items(manifest, directory, Path(scratch)) if docs_tree else None
            if docs is not None and docs_tree is not None and options.docs is not None:
                archive, items = docs
                plans.append(
                    staging.make_plan(
                        docs_tree,
                        options.docs.root,
                        items,
                        staging_name=staging_name(manifest, version),
                        replace=replace,
                    )
                )
                staging.record(plans[-1], result, summarize=archive)
            if dry_run:
                return result
            refused = [p for plan in plans for p in plan.refused]
            if refused:
                raise CheckFailed("refusing to overwrite published files", refused)
            for plan in plans:
                staging.execute(plan)
    except _CONNECTION_ERRORS as exc:
        raise CheckFailed(
            f"SFTP publish interrupted ({type(exc).__name__}: {exc}). "
            "Nothing partial is public: files are staged and verified before they are moved. "
            "Re-run the same command to resume."
        ) from exc
    return result
