"""Fixtures for the blockers, nightly and summary tests: fake GitHub and buildbot servers."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
    for var in (
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "CI",
        "GITHUB_API_URL",
        "GITHUB_RUN_ID",
        "GITHUB_REPOSITORY",
        "GITHUB_TOKEN",
    ):
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


PATCHLEVEL_TEMPLATE = """\
/* Python version identification scheme (test copy, shape of Include/patchlevel.h). */
#define PY_MAJOR_VERSION        3
#define PY_MINOR_VERSION        {minor}
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_FINAL

/* Version as a string */
#define PY_VERSION              "{version}"
/*--end constants--*/
"""


@dataclass(frozen=True)
class CpythonRepo:
    path: Path
    heads: dict[str, str]


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_AUTHOR_DATE": "2026-11-20T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-11-20T00:00:00Z",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="session")
def cpython_repo(tmp_path_factory: pytest.TempPathFactory) -> CpythonRepo:
    """A tiny repository with branches main (3.16.0a2+), 3.15 (3.15.1+), 3.14 (3.14.3+) and
    the security branch 3.13 (3.13.9+)."""
    path = tmp_path_factory.mktemp("cpython")
    _git(path, "init", "-q", "-b", "main")
    heads: dict[str, str] = {}
    for branch, version in (
        ("main", "3.16.0a2+"),
        ("3.15", "3.15.1+"),
        ("3.14", "3.14.3+"),
        ("3.13", "3.13.9+"),
    ):
        if branch != "main":
            _git(path, "checkout", "-q", "--orphan", branch)
        include = path / "Include"
        include.mkdir(exist_ok=True)
        minor = version.split(".")[1]
        (include / "patchlevel.h").write_text(
            PATCHLEVEL_TEMPLATE.format(minor=minor, version=version)
        )
        _git(path, "add", "Include/patchlevel.h")
        _git(path, "commit", "-q", "-m", f"Python {version}")
        heads[branch] = _git(path, "rev-parse", "HEAD")
    _git(path, "checkout", "-q", "main")
    return CpythonRepo(path, heads)
