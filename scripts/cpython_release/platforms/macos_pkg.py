"""The flat ``python-V-macos11.pkg``: component packages (pkgbuild) and a product (productbuild).

``Mac/BuildScript/build-installer.py`` leaves, in its build directory, the installed tree
in ``_root/`` (``Library/Frameworks/Python.framework``, ``Applications/Python X.Y``,
``usr/local/bin``, optionally ``pydocs`` and ``Library/Frameworks/PythonT.framework``) and
an old-style ``installer/Python.mpkg`` whose component packages hold the version-patched
postflight scripts and whose resources hold the installer texts. This module plans the
same component layout as python.org's installer from that directory, plus an optional
"Install certificates" component.
"""

from __future__ import annotations

import plistlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from cpython_release.errors import CheckFailed
from cpython_release.version import ReleaseVersion

RESOURCE_FILES = ("Welcome.rtf", "ReadMe.rtf", "License.rtf", "Conclusion.rtf", "background.jpg")
FRAMEWORKS = "/Library/Frameworks"


def pkg_name(version: ReleaseVersion) -> str:
    return f"python-{version}-macos11.pkg"


def deployment_target(version: ReleaseVersion) -> str:
    return "10.15" if version.at_least(3, 14) else "10.13"


@dataclass(frozen=True)
class Component:
    key: str  # PythonFramework, ... (python.org's package names)
    title: str
    description: str
    pkg_file: str
    root: Path | None  # payload; None for script-only packages
    install_location: str | None
    postinstall: Path | None  # script to copy as "postinstall"
    postinstall_text: str | None = None  # or a script we write ourselves
    selected: bool = True
    required: bool = False
    bundles: tuple[str, ...] = ()  # RootRelativeBundlePath entries for the component plist

    def identifier(self, version: ReleaseVersion) -> str:
        return f"org.python.Python.{self.key}-{version.minor_version}"


def certificates_script(version: ReleaseVersion) -> str:
    """Install certifi and point OpenSSL's cert.pem at it (what Install Certificates does).

    Network failures must not fail the whole installation: they are logged, and the user
    can still run ``Install Certificates.command`` later.
    """
    mm = version.minor_version
    fw = f"{FRAMEWORKS}/Python.framework/Versions/{mm}"
    return f"""#!/bin/sh
# Install certificates: certifi's CA bundle for this Python's OpenSSL.
PY="{fw}/bin/python{mm}"
if "$PY" -E -s -m pip install --disable-pip-version-check --upgrade certifi \\
    && CERTIFI="$("$PY" -E -s -c 'import certifi; print(certifi.where())')" \\
    && mkdir -p "{fw}/etc/openssl" \\
    && ln -sf "$CERTIFI" "{fw}/etc/openssl/cert.pem"; then
    echo "Python {mm}: installed certifi's certificates"
else
    echo "Python {mm}: could not install certificates; run 'Install Certificates.command'" >&2
fi
exit 0
"""


def _postflight(build_dir: Path, key: str, version: ReleaseVersion) -> Path:
    path = (
        build_dir
        / "installer"
        / "Python.mpkg"
        / "Contents"
        / "Packages"
        / f"{key}-{version.minor_version}.pkg"
        / "Contents"
        / "Resources"
        / "postflight"
    )
    if not path.is_file():
        raise CheckFailed(f"build-installer.py left no postflight script for {key}", [str(path)])
    return path


