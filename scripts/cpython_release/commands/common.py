"""Arguments and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TypeAlias

from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion

# The object ``add_subparsers()`` returns; each command module's ``register`` takes one.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_release_cycle(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release-cycle",
        metavar="FILE_OR_URL",
        help="release-cycle JSON to use instead of the bundled snapshot "
        "(also $CPYTHON_RELEASE_CYCLE)",
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


def parse_version(text: str | None, args: argparse.Namespace) -> ReleaseVersion:
    """The command's version in its mode (``--nightly`` or not); a mismatch is bad input."""
    if not text:
        raise BadInput("missing the release version")
    return ReleaseVersion.parse(text, nightly=is_nightly(args))


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))
