"""``cpython-release version V``: parse a release version and show what follows from it."""

from __future__ import annotations

import argparse

from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_nightly,
    add_release_cycle,
    parse_version,
    print_json,
)
from cpython_release.phase import ReleaseCycle


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "version",
        help="parse a release version",
        description="Parse a CPython release version (3.13.5, 3.14.0rc2, v3.12.11) and print "
        "its tag, branch, stage, python.org directory and release phase as JSON.",
    )
    p.add_argument("version", metavar="VERSION", help="the release version or tag")
    add_format(p, default="json", what="the version's facts")
    add_nightly(p)
    add_release_cycle(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    cycle = ReleaseCycle.load(args.release_cycle)
    facts = {**version.to_dict(), "phase": str(cycle.phase_of(version))}
    if args.format == "json":
        print_json(facts)
    else:
        print("\n".join(f"{key}: {'' if value is None else value}" for key, value in facts.items()))
    return 0
