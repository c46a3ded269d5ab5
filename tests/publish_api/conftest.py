"""Fixtures for the python.org API client tests (helpers live in pyorg_support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cpython_release.publish.pythonorg_api import PythonOrgAPI
from fakes_pythonorg import FakeClock, FakeServer, FakeState, start_server
from publish_api.pyorg_support import STAFF, V2_TOKEN, VIEWER


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_state(clock: FakeClock) -> FakeState:
    state = FakeState(clock=clock.now)
    state.add_user(*STAFF, v2_token=V2_TOKEN)
    state.add_user(*VIEWER, is_staff=False)
    return state


@pytest.fixture
def pyorg(fake_state: FakeState) -> Iterator[FakeServer]:
    with start_server(fake_state) as server:
        yield server


@pytest.fixture
def make_api(pyorg: FakeServer, clock: FakeClock) -> Callable[..., PythonOrgAPI]:
    def make(username: str = STAFF[0], key: str = STAFF[1], **kwargs: object) -> PythonOrgAPI:
        kwargs.setdefault("sleep", clock.sleep)
        return PythonOrgAPI(pyorg.base_url, username, key, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def api(make_api: Callable[..., PythonOrgAPI]) -> PythonOrgAPI:
    return make_api()
