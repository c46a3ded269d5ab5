"""The ``cpython-release`` command: a thin shell over the package's API.

Each subcommand lives in ``cpython_release.commands.<module>`` and exposes
``register(subparsers)``. Exit statuses: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any

from cpython_release import __version__, output
from cpython_release.commands.common import version_option_to_argument
from cpython_release.errors import EXIT_CHECK_FAILED, ReleaseError

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
        epilog=(
            "Exit status: 0 success, 1 a check failed, 2 bad input, 141 the output was closed "
            "before the command finished (a failure keeps its own status)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_verbosity(parser, output.NORMAL)
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
    for command in leaf_parsers(parser):
        if command is not parser:
            add_verbosity(command, argparse.SUPPRESS)  # also after the command: `verify -q ...`
    return parser


def _deprecated_version_option(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``CMD ... --version V`` (the old grammar) becomes ``CMD V ...``, with a warning."""
    path, leaf = _command_of(parser, argv)
    if not path:
        return argv
    takes = any(a.dest == "version" and not a.option_strings for a in leaf._actions)
    takes = takes or path == ("build-source",)  # its VERSION | ACTION slot
    return version_option_to_argument(argv, path, takes)


def _command_of(
    parser: argparse.ArgumentParser, argv: Sequence[str]
) -> tuple[tuple[str, ...], argparse.ArgumentParser]:
    """The command ``argv`` names (its words, e.g. ``("nightly", "select")``) and its parser;
    ``((), parser)`` when it names none. Options before the command take no value, so the
    command's words are the first words that are not options."""
    words = [w for w in argv if not w.startswith("-")]
    for path in sorted(command_paths(parser), key=len, reverse=True):
        if list(path) == words[: len(path)]:
            leaf = parser
            for word in path:
                sub = next(a for a in leaf._actions if isinstance(a, argparse._SubParsersAction))
                leaf = sub.choices[word]
            return path, leaf
    return (), parser


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args``, except that words no parser knows are refused by the command's
    own parser: ``cpython-release nightly select: error: unrecognized arguments: ...``, with
    that command's usage (argparse would name the top-level program)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        _command_of(parser, argv)[1].error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def add_verbosity(parser: argparse.ArgumentParser, default: object) -> None:
    """``-v``/``-q``, before the command or after it (``default=SUPPRESS`` there, so a flag
    given before the command is not reset by the subcommand's parser)."""
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=output.VERBOSE,
        default=default,
        help="also show the libraries' logging (sigstore, tuf, urllib3, ...) and, on an "
        "unexpected error, its traceback",
    )
    loud.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=output.QUIET,
        default=default,
        help="only warnings, errors and the result",
    )


def leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``parser`` and every (sub)command parser below it, depth first."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases share a parser
                found += leaf_parsers(sub)
    return found


def command_paths(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """Every runnable command as its words, e.g. ``("manifest", "show")`` (for tests and docs)."""
    paths: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                below = command_paths(sub)
                if not below or "func" in sub._defaults:  # runnable itself (build-source)
                    paths.append((name,))
                paths += [(name, *rest) for rest in below]
    return paths


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
    output.configure(output.NORMAL)
    try:  # Ctrl-C while the command's modules load: a message, not a traceback
        parser = build_parser(args_list)
        args_list = _deprecated_version_option(parser, args_list)
        prog = _command_of(parser, args_list)[1].prog  # "cpython-release nightly select"
        try:
            args = _parse(parser, args_list)
        except SystemExit as exc:  # argparse printed the usage and its complaint
            if exc.code not in (0, None):
                output.annotate("error", "bad command line (see the usage in the log)", title=prog)
            raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    output.configure(args.verbosity)
    previous = _handle_sigterm()
    try:
        code = _run(args, prog)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    try:
        sys.stdout.flush()  # here, not at exit, so a closed pipe cannot hide the status
    except BrokenPipeError:
        output.discard_stdout()
    except OSError as exc:  # a full disk under a redirected stdout: the output is incomplete
        output.discard_stdout()
        print(f"cpython-release: could not write to stdout: {exc.strerror or exc}", file=sys.stderr)
        return code or EXIT_CHECK_FAILED
    return _output_closed(code) if output.stdout_closed() else code


EXIT_OUTPUT_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a command killed by it


def _output_closed(code: int | None) -> int:
    """stdout's reader went away (``... | head``). Never a success that was not one: the
    command's own failure status when it already had one, else 141."""
    output.discard_stdout()
    return code if code else EXIT_OUTPUT_CLOSED


def _fail(prog: str, message: str, code: int) -> int:
    """Report a failure on stderr and, in Actions, as an ``::error`` annotation; ``prog``
    is the whole command (``cpython-release manifest show``)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    output.annotate("error", message, title=prog)
    return code


def _run(args: argparse.Namespace, prog: str | None = None) -> int:
    prog = prog or f"cpython-release {args.command}"
    try:
        code: int = args.func(args)
    except ReleaseError as exc:
        return _fail(prog, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        return _output_closed(None)
    except Exception as exc:
        # A bug or an error no command anticipated: one line, not a traceback (-v shows it).
        if isinstance(exc, OSError) and exc.errno in _CANNOT_WRITE:
            where = exc.filename or _failing_stdout() or "the output"
            return _fail(prog, f"could not write {where}: {exc.strerror or exc}", 1)
        if _unreachable(exc):
            from cpython_release.http import network_reason

            return _fail(prog, f"could not reach the server: {network_reason(exc)}", 1)
        if isinstance(exc, ModuleNotFoundError) and (extra := _extra_for(exc.name)):
            return _fail(
                prog,
                f"this needs {exc.name!r}, which comes with an extra: "
                f"pip install 'cpython-release[{extra}]'",
                2,
            )
        if output.verbosity() >= output.VERBOSE:
            traceback.print_exc()
        return _fail(
            prog,
            f"unexpected {type(exc).__name__}: {exc} (a bug: please report it with the output "
            "of the same command run with -v)",
            EXIT_CHECK_FAILED,
        )
    if code and not output.errors_annotated():
        output.annotate("error", f"failed (exit status {code})", title=prog)
    return code


# Modules of the optional extras (pyproject.toml [project.optional-dependencies]) -> extra.
_EXTRAS = {"github": "publish", "paramiko": "publish", "blurb": "build"}


def _extra_for(module: str | None) -> str | None:
    return _EXTRAS.get((module or "").partition(".")[0])


# The machine, not the toolkit: a full disk or quota, an I/O error, a read-only file system.
_CANNOT_WRITE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG})


def _failing_stdout() -> str | None:
    """ "stdout" when stdout is what cannot be written (its buffer will not flush)."""
    try:
        sys.stdout.flush()
    except OSError:
        output.discard_stdout()
        return "stdout"
    return None


def _unreachable(exc: BaseException) -> bool:
    if "requests" not in sys.modules:
        return False
    from cpython_release.http import is_unreachable

    return is_unreachable(exc)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
