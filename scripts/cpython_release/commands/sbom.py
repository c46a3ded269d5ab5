"""``cpython-release sbom``: SPDX 2.3 SBOMs for the source tarballs and Windows artifacts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cpython_release.commands.common import Subparsers, print_json
from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest, merge
from cpython_release.sbom.pip import PyPIJson
from cpython_release.sbom.stage import write_sboms


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sbom",
        help="write SPDX SBOMs for the artifacts that get one",
        description=(
            "Write ARTIFACT.spdx.json (SPDX 2.3, reproducible: created = the release commit "
            "time, sorted lists) for each source tarball, Windows installer and embeddable "
            "zip listed in the manifest fragments, and write the manifest with each SBOM "
            "recorded. Source SBOMs come from the tarball itself (Misc/sbom.spdx.json, every "
            "file, the bundled pip); Windows SBOMs from Misc/externals.spdx.json of --source."
        ),
        epilog="PyPI is not asked unless --pypi is given; the output says when the check "
        "was skipped. Exit status: 0 written, 1 a check failed, 2 bad input.",
    )
    p.add_argument(
        "directory", type=Path, metavar="DIRECTORY", help="the directory holding the artifacts"
    )
    p.add_argument(
        "--fragment",
        dest="fragments",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="manifest fragment listing the artifacts (repeat)",
    )
    p.add_argument(
        "--source",
        type=Path,
        metavar="TREE_OR_TARBALL",
        help="CPython source tree or tarball for Windows SBOMs (default: the "
        "release's source tarball in DIRECTORY)",
    )
    p.add_argument(
        "--pypi",
        action="store_true",
        help="check the bundled pip wheel against PyPI and fill in the vendored "
        "packages' download locations and hashes (needs network)",
    )
    p.add_argument("--pypi-url", default="https://pypi.org", help=argparse.SUPPRESS)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="write the manifest (fragment) with the SBOMs recorded here",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.fragments:
        raise BadInput("give the manifest fragment(s) listing the artifacts (--fragment FILE)")
    if not args.directory.is_dir():
        raise BadInput(f"{args.directory} is not a directory")
    manifest = merge([Manifest.load(p) for p in args.fragments])
    notes: list[str] = []

    def log(message: str) -> None:
        notes.append(message)
        print(message, file=sys.stderr)

    pypi = PyPIJson(args.pypi_url) if args.pypi else None
    updated = write_sboms(args.directory, manifest, args.source, pypi=pypi, log=log)
    updated.write(args.output)
    print_json(
        {
            "manifest": str(args.output),
            "sboms": sorted(a.sbom.name for a in updated.artifacts if a.sbom),
            "pypi_checked": bool(args.pypi),
            "notes": notes,
        }
    )
    return 0
