"""Publish a release as a GitHub release: forks, rehearsals and nightlies.

The steps, each safe to repeat (a second run of a finished release changes nothing):

1. Offline checks, before any request: every file exists and matches the manifest; at most
   :data:`MAX_ASSETS` files (GitHub's limit per release); every asset name is one GitHub keeps
   as given.
2. Find the release for the tag (by listing: GitHub does not find drafts by tag), or create
   it as a **draft** aimed at the manifest's commit.
3. Compare every asset with the local file by size and SHA-256. GitHub computes an asset's
   SHA-256 on upload and returns it as ``digest`` (``"sha256:<hex>"``); PyGithub 2.10 exposes
   it. An asset without a digest (uploaded before GitHub computed them, or a server that does
   not) is downloaded and hashed instead. Identical assets are skipped; missing ones
   uploaded; a leftover from a failed upload (state other than ``uploaded``) deleted and
   uploaded again; a *different* asset, or an asset the manifest does not list, is refused
   (every one named, nothing changed) unless ``replace`` is given, then deleted and uploaded.
4. Upload, checking each response's size and digest. A failed upload (5xx, dropped
   connection) is recovered in the run: the asset is looked up, a partial one deleted, and the
   upload tried again; if it still fails the run stops and a re-run resumes.
5. List the assets again (exactly the expected set, all complete), download ``SHA256SUMS``
   and compare it byte for byte with the local file.
6. Publish: ``draft=false``, ``prerelease`` for alpha, beta, rc and nightly versions.

Asset names: GitHub assets are flat. A manifest path in a subdirectory becomes one name with
``--`` for each ``/`` (``amd64rc2/core.msi`` -> ``amd64rc2--core.msi``). Names containing
``--`` are refused, so :func:`asset_path` inverts :func:`asset_name` exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import BadCredentialsException, UnknownObjectException
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset
from github.Repository import Repository

from cpython_release import nightly_names
from cpython_release.errors import BadInput, CheckFailed, Unreachable
from cpython_release.hashing import FileDigest, hash_many
from cpython_release.http import USER_AGENT, is_unreachable, network_reason
from cpython_release.inventory import GPG, SIGSTORE
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.publish.actions import Action, PublishResult, Verb
from cpython_release.secure_url import check_credential_url
from cpython_release.version import ReleaseVersion

TARGET = "github"
MAX_ASSETS = 1000  # GitHub's limit of assets per release
SUMS_NAME = "SHA256SUMS"
SEPARATOR = "--"
CONTENT_TYPE = "application/octet-stream"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?<!\.)")

WRITE_INTERVAL_ENV = "CPYTHON_RELEASE_GITHUB_WRITE_INTERVAL"

T = TypeVar("T")


@dataclass(frozen=True)
class Pacing:
    """Timing of requests. The defaults suit api.github.com; tests pass zeros."""

    write_interval: float = 1.0  # GitHub asks for at least a second between writes
    read_interval: float = 0.25
    retries: int = 4  # urllib3 retries of GET, PATCH and DELETE on 5xx and lost connections
    retry_backoff: float = 2.0
    upload_attempts: int = 3  # uploads (POST) are retried here, after looking at the asset
    timeout: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Pacing:
        """The defaults, with ``$CPYTHON_RELEASE_GITHUB_WRITE_INTERVAL`` (seconds) as the pause
        between writes when set: a GitHub Enterprise server, or a test's fake GitHub, need not
        be paced as api.github.com is. Reads are never paced more than writes."""
        raw = env.get(WRITE_INTERVAL_ENV, "").strip()
        if not raw:
            return cls()
        try:
            interval = float(raw)
        except ValueError:
            interval = -1.0
        if not 0 <= interval <= 60:  # also refuses nan and inf
            raise BadInput(f"${WRITE_INTERVAL_ENV} must be seconds from 0 to 60, not {raw!r}")
        return cls(write_interval=interval, read_interval=min(cls.read_interval, interval))


FAST = Pacing(0.0, 0.0, 2, 0.0, 3, 30)


# --- names ----------------------------------------------------------------------------------
def asset_name(path: str) -> str:
    """The GitHub asset name for a manifest path (``a/b.msi`` -> ``a--b.msi``)."""
    parts = path.split("/")
    bad = [p for p in parts if SEPARATOR in p or _SAFE_NAME.fullmatch(p) is None]
    if bad:
        raise BadInput(
            f"{path!r} cannot be a GitHub asset name: use only letters, digits, '.', '_' and "
            f"'-' (no '{SEPARATOR}', no leading or trailing '.') in each part"
        )
    return SEPARATOR.join(parts)


def asset_path(name: str) -> str:
    """The manifest path of a GitHub asset name: the inverse of :func:`asset_name`."""
    return name.replace(SEPARATOR, "/")


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative POSIX path inside the artifact directory
    asset: str  # its GitHub asset name
    size: int
    sha256: str


def _companions(directory: Path, name: str) -> list[str]:
    return [name + s for s in (SIGSTORE, GPG) if (directory / (name + s)).is_file()]


def release_files(manifest: Manifest, directory: Path) -> list[LocalFile]:
    """Every file the GitHub release gets, checked against the manifest; no network."""
    if not directory.is_dir():
        raise BadInput(f"artifact directory {directory} does not exist")
    listed = {f.name: f for f in manifest.all_files()}
    paths = list(listed)
    for extra in (MANIFEST_NAME, SUMS_NAME):
        if extra in listed:
            raise BadInput(f"the manifest lists {extra} as an artifact; it cannot")
        paths += [extra, *_companions(directory, extra)]
    if len(paths) > MAX_ASSETS:
        raise CheckFailed(
            f"{len(paths)} files exceed GitHub's limit of {MAX_ASSETS} assets per release; "
            "nothing was uploaded",
            [
                f"{len(listed)} artifacts and companions from the manifest, "
                f"{len(paths) - len(listed)} manifest and checksum files"
            ],
        )
    names: dict[str, str] = {}
    problems: list[str] = []
    for p in paths:
        name = asset_name(p)
        if name.lower() in names:
            problems.append(f"{p} and {names[name.lower()]} both become asset {name}")
        names[name.lower()] = p
    missing = [p for p in paths if not (directory / p).is_file()]
    problems += [f"missing: {p}" for p in missing]
    if problems:
        raise CheckFailed(f"cannot publish {directory} to GitHub", problems)
    digests = hash_many(directory / p for p in paths)
    out: list[LocalFile] = []
    for p in paths:
        got = digests[directory / p]
        if isinstance(got, OSError):
            problems.append(f"unreadable: {p}: {got.strerror or got}")
            continue
        want = listed.get(p)
        if want is not None and got != FileDigest(want.size, want.sha256):
            problems.append(
                f"{p}: file has {got.size} bytes sha256 {got.sha256}, manifest says "
                f"{want.size} bytes sha256 {want.sha256}"
            )
        out.append(LocalFile(p, asset_name(p), got.size, got.sha256))
    try:
        on_disk = Manifest.load(directory / MANIFEST_NAME)
    except BadInput as exc:
        problems.append(str(exc))
    else:
        if on_disk.dumps() != manifest.dumps():
            problems.append(f"{MANIFEST_NAME} in {directory} is not the manifest being published")
    if problems:
        raise CheckFailed("local files do not match the manifest; nothing was uploaded", problems)
    return out


# --- what the release is --------------------------------------------------------------------
@dataclass(frozen=True)
class ReleaseIdentity:
    tag: str
    name: str
    body: str
    prerelease: bool
    make_latest: str  # "false" for pre-releases and nightlies, else "legacy"
    commit: str
    nightly: nightly_names.Nightly | None = None

    def body_ok(self, body: str | None) -> bool:
        if self.nightly is None:
            return bool((body or "").strip())
        return nightly_names.identify(self.tag, body) == self.nightly


def release_identity(manifest: Manifest, *, nightly: bool, files: int = 0) -> ReleaseIdentity:
    info = manifest.release
    about = (
        f"Built from {info.repository}@{info.commit} by cpython-release {info.toolkit_version}.\n"
        f"{files} files; `{SUMS_NAME}` lists their SHA-256 digests and `{MANIFEST_NAME}` "
        "describes each one."
    )
    if nightly:
        n = nightly_names.parse_tag(info.tag)
        if n is None:
            raise BadInput(
                f"tag {info.tag!r} is not a nightly tag (nightly-<branch>-<YYYYMMDD>-<sha12>)"
            )
        if not info.commit.startswith(n.short_sha):
            raise BadInput(
                f"nightly tag {info.tag} does not name the manifest's commit {info.commit}"
            )
        body = nightly_names.release_body(n, info.commit, f"Nightly build of {n.branch}.\n{about}")
        return ReleaseIdentity(info.tag, n.name, body, True, "false", info.commit, n)
    if nightly_names.looks_like_nightly_tag(info.tag):
        raise BadInput(f"tag {info.tag!r} is in the nightly namespace; publish it as a nightly")
    version = ReleaseVersion.parse(info.version)
    pre = version.is_prerelease
    return ReleaseIdentity(
        info.tag,
        f"Python {version}",
        f"Python {version}.\n\n{about}\n",
        pre,
        "false" if pre else "legacy",
        info.commit,
    )


# --- talking to GitHub ----------------------------------------------------------------------
def connect(base_url: str, token: str, pacing: Pacing) -> Github:
    if not token:
        raise BadInput("a GitHub token is needed (pass one; in Actions use GITHUB_TOKEN)")
    check_credential_url(base_url, "GitHub API")  # the token never goes out in clear text
    retry = GithubRetry(
        total=pacing.retries,
        backoff_factor=pacing.retry_backoff,
        # Uploads (POST) are not blindly resent: _upload looks at the asset first.
        allowed_methods=frozenset({"GET", "HEAD", "PATCH", "DELETE"}),
    )
    return Github(
        base_url=base_url.rstrip("/"),
        auth=Auth.Token(token),
        per_page=100,
        retry=retry,
        timeout=pacing.timeout,
        user_agent=USER_AGENT,
        seconds_between_requests=pacing.read_interval or None,
        seconds_between_writes=pacing.write_interval or None,
    )


def describe(exc: Exception) -> str:
    if isinstance(exc, GithubException):
        msg = exc.message or (exc.data.get("message") if isinstance(exc.data, dict) else None)
        return f"HTTP {exc.status}: {msg or exc.data}"
    return f"{type(exc).__name__}: {exc}"


def api_call(what: str, fn: Callable[[], T]) -> T:
    """Run one API call; map its failure onto the CLI's exit statuses."""
    try:
        return fn()
    except BadCredentialsException as exc:
        raise BadInput(
            f"GitHub rejected the token while trying to {what} ({describe(exc)})"
        ) from exc
    except (GithubException, requests.RequestException) as exc:
        if is_unreachable(exc):
            raise Unreachable(
                f"GitHub while trying to {what}",
                f"{network_reason(exc)}; nothing published yet is lost: run again to resume",
            ) from exc
        raise CheckFailed(
            f"GitHub request failed while trying to {what}: {describe(exc)}; nothing published "
            "yet is lost: run again to resume"
        ) from exc


