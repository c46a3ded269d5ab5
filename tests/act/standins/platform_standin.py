#!/usr/bin/env python3
"""Recorded stand-ins for the Windows and macOS steps a Linux host cannot run, for act.

tests/act_harness.py replaces exactly the steps listed in its PLATFORM_ONLY table with
``python3 "$ACT_STANDIN_DIR/platform_standin.py" COMMAND``; every other step of the Windows
and macOS jobs runs the real toolkit. The stand-ins write what the real tools leave behind, in
the places the next steps read it: python.org's file names (the toolkit's own naming rules are
mirrored here, not imported, so a change in one shows up as a failure), the MSI parts in
``<arch><pre>/``, real zip files with the members PC/layout puts in them, and a framework build
tree in build-installer.py's shape. Payloads are deterministic bytes of fixed, per-kind sizes
(small: the real installers are tens of MB).

Three stand-ins are tools the real toolkit calls, not steps:
- ``pc-layout``: ``build/<arch>/python.exe`` as written by ``windows-build`` (PC/layout);
- ``nuget``, ``pkgbuild``, ``productbuild``: on PATH from tests/act/standins/bin.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import zipfile
from pathlib import Path

# payload sizes in bytes, per kind of file (the real ones are 1000-4000 times larger)
SIZES = {
    "installer": 27_013,
    "msi": 4_096,
    "cab": 9_001,
    "binary": 2_048,
    "pkg-payload": 16_384,
}
# the MSI parts Tools/msi builds (bundle/packagegroups), for 3.13
MSI_PARTS = [
    "core.msi",
    "core_d.msi",
    "core_pdb.msi",
    "dev.msi",
    "dev_d.msi",
    "doc.msi",
    "exe.msi",
    "exe_d.msi",
    "exe_pdb.msi",
    "freethreaded.msi",
    "freethreaded_d.msi",
    "freethreaded_pdb.msi",
    "launcher.msi",
    "lib.msi",
    "lib_d.msi",
    "lib_pdb.msi",
    "path.msi",
    "pip.msi",
    "tcltk.msi",
    "tcltk_d.msi",
    "tcltk_pdb.msi",
    "test.msi",
    "test_d.msi",
    "test_pdb.msi",
    "ucrt.msi",
    "appendpath.msi",
]
CABS = ["core.cab", "lib.cab", "test.cab", "tcltk.cab", "exe.cab", "dev.cab", "doc.cab"]
NUGET_IDS = {"amd64": "python", "win32": "pythonx86", "arm64": "pythonarm64"}


def payload(name: str, size: int) -> bytes:
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"stand-in wrote {path} ({len(data)} bytes)")


def version() -> str:
    v = os.environ.get("VERSION", "")
    if not re.fullmatch(r"3\.\d+\.\d+((a|b|rc)\d+)?", v):
        sys.exit(f"platform stand-in: VERSION {v!r} is not a release version")
    return v


def split(v: str) -> tuple[str, str]:
    """('3.13', '') or ('3.14', 'rc2') from a version."""
    m = re.fullmatch(r"(3\.\d+)\.\d+((?:a|b|rc)\d+)?", v)
    assert m
    return m[1], m[2] or ""


def arch() -> str:
    a = os.environ.get("ARCH", "")
    if a not in NUGET_IDS:
        sys.exit(f"platform stand-in: ARCH {a!r} is not a Windows architecture")
    return a


# --- Windows ----------------------------------------------------------------------------
LAYOUT_PYTHON = """#!/usr/bin/env -S python3 -I
# python.exe as built by PCbuild, reduced to what the release uses it for: PC/layout
import os, sys
sys.path.insert(0, os.environ["ACT_STANDIN_DIR"])
import platform_standin
platform_standin.pc_layout(sys.argv[1:])
"""


def windows_build() -> None:
    """PCbuild's output in Py_OutDir/<arch>: release, debug and free-threaded binaries."""
    v, a = version(), arch()
    mm, _ = split(v)
    xy = mm.replace(".", "")
    out = Path("build") / a
    python = out / "python.exe"
    write(python, LAYOUT_PYTHON.encode())
    python.chmod(0o755)
    for name in (
        "pythonw.exe",
        "python_d.exe",
        f"python{mm}t.exe",
        "python3.dll",
        f"python{xy}.dll",
        f"python{xy}_d.dll",
        f"python{xy}t.dll",
        "vcruntime140.dll",
        "vcruntime140_1.dll",
        "_ssl.pyd",
        "_ctypes.pyd",
        "_sqlite3.pyd",
        "libcrypto-3.dll",
        "libssl-3.dll",
        "sqlite3.dll",
        "python.cat",
        f"python{xy}.pdb",
    ):
        write(out / name, payload(f"{v}/{a}/{name}", SIZES["binary"]))
    write(out / "Activate.ps1", b"# venv activation script, signed on Windows\r\n")


