"""Transport-level faults: sockets that drop or crawl, handed to paramiko as its socket."""

from __future__ import annotations

import errno
import socket
import threading
import time
from typing import Any

import paramiko

from cpython_release.publish.sftp import SSHCredentials, connect


class FaultySocket:
    """A real TCP socket to sshd that fails after ``drop_after`` bytes were sent (the
    connection is really closed), sleeps ``delay`` seconds per ``chunk`` bytes sent, and
    sends nothing more once :meth:`pause` was called (the connection stalls, mid-file)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        drop_after: int | None = None,
        delay: float = 0.0,
        chunk: int = 1 << 30,
    ) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sent = 0
        self.drop_after = drop_after
        self.delay = delay
        self.chunk = chunk
        self.running = threading.Event()
        self.running.set()

    def pause(self) -> None:
        self.running.clear()

    def send(self, data: bytes) -> int:
        if self.drop_after is not None and self.sent >= self.drop_after:
            self.sock.close()
            raise OSError(errno.ECONNRESET, "connection dropped by the test")
        self.running.wait()
        if self.delay:
            time.sleep(self.delay)
        n = self.sock.send(data[: self.chunk])
        self.sent += n
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def faulty_connector(
    **kwargs: Any,
) -> Any:
    """A ``publish_sftp`` connector whose connections use :class:`FaultySocket`."""
    made: list[FaultySocket] = []

    def connector(creds: SSHCredentials, host: str, port: int) -> paramiko.SSHClient:
        sock = FaultySocket(host, port, **kwargs)
        made.append(sock)
        return connect(creds, host, port, sock=sock)

    connector.sockets = made  # type: ignore[attr-defined]
    return connector
