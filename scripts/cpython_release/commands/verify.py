"""``cpython-release verify VERSION SOURCE``: verify a release before trusting it.

SOURCE is an artifact directory or a base URL (``https://www.python.org/ftp/python/3.14.1/``).
Exit status: 0 everything verified, 1 verification failed (bundles that still need online
verification included: nothing turns "not verified" into 0), 2 bad input.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from cpython_release.commands.common import (
    Deprecated,
    Subparsers,
    add_format,
    add_nightly,
    check_github_output,
    parse_version,
)
from cpython_release.errors import EXIT_CHECK_FAILED, EXIT_OK, BadInput, CheckFailed
from cpython_release.ghactions import set_outputs, write_summary
from cpython_release.output import annotate, inert, write_report
from cpython_release.sigstore_policy import (
    SIGN_WORKFLOW,
    KeyringIdentity,
    LegacyIdentity,
    PipelineIdentity,
    SigningIdentity,
)
from cpython_release.verify.remote import DEFAULT_DEADLINE
from cpython_release.version import ReleaseVersion

DEFAULT_REPOSITORY = "python/cpython"
DEFAULT_TOOLKIT_REPOSITORY = "python/cpython-release"
# sign.yml on the toolkit's main branch or at one of its release tags. A caller that pins the
# toolkit by SHA (the templates do) makes certificates naming that SHA: verifiers name it with
# --allowed-ref after checking it is a reviewed toolkit commit (the refusal says which SHA).
DEFAULT_REFS = ("refs/heads/main", "refs/tags/v*")


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "verify",
        help="verify a release's files, signatures and SBOMs",
        description="Verify every artifact of a release: size and SHA-256 against the "
        "signed release manifest (the root of trust; --legacy: SHA256SUMS or the listing), "
        "its Sigstore bundle (offline) against an identity policy bound to this version, "
        "its OpenPGP signature against a keyring, and its SBOM. Exit 0: all verified; "
        "1: verification failed or bundles need online verification; 2: bad input.",
    )
    p.add_argument("version", metavar="VERSION", help="the release version, e.g. 3.14.1")
    add_nightly(p)
    p.add_argument("source", metavar="SOURCE", help="artifact directory or base URL")
    p.add_argument(
        "--manifest",
        metavar="PATH_OR_URL",
        help="release manifest (default: release-manifest.json in SOURCE)",
    )
    p.add_argument(
        "--sums", metavar="PATH_OR_URL", help="SHA256SUMS file (default: SHA256SUMS in SOURCE)"
    )
    add_identity_policy(p)
    p.add_argument(
        "--keyring", type=_optional_path, help="OpenPGP public keys to check .asc files with"
    )
    p.add_argument(
        "--repo",
        type=_optional_path,
        metavar="PATH",
        help="local git clone: the manifest's commit must be the tag's commit",
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="check only this file of the release (repeatable): only it, its signature and "
        "SBOM, and the signed manifest are read or downloaded",
    )
    p.add_argument("--strict", action="store_true", help="fail on files the release does not list")
    p.add_argument(
        "--online",
        action="store_true",
        help="use the network: refresh the Sigstore trust root and fetch the inclusion proof "
        "of bundles that lack one from Rekor (default: offline; such bundles then fail)",
    )
    p.add_argument(
        "--deadline",
        type=float,
        default=DEFAULT_DEADLINE,
        metavar="SECONDS",
        help=f"URL sources: give up downloading after this long (default {DEFAULT_DEADLINE:g})",
    )
    add_format(p, github=True, json_flag=True)
    p.add_argument("--report", type=Path, metavar="FILE", help="also write the JSON report here")
    p.add_argument(
        "--github-output",
        dest="format",
        nargs=0,
        const="github",
        action=Deprecated,
        instead="--format github",
    )
    p.add_argument("--workers", type=int, help="hashing threads (default: cores + 1, max 8)")
    p.set_defaults(func=run)


def add_identity_policy(
    p: argparse.ArgumentParser, *, legacy: bool = True, title: str = "identity policy"
) -> None:
    """Who must have signed: the options ``verify`` and ``publish`` share (``legacy``: the
    options for releases made before this pipeline; without them they are off)."""
    pol = p.add_argument_group(title)
    pol.add_argument(
        "--repository",
        default=DEFAULT_REPOSITORY,
        metavar="OWNER/NAME",
        help="source repository the release was built from "
        f"(default {DEFAULT_REPOSITORY}; a fork for rehearsals)",
    )
    pol.add_argument(
        "--toolkit-repository",
        default=DEFAULT_TOOLKIT_REPOSITORY,
        metavar="OWNER/NAME",
        help=f"repository of the signing workflow (default {DEFAULT_TOOLKIT_REPOSITORY})",
    )
    pol.add_argument(
        "--allowed-ref",
        action="append",
        metavar="REF",
        help="allowed ref of the signing workflow: a full ref (* patterns allowed) or a full "
        "commit SHA (a caller that pins the toolkit by SHA signs at that SHA); repeatable "
        f"(default: {', '.join(DEFAULT_REFS)})",
    )
    pol.add_argument(
        "--workflow",
        default=SIGN_WORKFLOW,
        help=f"signing workflow file name (default {SIGN_WORKFLOW})",
    )
    if legacy:
        pol.add_argument(
            "--legacy",
            action="store_true",
            help="historical release: require the release manager's personal identity "
            "for this minor version instead of the pipeline's",
        )
        pol.add_argument(
            "--legacy-identity", metavar="EMAIL", help="with --legacy: override the identity"
        )
        pol.add_argument(
            "--legacy-issuer", metavar="URL", help="with --legacy: override the OIDC issuer"
        )
    else:
        p.set_defaults(legacy=False, legacy_identity=None, legacy_issuer=None)
    pol.add_argument(
        "--signer-keyring",
        type=_optional_path,
        metavar="FILE",
        help="no Sigstore identity: the release is signed by the OpenPGP keys in FILE "
        "(rehearsals with an ephemeral key); every file needs a good .asc by them",
    )


def _optional_path(text: str) -> Path | None:
    """A path option; the empty string (an unset workflow input) means "not given"."""
    return Path(text) if text else None


def policy_from_args(args: argparse.Namespace, version: ReleaseVersion) -> SigningIdentity:
    if (args.legacy_identity or args.legacy_issuer) and not args.legacy:
        raise BadInput("--legacy-identity and --legacy-issuer need --legacy")
    if args.signer_keyring is not None and args.legacy:
        raise BadInput("--signer-keyring and --legacy name different signers; give one")
    if args.signer_keyring is not None:
        if not args.signer_keyring.is_file():
            raise BadInput(f"--signer-keyring {args.signer_keyring} is not a file")
        return KeyringIdentity(args.signer_keyring)
    if args.legacy:
        base = (
            LegacyIdentity.for_minor(version.minor_version)
            if not (args.legacy_identity and args.legacy_issuer)
            else None
        )
        email = args.legacy_identity or (base.email if base else "")
        issuer = args.legacy_issuer or (base.issuer if base else "")
        return LegacyIdentity(email, issuer)
    # Empty values (unset workflow or action inputs) mean the defaults.
    refs = tuple(r for value in args.allowed_ref or () for r in re.split(r"[\s,]+", value) if r)
    if not refs and any(value.strip() for value in args.allowed_ref or ()):
        # an unset input is empty (the defaults); separators alone are a mistake, not "unset"
        raise BadInput(f"--allowed-ref {args.allowed_ref[0]!r} names no ref")
    return PipelineIdentity(
        repository=args.repository or DEFAULT_REPOSITORY,
        toolkit_repository=args.toolkit_repository or DEFAULT_TOOLKIT_REPOSITORY,
        allowed_refs=refs or DEFAULT_REFS,
        workflow=args.workflow or SIGN_WORKFLOW,
    ).bound_to(version)


def run(args: argparse.Namespace) -> int:
    from cpython_release.verify import verify_release

    version = parse_version(args.version, args)
    if args.workers is not None and args.workers < 1:
        raise BadInput("--workers must be at least 1")
    if not args.deadline > 0:
        raise BadInput("--deadline must be more than 0 seconds")
    if args.report is not None and args.report.is_dir():
        raise BadInput(f"--report {args.report} is a directory; give a file name")
    check_github_output(args.format)  # before the verification, not after it
    if args.report is not None:  # an unwritable --report is bad input, found before the work
        try:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            with args.report.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise BadInput(f"cannot write --report {args.report}: {exc.strerror or exc}") from None
    report = verify_release(
        args.source,
        str(version),
        policy=policy_from_args(args, version),
        keyring=args.keyring,
        repo=args.repo,
        strict=args.strict,
        manifest=args.manifest or None,
        sums=args.sums or None,
        offline=not args.online,
        workers=args.workers,
        deadline=args.deadline,
        only=[n for value in args.only or () for n in value.split() if n],
    )
    text = report.to_json()
    unwritten = None
    if args.report:
        try:
            args.report.write_text(text, encoding="utf-8")
        except OSError as exc:  # it was writable: a full disk now, a failure (exit 1)
            unwritten = f"could not write --report {args.report}: {exc.strerror or exc}"
    if args.format == "json":
        write_report(text)
    else:
        write_report(report.render_table())  # ends with the verdict line
    if unwritten:
        raise CheckFailed(f"{unwritten} (the verification said {report.result})")
    write_summary(report.render_markdown())
    if args.format == "github":
        outputs: dict[str, str] = {"result": report.result}
        if args.report:
            outputs["report"] = str(args.report.resolve())
        set_outputs(outputs)
    if report.ok:
        return EXIT_OK
    if args.format == "json":  # the table (with its verdict line) was not printed
        print(f"cpython-release verify: {report.headline()}", file=sys.stderr)
    shown = [*map(inert, report.problems[:10]), *(["..."] if len(report.problems) > 10 else [])]
    annotate("error", "\n".join([report.headline(), *shown]), title="cpython-release verify")
    return EXIT_CHECK_FAILED
