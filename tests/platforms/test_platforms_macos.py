from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.platforms import macos, smoke
from cpython_release.platforms.runner import CommandFailed, RecordingRunner
from cpython_release.version import ReleaseVersion
from platforms.platforms_helpers import make_mac_build_dir

V = ReleaseVersion.parse("3.14.0rc2")
P12 = base64.b64encode(b"p12-bytes").decode()
SIGN_ENV = {
    "MACOS_APPLICATION_CERTIFICATE_P12": P12,
    "MACOS_INSTALLER_CERTIFICATE_P12": P12,
    "MACOS_CERTIFICATE_PASSWORD": "p12-password-xyz",
    "MACOS_APPLICATION_IDENTITY": "Developer ID Application: PSF (TEAM)",
    "MACOS_INSTALLER_IDENTITY": "Developer ID Installer: PSF (TEAM)",
}
NOTARY_ENV = {
    "MACOS_NOTARY_KEY": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
    "MACOS_NOTARY_KEY_ID": "KEY123",
    "MACOS_NOTARY_ISSUER_ID": "issuer-uuid",
}


def test_parse_patchlevel_and_check(tmp_path: Path) -> None:
    header = tmp_path / "Include" / "patchlevel.h"
    header.parent.mkdir()
    header.write_text('#define PY_MINOR_VERSION 14\n#define PY_VERSION      "3.14.0rc2"\n')
    macos.check_source_version(tmp_path, V)
    with pytest.raises(CheckFailed, match=r"is Python 3\.14\.0rc2, expected 3\.14\.0rc3"):
        macos.check_source_version(tmp_path, ReleaseVersion.parse("3.14.0rc3"))
    with pytest.raises(CheckFailed, match="no PY_VERSION"):
        macos.parse_patchlevel("#define X 1\n")


