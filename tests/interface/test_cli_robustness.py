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

# this checkout's code, whatever the virtual environment's editable install points at
_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | {
    "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "scripts")
}


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
            env=_ENV,
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

    monkeypatch.setattr("argparse.ArgumentParser.parse_known_args", interrupted)
    res = cli("verify", "3.13.5", ".")
    assert res.code == 130
    assert res.err.strip() == "interrupted"


FULL = Path("/dev/full")  # every write fails with ENOSPC
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full")


def _run_with_full_stdout(*args: str) -> subprocess.CompletedProcess[str]:
    with FULL.open("w") as full:
        return subprocess.run(
            [sys.executable, "-m", "cpython_release", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            env=_ENV,
        )


@needs_dev_full
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("version", "3.13.5"), "could not write the report to stdout: No space left"),
        (("verify", "3.13.5", "."), "could not write the report to stdout: No space left"),
    ],
)
def test_a_full_disk_on_stdout_says_so(args: tuple[str, ...], message: str) -> None:
    proc = _run_with_full_stdout(*args)
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr
    assert "a bug" not in proc.stderr and "Traceback" not in proc.stderr


@needs_dev_full
@pytest.mark.parametrize("var", ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"])
def test_a_full_disk_on_the_runner_files_says_which(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.setenv(name, str(tmp_path / name))
    monkeypatch.setenv(var, str(FULL))
    res = cli("verify", "3.13.5", str(tmp_path), "--format", "github")
    assert res.code == 1, res.err
    assert f"could not write ${var} (/dev/full): No space left on device" in res.err
    assert "a bug" not in res.err


def test_an_unwritable_report_is_bad_input_before_verifying(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    res = cli("verify", "3.13.5", str(tmp_path), "--report", str(tmp_path / "file" / "r.json"))
    assert res.code == 2, res.err
    assert "cannot write --report" in res.err
    assert res.out == ""  # nothing was verified


@needs_dev_full
def test_a_report_that_cannot_be_written_after_verifying_is_a_failure(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    res = cli("verify", "3.13.5", str(tmp_path), "--report", str(FULL))
    assert res.code == 1, res.err
    assert "INVALID" in res.out  # the verdict is still shown
    assert "could not write --report /dev/full: No space left on device" in res.err
    assert "(the verification said invalid)" in res.err


def test_a_full_disk_anywhere_names_the_file_not_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse
    import errno

    def full(args: argparse.Namespace) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", "/w/record.json")

    code = cli._run(argparse.Namespace(command="rehearse", func=full))
    err = capsys.readouterr().err
    assert code == 1
    assert "could not write /w/record.json: No space left on device" in err
    assert "a bug" not in err
