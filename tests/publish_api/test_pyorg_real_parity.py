"""Parity with the REAL pythondotorg app: the fake answers like it, and the client converges.

Skipped unless ``CPYTHON_RELEASE_PYDOTORG_URL`` points at pythondotorg's downloads API as
``fakes_pythonorg/realsite/run.py`` serves it (see that package's docstring for the setup).
The same requests go to the fake and to the real app; every answer must match (status, JSON
body and the Location/Allow/Retry-After headers, with ids, dates and ports masked).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import requests

from cpython_release.phase import ReleaseCycle
from cpython_release.publish.actions import Verb
from cpython_release.publish.pythonorg_api import PythonOrgAPI
from cpython_release.publish.pythonorg_sync import sync_release
from cpython_release.version import ReleaseVersion
from fakes_pythonorg import FakeState, start_server
from publish_api.pyorg_support import STAFF, V2_TOKEN, VIEWER, make_manifest

REAL = os.environ.get("CPYTHON_RELEASE_PYDOTORG_URL", "")
pytestmark = pytest.mark.skipif(not REAL, reason="CPYTHON_RELEASE_PYDOTORG_URL is not set")
RM = {"Authorization": f"ApiKey {STAFF[0]}:{STAFF[1]}"}
VIEW = {"Authorization": f"ApiKey {VIEWER[0]}:{VIEWER[1]}"}
FILES = "api/v1/downloads/release_file/"
Call = Callable[..., requests.Response]
Answer = tuple[int, str, dict[str, str]]


def norm(text: str) -> str:
    text = re.sub(r"/(release_file|release|os)/\d+/", r"/\1/N/", text)
    text = re.sub(r"release=\d+", "release=N", text)
    text = re.sub(r"attribute: \d+", "attribute: N", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", "DATE", text)
    return re.sub(r"127\.0\.0\.1:\d+", "HOST", text)


def answer(r: requests.Response) -> Answer:
    try:
        body = norm(json.dumps(r.json(), sort_keys=True))
    except ValueError:
        body = repr(r.content[:120])
    keep = ("Location", "Allow", "Retry-After")
    headers = {k: norm(r.headers[k]) for k in keep if k in r.headers}
    return r.status_code, body, headers


def runner(base: str) -> Call:
    def call(
        method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        return requests.request(method, base + path, headers=headers, timeout=30, **kw)

    return call


def script(call: Call, xyz: str) -> list[tuple[str, Answer]]:
    """Every rule the fake models, exercised once; the same calls on either server."""
    out: list[tuple[str, Answer]] = []

    def add(name: str, r: requests.Response) -> requests.Response:
        out.append((name, answer(r)))
        return r

    add("os", call("GET", "api/v1/downloads/os/?slug=windows"))
    for h in (
        "ApiKey rm:wrong",
        "ApiKey nobody:k",
        "ApiKey rmkey",
        "ApiKey rm:a:b",
        "Bearer rm:s3cret-key",
        "ApiKey",
    ):
        add(f"auth {h}", call("GET", "api/v1/downloads/os/", {"Authorization": h}))
    add("legacy", call("GET", f"api/v1/downloads/os/?username={STAFF[0]}&api_key={STAFF[1]}"))
    name = f"Python {xyz}"
    slug = "python-" + xyz.replace(".", "")
    rel = {"name": name, "slug": slug, "version": 3, "pre_release": False}
    loc = add("post release", call("POST", "api/v1/downloads/release/", RM, json=rel)).headers.get(
        "Location", ""
    )
    q = name.replace(" ", "+")
    add("get release", call("GET", loc.lstrip("/"), RM))
    add("anon list", call("GET", f"api/v1/downloads/release/?name={q}"))
    add("viewer list", call("GET", f"api/v1/downloads/release/?name={q}", VIEW))
    add("staff list", call("GET", f"api/v1/downloads/release/?name={q}", RM))
    add("anon detail", call("GET", loc.lstrip("/")))
    add("dup release", call("POST", "api/v1/downloads/release/", RM, json=rel))
    add(
        "bad date",
        call(
            "POST",
            "api/v1/downloads/release/",
            RM,
            json={"name": name + "x", "release_date": "yesterday"},
        ),
    )
    pk = loc.rstrip("/").rsplit("/", 1)[-1]
    url = f"https://www.python.org/ftp/python/{xyz}/Python-{xyz}.tar.xz"
    good = {
        "name": "XZ",
        "slug": f"{slug}-XZ",
        "os": "/api/v1/downloads/os/3/",
        "release": loc,
        "url": url,
        "sha256_sum": "0" * 64,
        "filesize": 3,
        "download_button": True,
        "sigstore_bundle_file": url + ".sigstore",
    }

    def v(**kw: Any) -> dict[str, Any]:
        return {k: x for k, x in {**good, **kw}.items() if x is not None}

    for case, data in {
        "no os": v(os=None),
        "no release": v(release=None),
        "bare release": v(release=int(pk)),
        "string pk": v(release=pk),
        "os uri as release": v(release="/api/v1/downloads/os/3/"),
        "unknown release": v(release="/api/v1/downloads/release/99999999/"),
        "http url": v(url="http://www.python.org/x.tgz", sigstore_bundle_file=""),
        "sidecar": v(sigstore_bundle_file=url + ".sig"),
        "gpg other": v(gpg_signature_file="https://www.python.org/o.asc"),
        "sbom host": v(sbom_spdx2_file="https://example.org/x.spdx.json"),
    }.items():
        add(case, call("POST", FILES, RM, json=data))
    add("non-json", call("POST", FILES, {**RM, "Content-Type": "application/json"}, data=b"{nope"))
    add("viewer valid", call("POST", FILES, VIEW, json=good))
    add("viewer invalid", call("POST", FILES, VIEW, json=v(os=None)))
    add("anon valid", call("POST", FILES, json=good))
    floc = add("create", call("POST", FILES, RM, json=good)).headers.get("Location", "")
    add("get file", call("GET", floc.lstrip("/"), RM))
    add("dup slug", call("POST", FILES, RM, json=v(url=url + "x", sigstore_bundle_file="")))
    add("dup url", call("POST", FILES, RM, json=v(slug=f"{slug}-o", download_button=False)))
    add(
        "2nd button",
        call("POST", FILES, RM, json=v(slug=f"{slug}-p", url=url + "y", sigstore_bundle_file="")),
    )
    add(
        "win button",
        call(
            "POST",
            FILES,
            RM,
            json=v(
                slug=f"{slug}-w",
                url=url + "z",
                sigstore_bundle_file="",
                os="/api/v1/downloads/os/1/",
            ),
        ),
    )
    for m in ("PUT", "PATCH"):
        add(f"{m} file", call(m, floc.lstrip("/"), RM, json={"name": "x"}))
        add(f"{m} release", call(m, loc.lstrip("/"), RM, json={"is_published": True}))
        add(f"{m} anon", call(m, loc.lstrip("/"), json={"is_published": True}))
    add("post detail", call("POST", floc.lstrip("/"), RM, json={}))
    add("filter release", call("GET", f"{FILES}?release={pk}", RM))
    add("filter slug", call("GET", f"{FILES}?slug={slug}-w"))
    add("filter name", call("GET", f"{FILES}?name=XZ&release={pk}"))
    add("filter url", call("GET", f"{FILES}?url={url}"))
    add("filter release abc", call("GET", f"{FILES}?release=abc"))
    add("filter os__slug", call("GET", f"{FILES}?os__slug=windows&release={pk}"))
    add("limit", call("GET", f"{FILES}?release={pk}&limit=1"))
    add("del list none", call("DELETE", FILES, RM))
    add("del list extra", call("DELETE", f"{FILES}?release={pk}&slug=x", RM))
    add("del list viewer", call("DELETE", f"{FILES}?release={pk}", VIEW))
    add("del one viewer", call("DELETE", floc.lstrip("/"), VIEW))
    add("del one", call("DELETE", floc.lstrip("/"), RM))
    add("del one again", call("DELETE", floc.lstrip("/"), RM))
    add("get gone", call("GET", floc.lstrip("/"), RM))
    add("del list", call("DELETE", f"{FILES}?release={pk}", RM))
    add("after del", call("GET", f"{FILES}?release={pk}", RM))
    add("del os list", call("DELETE", "api/v1/downloads/os/", RM))
    # The credentials check: release 0 does not exist; only staff may DELETE ?release=0,
    # which matches nothing; the v2 token's OPTIONS lists POST only for staff.
    add("get release 0", call("GET", "api/v1/downloads/release/0/", RM))
    add("del release=0 viewer", call("DELETE", f"{FILES}?release=0", VIEW))
    add("del release=0 anon", call("DELETE", f"{FILES}?release=0"))
    add("del release=0 staff", call("DELETE", f"{FILES}?release=0", RM))
    for who, h in (("staff", f"Token {V2_TOKEN}"), ("bad", "Token nope"), ("anon", "")):
        r = call("OPTIONS", "api/v2/downloads/release/", {"Authorization": h} if h else {})
        actions = r.json().get("actions", {}) if r.status_code == 200 else {}
        out.append((f"v2 options {who}", (r.status_code, str(sorted(actions)), {})))
    v2 = f"api/v2/downloads/release/{pk}/"
    hj = {"Content-Type": "application/json"}
    publish = json.dumps(
        {
            "is_published": True,
            "is_latest": True,
            "pre_release": True,
            "release_date": "2026-12-02T10:00:00Z",
            "release_notes_url": "https://docs.python.org/release/x/",
        }
    )
    add("v2 anon", call("PATCH", v2, hj, data=publish))
    add("v2 bad token", call("PATCH", v2, {**hj, "Authorization": "Token nope"}, data=publish))
    add("v2 ok", call("PATCH", v2, {**hj, "Authorization": f"Token {V2_TOKEN}"}, data=publish))
    add("v1 after v2", call("GET", loc.lstrip("/"), RM))
    add("anon list after", call("GET", f"api/v1/downloads/release/?name={q}"))
    add("del release", call("DELETE", loc.lstrip("/"), RM))
    return out


def test_the_fake_answers_like_pythondotorg() -> None:
    xyz = f"3.99.{secrets.randbelow(10**6)}"  # a release the real database has never seen
    state = FakeState()
    state.add_user(*STAFF, v2_token=V2_TOKEN)
    state.add_user(*VIEWER, is_staff=False)
    with start_server(state) as server:
        fake = script(runner(server.base_url), xyz)
    real = script(runner(REAL), xyz)
    assert [n for n, _ in fake] == [n for n, _ in real]
    diffs = [
        f"{n}:\n  fake {a}\n  real {b}" for (n, a), (_, b) in zip(fake, real, strict=True) if a != b
    ]
    assert not diffs, "\n".join(diffs)
    assert len(fake) >= 60


def test_the_client_converges_on_pythondotorg() -> None:
    version = ReleaseVersion.parse(f"3.98.{secrets.randbelow(10**6)}")
    api = PythonOrgAPI(REAL, *STAFF, v2_token=V2_TOKEN)
    manifest = make_manifest(str(version))
    first = sync_release(api, manifest, version)
    assert first.count(Verb.CREATE) == 14 and first.count(Verb.UPDATE) == 1
    changed = make_manifest(str(version), changed=(f"Python-{version}.tgz",))
    second = sync_release(api, changed, version, prune=True)
    assert second.count(Verb.REPLACE) == 1 and second.count(Verb.CREATE) == 0
    third = sync_release(api, changed, version, prune=True)
    assert not third.changed()
    release = api.find_release(f"Python {version}")
    assert release is not None and release.is_published
    files = api.list_files(release)
    assert len(files) == 13
    api.request("DELETE", api.absolute(release.uri), ok=(204,))  # clean the database up


def test_is_latest_and_every_field_on_pythondotorg() -> None:
    """Two finals of the newest stable minor: each is created complete, published latest in
    one PATCH, and the second demotes the first (pythondotorg's promote_latest_release)."""
    cycle = ReleaseCycle({"3.199": {"status": "bugfix"}}, "test data")
    api = PythonOrgAPI(REAL + "api/v1/", *STAFF, v2_token=V2_TOKEN)  # release-tools' form
    names = ("Python 3.199.1", "Python 3.199.2")
    for name in names:
        for leftover in api.list_releases({"name": name}):
            api.request("DELETE", api.absolute(leftover.uri), ok=(204,))
    try:
        for text, date in (("3.199.1", "2026-12-01"), ("3.199.2", "2026-12-02T18:30:00Z")):
            version = ReleaseVersion.parse(text)
            result = sync_release(api, make_manifest(text), version, cycle=cycle, release_date=date)
            assert result.release is not None and result.release.latest.value is True
        first, second = (api.find_release(n) for n in names)
        assert first is not None and second is not None
        assert second.is_latest and second.is_published and not first.is_latest
        assert second.release_date.startswith("2026-12-02T18:30:00")
        assert second.release_notes_url == (
            "https://docs.python.org/release/3.199.2/whatsnew/changelog.html#python-3-199-2-final"
        )
        assert not second.pre_release
        # A re-run of the older one never takes the flag back.
        again = sync_release(
            api, make_manifest("3.199.1"), ReleaseVersion.parse("3.199.1"), cycle=cycle
        )
        assert again.release is not None and again.release.latest.value is False
        assert not again.changed()
    finally:
        for name in names:
            found = api.find_release(name)
            if found is not None:
                api.request("DELETE", api.absolute(found.uri), ok=(204,))
