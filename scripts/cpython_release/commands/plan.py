"""``cpython-release plan``: which jobs a release runs."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_nightly,
    add_release_cycle,
    check_github_output,
    is_nightly,
    print_json,
)
from cpython_release.errors import BadInput
from cpython_release.ghactions import in_actions, set_outputs, write_summary
from cpython_release.nightly_names import release_tag
from cpython_release.output import NORMAL, annotate, note, plural, verbosity
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
    p.add_argument("version", metavar="VERSION", help="release version, e.g. 3.14.0rc2")
    p.add_argument("--commit", required=True, help="the full commit SHA the tag points to")
    p.add_argument(
        "--binaries-for-security",
        action="store_true",
        help="build Windows and macOS installers for a security-phase release",
    )
    p.add_argument(
        "--no-installers",
        dest="installers",
        action="store_false",
        help="no Windows or macOS installers, whatever the phase (rehearsal and nightly "
        "modes only: a fork's Linux-only run)",
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
    add_format(p, github=True, default="json", what="the plan")
    p.add_argument(
        "--secrets-present",
        metavar="NAMES",
        default=None,
        help="the secrets this run has (names, separated by spaces or commas; the workflow "
        "passes which are non-empty, never their values). A release missing one it needs "
        "(GPG_PRIVATE_KEY when GPG-signing) stops here, before any build; a rehearsal or "
        "nightly goes on and says what it will skip",
    )
    p.add_argument(
        "--secrets-in-environment",
        metavar="NAMES",
        default="",
        help="secrets the caller keeps in the signing environment (behind its reviewers), "
        "where no job before the approval can see them: the plan accepts them as declared "
        "and says they are checked when the sign job starts",
    )
    add_release_cycle(p)
    p.set_defaults(func=run)


def _names(text: str | None) -> set[str]:
    return {n for n in (text or "").replace(",", " ").split() if n}


def check_secrets(
    plan_jobs: dict[str, bool], mode: str, present: str | None, declared: str = ""
) -> list[str]:
    """Notices for the secrets a run lacks; raises BadInput in release mode."""
    if present is None:
        return []
    have, in_environment = _names(present), _names(declared)
    needed = {"GPG_PRIVATE_KEY": "GPG signatures (.asc)"} if plan_jobs.get("gpg") else {}
    notices = [
        f"NOTICE: {n} is declared to be kept in the signing environment, where the plan "
        "cannot see it: whether it is there is only known when the sign job starts, after "
        "the approval"
        for n in sorted(needed.keys() & (in_environment - have))
    ]
    missing = {name: what for name, what in needed.items() if name not in have | in_environment}
    if not missing:
        return notices
    if mode == "release":
        raise BadInput(
            "the release needs secrets it does not have: "
            + ", ".join(f"{n} (for {w})" for n, w in missing.items())
            + "; set them (see workflows/SETUP.md) before any build runs"
        )
    return [
        f"NOTICE: no {n}: this {mode} makes no {w}; everything else runs"
        for n, w in missing.items()
    ]


def run(args: argparse.Namespace) -> int:
    if is_nightly(args) and args.mode not in (None, "nightly"):
        raise BadInput(f"--nightly and --mode {args.mode} contradict each other")
    check_github_output(args.format)
    mode = "nightly" if is_nightly(args) else args.mode or "release"
    version = ReleaseVersion.parse(args.version, nightly=mode == "nightly")
    cycle, cycle_notice = ReleaseCycle.load_live(args.release_cycle)
    if cycle_notice and mode == "release":
        _release_without_live_data(cycle_notice)
    plan = make_plan(
        version,
        args.commit,
        cycle,
        binaries_for_security=args.binaries_for_security,
        gpg=args.gpg,
        mode=mode,
        publish_target=args.publish_target,
        installers=args.installers,
    )
    notices = check_secrets(plan.jobs, mode, args.secrets_present, args.secrets_in_environment)
    if args.format != "text":  # (text prints them with the plan)
        if cycle_notice and mode != "release":  # (a release said it louder above)
            note(f"NOTICE: {cycle_notice}")
        for notice in notices:
            note(notice)
    data = {
        **plan.to_dict(),
        # where the phase, and so what runs, came from: part of the plan, whatever -q says
        "release_cycle": {"source": cycle.source, "notice": cycle_notice or None},
        "notices": notices,
    }
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
    if args.format == "text":
        print(plan_text(data))
    else:
        print_json(data)
    return 0


def plan_text(data: dict[str, Any]) -> str:
    """The plan for people: what runs, what does not, and the files it will publish."""
    jobs = data.get("jobs", {})
    lines = [
        f"{data.get('mode', 'release')} of Python {data.get('version')} at {data.get('commit')} "
        f"(phase {data.get('phase')}, publish to {data.get('publish_target', 'none')})",
        "runs:    " + (", ".join(j for j, on in jobs.items() if on) or "build-source only"),
        "skipped: " + (", ".join(j for j, on in jobs.items() if not on) or "nothing"),
        f"files:   {plural(len(data.get('artifacts', [])), 'artifact')}",
    ]
    lines += [f"  {a}" for a in data.get("artifacts", [])]
    cycle_notice = (data.get("release_cycle") or {}).get("notice")
    notices = [cycle_notice] if cycle_notice else []
    notices += [n.removeprefix("NOTICE: ") for n in data.get("notices", [])]
    lines += [f"notice: {n}" for n in notices]
    return "\n".join(lines)


def _release_without_live_data(notice: str) -> None:
    """The snapshot stood in for the live data in a release: a banner (one warning line
    under -q: a warning is not a progress note), an Actions warning and a line in the step
    summary. The notice is also in the plan itself (``release_cycle.notice``)."""
    if verbosity() >= NORMAL:
        bar = "!" * 72
        print(f"{bar}\n{RELEASE_BANNER}: {notice}\n{bar}", file=sys.stderr)
    else:
        print(f"warning: {RELEASE_BANNER}: {notice}", file=sys.stderr)
    annotate("warning", notice, title="Release-cycle data from the bundled snapshot")
    if in_actions():
        write_summary(f"> **Warning:** {notice}\n")


RELEASE_BANNER = "RELEASE MODE WITHOUT LIVE RELEASE-CYCLE DATA"