def get_repo(gh: Github, repo: str) -> Repository:
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+", repo) is None:
        raise BadInput(f"--repo must be OWNER/NAME, got {repo!r}")
    try:
        return api_call(f"read repository {repo}", lambda: gh.get_repo(repo))
    except CheckFailed as exc:
        if isinstance(exc.__cause__, UnknownObjectException):
            raise BadInput(f"repository {repo} not found, or the token cannot see it") from exc
        raise


def _find_release(repo: Repository, tag: str) -> GitRelease | None:
    found = [r for r in repo.get_releases() if r.tag_name == tag]
    if len(found) > 1:
        raise CheckFailed(
            f"{len(found)} releases use tag {tag}; delete the extra drafts and run again",
            [f"release id {r.id} ({'draft' if r.draft else 'published'})" for r in found],
        )
    return found[0] if found else None


def _remote_sha256(asset: GitReleaseAsset, chunk: int = 1 << 20) -> str:
    """The asset's SHA-256: GitHub's digest when it has one, else download and hash."""
    digest = asset.digest
    if digest:
        algo, _, hexdigest = digest.partition(":")
        if algo == "sha256" and re.fullmatch(r"[0-9a-f]{64}", hexdigest):
            return hexdigest
    h = hashlib.sha256()
    _status, _headers, stream = asset.download_asset(chunk_size=chunk)
    for part in stream:
        h.update(part)
    return h.hexdigest()


