"""Fixtures for the blockers, nightly and summary tests: fake GitHub and buildbot servers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes_gh_issues import FakeBuildbot, FakeGitHub

DATA = Path(__file__).parent / "data"
FIXTURE_NOW = 1763700000  # the "now" the buildbot fixtures were written around
TOKEN = "test-token-orchestration"


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake_github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A fake GitHub API that requires ``$GITHUB_TOKEN`` (set here)."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub(token=TOKEN) as gh:
        yield gh


@pytest.fixture
def fake_buildbot() -> Iterator[FakeBuildbot]:
    builders = load_json("buildbot/builders.json")["builders"]
    builds = load_json("buildbot/builds.json")["builds"]
    with FakeBuildbot(builders, builds, time_shift=time.time() - FIXTURE_NOW) as bb:
        yield bb


@pytest.fixture(autouse=True)
def _not_in_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests opt in to Actions behaviour by setting the variables themselves."""
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "CI"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def actions_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    summary = tmp_path / "step-summary.md"
    output = tmp_path / "github-output.txt"
    summary.touch()
    output.touch()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    return {"summary": summary, "output": output}
