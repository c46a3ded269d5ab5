"""SIGTERM (a cancelled CI job) during ``sign --gpg``: the temporary GNUPGHOME, with the
imported private key, is removed and its gpg-agent stopped (issue 10, item 8).

A ``gpg`` wrapper first on PATH pauses the first detached signature, so the signal arrives
while the key is imported and gpg-agent runs; everything else is real GnuPG.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sign.sign_support import GpgTestKey, Release, clear_ambient_identity


def _agents_for(home: Path) -> list[int]:
    """Pids of live gpg-agent processes serving ``home`` (read from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if "State:\tZ" in status:
            continue
        if (
            cmdline
            and cmdline[0].endswith(b"gpg-agent")
            and str(home).encode() in b" ".join(cmdline)
        ):
            pids.append(int(entry.name))
        elif cmdline and cmdline[0].endswith(b"gpg-agent"):
            with contextlib.suppress(OSError):
                if f"GNUPGHOME={home}".encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_sigterm_during_gpg_signing_removes_the_key_and_stops_the_agent(
    release: Release,
    gpg_key: GpgTestKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    real_gpg = shutil.which("gpg")
    assert real_gpg
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    paused = tmp_path / "paused"
    wrapper = bin_dir / "gpg"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" --detach-sign "*) '
        f"touch {paused}; exec sleep 60;; esac\n"
        f'exec {real_gpg} "$@"\n'
    )
    wrapper.chmod(0o755)
    # a short TMPDIR: gpg-agent's socket lives in the home, and socket paths are short
    temp = Path(tempfile.mkdtemp(prefix="cr-t-"))
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    clear_ambient_identity(monkeypatch)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(temp),
        "GPG_PRIVATE_KEY": gpg_key.armored,
        "GPG_PASSPHRASE": gpg_key.passphrase,
    }
    args = [
        sys.executable,
        "-m",
        "cpython_release",
        "sign",
        "3.13.5",
        str(release.directory),
        "--sigstore",
        "off",
        "--gpg",
    ]
    for f in release.fragments:
        args += ["--fragment", str(f)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not paused.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "gpg never started signing"
            time.sleep(0.05)
        [home] = list(temp.glob("cr-gnupg-*"))
        assert any(home.glob("private-keys-v1.d/*.key")), "the key is not imported yet"
        assert _agents_for(home), "no gpg-agent runs for the temporary home"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert "terminated" in err.decode()
    assert not home.exists(), "the temporary GNUPGHOME (with the private key) survived"
    deadline = time.monotonic() + 10
    while _agents_for(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _agents_for(home), "gpg-agent still runs"
    assert not list(release.directory.glob("*.asc")), "half-written signatures were left"
