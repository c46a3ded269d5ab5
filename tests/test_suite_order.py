"""The suite's xdist scheduling (tests/suite_order.py) keeps shared act runs single."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import suite_order

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def test_every_module_on_the_shared_release_run_is_in_its_group() -> None:
    users = {
        p.relative_to(ROOT).as_posix()
        for p in TESTS.rglob("test_*.py")
        if p != Path(__file__).resolve()
        and re.search(r"\bshared_release_run\b", p.read_text(encoding="utf-8"))
    }
    assert users, "no module asserts on the shared release run"
    grouped = {m for m, g in suite_order.GROUPS.items() if g == "act-release-run"}
    assert users == grouped, (
        "a module on tests/act/conftest.py's shared_release_run must be in GROUPS"
    )


def test_the_ordered_modules_exist() -> None:
    for scope in suite_order.LONGEST_FIRST:
        if scope not in suite_order.GROUPS.values():
            assert (ROOT / scope).is_file(), scope


def test_scopes_and_order() -> None:
    release = "tests/act/test_act_release.py::test_x"
    binaries = "tests/act/test_act_release_binaries.py::test_y[a::b]"
    assert suite_order.scope_of(release) == suite_order.scope_of(binaries) == "act-release-run"
    assert suite_order.scope_of("tests/sign/test_sign.py::T::test_z") == "tests/sign/test_sign.py"
    assert suite_order.rank(binaries) == 0
    nightly = "tests/act/test_act_nightly.py::test_green"
    other = "tests/aaa/test_first.py::test_a"
    assert suite_order.rank(nightly) < suite_order.rank(other)


def test_the_suite_is_dealt_out_longest_first(request: pytest.FixtureRequest) -> None:
    ids = [item.nodeid for item in request.session.items]
    ranks = [suite_order.rank(i) for i in ids]
    assert ranks == sorted(ranks)
