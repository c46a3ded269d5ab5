"""A local GitHub REST API for releases, served by ``http.server`` on 127.0.0.1.

It follows GitHub's documented REST API (docs.github.com, "REST API endpoints for releases"
and "... for release assets", API version 2022-11-28), not any one client:

* ``GET /repos/{o}/{r}``; ``GET /repos/{o}/{r}/releases`` (newest first, drafts only for an
  authenticated caller, ``per_page`` default 30 max 100, ``Link`` headers);
  ``POST .../releases`` (201; 422 ``already_exists`` when a *published* release has the tag:
  drafts may share a tag, as on GitHub); ``GET .../releases/{id}``;
  ``GET .../releases/tags/{tag}`` (published releases only: a draft is 404 by tag);
  ``PATCH`` / ``DELETE .../releases/{id}``. Publishing a draft creates its tag at
  ``target_commitish``; deleting a release leaves the tag.
* ``GET .../releases/{id}/assets`` (paginated, upload order); ``GET .../releases/assets/{id}``
  returns JSON, or with ``Accept: application/octet-stream`` a 302 to a signed storage URL on
  the same host (``stream_downloads=True`` serves 200 directly: clients must handle both);
  ``DELETE .../releases/assets/{id}`` (204).
* ``POST /api/uploads/repos/{o}/{r}/releases/{id}/assets?name=..&label=..`` (the
  ``upload_url`` of each release, on the API host, as GitHub Enterprise Server lays it out):
  raw body, ``Content-Type`` and ``Content-Length`` required; 422 ``already_exists`` for a
  name already present in any state; names with characters outside ``[A-Za-z0-9._-]`` are
  renamed (each such character becomes ``.``; leading/trailing dots are dropped), as the docs
  warn. An upload cut short leaves an asset in state ``starter`` (the docs' 502 case).
* Assets carry ``digest`` = ``"sha256:<hex>"`` once uploaded (``None`` before, or always when
  ``digests=False`` models assets from before GitHub computed digests).
* ``GET/DELETE /repos/{o}/{r}/git/ref(s)/tags/{tag}``;
  ``GET /{o}/{r}/releases/download/{tag}/{name}`` (the browser URL; published releases only).
* ``POST /repos/{o}/{r}/pulls`` (201; 422 when ``head`` or ``base`` is not a branch of the
  repository, or an open pull request already has that head and base) and
  ``GET /repos/{o}/{r}/pulls`` (open ones); ``head`` may be ``owner:branch``.
* ``POST /repos/{o}/{r}/actions/workflows/{id}/dispatches`` (204, recorded in
  ``FakeRepo.dispatches``; 422 without a ``ref``, or with ``inputs`` that are not an object).
* Files of a branch (``FakeRepo.files[branch][path]``): ``GET/PUT /repos/{o}/{r}/contents/{path}``
  (``ref``/``branch``, base64; PUT needs the blob ``sha`` being replaced, else 409, and moves
  the branch to a new commit); ``GET .../git/ref/heads/{branch}``; ``POST .../git/refs``
  (201; 422 when the ref exists).
* Token auth: ``Authorization: token T`` or ``Bearer T``. A wrong token is 401
  ``Bad credentials`` everywhere; no token can read public data (no drafts), writes are 401.

Faults (:meth:`GitHubState.inject`) make chosen requests fail with a status, or drop the
connection after part of the request body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

MAX_ASSETS = 1000
_SAFE_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_EPOCH = datetime(2026, 11, 21, tzinfo=UTC)


def github_asset_name(name: str) -> str:
    """The name GitHub stores for an uploaded file name."""
    return _SAFE_CHAR.sub(".", name).strip(".")


@dataclass
class FakeAsset:
    id: int
    name: str
    label: str
    content_type: str
    state: str  # "uploaded" when complete; "starter" for a cut-short upload
    data: bytes
    created_at: str
    updated_at: str
    download_count: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class FakeRelease:
    id: int
    tag_name: str
    target_commitish: str
    name: str
    body: str
    draft: bool
    prerelease: bool
    created_at: str
    published_at: str | None = None
    immutable: bool = False
    make_latest: str = "true"
    assets: dict[int, FakeAsset] = field(default_factory=dict)

    def asset_named(self, name: str) -> FakeAsset | None:
        return next((a for a in self.assets.values() if a.name == name), None)


@dataclass
class FakeRepo:
    owner: str
    name: str
    private: bool = False
    default_branch: str = "main"
    branches: dict[str, str] = field(default_factory=lambda: {"main": "0" * 40})
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit sha
    releases: dict[int, FakeRelease] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    dispatches: list[dict[str, Any]] = field(default_factory=list)  # workflow, ref, inputs
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # branch -> path -> data

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    kind: str  # "status", "drop", "lost" or "corrupt"
    status: int = 500
    times: int | None = 1  # None: every matching request
    after_bytes: int | None = None  # "drop": bytes of the body read first (None: half)
    hits: int = 0

    def active(self) -> bool:
        return self.times is None or self.hits < self.times


@dataclass(frozen=True)
class Logged:
    """One request, appended to ``GitHubState.log`` before its response is sent."""

    method: str
    path: str
    status: int  # 0 when the connection was dropped


class GitHubState:
    """Everything the fake knows; tests read and seed it directly (hold ``lock`` to mutate)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.RLock()
        self.repos: dict[str, FakeRepo] = {}
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self.digests = True
        self.stream_downloads = False
        self._ids = 1000
        self._ticks = 0
        self._storage_key = secrets.token_bytes(16)

    # --- seeding and inspection -------------------------------------------------
    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def now(self) -> str:
        """A clock that moves one second per call, so timestamps order like ids."""
        with self.lock:
            self._ticks += 1
            return (_EPOCH + timedelta(seconds=self._ticks)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_repo(self, full_name: str, *, private: bool = False) -> FakeRepo:
        owner, name = full_name.split("/")
        with self.lock:
            repo = self.repos.setdefault(full_name.lower(), FakeRepo(owner, name, private))
        return repo

    def repo(self, full_name: str) -> FakeRepo:
        return self.repos[full_name.lower()]

    def add_release(
        self,
        full_name: str,
        tag: str,
        *,
        name: str = "",
        body: str = "",
        draft: bool = False,
        prerelease: bool = False,
        target_commitish: str = "main",
        assets: dict[str, bytes] | None = None,
    ) -> FakeRelease:
        repo = self.repo(full_name)
        with self.lock:
            rel = FakeRelease(
                self.next_id(),
                tag,
                target_commitish,
                name or tag,
                body,
                draft,
                prerelease,
                self.now(),
            )
            if not draft:
                rel.published_at = rel.created_at
                repo.tags.setdefault(tag, _resolve(repo, target_commitish))
            repo.releases[rel.id] = rel
            for asset_name, data in (assets or {}).items():
                self.add_asset(rel, asset_name, data)
        return rel

    def add_asset(
        self, release: FakeRelease, name: str, data: bytes, *, state: str = "uploaded"
    ) -> FakeAsset:
        with self.lock:
            now = self.now()
            asset = FakeAsset(
                self.next_id(), name, "", "application/octet-stream", state, data, now, now
            )
            release.assets[asset.id] = asset
        return asset

    def releases(self, full_name: str) -> list[FakeRelease]:
        with self.lock:
            return sorted(self.repo(full_name).releases.values(), key=lambda r: r.id)

    def release_by_tag(self, full_name: str, tag: str) -> FakeRelease:
        matches = [r for r in self.releases(full_name) if r.tag_name == tag]
        assert len(matches) == 1, f"{len(matches)} releases tagged {tag}"
        return matches[0]

    def inject(
        self,
        method: str,
        path: str,
        *,
        kind: str = "status",
        status: int = 500,
        times: int | None = 1,
        after_bytes: int | None = None,
    ) -> Fault:
        """Fail matching requests (``path`` is a regex searched in the URL path).

        ``status``: answer ``status`` (after reading the body). ``drop``: read ``after_bytes``
        of the body (default half) and close the connection; an upload cut short this way
        leaves a ``starter`` asset, as on GitHub. ``lost``: do the work, then answer
        ``status`` instead of the real response (a gateway timing out). ``corrupt``: serve a
        binary response with its first byte changed (a storage or cache fault).
        """
        if kind not in ("status", "drop", "lost", "corrupt"):
            raise ValueError(kind)
        fault = Fault(method.upper(), re.compile(path), kind, status, times, after_bytes)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def requests(self, method: str | None = None, path: str = "") -> list[Logged]:
        with self.lock:
            return [
                e
                for e in self.log
                if (method is None or e.method == method) and re.search(path, e.path)
            ]

    def writes(self) -> list[Logged]:
        with self.lock:
            return [e for e in self.log if e.method not in ("GET", "HEAD")]

    # --- internals ----------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.path.search(path) and fault.active():
                    fault.hits += 1
                    return fault
        return None

    def storage_signature(self, asset_id: int) -> str:
        return hmac.new(self._storage_key, str(asset_id).encode(), "sha256").hexdigest()


def _resolve(repo: FakeRepo, commitish: str) -> str:
    if re.fullmatch(r"[0-9a-f]{40}", commitish):
        return commitish
    return repo.branches.get(commitish, repo.branches[repo.default_branch])


class _Dropped(Exception):
    """The fake dropped the connection on purpose."""


class _Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, message: str, errors: list[dict[str, str]] | None = None) -> _Reply:
    body: dict[str, Any] = {
        "message": message,
        "documentation_url": "https://docs.github.com/rest/releases",
        "status": str(status),
    }
    if errors:
        body["errors"] = errors
    return _Reply(status, body)


