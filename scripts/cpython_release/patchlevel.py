"""Versions as ``Include/patchlevel.h`` spells them, with the standard library only.

The source pipeline (:mod:`cpython_release.source`) runs on bare interpreters with no
third-party packages, so what it needs to know about nightly versions lives here rather
than in :mod:`cpython_release.version` (which uses ``packaging``).
"""

from __future__ import annotations

import re

from cpython_release.errors import BadInput

#: ``PY_VERSION`` between releases: the last release plus ``+`` (``3.15.0a2+``, ``3.14.3+``).
BASE_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?\+?")
#: A nightly version: the release it leads to plus ``.devYYYYMMDD``.
NIGHTLY = re.compile(r"(\d+\.\d+\.\d+(?:(?:a|b|rc)[1-9]\d*)?)\.dev(\d{8})")
_PY_VERSION = re.compile(r'#define\s+PY_VERSION\s+"([^"]+)"')


def py_version(patchlevel_h: str) -> str | None:
    """``PY_VERSION`` of an ``Include/patchlevel.h``, or None when it defines none."""
    m = _PY_VERSION.search(patchlevel_h)
    return m.group(1) if m else None


def next_release(base: str) -> str:
    """The release that follows a branch's ``PY_VERSION``.

    ``3.15.0a2+`` -> ``3.15.0a3``, ``3.16.0a0`` -> ``3.16.0a1``, ``3.15.0rc1+`` -> ``3.15.0rc2``,
    ``3.14.3+`` -> ``3.14.4``. The real next release may be of a later stage (``b1`` after
    ``a7``); a nightly named after the next *serial* still sorts after the release it follows
    and before any release that comes next.
    """
    m = BASE_VERSION.fullmatch(base)
    if m is None:
        raise BadInput(f"not a CPython version: {base!r}")
    major, minor, micro, kind, number = m.groups()
    if kind is not None:
        return f"{major}.{minor}.{micro}{kind}{int(number) + 1}"
    return f"{major}.{minor}.{int(micro) + 1}"


def nightly_release(version: str) -> str | None:
    """The release a nightly version leads to (``3.13.6`` for ``3.13.6.dev20261121``), or
    None when ``version`` is not a nightly version."""
    m = NIGHTLY.fullmatch(version)
    return m.group(1) if m else None


def patchlevel_problem(found: str | None, version: str) -> str | None:
    """Why ``PY_VERSION`` (``found``) does not fit ``version``, or None when it does.

    A release needs exactly its own version. A nightly (``3.11.3.dev20261206``) is built from
    a branch between releases, whose ``PY_VERSION`` is the last release plus ``+``
    (``3.11.2+``), or the next alpha's ``a0`` on a new feature branch: it fits when the
    release that follows it is the nightly's. A release commit itself (``3.11.2``, no ``+``)
    is never a nightly: that would ship 3.11.2 under a 3.11.3 nightly's name.
    """
    if not found:
        return "Include/patchlevel.h defines no PY_VERSION"
    release = nightly_release(version)
    if release is None:
        if found == version:
            return None
        return f"Include/patchlevel.h has PY_VERSION {found!r}, not {version!r}"
    if not (found.endswith("+") or found.endswith("a0")):
        return (
            f"Include/patchlevel.h has PY_VERSION {found!r}: a release commit, not a branch "
            f"head between releases ({found}+), so it cannot be nightly {version}"
        )
    try:
        follows: str | None = next_release(found)
    except BadInput:
        follows = None
    if follows == release:
        return None
    return (
        f"Include/patchlevel.h has PY_VERSION {found!r}: the next release from it is "
        f"{follows or 'unknown'}, not {release} (nightly {version})"
    )
