"""``cpython-release plan``: which jobs a release runs."""

from __future__ import annotations

import argparse
import json

from cpython_release.commands.common import (
    Subparsers,
    add_nightly,
    add_release_cycle,
    print_json,
)
from cpython_release.errors import BadInput
from cpython_release.ghactions import set_outputs
from cpython_release.nightly_names import release_tag
from cpython_release.phase import ReleaseCycle
from cpython_release.plan import MODES, TARGETS, make_plan
from cpython_release.version import ReleaseVersion


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "plan",
        help="decide which jobs a release runs",
        description="Print which jobs run (docs, windows, macos, android, ios, gpg), the "
        "Windows and Android matrices, and the python.org files the release will have.",
    )
    p.add_argument("version", help="release version, e.g. 3.14.0rc2")
    p.add_argument("--commit", required=True, help="the full commit SHA the tag points to")
    p.add_argument(
        "--binaries-for-security",
        action="store_true",
        help="build Windows and macOS installers for a security-phase release",
    )
    gpg = p.add_mutually_exclusive_group()
    gpg.add_argument(
        "--gpg", dest="gpg", action="store_true", default=None, help="GPG-sign even for 3.14+"
    )
    gpg.add_argument("--no-gpg", dest="gpg", action="store_false", help="never GPG-sign")
    p.add_argument(
        "--mode",
        choices=MODES,
        default=None,
        help="release (default), rehearsal (a fork's dry run) or nightly",
    )
    add_nightly(p)
    p.add_argument(
        "--publish-target",
        choices=TARGETS,
        default="none",
        help="where the run publishes; python-org only in release mode",
    )
    p.add_argument(
        "--format",
        choices=("json", "github"),
        default="json",
        help="json: print the plan; github: also append outputs to $GITHUB_OUTPUT",
    )
    add_release_cycle(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.nightly and args.mode not in (None, "nightly"):
        raise BadInput(f"--nightly and --mode {args.mode} contradict each other")
    mode = "nightly" if args.nightly else args.mode or "release"
    version = ReleaseVersion.parse(args.version, nightly=mode == "nightly")
    plan = make_plan(
        version,
        args.commit,
        ReleaseCycle.load(args.release_cycle),
        binaries_for_security=args.binaries_for_security,
        gpg=args.gpg,
        mode=mode,
        publish_target=args.publish_target,
    )
    data = plan.to_dict()
    if args.format == "github":
        outputs = {
            "version": str(version),
            "tag": version.tag,
            "xyz": version.xyz,
            "branch": version.branch,
            "stage": version.stage,
            "phase": str(plan.phase),
            "commit": plan.commit,
            "mode": plan.mode,
            "release-tag": release_tag(version, plan.commit),
            "publish-target": plan.publish_target,
            "publish-python-org": str(plan.publish_target == "python-org").lower(),
            "publish-github": str(plan.publish_target == "github").lower(),
            "windows-matrix": json.dumps({"include": plan.windows_matrix}, sort_keys=True),
            "android-matrix": json.dumps({"include": plan.android_matrix}, sort_keys=True),
            "plan": json.dumps(data, sort_keys=True),
        }
        outputs.update({k: str(v).lower() for k, v in plan.jobs.items()})
        set_outputs(outputs)
    print_json(data)
    return 0
