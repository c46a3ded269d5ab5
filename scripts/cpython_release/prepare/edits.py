"""Text edits of the release commit: ``Include/patchlevel.h``, ``README.rst`` and the
``versionadded:: next`` directives of the docs.

They follow release-tools' ``release.py`` (``--bump`` and ``--done``) and
``update_version_next.py``; each edit changes only the values it names and keeps the rest of
the file as it is, so the diff of a release commit is the few lines a release manager expects.
"""

from __future__ import annotations

import re
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion

_LEVELS = {"a": "ALPHA", "b": "BETA", "rc": "GAMMA", None: "FINAL"}
_LONG_STAGE = {"a": "alpha", "b": "beta", "rc": "release candidate"}


def done_suffix(version: ReleaseVersion) -> str:
    """What follows ``PY_VERSION`` between releases: ``+``, and ``+dev`` from 3.15 on
    (release-tools' rule since PEP 440 local versions; 3.14 and older keep ``+``)."""
    return "+dev" if version.at_least(3, 15) else "+"


def _sub_once(pattern: str, value: str, text: str, what: str) -> str:
    new, count = re.subn(pattern, lambda m: m.group(1) + value, text, count=2, flags=re.M)
    if count != 1:
        raise BadInput(f"Include/patchlevel.h: expected one {what} definition, found {count}")
    return new


def set_patchlevel(text: str, version: ReleaseVersion, suffix: str = "") -> str:
    """``patchlevel.h`` saying ``version`` (plus ``suffix``: ``+`` after a release).

    Only the five values change; alignment and comments stay.
    """
    text = _sub_once(
        r"^(#define[ \t]+PY_MAJOR_VERSION[ \t]+)\d+", str(version.major), text, "PY_MAJOR_VERSION"
    )
    text = _sub_once(
        r"^(#define[ \t]+PY_MINOR_VERSION[ \t]+)\d+", str(version.minor), text, "PY_MINOR_VERSION"
    )
    text = _sub_once(
        r"^(#define[ \t]+PY_MICRO_VERSION[ \t]+)\d+", str(version.micro), text, "PY_MICRO_VERSION"
    )
    text = _sub_once(
        r"^(#define[ \t]+PY_RELEASE_LEVEL[ \t]+)PY_RELEASE_LEVEL_\w+",
        f"PY_RELEASE_LEVEL_{_LEVELS[version.pre_kind]}",
        text,
        "PY_RELEASE_LEVEL",
    )
    text = _sub_once(
        r"^(#define[ \t]+PY_RELEASE_SERIAL[ \t]+)\d+",
        str(version.pre_number or 0),
        text,
        "PY_RELEASE_SERIAL",
    )
    return _sub_once(
        r'^(#define[ \t]+PY_VERSION[ \t]+)"[^"]*"', f'"{version}{suffix}"', text, "PY_VERSION"
    )


def long_name(version: ReleaseVersion) -> str:
    """``3.11.3``, ``3.15.0 alpha 2``, ``3.14.0 release candidate 1`` (the README's words)."""
    if version.pre_kind is None:
        return str(version)
    return f"{version.xyz} {_LONG_STAGE[version.pre_kind]} {version.pre_number}"


_DOCS = r"https://docs\.python\.org/"
_XY = r"\d+\.\d+"


def set_readme(text: str, version: ReleaseVersion, suffix: str = "") -> str:
    """README.rst's first line ``This is Python version ...`` and its underline; at a bump
    (no suffix) also the X.Y of the What's New and documentation links.

    The PEP number link release-tools also rewrites needs the network (the release-cycle
    data); on an existing branch it is already right, so it is left alone here.
    """
    lines = text.split("\n")
    if len(lines) < 2 or not lines[0].startswith("This is Python version "):
        raise BadInput("README.rst does not start with 'This is Python version ...'")
    title = f"This is Python version {long_name(version)}{suffix}"
    lines[0], lines[1] = title, "=" * len(title)
    out = "\n".join(lines)
    if suffix:
        return out
    xy = version.minor_version
    out = re.sub(
        rf"{_XY} (<{_DOCS}){_XY}(/whatsnew/){_XY}(\.html>`_)", rf"{xy} \g<1>{xy}\g<2>{xy}\g<3>", out
    )
    return re.sub(
        rf"(`Documentation for Python ){_XY}( <{_DOCS}){_XY}(/>`_)",
        rf"\g<1>{xy}\g<2>{xy}\g<3>",
        out,
    )


def doc_version(version: ReleaseVersion) -> str:
    """What ``next`` becomes in the docs: ``X.Y`` for the X.Y.0 releases (alphas to final),
    ``X.Y.Z`` for a later bugfix release (release-tools' ``Tag.doc_version``)."""
    return version.minor_version if version.micro == 0 else version.xyz


# ``.. versionadded:: next``, ``.. versionchanged:: next``, ``.. versionremoved:: next``,
# ``.. deprecated:: next``, and the first (deprecation) version of ``.. deprecated-removed::
# next 3.17``. ``next`` must be a word of its own.
_DIRECTIVE = re.compile(
    r"^(?P<head>\s*\.\.\s+(?:version(?:added|changed|removed)|deprecated(?:-removed)?)\s*::\s*)"
    r"next(?P<tail>(?:[\s,].*)?)$",
    re.S,
)


def substitute_next(text: str, replacement: str) -> tuple[str, int]:
    """``text`` with every directive's ``next`` replaced; and how many were replaced."""
    count = 0
    out = []
    for line in text.splitlines(keepends=True):
        m = _DIRECTIVE.match(line)
        if m:
            line = m["head"] + replacement + m["tail"]
            count += 1
        out.append(line)
    return "".join(out), count


def substitute_next_in_docs(repo: Path, replacement: str) -> list[str]:
    """Apply :func:`substitute_next` to every ``Doc/**/*.rst``; the files changed."""
    changed = []
    doc = repo / "Doc"
    for path in sorted(doc.rglob("*.rst")) if doc.is_dir() else []:
        if not path.is_file() or path.is_symlink():
            continue
        # bytes in, bytes out: CRLF files keep their line ends
        text = path.read_bytes().decode("utf-8")
        new, count = substitute_next(text, replacement)
        if count:
            path.write_bytes(new.encode("utf-8"))
            changed.append(f"{path.relative_to(repo)} ({count})")
    return changed
