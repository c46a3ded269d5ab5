"""CPython release versions: ``3.13.5``, ``3.14.0rc2``, ``3.15.0a1``, ``v3.12.11``.

``packaging`` does the parsing; CPython's own tag rules (``X.Y.Z[(a|b|rc)N]`` with N >= 1,
tag ``vV``) decide what is a release version. Forms that packaging would normalise
(``3.14.0c1``, ``3.14.0-rc1``) are rejected: a tag is spelled exactly one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import total_ordering

from packaging.version import InvalidVersion, Version

from cpython_release.errors import BadInput

_TAG_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:(a|b|rc)([1-9]\d*))?")
# Nightlies: the next release's version plus ``.devYYYYMMDD`` (PEP 440 sorts it before that
# release). They have no tag; only ``parse(..., nightly=True)`` accepts them.
_NIGHTLY_RE = re.compile(_TAG_RE.pattern + r"\.dev(20\d{6})")

_STAGES = {"a": "alpha", "b": "beta", "rc": "candidate", None: "final"}


@total_ordering
@dataclass(frozen=True)
class ReleaseVersion:
    """A CPython release version, as CPython tags it."""

    major: int
    minor: int
    micro: int
    pre_kind: str | None  # "a", "b", "rc" or None
    pre_number: int | None
    dev: int | None = None  # YYYYMMDD of a nightly build

    @classmethod
    def parse(cls, text: str, *, nightly: bool | None = False) -> ReleaseVersion:
        """Parse a version in one mode: ``nightly=False`` (the default) accepts only release
        versions, ``nightly=True`` only nightly versions (``X.Y.Z[pre].devYYYYMMDD``), and
        ``nightly=None`` either (for readers of a manifest, whose version says which it is).
        A version of the other mode is bad input that says how to switch."""
        raw = text.strip() if isinstance(text, str) else ""
        body = raw[1:] if raw.startswith("v") else raw
        release_hint = "X.Y.Z or X.Y.Z(a|b|rc)N with N >= 1, for example 3.13.5 or 3.14.0rc2"
        nightly_hint = "X.Y.Z[(a|b|rc)N].devYYYYMMDD, for example 3.13.6.dev20261121"
        if nightly is None:
            hint = f"{release_hint}; or in nightly mode {nightly_hint}"
        else:
            hint = nightly_hint if nightly else release_hint
        if not body:
            raise BadInput(f"empty release version: expected {hint}")
        nightly_match = _NIGHTLY_RE.fullmatch(body)
        if nightly_match is not None:
            if nightly is False:
                raise BadInput(
                    f"{text!r} is a nightly version, but this is not nightly mode: pass "
                    "--nightly or set CPYTHON_RELEASE_NIGHTLY=true (nightly versions have no "
                    "tag; they name a branch commit)"
                )
            major, minor, micro, kind, number, day = nightly_match.groups()
            try:
                datetime.strptime(day, "%Y%m%d")
            except ValueError:
                raise BadInput(f"{text!r}: .dev{day} is not a date (YYYYMMDD)") from None
            return cls(
                int(major), int(minor), int(micro), kind, int(number) if number else None, int(day)
            )
        match = _TAG_RE.fullmatch(body)
        if match is None:
            raise BadInput(f"not a CPython release version: {text!r}: expected {hint}")
        if nightly is True:
            raise BadInput(
                f"{text!r} is a release version, but nightly mode (--nightly or "
                f"CPYTHON_RELEASE_NIGHTLY=true) needs {nightly_hint}"
            )
        try:
            parsed = Version(body)
        except InvalidVersion as exc:  # pragma: no cover - the regex is stricter
            raise BadInput(f"not a CPython release version: {text!r}: expected {hint}") from exc
        if str(parsed) != body:  # pragma: no cover - the regex only admits canonical forms
            raise BadInput(f"{text!r} is not in canonical form; write {parsed}")
        major, minor, micro, kind, number = match.groups()
        return cls(int(major), int(minor), int(micro), kind, int(number) if number else None)

    # --- names -----------------------------------------------------------------
    @property
    def pre(self) -> str:
        """The pre-release suffix (``rc2``) or the empty string."""
        return f"{self.pre_kind}{self.pre_number}" if self.pre_kind else ""

    @property
    def release(self) -> str:
        """The release a nightly leads to (``3.13.6`` for ``3.13.6.dev20261121``); for a
        release version, the version itself."""
        return f"{self.xyz}{self.pre}"

    @property
    def xyz(self) -> str:
        """``3.14.0`` for ``3.14.0rc2``: the python.org download directory."""
        return f"{self.major}.{self.minor}.{self.micro}"

    @property
    def minor_version(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def tag(self) -> str:
        """``vV``; a nightly has none (its GitHub tag comes from nightly_names)."""
        return "" if self.is_nightly else f"v{self}"

    @property
    def is_nightly(self) -> bool:
        return self.dev is not None

    @property
    def stage(self) -> str:
        """alpha, beta, candidate or final."""
        return _STAGES[self.pre_kind]

    @property
    def is_prerelease(self) -> bool:
        return self.pre_kind is not None or self.is_nightly

    @property
    def is_final(self) -> bool:
        return self.pre_kind is None

    @property
    def branch(self) -> str:
        """Alphas and b1 are cut from ``main``; everything else from ``X.Y``."""
        if self.pre_kind == "a" or (self.pre_kind == "b" and self.pre_number == 1):
            return "main"
        return self.minor_version

    @property
    def packaging_version(self) -> Version:
        return Version(str(self))

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)

    def __str__(self) -> str:
        return self.release + (f".dev{self.dev}" if self.dev is not None else "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self.packaging_version < other.packaging_version

    def to_dict(self) -> dict[str, object]:
        return {
            "version": str(self),
            "nightly": self.is_nightly,
            "tag": self.tag,
            "xyz": self.xyz,
            "pre": self.pre,
            "stage": self.stage,
            "branch": self.branch,
            "minor": self.minor_version,
        }
