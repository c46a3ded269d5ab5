"""``verify_release``: check a release directory (or URL) against its manifest and signatures.

Where the list of files comes from, in order: the release manifest (given, or
``release-manifest.json`` next to the artifacts); else ``SHA256SUMS``; else (historical
python.org releases) every file of the version that has a ``.sigstore`` bundle beside it.

Each file is read once: hashed in parallel (``hash_many``), or hashed while it downloads.
Every problem is collected, so one run names all of them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import FileDigest, hash_many, sha256_bytes
from cpython_release.integrity import list_files
from cpython_release.inventory import GPG, SBOM, SIGSTORE
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.sigstore_policy import PipelineIdentity, SigningIdentity
from cpython_release.verify.bundles import BundleVerdict, BundleVerifier, SigstoreBundleVerifier
from cpython_release.verify.gitcheck import check_tag
from cpython_release.verify.gpg import GpgChecker
from cpython_release.verify.remote import SAFE_NAME, RemoteDirectory, is_url
from cpython_release.verify.report import Check, Row, VerifyReport
from cpython_release.verify.sbom import SbomChecker, inspect_sbom, judge
from cpython_release.verify.sums import SUMS_NAME, parse_sums
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
    needs_bundle: bool = False  # no bundle at all is a failure
    origin: str = ""  # where the entry was listed (for "missing" messages)

    def names(self) -> list[str]:
        comps = (self.sigstore, self.gpg, self.sbom)
        return [self.name, *(c.name for c in comps if c is not None)]


@dataclass
class _Files:
    """The local copy of the release: directory, what is present, and digests."""

    directory: Path
    present: set[str]
    digests: dict[str, FileDigest | OSError] = field(default_factory=dict)
    complete_listing: bool = True  # ``present`` lists everything (not true for URLs)
    index: list[str] | None = None  # for URLs: this version's files in the server's index


def _optional(name: str) -> Companion:
    return Companion(name)


def _version_pattern(version: ReleaseVersion) -> re.Pattern[str]:
    return re.compile(r"(?<![\d.])" + re.escape(str(version)) + r"(?!\d|\.\d|(?:a|b|rc)\d)")


class _Verification:
    def __init__(
        self,
        version: ReleaseVersion,
        policy: SigningIdentity,
        verifier: BundleVerifier,
        keyring: Path | None,
        repo: Path | None,
        strict: bool,
        report: VerifyReport,
        require_sigstore: bool = True,
    ) -> None:
        self.version = version
        self.policy = policy
        self.verifier = verifier
        self.keyring = keyring
        self.repo = repo
        self.strict = strict
        self.report = report
        self.pipeline = isinstance(policy, PipelineIdentity)
        self.require_sigstore = require_sigstore
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
        return [
            Entry(
                n,
                "artifact",
                None,
                sha,
                sigstore=_optional(n + SIGSTORE),
                gpg=_optional(n + GPG),
                sbom=_optional(n + SBOM),
                needs_bundle=True,
                origin=origin,
            )
            for n, sha in sorted(names.items())
        ]

    def meta_entry(self, name: str, kind: str, *, needs_bundle: bool) -> Entry:
        return Entry(
            name,
            kind,
            sigstore=_optional(name + SIGSTORE),
            gpg=_optional(name + GPG),
            needs_bundle=needs_bundle,
            origin="the release",
        )

    # --- checks -------------------------------------------------------------------------
    def check_manifest_facts(self, m: Manifest) -> None:
        r = m.release
        if r.version != str(self.version):
            self.fail(MANIFEST_NAME, f"describes Python {r.version}, not {self.version}")
        if r.tag != self.version.tag:
            self.fail(MANIFEST_NAME, f"names tag {r.tag}, expected {self.version.tag}")
        if isinstance(self.policy, PipelineIdentity) and r.repository != self.policy.repository:
            self.fail(
                MANIFEST_NAME,
                f"built from repository {r.repository}, expected {self.policy.repository}",
            )
        if self.repo is not None:
            why = check_tag(self.repo, r.tag, r.commit)
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

    def integrity(self, e: Entry, files: _Files) -> tuple[Check, FileDigest | None]:
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

    def companion_problem(self, c: Companion, files: _Files) -> str | None:
        """Why the companion file itself is not as the manifest lists it (None: fine)."""
        got = files.digests.get(c.name)
        if not isinstance(got, FileDigest):
            return "unreadable"
        if c.size is not None and got.size != c.size:
            return f"size mismatch: expected {c.size} bytes, file has {got.size} bytes"
        if c.sha256 is not None and got.sha256 != c.sha256:
            return f"sha256 mismatch: expected {c.sha256}, file has {got.sha256}"
        return None

    def absent(self, e: Entry, c: Companion | None, files: _Files) -> Check | None:
        """The check result when the companion is absent; None when it is there."""
        if c is not None and c.name in files.present:
            return None
        if c is not None and c.listed:
            return self.fail(c.name, f"missing (listed in {e.origin} for {e.name})")
        return None

    def sigstore(
        self, e: Entry, digest: FileDigest | None, files: _Files, owners: dict[str, str]
    ) -> Check:
        c = e.sigstore
        missing = self.absent(e, c, files)
        if missing is not None:
            return missing
        if c is None or c.name not in files.present:
            if e.needs_bundle and self.require_sigstore:
                return self.fail(e.name, f"not signed: no Sigstore bundle {e.name}{SIGSTORE}")
            if e.needs_bundle:
                self.report.warnings.append(
                    f"{e.name}: no Sigstore bundle (unsigned files allowed)"
                )
                return Check("skipped", "no Sigstore bundle (unsigned files allowed)")
            return Check("-", "the manifest lists no Sigstore bundle")
        problem = self.companion_problem(c, files)
        if problem:
            self.fail(c.name, problem)
        if digest is None:
            return Check("failed", problem or "cannot check: the file is missing or unreadable")
        bundle = (files.directory / c.name).read_bytes()
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
        self, e: Entry, digest: FileDigest | None, files: _Files, gpg: GpgChecker | None
    ) -> Check:
        c = e.gpg
        missing = self.absent(e, c, files)
        if missing is not None:
            return missing
        if c is None or c.name not in files.present:
            return Check("-")
        problem = self.companion_problem(c, files)
        if problem:
            self.fail(c.name, problem)
        if gpg is None:
            return Check("failed", problem) if problem else Check("skipped", "no keyring given")
        if digest is None:
            return Check("failed", "cannot check: the file is missing or unreadable")
        v = gpg.verify(files.directory / e.name, files.directory / c.name)
        if not v.ok:
            return self.fail(c.name, v.message)
        return Check("failed", problem) if problem else Check("ok", v.message)

    def sbom(self, e: Entry, digest: FileDigest | None, files: _Files) -> Check:
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
        files: _Files,
        ignore_unlisted: set[str],
        side: list[tuple[Entry, _Files]] | None = None,
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
            if self.strict:
                self.fail(name, "unlisted file (not in the release's list of files)")
            else:
                self.report.warnings.append(f"unlisted file: {name}")
        if not files.complete_listing and files.index is None:
            self.report.warnings.append(
                "unlisted files not checked: the server shows no directory index"
            )


def _prepare(verifier: BundleVerifier) -> None:
    """Let a verifier load what it needs up front (``prepare()`` is optional)."""
    prepare = getattr(verifier, "prepare", None)
    if callable(prepare):
        prepare()


def _load_manifest(text: str, source: str) -> tuple[Manifest | None, str | None]:
    try:
        return Manifest.loads(text, source), None
    except BadInput as exc:
        return None, str(exc)


def verify_release(
    source: Path | str,
    version: str,
    *,
    policy: SigningIdentity,
    keyring: Path | None = None,
    repo: Path | None = None,
    strict: bool = False,
    manifest: Path | str | None = None,
    sums: Path | str | None = None,
    verifier: BundleVerifier | None = None,
    offline: bool = True,
    workers: int | None = None,
    require_sigstore: bool = True,
) -> VerifyReport:
    """Verify the release in ``source`` (a directory or a base URL) for ``version``.

    ``policy`` is the Sigstore identity every bundle must carry. ``manifest``/``sums``
    override the files found next to the artifacts (paths, or URLs in URL mode).
    ``verifier`` replaces the production Sigstore verifier (tests, rehearsals).
    ``require_sigstore=False`` (rehearsals without an OIDC identity) accepts files that have
    no bundle at all; bundles that exist are still verified.
    Raises :class:`BadInput` for unusable input; verification findings are in the report.
    """
    v = ReleaseVersion.parse(version)
    if keyring is not None and not Path(keyring).is_file():
        raise BadInput(f"keyring {keyring} is not a file")
    if repo is not None and not Path(repo).is_dir():
        raise BadInput(f"--repo {repo} is not a directory")
    bundle_verifier = verifier if verifier is not None else SigstoreBundleVerifier(offline=offline)
    report = VerifyReport(str(v), str(source), "manifest", policy.describe())
    tmp: Path | None = None
    side_tmp: Path | None = None
    check: _Verification | None = None
    try:
        remote: RemoteDirectory | None = None
        if is_url(source):
            remote = RemoteDirectory(str(source))
            tmp = Path(tempfile.mkdtemp(prefix="cr-verify-"))
            directory = tmp
            present: set[str] | None = None
        else:
            directory = Path(source)
            if not directory.is_dir():
                raise BadInput(f"{source} is not a directory (nor an http(s) URL)")
            present = set(list_files(directory))

        # The manifest and SHA256SUMS are read once: the bytes parsed are the bytes whose
        # signature is checked (a server cannot serve one copy to read, another to verify).
        pre: dict[str, FileDigest] = {}

        def load_default(name: str) -> str | None:
            if remote is not None:
                got = remote.download(name, directory)
                if got is None:
                    return None
                pre[name] = got
                return (directory / name).read_text(encoding="utf-8", errors="replace")
            if present is None or name not in present:
                return None
            data = (directory / name).read_bytes()
            pre[name] = FileDigest(len(data), sha256_bytes(data))
            return data.decode("utf-8", errors="replace")

        def load_override(override: Path | str, kind: str) -> tuple[str, str, _Files]:
            """A manifest or SHA256SUMS given explicitly: its text, name, and the files
            beside it (itself and its companions), where it is checked."""
            nonlocal side_tmp
            if is_url(override):
                base, _, name = str(override).rpartition("/")
                if side_tmp is None:
                    side_tmp = Path(tempfile.mkdtemp(prefix="cr-verify-side-"))
                where = side_tmp / kind
                got = RemoteDirectory(base + "/").download_many(
                    [name, name + SIGSTORE, name + GPG], where
                )
                if name not in got:
                    raise BadInput(f"{override} not found")
                found = _Files(where, set(got), dict(got), complete_listing=False)
                return (where / name).read_text(encoding="utf-8", errors="replace"), name, found
            path = Path(override)
            if not path.is_file():
                raise BadInput(f"{override} is not a file")
            name, where = path.name, path.parent
            data = path.read_bytes()
            companions = [n for n in (name + SIGSTORE, name + GPG) if (where / n).is_file()]
            hashed = hash_many([where / n for n in companions])
            digests: dict[str, FileDigest | OSError] = {n: hashed[where / n] for n in companions}
            digests[name] = FileDigest(len(data), sha256_bytes(data))
            found = _Files(where, {name, *companions}, digests, complete_listing=False)
            return data.decode("utf-8", errors="replace"), name, found

        def side_entry(name: str, kind: str, origin: str, needs_bundle: bool) -> Entry:
            return Entry(
                name,
                kind,
                sigstore=_optional(name + SIGSTORE),
                gpg=_optional(name + GPG),
                needs_bundle=needs_bundle,
                origin=origin,
            )

        side: list[tuple[Entry, _Files]] = []
        check = _Verification(
            v, policy, bundle_verifier, keyring, repo, strict, report, require_sigstore
        )
        manifest_side: tuple[str, _Files] | None = None
        sums_side: tuple[str, _Files] | None = None
        manifest_text: str | None
        if manifest is not None:
            manifest_text, manifest_name, manifest_files = load_override(manifest, "manifest")
            manifest_label: str = str(manifest)
            manifest_side = (manifest_name, manifest_files)
        else:
            manifest_text, manifest_label = load_default(MANIFEST_NAME), MANIFEST_NAME
        sums_text: str | None
        if sums is not None:
            sums_text, sums_name, sums_files = load_override(sums, "checksums")
            sums_label: str = str(sums)
            sums_side = (sums_name, sums_files)
        else:
            sums_text, sums_label = load_default(SUMS_NAME), SUMS_NAME
        meta: list[Entry] = []
        entries: list[Entry] = []
        parsed_sums: dict[str, str] | None = None
        if sums_text is not None:
            try:
                parsed_sums = parse_sums(sums_text, sums_label)
            except CheckFailed as exc:
                for problem in exc.problems:
                    check.fail(SUMS_NAME, f"malformed: {problem}")
        m: Manifest | None = None
        if manifest_text is not None:
            m, error = _load_manifest(manifest_text, manifest_label)
            if m is None:
                check.fail(MANIFEST_NAME, f"not a valid release manifest: {error}")
            else:
                report.release = m.release.to_dict()
                check.check_manifest_facts(m)
                entries = check.entries_from_manifest(m)
            if manifest is None:
                meta.append(
                    check.meta_entry(MANIFEST_NAME, "manifest", needs_bundle=check.pipeline)
                )
        elif parsed_sums is not None:
            report.mode = "sha256sums"
            entries = check.entries_from_names(dict(parsed_sums), SUMS_NAME)
        else:
            report.mode = "listing"
            names = remote.listing() if remote is not None else sorted(present or ())
            if names is None:
                raise BadInput(
                    f"{source} has no {MANIFEST_NAME}, no {SUMS_NAME} and no directory index: "
                    "give --manifest or --sums"
                )
            pattern = _version_pattern(v)
            name_set = set(names)
            picked: dict[str, str | None] = {
                n: None
                for n in names
                if n + SIGSTORE in name_set
                and not n.endswith(COMPANION_SUFFIXES)
                and pattern.search(n)
            }
            if not picked:
                raise BadInput(
                    f"{source} has no {MANIFEST_NAME}, no {SUMS_NAME} and no signed files of "
                    f"Python {v}"
                )
            entries = check.entries_from_names(picked, f"the listing of {source}")
        if m is None and manifest is not None:
            raise BadInput(f"cannot verify without a valid manifest: {report.problems[-1]}")
        if m is None and repo is not None:
            check.fail(MANIFEST_NAME, "cannot check the tag's commit: no valid release manifest")
        if parsed_sums is not None and sums is None:
            meta.append(
                check.meta_entry(SUMS_NAME, "checksums", needs_bundle=check.pipeline and m is None)
            )
        if parsed_sums is not None and m is not None:
            check.check_sums(parsed_sums, entries)
        if manifest_side is not None and m is not None:
            name, found = manifest_side
            side.append((side_entry(name, "manifest", str(manifest), check.pipeline), found))
        if sums_side is not None and parsed_sums is not None:
            name, found = sums_side
            needs = check.pipeline and m is None
            side.append((side_entry(name, "checksums", str(sums), needs), found))

        all_entries = meta + entries
        wanted = sorted({n for e in all_entries for n in e.names()})
        for n in wanted:
            if not SAFE_NAME.fullmatch(n):
                raise BadInput(f"refusing unsafe file name {n!r}")

        def start_sboms(have: set[str]) -> None:
            check.sboms = SbomChecker(
                [
                    (directory / e.sbom.name, e.name)
                    for e in all_entries
                    if e.sbom is not None and e.sbom.name in have
                ]
            )

        if remote is not None:
            fetched = remote.download_many([n for n in wanted if n not in pre], directory)
            digests: dict[str, FileDigest | OSError] = {**fetched, **pre}
            files = _Files(directory, set(digests), digests, complete_listing=False)
            index = remote.listing()  # for unlisted files; python.org's index has other
            if index is not None:  # versions' files too, so only this version's count
                pattern = _version_pattern(v)
                files.index = [n for n in index if pattern.search(n)]
            start_sboms(files.present)
        else:
            assert present is not None
            start_sboms(present)  # large SBOMs validate in other processes while we hash
            to_hash = [n for n in wanted if n in present and n not in pre]
            with ThreadPoolExecutor(max_workers=1) as background:
                hashing = background.submit(
                    hash_many, [directory / n for n in to_hash], workers=workers
                )
                _prepare(bundle_verifier)  # imports and trust root, while the files hash
                by_path = hashing.result()
            hashed: dict[str, FileDigest | OSError] = {n: by_path[directory / n] for n in to_hash}
            files = _Files(directory, present, {**hashed, **pre})
        ignore = {MANIFEST_NAME, SUMS_NAME} | {
            base + suffix for base in (MANIFEST_NAME, SUMS_NAME) for suffix in (SIGSTORE, GPG)
        }
        check.run(all_entries, files, ignore, side)
        return report
    finally:
        if check is not None and check.sboms is not None:
            check.sboms.close()
        for leftover in (tmp, side_tmp):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
