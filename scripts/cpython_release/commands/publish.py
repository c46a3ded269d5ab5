"""``cpython-release publish``: put a verified release where people download it.

One command for every target. It reads the signed manifest in the artifact directory,
checks the manifest's signature as ``verify`` does (the signer named by the identity options,
bound to the manifest's version: exit 1 unless it holds), re-hashes every file against it
(exit 1 on any missing or changed file, before anything is published), then:

* ``local`` (the default): python.org's trees and API records in a directory (rehearsals);
* ``python-org``: first every credential is checked (SSH login and both roots, the API key
  as a staff key, the v2 token), before anything is written; then files over SFTP (staged,
  verified on the server, then renamed into place) with the signed manifest, SHA256SUMS and
  their signatures, the HTML docs, the API records (a complete Release, published last), then
  the CDN purge of what changed;
* ``github``: a GitHub release with the files as assets.

``--dry-run`` prints the whole plan (files to upload, API objects to create or delete, URLs
to purge) and changes nothing. A re-run of a finished publish only skips.

Every change made on a server is printed as it happens and, with ``--journal FILE``, appended
to that JSON-lines file, which ends with the run's status and the steps left to a person
(:mod:`cpython_release.publish.journal`). Exit 2 (bad input) means nothing was changed; a
failure after changes is exit 1, and re-running the same command resumes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpython_release.commands.common import Subparsers, add_format, print_json
from cpython_release.errors import BadInput, CheckFailed, ReleaseError
from cpython_release.ghactions import markdown_table, write_summary
from cpython_release.integrity import check_directory
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.output import note, plural
from cpython_release.publish.actions import PublishResult, Verb
from cpython_release.publish.journal import Journal
from cpython_release.publish.layout import DOCS_ROOT, DOWNLOADS_URL, FTP_ROOT
from cpython_release.secure_url import credential_url

TARGETS = ("local", "python-org", "github")
PARTS = ("files", "docs", "api", "purge")
DEFAULT_LOCAL_ROOT = "python.org-local"
# Files that sit in the artifact directory without being artifacts.
NOT_ARTIFACTS = frozenset(
    {
        MANIFEST_NAME,
        MANIFEST_NAME + ".sigstore",
        MANIFEST_NAME + ".asc",
        "SHA256SUMS",
        "SHA256SUMS.sigstore",
        "SHA256SUMS.asc",
    }
)


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "publish",
        help="publish a verified release to python.org, GitHub or a local tree",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 published (or nothing to do), 1 a check failed (files do not "
        "match the manifest, different content already published, host key refused, "
        "connection lost, any failure after something was changed: re-run to resume), 2 bad "
        "input and nothing was changed (missing or rejected credentials, bad options).",
    )
    p.add_argument(
        "--target", choices=TARGETS, default="local", help="where to publish (default: local)"
    )
    p.add_argument(
        "--dir",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="the artifact directory (default: the current directory)",
    )
    p.add_argument(
        "--manifest",
        type=Path,
        metavar="FILE",
        help=f"the signed manifest (default: DIR/{MANIFEST_NAME})",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument(
        "--replace",
        action="store_true",
        help="overwrite published files whose content differs (default: refuse)",
    )
    p.add_argument(
        "--check-credentials",
        action="store_true",
        help="only check the target's credentials: present (exit 2 naming what is "
        "missing), and for python-org accepted (SSH login and both roots, the API "
        "key as a staff key, the v2 token), writing nothing; reads no files",
    )
    p.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="append every change made (and the run's end) to this JSON-lines file",
    )

    g = p.add_argument_group("local target")
    g.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help=f"the local tree (default: $CPYTHON_RELEASE_LOCAL_ROOT or ./{DEFAULT_LOCAL_ROOT})",
    )

    g = p.add_argument_group(
        "python-org target",
        "Secrets come from the environment, never from the command line: "
        "PYTHON_ORG_API_KEY, PYTHON_ORG_API_TOKEN (optional API v2 token, to mark the release "
        "published), PYTHON_ORG_SSH_KEY (the private key's text; or --ssh-key FILE), "
        "PYTHON_ORG_KNOWN_HOSTS (known_hosts text; or --known-hosts FILE). Host keys are "
        "pinned: unknown or changed keys are refused.",
    )
    g.add_argument(
        "--skip", action="append", choices=PARTS, default=[], help="leave out a part (repeatable)"
    )
    g.add_argument(
        "--ssh-user",
        default=os.environ.get("PYTHON_ORG_SSH_USERNAME"),
        help="SSH login (default: $PYTHON_ORG_SSH_USERNAME)",
    )
    g.add_argument(
        "--ssh-key",
        type=Path,
        metavar="FILE",
        help="private key file (default: $PYTHON_ORG_SSH_KEY holds the key)",
    )
    g.add_argument(
        "--known-hosts",
        type=Path,
        metavar="FILE",
        help="known_hosts file to pin (default: $PYTHON_ORG_KNOWN_HOSTS holds it)",
    )
    g.add_argument("--host", default="downloads.nyc1.psf.io", help="downloads host")
    g.add_argument("--port", type=int, default=22)
    g.add_argument("--ftp-root", default=FTP_ROOT, help=f"(default: {FTP_ROOT})")
    g.add_argument(
        "--group",
        default="downloads",
        help="group of published files and directories (default: downloads; '' leaves it alone)",
    )
    g.add_argument("--docs-host", default="docs.nyc1.psf.io", help="docs host")
    g.add_argument("--docs-port", type=int, default=22)
    g.add_argument("--docs-root", default=DOCS_ROOT, help=f"(default: {DOCS_ROOT})")
    g.add_argument("--docs-group", default="docs", help="group of the docs tree")
    g.add_argument(
        "--remote-hash",
        choices=("exec", "read"),
        default="exec",
        help="verify on the server with sha256sum over SSH (exec, default) or by "
        "reading every file back (read, for SFTP-only accounts)",
    )
    g.add_argument(
        "--api-url",
        default="https://www.python.org/",
        type=credential_url("python.org API"),  # it gets the key: https (http only to loopback)
        help="python.org site, with or without /api/v1/",
    )
    g.add_argument(
        "--api-wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="most seconds to wait out python.org's rate limit (429) in one run; "
        "past it the run stops, naming when to re-run (default: 300)",
    )
    g.add_argument(
        "--release-date",
        metavar="DATE",
        help="the Release's date (YYYY-MM-DD or ISO 8601; default: the tagged "
        "commit's date in the manifest)",
    )
    g.add_argument(
        "--release-notes-url",
        metavar="URL",
        help="the Release's notes link (default: the changelog section of the release's docs)",
    )
    g.add_argument(
        "--release-cycle",
        metavar="FILE_OR_URL",
        help="release-cycle JSON deciding is_latest (default: the bundled snapshot "
        "or $CPYTHON_RELEASE_CYCLE)",
    )
    g.add_argument(
        "--purge-all",
        action="store_true",
        help="purge every URL of the release, not only what this run changed",
    )
    g.add_argument(
        "--api-user",
        default=os.environ.get("PYTHON_ORG_API_USERNAME"),
        help="API username (default: $PYTHON_ORG_API_USERNAME)",
    )
    g.add_argument(
        "--prune", action="store_true", help="delete API file records the manifest does not have"
    )
    g.add_argument("--cdn-base", default="https://www.python.org", help="where PURGE requests go")

    g = p.add_argument_group("github target", "The token comes from $GITHUB_TOKEN.")
    g.add_argument(
        "--repo",
        default=os.environ.get("GITHUB_REPOSITORY"),
        help="OWNER/NAME (default: $GITHUB_REPOSITORY)",
    )
    g.add_argument(
        "--github-api-url",
        default=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        type=credential_url("GitHub API"),
    )
    g.add_argument("--nightly", action="store_true", help="publish as the rolling nightly")
    from cpython_release.commands.verify import add_identity_policy

    add_identity_policy(
        p,
        legacy=False,
        title="the manifest's signature (checked before anything is published, as verify "
        "checks it; the workflows pass what they pass to verify)",
    )
    add_format(p, what="what was done (or, with --dry-run, planned)")
    p.set_defaults(func=run)


# --- credentials -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    what: str  # the secret or option to supply
    present: bool


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def needs(args: argparse.Namespace) -> list[Need]:
    """The credentials the chosen target and parts need, and whether each is there."""
    out: list[Need] = []
    skip = set(args.skip)
    if args.target == "python-org":
        if not {"files", "docs"} <= skip:
            out += [
                Need("PYTHON_ORG_SSH_USERNAME (or --ssh-user)", bool(args.ssh_user)),
                Need(
                    "PYTHON_ORG_SSH_KEY (or --ssh-key FILE)",
                    bool(args.ssh_key) or bool(_env("PYTHON_ORG_SSH_KEY")),
                ),
                Need(
                    "PYTHON_ORG_KNOWN_HOSTS (or --known-hosts FILE)",
                    bool(args.known_hosts) or bool(_env("PYTHON_ORG_KNOWN_HOSTS")),
                ),
            ]
        if "api" not in skip:
            out += [
                Need("PYTHON_ORG_API_USERNAME (or --api-user)", bool(args.api_user)),
                Need("PYTHON_ORG_API_KEY", bool(_env("PYTHON_ORG_API_KEY"))),
            ]
    elif args.target == "github":
        out += [
            Need("GITHUB_TOKEN", bool(_env("GITHUB_TOKEN"))),
            Need("GITHUB_REPOSITORY (or --repo)", bool(args.repo)),
        ]
    return out


def check_credentials(args: argparse.Namespace) -> None:
    missing = [n.what for n in needs(args) if not n.present]
    if missing:
        raise BadInput(
            f"publish --target {args.target}: missing credentials, nothing was touched: "
            + ", ".join(missing)
        )


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


# --- running ---------------------------------------------------------------------------------
class Interrupted(CheckFailed):
    """SIGTERM (a cancelled job): stop, keeping the journal's end line."""