def windows_sign_tool() -> None:
    """`dotnet tool install sign` from the toolkit's manifest and nuget.config (no .NET here):
    checks what the real step reads is there and pins one exact version, installs nothing, so
    the next step signs nothing (no secrets under act either)."""
    root = Path(os.environ["TOOLKIT"])
    tools = json.loads((root / ".config" / "dotnet-tools.json").read_text(encoding="utf-8"))
    version = tools["tools"]["sign"]["version"]
    if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", version):
        sys.exit(f"sign tool version {version!r} is not one exact version")
    config = (root / "nuget.config").read_text(encoding="utf-8")
    if 'key="signatureValidationMode" value="require"' not in config:
        sys.exit("nuget.config does not require signed packages")
    print(f"sign tool stand-in: would install sign {version} (signatures required)")


def windows_docs() -> None:
    v = version()
    html = Path("cpython") / "Doc" / "build" / "html"
    write(html / "index.html", f"<html><title>Python {v} documentation</title></html>".encode())
    write(html / "library" / "index.html", b"<html><title>The Python Standard Library</title>")


def installer_name(v: str, a: str) -> str:
    return f"python-{v}.exe" if a == "win32" else f"python-{v}-{a}.exe"


def windows_installer() -> None:
    """The WiX bundle and its parts, as `windows installer` copies them into dist/."""
    v, a = version(), arch()
    _, pre = split(v)
    if os.environ.get("REQUIRE_SIGNED") and not os.environ.get("AZURE_CLIENT_SECRET"):
        sys.exit(
            "The Windows installer would not be signed, and this release requires signed "
            "installers (stand-in for `windows installer --require-signed`)"
        )
    dist = Path("dist")
    write(dist / installer_name(v, a), payload(f"{v}/{a}/bundle", SIZES["installer"]))
    for part in MSI_PARTS + CABS:
        kind = "msi" if part.endswith(".msi") else "cab"
        write(dist / f"{a}{pre}" / part, payload(f"{v}/{a}/{part}", SIZES[kind]))


def windows_smoke() -> None:
    v, a = version(), arch()
    installer = Path("dist") / installer_name(v, a)
    if not installer.is_file():
        sys.exit(f"platform stand-in: no installer {installer}")
    bits = {"win32": "32bit", "amd64": "64bit", "arm64": "64bit"}[a]
    print(
        f"recorded smoke test of {installer.name}: installed per user; "
        f"Python {v} ({bits}, {a}); stdlib extension modules import; pip ok; uninstalled"
    )


def pc_layout(argv: list[str]) -> None:
    """PC/layout's outputs for the presets the toolkit asks for (embed zip, nuget, PyManager)."""
    args: dict[str, str] = {}
    flags: set[str] = set()
    it = iter(argv[1:])  # argv[0] is the PC/layout directory
    for arg in it:
        if arg in ("-s", "-b", "-t", "--arch", "--zip", "--copy"):
            args[arg] = next(it)
        else:
            flags.add(arg)
    source = Path(args["-s"])
    text = (source / "Include" / "patchlevel.h").read_text(encoding="utf-8")
    m = re.search(r'#define PY_VERSION\s+"([^"]+)"', text)
    if not m:
        sys.exit("PC/layout stand-in: no PY_VERSION in Include/patchlevel.h")
    v, a = m[1], args["--arch"]
    mm, _ = split(v)
    xy = mm.replace(".", "")
    build = Path(args["-b"])
    members = {
        "python.exe": b"",
        "pythonw.exe": b"",
        f"python{xy}.dll": b"",
        "python3.dll": b"",
        "vcruntime140.dll": b"",
        "_ssl.pyd": b"",
        "libcrypto-3.dll": b"",
        f"python{xy}._pth": f"python{xy}.zip\n.\n".encode(),
        f"python{xy}.zip": b"PK",
        "LICENSE.txt": b"PSF LICENSE AGREEMENT\n",
    }
    if "--zip" in args:
        target = Path(args["--zip"])
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                source_file = build / name
                zf.writestr(name, source_file.read_bytes() if source_file.is_file() else data)
        print(f"PC/layout stand-in wrote {target}")
        return
    target = Path(args["--copy"])
    target.mkdir(parents=True, exist_ok=True)
    if "--preset-nuget" in flags:
        nuspec = (
            f'<?xml version="1.0"?><package><metadata><id>{NUGET_IDS[a]}</id>'
            f"<version>{v}</version><authors>Python Software Foundation</authors>"
            "</metadata></package>"
        )
        (target / "python.nuspec").write_text(nuspec, encoding="utf-8")
        for name, data in members.items():
            write(target / "tools" / name, data or payload(name, 64))
    else:
        write(target / "python.exe", payload("python.exe", 64))
        xyz = re.match(r"3\.\d+\.\d+", v)
        assert xyz
        url = f"https://www.python.org/ftp/python/{xyz[0]}/{target.name}.zip"
        install = {
            "id": f"pythoncore-{target.name}",
            "sort-version": v,
            "url": url,
            "display-name": f"Python {v}",
            "executable": "python.exe",
        }
        (target / "__install__.json").write_text(json.dumps(install), encoding="utf-8")
    print(f"PC/layout stand-in laid out {target}")


