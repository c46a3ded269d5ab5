"""How nightly builds are named on GitHub releases, and how to recognise one for sure.

A nightly release carries two independent marks, and retention deletes only releases that
carry both and where both agree:

* the **tag** ``nightly-<branch>-<YYYYMMDD>-<sha12>``, e.g. ``nightly-3.14-20261121-abcdef012345``
  (``<branch>`` is ``main`` or ``X.Y``; the date is the UTC build date; ``<sha12>`` the first 12
  hex digits of the commit). Tags of one branch sort by date as plain strings.
* a **marker line** in the release body, an HTML comment that GitHub does not render::

      <!-- cpython-release:nightly branch=3.14 date=2026-11-21 commit=<40 hex> -->

The release *name* is for people only: ``Python 3.14 nightly 2026-11-21 (abcdef012345)``.

Nothing else in the project may create tags starting with ``nightly-``; the GitHub publisher
refuses such a tag unless it is publishing a nightly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion

TAG_PREFIX = "nightly-"
MARKER_PREFIX = "<!-- cpython-release:nightly "
SHORT_SHA = 12

_BRANCH = r"(?:main|[1-9][0-9]*\.(?:0|[1-9][0-9]*))"
_TAG_RE = re.compile(rf"nightly-(?P<branch>{_BRANCH})-(?P<date>[0-9]{{8}})-(?P<sha>[0-9a-f]{{12}})")
_MARKER_RE = re.compile(
    rf"<!-- cpython-release:nightly branch=(?P<branch>{_BRANCH}) "
    r"date=(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}) commit=(?P<commit>[0-9a-f]{40}) -->"
)
_COMMIT_RE = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, order=True)
class Nightly:
    """One nightly build: ordering is by (branch, day, short_sha)."""

    branch: str
    day: date
    short_sha: str

    @classmethod
    def for_commit(cls, branch: str, day: date, commit: str) -> Nightly:
        check_branch(branch)
        if _COMMIT_RE.fullmatch(commit) is None:
            raise BadInput(f"nightly commit must be 40 lowercase hex digits, got {commit!r}")
        return cls(branch, day, commit[:SHORT_SHA])

    @property
    def tag(self) -> str:
        return f"{TAG_PREFIX}{self.branch}-{self.day:%Y%m%d}-{self.short_sha}"

    @property
    def name(self) -> str:
        return f"Python {self.branch} nightly {self.day.isoformat()} ({self.short_sha})"

    def marker(self, commit: str) -> str:
        """The body line that marks the release; ``commit`` is the full commit it names."""
        if _COMMIT_RE.fullmatch(commit) is None or not commit.startswith(self.short_sha):
            raise BadInput(f"commit {commit!r} does not match nightly {self.tag}")
        return (
            f"{MARKER_PREFIX}branch={self.branch} date={self.day.isoformat()} commit={commit} -->"
        )


def check_branch(branch: str) -> str:
    """``branch`` if nightlies can be named for it (``main`` or ``X.Y``), else BadInput."""
    if re.fullmatch(_BRANCH, branch) is None:
        raise BadInput(f"nightly branch must be 'main' or 'X.Y', got {branch!r}")
    return branch


def format_tag(branch: str, day: date, commit: str) -> str:
    return Nightly.for_commit(branch, day, commit).tag


def parse_tag(tag: str) -> Nightly | None:
    """The nightly a tag names, or None when the tag is not a well-formed nightly tag."""
    m = _TAG_RE.fullmatch(tag)
    if m is None:
        return None
    try:
        day = date(int(m["date"][:4]), int(m["date"][4:6]), int(m["date"][6:]))
    except ValueError:
        return None
    return Nightly(m["branch"], day, m["sha"])


def looks_like_nightly_tag(tag: str) -> bool:
    """True for anything in the nightly tag namespace, well-formed or not."""
    return tag.startswith(TAG_PREFIX)


def parse_marker(body: str | None) -> tuple[Nightly, str] | None:
    """The (nightly, full commit) of the body's marker line; None unless exactly one exists."""
    found = [m for line in (body or "").splitlines() if (m := _MARKER_RE.fullmatch(line.strip()))]
    if len(found) != 1:
        return None
    m = found[0]
    try:
        day = date.fromisoformat(m["date"])
    except ValueError:
        return None
    return Nightly(m["branch"], day, m["commit"][:SHORT_SHA]), m["commit"]


def identify(tag: str, body: str | None) -> Nightly | None:
    """The nightly a release is, if its tag and body marker both say so and agree."""
    by_tag = parse_tag(tag)
    by_body = parse_marker(body)
    if by_tag is None or by_body is None or by_body[0] != by_tag:
        return None
    return by_tag


def release_body(nightly: Nightly, commit: str, text: str = "") -> str:
    """A release body: free text, then the marker line last."""
    head = f"{text.rstrip()}\n\n" if text.strip() else ""
    return f"{head}{nightly.marker(commit)}\n"


def release_tag(version: ReleaseVersion, commit: str) -> str:
    """The tag a build of ``version`` is known by: ``vV`` for a release; for a nightly
    (which has no git tag) the nightly tag its GitHub prerelease gets, from the version's
    date and branch and the commit. It is also the manifest's ``release.tag``."""
    if version.dev is None:
        return version.tag
    day = date(version.dev // 10000, version.dev // 100 % 100, version.dev % 100)
    return Nightly.for_commit(version.branch, day, commit).tag