def _download(asset: GitReleaseAsset) -> bytes:
    _status, _headers, stream = asset.download_asset(chunk_size=1 << 16)
    return b"".join(stream)


def _complete(asset: GitReleaseAsset) -> bool:
    return asset.state == "uploaded"


def _matches(asset: GitReleaseAsset, f: LocalFile) -> bool:
    return _complete(asset) and asset.size == f.size and _remote_sha256(asset) == f.sha256


# --- the plan ---------------------------------------------------------------------------------
@dataclass
class _Plan:
    actions: list[Action] = field(default_factory=list)
    delete: list[GitReleaseAsset] = field(default_factory=list)
    upload: list[LocalFile] = field(default_factory=list)

    def add(self, verb: Verb, subject: str, detail: str = "") -> None:
        self.actions.append(Action(verb, TARGET, subject, detail))

    @property
    def refused(self) -> list[Action]:
        return [a for a in self.actions if a.verb is Verb.REFUSE]


def _where(f: LocalFile) -> str:
    return f"{f.size} bytes" if f.path == f.asset else f"from {f.path}, {f.size} bytes"


def _plan(files: list[LocalFile], remote: dict[str, GitReleaseAsset], replace: bool) -> _Plan:
    plan = _Plan()
    wanted = {f.asset for f in files}
    for name in sorted(set(remote) - wanted):
        asset = remote[name]
        if not _complete(asset):
            plan.add(Verb.DELETE, name, f"leftover partial upload (state {asset.state})")
            plan.delete.append(asset)
        elif replace:
            plan.add(Verb.DELETE, name, "not in the manifest")
            plan.delete.append(asset)
        else:
            plan.add(
                Verb.REFUSE, name, "on the release but not in the manifest; --replace deletes it"
            )
    for f in files:
        have = remote.get(f.asset)
        if have is None:
            plan.add(Verb.UPLOAD, f.asset, _where(f))
            plan.upload.append(f)
        elif not _complete(have):
            plan.add(Verb.DELETE, f.asset, f"leftover partial upload (state {have.state})")
            plan.add(Verb.UPLOAD, f.asset, _where(f))
            plan.delete.append(have)
            plan.upload.append(f)
        elif _matches(have, f):
            plan.add(Verb.SKIP, f.asset, "identical (size and sha256)")
        elif replace:
            plan.add(Verb.REPLACE, f.asset, f"differs on GitHub; {_where(f)}")
            plan.delete.append(have)
            plan.upload.append(f)
        else:
            plan.add(
                Verb.REFUSE,
                f.asset,
                f"differs on GitHub ({have.size} bytes there, {f.size} here); "
                "--replace overwrites it",
            )
    return plan


