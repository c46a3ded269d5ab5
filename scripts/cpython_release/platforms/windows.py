"""Windows: build, layout, installer, signing and smoke test, as planned command lines.

The recipe follows CPython's ``PCbuild/``, ``PC/layout`` and ``Tools/msi`` and the
python/release-tools Azure Pipelines, run natively on hosted runners (windows-2025 for
win32/amd64, windows-11-arm for arm64). Functions named ``*_steps`` only *plan*; the
``run_*`` functions execute a plan through a :class:`CommandRunner`.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PureWindowsPath
from typing import Any

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.inventory import WINDOWS_ARCHES, has_pymanager, windows_arches
from cpython_release.patchlevel import next_release, patchlevel_problem, py_version
from cpython_release.platforms.runner import CommandRunner
from cpython_release.version import ReleaseVersion

# python.org arch -> (PCbuild -p value, Tools/msi Platform)
PLATFORMS: dict[str, tuple[str, str]] = {
    "win32": ("Win32", "x86"),
    "amd64": ("x64", "x64"),
    "arm64": ("ARM64", "ARM64"),
}
assert {a for a, _, _ in WINDOWS_ARCHES} == set(PLATFORMS)

RELEASE_URI = "http://www.python.org/{arch}"
# Placeholders in braces are filled in by Tools/msi itself, per MSI.
DOWNLOAD_URL = "https://www.python.org/ftp/python/{version}/{arch}{releasename}/{msi}"

VSWHERE = r"C:\Program Files (x86)\Microsoft Visual Studio\Installer\vswhere.exe"
SIGNABLE_SUFFIXES = (".exe", ".dll", ".pyd", ".cat", ".ps1")
# Third-party binaries that arrive already signed by their publishers.
PRESIGNED_PREFIXES = ("vcruntime", "libffi", "libcrypto", "libssl")
TIMESTAMP_URL = "http://timestamp.acs.microsoft.com"
SIGN_ENV = {
    "endpoint": "AZURE_TRUSTED_SIGNING_ENDPOINT",
    "account": "AZURE_TRUSTED_SIGNING_ACCOUNT",
    "profile": "AZURE_TRUSTED_SIGNING_PROFILE",
    "tenant": "AZURE_TENANT_ID",
    "client": "AZURE_CLIENT_ID",
}


@dataclass(frozen=True)
class Step:
    """One planned command."""

    label: str
    argv: tuple[str, ...]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)


def run_steps(runner: CommandRunner, steps: Iterable[Step]) -> None:
    for step in steps:
        runner.run(step.argv, cwd=step.cwd, env=step.env)


def check_arch(version: ReleaseVersion, arch: str) -> str:
    if arch not in PLATFORMS:
        raise BadInput(
            f"unknown Windows architecture {arch!r}: expected one of {', '.join(PLATFORMS)}"
        )
    if arch not in windows_arches(version):
        raise BadInput(f"{version} has no {arch} build")
    return arch


def installer_name(version: ReleaseVersion, arch: str) -> str:
    return f"python-{version}.exe" if arch == "win32" else f"python-{version}-{arch}.exe"


def msi_directory(version: ReleaseVersion, arch: str) -> str:
    return f"{arch}{version.pre}"


def pymanager_names(version: ReleaseVersion, arch: str) -> list[str]:
    v = str(version)
    return [
        f"python-{v}-{arch}.zip",
        f"python-{v}t-{arch}.zip",
        f"python-{v}-test-{arch}.zip",
        f"python-{v}-embeddable-{arch}.zip",
    ]


def has_freethreaded(version: ReleaseVersion) -> bool:
    return version.at_least(3, 13)


def default_pgo(arch: str) -> bool:
    """PGO where python.org uses it: amd64 and arm64 (win32 is a plain Release build)."""
    return arch != "win32"


# --- version check ------------------------------------------------------------------
_FIELD_RE = re.compile(r"^\s+(\w+):\s*(.+?)\s*$")
_LEVELS = {"a": 0xA, "b": 0xB, "rc": 0xC, None: 0xF}


def parse_version_info(text: str) -> dict[str, str]:
    """The ``Name: value`` fields ``PCbuild\\build.bat -V`` prints (indented lines)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        m = _FIELD_RE.match(line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields


def expected_hexversion(version: ReleaseVersion) -> str:
    level = _LEVELS[version.pre_kind]
    serial = version.pre_number or 0
    return f"0x{version.major:02X}{version.minor:02X}{version.micro:02X}{level:X}{serial:X}"


def check_version_info(fields: Mapping[str, str], version: ReleaseVersion) -> list[str]:
    if not fields:
        return ["build.bat -V printed no version fields"]
    if version.is_nightly:
        # build.bat -V prints the branch's last release (3.11.2 for a 3.11.2+ head): it must
        # be the one the nightly follows; Include/patchlevel.h's "+" is checked by the caller
        got = fields.get("PythonVersion")
        if got is None:
            return ["build.bat -V did not print PythonVersion"]
        try:
            follows = next_release(got)
        except BadInput:
            follows = "unknown"
        if follows != version.release:
            return [f"PythonVersion is {got}: the next release is {follows}, not {version.release}"]
        return []
    expected = {
        "PythonVersion": str(version),
        "PythonVersionNumber": version.xyz,
        "PythonVersionHex": expected_hexversion(version),
    }
    problems = []
    for key, want in expected.items():
        got = fields.get(key)
        if got is None:
            problems.append(f"build.bat -V did not print {key}")
        elif got.lower() != want.lower():
            problems.append(f"{key} is {got}, expected {want}")
    return problems


def verify_source_version(
    runner: CommandRunner, source: Path, version: ReleaseVersion
) -> dict[str, str]:
    result = runner.run(
        [str(PureWindowsPath("PCbuild", "build.bat")), "-V"], cwd=source, capture=True
    )
    fields = parse_version_info(result.stdout)
    problems = check_version_info(fields, version)
    if version.is_nightly:
        header = source / "Include" / "patchlevel.h"
        try:
            text = header.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot read {header}: {exc.strerror or exc}") from exc
        problem = patchlevel_problem(py_version(text), str(version))
        if problem:
            problems.append(problem)
    if problems:
        raise CheckFailed(f"the source tree is not Python {version}", problems)
    return fields


# --- build ----------------------------------------------------------------------------
def build_steps(
    source: Path,
    out: Path,
    version: ReleaseVersion,
    arch: str,
    *,
    pgo: bool,
    freethreaded: bool | None = None,
) -> list[Step]:
    """Release (PGO or not) and debug builds, plus the free-threaded pair from 3.13."""
    platform = PLATFORMS[check_arch(version, arch)][0]
    bat = str(PureWindowsPath("PCbuild", "build.bat"))
    env = {"Py_OutDir": str(out)}
    release = ["--pgo"] if pgo else ["-c", "Release"]
    variants: list[tuple[str, list[str]]] = [("release", release), ("debug", ["-d"])]
    if has_freethreaded(version) if freethreaded is None else freethreaded:
        variants += [
            ("free-threaded release", [*release, "--disable-gil"]),
            ("free-threaded debug", ["-d", "--disable-gil"]),
        ]
    return [
        Step(f"build {arch} {label}", (bat, "-e", "-v", "-p", platform, *opts), source, env)
        for label, opts in variants
    ]


def build_dir(out: Path, arch: str) -> Path:
    """Where PCbuild puts an architecture's binaries when ``Py_OutDir`` is set."""
    return out / arch


def find_tcl_library(source: Path, arch: str) -> Path | None:
    """The Tcl script library (the directory holding ``init.tcl``) in ``externals``."""
    candidates = sorted(source.glob(f"externals/tcltk-*/{arch}/lib/tcl*/init.tcl"))
    return candidates[-1].parent if candidates else None


# --- layout ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LayoutPlan:
    steps: list[Step]
    embed_zip: Path
    nuget_dir: Path
    pymanager_dirs: dict[str, Path]  # expected zip name -> layout directory


def layout_plan(
    source: Path, out: Path, work: Path, dist: Path, version: ReleaseVersion, arch: str
) -> LayoutPlan:
    check_arch(version, arch)
    bdir = build_dir(out, arch)
    python = bdir / "python.exe"
    env = {"PYTHONHOME": str(source)}
    tcl = find_tcl_library(source, arch)
    if tcl is not None:
        env["TCL_LIBRARY"] = str(tcl)
    base = (
        str(python),
        str(source / "PC" / "layout"),
        "-vv",
        "-s",
        str(source),
        "-b",
        str(bdir),
        "--arch",
        arch,
    )
    v = str(version)
    embed_zip = dist / f"python-{v}-embed-{arch}.zip"
    nuget_dir = work / f"nuget-{arch}"
    steps = [
        Step(
            f"layout embed {arch}",
            (*base, "-t", str(work / "temp-embed"), "--zip", str(embed_zip), "--preset-embed"),
            source,
            env,
        ),
        Step(
            f"layout nuget {arch}",
            (*base, "-t", str(work / "temp-nuget"), "--copy", str(nuget_dir), "--preset-nuget"),
            source,
            env,
        ),
    ]
    pym: dict[str, Path] = {}
    if has_pymanager(version):
        regular, threaded, test, embeddable = pymanager_names(version, arch)
        variants = [
            (regular, ["--preset-pymanager"]),
            (threaded, ["--preset-pymanager", "--include-freethreaded"]),
            (test, ["--preset-pymanager-test"]),
            (embeddable, ["--preset-embed", "--include-install-embed-json"]),
        ]
        for name, opts in variants:
            target = work / "pymanager" / name.removesuffix(".zip")
            pym[name] = target
            steps.append(
                Step(
                    f"layout {name}",
                    (
                        *base,
                        "-t",
                        str(target.with_name(target.name + "-temp")),
                        "--copy",
                        str(target),
                        *opts,
                    ),
                    source,
                    env,
                )
            )
    return LayoutPlan(steps, embed_zip, nuget_dir, pym)


def nuget_step(nuget_dir: Path, output: Path, nuget: str = "nuget") -> Step:
    spec = nuget_dir / "python.nuspec"
    if not spec.is_file():
        raise CheckFailed(f"the nuget layout has no python.nuspec: {spec}")
    return Step(
        "nuget pack",
        (
            nuget,
            "pack",
            str(spec),
            "-BasePath",
            str(nuget_dir),
            "-OutputDirectory",
            str(output),
            "-NoPackageAnalysis",
            "-NonInteractive",
        ),
    )


def _zip_time(created: int) -> tuple[int, int, int, int, int, int]:
    t = datetime.fromtimestamp(max(created, 315532800), tz=UTC)  # ZIP starts at 1980
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def deterministic_zip(
    directory: Path, target: Path, created: int, exclude: Sequence[str] = ()
) -> int:
    """Zip a directory's files in sorted order with fixed timestamps; returns the count."""
    stamp = _zip_time(created)
    count = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            rel = path.relative_to(directory).as_posix()
            if rel in exclude:
                continue
            info = zipfile.ZipInfo(rel, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
            count += 1
    return count


def pymanager_package(
    layout: Path, dist: Path, expected_name: str, created: int
) -> tuple[Path, dict[str, Any]]:
    """Zip a PyManager layout under the name its ``__install__.json`` URL gives.

    The name must be the one python.org expects; ``__install__.json`` stays out of the
    zip (it feeds the ``windows-V.json`` index instead).
    """
    install_json = layout / "__install__.json"
    try:
        install = json.loads(install_json.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CheckFailed(f"the PyManager layout has no __install__.json: {install_json}") from exc
    except json.JSONDecodeError as exc:
        raise CheckFailed(f"{install_json} is not JSON: {exc}") from exc
    if not isinstance(install, dict) or not isinstance(install.get("url"), str):
        raise CheckFailed(f"{install_json} has no url")
    name = install["url"].rpartition("/")[2]
    if name != expected_name:
        raise CheckFailed(
            f"{install_json} names the package {name!r}, expected {expected_name!r}",
            [install["url"]],
        )
    target = dist / name
    deterministic_zip(layout, target, created, exclude=("__install__.json",))
    return target, install


_TRIMMED = ("aliases", "run-for", "shortcuts")


def _natural(text: str) -> tuple[str, ...]:
    return tuple(f"{int(p):020}" if p.isdigit() else p for p in re.split(r"(\d+)", text))


def pymanager_index(installs: Iterable[tuple[dict[str, Any], Path]]) -> dict[str, Any]:
    """The release's PyManager index (``windows-V.json``): trimmed installs with hashes."""
    entries = []
    ids: set[str] = set()
    for install, package in installs:
        entry = {k: v for k, v in install.items() if k not in _TRIMMED}
        for key in ("id", "sort-version", "url"):
            if not isinstance(entry.get(key), str):
                raise CheckFailed(f"a PyManager install for {package.name} has no {key}")
        if entry["id"] in ids:
            raise CheckFailed(f"duplicate PyManager install id {entry['id']}")
        ids.add(entry["id"])
        entry["hash"] = {"sha256": sha256_file(package).sha256}
        entries.append(entry)
    if not entries:
        raise BadInput("no PyManager installs to index")
    entries.sort(key=lambda e: (_natural(e["id"]), _natural(e["sort-version"])))
    return {"versions": entries}


# --- docs -------------------------------------------------------------------------------
def docs_step(source: Path, out: Path, version: ReleaseVersion, arch: str) -> Step:
    """HTML docs in ``Doc\\build\\html``, bundled by the installer and the PyManager layouts."""
    python = str(build_dir(out, check_arch(version, arch)) / "python.exe")
    return Step(
        "HTML docs", (str(PureWindowsPath("Doc", "make.bat")), "html"), source, {"PYTHON": python}
    )


# --- installer ------------------------------------------------------------------------
def parse_vswhere(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.strip().lower().endswith("msbuild.exe"):
            return line.strip()
    raise CheckFailed("vswhere found no MSBuild.exe", stdout.strip().splitlines()[-5:])


def find_msbuild(runner: CommandRunner) -> str:
    result = runner.run(
        [
            VSWHERE,
            "-latest",
            "-prerelease",
            "-products",
            "*",
            "-requires",
            "Microsoft.Component.MSBuild",
            "-find",
            r"MSBuild\**\Bin\MSBuild.exe",
        ],
        capture=True,
    )
    return parse_vswhere(result.stdout)


def msbuild_properties(
    out: Path, version: ReleaseVersion, arch: str, sign_command: str | None = None
) -> list[str]:
    props = [
        "/p:BuildForRelease=true",
        f"/p:Py_OutDir={out}",
        f"/p:ReleaseUri={RELEASE_URI.format(arch=arch)}",
        f"/p:DownloadUrl={DOWNLOAD_URL}",
    ]
    if has_freethreaded(version):
        props.append("/p:IncludeFreethreaded=true")
    if sign_command:
        props.append(f"/p:_SignCommand={sign_command}")
    return props


def installer_steps(
    msbuild: str,
    source: Path,
    out: Path,
    version: ReleaseVersion,
    arch: str,
    sign_command: str | None = None,
) -> list[Step]:
    msi_platform = PLATFORMS[check_arch(version, arch)][1]
    python = str(build_dir(out, arch) / "python.exe")
    env = {"PYTHON": python, "PythonForBuild": python, "PYTHONHOME": str(source)}
    props = msbuild_properties(out, version, arch, sign_command)
    html = source / "Doc" / "build" / "html" / "index.html"
    if not html.is_file():
        raise CheckFailed(
            f"no HTML docs at {html.parent}: the installer and the PyManager "
            "packages bundle them (run `windows docs` first)"
        )
    return [
        Step(
            "WiX toolset", (str(PureWindowsPath("Tools", "msi", "get_externals.bat")),), source, {}
        ),
        Step(
            "launcher installer",
            (
                msbuild,
                str(source / "Tools" / "msi" / "launcher" / "launcher.wixproj"),
                "/p:Platform=x86",
                *props,
            ),
            source,
            env,
        ),
        Step(
            f"{arch} installer",
            (
                msbuild,
                str(source / "Tools" / "msi" / "bundle" / "releaselocal.wixproj"),
                "/t:Rebuild",
                "/p:RebuildAll=true",
                f"/p:Platform={msi_platform}",
                *props,
            ),
            source,
            env,
        ),
    ]


def collect_installer(out: Path, dist: Path, version: ReleaseVersion, arch: str) -> list[str]:
    """Copy the bundle and its MSI/CAB parts into ``dist`` with python.org's layout."""
    built = build_dir(out, arch) / "en-us"
    exe = built / installer_name(version, arch)
    if not exe.is_file():
        found = sorted(p.name for p in built.glob("*.exe")) if built.is_dir() else []
        raise CheckFailed(
            f"the installer build did not produce {exe.name} in {built}",
            [f"found: {', '.join(found) or 'nothing'}"],
        )
    parts = sorted(p for p in built.iterdir() if p.suffix in (".msi", ".cab"))
    if not parts:
        raise CheckFailed(f"the installer build produced no MSI parts in {built}")
    dist.mkdir(parents=True, exist_ok=True)
    shutil.copy2(exe, dist / exe.name)
    names = [exe.name]
    subdir = dist / msi_directory(version, arch)
    subdir.mkdir(exist_ok=True)
    for part in parts:
        shutil.copy2(part, subdir / part.name)
        names.append(f"{subdir.name}/{part.name}")
    return names


# --- signing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SigningConfig:
    endpoint: str
    account: str
    profile: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SigningConfig | None:
        """None when no signing secret is set; BadInput when only some are."""
        values = {k: env.get(v, "").strip() for k, v in SIGN_ENV.items()}
        has_credential = bool(
            env.get("AZURE_CLIENT_SECRET") or env.get("AZURE_FEDERATED_TOKEN_FILE")
        )
        if not any(values.values()) and not has_credential:
            return None
        missing = [SIGN_ENV[k] for k, v in values.items() if not v]
        if not has_credential:
            missing.append("AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE")
        if missing:
            raise BadInput(
                "Azure Trusted Signing is partly configured; missing: " + ", ".join(missing)
            )
        return cls(values["endpoint"], values["account"], values["profile"])


def signing_secrets() -> str:
    return ", ".join([*SIGN_ENV.values(), "AZURE_CLIENT_SECRET"])


def unsigned_notice(what: str) -> str:
    return (
        f"{what} are UNSIGNED: no Azure Trusted Signing secrets are configured "
        f"({', '.join(SIGN_ENV.values())}, AZURE_CLIENT_SECRET)."
    )


def sign_base_argv(config: SigningConfig, description: str, tool: str = "sign") -> list[str]:
    return [
        tool,
        "code",
        "trusted-signing",
        "-v",
        "Information",
        "-fd",
        "sha256",
        "-t",
        TIMESTAMP_URL,
        "-td",
        "sha256",
        "-tse",
        config.endpoint,
        "-tsa",
        config.account,
        "-tscp",
        config.profile,
        "-d",
        description,
    ]


def files_to_sign(directory: Path) -> list[Path]:
    """Our own binaries and scripts below ``directory``; presigned third-party DLLs skipped."""
    out = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in SIGNABLE_SUFFIXES:
            continue
        if path.name.lower().startswith(PRESIGNED_PREFIXES):
            continue
        out.append(path)
    return out


def sign_steps(
    config: SigningConfig, directory: Path, description: str, tool: str = "sign"
) -> list[Step]:
    base = sign_base_argv(config, description, tool)
    return [
        Step(
            f"sign {p.relative_to(directory).as_posix()}",
            (*base, "-b", str(directory), p.relative_to(directory).as_posix()),
        )
        for p in files_to_sign(directory)
    ]


# Signed copies of source-tree files that the build output carries for signing; layouts
# and installers take them from the source tree, so they go back there once signed.
SIGNED_SOURCE_FILES = {"Activate.ps1": ("Lib", "venv", "scripts", "common", "Activate.ps1")}


def restore_signed_sources(build: Path, source: Path) -> list[str]:
    restored = []
    for name, parts in SIGNED_SOURCE_FILES.items():
        signed = build / name
        if signed.is_file():
            target = source.joinpath(*parts)
            if not target.parent.is_dir():
                raise CheckFailed(f"{source} has no {target.parent.relative_to(source)}")
            shutil.copyfile(signed, target)
            restored.append(target.relative_to(source).as_posix())
    return restored


# --- smoke test ------------------------------------------------------------------------
def install_argv(installer: Path, target: Path, log: Path) -> list[str]:
    return [
        str(installer),
        "/passive",
        f"TargetDir={target}",
        "Include_debug=1",
        "Include_symbols=1",
        "InstallAllUsers=0",
        "Include_launcher=0",
        "Shortcuts=0",
        "AssociateFiles=0",
        "/log",
        str(log),
    ]


def uninstall_argv(installer: Path, log: Path) -> list[str]:
    return [str(installer), "/uninstall", "/passive", "/log", str(log)]
