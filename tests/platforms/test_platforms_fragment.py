from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.manifest import Manifest
from platforms.platforms_helpers import COMMIT


def _fragment(tmp_path: Path, dist: Path, version: str = "3.14.0rc2") -> int:
    return main(
        [
            "windows",
            "fragment",
            version,
            str(dist),
            "--commit",
            COMMIT,
            "--repository",
            "python/cpython",
            "--created",
            "1755000000",
            "--producer",
            "build-windows (amd64)",
            "-o",
            str(tmp_path / "frag.json"),
        ]
    )


def test_windows_fragment_with_msi_parts_and_sbom(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "amd64rc2").mkdir(parents=True)
    (dist / "python-3.14.0rc2-amd64.exe").write_bytes(b"exe")
    (dist / "python-3.14.0rc2-amd64.exe.spdx.json").write_text("{}", encoding="utf-8")
    (dist / "python-3.14.0rc2-embed-amd64.zip").write_bytes(b"zip")
    (dist / "amd64rc2" / "core.msi").write_bytes(b"msi")
    (dist / "amd64rc2" / "core.cab").write_bytes(b"cab")
    assert _fragment(tmp_path, dist) == 0
    m = Manifest.load(tmp_path / "frag.json")
    kinds = {a.name: (a.kind, a.platform, a.arch) for a in m.artifacts}
    assert kinds == {
        "amd64rc2/core.cab": ("cab", "windows", "amd64"),
        "amd64rc2/core.msi": ("msi", "windows", "amd64"),
        "python-3.14.0rc2-amd64.exe": ("installer", "windows", "amd64"),
        "python-3.14.0rc2-embed-amd64.zip": ("embed", "windows", "amd64"),
    }
    exe = m.artifact("python-3.14.0rc2-amd64.exe")
    assert exe.sbom is not None and exe.sbom.name == "python-3.14.0rc2-amd64.exe.spdx.json"
    assert m.release.created == "2025-08-12T12:00:00Z"
    assert json.loads((tmp_path / "frag.json").read_text())["schema_version"] == 1


@pytest.mark.parametrize(
    "name", ["python-3.14.0rc2-amd64.msi", "amd64rc1/core.msi", "amd64rc2/core.txt", "notes.txt"]
)
def test_fragment_rejects_unknown_names(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    (dist / name).parent.mkdir(parents=True, exist_ok=True)
    (dist / name).write_bytes(b"x")
    assert _fragment(tmp_path, dist) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "frag.json").exists()


def test_fragment_of_empty_dir_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    assert _fragment(tmp_path, tmp_path / "dist") == 2
