"""Fixtures shared by every area of the test suite."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import suite_order
from act_harness import ActHarness
from cpython_release.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``cpython-release`` in-process; returns exit code and captured output."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors and --help
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def act_tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runners' tool cache, one for the whole session: under xdist, the workers' base
    directories share a parent (the setup action's lock serialises their first install)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "act-tool-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def act(tmp_path_factory: pytest.TempPathFactory, act_tool_cache: Path) -> ActHarness:
    """One act harness per test process: a project snapshot and a warm toolkit venv."""
    return ActHarness(Path(tmp_path_factory.mktemp("act")), act_tool_cache)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    suite_order.order(items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return suite_order.make_scheduler(config, log)
