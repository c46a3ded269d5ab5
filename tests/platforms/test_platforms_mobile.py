from __future__ import annotations

from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.platforms import mobile
from cpython_release.platforms.runner import Call, CommandResult, RecordingRunner


def test_android_shim_for_314(tmp_path: Path) -> None:
    (tmp_path / "Android").mkdir()
    (tmp_path / "Android" / "android.py").write_text("print('android')\n")
    assert mobile.ensure_android_tool(tmp_path) == [
        "Platforms/Android -> ../Android",
        "Android/__main__.py -> android.py",
    ]
    assert (tmp_path / "Platforms" / "Android" / "__main__.py").read_text() == (
        "print('android')\n"
    )
    assert mobile.ensure_android_tool(tmp_path) == []


def test_android_shim_needs_a_tool(tmp_path: Path) -> None:
    with pytest.raises(CheckFailed, match="neither Platforms/Android"):
        mobile.ensure_android_tool(tmp_path)


def test_names_and_gates() -> None:
    from cpython_release.version import ReleaseVersion

    v = ReleaseVersion.parse("3.15.0a1")
    assert mobile.android_name(v, "x86_64") == "python-3.15.0a1-x86_64-linux-android.tar.gz"
    assert mobile.ios_name(v) == "python-3.15.0a1-iOS-XCframework.tar.gz"
    with pytest.raises(BadInput):
        mobile.android_triplet("armv7")
    with pytest.raises(BadInput, match=r"from 3\.15"):
        mobile.check_ios(ReleaseVersion.parse("3.14.0"))


def _builder(source: Path, dist: Path, name: str) -> RecordingRunner:
    def build(call: Call) -> CommandResult | None:
        dist.mkdir(parents=True, exist_ok=True)
        (dist / name).write_bytes(b"tarball")
        (dist / "other.txt").write_bytes(b"x")
        return None

    return RecordingRunner(responders=[build])


def test_cli_android(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "cpython"
    (src / "Platforms" / "Android").mkdir(parents=True)
    name = "python-3.14.0-aarch64-linux-android.tar.gz"
    rec = _builder(src, src / "cross-build" / "aarch64-linux-android" / "dist", name)
    monkeypatch.setattr("cpython_release.commands.mobile.make_runner", lambda args: rec)
    assert (
        main(
            [
                "mobile",
                "android",
                "3.14.0",
                "--source",
                str(src),
                "--arch",
                "aarch64",
                "--dist",
                str(tmp_path / "dist"),
            ]
        )
        == 0
    )
    assert rec.calls[0].argv == (
        "python3",
        "Platforms/Android",
        "ci",
        "--fast-ci",
        "aarch64-linux-android",
    )
    assert rec.calls[0].cwd == src
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [name]


def test_cli_android_missing_output_and_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "cpython"
    (src / "Platforms" / "Android").mkdir(parents=True)
    rec = _builder(src, src / "cross-build" / "x86_64-linux-android" / "dist", "wrong.tar.gz")
    monkeypatch.setattr("cpython_release.commands.mobile.make_runner", lambda args: rec)
    args = [
        "mobile",
        "android",
        "--source",
        str(src),
        "--arch",
        "x86_64",
        "--dist",
        str(tmp_path / "dist"),
    ]
    assert main([*args, "3.14.0"]) == 1
    assert "found: other.txt, wrong.tar.gz" in capsys.readouterr().err
    assert main([*args, "3.13.5"]) == 2


def test_cli_ios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "cpython"
    src.mkdir()
    name = "python-3.15.0a1-iOS-XCframework.tar.gz"
    rec = _builder(src, src / "cross-build" / "dist", name)
    monkeypatch.setattr("cpython_release.commands.mobile.make_runner", lambda args: rec)
    assert (
        main(
            [
                "mobile",
                "ios",
                "3.15.0a1",
                "--source",
                str(src),
                "--dist",
                str(tmp_path / "d"),
            ]
        )
        == 0
    )
    assert rec.calls[0].argv == ("python3", "Platforms/Apple", "ci", "iOS", "--slow-ci")
    assert (tmp_path / "d" / name).read_bytes() == b"tarball"