Route = tuple[str, re.Pattern[str], str]
_R = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_UPLOAD = re.compile(rf"/api/uploads{_R}/releases/(?P<id>\d+)/assets")
ROUTES: list[Route] = [
    ("GET", re.compile(rf"{_R}"), "get_repo"),
    ("GET", re.compile(rf"{_R}/releases"), "list_releases"),
    ("POST", re.compile(rf"{_R}/releases"), "create_release"),
    ("GET", re.compile(rf"{_R}/releases/tags/(?P<tag>.+)"), "release_by_tag"),
    ("GET", re.compile(rf"{_R}/releases/assets/(?P<asset>\d+)"), "get_asset"),
    ("DELETE", re.compile(rf"{_R}/releases/assets/(?P<asset>\d+)"), "delete_asset"),
    ("GET", re.compile(rf"{_R}/releases/(?P<id>\d+)"), "get_release"),
    ("PATCH", re.compile(rf"{_R}/releases/(?P<id>\d+)"), "update_release"),
    ("DELETE", re.compile(rf"{_R}/releases/(?P<id>\d+)"), "delete_release"),
    ("GET", re.compile(rf"{_R}/releases/(?P<id>\d+)/assets"), "list_assets"),
    ("POST", _UPLOAD, "upload_asset"),
    ("GET", re.compile(rf"{_R}/git/refs?/tags/(?P<tag>.+)"), "get_tag_ref"),
    ("GET", re.compile(rf"{_R}/pulls"), "list_pulls"),
    ("POST", re.compile(rf"{_R}/pulls"), "create_pull"),
    ("POST", re.compile(rf"{_R}/actions/workflows/(?P<workflow>[^/]+)/dispatches"), "dispatch"),
    ("GET", re.compile(rf"{_R}/contents/(?P<path>.+)"), "get_contents"),
    ("PUT", re.compile(rf"{_R}/contents/(?P<path>.+)"), "put_contents"),
    ("GET", re.compile(rf"{_R}/git/refs?/heads/(?P<branch>.+)"), "get_head_ref"),
    ("POST", re.compile(rf"{_R}/git/refs"), "create_ref"),
    ("DELETE", re.compile(rf"{_R}/git/refs/tags/(?P<tag>.+)"), "delete_tag_ref"),
    ("GET", re.compile(r"/_storage/(?P<asset>\d+)"), "storage"),
    (
        "GET",
        re.compile(
            r"/(?P<owner>[^/]+)/(?P<repo>[^/]+)/releases/download/(?P<tag>[^/]+)/"
            r"(?P<name>[^/]+)"
        ),
        "browser_download",
    ),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- plumbing -------------------------------------------------------------------
    @property
    def state(self) -> GitHubState:
        return self.server.state

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        self.query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        self._body: bytes | None = None
        self._corrupt = False
        logged = False

        def record(status: int) -> None:
            # Logged BEFORE the client can see the outcome: once a client has its response
            # (or its dropped connection), the log already holds the request. Logging after
            # the reply raced the client's next step, e.g. a test reading the log.
            nonlocal logged
            with self.state.lock:
                self.state.log.append(Logged(method, path, status))
            logged = True

        try:
            try:
                reply = self._answer(method, path)
            except _Dropped:
                record(0)
                self.close_connection = True
                with suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            record(reply.status)
            self._send(reply)
        except BaseException:
            if not logged:  # a fault in the fake itself: the client sees a closed connection
                record(0)
            raise

    def _answer(self, method: str, path: str) -> _Reply:
        """The reply to this request, with every change to the state already made."""
        try:
            fault = self.state.take_fault(method, path)
            if fault is not None and fault.kind == "drop":
                self._drop(method, path, fault)
            self.body_bytes()  # always drain the request before answering
            self._corrupt = fault is not None and fault.kind == "corrupt"
            if fault is not None and fault.kind == "status":
                raise _error(fault.status, "Server Error (injected fault)")
            handler, params = self._route(method, path)
            self.auth = self._authenticate(method)
            try:
                handler(**params)
            except _Reply:
                if fault is not None and fault.kind == "lost":
                    raise _error(fault.status, "Gateway Timeout (injected fault)") from None
                raise
            raise _error(500, "handler returned no reply")  # pragma: no cover
        except _Reply as reply:
            return reply

    def _route(self, method: str, path: str) -> tuple[Callable[..., None], dict[str, str]]:
        known_path = False
        for verb, pattern, name in ROUTES:
            m = pattern.fullmatch(path)
            if m is None:
                continue
            known_path = True
            if verb == method:
                params = {k: unquote(v) for k, v in m.groupdict().items()}
                return getattr(self, "h_" + name), params
        if known_path:
            raise _error(405, "Method Not Allowed")
        raise _error(404, "Not Found")

    def _authenticate(self, method: str) -> bool:
        """True when authenticated; anonymous callers may only read."""
        header = self.headers.get("Authorization")
        if header is None:
            if method not in ("GET", "HEAD"):
                raise _error(401, "Requires authentication")
            return False
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not hmac.compare_digest(
            token.strip(), self.state.token
        ):
            raise _error(401, "Bad credentials")
        return True

    def body_bytes(self) -> bytes:
        if self._body is None:
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
        return self._body

    def json_body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body_bytes() or b"{}")
        except ValueError:
            raise _error(400, "Problems parsing JSON") from None
        if not isinstance(data, dict):
            raise _error(400, "Problems parsing JSON")
        return data

    def _drop(self, method: str, path: str, fault: Fault) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        take = length // 2 if fault.after_bytes is None else min(fault.after_bytes, length)
        partial = self.rfile.read(take) if take else b""
        if method == "POST" and path.startswith("/api/uploads/"):
            self._leave_starter(path, partial)
        raise _Dropped  # _dispatch logs the request, then shuts the connection

    def _leave_starter(self, path: str, data: bytes) -> None:
        """An interrupted upload leaves an asset in state ``starter`` behind."""
        m = _UPLOAD.fullmatch(path)
        name = github_asset_name(self.query.get("name", ""))
        if m is None or not name:
            return
        with self.state.lock:
            repo = self.state.repos.get(f"{m['owner']}/{m['repo']}".lower())
            rel = repo.releases.get(int(m["id"])) if repo else None
            if rel is not None and rel.asset_named(name) is None:
                self.state.add_asset(rel, name, data, state="starter")

    def _send(self, reply: _Reply) -> None:
        if isinstance(reply.body, bytes):
            payload = reply.body
            if self._corrupt and payload:
                payload = bytes([payload[0] ^ 0xFF]) + payload[1:]
            ctype = reply.headers.pop("Content-Type", "application/octet-stream")
        elif reply.body is None:
            payload, ctype = b"", ""
        else:
            payload = json.dumps(reply.body).encode()
            ctype = "application/json; charset=utf-8"
        self.send_response(reply.status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        self.send_header("X-RateLimit-Limit", "5000")
        self.send_header("X-RateLimit-Remaining", "4999")
        self.send_header("X-RateLimit-Reset", "4102444800")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    # --- lookups --------------------------------------------------------------------
    def _repo(self, owner: str, repo: str) -> FakeRepo:
        found = self.state.repos.get(f"{owner}/{repo}".lower())
        if found is None or (found.private and not self.auth):
            raise _error(404, "Not Found")
        return found

    def _release(self, repo: FakeRepo, release_id: str) -> FakeRelease:
        rel = repo.releases.get(int(release_id))
        if rel is None or (rel.draft and not self.auth):
            raise _error(404, "Not Found")
        return rel

    def _asset(self, repo: FakeRepo, asset_id: str) -> tuple[FakeRelease, FakeAsset]:
        for rel in repo.releases.values():
            asset = rel.assets.get(int(asset_id))
            if asset is not None and (self.auth or not rel.draft):
                return rel, asset
        raise _error(404, "Not Found")

    # --- JSON shapes (field names as in GitHub's documented responses) ----------------
    def _user(self) -> dict[str, Any]:
        return {
            "login": "release-bot",
            "id": 1,
            "type": "User",
            "url": f"{self.base}/users/release-bot",
        }

    def repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        return {
            "id": abs(hash(repo.full_name)) % 10**6,
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": {"login": repo.owner, "url": f"{self.base}/users/{repo.owner}"},
            "private": repo.private,
            "default_branch": repo.default_branch,
            "url": f"{self.base}/repos/{repo.full_name}",
            "releases_url": f"{self.base}/repos/{repo.full_name}/releases{{/id}}",
            "html_url": f"{self.base}/{repo.full_name}",
        }

    def asset_json(self, repo: FakeRepo, rel: FakeRelease, a: FakeAsset) -> dict[str, Any]:
        complete = a.state == "uploaded"
        return {
            "url": f"{self.base}/repos/{repo.full_name}/releases/assets/{a.id}",
            "browser_download_url": (
                f"{self.base}/{repo.full_name}/releases/download/{quote(rel.tag_name)}/{a.name}"
            ),
            "id": a.id,
            "node_id": f"RA_{a.id}",
            "name": a.name,
            "label": a.label,
            "state": a.state,
            "content_type": a.content_type,
            "size": len(a.data) if complete else 0,
            "digest": f"sha256:{a.sha256}" if complete and self.state.digests else None,
            "download_count": a.download_count,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
            "uploader": self._user(),
        }

    def release_json(self, repo: FakeRepo, rel: FakeRelease) -> dict[str, Any]:
        api = f"{self.base}/repos/{repo.full_name}/releases/{rel.id}"
        tag_part = f"untagged-{rel.id:x}" if rel.draft else quote(rel.tag_name)
        return {
            "url": api,
            "html_url": f"{self.base}/{repo.full_name}/releases/tag/{tag_part}",
            "assets_url": f"{api}/assets",
            "upload_url": (
                f"{self.base}/api/uploads/repos/{repo.full_name}/releases/{rel.id}/assets"
                "{?name,label}"
            ),
            "tarball_url": f"{self.base}/repos/{repo.full_name}/tarball/{quote(rel.tag_name)}",
            "zipball_url": f"{self.base}/repos/{repo.full_name}/zipball/{quote(rel.tag_name)}",
            "id": rel.id,
            "node_id": f"RE_{rel.id}",
            "tag_name": rel.tag_name,
            "target_commitish": rel.target_commitish,
            "name": rel.name,
            "body": rel.body,
            "draft": rel.draft,
            "prerelease": rel.prerelease,
            "immutable": rel.immutable,
            "created_at": rel.created_at,
            "published_at": rel.published_at,
            "author": self._user(),
            "assets": [
                self.asset_json(repo, rel, a)
                for a in sorted(rel.assets.values(), key=lambda a: a.id)
            ],
        }

    def _paginate(self, items: list[dict[str, Any]], path: str) -> _Reply:
        try:
            per_page = min(100, max(1, int(self.query.get("per_page", 30))))
            page = max(1, int(self.query.get("page", 1)))
        except ValueError:
            raise _error(422, "Invalid pagination parameters") from None
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []

        def link(n: int, rel: str) -> None:
            links.append(f'<{self.base}{path}?per_page={per_page}&page={n}>; rel="{rel}"')

        if page < last:
            link(page + 1, "next")
            link(last, "last")
        if page > 1:
            link(1, "first")
            link(page - 1, "prev")
        return _Reply(200, chunk, {"Link": ", ".join(links)} if links else {})

    # --- endpoints ------------------------------------------------------------------
    def h_get_repo(self, owner: str, repo: str) -> None:
        raise _Reply(200, self.repo_json(self._repo(owner, repo)))

    def h_list_releases(self, owner: str, repo: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            rels = sorted(r.releases.values(), key=lambda x: x.id, reverse=True)
            items = [self.release_json(r, x) for x in rels if self.auth or not x.draft]
        raise self._paginate(items, f"/repos/{r.full_name}/releases")

    def h_release_by_tag(self, owner: str, repo: str, tag: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            for rel in r.releases.values():
                if rel.tag_name == tag and not rel.draft:
                    raise _Reply(200, self.release_json(r, rel))
        raise _error(404, "Not Found")

    def h_get_release(self, owner: str, repo: str, id: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            raise _Reply(200, self.release_json(r, self._release(r, id)))

    def _validate_release_fields(self, data: dict[str, Any]) -> None:
        for key in ("tag_name", "target_commitish", "name", "body", "make_latest"):
            if key in data and data[key] is not None and not isinstance(data[key], str):
                raise _error(
                    422,
                    "Validation Failed",
                    [{"resource": "Release", "code": "invalid", "field": key}],
                )
        for key in ("draft", "prerelease"):
            if key in data and not isinstance(data[key], bool):
                raise _error(
                    422,
                    "Validation Failed",
                    [{"resource": "Release", "code": "invalid", "field": key}],
                )
        if data.get("make_latest", "true") not in ("true", "false", "legacy"):
            raise _error(
                422,
                "Validation Failed",
                [{"resource": "Release", "code": "invalid", "field": "make_latest"}],
            )

    def _publish_conflict(self, r: FakeRepo, tag: str, other_than: int) -> None:
        if any(
            x.tag_name == tag and not x.draft and x.id != other_than for x in r.releases.values()
        ):
            raise _error(
                422,
                "Validation Failed",
                [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
            )

    def h_create_release(self, owner: str, repo: str) -> None:
        r = self._repo(owner, repo)
        data = self.json_body()
        self._validate_release_fields(data)
        tag = data.get("tag_name")
        if not tag:
            raise _error(
                422,
                "Validation Failed",
                [{"resource": "Release", "code": "missing_field", "field": "tag_name"}],
            )
        draft = bool(data.get("draft", False))
        with self.state.lock:
            if not draft:
                self._publish_conflict(r, tag, other_than=-1)
            rel = FakeRelease(
                self.state.next_id(),
                tag,
                data.get("target_commitish") or r.default_branch,
                data.get("name") or tag,
                data.get("body") or "",
                draft,
                bool(data.get("prerelease", False)),
                self.state.now(),
                make_latest=data.get("make_latest", "true"),
            )
            if not draft:
                rel.published_at = rel.created_at
                r.tags.setdefault(tag, _resolve(r, rel.target_commitish))
            r.releases[rel.id] = rel
            raise _Reply(
                201,
                self.release_json(r, rel),
                {"Location": f"{self.base}/repos/{r.full_name}/releases/{rel.id}"},
            )

    def h_update_release(self, owner: str, repo: str, id: str) -> None:
        r = self._repo(owner, repo)
        data = self.json_body()
        self._validate_release_fields(data)
        with self.state.lock:
            rel = self._release(r, id)
            if rel.immutable and any(k in data for k in ("tag_name", "target_commitish")):
                raise _error(422, "Cannot modify an immutable release")
            tag = data.get("tag_name") or rel.tag_name
            draft = data.get("draft", rel.draft)
            if not draft:
                self._publish_conflict(r, tag, other_than=rel.id)
            rel.tag_name = tag
            for key in ("target_commitish", "name", "body", "make_latest"):
                if data.get(key) is not None:
                    setattr(rel, key, data[key])
            if "prerelease" in data:
                rel.prerelease = data["prerelease"]
            if rel.draft and not draft:
                rel.published_at = self.state.now()
                r.tags.setdefault(tag, _resolve(r, rel.target_commitish))
            rel.draft = draft
            raise _Reply(200, self.release_json(r, rel))

    def h_delete_release(self, owner: str, repo: str, id: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            rel = self._release(r, id)
            del r.releases[rel.id]
        raise _Reply(204)

    def h_list_assets(self, owner: str, repo: str, id: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            rel = self._release(r, id)
            items = [
                self.asset_json(r, rel, a) for a in sorted(rel.assets.values(), key=lambda a: a.id)
            ]
        raise self._paginate(items, f"/repos/{r.full_name}/releases/{rel.id}/assets")

    def h_get_asset(self, owner: str, repo: str, asset: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            rel, a = self._asset(r, asset)
            if "application/octet-stream" not in (self.headers.get("Accept") or ""):
                raise _Reply(200, self.asset_json(r, rel, a))
            if self.state.stream_downloads:
                a.download_count += 1
                raise _Reply(200, a.data)
            sig = self.state.storage_signature(a.id)
            raise _Reply(302, None, {"Location": f"{self.base}/_storage/{a.id}?sig={sig}"})

    def h_storage(self, asset: str) -> None:
        """The storage host the API redirects to: a signed URL, no API token needed."""
        if not hmac.compare_digest(
            self.query.get("sig", ""), self.state.storage_signature(int(asset))
        ):
            raise _Reply(
                403,
                b"<Error><Code>AccessDenied</Code></Error>",
                {"Content-Type": "application/xml"},
            )
        with self.state.lock:
            for r in self.state.repos.values():
                for rel in r.releases.values():
                    if int(asset) in rel.assets:
                        a = rel.assets[int(asset)]
                        a.download_count += 1
                        raise _Reply(200, a.data)
        raise _Reply(
            404, b"<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"}
        )

    def h_browser_download(self, owner: str, repo: str, tag: str, name: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            for rel in r.releases.values():
                if rel.tag_name == tag and not rel.draft:
                    a = rel.asset_named(name)
                    if a is not None and a.state == "uploaded":
                        raise _Reply(200, a.data)
        raise _error(404, "Not Found")

    def h_delete_asset(self, owner: str, repo: str, asset: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            rel, a = self._asset(r, asset)
            if rel.immutable and not rel.draft:
                raise _error(422, "Cannot delete an asset of an immutable release")
            del rel.assets[a.id]
        raise _Reply(204)

    def h_upload_asset(self, owner: str, repo: str, id: str) -> None:
        r = self._repo(owner, repo)
        if not self.auth:
            raise _error(401, "Requires authentication")
        raw_name = self.query.get("name", "")
        name = github_asset_name(raw_name)
        if not name:
            raise _error(
                422,
                "Validation Failed",
                [{"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}],
            )
        ctype = self.headers.get("Content-Type")
        if not ctype:
            raise _error(422, "Bad Content-Type header value")
        if self.headers.get("Content-Length") is None:
            raise _error(411, "Length Required")
        data = self.body_bytes()
        with self.state.lock:
            rel = self._release(r, id)
            if rel.immutable and not rel.draft:
                raise _error(422, "Cannot upload assets to an immutable release")
            if rel.asset_named(name) is not None:
                raise _error(
                    422,
                    "Validation Failed",
                    [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
                )
            if len(rel.assets) >= MAX_ASSETS:
                raise _error(
                    422,
                    "Validation Failed",
                    [
                        {
                            "resource": "ReleaseAsset",
                            "code": "custom",
                            "field": "name",
                            "message": "Release has reached the maximum number of assets",
                        }
                    ],
                )
            if len(data) != int(self.headers["Content-Length"]):  # pragma: no cover
                self.state.add_asset(rel, name, data, state="starter")
                raise _error(502, "Bad Gateway")
            now = self.state.now()
            asset = FakeAsset(
                self.state.next_id(),
                name,
                self.query.get("label", ""),
                ctype,
                "uploaded",
                data,
                now,
                now,
            )
            rel.assets[asset.id] = asset
            raise _Reply(201, self.asset_json(r, rel, asset))

    def h_list_pulls(self, owner: str, repo: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            raise _Reply(200, [p for p in r.pulls if p["state"] == "open"])

    def h_create_pull(self, owner: str, repo: str) -> None:
        r = self._repo(owner, repo)
        if not self.auth:
            raise _error(401, "Requires authentication")
        data = self.json_body()
        head, base = str(data.get("head", "")), str(data.get("base", ""))
        branch = head.split(":", 1)[-1]
        with self.state.lock:
            missing = [
                {"resource": "PullRequest", "field": f, "code": "invalid"}
                for f, b in (("head", branch), ("base", base))
                if b not in r.branches
            ]
            if missing or not data.get("title"):
                raise _error(422, "Validation Failed", missing)
            if any(
                p["state"] == "open" and p["head"]["ref"] == branch and p["base"]["ref"] == base
                for p in r.pulls
            ):
                raise _error(
                    422,
                    "Validation Failed",
                    [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {r.owner}:{branch}.",
                        }
                    ],
                )
            number = len(r.pulls) + 1
            pull = {
                "id": self.state.next_id(),
                "number": number,
                "state": "open",
                "title": data["title"],
                "body": data.get("body") or "",
                "draft": bool(data.get("draft", False)),
                "head": {"ref": branch, "sha": r.branches[branch], "label": head},
                "base": {"ref": base, "sha": r.branches[base], "label": base},
                "url": f"{self.base}/repos/{r.full_name}/pulls/{number}",
                "html_url": f"{self.base}/{r.full_name}/pull/{number}",
                "created_at": self.state.now(),
            }
            r.pulls.append(pull)
        raise _Reply(201, pull)

    def h_dispatch(self, owner: str, repo: str, workflow: str) -> None:
        r = self._repo(owner, repo)
        if not self.auth:
            raise _error(401, "Requires authentication")
        data = self.json_body()
        inputs = data.get("inputs", {})
        if not data.get("ref") or not isinstance(inputs, dict):
            raise _error(422, "Invalid request")
        with self.state.lock:
            r.dispatches.append({"workflow": workflow, "ref": data["ref"], "inputs": inputs})
        raise _Reply(204)

    def _file_json(self, r: FakeRepo, path: str, data: bytes) -> dict[str, Any]:
        return {
            "type": "file",
            "encoding": "base64",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "size": len(data),
            "sha": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),  # noqa: S324
            "content": base64.b64encode(data).decode(),
            "url": f"{self.base}/repos/{r.full_name}/contents/{quote(path)}",
        }

    def h_get_contents(self, owner: str, repo: str, path: str) -> None:
        r = self._repo(owner, repo)
        branch = self.query.get("ref") or r.default_branch
        with self.state.lock:
            data = r.files.get(branch, {}).get(path)
        if data is None:
            raise _error(404, "Not Found")
        raise _Reply(200, self._file_json(r, path, data))

    def h_put_contents(self, owner: str, repo: str, path: str) -> None:
        r = self._repo(owner, repo)
        if not self.auth:
            raise _error(401, "Requires authentication")
        body = self.json_body()
        branch = str(body.get("branch") or r.default_branch)
        try:
            data = base64.b64decode(str(body["content"]), validate=True)
        except (KeyError, ValueError):
            raise _error(422, "Invalid request") from None
        with self.state.lock:
            if branch not in r.branches or not body.get("message"):
                raise _error(422, "Invalid request")
            old = r.files.get(branch, {}).get(path)
            if old is not None and body.get("sha") != self._file_json(r, path, old)["sha"]:
                raise _error(409, f"{path} does not match {body.get('sha')}")
            r.files.setdefault(branch, {})[path] = data
            commit = hashlib.sha1(f"{r.branches[branch]}{path}".encode() + data).hexdigest()  # noqa: S324
            r.branches[branch] = commit
        raise _Reply(200, {"content": self._file_json(r, path, data), "commit": {"sha": commit}})

    def h_get_head_ref(self, owner: str, repo: str, branch: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            sha = r.branches.get(branch)
        if sha is None:
            raise _error(404, "Not Found")
        raise _Reply(200, {"ref": f"refs/heads/{branch}", "object": {"sha": sha, "type": "commit"}})

    def h_create_ref(self, owner: str, repo: str) -> None:
        r = self._repo(owner, repo)
        if not self.auth:
            raise _error(401, "Requires authentication")
        body = self.json_body()
        ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
        with self.state.lock:
            if not ref.startswith("refs/heads/") or sha not in r.branches.values():
                raise _error(422, "Invalid request")
            branch = ref.removeprefix("refs/heads/")
            if branch in r.branches:
                raise _error(422, "Reference already exists")
            base = next(b for b, c in r.branches.items() if c == sha)
            r.branches[branch] = sha
            r.files[branch] = dict(r.files.get(base, {}))
        raise _Reply(201, {"ref": ref, "object": {"sha": sha, "type": "commit"}})

    def h_get_tag_ref(self, owner: str, repo: str, tag: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            sha = r.tags.get(tag)
        if sha is None:
            raise _error(404, "Not Found")
        api = f"{self.base}/repos/{r.full_name}"
        raise _Reply(
            200,
            {
                "ref": f"refs/tags/{tag}",
                "node_id": f"REF_{tag}",
                "url": f"{api}/git/refs/tags/{quote(tag)}",
                "object": {"sha": sha, "type": "commit", "url": f"{api}/git/commits/{sha}"},
            },
        )

    def h_delete_tag_ref(self, owner: str, repo: str, tag: str) -> None:
        r = self._repo(owner, repo)
        with self.state.lock:
            if r.tags.pop(tag, None) is None:
                raise _error(422, "Reference does not exist")
        raise _Reply(204)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: GitHubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class FakeGitHub:
    base_url: str
    token: str
    state: GitHubState


@contextmanager
def start_server(
    token: str = "fake-token",  # noqa: S107 - a fake's test token
    repos: tuple[str, ...] = ("octo/cpython",),
) -> Iterator[FakeGitHub]:
    """Serve a fake GitHub on 127.0.0.1 (a free port) for the ``with`` block."""
    state = GitHubState(token)
    for full_name in repos:
        state.add_repo(full_name)
    server = _Server(state)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="fake-github", daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield FakeGitHub(f"http://{host!s}:{port}", token, state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
