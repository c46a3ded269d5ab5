"""Android and iOS: CPython's own CI scripts build and test; we check and collect.

Android (3.14+): ``python3 Platforms/Android ci --fast-ci <arch>-linux-android``; 3.14 keeps
the tool in ``Android/``, so a compatibility shim links it where 3.15 has it.
iOS (3.15+): ``python3 Platforms/Apple ci iOS --slow-ci``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.inventory import ANDROID_ARCHES
from cpython_release.version import ReleaseVersion


def android_triplet(arch: str) -> str:
    if arch not in ANDROID_ARCHES:
        raise BadInput(
            f"unknown Android architecture {arch!r}: expected one of {', '.join(ANDROID_ARCHES)}"
        )
    return f"{arch}-linux-android"


def check_android(version: ReleaseVersion) -> None:
    if not version.at_least(3, 14):
        raise BadInput(f"Android packages exist from 3.14, not for {version}")


def check_ios(version: ReleaseVersion) -> None:
    if not version.at_least(3, 15):
        raise BadInput(f"iOS frameworks exist from 3.15, not for {version}")


def android_name(version: ReleaseVersion, arch: str) -> str:
    return f"python-{version}-{android_triplet(arch)}.tar.gz"


def ios_name(version: ReleaseVersion) -> str:
    return f"python-{version}-iOS-XCframework.tar.gz"


def ensure_android_tool(source: Path) -> list[str]:
    """Make ``Platforms/Android`` runnable on 3.14 (tool in ``Android/android.py``).

    Returns what was created (empty when the tree already has ``Platforms/Android``).
    """
    target = source / "Platforms" / "Android"
    if target.exists():
        return []
    legacy = source / "Android"
    if not (legacy / "android.py").is_file():
        raise CheckFailed(f"{source} has neither Platforms/Android nor Android/android.py")
    created = []
    (source / "Platforms").mkdir(exist_ok=True)
    target.symlink_to(Path("..") / "Android", target_is_directory=True)
    created.append("Platforms/Android -> ../Android")
    main = legacy / "__main__.py"
    if not main.exists():
        main.symlink_to("android.py")
        created.append("Android/__main__.py -> android.py")
    return created


def android_argv(python: str, arch: str) -> list[str]:
    return [python, str(Path("Platforms") / "Android"), "ci", "--fast-ci", android_triplet(arch)]


def ios_argv(python: str) -> list[str]:
    return [python, str(Path("Platforms") / "Apple"), "ci", "iOS", "--slow-ci"]


def android_dist(source: Path, arch: str) -> Path:
    return source / "cross-build" / android_triplet(arch) / "dist"


def ios_dist(source: Path) -> Path:
    return source / "cross-build" / "dist"


def collect(dist: Path, expected: str, target: Path) -> Path:
    """Copy the one python.org file out of CPython's dist directory."""
    found = sorted(p.name for p in dist.iterdir()) if dist.is_dir() else []
    if expected not in found:
        raise CheckFailed(
            f"the build did not produce {expected} in {dist}",
            [f"found: {', '.join(found) or 'nothing'}"],
        )
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(dist / expected, target / expected)
    return target / expected
