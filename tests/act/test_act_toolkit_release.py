"""The toolkit's own release workflow under act: its dry run against a local package index.

A real pypiserver (uploads open, no fallback to PyPI) stands in for TestPyPI. The dry run
builds twice and compares, runs `twine check --strict`, uploads with twine and reads both
files back through the simple index. The PyPI publish job (trusted publishing, attestations)
runs only for a tag push on GitHub: here it must be skipped.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from act_harness import ActHarness

pytestmark = pytest.mark.act


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    packages = tmp_path / "packages"
    packages.mkdir()
    port = free_port()
    server = Path(sys.executable).parent / "pypi-server"
    cmd = [str(server), "run", "-i", "127.0.0.1", "-p", str(port)]
    cmd += ["-a", ".", "-P", ".", "--disable-fallback", str(packages)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/simple/", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("pypiserver did not start")
        yield url, packages
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dry_run_uploads_the_reproducible_build_to_a_local_index(
    act: ActHarness, index: tuple[str, Path]
) -> None:
    url, packages = index
    run = act.run(
        "toolkit-release.yml",
        inputs={"dry-run-upload-url": f"{url}/", "dry-run-simple-url": f"{url}/simple/"},
    )
    run.assert_jobs(ran={"build"}, skipped={"publish"})
    log = run.job_log("build")
    assert "reproducible: both builds are byte-identical" in log
    assert "dry run: the index serves exactly the files built" in log
    built = sorted((run.artifacts / "toolkit-dist").iterdir())
    assert [p.name for p in built] == [
        "cpython_release-0.1.0-py3-none-any.whl",
        "cpython_release-0.1.0.tar.gz",
    ]
    uploaded = {p.name: p.read_bytes() for p in packages.iterdir()}
    assert uploaded == {p.name: p.read_bytes() for p in built}
    assert run.returncode == 0
