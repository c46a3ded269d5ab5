"""The nightly naming scheme: tags, names, body markers, and recognising a nightly for sure."""

from __future__ import annotations

from datetime import date

import pytest

from cpython_release import nightly_names as nn
from cpython_release.errors import BadInput

COMMIT = "0123456789abcdef0123456789abcdef01234567"
DAY = date(2026, 11, 21)


def test_format_and_parse_round_trip() -> None:
    n = nn.Nightly.for_commit("3.14", DAY, COMMIT)
    assert n.tag == "nightly-3.14-20261121-0123456789ab"
    assert n.name == "Python 3.14 nightly 2026-11-21 (0123456789ab)"
    assert nn.format_tag("3.14", DAY, COMMIT) == n.tag
    assert nn.parse_tag(n.tag) == n
    main = nn.Nightly.for_commit("main", DAY, COMMIT)
    assert nn.parse_tag(main.tag) == main


def test_tags_of_a_branch_sort_by_date() -> None:
    days = [date(2026, 1, 2), date(2025, 12, 31), date(2026, 11, 21), date(2026, 2, 1)]
    tags = [nn.format_tag("3.15", d, COMMIT) for d in days]
    assert [nn.parse_tag(t).day for t in sorted(tags)] == sorted(days)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "tag",
    [
        "nightly-3.14-20261321-0123456789ab",  # month 13
        "nightly-3.14-20260230-0123456789ab",  # 30 February
        "nightly-3.14-2026112-0123456789ab",
        "nightly-3.14-20261121-0123456789",  # short sha too short
        "nightly-3.14-20261121-0123456789AB",  # upper case
        "nightly-feature-20261121-0123456789ab",
        "nightly-3.14-20261121-0123456789ab-extra",
        "v3.14.0rc2",
        "Nightly-3.14-20261121-0123456789ab",
    ],
)
def test_malformed_tags_are_not_nightlies(tag: str) -> None:
    assert nn.parse_tag(tag) is None


@pytest.mark.parametrize("branch", ["feature", "3", "3.14.1", "03.14", "", "main "])
def test_bad_branches_are_refused(branch: str) -> None:
    with pytest.raises(BadInput, match=r"'main' or 'X\.Y'"):
        nn.Nightly.for_commit(branch, DAY, COMMIT)


def test_bad_commits_are_refused() -> None:
    with pytest.raises(BadInput, match="40 lowercase hex"):
        nn.Nightly.for_commit("3.14", DAY, COMMIT[:12])
    n = nn.Nightly.for_commit("3.14", DAY, COMMIT)
    with pytest.raises(BadInput, match="does not match nightly"):
        n.marker("f" * 40)


def test_body_marker_round_trip_and_identify() -> None:
    n = nn.Nightly.for_commit("3.14", DAY, COMMIT)
    body = nn.release_body(n, COMMIT, "Nightly build.\nMore text.")
    assert body.endswith(f"{n.marker(COMMIT)}\n")
    assert nn.parse_marker(body) == (n, COMMIT)
    assert nn.identify(n.tag, body) == n


def test_identify_needs_both_marks_and_they_must_agree() -> None:
    n = nn.Nightly.for_commit("3.14", DAY, COMMIT)
    other = nn.Nightly.for_commit("3.14", date(2026, 11, 20), COMMIT)
    body = nn.release_body(n, COMMIT)
    assert nn.identify(n.tag, "") is None  # tag alone
    assert nn.identify(n.tag, None) is None
    assert nn.identify("v3.14.0", body) is None  # marker alone
    assert nn.identify(other.tag, body) is None  # they disagree on the date
    main = nn.Nightly.for_commit("main", DAY, COMMIT)
    assert nn.identify(main.tag, body) is None  # ...on the branch
    twice = body + nn.release_body(other, COMMIT)
    assert nn.identify(n.tag, twice) is None  # two markers: ambiguous
    quoted = f"> {n.marker(COMMIT)}\n"
    assert nn.identify(n.tag, quoted) is None  # a quoted marker is not a marker


def test_namespace_check() -> None:
    assert nn.looks_like_nightly_tag("nightly-whatever")
    assert not nn.looks_like_nightly_tag("v3.14.0")
