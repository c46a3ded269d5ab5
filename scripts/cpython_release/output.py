"""How the CLI talks: verbosity, library logging, and GitHub annotations.

``-q`` silences progress notes (:func:`note`); warnings, errors and results always show.
``-v`` lets the libraries' own logging through at INFO (sigstore, tuf, urllib3, paramiko,
github, gnupg),
which is otherwise kept to errors: their routine notices ("TUF repository is loaded in
offline mode") say nothing a release manager can act on.

In GitHub Actions (``GITHUB_ACTIONS=true``) every failure is also printed as an ``::error``
workflow command, escaped as GitHub's runner expects (actions/toolkit ``command.ts``:
``%``, CR and LF in the message; also ``:`` and ``,`` in properties).
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
from collections.abc import Collection, Iterable, Sequence

from cpython_release.ghactions import in_actions

QUIET = -1
NORMAL = 0
VERBOSE = 1

LIBRARY_LOGGERS = (
    "sigstore",
    "tuf",
    "securesystemslib",
    "urllib3",
    "paramiko",
    "github",
    "rfc3161_client",
    "gnupg",
)

_level = NORMAL
_errors_annotated = 0
_verbose_handler: logging.Handler | None = None


def configure(verbosity: int) -> None:
    """Set the verbosity (-1 quiet, 0 normal, 1 verbose) and the libraries' log levels.

    Only the libraries' loggers are touched (and, with -v, one handler on the root logger),
    so a host process's own logging set-up stays as it was.
    """
    global _level, _errors_annotated, _verbose_handler, _stdout_closed
    _level, _errors_annotated, _stdout_closed = verbosity, 0, False
    for name in LIBRARY_LOGGERS:
        # INFO, not DEBUG: python-gnupg's DEBUG dumps whole keys, signatures and thread names.
        logging.getLogger(name).setLevel(logging.INFO if verbosity > 0 else logging.ERROR)
    root = logging.getLogger()
    if verbosity > 0 and _verbose_handler is None:
        _verbose_handler = logging.StreamHandler(sys.stderr)
        _verbose_handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
        root.addHandler(_verbose_handler)
        root.setLevel(logging.INFO)
    elif verbosity <= 0 and _verbose_handler is not None:
        root.removeHandler(_verbose_handler)
        _verbose_handler = None


def errors_annotated() -> int:
    """How many ``::error`` annotations this process printed."""
    return _errors_annotated


def write_report(text: str) -> None:
    """Write a report to stdout. When its reader went away (``... | head``) the command goes
    on to its verdict: the exit status still tells (see :func:`stdout_closed`)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()
    except OSError as exc:  # a full disk under a redirected stdout
        from cpython_release.errors import CheckFailed

        raise CheckFailed(f"could not write the report to stdout: {exc.strerror or exc}") from None


_stdout_closed = False


def stdout_closed() -> bool:
    """True once a write to stdout failed because its reader went away."""
    return _stdout_closed


def discard_stdout() -> None:
    """Send further output, including the interpreter's final flush, to /dev/null (Python's
    documented answer to a broken pipe: no "Exception ignored" traceback at exit)."""
    global _stdout_closed
    _stdout_closed = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is no file (a test's StringIO)
        pass


def verbosity() -> int:
    return _level


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 problem``, ``2 problems``, ``0 files``."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def text_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, right: Collection[int] = ()
) -> str:
    """A table for a terminal: a header row, then one line per row, columns two spaces
    apart and as wide as their widest cell (columns numbered in ``right`` right-aligned,
    for numbers); no trailing white space, no final newline."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return "\n".join(line(r) for r in [list(headers), *cells])


def note(message: str) -> None:
    """A progress note on stderr; silent with ``-q``."""
    if _level >= NORMAL:
        print(message, file=sys.stderr, flush=True)


def escape_data(text: str) -> str:
    """Escape a workflow command's message (after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``title=...``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!~])")


def inert(text: str) -> str:
    """Untrusted text (a manifest's field, a file name) made safe for one log line: control
    characters (CR, LF, ESC, ...) shown as ``\\xNN`` so no new line can start, a leading ``::``
    (a workflow command for GitHub's runner) and ``##[`` (its old command form) broken."""
    out = _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )
    out = out.replace("##[", "#\\x23[")
    stripped = out.lstrip()
    if stripped.startswith("::"):
        out = out[: len(out) - len(stripped)] + "\\x3a" + stripped[1:]
    return out


def markdown_inert(text: str) -> str:
    """Untrusted text for a step summary: :func:`inert`, HTML escaped, Markdown's
    punctuation backslash-escaped (``|`` is left to ``markdown_table``)."""
    return _MARKDOWN.sub(r"\\\1", html.escape(inert(text), quote=False))


def annotation(level: str, message: str, *, title: str | None = None) -> str:
    """The workflow command line, e.g. ``::error title=cpython-release verify::1 problem``."""
    props = f" title={escape_property(title)}" if title else ""
    return f"::{level}{props}::{escape_data(message)}"


def annotate(level: str, message: str, *, title: str | None = None) -> None:
    """Print an annotation when running in Actions; nothing elsewhere."""
    global _errors_annotated
    if in_actions():
        _errors_annotated += level == "error"
        # stderr: stdout may carry a JSON report; the runner reads commands from both
        print(annotation(level, message, title=title), file=sys.stderr, flush=True)
