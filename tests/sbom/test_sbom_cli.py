"""``cpython-release sbom`` and the PyPI JSON client (against a local server)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from cpython_release.cli import main
from cpython_release.errors import CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.sbom.pip import PyPIJson
from sbom.sbom_support import PIP_WHEEL, VENDORED, VERSION, SbomRelease, source_tree_files


def _fragment(release: SbomRelease, tmp_path: Path) -> Path:
    path = tmp_path / "fragment.json"
    release.manifest.write(path)
    return path


def test_cli_writes_sboms_and_the_manifest(
    sbom_release: SbomRelease, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frag = _fragment(sbom_release, tmp_path)
    out = tmp_path / "out.json"
    code = main(["sbom", str(sbom_release.directory), "--fragment", str(frag), "-o", str(out)])
    stdout, stderr = capsys.readouterr()
    assert code == 0
    result = json.loads(stdout)
    assert result["sboms"] == sorted(
        f"{n}.spdx.json"
        for n in (
            f"Python-{VERSION}.tar.xz",
            f"Python-{VERSION}.tgz",
            f"python-{VERSION}-amd64.exe",
            f"python-{VERSION}-embed-amd64.zip",
        )
    )
    assert result["pypi_checked"] is False
    assert "PyPI check skipped" in stderr
    written = Manifest.load(out)
    sbom = written.artifact(f"Python-{VERSION}.tgz").sbom
    assert sbom is not None
    data = (sbom_release.directory / sbom.name).read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (sbom.size, sbom.sha256)


def test_cli_exit_codes(
    sbom_release: SbomRelease, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "o.json")
    assert main(["sbom", str(sbom_release.directory), "-o", out]) == 2
    assert "give the manifest fragment" in capsys.readouterr().err
    frag = _fragment(sbom_release, tmp_path)
    (sbom_release.directory / f"python-{VERSION}-amd64.exe").write_bytes(b"changed")
    assert main(["sbom", str(sbom_release.directory), "--fragment", str(frag), "-o", out]) == 1
    assert "is not the file the manifest lists" in capsys.readouterr().err
    assert (
        main(
            [
                "sbom",
                str(sbom_release.directory),
                "--fragment",
                str(frag),
                "-o",
                out,
                "--source",
                str(tmp_path / "nope"),
            ]
        )
        == 2
    )
    assert "no such source tree or tarball" in capsys.readouterr().err


class _PyPIHandler(BaseHTTPRequestHandler):
    releases: ClassVar[dict[str, object]] = {}

    def do_GET(self) -> None:
        body = self.releases.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def pypi_server() -> Iterator[str]:
    wheel = source_tree_files()[f"Lib/ensurepip/_bundled/{PIP_WHEEL}"]
    releases: dict[str, object] = {
        "/pypi/pip/24.0/json": {
            "urls": [
                {
                    "filename": "pip-24.0.tar.gz",
                    "packagetype": "sdist",
                    "url": "https://f/pip.tgz",
                    "digests": {"sha256": "1" * 64},
                },
                {
                    "filename": PIP_WHEEL,
                    "packagetype": "bdist_wheel",
                    "url": "https://f/pip.whl",
                    "digests": {"sha256": hashlib.sha256(wheel).hexdigest()},
                },
            ]
        }
    }
    for name, version in VENDORED.items():
        releases[f"/pypi/{name.lower()}/{version}/json"] = {
            "urls": [
                {
                    "filename": f"{name}.whl",
                    "packagetype": "bdist_wheel",
                    "url": f"https://f/{name}.whl",
                    "digests": {"sha256": "2" * 64},
                }
            ]
        }
    _PyPIHandler.releases = releases
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PyPIHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pypi_json_client(pypi_server: str) -> None:
    client = PyPIJson(pypi_server)
    assert client.file("pip", "24.0", None) == (
        "https://f/pip.whl",
        client.file("pip", "24.0", PIP_WHEEL)[1],
    )
    assert client.file("pip", "24.0", "pip-24.0.tar.gz") == ("https://f/pip.tgz", "1" * 64)
    with pytest.raises(CheckFailed, match=r"PyPI lists no nope\.whl for pip 24\.0"):
        client.file("pip", "24.0", "nope.whl")
    with pytest.raises(CheckFailed, match=r"PyPI has no metadata for pip 1\.0"):
        client.file("pip", "1.0", None)


def test_cli_with_pypi(
    sbom_release: SbomRelease,
    tmp_path: Path,
    pypi_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    frag = _fragment(sbom_release, tmp_path)
    code = main(
        [
            "sbom",
            str(sbom_release.directory),
            "--fragment",
            str(frag),
            "--pypi",
            "--pypi-url",
            pypi_server,
            "-o",
            str(tmp_path / "o.json"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["pypi_checked"] is True
    assert "matches PyPI" in err and "skipped" not in err
    doc = json.loads((sbom_release.directory / f"Python-{VERSION}.tgz.spdx.json").read_text())
    urllib3 = next(p for p in doc["packages"] if p["name"] == "urllib3")
    assert urllib3["downloadLocation"] == "https://f/urllib3.whl"
