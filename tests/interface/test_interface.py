"""Every subcommand, with bad input: exit 1 or 2, a one-line reason, never a traceback.

The commands are enumerated from the argparse parser itself, so a new command is covered
the moment it is registered. Each gets three kinds of bad input: an unknown option, every
argument it needs pointing at something that does not exist, and an impossible version.
Network clients point at a closed local port.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cpython_release.cli import build_parser, command_paths

PARSER = build_parser()
COMMANDS = command_paths(PARSER)
MISSING = "does-not-exist/nothing.json"
BAD_VERSION = "3.x.y-not-a-version"
GOOD_VERSION = "3.14.1"
CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens


def parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = PARSER
    for word in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return parser


def needed_arguments(path: tuple[str, ...], value: Callable[[argparse.Action], str]) -> list[str]:
    """The positionals and required options of a command, each given ``value(action)``."""
    argv: list[str] = []
    for action in parser_for(path)._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        if not action.option_strings:
            argv.append(value(action))
        elif action.required and action.nargs != 0:
            argv += [action.option_strings[-1], value(action)]
    for group in parser_for(path)._mutually_exclusive_groups:
        if group.required:  # e.g. summary's --jobs-json | --from-api
            first = group._group_actions[0]
            argv += [first.option_strings[-1]] + ([] if first.nargs == 0 else [value(first)])
    return argv


def missing_file(action: argparse.Action) -> str:
    """A good version and commit, everything else a file that does not exist: the command
    gets past its argument checks and fails on the missing input."""
    if action.choices:
        return str(next(iter(action.choices)))
    if "version" in action.dest:
        return GOOD_VERSION
    if action.dest == "commit":
        return "0123456789abcdef0123456789abcdef01234567"
    if action.dest in ("repository", "releases_repository"):
        return "no-such-owner/no-such-repo"
    if action.dest == "branch":
        return "3.14"
    if action.type is int or action.type is float:
        return "7"
    return MISSING


def bad_version(action: argparse.Action) -> str:
    return BAD_VERSION if "version" in action.dest else missing_file(action)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for var in (
        "GITHUB_ACTIONS",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "CPYTHON_RELEASE_NIGHTLY",
        "GPG_PRIVATE_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", CLOSED)
    monkeypatch.setenv("CI", "true")
    # retries against the closed port back off for seconds: the failure is the same without
    monkeypatch.setattr("urllib3.util.retry.time.sleep", lambda seconds: None)
    yield tmp_path


def assert_clean_failure(res: Any, argv: list[str]) -> None:
    said = res.out + res.err
    if MISSING not in argv and BAD_VERSION not in argv and "--no-such-option" not in argv:
        # nothing wrong was given (`plan 3.14.1 --commit SHA` is a good command)
        assert res.code in (0, 1, 2), f"{argv}: exit {res.code}\n{said[-2000:]}"
        assert "Traceback" not in said, f"{argv}:\n{said[-3000:]}"
        return
    assert res.code in (1, 2), f"{argv}: exit {res.code}\n{said[-2000:]}"
    assert "Traceback" not in said, f"{argv}:\n{said[-3000:]}"
    assert "unexpected" not in res.err, f"{argv}: an error no command anticipated:\n{res.err}"
    assert "error" in res.err.lower() or "usage" in res.err.lower(), f"{argv}: no reason given"


def test_every_command_is_enumerated() -> None:
    names = {p[0] for p in COMMANDS}
    assert {"verify", "sign", "plan", "rehearse", "publish", "summary"} <= names
    assert ("manifest", "show") in COMMANDS and ("windows", "fragment") in COMMANDS
    assert ("build-source",) in COMMANDS  # runnable itself, and has sub-actions
    assert len(COMMANDS) >= 40


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_bad_input_never_shows_a_traceback(
    path: tuple[str, ...], cli: Callable[..., Any], sandbox: Path
) -> None:
    started = time.monotonic()
    for argv in (
        [*path, "--no-such-option"],
        [*path, *needed_arguments(path, missing_file)],
        [*path, *needed_arguments(path, bad_version)],
    ):
        res = cli(*argv)
        assert_clean_failure(res, argv)
    assert time.monotonic() - started < 20, f"{path}: bad input took long to refuse"
