"""The error paths issue 13 found rough, each run the way a user hit it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.rehearsal.pipeline import MARKER

Cli = Callable[..., Any]


@pytest.fixture(autouse=True)
def _not_in_actions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for var in (
        "GITHUB_ACTIONS",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "CPYTHON_RELEASE_NIGHTLY",
    ):
        monkeypatch.delenv(var, raising=False)


def previous_rehearsal(workdir: Path) -> Path:
    workdir.mkdir()
    (workdir / MARKER).write_text("a cpython-release rehearsal; safe to delete\n")
    good = workdir / "rehearsal.json"
    good.write_text('{"exit_status": 0}\n')
    return good


@pytest.mark.parametrize(
    ("skip", "message"),
    [
        (["source"], "--skip source leaves the plan pipe without its input"),
        (["build-source"], "--skip build-source leaves the sbom pipe without its input"),
        (["sign"], "--skip sign leaves the publish pipe without its input"),
        (["publish"], "--skip publish leaves the verify pipe without its input"),
    ],
)
def test_rehearse_refuses_a_skip_before_touching_the_previous_rehearsal(
    cli: Cli, tmp_path: Path, skip: list[str], message: str
) -> None:
    good = previous_rehearsal(tmp_path / "rehearsal")
    res = cli("rehearse", "--workdir", str(tmp_path / "rehearsal"), *(f"--skip={s}" for s in skip))
    assert res.code == 2, res.err
    assert message in res.err and "nothing was changed" in res.err
    assert "Traceback" not in res.err and "AssertionError" not in res.err
    assert good.read_text() == '{"exit_status": 0}\n'  # the previous good rehearsal is kept


def test_rehearse_skip_source_with_repo_and_commit_is_allowed_to_start(
    cli: Cli, tmp_path: Path
) -> None:
    """With --repo and --commit the later pipes have their input: the skip is not refused
    (the missing repository then stops it, as bad input, after the check)."""
    res = cli(
        "rehearse",
        "3.14.1",
        "--repo",
        str(tmp_path / "no-clone"),
        "--commit",
        "0123456789abcdef0123456789abcdef01234567",
        "--workdir",
        str(tmp_path / "wd"),
        "--skip",
        "source",
    )
    assert "leaves the" not in res.err
    assert res.code in (1, 2) and "Traceback" not in res.out + res.err


def test_quiet_rehearsal_prints_only_the_result(cli: Cli, tmp_path: Path) -> None:
    """(Without -q the pipes' progress shows: tests/rehearse/test_rehearse.py.)"""
    skips = ("--skip", "sign", "--skip", "publish", "--skip", "verify")
    res = cli("-q", "rehearse", "--workdir", str(tmp_path / "c"), *skips, "--format", "json")
    assert res.code == 0, res.err
    assert "==>" not in res.err
    assert '"exit_status": 0' in res.out and "| build-source |" not in res.out


LOG = (
    "import logging, sys\n"
    "from cpython_release import output\n"
    "output.configure(int(sys.argv[1]))\n"
    "logging.getLogger('sigstore._internal.tuf').warning("
    "'TUF repository is loaded in offline mode; updates will not be performed')\n"
    "logging.getLogger('urllib3.connectionpool').warning('Retrying')\n"
    "logging.getLogger('sigstore.verify').error('a real error')\n"
    "logging.getLogger('gnupg').debug('gpg key dump')\n"
)


@pytest.mark.parametrize(("verbosity", "noise"), [(-1, False), (0, False), (1, True)])
def test_library_noise_only_with_verbose(verbosity: int, noise: bool) -> None:
    """sigstore and tuf log through ``logging``: their notices show only with -v."""
    done = subprocess.run(
        [sys.executable, "-c", LOG, str(verbosity)], capture_output=True, text=True, check=True
    )
    assert ("offline mode" in done.stderr) is noise
    assert ("Retrying" in done.stderr) is noise
    assert "a real error" in done.stderr  # errors always show
    assert "gpg key dump" not in done.stderr  # python-gnupg's DEBUG stays out even with -v


def test_sigstore_notice_once_in_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cpython_release.commands.sign import _warn

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _warn("NOTICE: Sigstore signing SKIPPED: no identity")
    said = capsys.readouterr()
    lines = [ln for ln in (said.out + said.err).splitlines() if "SKIPPED" in ln]
    assert lines == ["::warning title=Sigstore::NOTICE: Sigstore signing SKIPPED: no identity"]
    monkeypatch.delenv("GITHUB_ACTIONS")
    _warn("NOTICE: Sigstore signing SKIPPED: no identity")
    said = capsys.readouterr()
    assert said.err == "NOTICE: Sigstore signing SKIPPED: no identity\n"


def test_verbosity_flags_before_or_after_the_command(cli: Cli) -> None:
    assert cli("-q", "version", "3.14.1").code == 0
    assert cli("version", "-v", "3.14.1").code == 0
    res = cli("-q", "-v", "version", "3.14.1")
    assert res.code == 2 and "not allowed with" in res.err


def test_deprecated_version_option_still_works_and_says_so(cli: Cli) -> None:
    res = cli("blockers", "--version", "3.x", "--repository", "o/r")
    assert res.code == 2
    assert "--version is deprecated" in res.err and "not a CPython release version" in res.err
    res = cli("blockers", "3.14.1", "--version", "3.14.2", "--repository", "o/r")
    assert res.code == 2 and "unrecognized arguments: 3.14.1" in res.err  # two versions


def test_old_version_option_lands_where_the_argument_goes() -> None:
    from cpython_release.commands.common import version_option_to_argument

    argv = ["-q", "manifest", "fragment", "a.exe", "b.zip", "--version", "3.14.1", "-o", "f"]
    assert version_option_to_argument(argv, ["manifest", "fragment"], True) == [
        "-q", "manifest", "fragment", "3.14.1", "a.exe", "b.zip", "-o", "f",
    ]  # fmt: skip
    assert version_option_to_argument(["--version"], [], True) == ["--version"]  # the program's
    argv = ["verify", "3.14.1", "--version=3"]
    assert version_option_to_argument(argv, ["verify"], False) == argv
    assert version_option_to_argument(["sign", "d", "--version=3.14.1"], ["sign"], True) == [
        "sign", "3.14.1", "d",
    ]  # fmt: skip
