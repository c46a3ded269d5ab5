"""Run ``publish_sftp`` over a throttled connection (the SIGKILL test's victim process).

Usage: slow_publish.py DIR FTP_ROOT DOCS_ROOT HOST PORT USER KEY KNOWN_HOSTS
"""

from __future__ import annotations

import sys
from pathlib import Path

from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.publish.sftp import (
    Endpoint,
    SFTPOptions,
    SSHCredentials,
    load_known_hosts,
    load_private_key,
    publish_sftp,
)
from publish_sftp.faults import faulty_connector


def main(argv: list[str]) -> int:
    directory, ftp_root, docs_root, host, port, user, key, known = argv
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
    print("starting", flush=True)
    publish_sftp(
        manifest, Path(directory), options, connector=faulty_connector(delay=0.01, chunk=4096)
    )
    print("finished", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
