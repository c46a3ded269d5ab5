"""The fake python.org API obeys pythondotorg's rules (checked with plain HTTP, no client)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from fakes_pythonorg import CANNED_500, FakeClock, FakeServer, FakeState
from publish_api.pyorg_support import STAFF, V2_TOKEN, VIEWER

RM = {"Authorization": f"ApiKey {STAFF[0]}:{STAFF[1]}"}
VIEW = {"Authorization": f"ApiKey {VIEWER[0]}:{VIEWER[1]}"}
URL = "https://www.python.org/ftp/python/3.14.0/Python-3.14.0rc2.tar.xz"


class Client:
    def __init__(self, server: FakeServer) -> None:
        self.base = server.base_url
        self.state = server.state

    def __call__(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        return requests.request(method, self.base + path, headers=headers, timeout=10, **kw)


@pytest.fixture
def http(pyorg: FakeServer) -> Client:
    return Client(pyorg)


@pytest.fixture
def release(fake_state: FakeState) -> int:
    return fake_state.add_release("Python 3.14.0rc2", slug="python-3140rc2")


def body(rel: int, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "XZ compressed source tarball",
        "slug": "3140-rc2-XZ-compressed-source-tarball",
        "os": "/api/v1/downloads/os/3/",
        "release": f"/api/v1/downloads/release/{rel}/",
        "url": URL,
        "sha256_sum": "0" * 64,
        "filesize": 10,
        "download_button": True,
        "sigstore_bundle_file": URL + ".sigstore",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    "authorization",
    [
        f"ApiKey {STAFF[0]}:wrong",  # wrong key
        "ApiKey nobody:key",  # unknown user
        f"ApiKey {STAFF[0]}{STAFF[1]}",  # no colon: malformed
        f"ApiKey {STAFF[0]}:{STAFF[1]}:x",  # two colons
        f"ApiKey :{STAFF[1]}",  # empty username
        f"Bearer {STAFF[0]}:{STAFF[1]}",  # another scheme
        "ApiKey",  # no data
    ],
)
def test_bad_credentials_get_401_with_empty_body(http: Client, authorization: str) -> None:
    r = http("GET", "api/v1/downloads/os/", {"Authorization": authorization})
    assert (r.status_code, r.content) == (401, b"")


def test_inactive_user_and_legacy_query_credentials_get_401(
    http: Client, fake_state: FakeState
) -> None:
    fake_state.add_user("gone", "k", is_active=False)
    gone = {"Authorization": "ApiKey gone:k"}
    assert http("GET", "api/v1/downloads/os/", gone).status_code == 401
    # resources.py _has_legacy_credentials: never in the query string, even when correct.
    r = http("GET", f"api/v1/downloads/os/?username={STAFF[0]}&api_key={STAFF[1]}")
    assert (r.status_code, r.content) == (401, b"")


def test_anonymous_readers_see_only_published_releases(
    http: Client, fake_state: FakeState, release: int
) -> None:
    published = fake_state.add_release("Python 3.13.5", is_published=True)
    anon = http("GET", "api/v1/downloads/release/").json()
    assert [o["name"] for o in anon["objects"]] == ["Python 3.13.5"]
    staff = http("GET", "api/v1/downloads/release/", RM).json()
    assert [o["name"] for o in staff["objects"]] == ["Python 3.13.5", "Python 3.14.0rc2"]
    viewer = http("GET", "api/v1/downloads/release/", VIEW).json()  # not staff: like anonymous
    assert [o["name"] for o in viewer["objects"]] == ["Python 3.13.5"]
    assert http("GET", f"api/v1/downloads/release/{release}/").status_code == 401
    assert http("GET", f"api/v1/downloads/release/{published}/").status_code == 200
    assert http("GET", "api/v1/downloads/release/?name=Python+3.14.0rc2").json()["objects"] == []


def test_post_gives_201_with_empty_body_and_location(
    http: Client, fake_state: FakeState, release: int
) -> None:
    r = http("POST", "api/v1/downloads/release_file/", RM, json=body(release))
    assert r.status_code == 201 and r.content == b""
    location = r.headers["Location"]
    assert location.startswith("/api/v1/downloads/release_file/")
    got = http("GET", location.lstrip("/"), RM).json()
    assert got["url"] == URL and got["os"] == "/api/v1/downloads/os/3/"
    assert got["release"] == f"/api/v1/downloads/release/{release}/"
    assert got["resource_uri"] == location and "id" not in got


def test_unknown_keys_are_ignored_and_slug_defaults_to_slugified_name(
    http: Client, fake_state: FakeState, release: int
) -> None:
    data = body(release, sha256sum="typo", slug="")
    r = http("POST", "api/v1/downloads/release_file/", RM, json=data)
    assert r.status_code == 201
    rec = fake_state.files[int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])]
    assert rec["sha256_sum"] == "0" * 64 and "sha256sum" not in rec
    assert rec["slug"] == "xz-compressed-source-tarball"


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        (
            {"os": None},
            400,
            {"error": "The 'os' field has no data and doesn't allow a default or null value."},
        ),
        ({"release": None}, 400, None),
        (
            {"release": 7},
            400,
            {
                "error": "The 'release' field was given data that was not a URI, "
                "not a dictionary-alike and does not have a 'pk' "
                "attribute: 7."
            },
        ),
        ({"release": "/api/v1/downloads/release/999999/"}, 400, None),
        ({"os": "/api/v1/downloads/release/3/"}, 404, {"error_message": CANNED_500}),
        (
            {"url": "http://www.python.org/ftp/python/x.tgz", "sigstore_bundle_file": ""},
            400,
            {
                "downloads/release_file": {
                    "url": ["Release file URLs must begin with 'https://www.python.org/'."]
                }
            },
        ),
        ({"url": "https://evil.example/x.tgz", "sigstore_bundle_file": ""}, 400, None),
        (
            {"sigstore_bundle_file": URL + ".sig"},
            400,
            {
                "downloads/release_file": {
                    "sigstore_bundle_file": [
                        "Sidecar URL must match the artifact URL plus '.sigstore'."
                    ]
                }
            },
        ),
        ({"gpg_signature_file": "https://www.python.org/other.tgz.asc"}, 400, None),
        ({"sbom_spdx2_file": URL + ".spdx"}, 400, None),
    ],
)
def test_release_file_validation(
    http: Client,
    release: int,
    change: dict[str, Any],
    status: int,
    expected: dict[str, Any] | None,
) -> None:
    data = body(release, **change)
    data = {k: v for k, v in data.items() if v is not None}
    r = http("POST", "api/v1/downloads/release_file/", RM, json=data)
    assert r.status_code == status, r.text
    if expected is not None:
        assert r.json() == expected
    assert http.state.files == {}


def test_missing_release_is_400(http: Client, release: int) -> None:
    data = body(release)
    del data["release"]
    r = http("POST", "api/v1/downloads/release_file/", RM, json=data)
    assert r.status_code == 400
    assert "'release' field has no data" in r.json()["error"]


def test_non_json_body_is_400(http: Client, release: int) -> None:
    r = http(
        "POST",
        "api/v1/downloads/release_file/",
        {**RM, "Content-Type": "application/json"},
        data=b"{not json",
    )
    assert (r.status_code, r.json()) == (400, {"error": "Request is not valid JSON."})


def test_release_creation_and_bad_date(http: Client, fake_state: FakeState) -> None:
    bad = {"name": "Python 3.14.0rc3", "release_date": "yesterday"}
    r = http("POST", "api/v1/downloads/release/", RM, json=bad)
    assert r.status_code == 400 and "release_date" in r.json()["error"]
    good = {
        "name": "Python 3.14.0rc3",
        "slug": "python-3140rc3",
        "version": 3,
        "pre_release": True,
        "release_date": "2026-10-07T12:00:00",
    }
    r = http("POST", "api/v1/downloads/release/", RM, json=good)
    assert r.status_code == 201 and r.content == b""
    rec = fake_state.releases[int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])]
    assert rec["is_published"] is False and rec["pre_release"] is True
    dup = http("POST", "api/v1/downloads/release/", RM, json=good)  # same slug
    assert (dup.status_code, dup.json()) == (500, {"error_message": CANNED_500})


def test_writes_need_staff(http: Client, fake_state: FakeState, release: int) -> None:
    r = http("POST", "api/v1/downloads/release_file/", VIEW, json=body(release))
    assert (r.status_code, r.content) == (401, b"")
    r = http("POST", "api/v1/downloads/release_file/", json=body(release))  # anonymous
    assert r.status_code == 401
    pk = fake_state.add_file(release, "source", name="x", slug="x", url=URL)
    assert http("DELETE", f"api/v1/downloads/release_file/{pk}/", VIEW).status_code == 401
    assert (
        http("DELETE", f"api/v1/downloads/release_file/?release={release}", VIEW).status_code == 401
    )
    assert pk in fake_state.files


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("resource", ["release_file", "release"])
def test_put_and_patch_are_405(
    http: Client, fake_state: FakeState, release: int, method: str, resource: str
) -> None:
    pk = release if resource == "release" else fake_state.add_file(release, "source", url=URL)
    r = http(method, f"api/v1/downloads/{resource}/{pk}/", RM, json={"is_published": True})
    assert r.status_code == 405 and r.headers["Allow"] == "GET,DELETE"
    # The method check comes before authentication (tastypie dispatch).
    assert http(method, f"api/v1/downloads/{resource}/{pk}/").status_code == 405
    assert fake_state.releases[release]["is_published"] is False


def test_duplicates_and_second_download_button_are_500(
    http: Client, fake_state: FakeState, release: int
) -> None:
    assert http("POST", "api/v1/downloads/release_file/", RM, json=body(release)).status_code == 201
    other = URL.replace(".tar.xz", ".tgz")
    cases = [
        body(release, url=other, sigstore_bundle_file=""),  # same slug
        body(release, slug="another", download_button=False),  # same url
        body(release, slug="another", url=other, sigstore_bundle_file=""),  # 2nd source button
    ]
    for data in cases:
        r = http("POST", "api/v1/downloads/release_file/", RM, json=data)
        assert (r.status_code, r.json()) == (500, {"error_message": CANNED_500})
    assert len(fake_state.files) == 1
    # The button is per OS: a Windows file may have one too.
    win = body(
        release,
        slug="win",
        os="/api/v1/downloads/os/1/",
        url=URL.replace("Python-3.14.0rc2.tar.xz", "python-3.14.0rc2-amd64.exe"),
        sigstore_bundle_file="",
    )
    assert http("POST", "api/v1/downloads/release_file/", RM, json=win).status_code == 201


def test_get_filters_and_pagination(http: Client, fake_state: FakeState, release: int) -> None:
    other = fake_state.add_release("Python 3.14.0rc1")
    for i in range(45):
        fake_state.add_file(
            release,
            "windows",
            name=f"f{i:02}",
            slug=f"s{i}",
            url=f"https://www.python.org/ftp/python/3.14.0/f{i}",
        )
    fake_state.add_file(
        other, "source", name="old", slug="old", url="https://www.python.org/ftp/python/3.14.0/old"
    )
    first = http("GET", f"api/v1/downloads/release_file/?release={other}", RM).json()
    assert [o["slug"] for o in first["objects"]] == ["old"]
    page = http("GET", f"api/v1/downloads/release_file/?release={release}", RM).json()
    assert page["meta"]["total_count"] == 45 and len(page["objects"]) == 20
    seen = [o["slug"] for o in page["objects"]]
    while page["meta"]["next"]:
        page = http("GET", page["meta"]["next"].lstrip("/"), RM).json()
        seen.extend(o["slug"] for o in page["objects"])
    assert sorted(seen) == sorted(f"s{i}" for i in range(45))
    assert [
        o["name"] for o in http("GET", "api/v1/downloads/release_file/?slug=s7").json()["objects"]
    ] == ["f07"]
    assert http("GET", "api/v1/downloads/release_file/?name=f08").json()["meta"]["total_count"] == 1
    assert (
        http("GET", "api/v1/downloads/os/?slug=source").json()["objects"][0]["resource_uri"]
        == "/api/v1/downloads/os/3/"
    )
    # Filtering on a field the resource does not allow is a 400; unknown keys are ignored.
    r = http("GET", f"api/v1/downloads/release_file/?url={URL}")
    assert r.status_code == 400 and "does not allow filtering" in r.json()["error"]
    assert http("GET", "api/v1/downloads/release_file/?release=/api/v1/x/").status_code == 400
    assert http("GET", "api/v1/downloads/os/?format=json").status_code == 200


def test_delete_one_and_all_files_of_a_release(
    http: Client, fake_state: FakeState, release: int
) -> None:
    other = fake_state.add_release("Python 3.14.0rc1")
    keep = fake_state.add_file(other, "source", slug="keep", url=URL + "1")
    pks = [fake_state.add_file(release, "source", slug=f"s{i}", url=f"{URL}{i}x") for i in range(3)]
    r = http("DELETE", f"api/v1/downloads/release_file/{pks[0]}/", RM)
    assert (r.status_code, r.content) == (204, b"")
    assert http("DELETE", f"api/v1/downloads/release_file/{pks[0]}/", RM).status_code == 404
    for bad in ("", f"?release={release}&release={other}", f"?release={release}&slug=s1"):
        r = http("DELETE", f"api/v1/downloads/release_file/{bad}", RM)
        assert r.status_code == 400, bad
        assert "exactly one 'release' filter" in r.json()["error"]
    assert (
        http("DELETE", f"api/v1/downloads/release_file/?release={release}", RM).status_code == 204
    )
    assert set(fake_state.files) == {keep}
    assert http("DELETE", "api/v1/downloads/os/", RM).status_code == 405


def test_throttle_429_after_the_limit(
    http: Client, fake_state: FakeState, clock: FakeClock
) -> None:
    fake_state.throttle_at = 3
    for _ in range(3):
        assert http("GET", "api/v1/downloads/os/", RM).status_code == 200
    r = http("GET", "api/v1/downloads/os/", RM)
    assert r.status_code == 429 and r.headers["Retry-After"] == "3600"
    # Per user: anonymous readers have their own count; rejected requests are not counted.
    assert http("GET", "api/v1/downloads/os/").status_code == 200
    clock.sleep(1800)
    assert http("GET", "api/v1/downloads/os/", RM).headers["Retry-After"] == "1800"
    clock.sleep(1801)
    assert http("GET", "api/v1/downloads/os/", RM).status_code == 200


def test_failed_requests_do_not_count_for_the_throttle(
    http: Client, fake_state: FakeState, release: int
) -> None:
    fake_state.throttle_at = 2
    for _ in range(5):  # 400s are raised out of the handler: tastypie logs no access
        assert http("POST", "api/v1/downloads/release_file/", RM, json={}).status_code == 400
    assert http("GET", "api/v1/downloads/os/", RM).status_code == 200


def test_injected_faults(http: Client, fake_state: FakeState, release: int) -> None:
    fake_state.fail_posts = {1: "before", 2: "after"}
    r1 = http("POST", "api/v1/downloads/release_file/", RM, json=body(release))
    assert r1.status_code == 500 and fake_state.files == {}
    r2 = http("POST", "api/v1/downloads/release_file/", RM, json=body(release))
    assert r2.status_code == 500 and len(fake_state.files) == 1  # saved, answer lost
    fake_state.fail_requests = {fake_state.requests + 1}
    assert http("GET", "api/v1/downloads/os/", RM).status_code == 503
    assert http("GET", "api/v1/downloads/os/", RM).status_code == 200
    assert len(fake_state.snapshots) == fake_state.requests


def test_api_v2_patch_publishes_a_release(
    http: Client, fake_state: FakeState, release: int
) -> None:
    path = f"api/v2/downloads/release/{release}/"
    data = json.dumps({"is_published": True})
    hdr = {"Content-Type": "application/json"}
    assert http("PATCH", path, hdr, data=data).status_code == 401
    assert http("PATCH", path, {**hdr, "Authorization": "Token nope"}, data=data).status_code == 401
    fake_state.add_user("helper", "k", is_staff=False, v2_token="t2")
    assert http("PATCH", path, {**hdr, "Authorization": "Token t2"}, data=data).status_code == 403
    assert fake_state.releases[release]["is_published"] is False
    r = http("PATCH", path, {**hdr, "Authorization": f"Token {V2_TOKEN}"}, data=data)
    assert r.status_code == 200 and r.json()["is_published"] is True
    assert fake_state.releases[release]["is_published"] is True
