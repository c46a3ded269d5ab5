"""``cpython-release inventory``: the python.org files of a release."""

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
from cpython_release.inventory import gates, inventory, listing
from cpython_release.output import text_table
from cpython_release.phase import Phase, ReleaseCycle


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "inventory",
        help="list the files a release publishes",
        description="List every python.org file of a release, with its kind, platform and "
        "producing job, or the directory listing of /ftp/python/XYZ/ (--listing).",
    )
    p.add_argument("version", metavar="VERSION", help="the release version, e.g. 3.14.1")
    add_nightly(p)
    p.add_argument(
        "--phase",
        choices=[str(x) for x in Phase],
        help="override the phase instead of reading the release-cycle data",
    )
    p.add_argument("--binaries-for-security", action="store_true")
    p.add_argument("--listing", action="store_true", help="print the directory listing")
    add_release_cycle(p)
    add_format(p, default="json", what="the files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    phase = (
        Phase(args.phase) if args.phase else ReleaseCycle.load(args.release_cycle).phase_of(version)
    )
    g = gates(version, phase, binaries_for_security=args.binaries_for_security)
    if args.listing:
        print("\n".join(listing(version, g)))
        return 0
    files = [
        {
            "name": f.name,
            "directory": f.directory,
            "kind": f.kind,
            "platform": f.platform,
            "arch": f.arch,
            "job": f.job,
            "companions": [f.name + c for c in f.companions],
        }
        for f in inventory(version, g)
    ]
    if args.format == "json":
        print_json(files)
        return 0
    print(
        text_table(
            ("file", "kind", "platform", "arch", "job"),
            [(f["name"], f["kind"], f["platform"], f["arch"] or "-", f["job"]) for f in files],
        )
    )
    return 0
