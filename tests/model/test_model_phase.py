from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpython_release.errors import BadInput
from cpython_release.phase import Phase, ReleaseCycle
from cpython_release.version import ReleaseVersion


def test_bundled_snapshot_has_current_branches() -> None:
    cycle = ReleaseCycle.load()
    assert cycle.branch("3.12").phase is Phase.SECURITY
    assert cycle.branch("3.14").phase is Phase.BUGFIX
    assert cycle.branch("2.7").phase is Phase.END_OF_LIFE
    maintained = [b.name for b in cycle.maintained()]
    assert maintained[0] == "3.16" and "3.14" in maintained and "3.12" not in maintained


@pytest.mark.parametrize(
    ("version", "phase"),
    [
        ("3.12.11", Phase.SECURITY),
        ("3.14.1", Phase.BUGFIX),
        ("3.16.0a1", Phase.PRERELEASE),
        ("3.15.0rc2", Phase.PRERELEASE),
    ],
)
def test_phase_of(version: str, phase: Phase) -> None:
    assert ReleaseCycle.load().phase_of(ReleaseVersion.parse(version)) is phase


def test_unknown_branch_is_clear() -> None:
    with pytest.raises(BadInput, match=r"branch 4\.0 is not in the release-cycle data"):
        ReleaseCycle.load().phase_of(ReleaseVersion.parse("4.0.1"))


def test_override_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = {
        "3.12": {
            "branch": "3.12",
            "status": "bugfix",
            "first_release": "2023-10-02",
            "end_of_life": "2028-10",
            "release_manager": "x",
        }
    }
    f = tmp_path / "cycle.json"
    f.write_text(json.dumps(data))
    assert ReleaseCycle.load(str(f)).phase_of(ReleaseVersion.parse("3.12.11")) is Phase.BUGFIX
    monkeypatch.setenv("CPYTHON_RELEASE_CYCLE", str(f))
    assert ReleaseCycle.load().branch("3.12").phase is Phase.BUGFIX


def test_final_of_prerelease_branch_is_bugfix() -> None:
    data = {
        "3.16": {
            "branch": "3.16",
            "status": "prerelease",
            "first_release": "2027-10-01",
            "end_of_life": "2032-10",
            "release_manager": "x",
        }
    }
    cycle = ReleaseCycle(data, "test")
    assert cycle.phase_of(ReleaseVersion.parse("3.16.0")) is Phase.BUGFIX
    assert cycle.phase_of(ReleaseVersion.parse("3.16.0rc1")) is Phase.PRERELEASE


@pytest.mark.parametrize("content", ["[]", "{}", "not json", '{"3.1": {"status": "weird"}}'])
def test_bad_override(tmp_path: Path, content: str) -> None:
    f = tmp_path / "cycle.json"
    f.write_text(content)
    with pytest.raises(BadInput):
        ReleaseCycle.load(str(f))


def test_cli_unknown_branch_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("plan", "4.0.1", "--commit", "a" * 40)
    assert result.code == 2
    assert "branch 4.0" in result.err
