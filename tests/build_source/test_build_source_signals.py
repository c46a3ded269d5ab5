"""A build stopped by a signal leaves no ``.build-source-*`` behind (session 2's open finding).

Real subprocesses, real signals. The build is held at its blurb step by a stand-in blurb
(``$CPYTHON_RELEASE_BLURB``) that says where it runs and sleeps, so the signal lands
mid-build, while a child process runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cpython_release.demo_repo import DemoRepo

# The stand-in blurb: writes its pid and the build's temporary directory, optionally fills
# that directory with many files (so removing it takes a while), then sleeps.
FAKE_BLURB = """\
import os, sys, time
from pathlib import Path
here = Path.cwd()
build = next((p for p in (here, *here.parents) if p.name.startswith(".build-source-")), here)
many = int(os.environ.get("FAKE_BLURB_FILES", "0"))
if many:
    (build / "many").mkdir(exist_ok=True)
    for i in range(many):
        (build / "many" / str(i)).write_bytes(b"x")
Path(os.environ["FAKE_BLURB_REPORT"]).write_text(f"{os.getpid()} {build}")
time.sleep(120)
"""


@pytest.fixture
def held_build(
    demo: DemoRepo, tmp_path: Path
) -> Callable[..., tuple[subprocess.Popen[str], Path, int, Path]]:
    """Start ``build-source`` held at blurb; returns the process, its temporary directory,
    the blurb's pid and --out, once the blurb runs."""
    blurb = tmp_path / "blurb"
    blurb.write_text(f"#!{sys.executable}\n{FAKE_BLURB}")
    blurb.chmod(0o755)
    report = tmp_path / "blurb-report"

    def start(files: int = 0) -> tuple[subprocess.Popen[str], Path, int, Path]:
        out = tmp_path / "out"
        env = {
            **os.environ,
            "CPYTHON_RELEASE_BLURB": str(blurb),
            "FAKE_BLURB_REPORT": str(report),
            "FAKE_BLURB_FILES": str(files),
        }
        argv = ["build-source", demo.version, "--repo", str(demo.path), "--commit", demo.commit]
        proc = subprocess.Popen(
            [sys.executable, "-m", "cpython_release", *argv, "--out", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not report.is_file() or not report.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the build did not reach blurb: {proc.communicate()[1]}")
            time.sleep(0.02)
        pid, build = report.read_text().split(" ", 1)
        return proc, Path(build), int(pid), out

    return start


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie of an already-exited parent is reaped by init soon
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_build_removes_the_temporary_directory(
    held_build: Callable[..., tuple[subprocess.Popen[str], Path, int, Path]],
    sig: signal.Signals,
) -> None:
    proc, build, blurb_pid, out = held_build()
    assert build.is_dir() and build.parent == out
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err
    assert ("terminated" if sig == signal.SIGTERM else "interrupted") in err
    assert "Traceback" not in err
    assert not build.exists()
    assert list(out.iterdir()) == []  # no temporary directory, no partial output
    deadline = time.monotonic() + 10
    while not _gone(blurb_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(blurb_pid), "the blurb child outlived the build"


def test_a_second_signal_during_the_cleanup_does_not_cut_it_short(
    held_build: Callable[..., tuple[subprocess.Popen[str], Path, int, Path]],
) -> None:
    """A cancelled job: SIGINT, then SIGTERM while the build removes its temporary directory
    (here one with many files, so the removal takes a while). Before, the SIGTERM raised in
    the middle of the removal and the rest stayed behind."""
    files = 30_000
    proc, build, _, out = held_build(files)
    many = build / "many"
    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 60
    while True:  # wait until the removal of the many files is under way
        try:
            left = sum(1 for _ in many.iterdir())
        except FileNotFoundError:
            left = 0
        if left < files or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    assert 0 < left < files, f"did not catch the removal under way ({left} of {files} left)"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, 143), err
    assert "Traceback" not in err
    assert not build.exists(), f"{len(list(build.rglob('*')))} entries left behind"
    assert list(out.iterdir()) == []


def test_the_archive_core_alone_cleans_up_on_sigterm(demo: DemoRepo, tmp_path: Path) -> None:
    """``python -m cpython_release.source`` (bare interpreters): its work directory in DEST
    goes too (before, SIGTERM killed it outright and left ``source-work-*``)."""
    blurb = tmp_path / "blurb"
    blurb.write_text(f"#!{sys.executable}\n{FAKE_BLURB}")
    blurb.chmod(0o755)
    report, dest = tmp_path / "report", tmp_path / "dest"
    argv = [str(demo.path), demo.version, demo.commit, str(dest), "--blurb", str(blurb)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cpython_release.source", *argv],
        env={**os.environ, "FAKE_BLURB_REPORT": str(report)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not report.is_file() or not report.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the build did not reach blurb: {proc.communicate()[1]}")
        time.sleep(0.02)
    assert any(p.name.startswith("source-work-") for p in dest.iterdir())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert list(dest.iterdir()) == []
