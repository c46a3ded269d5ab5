"""Usage lines and error messages name things the same way on every command: positionals
in capitals (``VERSION``, ``SOURCE``), and every error prefixed with the whole command."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest

from cpython_release.cli import build_parser, command_paths

Cli = Callable[..., Any]
PARSER = build_parser()
COMMANDS = command_paths(PARSER)


def parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = PARSER
    for word in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return parser


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_positionals_are_capitalised_in_usage(path: tuple[str, ...]) -> None:
    parser = parser_for(path)
    positionals = [
        a
        for a in parser._actions
        if not a.option_strings and not isinstance(a, argparse._SubParsersAction)
    ]
    usage = parser.format_usage()
    for action in positionals:
        assert action.metavar and str(action.metavar).isupper(), (path, action.dest)
        assert str(action.metavar) in usage
    if any(a.dest == "version" for a in positionals):
        assert "VERSION" in usage


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_a_bad_command_line_names_the_whole_command(cli: Cli, path: tuple[str, ...]) -> None:
    res = cli(*path, "--no-such-flag")
    assert res.code == 2
    assert res.err.splitlines()[-1].startswith(f"cpython-release {' '.join(path)}: error: ")


def test_an_unknown_option_is_refused_by_the_command_itself(cli: Cli) -> None:
    res = cli("nightly", "select", "--repository", "python/cpython", "--bogus", "x")
    assert res.code == 2
    assert res.err.startswith("usage: cpython-release nightly select ")
    assert res.err.splitlines()[-1] == (
        "cpython-release nightly select: error: unrecognized arguments: --bogus x"
    )


def test_a_failure_names_the_whole_command(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = cli("manifest", "show", "missing.json")
    assert res.code == 2
    assert "cpython-release manifest show: error: cannot read manifest missing.json" in res.err
    assert "::error title=cpython-release manifest show::cannot read manifest" in res.err
