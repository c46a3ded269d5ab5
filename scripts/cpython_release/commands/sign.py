"""``cpython-release sign``: check, sign and checksum a release directory.

Exit status: 0 signed (or, with ``--sigstore auto`` and no identity, GPG/checksums only, with
a loud notice); 1 a check failed (tampered, missing or unlisted file; a signature that does
not verify; signing itself failed); 2 bad input (``--sigstore require`` with no OIDC
identity, no GPG key when GPG is needed, bad fragments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cpython_release.commands.common import (
    Subparsers,
    add_format,
    add_nightly,
    add_version,
    is_nightly,
    print_json,
)
from cpython_release.errors import BadInput
from cpython_release.ghactions import in_actions, markdown_table, set_outputs, write_summary
from cpython_release.output import annotate
from cpython_release.sign.gpg import KEY_ENV, PASSPHRASE_ENV
from cpython_release.sign.signer import INSTANCES, ExpectedSigner
from cpython_release.sign.stage import PlannedRelease, SigstoreMode, sign_release


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sign",
        help="tamper-check, sign and checksum a release directory",
        description=(
            "Merge the manifest fragments, re-hash every file of DIRECTORY (refusing any "
            "missing, changed or unlisted file), then sign every listed artifact: a Sigstore "
            "bundle F.sigstore (keyless, with the GitHub Actions OIDC identity, verified "
            "right after signing) and, for 3.13 and earlier or with --gpg, an armored "
            f"detached GPG signature F.asc with the key in ${KEY_ENV} (passphrase in "
            f"${PASSPHRASE_ENV}). Writes SHA256SUMS and release-manifest.json and signs both."
        ),
        epilog=(
            "--sigstore auto: sign when an ambient OIDC identity exists; with none, print a "
            "loud notice, skip Sigstore and go on (exit 0, result 'skipped'). require: no "
            "identity is an error (exit 2, nothing written). off: no Sigstore. "
            "Exit status: 0 signed, 1 a check failed, 2 bad input."
        ),
    )
    add_version(
        p,
        help="the release version the fragments must describe (optional: without it, any "
        "one version they agree on)",
        required=False,
    )
    p.add_argument(
        "directory", type=Path, metavar="DIRECTORY", help="the release directory (artifacts)"
    )
    p.add_argument(
        "--fragment",
        dest="fragments",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a manifest fragment (repeat)",
    )
    p.add_argument(
        "--fragments-dir", type=Path, metavar="DIR", help="read every *.json in DIR as a fragment"
    )
    p.add_argument(
        "--collect-from",
        type=Path,
        metavar="DOWNLOADS",
        help="first copy into the (empty) DIRECTORY exactly the files the fragments "
        "list, found in DOWNLOADS or one directory below it (one per workflow "
        "artifact); nothing else is taken",
    )
    add_nightly(p)
    p.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="the plan (JSON, as `cpython-release plan` prints it): the builds must "
        "have produced exactly its artifacts, or nothing is signed",
    )
    p.add_argument(
        "--sigstore",
        choices=[m.value for m in SigstoreMode],
        default=SigstoreMode.AUTO.value,
        help="Sigstore signing mode (default auto)",
    )
    p.add_argument("--sigstore-instance", choices=INSTANCES, default="production")
    p.add_argument(
        "--repository",
        metavar="OWNER/NAME",
        help="source repository the certificate must name (default: the manifest's)",
    )
    p.add_argument(
        "--toolkit-repository",
        metavar="OWNER/NAME",
        default=os.environ.get("CPYTHON_RELEASE_TOOLKIT_REPOSITORY"),
        help="repository whose .github/workflows/sign.yml signs "
        "(also $CPYTHON_RELEASE_TOOLKIT_REPOSITORY)",
    )
    p.add_argument(
        "--signer-ref",
        dest="signer_refs",
        action="append",
        default=[],
        metavar="REF",
        help="allowed ref of sign.yml: refs/tags/X or refs/heads/X, "
        "patterns like refs/tags/v* allowed (repeat). Default: the job's own "
        "job_workflow_ref",
    )
    p.add_argument(
        "--toolkit-checkout",
        type=Path,
        metavar="DIR",
        help="the toolkit's git checkout this job runs; with an OIDC token, its HEAD "
        "must equal the token's job_workflow_sha (refuses to sign otherwise)",
    )
    gpg = p.add_mutually_exclusive_group()
    gpg.add_argument(
        "--gpg",
        dest="gpg",
        action="store_true",
        default=None,
        help="make GPG signatures (default: only for 3.13 and earlier)",
    )
    gpg.add_argument("--no-gpg", dest="gpg", action="store_false")
    p.add_argument(
        "--gpg-optional",
        action="store_true",
        help=f"with no key in ${KEY_ENV}, skip GPG with a loud notice instead of "
        "failing (rehearsal and nightly modes; a release needs its key)",
    )
    p.add_argument(
        "--ephemeral-gpg",
        action="store_true",
        help="when nothing else signs (no GPG key, no Sigstore identity), GPG-sign "
        "every file with a key made for this run only, whose public half is the "
        "gpg-public-key output the run's verify jobs check against (with "
        "--gpg-optional: rehearsals and nightlies)",
    )
    add_format(p, json_flag=True, what="the result")
    p.set_defaults(func=run)


def _fragments(args: argparse.Namespace) -> list[Path]:
    found = list(args.fragments)
    if args.fragments_dir is not None:
        if not args.fragments_dir.is_dir():
            raise BadInput(f"{args.fragments_dir} is not a directory")
        found += sorted(args.fragments_dir.glob("*.json"))
    if not found:
        raise BadInput("give the manifest fragments (--fragment FILE or --fragments-dir DIR)")
    return found


def _planned(path: Path | None) -> PlannedRelease | None:
    """The plan job's JSON (``cpython-release plan`` output)."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version, commit, artifacts = data["version"], data["commit"], data["artifacts"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(
            f"--plan {path}: not a plan (JSON with version, commit and artifacts): {exc}"
        ) from exc
    if not isinstance(artifacts, list) or not all(isinstance(a, str) for a in artifacts):
        raise BadInput(f"--plan {path}: 'artifacts' must be a list of file paths")
    if not isinstance(version, str) or not isinstance(commit, str):
        raise BadInput(f"--plan {path}: 'version' and 'commit' must be strings")
    return PlannedRelease(version, commit, tuple(artifacts))


