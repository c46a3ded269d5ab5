"""Run ``publish_sftp`` over a throttled connection (the SIGKILL test's victim process).

Usage: slow_publish.py DIR FTP_ROOT DOCS_ROOT HOST PORT USER KEY KNOWN_HOSTS FREEZE_AFTER

Once the file whose published path (below the downloads root) is FREEZE_AFTER is staged,
the connection stalls (every upload still in flight stays partial) and the process prints
``frozen``: the test kills it at that point, so where the kill lands does not depend on timing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import paramiko

from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.publish.sftp import (
    Endpoint,
    SFTPOptions,
    SFTPTree,
    SSHCredentials,
    load_known_hosts,
    load_private_key,
    publish_sftp,
)
from publish_sftp.faults import FaultySocket, faulty_connector


def freeze_after(staged_name: str, sockets: list[FaultySocket]) -> None:
    """Stall every connection once ``staged_name`` is completely staged."""
    put = SFTPTree._put

    def _put(self: SFTPTree, sftp: paramiko.SFTPClient, local: Path, path: str, mode: int) -> None:
        put(self, sftp, local, path, mode)
        if path.endswith("/" + staged_name):
            for sock in sockets:
                sock.pause()
            print("frozen", path, flush=True)

    SFTPTree._put = _put  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    directory, ftp_root, docs_root, host, port, user, key, known, staged_name = argv
    creds = SSHCredentials(
        user,
        load_private_key(Path(key).read_text(), key),
        load_known_hosts(Path(known).read_text(), known),
    )
    options = SFTPOptions(
        creds,
        downloads=Endpoint(host, int(port), ftp_root, None),
        docs=Endpoint(host, int(port), docs_root, None),
    )
    manifest = Manifest.load(Path(directory) / MANIFEST_NAME)
    connector = faulty_connector(delay=0.01, chunk=4096)
    freeze_after(staged_name, connector.sockets)
    print("starting", flush=True)
    publish_sftp(manifest, Path(directory), options, connector=connector)
    print("finished", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