def plan_components(build_dir: Path, version: ReleaseVersion) -> list[Component]:
    mm = version.minor_version
    root = build_dir / "_root"
    framework = root / "Library" / "Frameworks" / "Python.framework"
    if not framework.is_dir():
        raise CheckFailed(f"no Python.framework in {root}: did build-installer.py run?")
    apps = root / "Applications" / f"Python {mm}"
    unix = root / "usr" / "local" / "bin"
    for required in (apps, unix):
        if not required.is_dir():
            raise CheckFailed(f"build-installer.py left no {required}")
    app_bundles = tuple(sorted(p.name for p in apps.glob("*.app")))
    components = [
        Component(
            "PythonFramework",
            "Python Framework",
            "This package installs Python.framework, that is the python interpreter "
            "and the standard library.",
            "Python_Framework.pkg",
            framework,
            f"{FRAMEWORKS}/Python.framework",
            _postflight(build_dir, "PythonFramework", version),
            required=True,
            bundles=(f"Versions/{mm}/Resources/Python.app",),
        ),
        Component(
            "PythonApplications",
            "GUI Applications",
            "This package installs IDLE (an interactive Python IDE) and Python "
            "Launcher. It also installs a number of examples and demos.",
            "Python_Applications.pkg",
            apps,
            f"/Applications/Python {mm}",
            None,
            bundles=app_bundles,
        ),
        Component(
            "PythonUnixTools",
            "UNIX command-line tools",
            "This package installs the unix tools in /usr/local/bin for compatibility "
            "with older releases of Python. This package is not necessary to use "
            "Python.",
            "Python_Command_Line_Tools.pkg",
            unix,
            "/usr/local/bin",
            None,
        ),
    ]
    docs = root / "pydocs"
    if docs.is_dir():
        components.append(
            Component(
                "PythonDocumentation",
                "Python Documentation",
                "This package installs the python documentation at a location that is usable "
                "for pydoc and IDLE.",
                "Python_Documentation.pkg",
                docs,
                f"{FRAMEWORKS}/Python.framework/Versions/{mm}/Resources/English.lproj/Documentation",
                _postflight(build_dir, "PythonDocumentation", version),
            )
        )
    components += [
        Component(
            "PythonProfileChanges",
            "Shell profile updater",
            "This package updates your shell profile to make sure that the Python "
            "tools are found by your shell in preference of the system provided "
            f"Python tools. If you don't install this package you'll have to add "
            f"'{FRAMEWORKS}/Python.framework/Versions/{mm}/bin' to your PATH by hand.",
            "Python_Shell_Profile_Updater.pkg",
            None,
            None,
            _postflight(build_dir, "PythonProfileChanges", version),
        ),
        Component(
            "PythonInstallPip",
            "Install or upgrade pip",
            "This package installs (or upgrades from an earlier version) pip, a tool "
            "for installing and managing Python packages.",
            "Python_Install_Pip.pkg",
            None,
            None,
            _postflight(build_dir, "PythonInstallPip", version),
        ),
        Component(
            "PythonInstallCertificates",
            "Install certificates",
            "This package installs the certifi package and links its CA certificates "
            "for Python's OpenSSL, as 'Install Certificates.command' does. It needs "
            "network access during the installation.",
            "Python_Install_Certificates.pkg",
            None,
            None,
            None,
            postinstall_text=certificates_script(version),
        ),
    ]
    threaded = root / "Library" / "Frameworks" / "PythonT.framework"
    if threaded.is_dir():
        components.append(
            Component(
                "PythonTFramework",
                "Free-threaded Python [experimental]",
                "This optional package installs a free-threaded Python framework, a separate "
                "interpreter that runs without the global interpreter lock.",
                "PythonT_Framework.pkg",
                threaded,
                f"{FRAMEWORKS}/PythonT.framework",
                _postflight(build_dir, "PythonTFramework", version),
                selected=False,
                bundles=(f"Versions/{mm}/Resources/Python.app",),
            )
        )
    return components


def component_plist(component: Component) -> bytes:
    """pkgbuild's component property list: bundles upgrade in place, never relocate."""
    entries = [
        {
            "BundleHasStrictIdentifier": True,
            "BundleIsRelocatable": False,
            "BundleIsVersionChecked": True,
            "BundleOverwriteAction": "upgrade",
            "RootRelativeBundlePath": path,
        }
        for path in component.bundles
    ]
    return plistlib.dumps(entries, sort_keys=True)


def prepare_scripts(component: Component, work: Path) -> Path | None:
    """Write the component's scripts directory (``postinstall``, mode 755)."""
    if component.postinstall is None and component.postinstall_text is None:
        return None
    scripts = work / "scripts" / component.key
    if scripts.exists():
        shutil.rmtree(scripts)
    scripts.mkdir(parents=True)
    target = scripts / "postinstall"
    if component.postinstall is not None:
        shutil.copyfile(component.postinstall, target)
    else:
        target.write_text(component.postinstall_text or "", encoding="utf-8")
    target.chmod(0o755)
    return scripts


def pkgbuild_argv(
    component: Component,
    version: ReleaseVersion,
    packages: Path,
    scripts: Path | None,
    plist: Path | None,
) -> list[str]:
    argv = ["pkgbuild", "--identifier", component.identifier(version), "--version", str(version)]
    if component.root is None:
        argv.append("--nopayload")
    else:
        argv += [
            "--root",
            str(component.root),
            "--install-location",
            component.install_location or "/",
        ]
        if plist is not None:
            argv += ["--component-plist", str(plist)]
    if scripts is not None:
        argv += ["--scripts", str(scripts)]
    argv.append(str(packages / component.pkg_file))
    return argv