def _warn(message: str) -> None:
    """Once: as an annotation in Actions (the runner shows it in the log too), else a line."""
    if in_actions():
        annotate("warning", message, title="Sigstore")
    else:
        print(message, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    fragments = _fragments(args)
    mode = SigstoreMode(args.sigstore)
    expected = None
    if mode is not SigstoreMode.OFF and args.toolkit_repository:
        expected = ExpectedSigner(
            args.toolkit_repository,
            tuple(r for r in args.signer_refs if r),
            args.repository,
        )
    elif mode is not SigstoreMode.OFF and args.signer_refs:
        raise BadInput("--signer-ref needs --toolkit-repository")
    result = sign_release(
        args.directory,
        fragments,
        version=args.version,
        nightly=is_nightly(args),
        planned=_planned(args.plan),
        gpg=args.gpg,
        gpg_optional=args.gpg_optional,
        ephemeral_gpg=args.ephemeral_gpg,
        gpg_key=os.environ.get(KEY_ENV) or None,
        passphrase=os.environ.get(PASSPHRASE_ENV) or None,
        sigstore_mode=mode,
        identity=expected,
        instance=args.sigstore_instance,
        toolkit_checkout=args.toolkit_checkout,
        collect_from=args.collect_from,
        warn=_warn,
    )
    rows = [
        (a.name, ", ".join(s.type for s in a.signatures) or "none", a.sha256[:16])
        for a in sorted(result.manifest.artifacts, key=lambda a: a.name)
    ]
    write_summary(
        "### Signing\n\n"
        f"Sigstore: **{result.sigstore}** {result.sigstore_note}\n\n"
        f"GPG: {result.gpg_fingerprint or 'no'}\n\n"
        + markdown_table(("artifact", "signatures", "sha256"), rows)
    )
    if os.environ.get("GITHUB_OUTPUT"):
        set_outputs(
            {
                "manifest": str(result.manifest_path),
                "sha256sums": str(result.sums_path),
                "sigstore": result.sigstore,
                # the signer's public key: what a run without Sigstore verifies the .asc with
                "gpg-public-key": result.gpg_public_key or "",
            }
        )
    if args.format == "json":
        print_json(result.to_dict())
    else:
        print(
            f"signed {len(result.manifest.artifacts)} artifacts in {args.directory}: "
            f"sigstore {result.sigstore}, gpg {result.gpg_fingerprint or 'no'}; "
            f"wrote {result.manifest_path.name} and {result.sums_path.name}"
        )
    return 0
