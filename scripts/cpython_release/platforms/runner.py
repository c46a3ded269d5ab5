"""Running external commands: one protocol, a subprocess implementation and a recorder.

Every platform step goes through a :class:`CommandRunner`, so tests (and ``--dry-run``)
can see the exact command lines, working directories and environments without running
anything. Secrets never reach a log: callers name them in ``redact`` and every echoed
command line and error message has them replaced by ``***``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from cpython_release.errors import CheckFailed

REDACTED = "***"


def redact_text(text: str, secrets: Sequence[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def format_argv(argv: Sequence[str], secrets: Sequence[str] = ()) -> str:
    return redact_text(shlex.join(str(a) for a in argv), secrets)


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandFailed(CheckFailed):
    """A command exited non-zero (exit 1 from the CLI)."""

    def __init__(self, result: CommandResult, secrets: Sequence[str] = ()) -> None:
        tail = (result.stderr or result.stdout).strip().splitlines()[-20:]
        problems = [redact_text(line, secrets) for line in tail]
        super().__init__(
            f"command failed with exit status {result.returncode}: "
            f"{format_argv(result.argv, secrets)}",
            problems,
        )
        self.result = result


class CommandRunner(Protocol):
    """Runs one external command."""

    def run(
        self,
        argv: Sequence[str | Path],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        capture: bool = False,
        check: bool = True,
        redact: Sequence[str] = (),
    ) -> CommandResult:
        """Run ``argv`` in ``cwd`` with ``env`` laid over the current environment.

        ``capture`` collects stdout/stderr as text (otherwise they stream to the log).
        ``check`` raises :class:`CommandFailed` on a non-zero exit.
        """
        ...


class SubprocessRunner:
    """The production runner: :func:`subprocess.run`, echoing each command first."""

    def __init__(self, log: TextIO | None = None) -> None:
        self._log = log if log is not None else sys.stderr

    def run(
        self,
        argv: Sequence[str | Path],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        capture: bool = False,
        check: bool = True,
        redact: Sequence[str] = (),
    ) -> CommandResult:
        args = tuple(str(a) for a in argv)
        where = f" (in {cwd})" if cwd else ""
        print(f"+ {format_argv(args, redact)}{where}", file=self._log, flush=True)
        full_env = {**os.environ, **env} if env else None
        try:
            proc = subprocess.run(
                args,
                cwd=cwd,
                env=full_env,
                capture_output=capture,
                text=capture,
                check=False,
            )
        except OSError as exc:
            raise CheckFailed(
                f"cannot run {format_argv(args[:1], redact)}: {exc.strerror or exc}"
            ) from exc
        result = CommandResult(
            args,
            proc.returncode,
            proc.stdout if capture else "",
            proc.stderr if capture else "",
        )
        if check and not result.ok:
            raise CommandFailed(result, redact)
        return result


@dataclass(frozen=True)
class Call:
    """One command a :class:`RecordingRunner` was asked to run."""

    argv: tuple[str, ...]
    cwd: Path | None
    env: dict[str, str]
    capture: bool
    check: bool
    redact: tuple[str, ...] = ()


Responder = Callable[[Call], CommandResult | None]


@dataclass
class RecordingRunner:
    """Records commands instead of running them (``--dry-run``, and tests).

    ``responders`` are consulted in order; the first that returns a result wins, otherwise
    the command "succeeds" with empty output. A failing result with ``check`` raises
    :class:`CommandFailed` exactly like the subprocess runner.
    """

    responders: list[Responder] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    echo: TextIO | None = None

    def respond(
        self, prefix: Sequence[str], *, returncode: int = 0, stdout: str = "", stderr: str = ""
    ) -> None:
        """Answer commands whose argv starts with ``prefix``."""
        want = tuple(prefix)

        def responder(call: Call) -> CommandResult | None:
            if call.argv[: len(want)] == want:
                return CommandResult(call.argv, returncode, stdout, stderr)
            return None

        self.responders.append(responder)

    def run(
        self,
        argv: Sequence[str | Path],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        capture: bool = False,
        check: bool = True,
        redact: Sequence[str] = (),
    ) -> CommandResult:
        call = Call(
            tuple(str(a) for a in argv), cwd, dict(env or {}), capture, check, tuple(redact)
        )
        self.calls.append(call)
        if self.echo is not None:
            where = f" (in {cwd})" if cwd else ""
            print(f"would run: {format_argv(call.argv, redact)}{where}", file=self.echo)
        result = CommandResult(call.argv, 0)
        for responder in self.responders:
            answer = responder(call)
            if answer is not None:
                result = answer
                break
        if check and not result.ok:
            raise CommandFailed(result, redact)
        return result

    def argvs(self) -> list[tuple[str, ...]]:
        return [c.argv for c in self.calls]