def _terminate(signum: int, frame: object) -> None:
    raise Interrupted(f"interrupted by signal {signum}")


def run(args: argparse.Namespace) -> int:
    if args.check_credentials:
        check_credentials(args)
        if args.target == "python-org":
            for line in preflight_python_org(args, make_api(args, None)):
                print(f"credentials: {line}", file=sys.stderr)
        print(
            f"publish --target {args.target}: credentials present"
            + (" and accepted" if args.target == "python-org" else "")
            + ": "
            + (", ".join(n.what.split(" ")[0] for n in needs(args)) or "none needed")
        )
        return 0
    check_credentials(args)
    directory: Path = args.dir
    if not directory.is_dir():
        raise BadInput(f"{directory} is not a directory")
    manifest_path: Path = args.manifest or directory / MANIFEST_NAME
    manifest = verify_signature(args, manifest_path)
    verify_directory(manifest, directory, manifest_path)

    journal = Journal(args.journal)
    results: list[PublishResult] = []
    status, code, error, problems = "ok", 0, "", []
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.target == "local":
            from cpython_release.publish.local import publish_local

            root = args.root or Path(
                os.environ.get("CPYTHON_RELEASE_LOCAL_ROOT") or DEFAULT_LOCAL_ROOT
            )
            results.append(
                publish_local(
                    manifest,
                    directory,
                    root,
                    replace=args.replace,
                    dry_run=args.dry_run,
                    manifest_path=manifest_path,
                )
            )
        elif args.target == "python-org":
            publish_python_org(args, manifest, directory, manifest_path, results, journal)
        else:
            from cpython_release.publish.github_release import publish_github

            results.append(
                publish_github(
                    manifest,
                    directory,
                    repo=args.repo,
                    token=_env("GITHUB_TOKEN"),
                    base_url=args.github_api_url,
                    replace=args.replace,
                    dry_run=args.dry_run,
                    nightly=args.nightly,
                )
            )
    except ReleaseError as exc:
        status, code = "failed", exc.exit_code
        error, _, _ = str(exc).partition("\n")
        problems = list(getattr(exc, "problems", []))
        if journal.changed:
            code = CheckFailed.exit_code
            raise after_changes(exc, journal, args.journal) from exc
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # python.org (or a server posing as it) answered in a shape the client did not
        # expect: a failed check (exit 1) with the journal, never a traceback
        status, code, error = "failed", CheckFailed.exit_code, repr(exc)
        unexpected = CheckFailed(f"python.org answered something unexpected: {exc!r}")
        if journal.changed:
            raise after_changes(unexpected, journal, args.journal) from exc
        raise unexpected from exc
    except BaseException as exc:
        status, code, error = "interrupted", 130, repr(exc)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        report(args, results, journal, failed=status != "ok")
        refused = sum(r.count(Verb.REFUSE) for r in results)
        if status == "ok" and refused:
            status, code = "refused", 1
        journal.end(status, code, error, problems)
    if refused:
        print(
            f"{refused} refused: different content is already published "
            "(pass --replace to overwrite)",
            file=sys.stderr,
        )
        return 1
    return 0


