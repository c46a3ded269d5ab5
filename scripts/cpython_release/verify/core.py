"""``verify_release``: check a release directory (or URL) against its manifest and signatures.

The signed release manifest (given, or ``release-manifest.json`` next to the artifacts) is
the root of trust: it lists every file with its hash and is itself signed. Without one,
verification fails ("no signed manifest"), except in legacy mode (releases made before this
pipeline, signed by the release manager): there the list comes from ``SHA256SUMS``, else
every file of the version with a ``.sigstore`` bundle beside it, and every file needs a
valid bundle of the release manager.

Each file is read once: hashed in parallel (``hash_many``), or hashed while it downloads.
Every problem is collected, so one run names all of them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed, ReleaseError
from cpython_release.hashing import FileDigest, hash_many, sha256_bytes
from cpython_release.integrity import list_files
from cpython_release.inventory import GPG, SIGSTORE
from cpython_release.limits import MAX_UNSIZED, read_capped
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.output import plural
from cpython_release.publish.layout import published_list_name
from cpython_release.sigstore_policy import (
    KeyringIdentity,
    LegacyIdentity,
    PipelineIdentity,
    SigningIdentity,
)
from cpython_release.verify.bundles import BundleVerifier, SigstoreBundleVerifier
from cpython_release.verify.checks import (
    COMPANION_SUFFIXES,
    META_KINDS,
    Checks,
    Entry,
    Files,
    optional,
    version_pattern,
)
from cpython_release.verify.remote import DEFAULT_DEADLINE, SAFE_NAME, RemoteDirectory, is_url
from cpython_release.verify.report import VerifyReport
from cpython_release.verify.sbom import SbomChecker
from cpython_release.verify.sums import SUMS_NAME, parse_sums
from cpython_release.version import ReleaseVersion


def _prepare(verifier: BundleVerifier) -> None:
    """Let a verifier load what it needs up front (``prepare()`` is optional)."""
    prepare = getattr(verifier, "prepare", None)
    if callable(prepare):
        prepare()


@dataclass
class _ListFile:
    """A manifest or SHA256SUMS as read: text, name for messages, and, when it was given
    explicitly, the files beside it (itself and its companions) where it is checked."""

    text: str
    label: str
    side: tuple[str, Files] | None = None


class _Source:
    """The release's files: a local directory, or a base URL downloaded to a temporary one.

    The manifest and SHA256SUMS are read once: the bytes parsed are the bytes whose
    signature is checked (a server cannot serve one copy to read and another to verify).
    """

    def __init__(self, source: Path | str, deadline: float = DEFAULT_DEADLINE) -> None:
        self.label = str(source)
        self.deadline = deadline
        self.remote: RemoteDirectory | None = None
        self.present: set[str] | None = None
        self.read: dict[str, FileDigest] = {}  # files already read, with their digests
        self._temps: list[Path] = []
        if is_url(source):
            self.remote = RemoteDirectory(str(source), deadline=deadline)
            self.directory = self._temp("cr-verify-")
        else:
            self.directory = Path(source)
            if not self.directory.is_dir():
                raise BadInput(f"{source} is not a directory (nor an http(s) URL)")
            self.present = set(list_files(self.directory))

    def _temp(self, prefix: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self._temps.append(path)
        return path

    def close(self) -> None:
        for path in self._temps:
            shutil.rmtree(path, ignore_errors=True)

    def load(
        self, override: Path | str | None, defaults: tuple[str, ...], kind: str
    ) -> _ListFile | None:
        """The first of ``defaults`` that exists (or the file given)."""
        if override is not None:
            return self._load_given(override, kind)
        for default in defaults:
            found = self._load_default(default)
            if found is not None:
                return found
        return None

    def _load_default(self, default: str) -> _ListFile | None:
        if self.remote is not None:
            got = self.remote.download(default, self.directory)
            if got is None:
                return None
            if isinstance(got, OSError):
                raise BadInput(f"{self.remote.url(default)}: {got.strerror}")
            self.read[default] = got
            return _ListFile(_text((self.directory / default).read_bytes()), default)
        if self.present is None or default not in self.present:
            return None
        data = _read_list(self.directory / default)
        self.read[default] = FileDigest(len(data), sha256_bytes(data))
        return _ListFile(_text(data), default)

    def _load_given(self, override: Path | str, kind: str) -> _ListFile:
        if is_url(override):
            base, _, name = str(override).rpartition("/")
            where = self._temp("cr-verify-side-") / kind
            # one deadline for the run
            left = self.remote.remaining() if self.remote is not None else self.deadline
            remote = RemoteDirectory(base + "/", deadline=left)
            got = remote.download_many([name, name + SIGSTORE, name + GPG], where)
            if name not in got:
                raise BadInput(f"{override} not found")
            first = got[name]
            if isinstance(first, OSError):
                raise BadInput(f"{override}: {first.strerror}")
            found = Files(where, set(got), dict(got), complete_listing=False)
            return _ListFile(_text((where / name).read_bytes()), str(override), (name, found))
        return _load_local(Path(override), str(override))

    def names(self) -> list[str] | None:
        """Every file name there (None: a server without a directory index)."""
        if self.remote is not None:
            return self.remote.listing()
        return sorted(self.present or ())

    def gather(
        self,
        wanted: list[str],
        version: ReleaseVersion,
        *,
        workers: int | None,
        meanwhile: Callable[[], None],
        sizes: dict[str, int] | None = None,
    ) -> Files:
        """Hash (or download and hash) every wanted file once; ``meanwhile`` runs while
        local files hash. ``sizes`` (from the manifest) caps each download."""
        if self.remote is not None:
            self.remote.sizes.update(sizes or {})
            fetched = self.remote.download_many(
                [n for n in wanted if n not in self.read], self.directory
            )
            digests: dict[str, FileDigest | OSError] = {**fetched, **self.read}
            files = Files(self.directory, set(digests), digests, complete_listing=False)
            index = self.remote.listing()  # for unlisted files; python.org's index has
            if index is not None:  # other versions' files too, so only this version's count
                pattern = version_pattern(version)
                files.index = [n for n in index if pattern.search(n)]
            meanwhile()
            return files
        assert self.present is not None
        to_hash = [n for n in wanted if n in self.present and n not in self.read]
        with ThreadPoolExecutor(max_workers=1) as background:
            hashing = background.submit(
                hash_many, [self.directory / n for n in to_hash], workers=workers
            )
            meanwhile()
            by_path = hashing.result()
        hashed: dict[str, FileDigest | OSError] = {n: by_path[self.directory / n] for n in to_hash}
        return Files(self.directory, self.present, {**hashed, **self.read})


def _load_local(path: Path, label: str) -> _ListFile:
    """A manifest or SHA256SUMS given as a local file, read once, with the companions beside
    it (where it is checked)."""
    if not path.is_file():
        raise BadInput(f"{label} is not a file")
    name, where = path.name, path.parent
    data = _read_list(path)
    companions = [n for n in (name + SIGSTORE, name + GPG) if (where / n).is_file()]
    hashed = hash_many([where / n for n in companions])
    digests: dict[str, FileDigest | OSError] = {n: hashed[where / n] for n in companions}
    digests[name] = FileDigest(len(data), sha256_bytes(data))
    found = Files(where, {name, *companions}, digests, complete_listing=False)
    return _ListFile(_text(data), label, (name, found))


def _read_list(path: Path) -> bytes:
    """A local manifest or SHA256SUMS, capped as a download of it is (exit 2 past the cap)."""
    try:
        return read_capped(path, MAX_UNSIZED)
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from None


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _side_entry(name: str, kind: str, origin: str) -> Entry:
    return Entry(
        name, kind, sigstore=optional(name + SIGSTORE), gpg=optional(name + GPG), origin=origin
    )


def _pick_signed(names: list[str], version: ReleaseVersion) -> dict[str, str | None]:
    """Listing mode: the version's files that have a ``.sigstore`` bundle beside them."""
    pattern = version_pattern(version)
    have = set(names)
    return {
        n: None
        for n in names
        if n + SIGSTORE in have and not n.endswith(COMPANION_SUFFIXES) and pattern.search(n)
    }


