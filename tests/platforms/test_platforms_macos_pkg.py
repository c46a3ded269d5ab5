from __future__ import annotations

import os
import plistlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.platforms import macos_pkg
from cpython_release.version import ReleaseVersion
from platforms.platforms_helpers import make_mac_build_dir

V = ReleaseVersion.parse("3.14.0rc2")


def test_components_follow_the_official_layout(mac_build: Path) -> None:
    components = macos_pkg.plan_components(mac_build, V)
    assert [c.key for c in components] == [
        "PythonFramework",
        "PythonApplications",
        "PythonUnixTools",
        "PythonDocumentation",
        "PythonProfileChanges",
        "PythonInstallPip",
        "PythonInstallCertificates",
    ]
    fw = components[0]
    assert fw.identifier(V) == "org.python.Python.PythonFramework-3.14"
    assert fw.required and fw.install_location == "/Library/Frameworks/Python.framework"
    apps = components[1]
    assert apps.install_location == "/Applications/Python 3.14"
    assert apps.bundles == ("IDLE.app", "Python Launcher.app")


def test_optional_docs_and_free_threaded(tmp_path: Path) -> None:
    build = make_mac_build_dir(tmp_path, docs=False, threaded=True)
    keys = [c.key for c in macos_pkg.plan_components(build, V)]
    assert "PythonDocumentation" not in keys
    assert keys[-1] == "PythonTFramework"
    threaded = macos_pkg.plan_components(build, V)[-1]
    assert not threaded.selected
    assert threaded.install_location == "/Library/Frameworks/PythonT.framework"


def test_missing_postflight_or_framework(mac_build: Path, tmp_path: Path) -> None:
    flight = (
        mac_build
        / "installer"
        / "Python.mpkg"
        / "Contents"
        / "Packages"
        / "PythonInstallPip-3.14.pkg"
        / "Contents"
        / "Resources"
        / "postflight"
    )
    flight.unlink()
    with pytest.raises(CheckFailed, match="no postflight script for PythonInstallPip"):
        macos_pkg.plan_components(mac_build, V)
    with pytest.raises(CheckFailed, match=r"did build-installer\.py run"):
        macos_pkg.plan_components(tmp_path / "nothing", V)


def test_prepare_package(mac_build: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    out = tmp_path / "python-3.14.0rc2-macos11.pkg"
    plan = macos_pkg.prepare_package(mac_build, work, V, out)
    root = mac_build / "_root"
    assert plan.commands[0] == [
        "pkgbuild",
        "--identifier",
        "org.python.Python.PythonFramework-3.14",
        "--version",
        "3.14.0rc2",
        "--root",
        str(root / "Library" / "Frameworks" / "Python.framework"),
        "--install-location",
        "/Library/Frameworks/Python.framework",
        "--component-plist",
        str(work / "plists" / "PythonFramework.plist"),
        "--scripts",
        str(work / "scripts" / "PythonFramework"),
        str(work / "packages" / "Python_Framework.pkg"),
    ]
    pip = plan.commands[5]
    assert pip == [
        "pkgbuild",
        "--identifier",
        "org.python.Python.PythonInstallPip-3.14",
        "--version",
        "3.14.0rc2",
        "--nopayload",
        "--scripts",
        str(work / "scripts" / "PythonInstallPip"),
        str(work / "packages" / "Python_Install_Pip.pkg"),
    ]
    assert plan.commands[-1] == [
        "productbuild",
        "--distribution",
        str(work / "Distribution.xml"),
        "--resources",
        str(work / "resources"),
        "--package-path",
        str(work / "packages"),
        str(out),
    ]
    script = work / "scripts" / "PythonFramework" / "postinstall"
    assert script.read_text(encoding="utf-8") == "#!/bin/sh\necho PythonFramework 3.14\n"
    assert os.access(script, os.X_OK)
    certs = (work / "scripts" / "PythonInstallCertificates" / "postinstall").read_text()
    assert "pip install --disable-pip-version-check --upgrade certifi" in certs
    assert certs.rstrip().endswith("exit 0")
    plist = plistlib.loads((work / "plists" / "PythonFramework.plist").read_bytes())
    assert plist == [
        {
            "BundleHasStrictIdentifier": True,
            "BundleIsRelocatable": False,
            "BundleIsVersionChecked": True,
            "BundleOverwriteAction": "upgrade",
            "RootRelativeBundlePath": "Versions/3.14/Resources/Python.app",
        }
    ]
    assert sorted(p.name for p in (work / "resources").iterdir()) == [
        "Conclusion.rtf",
        "License.rtf",
        "ReadMe.rtf",
        "Welcome.rtf",
    ]


def test_distribution_xml(mac_build: Path, tmp_path: Path) -> None:
    build = make_mac_build_dir(tmp_path / "t", threaded=True)
    plan = macos_pkg.prepare_package(build, tmp_path / "w", V, tmp_path / "o.pkg")
    doc = ET.parse(plan.distribution).getroot()  # noqa: S314 (our own output)
    assert doc.tag == "installer-gui-script"
    outline = [line.get("choice") for line in doc.iter("line")]
    assert outline == [c.identifier(V) for c in plan.components]
    choices = {c.get("id"): c for c in doc.iter("choice")}
    fw = choices["org.python.Python.PythonFramework-3.14"]
    assert (fw.get("start_selected"), fw.get("enabled")) == ("true", "false")
    ft = choices["org.python.Python.PythonTFramework-3.14"]
    assert (ft.get("start_selected"), ft.get("enabled")) == ("false", "true")
    assert ft.get("title") == "Free-threaded Python [experimental]"
    refs = {r.get("id"): r.text for r in doc.findall("pkg-ref")}
    assert refs["org.python.Python.PythonUnixTools-3.14"] == "Python_Command_Line_Tools.pkg"
    assert doc.find("options").get("hostArchitectures") == "arm64,x86_64"  # type: ignore[union-attr]
    assert doc.find("volume-check/allowed-os-versions/os-version").get("min") == "10.15"  # type: ignore[union-attr]
    assert doc.find("license").get("file") == "License.rtf"  # type: ignore[union-attr]


def test_deployment_target_and_name() -> None:
    assert macos_pkg.deployment_target(ReleaseVersion.parse("3.13.5")) == "10.13"
    assert macos_pkg.pkg_name(V) == "python-3.14.0rc2-macos11.pkg"
