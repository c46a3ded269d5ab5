"""``cpython-release finish VERSION --repo PATH``: after publishing.

Exit status: 0 done; 1 a push failed (re-run it: what was made is kept), the manifest does
not match the files in --release-dir (nothing made), or the announcement is UNVERIFIED
(--manifest without --release-dir); 2 bad input (no such tag, a branch that exists here or on
the remote with other content than finish makes, no $GITHUB_TOKEN or one that cannot push, an
unreadable manifest), nothing changed.

A re-run converges: a branch an earlier run made or pushed is kept when it has the content
this run makes (same tree, same parents), and an open pull request of the same branch into the
same base is kept, not opened twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path

from cpython_release.blockers import check_repository
from cpython_release.commands.common import Subparsers, add_github_api, parse_version
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.finish import release_cycle
from cpython_release.finish.announce import (
    UNVERIFIED_BANNER,
    check_release_dir,
    discourse_post,
    email,
    security_fixes,
)
from cpython_release.finish.changes import (
    branch_names,
    create_branches,
    make_changes,
    remote_heads,
    tag_commit,
)
from cpython_release.finish.pulls import check_push_access, check_token, open_pulls, push
from cpython_release.ghactions import in_actions, write_summary
from cpython_release.manifest import Manifest
from cpython_release.prepare.checks import check_repo
from cpython_release.prepare.gitutil import git
from cpython_release.version import ReleaseVersion


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "finish",
        help="after publishing: post-release branch and pull request, draft announcement",
        description="Make the post-release commit (patchlevel and README to VERSION+, or "
        "+dev from 3.15, as release.py --done) on a new branch post-release-VERSION from the "
        "tag; at b1 also the new X.Y branch and main's bump to the next a0 with its What's "
        "New skeleton. With --push, push the branches and open the pull requests (PyGithub, "
        "$GITHUB_TOKEN). With --manifest, write the draft announcement (Discourse post and "
        "e-mail: files table, hashes, the Security section with its CVEs) into --out and the "
        "step summary. At b1 and X.Y.0 the release-cycle data changes (see "
        "--release-cycle-repo): the diff and the pull request body go into --out, and with "
        "--push the pull request is opened ($RELEASE_CYCLE_TOKEN, else $GITHUB_TOKEN).",
        epilog="Exit status: 0 done, 1 a push or pull request failed, 2 bad input.",
    )
    p.add_argument("version", metavar="VERSION", help="the published release, e.g. 3.11.3")
    p.add_argument("--repo", type=Path, required=True, help="the CPython clone holding the tag")
    p.add_argument("--manifest", type=Path, help="the signed release manifest (announcement)")
    p.add_argument(
        "--release-dir",
        type=Path,
        metavar="DIR",
        help="the released files: every hash of --manifest is checked against them (without "
        "it the announcement says UNVERIFIED and the exit status is 1)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="where the drafts go: an empty or new directory outside the clone, so they "
        "never end up in a commit (default finish-VERSION beside the clone)",
    )
    p.add_argument("--push", action="store_true", help="push the branches, open the PRs")
    p.add_argument("--remote", default="origin", help="where --push pushes (default origin)")
    p.add_argument(
        "--repository",
        default=os.environ.get("GITHUB_REPOSITORY") or "python/cpython",
        metavar="OWNER/NAME",
        help="where the pull requests go (default $GITHUB_REPOSITORY or python/cpython)",
    )
    add_github_api(p)
    p.add_argument(
        "--release-cycle-repo",
        default=release_cycle.RELEASE_CYCLE_REPO,
        metavar="OWNER/NAME",
        help=f"the repository holding {release_cycle.RELEASE_CYCLE_PATH}, where its pull "
        f"request goes (default {release_cycle.RELEASE_CYCLE_REPO})",
    )
    cycle = p.add_mutually_exclusive_group()
    cycle.add_argument(
        "--release-cycle-data",
        type=Path,
        metavar="FILE",
        help="without --push: read the current release-cycle.json from FILE instead of "
        "--release-cycle-repo (offline)",
    )
    cycle.add_argument(
        "--no-release-cycle",
        action="store_true",
        help="leave the release-cycle data alone (forks)",
    )
    p.add_argument(
        "--downloads-url",
        default="https://www.python.org",
        metavar="URL",
        help="the site the announcement links to (default https://www.python.org)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args, exact=True)
    repo = check_repo(args.repo)
    tag_commit(repo, version)
    args.out = out_dir(args.out, repo, version)
    repository = check_repository(args.repository)
    manifest = Manifest.load(args.manifest) if args.manifest else None
    if manifest is not None and manifest.release.version != str(version):
        raise BadInput(f"{args.manifest} is the manifest of {manifest.release.version}")
    if args.push and args.release_cycle_data is not None:
        raise BadInput("--release-cycle-data is for a dry run: --push reads the repository")
    if args.release_dir is not None and manifest is None:
        raise BadInput("--release-dir checks the hashes of --manifest: give --manifest too")
    if manifest is not None and args.release_dir is not None:
        check_release_dir(manifest, args.release_dir)  # exit 1 before anything is made
    token = os.environ.get("GITHUB_TOKEN") or None
    pushed: dict[str, str] = {}  # the branches an earlier run pushed
    if args.push:
        git(repo, "remote", "get-url", args.remote)
        check_token(repository, args.github_api, token)  # before anything is made or pushed
        pushed = remote_heads(repo, args.remote, branch_names(version))
    cycle_repo = check_repository(args.release_cycle_repo)
    cycle_token = os.environ.get("RELEASE_CYCLE_TOKEN") or os.environ.get("GITHUB_TOKEN") or None
    cycle, blob_sha = _cycle_update(args, version, cycle_repo, cycle_token)
    fixes = security_fixes(repo, version)
    check_out(args.out)
    # every branch is checked (kept from an earlier run when its content is the same) and
    # the push is tried dry before any branch is made or pushed
    changes = make_changes(
        repo, version, remote=args.remote if args.push else None, pushed=pushed, create=False
    )
    to_push = [c for c in changes if pushed.get(c.head) != c.commit]
    if args.push:
        check_push_access(repo, args.remote, to_push)
    create_branches(repo, changes)
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {
        "version": str(version),
        "changes": [c.to_dict() for c in changes],
        "security": [f.__dict__ for f in fixes],
    }
    summary = [f"### Finished {version}\n", f"Drafts and pull request bodies: `{args.out}`\n"]
    for c in changes:
        (args.out / f"pr-{c.head}.md").write_text(f"# {c.title}\n\n{c.body}")
        summary.append(f"- `{c.head}` -> `{c.base or '(new branch)'}`: {c.title}")
    if cycle is not None:
        (args.out / "release-cycle.diff").write_text(cycle.diff())
        (args.out / f"pr-{cycle.head}.md").write_text(f"# {cycle.title}\n\n{cycle.body()}")
        report["release_cycle"] = {
            "repository": cycle_repo,
            "path": release_cycle.RELEASE_CYCLE_PATH,
            "head": cycle.head,
            "changes": cycle.changes,
            "todo": cycle.todo,
        }
        summary.append(
            f"- `{cycle_repo}` `{cycle.head}` -> `{release_cycle.RELEASE_CYCLE_BASE}`: "
            f"{cycle.title} ({'; '.join(cycle.changes)})"
        )
    if manifest is not None:
        post = discourse_post(version, manifest, fixes, args.downloads_url.rstrip("/"))
        mail = email(version, manifest, fixes)
        if args.release_dir is None:
            post, mail = UNVERIFIED_BANNER + post, UNVERIFIED_BANNER.replace("**", "") + mail
        (args.out / "announcement-discourse.md").write_text(post)
        (args.out / "announcement-email.txt").write_text(mail)
        summary += ["", "#### Draft announcement", "", post]
        report["announcement"] = ["announcement-discourse.md", "announcement-email.txt"]
    else:
        summary.append("\nNo announcement: --manifest was not given.")
    if args.push:
        push(repo, args.remote, to_push)
        already = [c.head for c in changes if c not in to_push]
        report["pushed"], report["already_pushed"] = [c.head for c in to_push], already
        summary += [f"- pushed `{c.head}` to {args.remote}" for c in to_push]
        summary += [f"- `{h}` was already on {args.remote}" for h in already]
        pulls = open_pulls(changes, repository, args.github_api, token)
        if cycle is not None:
            pulls.append(
                release_cycle.open_pull(cycle, cycle_repo, blob_sha, args.github_api, cycle_token)
            )
        report["pulls"] = pulls
    (args.out / "finish.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    if in_actions():
        write_summary("\n".join(summary) + "\n")
    if args.format == "json":
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print("\n".join(summary))
    if manifest is not None and args.release_dir is None:
        raise CheckFailed(
            "the announcement is UNVERIFIED: its hashes were not checked against the released "
            "files; give --release-dir (the rest was done)"
        )
    return 0


#: What finish writes into --out: a re-run may write them again.
_DRAFTS = ("finish.json", "pr-*.md", "announcement-*", "release-cycle.diff")


def check_out(out: Path) -> None:
    """``--out`` is new, empty, or holds only the drafts of an earlier run."""
    if not out.exists():
        return
    if not out.is_dir():
        raise BadInput(f"--out {out} is not a directory")
    other = [p.name for p in out.iterdir() if not any(p.match(g) for g in _DRAFTS)]
    if other:
        raise BadInput(
            f"--out {out} holds other files than finish's drafts ({', '.join(sorted(other)[:3])})"
        )


def out_dir(out: Path | None, repo: Path, version: ReleaseVersion) -> Path:
    """``--out``, or ``finish-VERSION`` beside the clone; never inside the clone's work tree,
    where ``git add --all`` (prepare's next release commit) would pick the drafts up."""
    if out is None:
        return repo.parent / f"finish-{version}"
    where = out.resolve()
    if where == repo or repo in where.parents:
        raise BadInput(
            f"--out {out} is inside the clone {repo}: the drafts would end up in a commit; "
            "give a directory outside it"
        )
    return out


def _cycle_update(
    args: argparse.Namespace, version: ReleaseVersion, repository: str, token: str | None
) -> tuple[release_cycle.CycleUpdate | None, str]:
    """The release-cycle update of ``version`` (read before anything changes) and the blob
    sha the pull request replaces ("" when read from --release-cycle-data)."""
    if args.no_release_cycle or not release_cycle.changes_release_cycle(version):
        return None, ""
    if args.release_cycle_data is not None:
        text, sha, source = (
            release_cycle.read_file(args.release_cycle_data),
            "",
            str(args.release_cycle_data),
        )
    else:
        text, sha = release_cycle.read_repository(repository, args.github_api, token)
        source = f"{repository}:{release_cycle.RELEASE_CYCLE_PATH}"
    today = dt.datetime.now(dt.UTC).date()
    return release_cycle.update(version, text, source, today), sha
