from __future__ import annotations

from pathlib import Path

import pytest

from act_harness import ActHarness


@pytest.fixture(scope="session")
def act(tmp_path_factory: pytest.TempPathFactory) -> ActHarness:
    return ActHarness(Path(tmp_path_factory.mktemp("act")))
