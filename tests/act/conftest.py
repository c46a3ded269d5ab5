"""Act runs that several test modules assert on, made once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from act.release_run import ReleaseRun, release_run
from act_harness import ActHarness


@pytest.fixture(scope="session")
def shared_release_run(
    act: ActHarness, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReleaseRun]:
    """release.yml for 3.13.5 with Windows and macOS, published to a fake GitHub
    (tests/act/release_run.py). A module using it must be in its xdist group
    (tests/suite_order.py GROUPS), or a second worker would make the run again."""
    with release_run(act, tmp_path_factory.mktemp("release-run")) as done:
        yield done
