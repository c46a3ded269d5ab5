"""Arguments and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TypeAlias

from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion

# The object ``add_subparsers()`` returns; each command module's ``register`` takes one.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_release_cycle(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release-cycle",
        metavar="FILE_OR_URL",
        help="release-cycle JSON (a file or URL) to use instead of the bundled snapshot "
        "(plan: instead of the live peps.python.org data, with the snapshot as the offline "
        "fallback); 'bundled' names the snapshot (also $CPYTHON_RELEASE_CYCLE)",
    )


def add_github_api(parser: argparse.ArgumentParser) -> None:
    """``--github-api URL``: the GitHub REST API root of every command that talks to GitHub
    (default ``$GITHUB_API_URL``, which Actions sets, also on GitHub Enterprise)."""
    from cpython_release.blockers import DEFAULT_GITHUB_API, default_github_api
    from cpython_release.secure_url import credential_url

    parser.add_argument(
        "--github-api",
        default=default_github_api(),
        type=credential_url("GitHub API"),  # it gets the token: https (http only to loopback)
        metavar="URL",
        help=f"GitHub REST API root (default $GITHUB_API_URL or {DEFAULT_GITHUB_API})",
    )


#: Set to ``true`` by the workflows of a nightly run: the same as ``--nightly`` everywhere.
NIGHTLY_ENV = "CPYTHON_RELEASE_NIGHTLY"


def nightly_from_env() -> bool:
    value = os.environ.get(NIGHTLY_ENV, "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise BadInput(f"${NIGHTLY_ENV} must be true or false, got {value!r}")


def add_nightly(parser: argparse.ArgumentParser) -> None:
    """``--nightly``: the one way every command that takes a version says "nightly mode"
    (``$CPYTHON_RELEASE_NIGHTLY=true`` says it for a whole workflow)."""
    parser.add_argument(
        "--nightly",
        action="store_true",
        default=None,
        help="nightly mode: the version is X.Y.Z[pre].devYYYYMMDD and names a branch commit, "
        "not a tag (a release version is refused, and a nightly version needs this flag or "
        f"${NIGHTLY_ENV}=true)",
    )


def is_nightly(args: argparse.Namespace) -> bool:
    """``--nightly``, else ``$CPYTHON_RELEASE_NIGHTLY``."""
    flag = getattr(args, "nightly", None)
    return bool(flag) if flag is not None else nightly_from_env()


def parse_version(
    text: str | None, args: argparse.Namespace, *, exact: bool = False
) -> ReleaseVersion:
    """The command's version in its mode (``--nightly`` or not); a mismatch is bad input.
    ``exact``: the text must be the version itself (no ``v``, no surrounding white space),
    for commands that make a release's commits and tags."""
    if not text:
        raise BadInput("missing the release version")
    if exact and (text != text.strip() or text.startswith("v")):
        raise BadInput(f"{text!r} is not a release version: give it exactly, e.g. 3.13.6")
    return ReleaseVersion.parse(text, nightly=is_nightly(args))


# --- the one grammar (see GRAMMAR.md) ---------------------------------------------------------


class Deprecated(argparse.Action):
    """An old spelling that still works for now, with a warning naming the new one."""

    def __init__(self, *args: Any, instead: str, **kwargs: Any) -> None:
        self.instead = instead
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(*args, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(
            f"warning: {option_string} is deprecated and will be removed; use {self.instead}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def add_version(
    parser: argparse.ArgumentParser,
    help: str = "the release version, e.g. 3.14.1 or 3.15.0a2 (with --nightly a nightly's, "
    "e.g. 3.15.0a3.dev20261121)",
    *,
    required: bool = True,
) -> None:
    """The release version as a positional argument (``VERSION``), first among the
    positionals, as every command that acts on one release takes it.

    The old ``--version V`` after the command (it clashed with the top-level ``--version``)
    is rewritten into this argument by :func:`version_option_to_argument`, with a warning.
    """
    parser.add_argument("version", nargs=None if required else "?", metavar="VERSION", help=help)


def version_option_to_argument(
    argv: list[str], path: Sequence[str], takes_version: bool
) -> list[str]:
    """Deprecated spelling: ``CMD ... --version V ...`` becomes ``CMD V ...``.

    ``path`` is the command's words as they stand in ``argv`` (``["windows", "build"]``);
    only options after them are looked at, so the top-level ``--version`` keeps its meaning.
    """
    if not takes_version or not path:
        return argv
    start = _path_end(argv, path)
    if start is None:
        return argv
    out, value = list(argv[:start]), None
    rest = argv[start:]
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "--":
            out += rest[i:]
            break
        if word == "--version" and i + 1 < len(rest) and value is None:
            value, i = rest[i + 1], i + 2
            continue
        if word.startswith("--version=") and value is None:
            value, i = word.split("=", 1)[1], i + 1
            continue
        out.append(word)
        i += 1
    if value is None:
        return argv
    print(
        "warning: --version is deprecated and will be removed; give the version as the "
        f"first argument: {' '.join(path)} {value} ...",
        file=sys.stderr,
    )
    return [*out[:start], value, *out[start:]]


def _path_end(argv: list[str], path: Sequence[str]) -> int | None:
    """Index just after the command words ``path`` in ``argv`` (options may sit between)."""
    want = list(path)
    for i, word in enumerate(argv):
        if want and word == want[0]:
            want.pop(0)
            if not want:
                return i + 1
    return None


def add_format(
    parser: argparse.ArgumentParser,
    *,
    github: bool = False,
    default: str = "text",
    json_flag: bool = False,
    what: str = "the report",
) -> None:
    """``--format text|json`` (and ``github``: also write step outputs to $GITHUB_OUTPUT).

    ``json_flag`` keeps the old ``--json`` as a deprecated spelling of ``--format json``.
    """
    choices = ["text", "json", *(["github"] if github else [])]
    help_text = f"text: {what} for people; json: {what} as JSON on stdout"
    if github:
        help_text += "; github: text, and step outputs appended to $GITHUB_OUTPUT"
    parser.add_argument(
        "--format", choices=choices, default=default, help=f"{help_text} (default {default})"
    )
    if json_flag:
        parser.add_argument(
            "--json",
            dest="format",
            nargs=0,
            const="json",
            action=Deprecated,
            instead="--format json",
        )


def check_github_output(fmt: str) -> None:
    """``--format github`` outside Actions is bad input, found before any work is done."""
    if fmt == "github" and not os.environ.get("GITHUB_OUTPUT"):
        raise BadInput("--format github needs $GITHUB_OUTPUT (run it inside GitHub Actions)")


def print_json(data: Any) -> None:
    from cpython_release.output import write_report

    write_report(json.dumps(data, indent=2, sort_keys=True) + "\n")