def test_build_installer_argv_and_cli(
    tmp_path: Path, rec: RecordingRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Include").mkdir()
    (tmp_path / "Include" / "patchlevel.h").write_text('#define PY_VERSION "3.13.5"\n')
    monkeypatch.setattr("cpython_release.commands.macos.make_runner", lambda args: rec)
    assert (
        main(
            [
                "macos",
                "build",
                "3.13.5",
                "--source",
                str(tmp_path),
                "--build-dir",
                str(tmp_path / "b"),
                "--third-party",
                str(tmp_path / "t"),
                "--work",
                str(tmp_path / "w"),
            ]
        )
        == 0
    )
    assert rec.calls[0].argv == (
        "python3",
        "build-installer.py",
        "--universal-archs=universal2",
        "--dep-target=10.13",
        f"--build-dir={tmp_path / 'b'}",
        f"--third-party={tmp_path / 't'}",
    )
    assert rec.calls[0].cwd == tmp_path / "Mac" / "BuildScript"
    assert (tmp_path / "t").is_dir()
    tools = Path(rec.calls[0].env["SDK_TOOLS_BIN"])
    assert [p.name for p in tools.iterdir()] == ["python3"]
    assert (tools / "python3").resolve() == Path(shutil.which("python3") or "").resolve()


def test_build_with_release_docs(
    tmp_path: Path, rec: RecordingRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Include").mkdir()
    (tmp_path / "Include" / "patchlevel.h").write_text('#define PY_VERSION "3.14.0rc2"\n')
    docs = tmp_path / "docs"
    docs.mkdir()
    monkeypatch.setattr("cpython_release.commands.macos.make_runner", lambda args: rec)
    argv = [
        "macos",
        "build",
        "3.14.0rc2",
        "--source",
        str(tmp_path),
        "--build-dir",
        str(tmp_path / "b"),
        "--third-party",
        str(tmp_path / "t"),
        "--work",
        str(tmp_path / "w"),
        "--docs-dir",
        str(docs),
    ]
    assert main(argv) == 2 and rec.calls == []
    (docs / "python-3.14.0rc2-docs-html.tar.bz2").write_bytes(b"BZh")
    assert main(argv) == 0
    assert (tmp_path / "t" / "python-3.14.0rc2-docs-html.tar.bz2").read_bytes() == b"BZh"
    with pytest.raises(BadInput, match="no Python interpreter"):
        macos.tools_bin(tmp_path / "x", "no-such-python-xyz")


def test_signing_from_env() -> None:
    assert macos.signing_from_env({}) is None
    s = macos.signing_from_env(SIGN_ENV)
    assert s is not None and s.application_p12 == b"p12-bytes"
    with pytest.raises(BadInput, match="missing: MACOS_INSTALLER_IDENTITY"):
        macos.signing_from_env(
            {k: v for k, v in SIGN_ENV.items() if k != "MACOS_INSTALLER_IDENTITY"}
        )
    with pytest.raises(BadInput, match="not base64"):
        macos.signing_from_env({**SIGN_ENV, "MACOS_INSTALLER_CERTIFICATE_P12": "!!"})
    assert macos.notary_from_env(NOTARY_ENV) == macos.NotarySecrets(
        NOTARY_ENV["MACOS_NOTARY_KEY"], "KEY123", "issuer-uuid"
    )
    with pytest.raises(BadInput, match="notarization is partly configured"):
        macos.notary_from_env({"MACOS_NOTARY_KEY_ID": "x"})


def test_temporary_keychain_commands_and_cleanup(rec: RecordingRunner, tmp_path: Path) -> None:
    signing = macos.signing_from_env(SIGN_ENV)
    assert signing is not None
    rec.respond(["security", "list-keychains"], stdout='    "/Users/r/login.keychain-db"\n')
    with macos.temporary_keychain(rec, signing, tmp_path) as kc:
        assert (kc.secrets_dir / "application.p12").read_bytes() == b"p12-bytes"
        assert oct(kc.secrets_dir.stat().st_mode & 0o777) == "0o700"
        secrets_dir = kc.secrets_dir
    assert not secrets_dir.exists()
    argvs = rec.argvs()
    kcp = str(kc.path)
    assert argvs[0] == ("security", "create-keychain", "-p", kc.password, kcp)
    imports = [a for a in argvs if a[1] == "import"]
    assert imports[0] == (
        "security",
        "import",
        str(secrets_dir / "application.p12"),
        "-k",
        kcp,
        "-P",
        "p12-password-xyz",
        "-T",
        "/usr/bin/codesign",
        "-T",
        "/usr/bin/productsign",
    )
    assert (
        "security",
        "list-keychains",
        "-d",
        "user",
        "-s",
        kcp,
        "/Users/r/login.keychain-db",
    ) in argvs
    assert argvs[-1] == ("security", "delete-keychain", kcp)
    for call in rec.calls:
        if kc.password in call.argv or "p12-password-xyz" in call.argv:
            assert set(call.redact) >= {kc.password, "p12-password-xyz"}


def test_temporary_keychain_cleans_up_after_failure(rec: RecordingRunner, tmp_path: Path) -> None:
    signing = macos.signing_from_env(SIGN_ENV)
    assert signing is not None
    rec.respond(["security", "import"], returncode=1, stderr="wrong password p12-password-xyz")
    with pytest.raises(CommandFailed) as info, macos.temporary_keychain(rec, signing, tmp_path):
        pass
    assert "p12-password-xyz" not in str(info.value)
    assert rec.argvs()[-1][:2] == ("security", "delete-keychain")
    assert list(tmp_path.iterdir()) == []


def test_codesign_targets_inside_out(tmp_path: Path) -> None:
    build = make_mac_build_dir(tmp_path)
    fw_root = build / "_root" / "Library" / "Frameworks"
    targets = [t.relative_to(fw_root).as_posix() for t in macos.codesign_targets(fw_root)]
    base = "Python.framework/Versions/3.14"
    assert targets == [
        f"{base}/lib/python3.14/lib-dynload/_ssl.cpython-314-darwin.so",
        f"{base}/bin/python3.14",
        f"{base}/lib/libssl.3.dylib",
        f"{base}/Resources/Python.app",
    ]
    apps = build / "_root" / "Applications"
    assert [t.name for t in macos.codesign_targets(apps)] == ["IDLE.app", "Python Launcher.app"]


def test_notarize_accepted_and_rejected(rec: RecordingRunner, tmp_path: Path) -> None:
    notary = macos.NotarySecrets("KEY", "KID", "ISS")
    pkg = tmp_path / "p.pkg"
    rec.respond(
        ["xcrun", "notarytool", "submit"], stdout=json.dumps({"id": "sub-1", "status": "Accepted"})
    )
    assert macos.notarize(rec, pkg, notary) == "sub-1"
    submit = rec.calls[0].argv
    assert submit[:4] == ("xcrun", "notarytool", "submit", str(pkg))
    assert submit[-6:-4] == ("--key", submit[-5]) and submit[-5].endswith("AuthKey_KID.p8")
    assert submit[-4:] == ("--key-id", "KID", "--issuer", "ISS")
    assert not Path(submit[-5]).exists()
    assert rec.argvs()[1:] == [
        ("xcrun", "stapler", "staple", str(pkg)),
        ("xcrun", "stapler", "validate", str(pkg)),
    ]
    bad = RecordingRunner()
    bad.respond(
        ["xcrun", "notarytool", "submit"], stdout=json.dumps({"id": "sub-2", "status": "Invalid"})
    )
    bad.respond(["xcrun", "notarytool", "log"], stdout='{"issues": ["unsigned binary"]}')
    with pytest.raises(CheckFailed, match="ended 'Invalid'") as info:
        macos.notarize(bad, pkg, notary)
    assert info.value.problems == ['{"issues": ["unsigned binary"]}']
    assert not any(a[1] == "stapler" for a in bad.argvs())
    with pytest.raises(CheckFailed, match="no JSON"):
        macos.parse_notary_result("Error: HTTP 401")


def test_cli_package_unsigned(
    tmp_path: Path, rec: RecordingRunner, summary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (*macos.SIGN_ENV.values(), *macos.NOTARY_ENV.values()):
        monkeypatch.delenv(var, raising=False)
    build = make_mac_build_dir(tmp_path)
    work, dist = tmp_path / "work", tmp_path / "dist"

    def fake(call):  # type: ignore[no-untyped-def]
        if call.argv[0] == "productbuild":
            Path(call.argv[-1]).write_bytes(b"xar!")
        return None

    rec.responders.append(fake)
    monkeypatch.setattr("cpython_release.commands.macos.make_runner", lambda args: rec)
    assert (
        main(
            [
                "macos",
                "package",
                "3.14.0rc2",
                "--build-dir",
                str(build),
                "--work",
                str(work),
                "--dist",
                str(dist),
            ]
        )
        == 0
    )
    assert (dist / "python-3.14.0rc2-macos11.pkg").read_bytes() == b"xar!"
    assert [a[0] for a in rec.argvs()] == ["pkgbuild"] * 7 + ["productbuild"]
    assert "UNSIGNED" in summary.read_text(encoding="utf-8")


def test_cli_package_require_signed(
    tmp_path: Path,
    rec: RecordingRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Release mode: unsigned, or signed but not notarized, fails before pkgbuild runs."""
    for var in (*macos.SIGN_ENV.values(), *macos.NOTARY_ENV.values()):
        monkeypatch.delenv(var, raising=False)
    build = make_mac_build_dir(tmp_path)
    monkeypatch.setattr("cpython_release.commands.macos.make_runner", lambda args: rec)
    argv = [
        "macos",
        "package",
        "3.14.0rc2",
        "--build-dir",
        str(build),
        "--work",
        str(tmp_path / "w"),
        "--dist",
        str(tmp_path / "d"),
        "--require-signed",
    ]
    assert main(argv) == 1
    assert "would not be signed and notarized" in capsys.readouterr().err
    for k, v in SIGN_ENV.items():
        monkeypatch.setenv(k, v)
    assert main(argv) == 1
    assert rec.argvs() == []


def test_cli_package_signed_and_notarized(
    tmp_path: Path, rec: RecordingRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in {**SIGN_ENV, **NOTARY_ENV}.items():
        monkeypatch.setenv(k, v)
    build = make_mac_build_dir(tmp_path)
    rec.respond(
        ["xcrun", "notarytool", "submit"], stdout=json.dumps({"id": "s", "status": "Accepted"})
    )
    monkeypatch.setattr("cpython_release.commands.macos.make_runner", lambda args: rec)
    assert (
        main(
            [
                "macos",
                "package",
                "3.14.0rc2",
                "--build-dir",
                str(build),
                "--work",
                str(tmp_path / "w"),
                "--dist",
                str(tmp_path / "d"),
            ]
        )
        == 0
    )
    tools = [a[0] if a[0] != "xcrun" else f"xcrun {a[1]}" for a in rec.argvs()]
    first_pkgbuild = tools.index("pkgbuild")
    assert tools.count("codesign") == 2 and tools.index("codesign") < first_pkgbuild
    order = [
        "productbuild",
        "productsign",
        "security",
        "xcrun notarytool",
        "xcrun stapler",
        "pkgutil",
    ]
    positions = [max(i for i, t in enumerate(tools) if t == name) for name in order]
    assert positions == sorted(positions)
    sign = next(a for a in rec.argvs() if a[0] == "productsign")
    assert sign[1:3] == ("--sign", "Developer ID Installer: PSF (TEAM)")
    assert sign[-1] == str(tmp_path / "d" / "python-3.14.0rc2-macos11.pkg")


def test_cli_package_notary_without_signing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in macos.SIGN_ENV.values():
        monkeypatch.delenv(var, raising=False)
    for k, v in NOTARY_ENV.items():
        monkeypatch.setenv(k, v)
    assert (
        main(
            [
                "macos",
                "package",
                "3.14.0rc2",
                "--build-dir",
                str(tmp_path),
                "--work",
                str(tmp_path),
                "--dist",
                str(tmp_path),
            ]
        )
        == 2
    )


OTOOL_OK = (
    "/Library/Frameworks/Python.framework/Versions/3.14/bin/python3.14:\n"
    "\t/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1.0)\n"
)


def _mac_smoke(
    tmp_path: Path, rec: RecordingRunner, monkeypatch: pytest.MonkeyPatch, otool: str = OTOOL_OK
) -> int:
    py = "/Library/Frameworks/Python.framework/Versions/3.14/bin/python3.14"
    rec.respond(["lipo", "-archs"], stdout="x86_64 arm64\n")
    rec.respond(["otool", "-L"], stdout=otool)
    rec.respond(
        [py, "-c", smoke.PROBE_SCRIPT],
        stdout=json.dumps(
            {
                "version": "3.14.0rc2",
                "platform": "macosx-10.15-universal2",
                "machine": "arm64",
                "pointer_bits": 64,
                "executable": py,
                "modules": dict.fromkeys(smoke.MACOS_MODULES, "ok"),
            }
        ),
    )
    monkeypatch.setattr("cpython_release.commands.macos.make_runner", lambda args: rec)
    (tmp_path / "python-3.14.0rc2-macos11.pkg").write_bytes(b"xar!")
    return main(["macos", "smoke", "3.14.0rc2", "--dist", str(tmp_path)])


def test_cli_smoke_ok(
    tmp_path: Path, rec: RecordingRunner, monkeypatch: pytest.MonkeyPatch, summary: Path
) -> None:
    assert _mac_smoke(tmp_path, rec, monkeypatch) == 0
    argvs = rec.argvs()
    assert argvs[0] == (
        "sudo",
        "installer",
        "-pkg",
        str(tmp_path / "python-3.14.0rc2-macos11.pkg"),
        "-target",
        "/",
    )
    py = "/Library/Frameworks/Python.framework/Versions/3.14/bin/python3.14"
    assert argvs[1] == ("lipo", "-archs", py)
    assert argvs[4] == (py, "-m", "test.pythoninfo")
    assert argvs[5][:3] == (py, "-m", "venv")
    assert argvs[6][-2:] == ("--disable-pip-version-check", "packaging")
    assert argvs[7][-1] == "https://www.python.org/"
    assert "| no Homebrew libraries | ok |" in summary.read_text(encoding="utf-8")


def test_cli_smoke_homebrew_fails(
    tmp_path: Path,
    rec: RecordingRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = OTOOL_OK + "\t/opt/homebrew/lib/libintl.8.dylib (compatibility version 1.0.0)\n"
    rec.respond(["sudo"], returncode=0)
    rec.respond(["lipo", "-archs"], stdout="arm64\n")
    assert _mac_smoke(tmp_path, rec, monkeypatch, bad) == 1
    err = capsys.readouterr().err
    assert "links /opt/homebrew/lib/libintl.8.dylib" in err
    assert "missing x86_64" in err