def _only(
    entries: list[Entry], only: Sequence[str], version: ReleaseVersion, mode: str
) -> list[Entry]:
    """The entries named by ``--only``; a name the release's list lacks is bad input."""
    by_name = {e.name: e for e in entries}
    unknown = [n for n in dict.fromkeys(only) if n not in by_name]
    if unknown:
        where = {"manifest": "signed manifest", "sha256sums": "SHA256SUMS"}.get(
            mode, "signed files in the listing"
        )
        raise BadInput(
            f"--only {', '.join(unknown)}: not in the {where} of Python {version} "
            f"(it lists {plural(len(by_name), 'file')}, e.g. {', '.join(sorted(by_name)[:3])})"
        )
    return [by_name[n] for n in dict.fromkeys(only)]


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
    deadline: float = DEFAULT_DEADLINE,
    only: Sequence[str] = (),
) -> VerifyReport:
    """Verify the release in ``source`` (a directory or a base URL) for ``version``.

    ``policy`` names who must have signed every file: the pipeline's Sigstore identity
    (bound here to ``version``: its tag, or a branch for a nightly), a release manager's
    (legacy mode), or OpenPGP keys (:class:`KeyringIdentity`, rehearsals without a Sigstore
    identity). ``manifest``/``sums`` override the files found next to the artifacts (paths,
    or URLs); they are then checked where they live, with the ``.sigstore``/``.asc`` beside
    them. ``keyring`` checks ``.asc`` signatures too (mandatory up to 3.13).
    ``verifier`` replaces the production Sigstore verifier (tests). ``deadline`` bounds
    all downloads of a URL source together (seconds).
    ``only`` names the files to check (with their companions) out of the release's list:
    nothing else is read or downloaded but the list itself and its signature (SHA256SUMS is
    then not read unless it is the list, or given); a name the list lacks is bad input.
    Raises :class:`BadInput` for unusable input; verification findings are in the report.
    """
    v = ReleaseVersion.parse(version, nightly=None)
    if isinstance(policy, PipelineIdentity) and not policy.source_ref:
        policy = policy.bound_to(v)
    if isinstance(policy, KeyringIdentity):
        keyring = policy.keyring
    if keyring is not None and not Path(keyring).is_file():
        raise BadInput(f"keyring {keyring} is not a file")
    if repo is not None and not Path(repo).is_dir():
        raise BadInput(f"--repo {repo} is not a directory")
    bundle_verifier = verifier if verifier is not None else SigstoreBundleVerifier(offline=offline)
    report = VerifyReport(str(v), str(source), "manifest", policy.describe())
    check = Checks(v, policy, bundle_verifier, keyring, repo, strict, report)
    src = _Source(source, deadline)
    try:
        lists = _Lists.load(src, v, check, manifest=manifest, sums=sums, only=only)
        if lists.manifest_file is not None:
            found = _collect_manifest(lists, check)
        elif not isinstance(policy, LegacyIdentity):
            check.fail(MANIFEST_NAME, _no_manifest(src, v))
            report.mode = "none"
            return report
        elif lists.sums is not None:
            found = _collect_sums(lists.sums, check)
        else:
            found = _collect_listing(src, v, check)
        _cross_check(found, lists, check, repo)
        listed = {n for e in found.entries for n in e.names()}
        if only and (found.entries or not report.problems):  # (an invalid list fails alone)
            try:
                selected = _only(found.entries, only, v, report.mode)
            except BadInput:
                # only a list whose signature holds may call --only's name unknown: an
                # unsigned or forged list is INVALID (exit 1), not a mistyped name (exit 2)
                found.entries = []
                _check_files(src, v, found, check, bundle_verifier, workers, listed)
                if any(r.kind in META_KINDS and r.result == "invalid" for r in report.rows):
                    return report
                raise
            found.entries = selected
        _check_files(src, v, found, check, bundle_verifier, workers, listed)
        return report
    finally:
        if check.sboms is not None:
            check.sboms.close()
        src.close()