def distribution_xml(
    components: list[Component], version: ReleaseVersion, resources: list[str], min_os: str
) -> str:
    """The Distribution file: the choices users see, their defaults and the packages."""
    lines = [
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>',
        '<installer-gui-script minSpecVersion="2">',
        f"    <title>{escape(f'Python {version}')}</title>",
    ]
    kinds = {
        "Welcome.rtf": "welcome",
        "ReadMe.rtf": "readme",
        "License.rtf": "license",
        "Conclusion.rtf": "conclusion",
    }
    for name in resources:
        if name in kinds:
            lines.append(f'    <{kinds[name]} file={quoteattr(name)} mime-type="text/rtf"/>')
        elif name == "background.jpg":
            lines.append(
                '    <background file="background.jpg" mime-type="image/jpeg" '
                'alignment="left" scaling="proportional"/>'
            )
    lines += [
        '    <options customize="allow" require-scripts="false" hostArchitectures="arm64,x86_64"/>',
        '    <domains enable_anywhere="false" enable_currentUserHome="false" '
        'enable_localSystem="true"/>',
        "    <volume-check>",
        "        <allowed-os-versions>",
        f"            <os-version min={quoteattr(min_os)}/>",
        "        </allowed-os-versions>",
        "    </volume-check>",
        "    <choices-outline>",
    ]
    for c in components:
        lines.append(f"        <line choice={quoteattr(c.identifier(version))}/>")
    lines.append("    </choices-outline>")
    for c in components:
        ident = quoteattr(c.identifier(version))
        selected = "true" if c.selected or c.required else "false"
        enabled = "false" if c.required else "true"
        lines += [
            f'    <choice id={ident} visible="true" start_selected="{selected}" '
            f'enabled="{enabled}"',
            f"        title={quoteattr(c.title)}",
            f"        description={quoteattr(c.description)}>",
            f"        <pkg-ref id={ident}/>",
            "    </choice>",
        ]
    for c in components:
        lines.append(
            f"    <pkg-ref id={quoteattr(c.identifier(version))} "
            f'version={quoteattr(str(version))} onConclusion="none">'
            f"{escape(c.pkg_file)}</pkg-ref>"
        )
    lines.append("</installer-gui-script>")
    return "\n".join(lines) + "\n"


def copy_resources(build_dir: Path, target: Path) -> list[str]:
    """The installer texts build-installer.py prepared (patched with the version)."""
    source = build_dir / "installer" / "Python.mpkg" / "Contents" / "Resources"
    target.mkdir(parents=True, exist_ok=True)
    found = []
    for name in RESOURCE_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, target / name)
            found.append(name)
    if "License.rtf" not in found:
        raise CheckFailed(f"no License.rtf among the installer resources in {source}")
    return found


def productbuild_argv(
    distribution: Path, resources: Path, packages: Path, output: Path
) -> list[str]:
    return [
        "productbuild",
        "--distribution",
        str(distribution),
        "--resources",
        str(resources),
        "--package-path",
        str(packages),
        str(output),
    ]


@dataclass(frozen=True)
class PackagePlan:
    components: list[Component]
    commands: list[list[str]]
    distribution: Path
    output: Path


def prepare_package(
    build_dir: Path, work: Path, version: ReleaseVersion, output: Path
) -> PackagePlan:
    """Write scripts, plists, resources and Distribution; return the commands to run."""
    components = plan_components(build_dir, version)
    packages = work / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    commands = []
    for c in components:
        scripts = prepare_scripts(c, work)
        plist = None
        if c.root is not None:
            plist = work / "plists" / f"{c.key}.plist"
            plist.parent.mkdir(parents=True, exist_ok=True)
            plist.write_bytes(component_plist(c))
        commands.append(pkgbuild_argv(c, version, packages, scripts, plist))
    resources = copy_resources(build_dir, work / "resources")
    distribution = work / "Distribution.xml"
    distribution.write_text(
        distribution_xml(components, version, resources, deployment_target(version)),
        encoding="utf-8",
    )
    commands.append(productbuild_argv(distribution, work / "resources", packages, output))
    return PackagePlan(components, commands, distribution, output)
