"""The Release record (every field), is_latest, credentials checks, 429 and the API base,
against the python.org contract server."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from cpython_release.errors import EXIT_BAD_INPUT, BadInput
from cpython_release.phase import ReleaseCycle
from cpython_release.publish.actions import Verb
from cpython_release.publish.journal import Journal
from cpython_release.publish.pythonorg_api import (
    APIError,
    AuthenticationFailed,
    PythonOrgAPI,
    RateLimited,
    RemoteRelease,
    site_root,
)
from cpython_release.publish.pythonorg_release import (
    decide_latest,
    parse_release_date,
    release_notes_url,
)
from cpython_release.publish.pythonorg_sync import ReleaseNotPublished, sync_release
from cpython_release.version import ReleaseVersion
from fakes_pythonorg import FakeClock, FakeServer, FakeState
from publish_api.pyorg_support import V2_TOKEN, VIEWER, make_manifest

CYCLE = ReleaseCycle(
    {
        "3.16": {"status": "feature"},
        "3.15": {"status": "prerelease"},
        "3.14": {"status": "bugfix"},
        "3.13": {"status": "security"},
    },
    "test data",
)


def finals(*names: str, latest: str = "") -> list[RemoteRelease]:
    return [
        RemoteRelease(
            f"/api/v1/downloads/release/{i}/",
            f"Python {n}",
            "",
            True,
            False,
            is_latest=(n == latest),
        )
        for i, n in enumerate(names, 1)
    ]


def v(text: str) -> ReleaseVersion:
    return ReleaseVersion.parse(text)


# --- pure rules ----------------------------------------------------------------------------
def test_release_notes_url_is_the_changelog_section_blurb_heads() -> None:
    base = "https://docs.python.org/release/"
    assert release_notes_url(v("3.14.0rc2")) == (
        f"{base}3.14.0rc2/whatsnew/changelog.html#python-3-14-0-release-candidate-2"
    )
    assert release_notes_url(v("3.13.5")) == (
        f"{base}3.13.5/whatsnew/changelog.html#python-3-13-5-final"
    )
    assert release_notes_url(v("3.15.0a1")).endswith("#python-3-15-0-alpha-1")
    assert release_notes_url(v("3.15.0b3")).endswith("#python-3-15-0-beta-3")


def test_release_dates_are_utc_instants() -> None:
    assert parse_release_date("2026-10-07") == "2026-10-07T00:00:00Z"
    assert parse_release_date("2026-10-07T14:30:00+02:00") == "2026-10-07T12:30:00Z"
    with pytest.raises(BadInput, match="expected YYYY-MM-DD"):
        parse_release_date("yesterday")


def test_is_latest_only_for_the_newest_final_of_the_newest_stable_minor() -> None:
    have = finals("3.14.1", "3.13.9", latest="3.14.1")
    got = decide_latest(v("3.14.2"), CYCLE, have)
    assert got.value is True and got.demotes == "Python 3.14.1"
    assert decide_latest(v("3.14.2rc1"), CYCLE, have).value is False
    older = decide_latest(v("3.13.10"), CYCLE, have)
    assert older.value is False and "3.14 is a newer stable minor" in older.reason
    # A re-publish of an older 3.14 final never takes the flag back.
    late = decide_latest(v("3.14.1"), CYCLE, finals("3.14.2", latest="3.14.2"))
    assert late.value is False and "already has Python 3.14.2" in late.reason
    # X.Y.0 final of the prerelease branch: it becomes the newest stable minor.
    assert decide_latest(v("3.15.0"), CYCLE, have).value is True
    # Records are trusted over stale release-cycle data.
    stale = decide_latest(v("3.14.3"), CYCLE, finals("3.15.0", "3.14.2"))
    assert stale.value is False and "3.15.0" in stale.reason
    unknown = decide_latest(v("3.99.0"), CYCLE, have)
    assert unknown.value is False and "not in the release-cycle data" in unknown.reason


def test_api_base_with_or_without_the_api_path() -> None:
    for given in (
        "https://www.python.org",
        "https://www.python.org/",
        "https://www.python.org/api/v1/",
        "https://www.python.org/api/v1",
        "https://www.python.org/api/",
    ):
        assert site_root(given) == "https://www.python.org/"
    assert site_root("http://127.0.0.1:8000/sub/api/v1/") == "http://127.0.0.1:8000/sub/"
    with pytest.raises(BadInput):
        site_root("www.python.org")


# --- against the contract server -------------------------------------------------------------
def test_a_final_is_created_complete_and_published_latest_in_one_patch(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState, pyorg: FakeServer
) -> None:
    old = fake_state.add_release(
        "Python 3.14.1", slug="python-3141", is_published=True, is_latest=True
    )
    journal = Journal()
    api = make_api(v2_token=V2_TOKEN, journal=journal)
    version = v("3.14.2")
    dry = sync_release(api, make_manifest("3.14.2"), version, cycle=CYCLE, dry_run=True)
    created = next(a for a in dry.actions if a.verb is Verb.CREATE)
    assert "is_latest=True (the newest final of 3.14" in created.detail
    assert (
        "demotes Python 3.14.1" in created.detail and fake_state.release_pk("Python 3.14.2") is None
    )
    result = sync_release(
        api, make_manifest("3.14.2"), version, cycle=CYCLE, release_date="2026-12-02"
    )
    pk = fake_state.release_pk("Python 3.14.2")
    assert pk is not None
    rel = fake_state.releases[pk]
    assert rel["release_date"] == "2026-12-02T00:00:00"
    assert rel["release_notes_url"].endswith("/3.14.2/whatsnew/changelog.html#python-3-14-2-final")
    assert rel["pre_release"] is False and rel["is_published"] is True
    assert rel["is_latest"] is True and fake_state.releases[old]["is_latest"] is False
    patches = [e for e in journal.entries if e["op"] == "PATCH"]
    assert len(patches) == 1  # is_latest comes with is_published, never before
    assert result.last_steps and "release page text" in result.last_steps[0].what


def test_without_a_token_the_admin_step_lists_every_field_left(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    fake_state.add_release("Python 3.14.1", slug="python-3141", is_published=True, is_latest=True)
    with pytest.raises(ReleaseNotPublished) as info:
        sync_release(make_api(), make_manifest("3.14.2"), v("3.14.2"), cycle=CYCLE)
    steps = info.value.result.last_steps  # type: ignore[attr-defined]
    assert "is_latest=True" in steps[0].what and "is_published=True" in steps[0].what
    assert steps[0].url == info.value.admin_url
    assert "is NOT published" in str(info.value)


def test_credentials_checks_write_nothing(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    pk = fake_state.add_release("Python 3.14.0rc1")
    fake_state.add_file(
        pk, "source", name="x", slug="x", url="https://www.python.org/ftp/python/3.14.0/x"
    )
    journal = Journal()
    api = make_api(v2_token=V2_TOKEN, journal=journal)
    api.check_staff_key()
    api.check_v2_token()
    assert len(fake_state.files) == 1 and journal.entries == []
    with pytest.raises(AuthenticationFailed, match="not staff") as info:
        make_api(*VIEWER).check_staff_key()
    assert info.value.exit_code == EXIT_BAD_INPUT
    with pytest.raises(AuthenticationFailed, match="was rejected"):
        make_api("rm", "wrong").check_staff_key()
    with pytest.raises(AuthenticationFailed, match="v2 token was rejected"):
        make_api(v2_token="nope").check_v2_token()
    fake_state.users["viewer"].v2_token = "viewer-token"
    with pytest.raises(AuthenticationFailed, match="may not write"):
        make_api(v2_token="viewer-token").check_v2_token()
    assert len(fake_state.files) == 1


def test_429_prints_the_wait_and_past_the_budget_names_when_to_rerun(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState, clock: FakeClock
) -> None:
    fake_state.throttle_at = 3
    fake_state.throttle_timeframe = 100
    lines: list[str] = []
    api = make_api(max_wait=150, log=lines.append)
    with pytest.raises(RateLimited) as info:
        for _ in range(10):
            api.os_uri("windows")
            api._os_cache.clear()
    assert lines and all(re.search(r"429 .*waiting \d+s .*of the 150s budget", x) for x in lines)
    assert sum(clock.slept) <= 150
    m = re.search(r"Re-run after \d{4}-\d\d-\d\d (\d\d):(\d\d) UTC", str(info.value))
    assert m is not None
    now = datetime.now(UTC)
    ahead = (int(m[1]) * 60 + int(m[2]) - (now.hour * 60 + now.minute)) % (24 * 60)
    assert 1 <= ahead <= 5  # the server's Retry-After (~100 s), rounded up to the minute


@pytest.mark.parametrize("header", ["inf", "1e400", "99999999999"])
def test_429_with_an_absurd_retry_after_fails_cleanly(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState, header: str
) -> None:
    """A hostile Retry-After must not overflow the re-run time (it raised OverflowError)."""
    import requests

    api = make_api(max_wait=30)
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = header
    with pytest.raises(RateLimited, match=r"Re-run after \d{4}-\d\d-\d\d \d\d:\d\d UTC"):
        api._wait_429("POST", "http://x/api/v1/downloads/release/", response, 1)


@pytest.mark.parametrize(
    ("nxt", "message"),
    [
        ("https://evil.example/steal/", "points off"),
        ("http://{host}/api/v1/downloads/release/", "points off"),  # another scheme
        ("/api/v1/downloads/release/?offset=100", "loops back"),
    ],
)
def test_the_key_never_follows_meta_next_off_the_site(
    make_api: Callable[..., PythonOrgAPI], monkeypatch: pytest.MonkeyPatch, nxt: str, message: str
) -> None:
    """A hostile or tampered list answer must not send the staff key to another host (it
    did: meta.next was followed anywhere) nor keep the client paging forever."""
    api = make_api()
    host = api.base_url.split("//", 1)[1].split("/", 1)[0]
    scheme = "https" if api.base_url.startswith("http://") else "http"
    target = nxt.replace("{host}", host).replace("http://", f"{scheme}://", 1)
    asked: list[str] = []

    def request(method: str, url: str, **kwargs: Any) -> str:
        asked.append(url)
        return url

    monkeypatch.setattr(api, "request", request)
    monkeypatch.setattr(api, "_json", lambda r: {"meta": {"next": target}, "objects": []})
    with pytest.raises(APIError, match=message):
        api.get_list("release", {})
    assert all(u.startswith(api.base_url) for u in asked)
    assert len(asked) <= 2
