"""The ``cpython-release`` command: a thin shell over the package's API.

Each subcommand lives in ``cpython_release.commands.<module>`` and exposes
``register(subparsers)``. Exit statuses: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from cpython_release import __version__
from cpython_release.errors import ReleaseError

# One line per command module; keep sorted.
COMMAND_MODULES = (
    "blockers",
    "build_source",
    "finish",
    "inventory",
    "macos",
    "manifest",
    "mobile",
    "nightly",
    "plan",
    "prepare",
    "publish",
    "rehearse",
    "sbom",
    "sign",
    "summary",
    "upgrade_check",
    "verify",
    "version",
    "windows",
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv`` naming a command, only that command's module is imported.

    Start-up matters for quick commands (``verify`` of a directory is measured against
    ``sha256sum``); the full list is loaded for ``--help`` or anything unrecognised.
    """
    parser = argparse.ArgumentParser(
        prog="cpython-release",
        description="Build, sign, publish and verify CPython releases, reproducibly.",
        epilog="Exit status: 0 success, 1 a check failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted: tuple[str, ...] = COMMAND_MODULES
    first = next((a for a in (argv or []) if not a.startswith("-")), None)
    if first is not None and first.replace("-", "_") in COMMAND_MODULES:
        wanted = (first.replace("-", "_"),)
    for name in wanted:
        try:
            module = importlib.import_module(f"cpython_release.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cpython_release.commands.{name}":
                continue  # stage not present in this build of the toolkit
            raise
        module.register(sub)
    return parser


class Terminated(BaseException):
    """SIGTERM arrived (a cancelled CI job): unwind so every ``with`` and ``finally`` block
    runs (temporary GNUPGHOMEs and downloads are removed, gpg-agent is stopped)."""


def _on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise Terminated


def _handle_sigterm() -> Any:
    """Install the SIGTERM handler; returns the previous one (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    previous = _handle_sigterm()
    try:
        return _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.func(args)
    except ReleaseError as exc:
        print(f"cpython-release {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
