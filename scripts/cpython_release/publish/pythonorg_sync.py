"""Make python.org's Release and ReleaseFile records match the manifest, safely.

Today's ``add_to_pydotorg.py`` deletes every file of the release and posts them again; a
failure part-way leaves the release with no files. Here the desired records
(:func:`~cpython_release.publish.pythonorg_files.desired_release_files`) are diffed against
what python.org holds, and the changes are ordered so that **a record that was correct
before the run is never touched**, whatever fails when:

1. records that are identical are left alone (``skip``);
2. missing records that collide with nothing are created first (only additions);
3. each changed record is replaced one at a time: the old records it collides with (same
   slug, same url, or the OS's download button) are deleted right before the new one is
   created, since python.org has no PUT/PATCH (405);
4. records the manifest does not have are deleted only with ``prune``; otherwise kept
   (and reported); a record that blocks a desired one is replaced in step 3 regardless;
5. the Release is completed and published last, in one API v2 ``PATCH`` (with a token;
   else :class:`~cpython_release.publish.pythonorg_api.PublishNeedsAdmin` names the admin
   page): the fields it lacks, ``is_latest`` as
   :mod:`~cpython_release.publish.pythonorg_release` decides it, ``is_published``.

The Release is created with every field (:class:`~.pythonorg_release.DesiredRelease`) but
unpublished and not latest. Its page text can only be written in the admin: that is always
left as a last step (``result.last_steps``), with the admin URL.

A 500 (or no answer) to a create is reconciled by re-reading: if the record is there and
right, the create happened; if a stale record of this release now collides, it is replaced;
if a record of *another* release holds the slug, the run stops and names it. If the
re-reading fails too, the error names the create that failed (not the re-read). A re-run
converges: after a crash, it creates what is missing and skips the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cpython_release.errors import CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.phase import ReleaseCycle
from cpython_release.publish.actions import Action, PublishResult, Verb
from cpython_release.publish.journal import LastStep
from cpython_release.publish.pythonorg_api import (
    APIError,
    PublishNeedsAdmin,
    PythonOrgAPI,
    RemoteFile,
    RemoteRelease,
    ServerError,
    pk_of,
)
from cpython_release.publish.pythonorg_files import (
    DesiredFile,
    desired_release_files,
    release_name,
)
from cpython_release.publish.pythonorg_release import DesiredRelease, desired_release
from cpython_release.version import ReleaseVersion

TARGET = "api"
RECONCILE_ATTEMPTS = 3


class ReleaseNotPublished(PublishNeedsAdmin):
    """Every file is in place but the Release could not be published by API.

    ``result`` holds what the run did (the publish command prints it); ``admin_url`` is the
    page where a release manager ticks "Is Published" (and sets what else is listed).
    """

    def __init__(self, message: str, admin_url: str, result: PublishResult) -> None:
        super().__init__(message, admin_url)
        self.result = result


@dataclass
class SyncResult(PublishResult):
    """What the API sync did, and what is left to a person (``last_steps``)."""

    last_steps: list[LastStep] = field(default_factory=list)
    release: DesiredRelease | None = None


def release_fields(version: ReleaseVersion, manifest: Manifest) -> dict[str, Any]:
    """The body of ``POST downloads/release/`` (no python.org records consulted: a rehearsal)."""
    return desired_release(version, manifest, []).create_fields()


def published_finals(api: PythonOrgAPI, version: ReleaseVersion) -> list[RemoteRelease]:
    """python.org's published final releases of ``version``'s major version."""
    params = {"version": str(version.major), "pre_release": "false", "is_published": "true"}
    return api.list_releases(params)


def _collides(record: RemoteFile, want: dict[str, Any], os_slug_uri: str) -> bool:
    if record.slug == want["slug"] or record.url == want["url"]:
        return True
    return bool(
        want["download_button"]
        and record.get("download_button")
        and str(record.get("os")) == os_slug_uri
    )


@dataclass
class _Plan:
    skip: list[tuple[DesiredFile, RemoteFile]] = field(default_factory=list)
    create: list[DesiredFile] = field(default_factory=list)
    replace: list[tuple[DesiredFile, list[RemoteFile]]] = field(default_factory=list)
    extra: list[RemoteFile] = field(default_factory=list)


def _plan(
    desired: list[DesiredFile],
    existing: list[RemoteFile],
    payload: Callable[[DesiredFile], dict[str, Any]],
) -> _Plan:
    plan = _Plan()
    used: set[str] = set()
    for d in desired:
        want = payload(d)
        same = next((e for e in existing if not e.differences(want)), None)
        if same is not None:
            plan.skip.append((d, same))
            used.add(same.uri)
    for d in desired:
        if any(s[0] is d for s in plan.skip):
            continue
        want = payload(d)
        blockers = [e for e in existing if e.uri not in used and _collides(e, want, want["os"])]
        if blockers:
            plan.replace.append((d, blockers))
            used.update(b.uri for b in blockers)
        else:
            plan.create.append(d)
    plan.extra = [e for e in existing if e.uri not in used]
    return plan


def _describe(record: RemoteFile) -> str:
    return f"{record.slug or '(no slug)'} {record.uri}"


class _Sync:
    def __init__(
        self,
        api: PythonOrgAPI,
        version: ReleaseVersion,
        result: SyncResult,
        want: DesiredRelease,
    ) -> None:
        self.api = api
        self.version = version
        self.result = result
        self.want = want

    def add(self, verb: Verb, subject: str, detail: str = "") -> None:
        self.result.add(Action(verb, TARGET, subject, detail))

    def release(self, dry_run: bool) -> RemoteRelease | None:
        name = release_name(self.version)
        found = self.api.find_release(name)
        if found is not None:
            detail = f"exists: {found.uri}"
            fixes = self.want.fixes(found)
            if fixes:
                detail += "; to set when it is published: " + ", ".join(
                    f"{k}={v!r}" for k, v in fixes.items()
                )
            self.add(Verb.SKIP, f"release {name}", detail)
            return found
        fields = self.want.create_fields()
        self.add(Verb.CREATE, f"release {name}", f"{self.want.describe()}; unpublished")
        if dry_run:
            return None
        for attempt in range(1, RECONCILE_ATTEMPTS + 1):
            try:
                uri = self.api.create_release(fields)
            except ServerError:
                # A duplicate slug, or a lost answer: see what is there now.
                found = self.api.find_release(name)
                if found is not None:
                    return found
                other = self.api.find_release_by_slug(fields["slug"])
                if other is not None:
                    raise CheckFailed(
                        f"python.org: cannot create the release {name!r}: its slug "
                        f"{fields['slug']} is taken by the release {other.name!r} ({other.uri})"
                    ) from None
                if attempt == RECONCILE_ATTEMPTS:
                    raise
                self.api.pause(attempt)
                continue
            return self.api.get_release(uri)
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, release: RemoteRelease, d: DesiredFile, want: dict[str, Any]) -> None:
        """Create one record; on 500 or no answer, re-read and reconcile."""
        for attempt in range(1, RECONCILE_ATTEMPTS + 1):
            try:
                self.api.create_file(want)
                return
            except ServerError as exc:
                try:
                    if self._reconcile(release, d, want, exc):
                        return
                except APIError as again:
                    # Name the write that failed, not the re-read that could not tell.
                    raise ServerError(
                        f"python.org: POST of the record for {d.filename} failed ({exc}); "
                        f"then checking whether it was created failed too ({again})",
                        [*exc.problems, *again.problems],
                        status=exc.status,
                    ) from exc
                if attempt == RECONCILE_ATTEMPTS:
                    raise ServerError(
                        f"python.org: creating the record for {d.filename} failed "
                        f"{attempt} times (if no record of this release blocks it, a file of "
                        f"another release may hold its url {d.url})",
                        [str(exc), *exc.problems],
                        status=exc.status,
                    ) from exc
                self.api.pause(attempt)

    def _reconcile(
        self, release: RemoteRelease, d: DesiredFile, want: dict[str, Any], exc: ServerError
    ) -> bool:
        """After a failed create: True if it happened after all; else clear what blocks it."""
        current = self.api.list_files(release)
        if any(not e.differences(want) for e in current):
            return True  # the create happened; only the answer was lost
        blockers = [e for e in current if _collides(e, want, want["os"])]
        for b in blockers:
            self.api.delete_file(b.uri)
            self.add(Verb.DELETE, f"file {_describe(b)}", f"blocked {d.filename}")
        if not blockers:
            other = self.api.find_file_by_slug(want["slug"])
            if other is not None and pk_of(str(other.get("release"))) != release.pk:
                raise CheckFailed(
                    f"python.org: cannot create {d.filename}: the slug {d.slug} "
                    f"belongs to a file of another release ({other.get('release')}, "
                    f"{other.uri}); remove it in the admin"
                ) from exc
        return False


def sync_release(
    api: PythonOrgAPI,
    manifest: Manifest,
    version: ReleaseVersion,
    *,
    prune: bool = False,
    dry_run: bool = False,
    release_date: str | None = None,
    notes_url: str | None = None,
    cycle: ReleaseCycle | None = None,
) -> SyncResult:
    """Find or create the Release, reconcile its files, publish it; see the module docstring.

    Raises :class:`ReleaseNotPublished` (exit 1, with ``.result`` and ``.admin_url``) when
    every file is in place but the Release can only be completed and published in the admin.
    """
    result = SyncResult(TARGET, dry_run=dry_run)
    desired = desired_release_files(manifest, version)
    want = desired_release(
        version,
        manifest,
        published_finals(api, version) if version.is_final else [],
        cycle=cycle,
        release_date=release_date,
        notes_url=notes_url,
    )
    result.release = want
    sync = _Sync(api, version, result, want)
    release = sync.release(dry_run)
    name = release_name(version)
    if release is None:  # dry run, no release yet: everything would be created
        for d in desired:
            sync.add(Verb.CREATE, f"file {d.slug}", d.url)
        how = "API v2 PATCH" if api.can_publish else "in the admin"
        sync.add(
            Verb.UPDATE,
            f"release {name}",
            f"is_published=True, is_latest={want.latest.value} ({how})",
        )
        result.last_steps.append(_page_step(api, None, version))
        return result

    os_uris = {slug: api.os_uri(slug) for slug in sorted({d.os for d in desired})}

    def payload(d: DesiredFile) -> dict[str, Any]:
        return d.payload(release.uri, os_uris[d.os])

    plan = _plan(desired, api.list_files(release), payload)
    for d, _ in plan.skip:
        sync.add(Verb.SKIP, f"file {d.slug}", d.url)

    # 1. Additions only.
    for d in plan.create:
        sync.add(Verb.CREATE, f"file {d.slug}", d.url)
        if not dry_run:
            sync.create(release, d, payload(d))
    # 2. Replacements, one at a time: delete what blocks it right before creating it.
    for d, blockers in plan.replace:
        want_file = payload(d)
        why = "; ".join(f"{_describe(b)}: " + ", ".join(b.differences(want_file)) for b in blockers)
        sync.add(Verb.REPLACE, f"file {d.slug}", f"{d.url} (was {why})")
        if not dry_run:
            for b in blockers:
                api.delete_file(b.uri)
            sync.create(release, d, want_file)
    # 3. Records the manifest does not have.
    for e in plan.extra:
        if prune:
            sync.add(Verb.DELETE, f"file {_describe(e)}", e.url)
            if not dry_run:
                api.delete_file(e.uri)
        else:
            sync.add(Verb.SKIP, f"file {_describe(e)}", "not in the manifest; kept (--prune)")

    # 4. Complete and publish last, when every file is in: one PATCH.
    fields = want.publish_fields(release)
    result.last_steps.append(_page_step(api, release, version))
    shown = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    latest = f"is_latest={want.latest.value}: {want.latest.reason}"
    if not fields:
        sync.add(Verb.SKIP, f"release {name}", f"already published and complete ({latest})")
    elif dry_run:
        how = "API v2 PATCH" if api.can_publish else f"in the admin: {api.admin_url(release)}"
        sync.add(Verb.UPDATE, f"release {name}", f"{shown} ({how}; {latest})")
    elif release.is_published and not api.can_publish:
        # Public already: what it lacks is a step for a person, not a failed publish.
        step = f"set {shown} on the Release (API v1 cannot; no v2 token)"
        result.last_steps.insert(0, LastStep(step, api.admin_url(release)))
        sync.add(Verb.SKIP, f"release {name}", f"already published; left to the admin: {shown}")
    else:
        try:
            api.update_release(release, fields)
        except PublishNeedsAdmin as exc:
            step = f"set {shown} on the Release (API v1 cannot; no v2 token)"
            result.last_steps.insert(0, LastStep(step, exc.admin_url))
            raise ReleaseNotPublished(str(exc), exc.admin_url, result) from None
        sync.add(Verb.UPDATE, f"release {name}", f"{shown} ({latest})")
    return result


def _page_step(
    api: PythonOrgAPI, release: RemoteRelease | None, version: ReleaseVersion
) -> LastStep:
    url = api.admin_url(release) if release else f"{api.base_url}admin/downloads/release/"
    return LastStep(
        f"write the release page text of {release_name(version)} (its Content field; no API "
        "can set it)",
        url,
    )