# --- doing it ---------------------------------------------------------------------------------
def _delete(asset: GitReleaseAsset) -> None:
    # Already gone is fine: a retried DELETE whose first response was lost.
    with contextlib.suppress(UnknownObjectException):
        asset.delete_asset()


def _assets(release: GitRelease) -> dict[str, GitReleaseAsset]:
    return {a.name: a for a in release.get_assets()}


def _check_uploaded(asset: GitReleaseAsset, f: LocalFile) -> str | None:
    if asset.name != f.asset:
        return f"GitHub stored {f.asset} as {asset.name!r}"
    if not _complete(asset) or asset.size != f.size:
        return f"{f.asset}: GitHub has {asset.size} bytes in state {asset.state}, expected {f.size}"
    digest = asset.digest
    if digest and digest != f"sha256:{f.sha256}":
        return f"{f.asset}: GitHub computed {digest}, expected sha256:{f.sha256}"
    return None


def _upload(release: GitRelease, directory: Path, f: LocalFile, pacing: Pacing) -> None:
    last: Exception | None = None
    for attempt in range(1, pacing.upload_attempts + 1):
        try:
            with (directory / f.path).open("rb") as fh:
                asset = release.upload_asset_from_memory(
                    fh, f.size, f.asset, content_type=CONTENT_TYPE
                )
        except BadCredentialsException:
            raise
        except (GithubException, requests.RequestException) as exc:
            status = getattr(exc, "status", None)
            if isinstance(status, int) and status < 500 and status != 422:
                raise
            last = exc
            # The upload may have completed, half-happened, or not started: look.
            existing = _assets(release).get(f.asset)
            if existing is not None:
                if _matches(existing, f):
                    return
                _delete(existing)
            time.sleep(pacing.retry_backoff * attempt)
            continue
        problem = _check_uploaded(asset, f)
        if problem is not None:
            _delete(asset)
            raise CheckFailed(
                "an upload did not arrive intact; it was deleted, run again", [problem]
            )
        return
    assert last is not None
    raise CheckFailed(
        f"uploading {f.asset} failed {pacing.upload_attempts} times ({describe(last)}); "
        "run again to resume"
    )


