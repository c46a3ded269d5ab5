from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.errors import CheckFailed
from cpython_release.platforms import smoke
from cpython_release.platforms.runner import RecordingRunner
from cpython_release.version import ReleaseVersion

V = ReleaseVersion.parse("3.14.0rc2")


def probe_json(**over: object) -> str:
    data: dict[str, object] = {
        "version": "3.14.0rc2",
        "platform": "win-amd64",
        "machine": "AMD64",
        "pointer_bits": 64,
        "executable": "C:\\py\\python.exe",
        "modules": dict.fromkeys(smoke.WINDOWS_MODULES, "ok"),
    }
    data.update(over)
    return json.dumps(data)


def test_probe_script_runs_on_this_python() -> None:
    out = subprocess.run(
        [sys.executable, "-c", smoke.PROBE_SCRIPT, "json", "no_such_mod_x"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    probe = smoke.parse_probe(out)
    assert probe.modules["json"] == "ok"
    assert probe.modules["no_such_mod_x"].startswith("ModuleNotFoundError")
    assert probe.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    problems = smoke.check_probe(probe, V, modules=["json", "no_such_mod_x"])
    assert any(p.startswith("import no_such_mod_x failed") for p in problems)


def test_parse_probe_skips_warnings_and_rejects_garbage() -> None:
    probe = smoke.parse_probe("DeprecationWarning: x\n" + probe_json() + "\n")
    assert probe.platform == "win-amd64"
    with pytest.raises(CheckFailed, match="no JSON"):
        smoke.parse_probe("Traceback ...\n")
    with pytest.raises(CheckFailed, match="incomplete"):
        smoke.parse_probe('{"version": "3"}')


def test_check_probe_reports_each_problem() -> None:
    probe = smoke.parse_probe(
        probe_json(
            version="3.14.0rc1",
            platform="win32",
            pointer_bits=32,
            modules={"ssl": "ImportError: x"},
        )
    )
    assert smoke.check_probe(
        probe, V, modules=["ssl", "lzma"], platform="win-amd64", pointer_bits=64
    ) == [
        "installed Python reports version 3.14.0rc1, expected 3.14.0rc2",
        "platform is win32, expected win-amd64",
        "pointer size is 32 bits, expected 64",
        "import ssl failed: ImportError: x",
        "import lzma failed: not probed",
    ]


def test_lipo_and_otool_parsing() -> None:
    assert smoke.check_universal2(smoke.parse_lipo_archs("x86_64 arm64\n"), "p") == []
    assert smoke.check_universal2(smoke.parse_lipo_archs("arm64\n"), "p") == [
        "p: architectures arm64, missing x86_64"
    ]
    otool = (
        "/F/bin/python3.14:\n"
        "\t/Library/Frameworks/Python.framework/Versions/3.14/Python (compatibility "
        "version 3.14.0, current version 3.14.0)\n"
        "\t/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1.0)\n"
        "/F/lib-dynload/_ssl.so (architecture arm64):\n"
        "\t/opt/homebrew/opt/openssl@3/lib/libssl.3.dylib (compatibility version 3.0.0, "
        "current version 3.0.0)\n"
        "/F/lib-dynload/_ssl.so (architecture x86_64):\n"
        "\t/usr/local/Cellar/openssl@3/3.5/lib/libssl.3.dylib (compatibility version 3.0.0, "
        "current version 3.0.0)\n"
    )
    libs = smoke.parse_otool_libraries(otool)
    assert libs["/F/bin/python3.14"] == [
        "/Library/Frameworks/Python.framework/Versions/3.14/Python",
        "/usr/lib/libSystem.B.dylib",
    ]
    assert smoke.homebrew_references(libs) == [
        "/F/lib-dynload/_ssl.so links /opt/homebrew/opt/openssl@3/lib/libssl.3.dylib",
        "/F/lib-dynload/_ssl.so links /usr/local/Cellar/openssl@3/3.5/lib/libssl.3.dylib",
    ]


def _windows_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rec: RecordingRunner) -> int:
    monkeypatch.setattr("cpython_release.commands.windows.make_runner", lambda args: rec)
    installer = tmp_path / "python-3.14.0rc2-amd64.exe"
    installer.write_bytes(b"exe")
    return main(
        [
            "windows",
            "smoke",
            "3.14.0rc2",
            "--dist",
            str(tmp_path),
            "--target-dir",
            str(tmp_path / "py"),
            "--arch",
            "amd64",
            "--tests",
            "test_os",
        ]
    )


def test_windows_smoke_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rec: RecordingRunner, summary: Path
) -> None:
    py = str(tmp_path / "py" / "python.exe")
    rec.respond([py, "-c"], stdout=probe_json())
    assert _windows_smoke(tmp_path, monkeypatch, rec) == 0
    argvs = rec.argvs()
    exe = str(tmp_path / "python-3.14.0rc2-amd64.exe")
    assert argvs[0][:9] == (
        exe,
        "/passive",
        f"TargetDir={tmp_path / 'py'}",
        "Include_debug=1",
        "Include_symbols=1",
        "InstallAllUsers=0",
        "Include_launcher=0",
        "Shortcuts=0",
        "AssociateFiles=0",
    )
    assert argvs[1][:2] == (py, "-c") and argvs[1][3:] == smoke.WINDOWS_MODULES
    assert argvs[2:5] == [
        (py, "-m", "pip", "--version"),
        (py, "-m", "pip", "install", "--disable-pip-version-check", "packaging"),
        (py, "-m", "test", "-j2", "--timeout=900", "test_os"),
    ]
    assert argvs[5][:3] == (exe, "/uninstall", "/passive")
    assert "| uninstall | ok |" in summary.read_text(encoding="utf-8")


def test_windows_smoke_failure_still_uninstalls(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rec: RecordingRunner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    py = str(tmp_path / "py" / "python.exe")
    rec.respond([py, "-c"], stdout=probe_json(platform="win32"))
    rec.respond([py, "-m", "test"], returncode=2)
    assert _windows_smoke(tmp_path, monkeypatch, rec) == 1
    err = capsys.readouterr().err
    assert "platform is win32, expected win-amd64" in err
    assert "test subset failed with exit status 2" in err
    assert rec.argvs()[-1][1] == "/uninstall"


def test_windows_smoke_crash_still_uninstalls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rec: RecordingRunner
) -> None:
    py = str(tmp_path / "py" / "python.exe")
    rec.respond([py, "-c"], returncode=3, stderr="python.exe crashed")
    assert _windows_smoke(tmp_path, monkeypatch, rec) == 1
    assert rec.argvs()[-1][1] == "/uninstall"