def after_changes(exc: ReleaseError, journal: Journal, path: Path | None) -> CheckFailed:
    """A failure after something was changed: exit 1 (never 2), naming what was done."""
    counts = ", ".join(f"{n} {what}" for what, n in sorted(journal.counts().items()))
    where = f", journal: {path}" if path else ""
    head, _, _ = str(exc).partition("\n")
    return CheckFailed(
        f"{head}\nThis run had already made {len(journal.entries)} changes ({counts}{where}); "
        "they are listed above. Re-running the same command resumes: what is done is skipped.",
        list(getattr(exc, "problems", [])),
    )


def verify_signature(args: argparse.Namespace, manifest_path: Path) -> Manifest:
    """The manifest, once its own signature holds for the signer the options name (as
    ``verify`` checks it); else nothing is published (exit 1, saying why)."""
    from cpython_release.commands.verify import policy_from_args
    from cpython_release.verify.core import verify_manifest_signature
    from cpython_release.version import ReleaseVersion

    claimed = Manifest.load(manifest_path)  # bad input (exit 2): unreadable, not a manifest
    policy = policy_from_args(args, ReleaseVersion.parse(claimed.release.version, nightly=None))
    manifest, checked = verify_manifest_signature(manifest_path, policy=policy)
    if not checked.ok:
        raise CheckFailed(
            f"the signed manifest {manifest_path} does not verify (signer: {checked.policy}): "
            "refusing to publish anything",
            [*checked.problems, *checked.needs_online],
        )
    note(f"verified: {manifest_path} is signed ({checked.policy})")
    return manifest