def _verify(release: GitRelease, files: list[LocalFile], directory: Path) -> None:
    remote = _assets(release)
    problems = [f"missing on GitHub: {f.asset}" for f in files if f.asset not in remote]
    wanted = {f.asset for f in files}
    problems += [f"unexpected on GitHub: {n}" for n in sorted(set(remote) - wanted)]
    for f in files:
        a = remote.get(f.asset)
        if a is not None and (not _complete(a) or a.size != f.size):
            problems.append(f"{f.asset}: {a.size} bytes in state {a.state}, expected {f.size}")
    if not problems:
        local = (directory / SUMS_NAME).read_bytes()
        if _download(remote[SUMS_NAME]) != local:
            problems.append(f"{SUMS_NAME} downloaded from GitHub differs from the local file")
    if problems:
        raise CheckFailed(
            "the GitHub release does not hold the expected files; not published", problems
        )


def _publish_needed(release: GitRelease | None, ident: ReleaseIdentity) -> str:
    if release is None or release.draft:
        return "draft -> published"
    if release.prerelease != ident.prerelease:
        return f"prerelease -> {str(ident.prerelease).lower()}"
    if ident.nightly is not None and not ident.body_ok(release.body):
        return "add the nightly marker to the body"
    return ""


@dataclass
class GithubPlan:
    """What :func:`plan_github` read from GitHub and decided; :func:`apply_github` carries it out.

    ``result`` lists every action (the dry run's report); ``plan`` holds the asset changes;
    ``change`` is the release-level update ("" when none); ``retarget`` moves a draft to the
    manifest's commit.
    """

    ident: ReleaseIdentity
    files: list[LocalFile]
    repo: Repository
    release: GitRelease | None
    plan: _Plan
    change: str
    retarget: bool
    result: PublishResult


