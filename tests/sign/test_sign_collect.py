"""The sign job builds its release directory from the manifest, not from the downloads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.sign import sign_release
from sign.sign_support import FakeSigstore, Release, identity


def _downloads(release: Release, root: Path) -> Path:
    """Lay the release out as download-artifact does: one directory per workflow artifact."""
    downloads = root / "downloads"
    d = release.directory
    layout = {
        "source": ["Python-3.13.5.tgz", "Python-3.13.5.tar.xz"],
        "windows-amd64": ["python-3.13.5-amd64.exe", "amd64/core.msi"],
    }
    for artifact, names in layout.items():
        for name in names:
            target = downloads / artifact / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(d / name, target)
    (downloads / "nuget-windows-amd64").mkdir()
    (downloads / "nuget-windows-amd64" / "python.3.13.5.nupkg").write_bytes(b"nupkg")
    (downloads / "stray.exe").write_bytes(b"MZ stray")
    return downloads


def test_collects_only_listed_files(release: Release, tmp_path: Path) -> None:
    downloads = _downloads(release, tmp_path)
    out = tmp_path / "release"
    result = sign_release(
        out,
        release.fragments,
        collect_from=downloads,
        signer=FakeSigstore(),
        identity=identity(),
        gpg=False,
    )
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "python.3.13.5.nupkg" not in " ".join(names) and "stray.exe" not in names
    listed = Manifest.load(out / MANIFEST_NAME).names()
    assert [n for n in names if not n.endswith((".sigstore", ".json", "SHA256SUMS"))] == listed
    assert result.sigstore == "signed"


def test_missing_and_conflicting_downloads(release: Release, tmp_path: Path) -> None:
    downloads = _downloads(release, tmp_path)
    (downloads / "source" / "Python-3.13.5.tar.xz").unlink()
    with pytest.raises(CheckFailed, match="refusing to sign") as err:
        sign_release(
            tmp_path / "r1",
            release.fragments,
            collect_from=downloads,
            sigstore_mode="off",
            gpg=False,
        )
    assert err.value.problems == ["missing: Python-3.13.5.tar.xz"]

    (downloads / "other").mkdir()
    (downloads / "other" / "Python-3.13.5.tgz").write_bytes(b"a different tarball")
    with pytest.raises(CheckFailed, match="two downloads give one name different bytes") as err:
        sign_release(
            tmp_path / "r2",
            release.fragments,
            collect_from=downloads,
            sigstore_mode="off",
            gpg=False,
        )
    assert err.value.problems == [
        "Python-3.13.5.tgz: different files in other/Python-3.13.5.tgz, source/Python-3.13.5.tgz"
    ]


def test_collect_needs_an_empty_destination(release: Release, tmp_path: Path) -> None:
    downloads = _downloads(release, tmp_path)
    with pytest.raises(BadInput, match="must be empty"):
        sign_release(
            release.directory,
            release.fragments,
            collect_from=downloads,
            sigstore_mode="off",
            gpg=False,
        )


def test_cli_collect(release: Release, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    downloads = _downloads(release, tmp_path)
    code = main(
        [
            "sign",
            str(tmp_path / "out"),
            "--collect-from",
            str(downloads),
            "--fragments-dir",
            str(release.fragments[0].parent),
            "--sigstore",
            "off",
            "--no-gpg",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "amd64" / "core.msi").is_file()
