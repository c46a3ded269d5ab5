"""Faults: 500s, 429s and crashes at every step converge, and no correct record is ever lost.

The server snapshots its ReleaseFile table after every request; every snapshot must still
hold every record that was correct before the run, unchanged (same pk, same fields).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from cpython_release.manifest import Manifest
from cpython_release.publish.actions import Verb
from cpython_release.publish.pythonorg_api import PythonOrgAPI
from cpython_release.publish.pythonorg_sync import sync_release
from cpython_release.version import ReleaseVersion
from fakes_pythonorg import FakeClock, FakeServer, FakeState, start_server
from publish_api.pyorg_support import (
    STAFF,
    V2_TOKEN,
    assert_converged,
    desired_view,
    make_manifest,
)

V = ReleaseVersion.parse("3.14.0rc2")
CHANGED = ("python-3.14.0rc2-amd64.exe", "Python-3.14.0rc2.tgz")
DROPPED = "python-3.14.0rc2-x86_64-linux-android.tar.gz"
MISSING_SLUG = "3140-rc2-macOS-installer"


class Crash(Exception):
    """The injected crash of the publishing process."""


def target_manifest() -> Manifest:
    m = make_manifest(changed=CHANGED)
    return m.with_artifacts([a for a in m.artifacts if a.name != DROPPED])


@pytest.fixture(scope="module")
def seeded() -> dict[str, Any]:
    """A release published by an earlier run, then partly broken: the run's starting point.

    Against :func:`target_manifest`: 2 records changed, 1 dropped from the manifest, 1
    missing on the server, 1 stray record, the rest (9) correct.
    """
    clock = FakeClock()
    state = FakeState(clock=clock.now)
    state.add_user(*STAFF, v2_token=V2_TOKEN)
    with start_server(state) as server:
        api = PythonOrgAPI(server.base_url, *STAFF, v2_token=V2_TOKEN, sleep=clock.sleep)
        sync_release(api, make_manifest(), V)
    pk = state.release_pk("Python 3.14.0rc2")
    assert pk is not None
    state.releases[pk]["is_published"] = False
    doomed = next(f for f, r in state.files.items() if r["slug"] == MISSING_SLUG)
    del state.files[doomed]
    state.add_file(
        pk,
        "windows",
        name="Stray",
        slug="3140-rc2-Stray",
        url="https://www.python.org/ftp/python/3.14.0/stray.zip",
    )
    want = desired_view(state, target_manifest(), "3.14.0rc2", pk)
    correct = {
        fpk: copy.deepcopy(rec)
        for fpk, rec in state.files.items()
        if rec["slug"] in want and _same(state, rec, want[rec["slug"]])
    }
    assert len(correct) == 9
    return {
        "releases": state.releases,
        "files": state.files,
        "counters": state.counters,
        "correct": correct,
    }


def _same(state: FakeState, rec: dict[str, Any], want: dict[str, Any]) -> bool:
    view = {k: v for k, v in rec.items() if k != "md5_sum"}
    view["os"] = f"/api/v1/downloads/os/{rec['os']}/"
    view["release"] = f"/api/v1/downloads/release/{rec['release']}/"
    return view == want


@contextmanager
def server_from(seeded: dict[str, Any] | None) -> Iterator[tuple[FakeServer, FakeClock]]:
    clock = FakeClock()
    state = FakeState(clock=clock.now)
    state.add_user(*STAFF, v2_token=V2_TOKEN)
    if seeded is not None:
        state.releases = copy.deepcopy(seeded["releases"])
        state.files = copy.deepcopy(seeded["files"])
        state.counters = dict(seeded["counters"])
    with start_server(state) as server:
        yield server, clock


def client(
    server: FakeServer, clock: FakeClock, crash_at: int = 0, after: bool = False
) -> PythonOrgAPI:
    """A client whose ``crash_at``-th HTTP call crashes (before sending it, or after)."""
    api = PythonOrgAPI(server.base_url, *STAFF, v2_token=V2_TOKEN, sleep=clock.sleep)
    if crash_at:
        session = api._session
        real = session.request
        calls = {"n": 0}

        def request(*args: Any, **kwargs: Any) -> requests.Response:
            calls["n"] += 1
            if calls["n"] == crash_at and not after:
                raise Crash(f"crash before call {crash_at}")
            response = real(*args, **kwargs)
            if calls["n"] == crash_at:
                raise Crash(f"crash after call {crash_at}")
            return response

        session.request = request  # type: ignore[method-assign]
    return api


def assert_never_lost(state: FakeState, correct: dict[int, dict[str, Any]]) -> None:
    for i, snapshot in enumerate(state.snapshots):
        for pk, rec in correct.items():
            assert snapshot.get(pk) == rec, f"correct record {rec['slug']} lost at request {i}"


def calls_of_a_clean_run(seeded: dict[str, Any] | None, prune: bool) -> int:
    with server_from(seeded) as (server, clock):
        sync_release(client(server, clock), target_manifest(), V, prune=prune)
        return server.state.requests


def test_the_seeded_run_does_every_kind_of_change(seeded: dict[str, Any]) -> None:
    with server_from(seeded) as (server, clock):
        result = sync_release(client(server, clock), target_manifest(), V, prune=True)
        assert (
            result.count(Verb.CREATE),
            result.count(Verb.REPLACE),
            result.count(Verb.DELETE),
            result.count(Verb.UPDATE),
        ) == (1, 2, 2, 1)
        assert_converged(server.state, target_manifest())
        assert_never_lost(server.state, seeded["correct"])
        before = server.state.requests
        again = sync_release(client(server, clock), target_manifest(), V, prune=True)
        assert not again.changed()
        assert all(e.method == "GET" for e in server.state.log[before:])


@pytest.mark.parametrize("after", [False, True], ids=["before-send", "after-answer"])
def test_a_crash_at_any_call_then_a_rerun_converges(seeded: dict[str, Any], after: bool) -> None:
    total = calls_of_a_clean_run(seeded, prune=True)
    assert total > 10
    for n in range(1, total + 1):
        with server_from(seeded) as (server, clock):
            with pytest.raises(Crash):
                sync_release(client(server, clock, n, after), target_manifest(), V, prune=True)
            sync_release(client(server, clock), target_manifest(), V, prune=True)
            state = server.state
            assert_converged(state, target_manifest())
            assert_never_lost(state, seeded["correct"])
            pk = state.release_pk("Python 3.14.0rc2")
            assert pk is not None and state.releases[pk]["is_published"] is True


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_500_on_any_post_is_reconciled_in_the_same_run(seeded: dict[str, Any], mode: str) -> None:
    posts = 3  # 1 create + 2 replacements
    for n in range(1, posts + 1):
        with server_from(seeded) as (server, clock):
            server.state.fail_posts = {n: mode}
            sync_release(client(server, clock), target_manifest(), V, prune=True)
            assert_converged(server.state, target_manifest())
            assert_never_lost(server.state, seeded["correct"])
            assert [e.status for e in server.state.log].count(500) == 1


@pytest.mark.parametrize("mode", ["before", "after"])
def test_500s_from_scratch_including_the_release(mode: str) -> None:
    manifest = make_manifest()
    for n in range(1, 15):  # the release and 13 files
        with server_from(None) as (server, clock):
            server.state.fail_posts = {n: mode, n + 1: mode} if n % 2 else {n: mode}
            sync_release(client(server, clock), manifest, V)
            assert_converged(server.state, manifest)
            assert len(server.state.releases) == 1


def test_every_post_fails_until_it_gives_up_then_a_rerun_converges() -> None:
    manifest = make_manifest()
    with server_from(None) as (server, clock):
        server.state.fail_posts = {n: "before" for n in range(2, 5)}  # 3 tries of one file
        with pytest.raises(Exception, match="failed 3 times"):
            sync_release(client(server, clock), manifest, V)
        pk = server.state.release_pk("Python 3.14.0rc2")
        assert pk is not None and server.state.releases[pk]["is_published"] is False
        sync_release(client(server, clock), manifest, V)
        assert_converged(server.state, manifest)


def test_429s_and_500s_together_converge(seeded: dict[str, Any]) -> None:
    with server_from(seeded) as (server, clock):
        server.state.throttle_at = 4
        server.state.throttle_timeframe = 30
        server.state.fail_posts = {1: "after", 3: "before"}
        server.state.fail_requests = {2, 9}
        api = client(server, clock)
        api.max_wait = 900
        sync_release(api, target_manifest(), V, prune=True)
        assert_converged(server.state, target_manifest())
        assert_never_lost(server.state, seeded["correct"])
        statuses = [e.status for e in server.state.log]
        assert statuses.count(429) >= 2 and statuses.count(503) == 2
        assert clock.slept and max(clock.slept) <= 30


def test_without_prune_a_crash_never_deletes_the_dropped_record(seeded: dict[str, Any]) -> None:
    total = calls_of_a_clean_run(seeded, prune=False)
    dropped = next(pk for pk, r in seeded["files"].items() if r["url"].endswith(DROPPED))
    for n in range(1, total + 1, 2):
        with server_from(seeded) as (server, clock):
            with pytest.raises(Crash):
                sync_release(client(server, clock, n), target_manifest(), V)
            sync_release(client(server, clock), target_manifest(), V)
            assert all(dropped in snap for snap in server.state.snapshots)
