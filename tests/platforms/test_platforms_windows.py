from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cpython_release.cli import main
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.platforms import windows
from cpython_release.platforms.runner import RecordingRunner
from cpython_release.version import ReleaseVersion

V = ReleaseVersion.parse("3.14.0rc2")

# What `PCbuild\build.bat -V` prints (MSBuild messages are indented).
VERSION_OUTPUT = """\
Using py -3.12 (found 3.12 with py.exe)
Fetching external libraries...
  PythonVersionNumber: 3.14.0
  PythonVersion:       3.14.0rc2
  PythonVersionHex:    0x030E00C2
  PythonVersionUnique: 3.14.150.1013
  PythonVersionUnique: 3.14.150.1013
  Field3Value:         150
  Field3Value:         0x0096
"""


def test_parse_version_info() -> None:
    fields = windows.parse_version_info(VERSION_OUTPUT)
    assert fields["PythonVersion"] == "3.14.0rc2"
    assert fields["PythonVersionHex"] == "0x030E00C2"
    assert "Using" not in fields
    assert windows.check_version_info(fields, V) == []


@pytest.mark.parametrize(
    ("version", "hexversion"),
    [
        ("3.14.0rc2", "0x030E00C2"),
        ("3.13.5", "0x030D05F0"),
        ("3.15.0a1", "0x030F00A1"),
        ("3.12.0b4", "0x030C00B4"),
    ],
)
def test_expected_hexversion(version: str, hexversion: str) -> None:
    assert windows.expected_hexversion(ReleaseVersion.parse(version)) == hexversion


def test_check_version_info_mismatch() -> None:
    fields = windows.parse_version_info(VERSION_OUTPUT.replace("rc2", "rc1").replace("C2", "C1"))
    assert windows.check_version_info(fields, V) == [
        "PythonVersion is 3.14.0rc1, expected 3.14.0rc2",
        "PythonVersionHex is 0x030E00C1, expected 0x030E00C2",
    ]
    assert windows.check_version_info({}, V) == ["build.bat -V printed no version fields"]


def test_verify_source_version_runs_build_bat(rec: RecordingRunner, tmp_path: Path) -> None:
    rec.respond(["PCbuild\\build.bat", "-V"], stdout=VERSION_OUTPUT)
    windows.verify_source_version(rec, tmp_path, V)
    assert rec.calls[0].argv == ("PCbuild\\build.bat", "-V")
    assert rec.calls[0].cwd == tmp_path and rec.calls[0].capture
    with pytest.raises(CheckFailed, match=re.escape("not Python 3.14.0rc3")):
        windows.verify_source_version(rec, tmp_path, ReleaseVersion.parse("3.14.0rc3"))


def test_build_steps_pgo_debug_and_free_threaded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    steps = windows.build_steps(tmp_path, out, V, "amd64", pgo=True)
    assert [s.argv for s in steps] == [
        ("PCbuild\\build.bat", "-e", "-v", "-p", "x64", "--pgo"),
        ("PCbuild\\build.bat", "-e", "-v", "-p", "x64", "-d"),
        ("PCbuild\\build.bat", "-e", "-v", "-p", "x64", "--pgo", "--disable-gil"),
        ("PCbuild\\build.bat", "-e", "-v", "-p", "x64", "-d", "--disable-gil"),
    ]
    assert all(s.env == {"Py_OutDir": str(out)} and s.cwd == tmp_path for s in steps)


def test_build_steps_win32_312_no_pgo_no_free_threading(tmp_path: Path) -> None:
    steps = windows.build_steps(
        tmp_path,
        tmp_path,
        ReleaseVersion.parse("3.12.11"),
        "win32",
        pgo=windows.default_pgo("win32"),
    )
    assert [s.argv[4:] for s in steps] == [("Win32", "-c", "Release"), ("Win32", "-d")]