def verify_directory(manifest: Manifest, directory: Path, manifest_path: Path) -> None:
    """Every listed file present and byte-identical, before anything is published."""
    ignore = set(NOT_ARTIFACTS) | {manifest_path.name, manifest_path.name + ".sigstore"}
    report = check_directory(manifest, directory, ignore=ignore)
    for name in report.unlisted:
        print(f"warning: not in the manifest, will not be published: {name}", file=sys.stderr)
    if not report.ok(strict=False):
        raise CheckFailed(
            f"{directory} does not match {manifest_path}: refusing to publish anything",
            report.problems(strict=False),
        )
    note(f"verified: {plural(report.checked, 'file')} match {manifest_path}")


def make_api(args: argparse.Namespace, journal: Journal | None) -> Any:
    """The python.org API client, or None when the API part is skipped."""
    if "api" in set(args.skip):
        return None
    from cpython_release.publish.pythonorg_api import PythonOrgAPI

    return PythonOrgAPI(
        args.api_url,
        args.api_user,
        _env("PYTHON_ORG_API_KEY"),
        v2_token=_env("PYTHON_ORG_API_TOKEN") or None,
        journal=journal,
        max_wait=args.api_wait,
    )


def preflight_python_org(args: argparse.Namespace, api: Any) -> list[str]:
    """Every credential accepted, before anything is written: SSH login and both roots, the
    v1 key as a staff key, the v2 token. Raises (nothing changed) on the first refusal."""
    lines: list[str] = []
    if not {"files", "docs"} <= set(args.skip):
        from cpython_release.publish.sftp import check_access

        lines += check_access(sftp_options(args))
    if api is not None:
        api.check_staff_key()
        lines.append(f"python.org API: the key of {args.api_user} is a staff key ({api.base_url})")
        if api.can_publish:
            api.check_v2_token()
            lines.append("python.org API v2: the token may write (it publishes the Release)")
        else:
            lines.append("python.org API v2: no token; the Release is published in the admin")
    return lines


