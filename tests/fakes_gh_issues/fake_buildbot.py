"""A fake of the buildbot REST API (``/all/api/v2``) on 127.0.0.1.

It serves ``builders`` (filter ``tags__contains``) and ``builds`` (filters ``builderid__eq``,
``complete__eq``; ``order=-complete_at``; ``limit``) from lists in buildbot's JSON shapes.
``time_shift`` seconds are added to every ``started_at``/``complete_at`` so fixtures written
around a fixed date can be served as "recent" or "stale" relative to the real clock.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/all/api/v2"


class FakeBuildbot:
    def __init__(
        self,
        builders: list[dict[str, Any]],
        builds: list[dict[str, Any]],
        *,
        time_shift: float = 0.0,
    ) -> None:
        self.builders = builders
        self.builds = builds
        self.time_shift = time_shift
        self.fail_status: int | None = None
        self.log: list[tuple[str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def start(self) -> FakeBuildbot:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBuildbot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, path: str, query: dict[str, str]) -> dict[str, Any] | None:
        if path == f"{PREFIX}/builders":
            tag = query.get("tags__contains")
            found = [b for b in self.builders if tag is None or tag in b["tags"]]
            return {"builders": found, "meta": {"total": len(found)}}
        if path == f"{PREFIX}/builds":
            builds = [dict(b) for b in self.builds]
            if "builderid__eq" in query:
                builds = [b for b in builds if str(b["builderid"]) == query["builderid__eq"]]
            if query.get("complete__eq") == "true":
                builds = [b for b in builds if b["complete"]]
            for b in builds:
                for key in ("started_at", "complete_at"):
                    if b.get(key) is not None:
                        b[key] = int(b[key] + self.time_shift)
            if query.get("order") == "-complete_at":
                builds.sort(key=lambda b: b.get("complete_at") or 0, reverse=True)
            if "limit" in query:
                builds = builds[: int(query["limit"])]
            return {"builds": builds, "meta": {"total": len(builds)}}
        return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeBuildbot
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.owner.log.append((parts.path, query))
        if self.owner.fail_status is not None:
            status, data = self.owner.fail_status, {"error": "injected"}
        else:
            answer = self.owner.answer(parts.path, query)
            status, data = (200, answer) if answer is not None else (404, {"error": "not found"})
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
