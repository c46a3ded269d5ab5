"""The checks of the verify stage, one file at a time: integrity, Sigstore, GPG, SBOM.

:class:`Entry` is one file the release lists (an artifact, the manifest or SHA256SUMS) with
its companions; :class:`Files` is where the bytes are and what they hash to; :class:`Checks`
turns both into report rows and problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.hashing import FileDigest
from cpython_release.inventory import GPG, SBOM, SIGSTORE
from cpython_release.limits import cap_for, read_capped, too_large
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.nightly_names import release_tag
from cpython_release.sigstore_policy import KeyringIdentity, PipelineIdentity, SigningIdentity
from cpython_release.verify.bundles import BundleVerdict, BundleVerifier
from cpython_release.verify.gitcheck import check_nightly_commit, check_tag
from cpython_release.verify.gpg import GpgChecker
from cpython_release.verify.report import Check, Row, VerifyReport
from cpython_release.verify.sbom import SbomChecker, inspect_sbom, judge
from cpython_release.verify.sums import SUMS_NAME
from cpython_release.version import ReleaseVersion

COMPANION_SUFFIXES = (SIGSTORE, GPG, SBOM, ".sig", ".crt")
META_KINDS = ("manifest", "checksums")


@dataclass
class Companion:
    name: str
    size: int | None = None
    sha256: str | None = None
    listed: bool = False  # the manifest names it, so it must exist


@dataclass
class Entry:
    name: str
    kind: str
    size: int | None = None
    sha256: str | None = None
    sigstore: Companion | None = None
    gpg: Companion | None = None
    sbom: Companion | None = None
    origin: str = ""  # where the entry was listed (for "missing" messages)

    def names(self) -> list[str]:
        comps = (self.sigstore, self.gpg, self.sbom)
        return [self.name, *(c.name for c in comps if c is not None)]


@dataclass
class Files:
    """The local copy of the release: directory, what is present, and digests."""

    directory: Path
    present: set[str]
    digests: dict[str, FileDigest | OSError] = field(default_factory=dict)
    complete_listing: bool = True  # ``present`` lists everything (not true for URLs)
    index: list[str] | None = None  # for URLs: this version's files in the server's index


def optional(name: str) -> Companion:
    return Companion(name)


def version_pattern(version: ReleaseVersion) -> re.Pattern[str]:
    return re.compile(r"(?<![\d.])" + re.escape(str(version)) + r"(?!\d|\.\d|(?:a|b|rc)\d)")


class Checks:
    def __init__(
        self,
        version: ReleaseVersion,
        policy: SigningIdentity,
        verifier: BundleVerifier,
        keyring: Path | None,
        repo: Path | None,
        strict: bool,
        report: VerifyReport,
    ) -> None:
        self.version = version
        self.policy = policy
        self.verifier = verifier
        self.keyring = keyring
        self.repo = repo
        self.strict = strict
        self.report = report
        self.pipeline = isinstance(policy, PipelineIdentity)
        # Every file needs a signature of the identity the policy names: a Sigstore bundle,
        # or (the policy names OpenPGP keys) a good .asc.
        self.sigstore_required = not isinstance(policy, KeyringIdentity)
        # PEP 761: releases up to 3.13 carry OpenPGP signatures; with a keyring every file
        # of such a release must have a good one (a stripped .asc is a failure).
        self.gpg_required = keyring is not None and (
            not version.at_least(3, 14) or not self.sigstore_required
        )
        self.sboms: SbomChecker | None = None

    def fail(self, name: str, message: str) -> Check:
        self.report.problems.append(f"{name}: {message}")
        return Check("failed", message)

    # --- the list of files ------------------------------------------------------------
    def entries_from_manifest(self, m: Manifest) -> list[Entry]:
        out = []
        for a in sorted(m.artifacts, key=lambda a: a.name):
            e = Entry(a.name, a.kind, a.size, a.sha256, origin=MANIFEST_NAME)
            for s in a.signatures:
                comp = Companion(s.name, s.size, s.sha256, listed=True)
                if s.type == "sigstore":
                    e.sigstore = comp
                else:
                    e.gpg = comp
            if a.sbom:
                e.sbom = Companion(a.sbom.name, a.sbom.size, a.sbom.sha256, listed=True)
            out.append(e)
        return out

    def entries_from_names(self, names: dict[str, str | None], origin: str) -> list[Entry]:
        """Legacy mode: the files a SHA256SUMS or a listing names, each of this version."""
        pattern = version_pattern(self.version)
        for n in sorted(names):
            if not pattern.search(n):
                self.fail(origin, f"lists {n}, which is not a file of Python {self.version}")
        return [
            Entry(
                n,
                "artifact",
                None,
                sha,
                sigstore=optional(n + SIGSTORE),
                gpg=optional(n + GPG),
                sbom=optional(n + SBOM),
                origin=origin,
            )
            for n, sha in sorted(names.items())
        ]

    def meta_entry(self, name: str, kind: str) -> Entry:
        return Entry(
            name,
            kind,
            sigstore=optional(name + SIGSTORE),
            gpg=optional(name + GPG),
            origin="the release",
        )

    # --- checks -------------------------------------------------------------------------
    def check_manifest_facts(self, m: Manifest) -> None:
        r = m.release
        if r.version != str(self.version):
            self.fail(MANIFEST_NAME, f"describes Python {r.version}, not {self.version}")
        # a nightly has no git tag: its tag names its branch, date and commit
        expected_tag = (
            release_tag(self.version, r.commit) if self.version.is_nightly else (self.version.tag)
        )
        if r.tag != expected_tag:
            self.fail(MANIFEST_NAME, f"names tag {r.tag}, expected {expected_tag}")
        if isinstance(self.policy, PipelineIdentity) and r.repository != self.policy.repository:
            self.fail(
                MANIFEST_NAME,
                f"built from repository {r.repository}, expected {self.policy.repository}",
            )
        if self.repo is not None:
            why = (
                check_nightly_commit(self.repo, r.commit, r.version)
                if self.version.is_nightly
                else check_tag(self.repo, r.tag, r.commit)
            )
            if why:
                self.fail(MANIFEST_NAME, why)

    def check_sums(self, sums: dict[str, str], entries: list[Entry]) -> None:
        expected: dict[str, str | None] = {}
        for e in entries:
            expected[e.name] = e.sha256
            for c in (e.sigstore, e.gpg, e.sbom):
                if c is not None and c.listed:
                    expected[c.name] = c.sha256
        for name, sha in sorted(sums.items()):
            if name not in expected:
                self.fail(SUMS_NAME, f"lists {name}, which {MANIFEST_NAME} does not")
            elif expected[name] is not None and expected[name] != sha:
                self.fail(
                    SUMS_NAME, f"says {sha} for {name}, {MANIFEST_NAME} says {expected[name]}"
                )
        for e in entries:
            if e.name not in sums:
                self.fail(SUMS_NAME, f"does not list {e.name}")

    def integrity(self, e: Entry, files: Files) -> tuple[Check, FileDigest | None]:
        if e.name not in files.present:
            return self.fail(e.name, f"missing (listed in {e.origin})"), None
        got = files.digests.get(e.name)
        if isinstance(got, OSError) or got is None:
            why = got.strerror if isinstance(got, OSError) else "not hashed"
            return self.fail(e.name, f"unreadable: {why}"), None
        if e.size is not None and got.size != e.size:
            return self.fail(
                e.name, f"size mismatch: expected {e.size} bytes, file has {got.size} bytes"
            ), got
        if e.sha256 is not None and got.sha256 != e.sha256:
            return self.fail(
                e.name, f"sha256 mismatch: expected {e.sha256}, file has {got.sha256}"
            ), got
        return Check("ok", "size and sha256 match" if e.sha256 else "hashed"), got

    def companion_problem(self, c: Companion, files: Files) -> str | None:
        """Why the companion file itself is not as the manifest lists it (None: fine)."""
        got = files.digests.get(c.name)
        if not isinstance(got, FileDigest):
            return "unreadable"
        if c.size is not None and got.size != c.size:
            return f"size mismatch: expected {c.size} bytes, file has {got.size} bytes"
        if c.sha256 is not None and got.sha256 != c.sha256:
            return f"sha256 mismatch: expected {c.sha256}, file has {got.sha256}"
        return None

    def absent(self, e: Entry, c: Companion | None, files: Files) -> Check | None:
        """The check result when the companion is absent; None when it is there."""
        if c is not None and c.name in files.present:
            return None
        if c is not None and c.listed:
            return self.fail(c.name, f"missing (listed in {e.origin} for {e.name})")
        return None

    def sigstore(
        self, e: Entry, digest: FileDigest | None, files: Files, owners: dict[str, str]
    ) -> Check:
        c = e.sigstore
        missing = self.absent(e, c, files)
        if missing is not None:
            return missing
        if not self.sigstore_required:
            return Check("-", "not part of the policy (it names OpenPGP keys)")
        if c is None or c.name not in files.present:
            return self.fail(e.name, f"not signed: no Sigstore bundle {e.name}{SIGSTORE}")
        problem = self.companion_problem(c, files)
        if problem:
            self.fail(c.name, problem)
        if digest is None:
            return Check("failed", problem or "cannot check: the file is missing or unreadable")
        try:  # never read whole past the fixed cap (or the larger size the manifest gives it)
            bundle = read_capped(files.directory / c.name, _cap(c))
        except OSError as exc:
            if problem:  # already failed: its size or hash is not the listed one
                return Check("failed", problem)
            return self.fail(c.name, f"unreadable: {exc.strerror or exc}")
        verdict = self.verifier.verify(digest.sha256, bundle, self.policy)
        return self.sigstore_check(e, c, digest, verdict, owners, problem)

    def sigstore_check(
        self,
        e: Entry,
        c: Companion,
        digest: FileDigest,
        v: BundleVerdict,
        owners: dict[str, str],
        problem: str | None,
    ) -> Check:
        if v.status == "ok":
            return Check("failed", problem) if problem else Check("ok", v.message)
        if v.status == "needs-online":
            self.report.needs_online.append(f"{c.name}: {v.message} (signer {v.signer})")
            return Check("needs-online", v.message)
        message = f"Sigstore bundle rejected: {v.message}"
        signed = v.signed_sha256
        if signed and signed != digest.sha256:
            other = owners.get(signed)
            if e.kind in META_KINDS:
                message += f"; {e.name} was changed after it was signed"
            elif other and other != e.name:
                message += f"; it was made for {other}, not {e.name}"
            elif e.sha256 == signed:
                message += "; it signs the listed sha256, so the file changed after signing"
            else:
                message += f"; it signs sha256 {signed}, this file is {digest.sha256}"
        return self.fail(c.name, message)

    def gpg(
        self, e: Entry, digest: FileDigest | None, files: Files, gpg: GpgChecker | None
    ) -> Check:
        c = e.gpg
        missing = self.absent(e, c, files)
        if missing is not None:
            return missing
        if c is None or c.name not in files.present:
            if self.gpg_required:
                return self.fail(
                    e.name,
                    f"not signed: no OpenPGP signature {e.name}{GPG} (Python {self.version} "
                    "carries GPG signatures and a keyring was given)",
                )
            return Check("-")
        problem = self.companion_problem(c, files)
        if problem:
            self.fail(c.name, problem)
        if gpg is None:
            return Check("failed", problem) if problem else Check("skipped", "no keyring given")
        if digest is None:
            return Check("failed", "cannot check: the file is missing or unreadable")
        got = files.digests.get(c.name)
        cap = _cap(c)
        if not isinstance(got, FileDigest) or got.size > cap:  # gpg would read it whole
            why = too_large(cap).strerror if isinstance(got, FileDigest) else None
            return Check("failed", problem) if problem else self.fail(c.name, why or "unreadable")
        v = gpg.verify(files.directory / e.name, files.directory / c.name)
        if not v.ok:
            return self.fail(c.name, v.message)
        return Check("failed", problem) if problem else Check("ok", v.message)

    def sbom(self, e: Entry, digest: FileDigest | None, files: Files) -> Check:
        c = e.sbom
        missing = self.absent(e, c, files)
        if missing is not None:
            return missing
        if c is None or c.name not in files.present:
            return Check("-")
        problem = self.companion_problem(c, files)
        if problem:
            self.fail(c.name, problem)
        if digest is None:
            return Check("failed", "cannot check: the file is missing or unreadable")
        facts = (
            self.sboms.result(files.directory / c.name)
            if self.sboms is not None
            else inspect_sbom(str(files.directory / c.name), e.name)
        )
        why = judge(facts, e.name, digest.sha256)
        if why:
            return self.fail(c.name, why)
        return Check("failed", problem) if problem else Check("ok", "valid SPDX, names this file")

    def run(
        self,
        entries: list[Entry],
        files: Files,
        ignore_unlisted: set[str],
        side: list[tuple[Entry, Files]] | None = None,
    ) -> None:
        """Check every entry; ``side`` entries (a manifest or SHA256SUMS given explicitly)
        are checked where they live, next to their own companions."""
        owners: dict[str, str] = {}
        for e in entries:
            got = files.digests.get(e.name)
            if isinstance(got, FileDigest):
                owners.setdefault(got.sha256, e.name)
            if e.sha256:
                owners.setdefault(e.sha256, e.name)
        gpg = GpgChecker(self.keyring) if self.keyring is not None else None
        try:
            for e, where in [*(side or []), *((e, files) for e in entries)]:
                row = Row(e.name, e.kind)
                row.checks["integrity"], digest = self.integrity(e, where)
                if digest is not None:
                    row.size, row.sha256 = digest.size, digest.sha256
                row.checks["sigstore"] = self.sigstore(e, digest, where, owners)
                row.checks["gpg"] = self.gpg(e, digest, where, gpg)
                row.checks["sbom"] = self.sbom(e, digest, where)
                self.report.rows.append(row)
        finally:
            if gpg is not None:
                gpg.close()
        listed = files.present if files.complete_listing else set(files.index or ())
        known = {n for e in entries for n in e.names()} | ignore_unlisted
        for name in sorted(listed - known):
            if self.strict or _is_release_file(self.version, name):
                # a file named as this release's (or any, with --strict) that no signed list
                # covers is never waved through: deleting its signature must not hide it
                self.fail(name, "unlisted file (not in the release's list of files)")
            else:
                self.report.warnings.append(f"unlisted file: {name}")
        if not files.complete_listing and files.index is None:
            self.report.warnings.append(
                "unlisted files not checked: the server shows no directory index"
            )


def _cap(c: Companion) -> int:
    """How much of a companion may be read whole: its fixed cap, or the manifest's size for it
    when larger. (A local file of another size than listed has already failed; it is still
    checked, to say what it signs, as long as it is within the cap.)"""
    return max(cap_for(c.name), c.size or 0)


def _is_release_file(version: ReleaseVersion, name: str) -> bool:
    """Whether ``name`` is a file a release of ``version`` publishes (python.org's names)."""
    from cpython_release.inventory import classify

    try:
        classify(version, name.rsplit("/", 1)[-1])
    except BadInput:
        return False
    return True
