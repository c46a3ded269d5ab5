"""The plan names installers, not their MSI/CAB parts: sign holds the rest to the plan."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.sign.stage import PlannedRelease, check_against_plan

COMMIT = "c" * 40


def _manifest(*artifacts: tuple[str, str]) -> Manifest:
    release = SimpleNamespace(version="3.13.5", commit=COMMIT)
    found = [SimpleNamespace(name=n, kind=k) for n, k in artifacts]
    return cast(Manifest, SimpleNamespace(release=release, artifacts=found))


def _plan(*paths: str) -> PlannedRelease:
    return PlannedRelease("3.13.5", COMMIT, paths)


def test_installer_parts_need_no_plan_entry() -> None:
    built = _manifest(
        ("python-3.13.5-amd64.exe", "installer"),
        ("amd64/core.msi", "msi"),
        ("amd64/core.cab", "cab"),
    )
    check_against_plan(built, _plan("3.13.5/python-3.13.5-amd64.exe"))


def test_anything_else_unplanned_or_missing_still_fails() -> None:
    built = _manifest(
        ("python-3.13.5-amd64.exe", "installer"),
        ("amd64/core.msi", "msi"),
        ("python-3.13.5-amd64.zip", "pymanager"),
    )
    with pytest.raises(CheckFailed) as info:
        check_against_plan(built, _plan("3.13.5/python-3.13.5-amd64.exe", "3.13.5/x.tgz"))
    assert info.value.problems == [
        "planned but not built: x.tgz",
        "built but not planned: python-3.13.5-amd64.zip",
    ]
