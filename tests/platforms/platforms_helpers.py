"""Shared constants and helpers for the platform tests (imported by test modules)."""

from __future__ import annotations

from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def make_mac_build_dir(
    root: Path, mm: str = "3.14", *, docs: bool = True, threaded: bool = False
) -> Path:
    """What build-installer.py leaves behind, reduced to the parts packaging reads."""
    build = root / "build"
    fw = build / "_root" / "Library" / "Frameworks" / "Python.framework" / "Versions" / mm
    (fw / "bin").mkdir(parents=True)
    (fw / "bin" / f"python{mm}").write_bytes(b"\xca\xfe\xba\xbe" + b"\0" * 60)
    (fw / "Resources" / "Python.app" / "Contents" / "MacOS").mkdir(parents=True)
    (fw / "Resources" / "Python.app" / "Contents" / "MacOS" / "Python").write_bytes(
        b"\xcf\xfa\xed\xfe" + b"\0" * 60
    )
    (fw / "lib" / f"python{mm}" / "lib-dynload").mkdir(parents=True)
    (fw / "lib" / f"python{mm}" / "lib-dynload" / "_ssl.cpython-314-darwin.so").write_bytes(
        b"\xca\xfe\xba\xbe" + b"\0" * 60
    )
    (fw / "lib" / "libssl.3.dylib").write_bytes(b"\xca\xfe\xba\xbe" + b"\0" * 60)
    (fw / "lib" / f"python{mm}" / "os.py").write_text("# not Mach-O\n", encoding="utf-8")
    apps = build / "_root" / "Applications" / f"Python {mm}"
    for app in ("IDLE.app", "Python Launcher.app"):
        (apps / app / "Contents" / "MacOS").mkdir(parents=True)
        (apps / app / "Contents" / "MacOS" / "exe").write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 8)
    (apps / "Install Certificates.command").write_text("#!/bin/sh\n", encoding="utf-8")
    (build / "_root" / "usr" / "local" / "bin").mkdir(parents=True)
    (build / "_root" / "usr" / "local" / "bin" / f"python{mm}").symlink_to(
        f"../../../Library/Frameworks/Python.framework/Versions/{mm}/bin/python{mm}"
    )
    keys = ["PythonFramework", "PythonProfileChanges", "PythonInstallPip"]
    if docs:
        (build / "_root" / "pydocs" / "html").mkdir(parents=True)
        (build / "_root" / "pydocs" / "html" / "index.html").write_text("<html/>", encoding="utf-8")
        keys.append("PythonDocumentation")
    if threaded:
        tfw = build / "_root" / "Library" / "Frameworks" / "PythonT.framework" / "Versions" / mm
        (tfw / "bin").mkdir(parents=True)
        (tfw / "bin" / f"python{mm}t").write_bytes(b"\xca\xfe\xba\xbe" + b"\0" * 8)
        keys.append("PythonTFramework")
    packages = build / "installer" / "Python.mpkg" / "Contents" / "Packages"
    for key in keys:
        res = packages / f"{key}-{mm}.pkg" / "Contents" / "Resources"
        res.mkdir(parents=True)
        (res / "postflight").write_text(f"#!/bin/sh\necho {key} {mm}\n", encoding="utf-8")
    resources = build / "installer" / "Python.mpkg" / "Contents" / "Resources"
    resources.mkdir(parents=True)
    for name in ("Welcome.rtf", "ReadMe.rtf", "License.rtf", "Conclusion.rtf"):
        (resources / name).write_text("{\\rtf1 " + name + "}", encoding="utf-8")
    return build