def publish_python_org(
    args: argparse.Namespace,
    manifest: Manifest,
    directory: Path,
    manifest_path: Path,
    results: list[PublishResult],
    journal: Journal,
) -> None:
    """Credentials, then files (SFTP), then API records, then the CDN purge: each only
    after the one before."""
    from cpython_release.publish.layout import signed_list_items
    from cpython_release.version import ReleaseVersion

    skip = set(args.skip)
    version = ReleaseVersion.parse(manifest.release.version, nightly=None)
    if version.is_nightly:
        raise BadInput(
            f"{version} is a nightly: nightlies are never published to python.org "
            "(publish them with --target github --nightly)"
        )
    lists = signed_list_items(manifest, directory, manifest_path)
    api = make_api(args, journal)
    # Nothing becomes public, in a dry run either, unless every credential works.
    for line in preflight_python_org(args, api):
        print(f"credentials: {line}", file=sys.stderr)
    files_changed: set[str] = set()
    docs_changed = False
    if not {"files", "docs"} <= skip:
        from cpython_release.publish.sftp import publish_sftp

        sftp = publish_sftp(
            manifest,
            directory,
            sftp_options(args),
            replace=args.replace,
            dry_run=args.dry_run,
            journal=journal,
            manifest_path=manifest_path,
        )
        results.append(sftp)
        if sftp.count(Verb.REFUSE):
            return  # nothing was uploaded; the API must not point at files that are not there
        ftp_root = args.ftp_root.rstrip("/") + "/"
        for a in sftp.actions:
            if a.verb in (Verb.UPLOAD, Verb.REPLACE):
                if a.subject.startswith(ftp_root):
                    files_changed.add(DOWNLOADS_URL + a.subject.removeprefix(ftp_root))
                else:
                    docs_changed = True
    records_changed = False
    release_completed = False
    if api is not None:
        from cpython_release.publish.pythonorg_sync import ReleaseNotPublished, sync_release

        try:
            synced = sync_release(
                api,
                manifest,
                version,
                prune=args.prune,
                dry_run=args.dry_run,
                release_date=args.release_date,
                notes_url=args.release_notes_url,
                cycle=_cycle(args),
            )
        except ReleaseNotPublished as exc:
            results.append(exc.result)
            for step in getattr(exc.result, "last_steps", []):
                journal.last_step(step.what, step.url)
            raise
        results.append(synced)
        for step in synced.last_steps:
            journal.last_step(step.what, step.url)
        records_changed = synced.changed()
        # the Release record was created or completed/published by this run
        release_completed = any(
            a.subject.startswith("release ") and a.verb in (Verb.CREATE, Verb.UPDATE)
            for a in synced.actions
        )
    if "purge" not in skip:
        from cpython_release.publish.cdn import changed_urls, purge, purge_urls

        # A run that creates or completes the Release purges the whole release: an earlier
        # run that stopped before its purge may have left public files the CDN serves stale.
        if args.purge_all or release_completed:
            urls = [*purge_urls(version, manifest), *(DOWNLOADS_URL + i.dest for i in lists)]
        else:
            urls = changed_urls(
                version, manifest, files=files_changed, docs=docs_changed, records=records_changed
            )
        results.append(purge(urls, cdn_base=args.cdn_base, dry_run=args.dry_run, journal=journal))


