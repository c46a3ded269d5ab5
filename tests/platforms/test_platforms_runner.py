from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.platforms.runner import (
    CommandFailed,
    RecordingRunner,
    SubprocessRunner,
    format_argv,
)


def test_subprocess_runner_passes_cwd_env_and_captures(tmp_path: Path) -> None:
    log = io.StringIO()
    result = SubprocessRunner(log).run(
        [sys.executable, "-c", "import os; print(os.getcwd()); print(os.environ['XYZ_T'])"],
        cwd=tmp_path,
        env={"XYZ_T": "value"},
        capture=True,
    )
    assert result.ok
    assert result.stdout.splitlines() == [str(tmp_path.resolve()), "value"]
    assert log.getvalue().startswith("+ ")
    assert f"(in {tmp_path})" in log.getvalue()


def test_subprocess_runner_failure_redacts_secrets() -> None:
    log = io.StringIO()
    with pytest.raises(CommandFailed) as info:
        SubprocessRunner(log).run(
            [
                sys.executable,
                "-c",
                "import sys; print('bad hunter2', file=sys.stderr); sys.exit(3)",
                "hunter2",
            ],
            capture=True,
            redact=["hunter2"],
        )
    text = str(info.value)
    assert "exit status 3" in text
    assert "hunter2" not in text and "hunter2" not in log.getvalue()
    assert "bad ***" in text
    assert info.value.exit_code == 1


def test_subprocess_runner_unchecked_failure_returns_result() -> None:
    result = SubprocessRunner(io.StringIO()).run(
        [sys.executable, "-c", "raise SystemExit(4)"], check=False
    )
    assert result.returncode == 4 and not result.ok


def test_subprocess_runner_missing_program() -> None:
    with pytest.raises(CheckFailed, match="cannot run"):
        SubprocessRunner(io.StringIO()).run(["/nonexistent/program-xyz"])


def test_recording_runner_responds_and_checks(tmp_path: Path) -> None:
    rec = RecordingRunner()
    rec.respond(["tool", "ok"], stdout="hello")
    rec.respond(["tool"], returncode=2, stderr="broken")
    assert rec.run(["tool", "ok", "x"], capture=True).stdout == "hello"
    assert rec.run(["other"], cwd=tmp_path, env={"A": "1"}).ok
    with pytest.raises(CommandFailed, match="exit status 2"):
        rec.run(["tool", "bad"])
    assert rec.argvs() == [("tool", "ok", "x"), ("other",), ("tool", "bad")]
    assert rec.calls[1].cwd == tmp_path and rec.calls[1].env == {"A": "1"}


def test_format_argv_quotes_and_redacts() -> None:
    assert format_argv(["a b", "pw=secret"], ["secret"]) == "'a b' pw=***"
