"""Options that several commands share are declared once (``commands/common.py``), so they
read and behave the same everywhere."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from cpython_release.cli import build_parser, command_paths

COMMANDS_DIR = Path(__file__).parents[2] / "scripts" / "cpython_release" / "commands"

# Every command that talks to the GitHub REST API.
GITHUB_API_COMMANDS = [
    ("blockers",),
    ("finish",),
    ("nightly", "prune"),
    ("nightly", "select"),
    ("nightly", "track"),
    ("prepare",),
    ("summary",),
]


def _option(parser: argparse.ArgumentParser, path: tuple[str, ...], flag: str) -> argparse.Action:
    for word in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return next(a for a in parser._actions if flag in a.option_strings)


def _commands_with(flag: str, parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    found = []
    for path in command_paths(parser):
        try:
            _option(parser, path, flag)
        except StopIteration:
            continue
        found.append(path)
    return sorted(found)


def test_github_api_is_declared_once() -> None:
    declarations = {
        str(path.name): len(re.findall(r'"--github-api"', path.read_text()))
        for path in COMMANDS_DIR.glob("*.py")
    }
    assert {name: n for name, n in declarations.items() if n} == {"common.py": 1}


def test_github_api_reads_the_same_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example/api/v3")
    parser = build_parser()
    assert _commands_with("--github-api", parser) == GITHUB_API_COMMANDS
    for path in GITHUB_API_COMMANDS:
        action = _option(parser, path, "--github-api")
        assert action.default == "https://ghe.example/api/v3", path
        assert action.metavar == "URL", path
        assert action.help == (
            "GitHub REST API root (default $GITHUB_API_URL or https://api.github.com)"
        ), path


def test_github_api_default_without_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    parser = build_parser()
    for path in GITHUB_API_COMMANDS:
        assert _option(parser, path, "--github-api").default == "https://api.github.com"