def _cycle(args: argparse.Namespace) -> Any:
    from cpython_release.phase import ReleaseCycle

    return ReleaseCycle.load(args.release_cycle)


def sftp_options(args: argparse.Namespace) -> Any:
    from cpython_release.publish.sftp import (
        Endpoint,
        SFTPOptions,
        SSHCredentials,
        load_known_hosts,
        load_private_key,
    )

    if args.ssh_key:
        key = load_private_key(_read(args.ssh_key, "SSH key"), str(args.ssh_key))
    else:
        key = load_private_key(
            os.environ["PYTHON_ORG_SSH_KEY"].strip() + "\n", "$PYTHON_ORG_SSH_KEY"
        )
    if args.known_hosts:
        hosts = load_known_hosts(_read(args.known_hosts, "known_hosts file"), str(args.known_hosts))
    else:
        hosts = load_known_hosts(os.environ["PYTHON_ORG_KNOWN_HOSTS"], "$PYTHON_ORG_KNOWN_HOSTS")
    skip = set(args.skip)
    files = Endpoint(args.host, args.port, args.ftp_root.rstrip("/") or "/", args.group or None)
    docs = Endpoint(
        args.docs_host, args.docs_port, args.docs_root.rstrip("/") or "/", args.docs_group or None
    )
    return SFTPOptions(
        SSHCredentials(args.ssh_user, key, hosts),
        downloads=None if "files" in skip else files,
        docs=None if "docs" in skip else docs,
        remote_hash=args.remote_hash,
    )


def report(
    args: argparse.Namespace,
    results: list[PublishResult],
    journal: Journal,
    *,
    failed: bool = False,
) -> None:
    rows = []
    as_json = getattr(args, "format", "text") == "json"
    for result in results:
        for line in [] if as_json else result.lines():
            print(line)
        rows += [(a.target, str(a.verb), a.subject, a.detail) for a in result.actions]
    counts: dict[str, int] = {}
    for result in results:
        for a in result.actions:
            counts[str(a.verb)] = counts.get(str(a.verb), 0) + 1
    mode = "dry run, nothing changed" if args.dry_run else "STOPPED" if failed else "done"
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "nothing to do"
    if not args.dry_run:
        made = ", ".join(f"{n} {w}" for w, n in sorted(journal.counts().items()))
        summary += f"; changes made: {made or 'none'}"
    print(f"publish --target {args.target} ({mode}): {summary}", file=sys.stderr)
    steps = journal.last_steps
    if as_json:
        print_json(
            {
                "target": args.target,
                "result": "dry-run" if args.dry_run else "stopped" if failed else "done",
                "actions": [a.to_dict() for r in results for a in r.actions],
                "changes": journal.counts(),
                "left_to_release_manager": [{"what": s.what, "url": s.url} for s in steps],
            }
        )
    if steps:
        print("Left to a release manager (python.org's admin):", file=sys.stderr)
        for step in steps:
            print(f"  - {step.what}: {step.url}", file=sys.stderr)
    if results or steps:
        text = f"### Publish to {args.target} ({mode})\n\n{summary}\n\n"
        if steps:
            text += (
                "Left to a release manager:\n\n"
                + "".join(f"- {s.what}: {s.url}\n" for s in steps)
                + "\n"
            )
        write_summary(text + markdown_table(("target", "action", "subject", "detail"), rows[:500]))
