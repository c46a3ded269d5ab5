"""A closed output pipe never turns a failure into success; Ctrl-C at start-up is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release import cli


def _run_with_closed_stdout(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdout a pipe whose reader has already exited (``... | true``),
    deterministically: every write to stdout fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "cpython_release", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
        )
    finally:
        os.close(write_end)


def test_a_failure_keeps_its_status_when_stdout_is_closed(tmp_path: Path) -> None:
    # verify of an empty directory is INVALID (exit 1); it was 0 when the pipe was closed
    proc = _run_with_closed_stdout("verify", "3.13.5", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


def test_a_success_whose_output_was_lost_is_141_not_0() -> None:
    proc = _run_with_closed_stdout("version", "3.13.5")
    assert proc.returncode == cli.EXIT_OUTPUT_CLOSED == 141, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


def test_the_exit_status_of_a_closed_pipe_is_documented() -> None:
    assert "141" in (cli.build_parser(["--help"]).epilog or "")
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "141 stdout was closed" in readme


def test_ctrl_c_while_the_parser_is_built_is_no_traceback(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(argv: object = None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("cpython_release.cli.build_parser", interrupted)
    res = cli("verify", "3.13.5", ".")
    assert res.code == 130
    assert res.err.strip() == "interrupted"


def test_ctrl_c_while_parsing_is_no_traceback(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: object, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("argparse.ArgumentParser.parse_args", interrupted)
    res = cli("verify", "3.13.5", ".")
    assert res.code == 130
    assert res.err.strip() == "interrupted"
