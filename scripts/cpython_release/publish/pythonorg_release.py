"""The Release record python.org should hold: every field a download page needs.

pythondotorg's ``Release`` (``apps/downloads/models.py``) has, besides name and slug:

- ``release_date`` (defaults to the moment of saving): here the release's own date, an
  explicit input, else the tagged commit's date the manifest records (``release.created``;
  release-tools tags the commit it makes, minutes apart);
- ``release_notes_url`` (the downloads page's "Release notes" link, the release page's "Full
  Changelog"): neither release-tools nor pythondotorg computes it; release managers paste the
  changelog section of the release's docs. That section's anchor is the docutils id of the
  heading blurb writes (``blurb`` ``printable_version``: "3.14.0 release candidate 2",
  "3.13.5 final"), in the docs this pipeline publishes under ``docs.python.org/release/V/``;
- ``pre_release`` for alphas, betas and candidates;
- ``is_latest``: "the latest release for the major version"; saving one with it set clears it
  on every other Release of that major version (``promote_latest_release``), and the site's
  download buttons use the *published* one (``latest_python3``). So it is set only together
  with ``is_published``, and only for the newest final of the newest stable minor: no newer
  minor in bugfix or security status in the release-cycle data, and no newer published
  final among python.org's records;
- ``release_page`` / ``content``: the release page (``/downloads/release/<slug>/``) is served
  from the Release itself; its text is ``content``, which neither API exposes (v1
  ``ReleaseResource.Meta.fields``, v2 ``ReleaseSerializer``), so writing it is a step left
  to a person, in the admin. ``release_page`` (a link to a CMS page, for old releases) stays
  empty: a linked page without content would replace the generated one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest
from cpython_release.phase import Phase, ReleaseCycle
from cpython_release.publish.pythonorg_api import RemoteRelease, same_instant
from cpython_release.publish.pythonorg_files import release_name, release_slug
from cpython_release.version import ReleaseVersion

DOCS = "https://docs.python.org/"
_STABLE = (Phase.BUGFIX, Phase.SECURITY)
_BLURB_STAGES = {"a": "alpha", "b": "beta", "rc": "release candidate"}


def changelog_heading(version: ReleaseVersion) -> str:
    """The version as blurb prints it in ``Misc/NEWS``: ``3.14.0 release candidate 2``."""
    if version.pre_kind is None:
        return f"{version.xyz} final"
    return f"{version.xyz} {_BLURB_STAGES[version.pre_kind]} {version.pre_number}"


def release_notes_url(version: ReleaseVersion) -> str:
    """The changelog section of the release's own docs."""
    anchor = re.sub(r"[^a-z0-9]+", "-", f"python {changelog_heading(version)}".lower())
    return f"{DOCS}release/{version}/whatsnew/changelog.html#{anchor.strip('-')}"


def parse_release_date(text: str) -> str:
    """An input date (``2026-10-07`` or an ISO 8601 time) as python.org takes it (UTC, Z)."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"release date {text!r}: expected YYYY-MM-DD or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version_of(name: str) -> ReleaseVersion | None:
    if not name.startswith("Python "):
        return None
    try:
        return ReleaseVersion.parse(name.removeprefix("Python "))
    except BadInput:
        return None


@dataclass(frozen=True)
class Latest:
    value: bool
    reason: str
    demotes: str = ""  # the name of the Release that loses is_latest, if any


def decide_latest(
    version: ReleaseVersion, cycle: ReleaseCycle, published_finals: Iterable[RemoteRelease]
) -> Latest:
    """Whether ``version`` becomes python.org's latest release (see the module docstring)."""
    if not version.is_final:
        return Latest(False, "a pre-release is never the latest")
    minor = (version.major, version.minor)
    if version.minor_version not in cycle.branches:
        return Latest(
            False, f"{version.minor_version} is not in the release-cycle data ({cycle.source})"
        )
    for branch in cycle.branches.values():
        try:
            key = tuple(int(p) for p in branch.name.split("."))
        except ValueError:
            continue
        if key[:1] == minor[:1] and key > minor and branch.phase in _STABLE:
            return Latest(
                False, f"{branch.name} is a newer stable minor ({branch.status}, {cycle.source})"
            )
    finals = list(published_finals)
    current = next((r.name for r in finals if r.is_latest and r.name != release_name(version)), "")
    newer = [
        v
        for r in finals
        if (v := _version_of(r.name)) is not None
        and v.major == version.major
        and v.is_final
        and v > version
    ]
    if newer:
        return Latest(False, f"python.org already has Python {max(newer)}")
    return Latest(
        True, f"the newest final of {version.minor_version}, the newest stable minor", current
    )


@dataclass(frozen=True)
class DesiredRelease:
    """The Release as python.org should hold it once published."""

    name: str
    slug: str
    pre_release: bool
    release_date: str  # ISO 8601, UTC, "Z"
    release_date_source: str
    release_notes_url: str
    latest: Latest
    explicit_date: bool = False  # an input: overrides what a person set in the admin

    def create_fields(self) -> dict[str, Any]:
        """``POST downloads/release/``: unpublished, not latest, until every file is in."""
        return {
            "name": self.name,
            "slug": self.slug,
            "version": 3,  # Release.PYTHON3
            "is_published": False,
            "is_latest": False,  # set with is_published: it demotes the current latest at once
            "pre_release": self.pre_release,
            "release_date": self.release_date,
            "release_notes_url": self.release_notes_url,
            "show_on_download_page": True,
        }

    def fixes(self, have: RemoteRelease) -> dict[str, Any]:
        """The fields an existing Release lacks (a person may have made it in the admin)."""
        out: dict[str, Any] = {}
        if have.pre_release != self.pre_release:
            out["pre_release"] = self.pre_release
        if not have.release_notes_url:
            out["release_notes_url"] = self.release_notes_url
        if self.explicit_date and not same_instant(have.release_date, self.release_date):
            out["release_date"] = self.release_date
        return out

    def publish_fields(self, have: RemoteRelease) -> dict[str, Any]:
        """The last write: the fixes, ``is_latest`` and ``is_published`` in one PATCH."""
        out = self.fixes(have)
        if have.is_latest != self.latest.value:
            out["is_latest"] = self.latest.value
        if not have.is_published:
            out["is_published"] = True
        return out

    def describe(self) -> str:
        latest = f"is_latest={self.latest.value} ({self.latest.reason}"
        latest += f"; demotes {self.latest.demotes})" if self.latest.demotes else ")"
        return (
            f"slug {self.slug}, pre_release={self.pre_release}, release_date "
            f"{self.release_date} ({self.release_date_source}), release_notes_url "
            f"{self.release_notes_url}, {latest}"
        )


def desired_release(
    version: ReleaseVersion,
    manifest: Manifest,
    published_finals: Iterable[RemoteRelease],
    *,
    cycle: ReleaseCycle | None = None,
    release_date: str | None = None,
    notes_url: str | None = None,
) -> DesiredRelease:
    if release_date:
        date, source, explicit = parse_release_date(release_date), "given", True
    else:
        date = parse_release_date(manifest.release.created)
        source, explicit = "the tagged commit's date, from the manifest", False
    return DesiredRelease(
        name=release_name(version),
        slug=release_slug(version),
        pre_release=version.is_prerelease,
        release_date=date,
        release_date_source=source,
        release_notes_url=notes_url or release_notes_url(version),
        latest=decide_latest(version, cycle or ReleaseCycle.load(), published_finals),
        explicit_date=explicit,
    )