def nuget(argv: list[str]) -> None:
    """`nuget pack SPEC -BasePath DIR -OutputDirectory OUT ...`: a .nupkg (a zip)."""
    if argv[:1] != ["pack"]:
        sys.exit(f"nuget stand-in: only `pack`, not {argv}")
    spec = Path(argv[1])
    opts = dict(zip(argv[2::2], argv[3::2], strict=False))
    text = spec.read_text(encoding="utf-8")
    m = re.search(r"<id>([^<]+)</id>.*<version>([^<]+)</version>", text)
    if not m:
        sys.exit(f"nuget stand-in: {spec} has no id and version")
    out = Path(opts["-OutputDirectory"])
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{m[1]}.{m[2]}.nupkg"
    base = Path(opts["-BasePath"])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(base.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(base).as_posix())
    print(f"nuget stand-in packed {target}")


# --- macOS ------------------------------------------------------------------------------
def macos_build() -> None:
    """What Mac/BuildScript/build-installer.py leaves in build/: the framework tree under
    _root and the component packages' resources under installer/Python.mpkg."""
    v = version()
    mm, _ = split(v)
    xy = mm.replace(".", "")
    build = Path("build")
    root = build / "_root"
    for fw_name, suffix in (("Python.framework", ""), ("PythonT.framework", "t")):
        fw = root / "Library" / "Frameworks" / fw_name / "Versions" / mm
        write(fw / "bin" / f"python{mm}{suffix}", b"\xca\xfe\xba\xbe" + payload(fw_name, 60))
        dynload = fw / "lib" / f"python{mm}{suffix}" / "lib-dynload"
        write(dynload / f"_ssl.cpython-{xy}{suffix}-darwin.so", b"\xca\xfe\xba\xbe" + b"\0" * 60)
        write(fw / "lib" / "libssl.3.dylib", b"\xca\xfe\xba\xbe" + b"\0" * 60)
        write(fw / "lib" / f"python{mm}{suffix}" / "os.py", b"# os\n")
        app = fw / "Resources" / "Python.app" / "Contents" / "MacOS" / "Python"
        write(app, b"\xcf\xfa\xed\xfe" + b"\0" * 60)
    apps = root / "Applications" / f"Python {mm}"
    for name in ("IDLE.app", "Python Launcher.app"):
        write(apps / name / "Contents" / "MacOS" / "exe", b"\xcf\xfa\xed\xfe" + b"\0" * 8)
    write(apps / "Install Certificates.command", b"#!/bin/sh\n")
    local_bin = root / "usr" / "local" / "bin"
    local_bin.mkdir(parents=True, exist_ok=True)
    link = local_bin / f"python{mm}"
    if not link.is_symlink():
        link.symlink_to(
            f"../../../Library/Frameworks/Python.framework/Versions/{mm}/bin/python{mm}"
        )
    write(root / "pydocs" / "html" / "index.html", b"<html/>")
    keys = [
        "PythonFramework",
        "PythonTFramework",
        "PythonProfileChanges",
        "PythonInstallPip",
        "PythonDocumentation",
    ]
    packages = build / "installer" / "Python.mpkg" / "Contents" / "Packages"
    for key in keys:
        write(
            packages / f"{key}-{mm}.pkg" / "Contents" / "Resources" / "postflight",
            f"#!/bin/sh\necho {key} {mm}\n".encode(),
        )
    resources = build / "installer" / "Python.mpkg" / "Contents" / "Resources"
    for name in ("ReadMe.rtf", "License.rtf", "Welcome.rtf", "Conclusion.rtf"):
        write(resources / name, b"{\\rtf1 stand-in}")
    write(resources / "background.jpg", payload("background.jpg", 256))


def pkgbuild(argv: list[str]) -> None:
    target = Path(argv[-1])
    write(target, b"xar!" + payload(" ".join(argv[:-1]), SIZES["pkg-payload"]))


def productbuild(argv: list[str]) -> None:
    target = Path(argv[-1])
    write(target, b"xar!" + payload("productbuild " + " ".join(argv[:-1]), SIZES["pkg-payload"]))


def macos_smoke() -> None:
    v = version()
    pkg = Path("dist") / f"python-{v}-macos11.pkg"
    if not pkg.is_file() or pkg.read_bytes()[:4] != b"xar!":
        sys.exit(f"platform stand-in: no installer package {pkg}")
    print(
        f"recorded smoke test of {pkg.name}: installed; lipo -archs: x86_64 arm64; "
        f"Python {v}; ssl, sqlite3, tkinter import; pip ok"
    )


COMMANDS = {
    "windows-build": windows_build,
    "windows-docs": windows_docs,
    "windows-sign-tool": windows_sign_tool,
    "windows-installer": windows_installer,
    "windows-smoke": windows_smoke,
    "macos-build": macos_build,
    "macos-smoke": macos_smoke,
}
TOOLS = {"nuget": nuget, "pkgbuild": pkgbuild, "productbuild": productbuild}

if __name__ == "__main__":
    if sys.argv[1] in TOOLS:
        TOOLS[sys.argv[1]](sys.argv[2:])
    else:
        COMMANDS[sys.argv[1]]()
