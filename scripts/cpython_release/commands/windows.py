"""``cpython-release windows``: the steps of the Windows build job, one subcommand each."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from cpython_release.commands.common import (
    Subparsers,
    add_nightly,
    add_version,
    parse_version,
    print_json,
)
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.ghactions import markdown_table, write_summary
from cpython_release.inventory import WINDOWS_ARCHES, has_pymanager
from cpython_release.platforms import smoke, windows
from cpython_release.platforms.cliargs import (
    add_check_tag,
    add_created,
    add_dry_run,
    add_fragment,
    add_require_signed,
    announce,
    make_runner,
    refuse_unsigned,
    resolve_created,
)

ARCHES = [a for a, _, _ in WINDOWS_ARCHES]


def _common(p: argparse.ArgumentParser, *, arch: bool = True) -> None:
    add_version(p)
    add_nightly(p)
    if arch:
        p.add_argument("--arch", required=True, choices=ARCHES)


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "windows",
        help="build, package, sign and smoke-test Windows installers",
        description="Steps of the Windows build (run on Windows runners).",
    )
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_check_tag(msub, "Windows")

    c = msub.add_parser(
        "check-version",
        help="check build.bat -V against the version",
        description="Run PCbuild\\build.bat -V and compare PythonVersion, "
        "PythonVersionNumber and PythonVersionHex with VERSION.",
    )
    c.add_argument("--source", type=Path, required=True)
    _common(c, arch=False)
    c.set_defaults(func=run_check_version)

    b = msub.add_parser("build", help="PCbuild release (PGO), debug and free-threaded builds")
    b.add_argument("--source", type=Path, required=True)
    b.add_argument("--out", type=Path, required=True, help="Py_OutDir for the binaries")
    _common(b)
    pgo = b.add_mutually_exclusive_group()
    pgo.add_argument(
        "--pgo",
        dest="pgo",
        action="store_true",
        default=None,
        help="profile-guided build (default for amd64 and arm64)",
    )
    pgo.add_argument("--no-pgo", dest="pgo", action="store_false")
    add_dry_run(b)
    b.set_defaults(func=run_build)

    s = msub.add_parser(
        "sign",
        help="sign binaries with Azure Trusted Signing, if configured",
        description="Sign exe/dll/pyd/cat/ps1 below DIR (not vcruntime, libffi, "
        "libcrypto, libssl). Without the AZURE_* secrets in the environment it "
        "signs nothing and says so in the log and the step summary.",
    )
    _common(s, arch=False)
    s.add_argument("dir", type=Path, metavar="DIR", help="the directory holding the binaries")
    s.add_argument(
        "--source",
        type=Path,
        required=True,
        help="the CPython checkout: signed Activate.ps1 is copied back into it",
    )
    s.add_argument("--tool", default="sign", help="the dotnet sign tool (default: sign)")
    add_require_signed(s)
    add_dry_run(s)
    s.set_defaults(func=run_sign)

    d = msub.add_parser(
        "docs",
        help="build the HTML docs the installer and PyManager bundle",
        description="Run Doc\\make.bat html with the freshly built Python.",
    )
    d.add_argument("--source", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    _common(d)
    add_dry_run(d)
    d.set_defaults(func=run_docs)

    lay = msub.add_parser("layout", help="embeddable zip, nuget and PyManager packages")
    lay.add_argument("--source", type=Path, required=True)
    lay.add_argument("--out", type=Path, required=True)
    lay.add_argument("--work", type=Path, required=True, help="scratch directory")
    lay.add_argument("--dist", type=Path, required=True, help="python.org files go here")
    lay.add_argument("--nuget-output", type=Path, required=True, help=".nupkg files go here")
    lay.add_argument(
        "--index-dir",
        type=Path,
        required=True,
        help="PyManager __install__ records go here (for `windows index`)",
    )
    add_created(lay)
    lay.add_argument("--nuget", default="nuget", help="nuget.exe to use")
    _common(lay)
    add_dry_run(lay)
    lay.set_defaults(func=run_layout)

    i = msub.add_parser(
        "installer",
        help="build the WiX installer with the official URIs",
        description="Build launcher.wixproj and "
        "releaselocal.wixproj with BuildForRelease, ReleaseUri and DownloadUrl "
        "so the installer gets python.org's upgrade codes; copy the bundle and "
        "its MSI parts to DIST/<arch><pre>/. Signs during the build if the "
        "Azure Trusted Signing secrets are set.",
    )
    i.add_argument("--source", type=Path, required=True)
    i.add_argument("--out", type=Path, required=True)
    i.add_argument("--dist", type=Path, required=True)
    i.add_argument("--msbuild", help="MSBuild.exe (default: found with vswhere)")
    _common(i)
    add_require_signed(i)
    add_dry_run(i)
    i.set_defaults(func=run_installer)

    x = msub.add_parser("index", help="write windows-V.json, the release's PyManager index")
    x.add_argument(
        "--index-dir",
        type=Path,
        required=True,
        help="directory with the *.install.json records from `windows layout`",
    )
    x.add_argument(
        "--packages",
        type=Path,
        required=True,
        nargs="+",
        help="directories holding the PyManager zips",
    )
    x.add_argument("--dist", type=Path, required=True)
    _common(x, arch=False)
    x.set_defaults(func=run_index)

    t = msub.add_parser(
        "smoke",
        help="install, probe, pip, test subset, uninstall",
        description="Smoke-test an installer on a clean runner: install per "
        "user, check version and architecture, import the stdlib extension "
        "modules, pip install, run a short test subset, uninstall.",
    )
    t.add_argument("--dist", type=Path, required=True, help="directory holding python-V[-arch].exe")
    t.add_argument("--target-dir", type=Path, required=True)
    t.add_argument("--pip-package", default="packaging")
    t.add_argument("--tests", nargs="*", default=list(smoke.DEFAULT_TESTS))
    _common(t)
    add_dry_run(t)
    t.set_defaults(func=run_smoke)

    add_fragment(msub, "Windows")


def run_check_version(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    fields = windows.verify_source_version(make_runner(args), args.source, version)
    print_json(fields)
    return 0


def run_build(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    runner = make_runner(args)
    if not args.dry_run:
        windows.verify_source_version(runner, args.source, version)
    pgo = windows.default_pgo(args.arch) if args.pgo is None else args.pgo
    steps = windows.build_steps(args.source, args.out.resolve(), version, args.arch, pgo=pgo)
    windows.run_steps(runner, steps)
    write_summary(
        f"### Windows {args.arch} build\n\n"
        + markdown_table(("step", "command"), [(s.label, " ".join(s.argv)) for s in steps])
    )
    return 0


def run_sign(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    if not Path(args.dir).is_dir():
        raise BadInput(f"no such directory: {args.dir}")
    config = windows.SigningConfig.from_env(os.environ)
    if config is None:
        refuse_unsigned(args, f"Windows binaries in {args.dir}", windows.signing_secrets())
        announce(windows.unsigned_notice(f"Windows binaries in {args.dir}"))
        return 0
    steps = windows.sign_steps(config, args.dir, f"Python {version}", args.tool)
    if not steps:
        raise CheckFailed(f"nothing to sign in {args.dir}")
    windows.run_steps(make_runner(args), steps)
    for name in [] if args.dry_run else windows.restore_signed_sources(args.dir, args.source):
        print(f"signed copy restored into the source tree: {name}")
    write_summary(
        f"Signed {len(steps)} files in `{args.dir}` with Azure Trusted Signing "
        f"({config.account}/{config.profile}).\n"
    )
    return 0


def run_docs(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    windows.run_steps(
        make_runner(args), [windows.docs_step(args.source, args.out.resolve(), version, args.arch)]
    )
    return 0


def run_layout(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    runner = make_runner(args)
    plan = windows.layout_plan(
        args.source.resolve(),
        args.out.resolve(),
        args.work.resolve(),
        args.dist.resolve(),
        version,
        args.arch,
    )
    windows.run_steps(runner, plan.steps)
    if args.dry_run:
        return 0
    if not plan.embed_zip.is_file():
        raise CheckFailed(f"PC\\layout did not write {plan.embed_zip}")
    args.nuget_output.mkdir(parents=True, exist_ok=True)
    windows.run_steps(runner, [windows.nuget_step(plan.nuget_dir, args.nuget_output, args.nuget)])
    args.index_dir.mkdir(parents=True, exist_ok=True)
    created = resolve_created(args)
    made = [plan.embed_zip.name]
    for name, layout in plan.pymanager_dirs.items():
        package, install = windows.pymanager_package(layout, args.dist, name, created)
        (args.index_dir / f"{package.name}.install.json").write_text(
            json.dumps(install, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        made.append(package.name)
    print_json({"dist": str(args.dist), "files": made})
    return 0


def run_installer(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    runner = make_runner(args)
    config = windows.SigningConfig.from_env(os.environ)
    sign_command = None
    if config is None:
        refuse_unsigned(args, "The Windows installer", windows.signing_secrets())
        announce(windows.unsigned_notice("The Windows installer and its MSI files"))
    else:
        sign_command = " ".join(
            f'"{a}"' if " " in a else a for a in windows.sign_base_argv(config, f"Python {version}")
        )
    msbuild = args.msbuild or windows.find_msbuild(runner)
    out = args.out.resolve()
    windows.run_steps(
        runner,
        windows.installer_steps(
            msbuild, args.source.resolve(), out, version, args.arch, sign_command
        ),
    )
    if args.dry_run:
        return 0
    names = windows.collect_installer(out, args.dist, version, args.arch)
    print_json({"dist": str(args.dist), "files": names})
    return 0


def run_index(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    if not has_pymanager(version):
        print(f"no PyManager index for {version}: PyManager packages start with 3.13")
        return 0
    records = sorted(args.index_dir.glob("*.install.json"))
    if not records:
        raise BadInput(f"no *.install.json records in {args.index_dir}")
    installs = []
    for record in records:
        name = record.name.removesuffix(".install.json")
        package = next((d / name for d in args.packages if (d / name).is_file()), None)
        if package is None:
            raise CheckFailed(
                f"the PyManager package {name} is missing",
                [f"looked in {', '.join(str(d) for d in args.packages)}"],
            )
        installs.append((json.loads(record.read_text(encoding="utf-8")), package))
    index = windows.pymanager_index(installs)
    args.dist.mkdir(parents=True, exist_ok=True)
    target = args.dist / f"windows-{version}.json"
    target.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print_json({"index": str(target), "installs": len(index["versions"])})
    return 0


def run_smoke(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    args.installer = args.dist / windows.installer_name(version, args.arch)
    if not args.dry_run and not args.installer.is_file():
        raise BadInput(f"no installer {args.installer}")
    runner = make_runner(args)
    logs = Path(tempfile.mkdtemp(prefix="smoke-logs-"))
    target = args.target_dir.resolve()
    python = target / "python.exe"
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    runner.run(windows.install_argv(args.installer.resolve(), target, logs / "install.log"))
    rows.append(("install", "ok"))
    try:
        probe = runner.run(
            [str(python), "-c", smoke.PROBE_SCRIPT, *smoke.WINDOWS_MODULES], capture=True
        )
        if not args.dry_run:
            found = smoke.check_probe(
                smoke.parse_probe(probe.stdout),
                version,
                modules=smoke.WINDOWS_MODULES,
                platform=smoke.WINDOWS_PLATFORMS[args.arch],
                pointer_bits=smoke.WINDOWS_POINTER_BITS[args.arch],
            )
            problems += found
            rows.append(("version, arch, imports", "FAIL" if found else "ok"))
        checks = [
            ("pip", [str(python), "-m", "pip", "--version"]),
            (
                f"pip install {args.pip_package}",
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    args.pip_package,
                ],
            ),
        ]
        if args.tests:
            checks.append(
                ("test subset", [str(python), "-m", "test", "-j2", "--timeout=900", *args.tests])
            )
        for label, argv in checks:
            result = runner.run(argv, check=False)
            rows.append((label, "ok" if result.ok else f"FAIL (exit {result.returncode})"))
            if not result.ok:
                problems.append(f"{label} failed with exit status {result.returncode}")
    finally:
        runner.run(windows.uninstall_argv(args.installer.resolve(), logs / "uninstall.log"))
    if not args.dry_run and python.exists():
        problems.append(f"{python} is still there after uninstalling")
        rows.append(("uninstall", "FAIL"))
    else:
        rows.append(("uninstall", "ok"))
    write_summary(
        f"### Smoke test: {args.installer.name} ({args.arch})\n\n"
        + markdown_table(("check", "result"), rows)
    )
    if problems:
        raise CheckFailed(f"smoke test of {args.installer.name} failed", problems)
    if args.dry_run:
        print("dry run: the commands above were not run; nothing was checked")
        return 0
    print(f"ok: {args.installer.name} installs, runs and uninstalls")
    return 0
