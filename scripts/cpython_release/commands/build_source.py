"""``cpython-release build-source``: the source tarballs (and docs) of a tagged commit.

    build-source V --repo PATH --commit SHA [--out DIR] [--docs] [--force]
    build-source X.Y.Z[pre].devYYYYMMDD --nightly --repo PATH --commit SHA ...
    build-source V --docs-only --repo PATH --commit SHA [--out DIR] [--force]
    build-source test-archive ARCHIVE... [--tests NAME...] [--jobs N] [--workdir DIR]
    build-source compare FRAGMENT FRAGMENT

Exit status: 0 success, 1 a check failed (tests, docs build, rebuild mismatch), 2 bad input
(a missing or moved tag, an unknown commit, a dirty or non-CPython tree, no blurb, an
output that already exists).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_nightly,
    parse_version,
    print_json,
)
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.ghactions import markdown_table, set_outputs, write_summary
from cpython_release.manifest import Manifest
from cpython_release.output import text_table
from cpython_release.source.build import build_docs, build_source
from cpython_release.source.testing import (
    DEFAULT_TESTS,
    ArchiveTest,
    compare_fragments,
    run_archive_test,
)
from cpython_release.version import ReleaseVersion


class _AnyWord(dict[str, argparse.ArgumentParser]):
    def __contains__(self, key: object) -> bool:
        return True


class VersionOrAction(argparse._SubParsersAction):  # type: ignore[type-arg]
    """``build-source VERSION [options]`` builds; ``build-source ACTION ...`` runs a sub-action.

    argparse cannot put an optional positional before sub-commands (it would take the
    sub-command's name), so the sub-command slot takes either: a word that names no
    sub-action is the version, and the options after it are the build's own.
    """

    def accept_any_word(self) -> None:
        """Call after the last ``add_parser``: argparse checks the word against ``choices``
        before calling us, so let every word through (sub-action names stay listed)."""
        self.choices = _AnyWord(self._name_parser_map)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if not values or values[0] in self._name_parser_map:
            super().__call__(parser, namespace, values, option_string)
            return
        namespace.version = values[0]
        rest, extras = parser.parse_known_args(values[1:], argparse.Namespace())
        if extras or getattr(rest, "action", None) is not None:
            parser.error(f"unrecognized arguments: {' '.join(values[1:])}")
        for key, value in vars(rest).items():
            if key != "version" and value != parser.get_default(key):
                setattr(namespace, key, value)


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "build-source",
        help="build Python-V.tgz and Python-V.tar.xz (and docs) from a tagged commit",
        description="Export the commit the tag vV points to exactly as release.py --export "
        "does (git archive, blurb merge/export, removals), write Python-V.tgz and "
        "Python-V.tar.xz reproducibly, and record them in a manifest fragment "
        "(fragment-build-source.json). Sub-actions: test-archive, compare.",
        epilog="Exit status: 0 success, 1 a check failed, 2 bad input.",
    )
    p.add_argument("--repo", type=Path, help="the CPython git checkout (with tags)")
    p.set_defaults(version=None)
    p.add_argument(
        "--commit",
        help="the full commit SHA the tag vV must point to (in nightly mode: the branch commit)",
    )
    add_nightly(p)
    p.add_argument("--out", type=Path, default=Path("dist"), help="output directory (dist)")
    p.add_argument("--repository", default="python/cpython", help="owner/name for the manifest")
    p.add_argument("--docs", action="store_true", help="also build the docs (rc and final)")
    p.add_argument("--docs-only", action="store_true", help="build only the docs archives")
    p.add_argument("--force", action="store_true", help="replace existing outputs")
    add_format(p, default="json", what="the fragment and its artifacts")
    p.set_defaults(func=run_build)
    actions = p.add_subparsers(
        dest="action",
        metavar="VERSION | ACTION",
        action=VersionOrAction,
        help="the release version to build (e.g. 3.13.5 or 3.14.0rc2), or a sub-action:",
    )

    t = actions.add_parser(
        "test-archive",
        help="extract, configure, make, install and test source archives",
        description="For each archive: check it against tarfile's data filter, extract it, "
        "./configure --prefix, make, make install, then run a test subset with the "
        "installed python3 (-m test -uall). Exit 1 if any step fails. With --workdir the "
        'builds stay: each passed archive\'s JSON "install" names its install prefix, and '
        "in GitHub Actions the step output install-dirs lists them (JSON, in archive order).",
    )
    t.add_argument("archives", nargs="+", type=Path, metavar="ARCHIVE")
    t.add_argument(
        "--tests",
        nargs="+",
        default=list(DEFAULT_TESTS),
        metavar="NAME",
        help=f"test modules to run (default: {' '.join(DEFAULT_TESTS)})",
    )
    t.add_argument("--jobs", type=int, default=None, help="make/test parallelism (CPU count)")
    t.add_argument("--workdir", type=Path, default=None, help="where to build (a temp dir)")
    t.set_defaults(func=run_test_archive)

    c = actions.add_parser(
        "compare",
        help="compare the content digests of two build-source fragments",
        description="Exit 1 unless both fragments give the same content digest (SHA-256 of "
        "the uncompressed tar) for every source archive: the rebuild check.",
    )
    c.add_argument("fragments", nargs=2, type=Path, metavar="FRAGMENT")
    c.set_defaults(func=run_compare)
    assert isinstance(actions, VersionOrAction)
    actions.accept_any_word()


def _require(args: argparse.Namespace) -> tuple[Path, ReleaseVersion, str]:
    missing = [
        "VERSION" if n == "version" else f"--{n}"
        for n in ("version", "repo", "commit")
        if not getattr(args, n)
    ]
    if missing:
        raise BadInput(f"missing {', '.join(missing)}")
    return args.repo, parse_version(args.version, args), args.commit


def run_build(args: argparse.Namespace) -> int:
    repo, version, commit = _require(args)
    if args.docs and args.docs_only:
        raise BadInput("--docs and --docs-only exclude each other")
    if args.docs_only:
        fragment = build_docs(
            repo, version, commit, args.out, repository=args.repository, force=args.force
        )
    else:
        fragment = build_source(
            repo,
            version,
            commit,
            args.out,
            repository=args.repository,
            docs=args.docs,
            force=args.force,
        )
    manifest = Manifest.load(fragment)
    names = [a.name for a in manifest.artifacts]
    if args.format == "text":
        print(f"wrote {fragment}:")
        rows = [(a.name, a.size, a.sha256) for a in manifest.artifacts]
        print(text_table(("artifact", "bytes", "sha256"), rows, right={1}))
    else:
        _print_built(fragment, manifest)
    if os.environ.get("GITHUB_OUTPUT"):
        set_outputs({"files": json.dumps(names), "fragment": fragment.name})
    write_summary(
        f"### {fragment.name}\n\n"
        + markdown_table(
            ["artifact", "size", "sha256", "content digest"],
            [(a.name, a.size, a.sha256, a.content_digest or "") for a in manifest.artifacts],
        )
    )
    return 0


def _print_built(fragment: Path, manifest: Manifest) -> None:
    print_json(
        {
            "fragment": str(fragment),
            "artifacts": [
                {
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.sha256,
                    "content_digest": a.content_digest,
                }
                for a in manifest.artifacts
            ],
        }
    )


def run_test_archive(args: argparse.Namespace) -> int:
    results: list[ArchiveTest] = []
    failures: list[str] = []
    installs: list[str | None] = []  # one per archive, in order; None where it failed
    with tempfile.TemporaryDirectory(prefix="test-source-") as tmp:
        workdir = (args.workdir or Path(tmp)).resolve()  # configure --prefix must be absolute
        for archive in args.archives:
            try:
                result = run_archive_test(archive, workdir, tests=tuple(args.tests), jobs=args.jobs)
            except CheckFailed as exc:
                failures.append(str(exc))
                installs.append(None)
                continue
            results.append(result)
            installs.append(str(result.install) if args.workdir else None)
    # where each archive was installed, for the next step: the JSON's "install" and the step
    # output install-dirs (one per archive, in order; null where it failed, and without
    # --workdir, whose temporary directory is gone by now)
    passed = [{**r.to_dict(), "install": str(r.install) if args.workdir else None} for r in results]
    print_json({"passed": passed, "failed": failures})
    if os.environ.get("GITHUB_OUTPUT"):
        set_outputs({"install-dirs": json.dumps(installs)})
    write_summary(
        "### test-archive\n\n"
        + markdown_table(
            ["archive", "result"],
            [(r.archive, "passed") for r in results]
            + [(f.splitlines()[0], "FAILED") for f in failures],
        )
    )
    if failures:
        raise CheckFailed(f"{len(failures)} of {len(args.archives)} archives failed", failures)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    first, second = args.fragments
    compared = compare_fragments(first, second)
    print_json({"match": True, "compared": compared})
    return 0
