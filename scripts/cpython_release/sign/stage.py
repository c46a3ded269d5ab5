"""The sign stage: tamper check, Sigstore and GPG signatures, SHA256SUMS, the final manifest.

Order of work (every step refuses loudly instead of carrying on):

1. Merge the manifest fragments and re-hash every file in the directory. Any missing,
   changed or unlisted file stops the stage, each one named.
2. Sigstore (unless off or no identity under ``auto``): sign every artifact's checked digest,
   verify each new bundle against the policy the release will be verified with, and only
   then write ``F.sigstore``.
3. GPG (3.13 and earlier, or when asked): ``F.asc``, checked right after signing.
4. ``SHA256SUMS`` for every artifact, then ``release-manifest.json`` with every signature
   recorded; both get signed as well.
5. Re-check the whole directory against the final manifest.

If anything fails after the first file was written, every file this run wrote is removed,
so the directory is back to what it was and a re-run starts clean.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import FileDigest, sha256_file
from cpython_release.integrity import check_directory
from cpython_release.inventory import GPG, SIGSTORE
from cpython_release.manifest import MANIFEST_NAME, Artifact, Manifest, Signature, merge
from cpython_release.rehearsal.ephemeral_gpg import generate as generate_ephemeral_key
from cpython_release.sign.checksums import SUMS_NAME, write_sums
from cpython_release.sign.collect import collect
from cpython_release.sign.gpg import KEY_ENV, GpgKey, GpgSigner
from cpython_release.sign.signer import (
    BundleRejected,
    ExpectedSigner,
    SigstoreBackend,
    SigstoreSigner,
    check_run_binding,
    check_signing_identity,
    check_toolkit_commit,
    detect_ambient_token,
)
from cpython_release.sigstore_policy import GITHUB_ACTIONS_ISSUER, PipelineIdentity
from cpython_release.version import ReleaseVersion

SIGSTORE_WORKERS = 4


class SigstoreMode(StrEnum):
    AUTO = "auto"  # sign when an ambient identity exists, otherwise skip with a loud notice
    REQUIRE = "require"  # no identity is an error (exit 2)
    OFF = "off"  # do not sign with Sigstore at all


class NoSigningIdentity(BadInput):
    """``--sigstore require`` and no OIDC identity: nothing can be signed keylessly."""


@dataclass
class SignResult:
    manifest: Manifest
    manifest_path: Path
    sums_path: Path
    sigstore: str  # "signed", "skipped" (auto, no identity) or "off"
    sigstore_note: str = ""
    signer: str | None = None  # who signed with Sigstore
    gpg_fingerprint: str | None = None
    gpg_public_key: str | None = None  # armored: what verifies the .asc files (no secret)
    written: list[str] = field(default_factory=list)  # names relative to the directory

    def to_dict(self) -> dict[str, object]:
        return {
            "manifest": str(self.manifest_path),
            "sha256sums": str(self.sums_path),
            "artifacts": len(self.manifest.artifacts),
            "sigstore": self.sigstore,
            "sigstore_note": self.sigstore_note,
            "signer": self.signer,
            "gpg_fingerprint": self.gpg_fingerprint,
            "written": self.written,
        }


def output_names() -> set[str]:
    """The files the stage writes besides artifact companions."""
    return {name + suffix for name in (MANIFEST_NAME, SUMS_NAME) for suffix in ("", SIGSTORE, GPG)}


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def gpg_wanted(version: ReleaseVersion, gpg: bool | None) -> bool:
    """PEP 761: GPG signatures up to 3.13; ``gpg`` overrides."""
    return (not version.at_least(3, 14)) if gpg is None else gpg


@dataclass(frozen=True)
class PlannedRelease:
    """What the plan job promised: the release and every artifact (python.org paths such as
    ``3.13.5/Python-3.13.5.tgz`` or ``doc/3.13.5/python-3.13.5-docs.epub``)."""

    version: str
    commit: str
    artifacts: tuple[str, ...]


_PLANNED_PATH = re.compile(r"(?:[A-Za-z0-9._+-]+/)+[A-Za-z0-9._+-]+")


def check_against_plan(manifest: Manifest, plan: PlannedRelease) -> None:
    """The plan is the contract: the builds must have produced exactly the files it listed,
    for the release and commit it was made for. Every file missing from the builds, or made
    without being planned, is named."""
    problems: list[str] = []
    r = manifest.release
    if plan.version != r.version or plan.commit != r.commit:
        problems.append(
            f"the plan is for {plan.version} at {plan.commit[:12]}, the builds for "
            f"{r.version} at {r.commit[:12]}"
        )
    wanted: set[str] = set()
    for path in plan.artifacts:
        name = path.rsplit("/", 1)[-1]
        if not _PLANNED_PATH.fullmatch(path) or ".." in path.split("/"):
            problems.append(f"the plan lists a malformed path: {path!r}")
        elif name in wanted:
            problems.append(f"the plan lists {name} twice")
        wanted.add(name)
    # a Windows installer's MSI/CAB parts (``amd64/core.msi``) come with it: the plan names
    # the installer, WiX decides its parts
    built = {a.name for a in manifest.artifacts if a.kind not in ("msi", "cab")}
    problems += [f"planned but not built: {n}" for n in sorted(wanted - built)]
    problems += [f"built but not planned: {n}" for n in sorted(built - wanted)]
    if problems:
        raise CheckFailed(
            f"refusing to sign: the builds do not match the plan ({len(wanted)} planned, "
            f"{len(built)} built)",
            problems,
        )


def _inside(directory: Path, paths: Sequence[Path]) -> set[str]:
    out = set()
    root = directory.resolve()
    for p in paths:
        try:
            out.add(p.resolve().relative_to(root).as_posix())
        except ValueError:
            continue
    return out


def load_and_check(
    directory: Path,
    fragments: Sequence[Path],
    version: str | None = None,
    collect_from: Path | None = None,
    *,
    nightly: bool | None = None,
    planned: PlannedRelease | None = None,
) -> Manifest:
    """Merge the fragments and insist the directory holds exactly the listed bytes.

    With ``collect_from``, the directory is first filled with the listed files found there
    (see :mod:`cpython_release.sign.collect`).
    """
    if not fragments:
        raise BadInput("no manifest fragments given: the sign stage only signs listed files")
    manifest = merge([Manifest.load(p) for p in fragments])
    if not manifest.artifacts:
        raise BadInput("the fragments list no artifacts: an empty release is never signed")
    if collect_from is not None:
        directory.mkdir(parents=True, exist_ok=True)
        collect(manifest, collect_from, directory)
    if not directory.is_dir():
        raise BadInput(f"{directory} is not a directory")
    described = ReleaseVersion.parse(manifest.release.version, nightly=None)
    if nightly is not None and described.is_nightly != nightly:
        raise BadInput(
            f"the fragments describe {'the nightly' if described.is_nightly else 'the release'} "
            f"{described}, but this is {'' if nightly else 'not '}nightly mode"
            + ("" if nightly else " (pass --nightly)")
        )
    if version is not None and ReleaseVersion.parse(version, nightly=nightly) != described:
        raise BadInput(
            f"the fragments describe {manifest.release.version}, not the "
            f"{'nightly' if described.is_nightly else 'release'} {version}"
        )
    if planned is not None:
        check_against_plan(manifest, planned)
    already = sorted(s.name for a in manifest.artifacts for s in a.signatures)
    if already:
        raise BadInput(
            "the fragments already list signatures (sign each release once): " + ", ".join(already)
        )
    report = check_directory(manifest, directory, ignore=_inside(directory, fragments))
    if not report.ok():
        raise CheckFailed(
            f"refusing to sign: {directory} does not match the manifest fragments",
            report.problems(),
        )
    return manifest


class _Run:
    """One signing run: remembers what it wrote so a failure can take it back."""

    def __init__(
        self,
        directory: Path,
        sigstore: SigstoreBackend | None,
        identity: PipelineIdentity | None,
        gpg: GpgSigner | None,
        log: Callable[[str], None],
    ) -> None:
        self.directory = directory
        self.sigstore = sigstore
        self.identity = identity
        self.gpg = gpg
        self.log = log
        self.written: list[Path] = []

    def _write(self, path: Path, data: bytes) -> Signature:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        self.written.append(path)
        d = sha256_file(path)
        return Signature(self.rel(path), d.size, d.sha256, "sigstore")

    def rel(self, path: Path) -> str:
        return path.relative_to(self.directory).as_posix()

    def sigstore_many(self, items: list[tuple[Path, FileDigest]]) -> dict[str, Signature]:
        """Sign and verify every file (in parallel); write bundles only if all pass."""
        backend, identity = self.sigstore, self.identity
        if backend is None or identity is None:
            return {}

        def one(item: tuple[Path, FileDigest]) -> tuple[Path, bytes | str]:
            path, digest = item
            try:
                bundle = backend.sign(path, digest)
            except CheckFailed as exc:
                return path, f"{self.rel(path)}: signing failed: {exc}"
            try:
                backend.verify(path, digest, bundle, identity)
            except BundleRejected as exc:
                return path, (
                    f"{self.rel(path)}: the new bundle does not verify against "
                    f"{identity.describe()}: {exc}"
                )
            return path, bundle

        with ThreadPoolExecutor(max_workers=max(1, min(SIGSTORE_WORKERS, len(items)))) as pool:
            results = list(pool.map(one, items))
        problems = [r for _, r in results if isinstance(r, str)]
        if problems:
            raise CheckFailed(
                f"refusing to sign: {len(problems)} of {len(items)} Sigstore signatures failed",
                problems,
            )
        out = {}
        for path, bundle in results:
            assert isinstance(bundle, bytes)
            out[self.rel(path)] = self._write(path.with_name(path.name + SIGSTORE), bundle)
        return out

    def gpg_one(self, path: Path) -> Signature | None:
        if self.gpg is None:
            return None
        asc = self.gpg.sign(path)
        self.written.append(asc)
        d = sha256_file(asc)
        return Signature(self.rel(asc), d.size, d.sha256, "gpg")

    def sign_files(self, items: list[tuple[Path, FileDigest]]) -> dict[str, list[Signature]]:
        sigs: dict[str, list[Signature]] = {self.rel(p): [] for p, _ in items}
        for name, sig in self.sigstore_many(items).items():
            sigs[name].append(sig)
        for path, _ in items:
            gpg_sig = self.gpg_one(path)
            if gpg_sig:
                sigs[self.rel(path)].append(gpg_sig)
        return sigs

    def undo(self) -> None:
        for path in reversed(self.written):
            path.unlink(missing_ok=True)
        self.written.clear()


def sign_release(
    directory: Path,
    fragments: Sequence[Path],
    *,
    version: str | None = None,
    nightly: bool | None = None,
    planned: PlannedRelease | None = None,
    gpg: bool | None = None,
    gpg_optional: bool = False,
    gpg_key: str | None = None,
    passphrase: str | None = None,
    ephemeral_gpg: bool = False,
    sigstore_mode: SigstoreMode | str = SigstoreMode.AUTO,
    identity: PipelineIdentity | ExpectedSigner | None = None,
    signer: SigstoreBackend | None = None,
    instance: str = "production",
    collect_from: Path | None = None,
    toolkit_checkout: Path | None = None,
    log: Callable[[str], None] = _stderr,
    warn: Callable[[str], None] = _stderr,
) -> SignResult:
    """Sign a checked release directory; see the module docstring for the steps.

    ``signer`` replaces ambient detection (tests pass a double; ``None`` asks sigstore-python
    for the job's OIDC token). ``identity`` is the policy every new bundle must satisfy.
    ``gpg=None`` signs with GPG for 3.13 and earlier; ``gpg_key`` is the armored secret key;
    with ``gpg_optional`` (rehearsals and nightlies) a missing key skips GPG with a notice.
    ``ephemeral_gpg`` (rehearsals and nightlies only): when nothing else would sign (no GPG,
    no Sigstore identity), sign every file with a GPG key made for this run, so the run's
    verify jobs can still check each file against the sign job's output (``gpg_public_key``).
    ``nightly`` (when not None) is the mode the fragments' version must be in; ``planned``
    (the plan's artifact list) is the exact set of files the builds must have produced.
    ``collect_from`` (a tree of downloaded workflow artifacts) fills an empty ``directory``
    with exactly the files the fragments list.
    """
    if ephemeral_gpg and not gpg_optional:
        raise BadInput("--ephemeral-gpg is for rehearsals and nightlies (with --gpg-optional)")
    mode = SigstoreMode(sigstore_mode)
    manifest = load_and_check(
        directory, fragments, version, collect_from, nightly=nightly, planned=planned
    )
    release_version = ReleaseVersion.parse(manifest.release.version, nightly=None)

    use_gpg = gpg_wanted(release_version, gpg)
    if use_gpg and not gpg_key:
        if not gpg_optional:
            raise BadInput(
                f"GPG signatures are needed for {release_version} (3.13 and earlier, or --gpg) "
                f"but no key was given: set ${KEY_ENV} (and $GPG_PASSPHRASE), or pass --no-gpg"
            )
        use_gpg = False
        warn(
            f"NOTICE: GPG signing SKIPPED: no key in ${KEY_ENV}. {release_version} would carry "
            "GPG signatures (.asc) as a release; this run makes none (a rehearsal or nightly "
            "without secrets)."
        )

    backend: SigstoreBackend | None = None
    sigstore_state, note = "off", "Sigstore signing turned off (--sigstore off)"
    if mode is not SigstoreMode.OFF:
        if signer is not None:
            backend = signer
        else:
            ambient = detect_ambient_token()
            if ambient.token is None:
                if mode is SigstoreMode.REQUIRE:
                    raise NoSigningIdentity(
                        f"--sigstore require: {ambient.reason}. Nothing was signed."
                    )
                sigstore_state, note = "skipped", ambient.reason
                warn(
                    "NOTICE: Sigstore signing SKIPPED: " + ambient.reason + ". The release is "
                    "NOT Sigstore-signed; only GPG signatures (if any) and SHA256SUMS are made."
                )
            else:
                if ambient.claims.get("iss") == GITHUB_ACTIONS_ISSUER:
                    check_run_binding(ambient.claims, release_version)
                if toolkit_checkout is not None:
                    sha = check_toolkit_commit(ambient.claims, toolkit_checkout)
                    log(f"toolkit checkout {toolkit_checkout} is {sha}, as job_workflow_sha says")
                backend = SigstoreSigner(ambient.token, instance=instance)
        if backend is not None:
            if identity is None:
                raise BadInput(
                    "Sigstore signing needs the identity the release will be "
                    "verified with (source repository, toolkit repository, ref)"
                )
            how = "given"
            if isinstance(identity, ExpectedSigner):
                identity, how = identity.resolve(manifest.release.repository, backend)
            check_signing_identity(backend, identity)
            sigstore_state, note = "signed", f"verified against {identity.describe()} ({how})"
    policy = identity if isinstance(identity, PipelineIdentity) else None

    if ephemeral_gpg and not use_gpg and sigstore_state != "signed":
        with tempfile.TemporaryDirectory(prefix="cpython-release-ephemeral-") as tmp:
            key = generate_ephemeral_key(Path(tmp), "CPython release, this run only <run@invalid>")
        gpg_key, passphrase, use_gpg = key.armored_secret, None, True
        warn(
            f"NOTICE: nothing else signs this run, so every file is GPG-signed with a key made "
            f"for this run only ({key.fingerprint}). Its public half is this job's "
            "gpg-public-key output, which the run's verify jobs check the files against; it "
            "says nothing about who built them."
        )

    with ExitStack() as stack:
        gpg_signer = (
            stack.enter_context(GpgSigner(GpgKey(gpg_key or "", passphrase))) if use_gpg else None
        )
        run = _Run(directory, backend, policy, gpg_signer, log)
        try:
            result = _sign_all(run, manifest, directory, fragments)
        except BaseException:
            run.undo()
            raise
    result.sigstore, result.sigstore_note = sigstore_state, note
    result.signer = backend.describe() if backend else None
    result.gpg_fingerprint = gpg_signer.fingerprint if gpg_signer else None
    result.gpg_public_key = gpg_signer.public_key if gpg_signer else None
    return result


def _sign_all(
    run: _Run, manifest: Manifest, directory: Path, fragments: Sequence[Path]
) -> SignResult:
    arts = sorted(manifest.artifacts, key=lambda a: a.name)
    sigs = run.sign_files([(directory / a.name, FileDigest(a.size, a.sha256)) for a in arts])
    signed: list[Artifact] = [
        replace(a, signatures=tuple(sorted(sigs[a.name], key=lambda s: (s.type, s.name))))
        for a in arts
    ]
    for a in signed:
        run.log(f"signed {a.name}: {', '.join(s.name for s in a.signatures) or 'nothing'}")
    manifest = manifest.with_artifacts(signed)

    sums = write_sums(directory, manifest)
    run.written.append(sums)
    run.sign_files([(sums, sha256_file(sums))])

    manifest_path = directory / MANIFEST_NAME
    Manifest.from_dict(manifest.to_dict(), MANIFEST_NAME)  # schema-check what we write
    manifest.write(manifest_path)
    run.written.append(manifest_path)
    run.sign_files([(manifest_path, sha256_file(manifest_path))])

    final = check_directory(
        manifest, directory, ignore=output_names() | _inside(directory, fragments)
    )
    if not final.ok():
        raise CheckFailed(
            "the signed directory does not match the final manifest", final.problems()
        )
    names = sorted(run.rel(p) for p in run.written)
    run.log(f"wrote {MANIFEST_NAME} ({len(signed)} artifacts) and {SUMS_NAME}")
    return SignResult(manifest, manifest_path, sums, sigstore="", written=names)