def test_build_steps_reject_unknown_or_missing_arch(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown Windows architecture"):
        windows.build_steps(tmp_path, tmp_path, V, "x86", pgo=True)
    with pytest.raises(BadInput, match="has no arm64 build"):
        windows.build_steps(tmp_path, tmp_path, ReleaseVersion.parse("3.10.4"), "arm64", pgo=True)


def test_find_tcl_library(tmp_path: Path) -> None:
    assert windows.find_tcl_library(tmp_path, "amd64") is None
    lib = tmp_path / "externals" / "tcltk-8.6.15.0" / "amd64" / "lib" / "tcl8.6"
    lib.mkdir(parents=True)
    (lib / "init.tcl").write_text("", encoding="utf-8")
    (tmp_path / "externals" / "tcltk-8.6.15.0" / "arm64" / "lib" / "tcl8.6").mkdir(parents=True)
    assert windows.find_tcl_library(tmp_path, "amd64") == lib
    assert windows.find_tcl_library(tmp_path, "arm64") is None


def test_layout_plan_314(tmp_path: Path) -> None:
    src, out, work, dist = (tmp_path / n for n in ("src", "out", "work", "dist"))
    plan = windows.layout_plan(src, out, work, dist, V, "arm64")
    base = (
        str(out / "arm64" / "python.exe"),
        str(src / "PC" / "layout"),
        "-vv",
        "-s",
        str(src),
        "-b",
        str(out / "arm64"),
        "--arch",
        "arm64",
    )
    assert plan.steps[0].argv == (
        *base,
        "-t",
        str(work / "temp-embed"),
        "--zip",
        str(dist / "python-3.14.0rc2-embed-arm64.zip"),
        "--preset-embed",
    )
    assert plan.steps[1].argv[-3:] == ("--copy", str(work / "nuget-arm64"), "--preset-nuget")
    assert plan.steps[0].env == {"PYTHONHOME": str(src)}
    assert sorted(plan.pymanager_dirs) == sorted(windows.pymanager_names(V, "arm64"))
    options = {s.label: s.argv[s.argv.index("--copy") + 2 :] for s in plan.steps[2:]}
    assert options == {
        "layout python-3.14.0rc2-arm64.zip": ("--preset-pymanager",),
        "layout python-3.14.0rc2t-arm64.zip": ("--preset-pymanager", "--include-freethreaded"),
        "layout python-3.14.0rc2-test-arm64.zip": ("--preset-pymanager-test",),
        "layout python-3.14.0rc2-embeddable-arm64.zip": (
            "--preset-embed",
            "--include-install-embed-json",
        ),
    }


@pytest.mark.parametrize("text", ["3.12.11", "3.13.5", "3.14.0rc2"])
def test_layout_plan_makes_exactly_the_planned_pymanager_zips(tmp_path: Path, text: str) -> None:
    """The plan is the contract: what the Windows layout makes is what the inventory lists
    (python.org has PyManager packages from 3.13; the build made them only from 3.14)."""
    from cpython_release.inventory import Gates, inventory, windows_arches

    version = ReleaseVersion.parse(text)
    built = set()
    for arch in windows_arches(version):
        plan = windows.layout_plan(tmp_path, tmp_path, tmp_path, tmp_path, version, arch)
        built |= set(plan.pymanager_dirs)
    everything = Gates(True, True, True, True, True, True, True)
    planned = {f.name for f in inventory(version, everything) if f.kind == "pymanager"}
    assert built == planned
    assert bool(planned) is version.at_least(3, 13)


def _pymanager_layout(root: Path, url: str) -> Path:
    layout = root / "layout"
    (layout / "Lib").mkdir(parents=True)
    (layout / "python.exe").write_bytes(b"MZ")
    (layout / "Lib" / "os.py").write_text("x = 1\n", encoding="utf-8")
    (layout / "__install__.json").write_text(
        json.dumps(
            {
                "id": "pythoncore-3.14-64",
                "sort-version": "3.14.0rc2",
                "url": url,
                "aliases": ["python.exe"],
                "shortcuts": [],
                "run-for": [{"tag": "3.14"}],
                "display-name": "Python 3.14.0rc2",
            }
        ),
        encoding="utf-8",
    )
    return layout


def test_pymanager_package_zip(tmp_path: Path) -> None:
    url = "https://www.python.org/ftp/python/3.14.0/python-3.14.0rc2-amd64.zip"
    layout = _pymanager_layout(tmp_path, url)
    zip1, install = windows.pymanager_package(
        layout, tmp_path / "d1", "python-3.14.0rc2-amd64.zip", 1755000000
    )
    zip2, _ = windows.pymanager_package(
        layout, tmp_path / "d2", "python-3.14.0rc2-amd64.zip", 1755000000
    )
    assert zip1.read_bytes() == zip2.read_bytes()
    with zipfile.ZipFile(zip1) as zf:
        assert zf.namelist() == ["Lib/os.py", "python.exe"]
    assert install["id"] == "pythoncore-3.14-64"
    with pytest.raises(CheckFailed, match=re.escape("expected 'python-3.14.0rc2t-amd64.zip'")):
        windows.pymanager_package(layout, tmp_path, "python-3.14.0rc2t-amd64.zip", 0)
    with pytest.raises(CheckFailed, match=re.escape("no __install__.json")):
        windows.pymanager_package(tmp_path / "missing", tmp_path, "x.zip", 0)


def test_pymanager_index(tmp_path: Path) -> None:
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    installs: list[tuple[dict[str, Any], Path]] = [
        (
            {
                "id": "pythoncore-3.14-arm64",
                "sort-version": "3.14.0rc2",
                "url": "u/b.zip",
                "aliases": [1],
                "shortcuts": [2],
                "run-for": [3],
            },
            b,
        ),
        ({"id": "pythoncore-3.14-64", "sort-version": "3.14.0rc2", "url": "u/a.zip"}, a),
    ]
    index = windows.pymanager_index(installs)
    assert [e["id"] for e in index["versions"]] == ["pythoncore-3.14-64", "pythoncore-3.14-arm64"]
    assert index["versions"][1] == {
        "id": "pythoncore-3.14-arm64",
        "sort-version": "3.14.0rc2",
        "url": "u/b.zip",
        "hash": {"sha256": "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"},
    }
    with pytest.raises(CheckFailed, match="duplicate"):
        windows.pymanager_index([installs[1], installs[1]])


def test_parse_vswhere() -> None:
    out = "C:\\VS\\MSBuild\\Current\\Bin\\MSBuild.exe\r\nC:\\VS\\other\\MSBuild.exe\r\n"
    assert windows.parse_vswhere(out) == "C:\\VS\\MSBuild\\Current\\Bin\\MSBuild.exe"
    with pytest.raises(CheckFailed, match="no MSBuild"):
        windows.parse_vswhere("\n")


def test_installer_steps_use_official_uris(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(CheckFailed, match="run `windows docs` first"):
        windows.installer_steps("msbuild.exe", tmp_path, out, V, "arm64")
    (tmp_path / "Doc" / "build" / "html").mkdir(parents=True)
    (tmp_path / "Doc" / "build" / "html" / "index.html").write_text("<html/>")
    steps = windows.installer_steps("msbuild.exe", tmp_path, out, V, "arm64", "sign code x")
    bundle = steps[-1]
    assert bundle.argv == (
        "msbuild.exe",
        str(tmp_path / "Tools" / "msi" / "bundle" / "releaselocal.wixproj"),
        "/t:Rebuild",
        "/p:RebuildAll=true",
        "/p:Platform=ARM64",
        "/p:BuildForRelease=true",
        f"/p:Py_OutDir={out}",
        "/p:ReleaseUri=http://www.python.org/arm64",
        "/p:DownloadUrl=https://www.python.org/ftp/python/{version}/{arch}{releasename}/{msi}",
        "/p:IncludeFreethreaded=true",
        "/p:_SignCommand=sign code x",
    )
    assert bundle.env["PYTHON"] == str(out / "arm64" / "python.exe")
    assert [s.label for s in steps] == ["WiX toolset", "launcher installer", "arm64 installer"]
    assert "/p:Platform=x86" in steps[1].argv
    old = windows.installer_steps("m", tmp_path, out, ReleaseVersion.parse("3.12.11"), "win32")
    assert "/p:IncludeFreethreaded=true" not in old[-1].argv
    assert "/p:ReleaseUri=http://www.python.org/win32" in old[-1].argv


def test_docs_step(tmp_path: Path) -> None:
    step = windows.docs_step(tmp_path, tmp_path / "out", V, "win32")
    assert step.argv == ("Doc\\make.bat", "html") and step.cwd == tmp_path
    assert step.env == {"PYTHON": str(tmp_path / "out" / "win32" / "python.exe")}


def test_collect_installer(tmp_path: Path) -> None:
    built = tmp_path / "out" / "amd64" / "en-us"
    built.mkdir(parents=True)
    (built / "python-3.14.0rc2-amd64.exe").write_bytes(b"exe")
    (built / "core.msi").write_bytes(b"msi")
    (built / "core.cab").write_bytes(b"cab")
    (built / "core.wixpdb").write_bytes(b"no")
    names = windows.collect_installer(tmp_path / "out", tmp_path / "dist", V, "amd64")
    assert names == ["python-3.14.0rc2-amd64.exe", "amd64rc2/core.cab", "amd64rc2/core.msi"]
    assert (tmp_path / "dist" / "amd64rc2" / "core.msi").read_bytes() == b"msi"
    (built / "python-3.14.0rc2-amd64.exe").unlink()
    with pytest.raises(CheckFailed) as info:
        windows.collect_installer(tmp_path / "out", tmp_path / "dist", V, "amd64")
    assert info.value.problems == ["found: nothing"]


SIGN = {
    "AZURE_TRUSTED_SIGNING_ENDPOINT": "https://eus.codesigning.azure.net/",
    "AZURE_TRUSTED_SIGNING_ACCOUNT": "psf",
    "AZURE_TRUSTED_SIGNING_PROFILE": "python",
    "AZURE_TENANT_ID": "t",
    "AZURE_CLIENT_ID": "c",
    "AZURE_CLIENT_SECRET": "s",
}


def test_signing_config_from_env() -> None:
    assert windows.SigningConfig.from_env({}) is None
    config = windows.SigningConfig.from_env(SIGN)
    assert config == windows.SigningConfig("https://eus.codesigning.azure.net/", "psf", "python")
    partial = {k: v for k, v in SIGN.items() if k != "AZURE_TRUSTED_SIGNING_PROFILE"}
    with pytest.raises(BadInput, match="missing: AZURE_TRUSTED_SIGNING_PROFILE"):
        windows.SigningConfig.from_env(partial)
    with pytest.raises(BadInput, match="AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE"):
        windows.SigningConfig.from_env(
            {k: v for k, v in SIGN.items() if k != "AZURE_CLIENT_SECRET"}
        )


def test_files_to_sign_and_sign_steps(tmp_path: Path) -> None:
    for name in (
        "python.exe",
        "python314.dll",
        "DLLs/_ssl.pyd",
        "DLLs/libssl-3.dll",
        "vcruntime140.dll",
        "DLLs/libffi-8.dll",
        "Lib/venv/Activate.ps1",
        "python.cat",
        "readme.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    files = [p.relative_to(tmp_path).as_posix() for p in windows.files_to_sign(tmp_path)]
    assert files == [
        "DLLs/_ssl.pyd",
        "Lib/venv/Activate.ps1",
        "python.cat",
        "python.exe",
        "python314.dll",
    ]
    config = windows.SigningConfig("https://e/", "acct", "prof")
    steps = windows.sign_steps(config, tmp_path, "Python 3.14.0rc2")
    assert steps[0].argv == (
        "sign",
        "code",
        "trusted-signing",
        "-v",
        "Information",
        "-fd",
        "sha256",
        "-t",
        "http://timestamp.acs.microsoft.com",
        "-td",
        "sha256",
        "-tse",
        "https://e/",
        "-tsa",
        "acct",
        "-tscp",
        "prof",
        "-d",
        "Python 3.14.0rc2",
        "-b",
        str(tmp_path),
        "DLLs/_ssl.pyd",
    )


def test_cli_sign_without_secrets_says_unsigned(
    tmp_path: Path,
    summary: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for var in (*windows.SIGN_ENV.values(), "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["windows", "sign", "3.14.0rc2", str(tmp_path), "--source", str(tmp_path)]) == 0
    assert "::warning::Windows binaries in" in capsys.readouterr().err
    assert "UNSIGNED" in summary.read_text(encoding="utf-8")


def test_cli_require_signed_refuses_unsigned(
    tmp_path: Path,
    summary: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Release mode: no signing secrets fails both signing steps before anything runs."""
    for var in (*windows.SIGN_ENV.values(), "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    assert (
        main(
            [
                "windows",
                "sign",
                "3.14.0rc2",
                str(tmp_path),
                "--source",
                str(tmp_path),
                "--require-signed",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "would not be signed" in err and "allow-unsigned-installers" in err
    assert (
        main(
            [
                "windows",
                "installer",
                "3.14.0rc2",
                "--source",
                str(tmp_path),
                "--out",
                str(tmp_path),
                "--dist",
                str(tmp_path / "dist"),
                "--arch",
                "amd64",
                "--require-signed",
                "--msbuild",
                "msbuild",
            ]
        )
        == 1
    )
    assert "The Windows installer would not be signed" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists()
    assert not summary.exists() or "UNSIGNED" not in summary.read_text(encoding="utf-8")


def test_cli_sign_partial_secrets_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AZURE_TRUSTED_SIGNING_ACCOUNT", "psf")
    assert main(["windows", "sign", "3.14.0rc2", str(tmp_path), "--source", str(tmp_path)]) == 2
    assert "partly configured" in capsys.readouterr().err


def test_cli_build_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "windows",
            "build",
            "3.13.5",
            "--source",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--arch",
            "win32",
            "--dry-run",
        ]
    )
    assert code == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("would run:")]
    assert lines == [
        "would run: 'PCbuild\\build.bat' -e -v -p Win32 -c Release (in " + str(tmp_path) + ")",
        "would run: 'PCbuild\\build.bat' -e -v -p Win32 -d (in " + str(tmp_path) + ")",
        "would run: 'PCbuild\\build.bat' -e -v -p Win32 -c Release --disable-gil (in "
        + str(tmp_path)
        + ")",
        "would run: 'PCbuild\\build.bat' -e -v -p Win32 -d --disable-gil (in "
        + str(tmp_path)
        + ")",
    ]


def test_cli_index(tmp_path: Path) -> None:
    records, packages, dist = tmp_path / "rec", tmp_path / "pkgs", tmp_path / "dist"
    records.mkdir()
    packages.mkdir()
    for arch in ("amd64", "arm64"):
        name = f"python-3.14.0rc2-{arch}.zip"
        (packages / name).write_bytes(arch.encode())
        (records / f"{name}.install.json").write_text(
            json.dumps(
                {
                    "id": f"pythoncore-3.14-{arch}",
                    "sort-version": "3.14.0rc2",
                    "url": f"https://www.python.org/ftp/python/3.14.0/{name}",
                }
            ),
            encoding="utf-8",
        )
    assert (
        main(
            [
                "windows",
                "index",
                "3.14.0rc2",
                "--index-dir",
                str(records),
                "--packages",
                str(packages),
                "--dist",
                str(dist),
            ]
        )
        == 0
    )
    index = json.loads((dist / "windows-3.14.0rc2.json").read_text(encoding="utf-8"))
    assert len(index["versions"]) == 2
    (packages / "python-3.14.0rc2-arm64.zip").unlink()
    assert (
        main(
            [
                "windows",
                "index",
                "3.14.0rc2",
                "--index-dir",
                str(records),
                "--packages",
                str(packages),
                "--dist",
                str(dist),
            ]
        )
        == 1
    )


def test_cli_sign_with_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rec: RecordingRunner, summary: Path
) -> None:
    for k, v in SIGN.items():
        monkeypatch.setenv(k, v)
    build, source = tmp_path / "build", tmp_path / "cpython"
    build.mkdir()
    (build / "python.exe").write_bytes(b"MZ")
    (build / "Activate.ps1").write_text("# signed\n")
    (source / "Lib" / "venv" / "scripts" / "common").mkdir(parents=True)
    monkeypatch.setattr("cpython_release.commands.windows.make_runner", lambda args: rec)
    assert main(["windows", "sign", "3.14.0rc2", str(build), "--source", str(source)]) == 0
    assert [c.argv[-1] for c in rec.calls] == ["Activate.ps1", "python.exe"]
    assert rec.calls[0].argv[rec.calls[0].argv.index("-d") + 1] == "Python 3.14.0rc2"
    assert (source / "Lib" / "venv" / "scripts" / "common" / "Activate.ps1").read_text() == (
        "# signed\n"
    )
    assert "Signed 2 files" in summary.read_text(encoding="utf-8")
    rec.respond(["sign"], returncode=1, stderr="403 Forbidden")
    assert main(["windows", "sign", "3.14.0rc2", str(build), "--source", str(source)]) == 1


def test_cli_layout_and_installer_resolve_a_relative_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands run inside the source tree, so a relative --source (as the workflow
    passes it) must reach PC/layout and MSBuild as an absolute path (found under act)."""
    source = tmp_path / "cpython"
    (source / "Doc" / "build" / "html").mkdir(parents=True)
    (source / "Doc" / "build" / "html" / "index.html").write_text("<html/>")
    monkeypatch.chdir(tmp_path)
    for var in (*windows.SIGN_ENV.values(), "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    assert (
        main(
            [
                "windows",
                "layout",
                "3.13.5",
                "--source",
                "cpython",
                "--out",
                "build",
                "--work",
                "w",
                "--dist",
                "d",
                "--nuget-output",
                "n",
                "--index-dir",
                "i",
                "--created",
                "0",
                "--arch",
                "amd64",
                "--dry-run",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"{source}/PC/layout -vv -s {source} " in out
    assert (
        main(
            [
                "windows",
                "installer",
                "3.13.5",
                "--source",
                "cpython",
                "--out",
                "build",
                "--dist",
                "d",
                "--msbuild",
                "msbuild",
                "--arch",
                "amd64",
                "--dry-run",
            ]
        )
        == 0
    )
    assert f"msbuild {source}/Tools/msi/launcher/launcher.wixproj" in capsys.readouterr().out
