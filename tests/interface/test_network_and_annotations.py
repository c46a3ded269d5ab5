"""Network failures exit 1 with "could not reach"; failures in Actions become annotations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.output import annotation, escape_data, escape_property

CLOSED = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("urllib3.util.retry.time.sleep", lambda seconds: None)  # no back-off
    for var in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)


def test_a_name_that_does_not_resolve_exits_1(cli: Callable[..., Any]) -> None:
    res = cli("verify", "3.14.1", "https://nonexistent.invalid/")
    assert res.code == 1, res.err
    assert "could not reach https://nonexistent.invalid/" in res.err
    assert "object at 0x" not in res.err  # urllib3's wrapper objects are not the reason
    assert "Traceback" not in res.err


def test_a_closed_port_exits_1_for_the_github_api(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", CLOSED)
    res = cli("blockers", "3.14.1", "--repository", "o/r", "--retries", "0")
    assert res.code == 1, res.err
    assert "could not reach the GitHub API" in res.err and "Connection refused" in res.err


def test_git_network_failure_exits_1(cli: Callable[..., Any]) -> None:
    res = cli("nightly", "select", "--repository", "o/r", "--git-url", f"{CLOSED}/o/r.git")
    assert res.code == 1, res.err
    assert "could not reach the git server" in res.err


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100% done", "100%25 done", "100%25 done"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),  # an escape in the text is not decoded by the runner
    ],
)
def test_escaping_follows_the_runner(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_annotation_line() -> None:
    line = annotation("error", "2 problems:\n  - a: b", title="cpython-release verify, 3.14")
    assert line == "::error title=cpython-release verify%2C 3.14::2 problems:%0A  - a: b"


def test_failures_are_annotated_only_in_actions(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    res = cli("manifest", "show", "missing.json")
    assert res.code == 2 and "::error" not in res.out + res.err
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = cli("manifest", "show", "missing: 100%.json")
    assert res.code == 2
    lines = [ln for ln in res.err.splitlines() if ln.startswith("::error")]
    assert len(lines) == 1, res.err
    assert lines[0].startswith("::error title=cpython-release manifest show::cannot read manifest")
    assert "missing: 100%25.json" in lines[0]
    assert "::error" not in res.out  # stdout stays clean for JSON


def test_a_failed_check_without_exception_is_annotated(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = cli("verify", "3.14.1", str(tmp_path / "nothing-here"))
    assert res.code in (1, 2)
    assert any(
        ln.startswith("::error title=cpython-release verify::") for ln in res.err.splitlines()
    )


def test_counts_are_pluralised() -> None:
    from cpython_release.output import plural

    assert [plural(n, "problem") for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]


def test_a_bad_command_line_is_annotated_too(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = cli("plan", "--no-such-flag")
    assert res.code == 2
    assert "::error title=cpython-release plan::bad command line" in res.err
