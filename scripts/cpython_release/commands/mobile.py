"""``cpython-release mobile``: Android and iOS builds with CPython's own CI tooling."""

from __future__ import annotations

import argparse
from pathlib import Path

from cpython_release.commands.common import (
    Subparsers,
    add_nightly,
    add_version,
    parse_version,
    print_json,
)
from cpython_release.inventory import ANDROID_ARCHES
from cpython_release.platforms import mobile
from cpython_release.platforms.cliargs import add_check_tag, add_dry_run, add_fragment, make_runner


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "mobile",
        help="build and test the Android and iOS packages",
        description="Android (3.14+) and iOS (3.15+) builds.",
    )
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_check_tag(msub, "mobile")

    a = msub.add_parser(
        "android",
        help="Platforms/Android ci --fast-ci, then collect",
        description="Build and test one Android architecture with CPython's "
        "Platforms/Android tool (linked from Android/ on 3.14) and copy "
        "python-V-<arch>-linux-android.tar.gz to DIST.",
    )
    a.add_argument("--source", type=Path, required=True)
    a.add_argument("--arch", required=True, choices=ANDROID_ARCHES)
    a.add_argument("--dist", type=Path, required=True)
    a.add_argument("--python", default="python3")
    add_version(a)
    add_nightly(a)
    add_dry_run(a)
    a.set_defaults(func=run_android)

    i = msub.add_parser(
        "ios",
        help="Platforms/Apple ci iOS --slow-ci, then collect",
        description="Build and test the iOS XCframework with CPython's "
        "Platforms/Apple tool and copy python-V-iOS-XCframework.tar.gz to DIST.",
    )
    i.add_argument("--source", type=Path, required=True)
    i.add_argument("--dist", type=Path, required=True)
    i.add_argument("--python", default="python3")
    add_version(i)
    add_nightly(i)
    add_dry_run(i)
    i.set_defaults(func=run_ios)

    add_fragment(msub, "Android and iOS")


def run_android(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    mobile.check_android(version)
    name = mobile.android_name(version, args.arch)
    runner = make_runner(args)
    if not args.dry_run:
        for made in mobile.ensure_android_tool(args.source):
            print(f"compatibility shim: {made}")
    runner.run(mobile.android_argv(args.python, args.arch), cwd=args.source)
    if args.dry_run:
        return 0
    target = mobile.collect(mobile.android_dist(args.source, args.arch), name, args.dist)
    print_json({"artifact": str(target)})
    return 0


def run_ios(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    mobile.check_ios(version)
    runner = make_runner(args)
    runner.run(mobile.ios_argv(args.python), cwd=args.source)
    if args.dry_run:
        return 0
    target = mobile.collect(mobile.ios_dist(args.source), mobile.ios_name(version), args.dist)
    print_json({"artifact": str(target)})
    return 0
