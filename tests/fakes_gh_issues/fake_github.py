"""A small in-memory GitHub REST API on 127.0.0.1 for the orchestration tests.

It covers what ``blockers``, ``nightly`` and ``summary`` use, in GitHub's JSON shapes:

- ``GET /repos/{o}/{r}``
- ``GET /repos/{o}/{r}/issues`` (state, labels (AND), creator; paginated with Link headers)
- ``POST /repos/{o}/{r}/issues``, ``GET|PATCH /repos/{o}/{r}/issues/{n}``
- ``GET|POST /repos/{o}/{r}/issues/{n}/comments``
- ``GET /repos/{o}/{r}/labels/{name}``, ``POST /repos/{o}/{r}/labels``
- ``GET /repos/{o}/{r}/releases`` (paginated), ``DELETE /repos/{o}/{r}/releases/{id}``
- ``GET /repos/{o}/{r}/git/ref/tags/{t}``, ``DELETE .../git/refs/tags/{t}``,
  ``GET .../git/tags/{sha}`` and ``.../git/commits/{sha}``
- ``GET /repos/{o}/{r}/contents/{path}?ref=`` (base64 files)
- ``GET /repos/{o}/{r}/actions/runs/{id}`` and ``.../runs/{id}/jobs`` (paginated)

``errors`` injects failures: ``fake.errors[("GET", "/repos/o/r/issues")] = 500``.
Every request is recorded in ``fake.log`` as ``(method, path, query)``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RepoState:
    full_name: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    contents: dict[tuple[str, str], bytes] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    git_objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class FakeGitHub:
    """Start with ``with FakeGitHub() as gh:``; ``gh.url`` is the API root."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.repos: dict[str, RepoState] = {}
        self.errors: dict[tuple[str, str], int] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.max_per_page = 100
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state helpers -------------------------------------------------------
    def repo(self, full_name: str) -> RepoState:
        return self.repos.setdefault(full_name, RepoState(full_name))

    def new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def _label(self, name: str) -> dict[str, Any]:
        return {
            "id": abs(hash(name)) % 10**8,
            "name": name,
            "color": "ededed",
            "url": f"{self.url}/labels/{name}",
            "default": False,
            "description": None,
        }

    def add_issue(
        self,
        repo: str,
        title: str,
        *,
        labels: list[str] | None = None,
        milestone: str | None = None,
        state: str = "open",
        pull_request: bool = False,
        body: str = "",
        user: str = "someone",
    ) -> dict[str, Any]:
        st = self.repo(repo)
        number = len(st.issues) + 1
        api = f"{self.url}/repos/{repo}/issues/{number}"
        kind = "pull" if pull_request else "issues"
        issue: dict[str, Any] = {
            "id": self.new_id(),
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "state_reason": None,
            "locked": False,
            "labels": [self._label(n) for n in labels or []],
            "milestone": None
            if milestone is None
            else {
                "id": self.new_id(),
                "number": 1,
                "title": milestone,
                "state": "open",
                "url": f"{self.url}/repos/{repo}/milestones/1",
            },
            "user": {"login": user, "id": 1, "type": "User"},
            "comments": 0,
            "created_at": now_iso(),
            "updated_at": now_iso(),
            "closed_at": None if state == "open" else now_iso(),
            "url": api,
            "comments_url": f"{api}/comments",
            "html_url": f"https://github.com/{repo}/{kind}/{number}",
            "repository_url": f"{self.url}/repos/{repo}",
        }
        if pull_request:
            issue["pull_request"] = {"url": f"{self.url}/repos/{repo}/pulls/{number}"}
        st.issues.append(issue)
        st.comments[number] = []
        return issue

    def add_release(
        self,
        repo: str,
        tag_name: str,
        *,
        name: str | None = None,
        body: str = "",
        prerelease: bool = True,
        draft: bool = False,
        created_at: str | None = None,
        target_commitish: str = "main",
    ) -> dict[str, Any]:
        st = self.repo(repo)
        rid = self.new_id()
        release = {
            "id": rid,
            "tag_name": tag_name,
            "name": name if name is not None else tag_name,
            "body": body,
            "draft": draft,
            "prerelease": prerelease,
            "created_at": created_at or now_iso(),
            "published_at": None if draft else (created_at or now_iso()),
            "target_commitish": target_commitish,
            "url": f"{self.url}/repos/{repo}/releases/{rid}",
            "html_url": f"https://github.com/{repo}/releases/tag/{tag_name}",
            "upload_url": f"{self.url}/api/uploads/repos/{repo}/releases/{rid}/assets",
            "assets": [],
            "author": {"login": "github-actions[bot]", "id": 2, "type": "Bot"},
        }
        # GitHub lists the newest release first; publishing a release creates its tag.
        st.releases.insert(0, release)
        if not draft:
            st.tags.setdefault(tag_name, {"type": "commit", "sha": f"{self.new_id():040x}"})
        return release

    def add_file(self, repo: str, path: str, ref: str, content: bytes | str) -> None:
        data = content.encode() if isinstance(content, str) else content
        self.repo(repo).contents[(path, ref)] = data

    def add_run(
        self, repo: str, run_id: int, jobs: list[dict[str, Any]], run: dict[str, Any] | None = None
    ) -> None:
        st = self.repo(repo)
        st.jobs[run_id] = jobs
        st.runs[run_id] = run or {"id": run_id, "status": "in_progress", "created_at": now_iso()}

    def add_tag(self, repo: str, tag: str, date: str, *, annotated: bool = True) -> None:
        """A tag whose tagger date (annotated) or commit date (lightweight) is ``date``."""
        st = self.repo(repo)
        commit_sha = f"{self.new_id():040x}"
        st.git_objects[commit_sha] = {"sha": commit_sha, "committer": {"date": date}}
        if annotated:
            tag_sha = f"{self.new_id():040x}"
            st.git_objects[tag_sha] = {
                "sha": tag_sha,
                "tag": tag,
                "tagger": {"name": "RM", "date": date},
                "object": {"type": "commit", "sha": commit_sha},
            }
            st.tags[tag] = {"type": "tag", "sha": tag_sha}
        else:
            st.tags[tag] = {"type": "commit", "sha": commit_sha}

    def issues_of(self, repo: str) -> list[dict[str, Any]]:
        return self.repo(repo).issues

    def comments_of(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self.repo(repo).comments.get(number, [])


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- plumbing ------------------------------------------------------------
    def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if data is None else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        data = json.loads(self.rfile.read(length) or b"{}")
        return data if isinstance(data, dict) else {}

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, str], path: str, wrap: str | None = None
    ) -> None:
        per_page = min(int(query.get("per_page", "30")), self.owner.max_per_page)
        page = int(query.get("page", "1"))
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        headers = {}
        if start + per_page < len(items):
            nxt = dict(query, page=str(page + 1), per_page=str(per_page))
            headers["Link"] = f'<{self.owner.url}{path}?{urlencode(nxt)}>; rel="next"'
        data: Any = {"total_count": len(items), wrap: chunk} if wrap else chunk
        self._send(200, data, headers)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        owner = self.owner
        owner.log.append((method, path, query))
        body = self._body() if method in ("POST", "PATCH") else {}
        if owner.token is not None:
            auth = self.headers.get("Authorization", "")
            if auth not in (f"token {owner.token}", f"Bearer {owner.token}"):
                self._send(401, {"message": "Bad credentials"})
                return
        status = owner.errors.get((method, path))
        if status is not None:
            self._send(status, {"message": f"injected HTTP {status}"})
            return
        try:
            self._route(method, path, query, body)
        except _NotFound:
            self._send(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- routes --------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> None:
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not m or m.group(1) not in self.owner.repos:
            raise _NotFound
        st = self.owner.repos[m.group(1)]
        rest = m.group(2) or ""
        base = f"{self.owner.url}/repos/{st.full_name}"
        if rest == "" and method == "GET":
            owner_login, name = st.full_name.split("/")
            self._send(
                200,
                {
                    "id": 1,
                    "name": name,
                    "full_name": st.full_name,
                    "owner": {"login": owner_login},
                    "url": base,
                    "html_url": f"https://github.com/{st.full_name}",
                    "private": False,
                },
            )
        elif rest == "/issues" and method == "GET":
            self._send_issues(st, path, query)
        elif rest == "/issues" and method == "POST":
            issue = self.owner.add_issue(
                st.full_name,
                body["title"],
                labels=body.get("labels"),
                body=body.get("body", ""),
                user="github-actions[bot]",
            )
            self._send(201, issue)
        elif mm := re.fullmatch(r"/issues/(\d+)", rest):
            issue = self._issue(st, int(mm.group(1)))
            if method == "PATCH":
                self._edit(issue, body)
            self._send(200, issue)
        elif mm := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(mm.group(1))
            issue = self._issue(st, number)
            if method == "POST":
                cid = self.owner.new_id()
                comment = {
                    "id": cid,
                    "body": body.get("body", ""),
                    "created_at": now_iso(),
                    "updated_at": now_iso(),
                    "user": {"login": "github-actions[bot]"},
                    "url": f"{base}/issues/comments/{cid}",
                    "html_url": f"{issue['html_url']}#issuecomment-{cid}",
                }
                st.comments[number].append(comment)
                issue["comments"] = len(st.comments[number])
                self._send(201, comment)
            else:
                self._page(st.comments[number], query, path)
        elif mm := re.fullmatch(r"/labels/(.+)", rest):
            label = st.labels.get(mm.group(1))
            if label is None:
                raise _NotFound
            self._send(200, label)
        elif rest == "/labels" and method == "POST":
            label = self.owner._label(body["name"]) | {
                "color": body.get("color", "ededed"),
                "description": body.get("description"),
            }
            st.labels[body["name"]] = label
            self._send(201, label)
        elif rest == "/releases" and method == "GET":
            self._page(st.releases, query, path)
        elif mm := re.fullmatch(r"/contents/(.+)", rest):
            ref = query.get("ref", "main")
            data = st.contents.get((mm.group(1), ref))
            if data is None:
                raise _NotFound
            self._send(
                200,
                {
                    "type": "file",
                    "encoding": "base64",
                    "name": mm.group(1).split("/")[-1],
                    "path": mm.group(1),
                    "size": len(data),
                    "sha": "0" * 40,
                    "url": f"{base}/contents/{mm.group(1)}?ref={ref}",
                    "content": base64.b64encode(data).decode(),
                },
            )
        elif mm := re.fullmatch(r"/git/ref/tags/(.+)", rest):
            obj = st.tags.get(mm.group(1))
            if obj is None:
                raise _NotFound
            url = f"{base}/git/refs/tags/{mm.group(1)}"
            self._send(200, {"ref": f"refs/tags/{mm.group(1)}", "url": url, "object": obj})
        elif (mm := re.fullmatch(r"/git/refs/tags/(.+)", rest)) and method == "DELETE":
            if st.tags.pop(mm.group(1), None) is None:
                raise _NotFound
            self._send(204, None)
        elif (mm := re.fullmatch(r"/releases/(\d+)", rest)) and method == "DELETE":
            before = len(st.releases)
            st.releases[:] = [r for r in st.releases if r["id"] != int(mm.group(1))]
            if len(st.releases) == before:
                raise _NotFound
            self._send(204, None)
        elif mm := re.fullmatch(r"/git/(?:tags|commits)/([0-9a-f]{40})", rest):
            obj = st.git_objects.get(mm.group(1))
            if obj is None:
                raise _NotFound
            self._send(200, obj)
        elif mm := re.fullmatch(r"/actions/runs/(\d+)", rest):
            run = st.runs.get(int(mm.group(1)))
            if run is None:
                raise _NotFound
            # GitHub's run object names its jobs list; PyGithub's WorkflowRun.jobs() follows it.
            self._send(200, {"jobs_url": f"{base}/actions/runs/{mm.group(1)}/jobs", **run})
        elif mm := re.fullmatch(r"/actions/runs/(\d+)/jobs", rest):
            jobs = st.jobs.get(int(mm.group(1)))
            if jobs is None:
                raise _NotFound
            self._page(jobs, query, path, wrap="jobs")
        else:
            raise _NotFound

    def _issue(self, st: RepoState, number: int) -> dict[str, Any]:
        if not 1 <= number <= len(st.issues):
            raise _NotFound
        return st.issues[number - 1]

    def _edit(self, issue: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("title", "body"):
            if key in body:
                issue[key] = body[key]
        if "state" in body:
            issue["state"] = body["state"]
            issue["closed_at"] = None if body["state"] == "open" else now_iso()
            issue["state_reason"] = body.get("state_reason") or (
                "reopened" if body["state"] == "open" else "completed"
            )
        if "labels" in body:
            issue["labels"] = [self.owner._label(n) for n in body["labels"]]
        issue["updated_at"] = now_iso()

    def _send_issues(self, st: RepoState, path: str, query: dict[str, str]) -> None:
        state = query.get("state", "open")
        wanted = [x for x in query.get("labels", "").split(",") if x]
        items = []
        for issue in reversed(st.issues):  # newest first, like GitHub's default sort
            if state != "all" and issue["state"] != state:
                continue
            names = {lab["name"] for lab in issue["labels"]}
            if not all(w in names for w in wanted):
                continue
            if "creator" in query and issue["user"]["login"] != query["creator"]:
                continue
            items.append(issue)
        self._page(items, query, path)


class _NotFound(Exception):
    pass