def plan_github(
    manifest: Manifest,
    directory: Path,
    *,
    repo: str,
    token: str,
    base_url: str = "https://api.github.com",
    replace: bool = False,
    nightly: bool = False,
    dry_run: bool = False,
    pacing: Pacing,
) -> GithubPlan:
    """Read the GitHub release for ``manifest`` and decide what must change; change nothing.

    Raises :class:`BadInput` for unusable input and :class:`CheckFailed` when the release
    cannot be made to match (published from another commit, immutable with different assets).
    A ``refuse`` action in the plan is reported, not raised: :func:`apply_github` raises it.
    """
    files = release_files(manifest, directory)
    ident = release_identity(manifest, nightly=nightly, files=len(files))
    result = PublishResult(TARGET, dry_run=dry_run)
    gh = connect(base_url, token, pacing)
    gh_repo = get_repo(gh, repo)
    release = api_call(f"list the releases of {repo}", lambda: _find_release(gh_repo, ident.tag))
    retarget = False
    if release is not None:
        target = release.target_commitish
        if re.fullmatch(r"[0-9a-f]{40}", target or "") and target != ident.commit:
            if not release.draft:
                raise CheckFailed(
                    f"release {ident.tag} is already published from commit {target}, "
                    f"not {ident.commit}"
                )
            retarget = True
    remote = api_call("list the release assets", partial(_assets, release)) if release else {}
    plan = api_call("compare the release assets", partial(_plan, files, remote, replace))
    if (
        release is not None
        and not release.draft
        and release.immutable
        and (plan.delete or plan.upload)
    ):
        raise CheckFailed(
            f"release {ident.tag} is published and immutable; its assets cannot change",
            [f"{a.verb} {a.subject}" for a in plan.actions if a.verb is not Verb.SKIP],
        )
    if release is None:
        result.add(
            Action(
                Verb.CREATE,
                TARGET,
                f"release {ident.tag}",
                f"draft {ident.name!r} at {ident.commit[:12]}",
            )
        )
    if retarget and not replace:
        plan.add(
            Verb.REFUSE,
            f"release {ident.tag}",
            f"draft targets commit {release.target_commitish if release else ''}, not "
            f"{ident.commit}; --replace retargets it",
        )
    result.actions.extend(plan.actions)
    change = _publish_needed(release, ident)
    if retarget:
        change = f"{change}, retarget to {ident.commit[:12]}".lstrip(", ")
    if change:
        kind = "prerelease" if ident.prerelease else "release"
        result.add(Action(Verb.UPDATE, TARGET, f"release {ident.tag}", f"{change} ({kind})"))
    return GithubPlan(ident, files, gh_repo, release, plan, change, retarget, result)


def apply_github(planned: GithubPlan, directory: Path, *, pacing: Pacing) -> PublishResult:
    """Carry out ``planned``: create the draft, delete and upload assets, check the release
    against the local files, then publish. Raises :class:`CheckFailed` for a refused plan
    before changing anything."""
    ident, plan = planned.ident, planned.plan
    if plan.refused:
        raise CheckFailed(
            f"refusing to change release {ident.tag}: it differs from the manifest "
            "(nothing was changed; --replace overwrites)",
            [f"{a.subject}: {a.detail}" for a in plan.refused],
        )
    release = planned.release
    if release is None:
        release = api_call(
            f"create the draft release {ident.tag}",
            lambda: planned.repo.create_git_release(
                ident.tag,
                name=ident.name,
                message=ident.body,
                draft=True,
                prerelease=ident.prerelease,
                target_commitish=ident.commit,
            ),
        )
    rel: GitRelease = release
    for asset in plan.delete:
        api_call(f"delete asset {asset.name}", partial(_delete, asset))
    for f in plan.upload:
        api_call(f"upload {f.asset}", partial(_upload, rel, directory, f, pacing))
    api_call("verify the release", partial(_verify, rel, planned.files, directory))
    if planned.change:
        body = rel.body if ident.body_ok(rel.body) else ident.body
        extra: dict[str, Any] = {"target_commitish": ident.commit} if planned.retarget else {}
        api_call(
            f"publish release {ident.tag}",
            lambda: rel.update_release(
                name=rel.name or ident.name,
                message=body,
                draft=False,
                prerelease=ident.prerelease,
                make_latest=ident.make_latest,
                **extra,
            ),
        )
    return planned.result


def publish_github(
    manifest: Manifest,
    directory: Path,
    *,
    repo: str,
    token: str,
    base_url: str = "https://api.github.com",
    replace: bool = False,
    dry_run: bool = False,
    nightly: bool = False,
    pacing: Pacing | None = None,
) -> PublishResult:
    """Make the GitHub release for ``manifest`` hold exactly the files of ``directory``:
    :func:`plan_github`, then (unless ``dry_run``) :func:`apply_github`.

    Raises :class:`BadInput` for unusable input (bad token, unknown repository, bad tag) and
    :class:`CheckFailed` when something must not or could not be published. A dry run reads
    from GitHub but changes nothing, and returns the plan (including any ``refuse``).
    """
    pacing = pacing or Pacing.from_env()
    planned = plan_github(
        manifest,
        directory,
        repo=repo,
        token=token,
        base_url=base_url,
        replace=replace,
        nightly=nightly,
        dry_run=dry_run,
        pacing=pacing,
    )
    if dry_run:
        return planned.result
    return apply_github(planned, directory, pacing=pacing)
