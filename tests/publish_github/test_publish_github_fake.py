"""The fake GitHub itself, spoken to with plain ``requests``: GitHub's documented behaviour."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from fakes_github import FakeGitHub, Logged, github_asset_name
from fakes_github.release_dir import REPO
from fakes_github.server import _Handler


def call(
    gh: FakeGitHub, method: str, path: str, *, token: str | None = "", **kw: Any
) -> requests.Response:
    headers = kw.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token or gh.token}"
    url = path if path.startswith("http") else gh.base_url + path
    return requests.request(method, url, headers=headers, timeout=10, allow_redirects=False, **kw)


def create(gh: FakeGitHub, tag: str, **fields: Any) -> dict[str, Any]:
    r = call(gh, "POST", f"/repos/{REPO}/releases", json={"tag_name": tag, **fields})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def upload(gh: FakeGitHub, rel: dict[str, Any], name: str, data: bytes) -> requests.Response:
    url = rel["upload_url"].split("{")[0]
    return call(
        gh,
        "POST",
        url,
        params={"name": name},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def test_auth(github: FakeGitHub) -> None:
    assert call(github, "GET", f"/repos/{REPO}", token="wrong").status_code == 401
    assert call(github, "GET", f"/repos/{REPO}", token="wrong").json()["message"] == (
        "Bad credentials"
    )
    anonymous = call(github, "POST", f"/repos/{REPO}/releases", token=None, json={"tag_name": "x"})
    assert anonymous.status_code == 401
    assert call(github, "GET", f"/repos/{REPO}", token=None).status_code == 200  # public read
    assert call(github, "GET", "/repos/octo/missing").status_code == 404


def test_drafts_are_invisible_by_tag_and_to_anonymous_callers(github: FakeGitHub) -> None:
    draft = create(github, "v1", draft=True)
    assert draft["published_at"] is None and "untagged-" in draft["html_url"]
    assert call(github, "GET", f"/repos/{REPO}/releases/tags/v1").status_code == 404
    listed = call(github, "GET", f"/repos/{REPO}/releases").json()
    assert [r["id"] for r in listed] == [draft["id"]]
    assert call(github, "GET", f"/repos/{REPO}/releases", token=None).json() == []
    assert github.state.repo(REPO).tags == {}  # a draft has no tag yet
    published = call(github, "PATCH", draft["url"], json={"draft": False}).json()
    assert published["published_at"] is not None
    assert call(github, "GET", f"/repos/{REPO}/releases/tags/v1").json()["id"] == draft["id"]
    assert "v1" in github.state.repo(REPO).tags


def test_one_published_release_per_tag_but_drafts_may_repeat(github: FakeGitHub) -> None:
    create(github, "v2")
    dup = call(github, "POST", f"/repos/{REPO}/releases", json={"tag_name": "v2"})
    assert dup.status_code == 422
    assert dup.json()["errors"][0]["code"] == "already_exists"
    create(github, "v2", draft=True)
    create(github, "v2", draft=True)
    assert len(github.state.releases(REPO)) == 3


def test_assets_upload_duplicate_digest_download_delete(github: FakeGitHub) -> None:
    rel = create(github, "v3", draft=True)
    data = b"payload" * 1000
    first = upload(github, rel, "file.tgz", data)
    assert first.status_code == 201
    asset = first.json()
    assert asset["state"] == "uploaded" and asset["size"] == len(data)
    assert asset["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    again = upload(github, rel, "file.tgz", b"other")
    assert again.status_code == 422
    assert again.json()["errors"][0] == {
        "resource": "ReleaseAsset",
        "code": "already_exists",
        "field": "name",
    }
    # Binary download: a 302 to signed storage on the same host, which needs no token.
    redirect = call(github, "GET", asset["url"], headers={"Accept": "application/octet-stream"})
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert location.startswith(github.base_url)
    assert call(github, "GET", location, token=None).content == data
    assert call(github, "GET", location.split("?")[0], token=None).status_code == 403
    assert call(github, "GET", asset["url"]).json()["name"] == "file.tgz"  # JSON by default
    # A draft's assets are not public.
    assert call(github, "GET", asset["browser_download_url"], token=None).status_code == 404
    assert call(github, "DELETE", asset["url"]).status_code == 204
    assert call(github, "GET", asset["url"]).status_code == 404


def test_upload_needs_token_content_type_and_renames_odd_names(github: FakeGitHub) -> None:
    rel = create(github, "v4", draft=True)
    url = rel["upload_url"].split("{")[0]
    assert url.startswith(github.base_url + "/api/uploads/")
    no_token = call(
        github,
        "POST",
        url,
        token=None,
        params={"name": "a"},
        data=b"x",
        headers={"Content-Type": "text/plain"},
    )
    assert no_token.status_code == 401
    assert call(github, "POST", url, params={"name": "a"}, data=b"x").status_code == 422
    odd = upload(github, rel, "dir/a b+c.txt.", b"x")
    assert odd.json()["name"] == "dir.a.b.c.txt" == github_asset_name("dir/a b+c.txt.")


def test_pagination_link_headers(github: FakeGitHub) -> None:
    rel = create(github, "v5", draft=True)
    for i in range(5):
        upload(github, rel, f"f{i}", b"x")
    first = call(github, "GET", f"{rel['assets_url']}?per_page=2")
    assert [a["name"] for a in first.json()] == ["f0", "f1"]
    assert first.links["next"]["url"].endswith("per_page=2&page=2")
    assert first.links["last"]["url"].endswith("page=3")
    last = call(github, "GET", first.links["last"]["url"])
    assert [a["name"] for a in last.json()] == ["f4"] and "next" not in last.links
    capped = call(github, "GET", f"{rel['assets_url']}?per_page=1000")
    assert len(capped.json()) == 5


def test_faults(github: FakeGitHub) -> None:
    rel = create(github, "v6", draft=True)
    github.state.inject("POST", r"/assets$", kind="drop", after_bytes=3)
    with pytest.raises(requests.ConnectionError):
        upload(github, rel, "big", b"0123456789" * 10000)
    starter = call(github, "GET", rel["assets_url"]).json()
    assert [(a["name"], a["state"], a["digest"]) for a in starter] == [("big", "starter", None)]
    assert upload(github, rel, "big", b"x").status_code == 422  # must be deleted first
    github.state.inject("GET", r"/releases$", status=503, times=2)
    assert call(github, "GET", f"/repos/{REPO}/releases").status_code == 503
    assert call(github, "GET", f"/repos/{REPO}/releases").status_code == 503
    assert call(github, "GET", f"/repos/{REPO}/releases").status_code == 200
    assert [e.status for e in github.state.requests("GET", r"/releases$")] == [503, 503, 200]


def test_a_request_is_logged_before_its_response_is_sent(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a client holds a response, ``state.log`` must already hold the request.

    Logging after the reply raced the client: a test reading the log right after a call
    could miss that call (a publish PATCH not found, one write too few counted).
    """
    seen: list[tuple[str, int, Logged | None]] = []
    send = _Handler._send

    def checking_send(handler: _Handler, reply: Any) -> None:
        with github.state.lock:
            last = github.state.log[-1] if github.state.log else None
        seen.append((handler.command, reply.status, last))
        send(handler, reply)

    monkeypatch.setattr(_Handler, "_send", checking_send)
    rel = create(github, "v7", draft=True)
    github.state.inject("GET", r"/releases$", status=503, times=1)
    assert call(github, "GET", f"/repos/{REPO}/releases").status_code == 503
    assert call(github, "PATCH", rel["url"], json={"draft": False}).status_code == 200
    assert seen == [
        ("POST", 201, Logged("POST", f"/repos/{REPO}/releases", 201)),
        ("GET", 503, Logged("GET", f"/repos/{REPO}/releases", 503)),
        ("PATCH", 200, Logged("PATCH", f"/repos/{REPO}/releases/{rel['id']}", 200)),
    ]
