"""Smoke tests of installed Pythons: what to run on the target, and how to judge it.

The probe is a short program run by the *installed* interpreter; it prints one JSON
object. Parsing and judging that output (and ``lipo``/``otool`` output on macOS) is plain
Python, so it is tested here on Linux against recorded outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cpython_release.errors import CheckFailed
from cpython_release.version import ReleaseVersion

# Runs on the installed Python (any 3.x): module names come as arguments.
PROBE_SCRIPT = """\
import importlib, json, platform, struct, sys, sysconfig
v = sys.version_info
tag = {"alpha": "a", "beta": "b", "candidate": "rc", "final": ""}[v.releaselevel]
out = {
    "version": "%d.%d.%d%s%s" % (v.major, v.minor, v.micro, tag, v.serial if tag else ""),
    "platform": sysconfig.get_platform(),
    "machine": platform.machine(),
    "pointer_bits": struct.calcsize("P") * 8,
    "executable": sys.executable,
    "modules": {},
}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        out["modules"][name] = "ok"
    except Exception as exc:
        out["modules"][name] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(out, sort_keys=True))
"""

WINDOWS_MODULES = (
    "ssl",
    "sqlite3",
    "lzma",
    "bz2",
    "zlib",
    "ctypes",
    "tkinter",
    "_decimal",
    "pyexpat",
    "_hashlib",
    "venv",
)
MACOS_MODULES = (
    "ssl",
    "sqlite3",
    "lzma",
    "bz2",
    "zlib",
    "ctypes",
    "tkinter",
    "_decimal",
    "curses",
    "readline",
    "pyexpat",
    "_hashlib",
    "venv",
)
# A short, representative slice of the test suite: minutes, not an hour.
DEFAULT_TESTS = (
    "test_sys",
    "test_os",
    "test_ssl",
    "test_sqlite3",
    "test_zlib",
    "test_lzma",
    "test_ctypes",
    "test_venv",
)

WINDOWS_PLATFORMS = {"win32": "win32", "amd64": "win-amd64", "arm64": "win-arm64"}
WINDOWS_POINTER_BITS = {"win32": 32, "amd64": 64, "arm64": 64}

HOMEBREW_PREFIXES = ("/opt/homebrew", "/usr/local/Cellar", "/usr/local/opt")


@dataclass(frozen=True)
class Probe:
    version: str
    platform: str
    machine: str
    pointer_bits: int
    executable: str
    modules: dict[str, str]


def parse_probe(stdout: str) -> Probe:
    """The probe's JSON line (the last line that parses; warnings may precede it)."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            data: Any = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        try:
            return Probe(
                version=str(data["version"]),
                platform=str(data["platform"]),
                machine=str(data["machine"]),
                pointer_bits=int(data["pointer_bits"]),
                executable=str(data["executable"]),
                modules={str(k): str(v) for k, v in dict(data["modules"]).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckFailed(f"the smoke-test probe printed incomplete JSON: {exc}") from exc
    raise CheckFailed("the smoke-test probe printed no JSON", stdout.strip().splitlines()[-5:])


def check_probe(
    probe: Probe,
    version: ReleaseVersion,
    *,
    modules: Iterable[str],
    platform: str | None = None,
    platform_suffix: str | None = None,
    pointer_bits: int | None = None,
) -> list[str]:
    problems = []
    if probe.version != str(version):
        problems.append(f"installed Python reports version {probe.version}, expected {version}")
    if platform is not None and probe.platform != platform:
        problems.append(f"platform is {probe.platform}, expected {platform}")
    if platform_suffix is not None and not probe.platform.endswith(platform_suffix):
        problems.append(f"platform is {probe.platform}, expected *{platform_suffix}")
    if pointer_bits is not None and probe.pointer_bits != pointer_bits:
        problems.append(f"pointer size is {probe.pointer_bits} bits, expected {pointer_bits}")
    for name in modules:
        status = probe.modules.get(name, "not probed")
        if status != "ok":
            problems.append(f"import {name} failed: {status}")
    return problems


def parse_lipo_archs(stdout: str) -> set[str]:
    """``lipo -archs FILE`` prints the architectures on one line."""
    return set(stdout.split())


def check_universal2(archs: set[str], path: str) -> list[str]:
    missing = {"x86_64", "arm64"} - archs
    if missing:
        return [
            f"{path}: architectures {' '.join(sorted(archs)) or '(none)'}, "
            f"missing {' '.join(sorted(missing))}"
        ]
    return []


def parse_otool_libraries(stdout: str) -> dict[str, list[str]]:
    """``otool -L A B ...``: map each object (``A:`` lines) to the libraries it loads."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in stdout.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace() and line.rstrip().endswith(":"):
            current = line.rstrip()[:-1]
            # "lib.so (architecture arm64):" for fat files
            current = re.sub(r" \(architecture [^)]*\)$", "", current)
            out.setdefault(current, [])
            continue
        if current is None:
            continue
        lib = re.sub(r"\s*\(compatibility version.*\)$", "", line.strip())
        if lib not in out[current]:
            out[current].append(lib)
    return out


def homebrew_references(
    libraries: dict[str, list[str]], prefixes: Sequence[str] = HOMEBREW_PREFIXES
) -> list[str]:
    problems = []
    for obj, libs in sorted(libraries.items()):
        for lib in libs:
            if lib.startswith(tuple(prefixes)):
                problems.append(f"{obj} links {lib}")
    return problems
