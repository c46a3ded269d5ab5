"""``cpython-release manifest``: merge, show, check and write release manifests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cpython_release import __version__
from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_nightly,
    add_version,
    parse_version,
    print_json,
)
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.ghactions import markdown_table, write_summary
from cpython_release.hashing import sha256_file
from cpython_release.integrity import check_directory
from cpython_release.inventory import classify
from cpython_release.manifest import (
    Artifact,
    Manifest,
    ReleaseInfo,
    created_from_timestamp,
    merge,
)
from cpython_release.nightly_names import release_tag
from cpython_release.output import plural, text_table
from cpython_release.plan import check_commit


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "manifest",
        help="merge, show and check release manifests",
        description="The release manifest is the one contract between jobs.",
    )
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    m = msub.add_parser(
        "merge",
        help="merge fragments into one manifest",
        description="Merge manifest fragments. The release facts must agree, "
        "and an artifact may appear twice only with identical bytes.",
    )
    m.add_argument("fragments", nargs="+", type=Path, metavar="FRAGMENT", help="fragment files")
    m.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")
    m.set_defaults(func=run_merge)

    s = msub.add_parser("show", help="print a manifest as a table or JSON")
    s.add_argument("manifest", type=Path, metavar="MANIFEST")
    add_format(s, json_flag=True, what="the manifest (json: its canonical JSON)")
    s.set_defaults(func=run_show)

    c = msub.add_parser(
        "check",
        help="re-hash a directory against a manifest",
        description="Validate a manifest and re-hash every artifact, signature "
        "and SBOM it lists in DIR. Exit 1 names every missing, changed or "
        "(with --strict) unlisted file.",
    )
    c.add_argument("manifest", type=Path, metavar="MANIFEST")
    c.add_argument("--dir", type=Path, help="artifact directory (default: the manifest's)")
    c.add_argument("--strict", action="store_true", help="fail on files the manifest omits")
    add_format(c, what="the result")
    c.set_defaults(func=run_check)

    f = msub.add_parser(
        "fragment",
        help="describe built files as a manifest fragment",
        description="Hash FILES and write a fragment. Kind, platform and arch "
        "come from the release inventory, so only python.org's names pass.",
    )
    add_version(f)
    f.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_nightly(f)
    f.add_argument("--commit", required=True)
    f.add_argument("--repository", required=True, help="OWNER/REPO the commit comes from")
    f.add_argument(
        "--created",
        required=True,
        type=int,
        metavar="UNIX_TIME",
        help="the commit time (git log -1 --format=%%ct)",
    )
    f.add_argument("--producer", required=True, help="the job that built the files")
    f.add_argument("-o", "--output", type=Path, required=True)
    f.set_defaults(func=run_fragment)


def run_merge(args: argparse.Namespace) -> int:
    merged = merge([Manifest.load(p) for p in args.fragments])
    if args.output:
        merged.write(args.output)
        print(
            f"merged {len(args.fragments)} fragments, {len(merged.artifacts)} artifacts "
            f"-> {args.output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(merged.dumps())
    return 0


def run_show(args: argparse.Namespace) -> int:
    m = Manifest.load(args.manifest)
    if args.format == "json":
        sys.stdout.write(m.dumps())
        return 0
    r = m.release
    print(f"Python {r.version} ({r.tag} = {r.commit}) from {r.repository}, created {r.created}")
    rows = [
        (
            a.name,
            a.platform,
            a.arch or "-",
            a.size,
            a.sha256[:16],
            ",".join(s.type for s in a.signatures) or "-",
            "yes" if a.sbom else "-",
        )
        for a in sorted(m.artifacts, key=lambda a: a.name)
    ]
    headers = ("file", "platform", "arch", "size", "sha256 (start)", "signatures", "sbom")
    print(text_table(headers, rows, right={3}))
    return 0


def run_check(args: argparse.Namespace) -> int:
    m = Manifest.load(args.manifest)
    directory = args.dir or args.manifest.parent
    if not directory.is_dir():
        raise BadInput(f"{directory} is not a directory")
    ignore = {
        args.manifest.name,
        args.manifest.name + ".sigstore",
        "SHA256SUMS",
        "SHA256SUMS.sigstore",
        "SHA256SUMS.asc",
    }
    report = check_directory(m, directory, ignore=ignore)
    rows = [(p, "FAIL") for p in report.problems(args.strict)]
    if report.unlisted and not args.strict:
        rows += [(f"unlisted file: {n}", "warning") for n in report.unlisted]
    write_summary(
        "### Manifest check\n\n"
        + markdown_table(("file", "result"), rows or [(f"{report.checked} files", "ok")])
    )
    for n in report.unlisted if not args.strict else []:
        print(f"warning: unlisted file: {n}", file=sys.stderr)
    if args.format == "json":
        print_json(
            {
                "manifest": str(args.manifest),
                "directory": str(directory),
                "checked": report.checked,
                "ok": report.ok(args.strict),
                "problems": report.problems(args.strict),
                "unlisted": report.unlisted,
            }
        )
    if not report.ok(args.strict):
        raise CheckFailed(
            f"{directory} does not match {args.manifest}", report.problems(args.strict)
        )
    if args.format == "text":
        print(f"ok: {plural(report.checked, 'file')} match {args.manifest}")
    return 0


def run_fragment(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    commit = check_commit(args.commit)
    release = ReleaseInfo(
        version=str(version),
        tag=release_tag(version, commit),
        commit=commit,
        repository=args.repository,
        toolkit_version=__version__,
        created=created_from_timestamp(args.created),
    )
    artifacts = []
    for path in args.files:
        if not path.is_file():
            raise BadInput(f"no such file: {path}")
        planned = classify(version, path.name)
        digest = sha256_file(path)
        artifacts.append(
            Artifact(
                name=path.name,
                kind=planned.kind,
                platform=planned.platform,
                arch=planned.arch,
                size=digest.size,
                sha256=digest.sha256,
                producer=args.producer,
            )
        )
    fragment = Manifest(release, tuple(artifacts))
    Manifest.from_dict(fragment.to_dict(), str(args.output))  # schema-check what we write
    fragment.write(args.output)
    print_json({"fragment": str(args.output), "artifacts": fragment.names()})
    return 0
