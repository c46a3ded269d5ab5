"""The rules prepare applies, one function at a time."""

from __future__ import annotations

import pytest

from cpython_release.errors import BadInput
from cpython_release.prepare.checks import allowed_next
from cpython_release.prepare.edits import (
    doc_version,
    long_name,
    set_patchlevel,
    set_readme,
    substitute_next,
)
from cpython_release.version import ReleaseVersion as V

PATCHLEVEL_311 = """\
/*--start constants--*/
#define PY_MAJOR_VERSION        3
#define PY_MINOR_VERSION        11
#define PY_MICRO_VERSION        2
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_FINAL
#define PY_RELEASE_SERIAL       0

/* Version as a string */
#define PY_VERSION              "3.11.2+"
/*--end constants--*/
#define PY_RELEASE_LEVEL_ALPHA  0xA
"""


@pytest.mark.parametrize(
    ("base", "nexts"),
    [
        ("3.11.2+", ["3.11.3"]),
        ("3.15.0a0", ["3.15.0a1"]),
        ("3.15.0a7+dev", ["3.15.0a8", "3.15.0b1"]),
        ("3.14.0b3+", ["3.14.0b4", "3.14.0rc1"]),
        ("3.14.0rc2+", ["3.14.0rc3", "3.14.0"]),
    ],
)
def test_the_next_release_of_a_branch(base: str, nexts: list[str]) -> None:
    assert allowed_next(base) == nexts


def test_a_release_commit_has_no_next_until_finish_bumped_it() -> None:
    with pytest.raises(BadInput, match=r"release commit.*finish 3\.11\.2"):
        allowed_next("3.11.2")


def test_patchlevel_values_change_and_nothing_else() -> None:
    out = set_patchlevel(PATCHLEVEL_311, V.parse("3.11.3"))
    assert '#define PY_VERSION              "3.11.3"\n' in out
    assert "#define PY_MICRO_VERSION        3\n" in out
    changed = [
        (a, b) for a, b in zip(PATCHLEVEL_311.splitlines(), out.splitlines(), strict=True) if a != b
    ]
    assert [b for _, b in changed] == [
        "#define PY_MICRO_VERSION        3",
        '#define PY_VERSION              "3.11.3"',
    ]
    pre = set_patchlevel(PATCHLEVEL_311, V.parse("3.12.0rc2"), "+")
    assert "PY_RELEASE_LEVEL_GAMMA\n" in pre and "SERIAL       2\n" in pre
    assert '"3.12.0rc2+"' in pre and "PY_MINOR_VERSION        12\n" in pre
    assert "#define PY_RELEASE_LEVEL_ALPHA  0xA" in pre  # the level constants stay


def test_patchlevel_without_the_definitions_is_bad_input() -> None:
    with pytest.raises(BadInput, match="PY_MAJOR_VERSION"):
        set_patchlevel("/* empty */\n", V.parse("3.11.3"))


def test_readme_title_and_links() -> None:
    text = (
        "This is Python version 3.14.0 beta 4\n====================================\n\n"
        "see 3.13 <https://docs.python.org/3.13/whatsnew/3.13.html>`_ and\n"
        "`Documentation for Python 3.13 <https://docs.python.org/3.13/>`_\n"
    )
    out = set_readme(text, V.parse("3.14.0rc1"))
    first, second, *_ = out.split("\n")
    assert first == "This is Python version 3.14.0 release candidate 1"
    assert second == "=" * len(first)
    assert "3.14 <https://docs.python.org/3.14/whatsnew/3.14.html>`_" in out
    assert "`Documentation for Python 3.14 <https://docs.python.org/3.14/>`_" in out
    done = set_readme(out, V.parse("3.14.0rc1"), "+")
    assert done.startswith("This is Python version 3.14.0 release candidate 1+\n")


def test_long_names_and_doc_versions() -> None:
    assert long_name(V.parse("3.15.0a2")) == "3.15.0 alpha 2"
    assert long_name(V.parse("3.11.3")) == "3.11.3"
    assert doc_version(V.parse("3.15.0a2")) == "3.15"
    assert doc_version(V.parse("3.14.0")) == "3.14"
    assert doc_version(V.parse("3.13.6")) == "3.13.6"


def test_versionadded_next_substitution() -> None:
    text = (
        ".. versionadded:: next\n"
        "   .. versionchanged:: next\n"
        "      Now faster.\n"
        ".. deprecated-removed:: next 3.17\n"
        ".. versionremoved:: next\r\n"
        ".. deprecated:: next\n"
        ".. versionadded:: nextgen\n"  # not the word next
        ".. note:: next\n"  # not a version directive
        "versionadded:: next\n"  # not a directive
    )
    out, count = substitute_next(text, "3.13.6")
    assert count == 5
    assert out.splitlines(keepends=True)[:6] == [
        ".. versionadded:: 3.13.6\n",
        "   .. versionchanged:: 3.13.6\n",
        "      Now faster.\n",
        ".. deprecated-removed:: 3.13.6 3.17\n",
        ".. versionremoved:: 3.13.6\r\n",
        ".. deprecated:: 3.13.6\n",
    ]
    assert out.endswith(".. versionadded:: nextgen\n.. note:: next\nversionadded:: next\n")
