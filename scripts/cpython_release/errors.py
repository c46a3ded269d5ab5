"""Errors that map onto the CLI's exit statuses.

Exit statuses are a contract: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class ReleaseError(Exception):
    """Base class; carries the exit status the CLI returns for it."""

    exit_code = EXIT_BAD_INPUT


class BadInput(ReleaseError):
    """The caller gave something we cannot work with (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class CheckFailed(ReleaseError):
    """A verification found a problem with the artifacts (exit 1).

    ``problems`` lists every offender, so one run reports them all.
    """

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class Unreachable(CheckFailed):
    """A server could not be reached: name lookup, refused connection, time-out (exit 1).

    The input may well be right; the network or the server is not. The message always
    starts with "could not reach".
    """

    def __init__(self, what: str, reason: object) -> None:
        super().__init__(f"could not reach {what}: {reason}")