def _no_manifest(src: _Source, v: ReleaseVersion) -> str:
    """Why there is no manifest of ``v``: the manifests of other versions found there (a
    mistyped version, or the X.Y.Z/ directory of another pre-release), else none at all."""
    wanted = published_list_name(MANIFEST_NAME, str(v))
    try:
        names = src.names() or []
    except ReleaseError:  # a server without a readable index: no names, the plain reason
        names = []
    others = [
        (name, m.group(1))
        for name in names
        if (m := _VERSIONED_MANIFEST.fullmatch(name)) and name != wanted
    ]
    if others:
        found = ", ".join(f"{name} (Python {version})" for name, version in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        return (
            f"no signed manifest for Python {v}: {src.label} has {found}{more}, but neither "
            f"{wanted} nor {MANIFEST_NAME}: is {v} the version you meant?"
        )
    return (
        f"no signed manifest for Python {v}: {src.label} has no {MANIFEST_NAME} (give "
        "--manifest; only --legacy verifies releases made before this pipeline)"
    )


# publish/layout.py published_list_name(MANIFEST_NAME, version)
_VERSIONED_MANIFEST = re.compile(r"release-manifest-(\d+\.\d+\.\d+[0-9a-z.]*)\.json")


def verify_manifest_signature(
    manifest: Path,
    *,
    policy: SigningIdentity,
    verifier: BundleVerifier | None = None,
    offline: bool = True,
) -> tuple[Manifest, VerifyReport]:
    """The signed manifest alone, checked as :func:`verify_release` checks it (publish does
    this before it uploads anything): its facts and its signature beside it, ``.sigstore``
    (or, for a :class:`KeyringIdentity`, ``.asc``), against ``policy`` bound to the version
    the manifest names. The files it lists are not read here.

    Returns the manifest parsed from the very bytes checked, and the report (``ok`` only
    when the signature holds). Raises :class:`BadInput` for an unreadable or invalid manifest.
    """
    listed = _load_local(Path(manifest), str(manifest))
    claimed = Manifest.loads(listed.text, listed.label)
    v = ReleaseVersion.parse(claimed.release.version, nightly=None)
    if isinstance(policy, PipelineIdentity) and not policy.source_ref:
        policy = policy.bound_to(v)
    keyring = policy.keyring if isinstance(policy, KeyringIdentity) else None
    bundle_verifier = verifier if verifier is not None else SigstoreBundleVerifier(offline=offline)
    report = VerifyReport(str(v), str(manifest), "manifest", policy.describe())
    check = Checks(v, policy, bundle_verifier, keyring, None, False, report)
    found = _collect_manifest(_Lists(listed, None, None), check)
    if check.sigstore_required:
        _prepare(bundle_verifier)
    assert listed.side is not None
    check.run([], Files(listed.side[1].directory, set()), set(), found.side)
    return claimed, report


@dataclass
class _Lists:
    """The release's signed lists as read: the manifest and SHA256SUMS (either may be
    missing), and SHA256SUMS parsed (None: missing or malformed, which is a failure)."""

    manifest_file: _ListFile | None
    sums_file: _ListFile | None
    sums: dict[str, str] | None

    @classmethod
    def load(
        cls,
        src: _Source,
        v: ReleaseVersion,
        check: Checks,
        *,
        manifest: Path | str | None,
        sums: Path | str | None,
        only: Sequence[str],
    ) -> _Lists:
        # python.org's X.Y.Z/ directory is shared by every pre-release of X.Y.Z: there the
        # lists carry the version (publish/layout.py published_list_name)
        manifest_file = src.load(
            manifest, (published_list_name(MANIFEST_NAME, str(v)), MANIFEST_NAME), "manifest"
        )
        # --only with a manifest: SHA256SUMS (the same list again) is not read unless given
        skip_sums = bool(only) and manifest_file is not None and sums is None
        sums_file = (
            None
            if skip_sums
            else src.load(sums, (published_list_name(SUMS_NAME, str(v)), SUMS_NAME), "checksums")
        )
        parsed: dict[str, str] | None = None
        if sums_file is not None:
            try:
                parsed = parse_sums(sums_file.text, sums_file.label)
            except CheckFailed as exc:
                for problem in exc.problems:
                    check.fail(SUMS_NAME, f"malformed: {problem}")
        return cls(manifest_file, sums_file, parsed)


@dataclass
class _Found:
    """What a mode collected: the files to check, the lists themselves (``meta``: checked
    with the release's files; ``side``: given explicitly, checked where they live)."""

    entries: list[Entry] = field(default_factory=list)
    meta: list[Entry] = field(default_factory=list)
    side: list[tuple[Entry, Files]] = field(default_factory=list)
    manifest: Manifest | None = None


def _collect_manifest(lists: _Lists, check: Checks) -> _Found:
    """Manifest mode: the signed manifest lists every file (an invalid one is a failure,
    or bad input when it was given explicitly)."""
    manifest_file = lists.manifest_file
    assert manifest_file is not None
    found = _Found()
    try:
        m = Manifest.loads(manifest_file.text, manifest_file.label)
    except BadInput as exc:
        if manifest_file.side is not None:
            raise BadInput(f"cannot verify without a valid manifest: {exc}") from None
        check.fail(MANIFEST_NAME, f"not a valid release manifest: {exc}")
    else:
        found.manifest = m
        check.report.release = m.release.to_dict()
        check.check_manifest_facts(m)
        found.entries = check.entries_from_manifest(m)
    if manifest_file.side is None:
        found.meta.append(check.meta_entry(manifest_file.label, "manifest"))
    elif found.manifest is not None:
        name, where = manifest_file.side
        found.side.append((_side_entry(name, "manifest", manifest_file.label), where))
    return found


def _collect_sums(sums: dict[str, str], check: Checks) -> _Found:
    """Legacy mode with SHA256SUMS: it is the list of files."""
    check.report.mode = "sha256sums"
    return _Found(check.entries_from_names(dict(sums), SUMS_NAME))


def _collect_listing(src: _Source, v: ReleaseVersion, check: Checks) -> _Found:
    """Legacy mode without lists: every file of the version with a bundle beside it."""
    check.report.mode = "listing"
    source = src.label
    names = src.names()
    if names is None:
        raise BadInput(
            f"{source} has no {MANIFEST_NAME}, no {SUMS_NAME} and no directory index: "
            "give --manifest or --sums"
        )
    picked = _pick_signed(names, v)
    if not picked:
        raise BadInput(
            f"{source} has no {MANIFEST_NAME}, no {SUMS_NAME} and no signed files of Python {v}"
        )
    return _Found(check.entries_from_names(picked, f"the listing of {source}"))


def _cross_check(found: _Found, lists: _Lists, check: Checks, repo: Path | None) -> None:
    """The tag's commit (--repo) needs a manifest; SHA256SUMS must agree with it, and is
    itself checked like any list."""
    if found.manifest is None and repo is not None:
        check.fail(MANIFEST_NAME, "cannot check the tag's commit: no valid release manifest")
    if lists.sums is not None and found.manifest is not None:
        check.check_sums(lists.sums, found.entries)
    if lists.sums_file is not None and lists.sums is not None:
        if lists.sums_file.side is None:
            found.meta.append(check.meta_entry(lists.sums_file.label, "checksums"))
        else:
            name, where = lists.sums_file.side
            found.side.append((_side_entry(name, "checksums", lists.sums_file.label), where))


def _check_files(
    src: _Source,
    v: ReleaseVersion,
    found: _Found,
    check: Checks,
    bundle_verifier: BundleVerifier,
    workers: int | None,
    listed: set[str],
) -> None:
    """Read every file once (hash, or download and hash), then run every check."""
    all_entries = found.meta + found.entries
    wanted = sorted({n for e in all_entries for n in e.names()})
    for n in wanted:
        if not SAFE_NAME.fullmatch(n):
            raise BadInput(f"refusing unsafe file name {n!r}")
    sbom_jobs = [(e.sbom.name, e.name) for e in all_entries if e.sbom is not None]
    if src.present is not None:  # large SBOMs validate in other processes while we hash
        check.sboms = SbomChecker(
            [(src.directory / s, n) for s, n in sbom_jobs if s in src.present]
        )
    sizes = {
        ref.name: ref.size
        for e in all_entries
        for ref in (e, e.sigstore, e.gpg, e.sbom)
        if ref is not None and ref.size is not None
    }
    files = src.gather(
        wanted, v, workers=workers, meanwhile=lambda: _prepare(bundle_verifier), sizes=sizes
    )
    if check.sboms is None:
        check.sboms = SbomChecker(
            [(src.directory / s, n) for s, n in sbom_jobs if s in files.present]
        )
    lists = [
        MANIFEST_NAME,
        SUMS_NAME,
        *(published_list_name(n, str(v)) for n in (MANIFEST_NAME, SUMS_NAME)),
    ]
    ignore = set(lists) | {base + suffix for base in lists for suffix in (SIGSTORE, GPG)}
    check.run(all_entries, files, ignore | listed, found.side)
