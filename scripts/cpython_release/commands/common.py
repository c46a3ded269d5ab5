"""Arguments and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import json
from typing import Any, TypeAlias

# The object ``add_subparsers()`` returns; each command module's ``register`` takes one.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_release_cycle(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release-cycle",
        metavar="FILE_OR_URL",
        help="release-cycle JSON to use instead of the bundled snapshot "
        "(also $CPYTHON_RELEASE_CYCLE)",
    )


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))
