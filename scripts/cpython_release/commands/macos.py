"""``cpython-release macos``: the steps of the macOS build job, one subcommand each."""

from __future__ import annotations

import argparse
import os
import shutil
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
from cpython_release.hashing import sha256_file
from cpython_release.inventory import SBOM
from cpython_release.platforms import macos, macos_pkg, macos_sbom, smoke
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
from cpython_release.platforms.runner import CommandRunner
from cpython_release.version import ReleaseVersion


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "macos",
        help="build, package, sign and smoke-test the macOS installer",
        description="Steps of the macOS build (run on macOS runners).",
    )
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_check_tag(msub, "macOS")

    b = msub.add_parser(
        "build",
        help="run Mac/BuildScript/build-installer.py (universal2)",
        description="Check Include/patchlevel.h against VERSION, then run "
        "build-installer.py from Mac/BuildScript with universal2 archs, the "
        "deployment target for the version, and a cached third-party dir.",
    )
    b.add_argument("--source", type=Path, required=True)
    b.add_argument("--build-dir", type=Path, required=True)
    b.add_argument("--third-party", type=Path, required=True)
    b.add_argument(
        "--python",
        default="python3",
        help="Python that runs build-installer.py and builds the docs venv",
    )
    b.add_argument(
        "--docs-dir",
        default="",
        help="directory with python-V-docs-html.tar.bz2 (empty or absent: "
        "build-installer.py builds the docs itself)",
    )
    b.add_argument("--work", type=Path, required=True, help="scratch directory")
    add_version(b)
    add_nightly(b)
    add_dry_run(b)
    b.set_defaults(func=run_build)

    k = msub.add_parser(
        "package",
        help="pkgbuild + productbuild -> python-V-macos11.pkg",
        description="Build the flat installer package from build-installer.py's "
        "build directory. With the MACOS_* signing secrets: codesign (hardened "
        "runtime) in a temporary keychain, productsign, and with the "
        "MACOS_NOTARY_* secrets notarize and staple. Without them the package "
        "is unsigned, and the log and step summary say so.",
    )
    k.add_argument("--build-dir", type=Path, required=True)
    k.add_argument("--work", type=Path, required=True)
    k.add_argument("--dist", type=Path, required=True)
    add_version(k)
    add_nightly(k)
    add_require_signed(k)
    add_dry_run(k)
    k.set_defaults(func=run_package)

    s = msub.add_parser(
        "sbom",
        help="write the SPDX 2.3 SBOM of the installer package",
        description="List the framework's bundled third-party libraries as "
        "read from build-installer.py's library recipes; write PKG.spdx.json.",
    )
    s.add_argument("--source", type=Path, required=True, help="the CPython checkout")
    s.add_argument("--dist", type=Path, required=True, help="directory holding the pkg")
    add_version(s)
    add_nightly(s)
    add_created(s)
    s.set_defaults(func=run_sbom)

    t = msub.add_parser(
        "smoke",
        help="install the pkg and check it",
        description="Install with installer(8), check lipo archs (x86_64 and "
        "arm64), check otool -L for Homebrew paths, run test.pythoninfo, probe "
        "imports, make a venv and pip install, make an https request.",
    )
    t.add_argument("--dist", type=Path, required=True, help="directory holding the pkg")
    add_version(t)
    add_nightly(t)
    t.add_argument("--url", default="https://www.python.org/")
    t.add_argument("--pip-package", default="packaging")
    add_dry_run(t)
    t.set_defaults(func=run_smoke)

    add_fragment(msub, "macOS")


def run_build(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    macos.check_source_version(args.source, version)
    args.third_party.mkdir(parents=True, exist_ok=True)
    if args.docs_dir:
        staged = macos.stage_docs(Path(args.docs_dir), args.third_party, version)
        print(f"using the release's HTML docs: {staged}")
    tools = macos.tools_bin(args.work.resolve() / "tools-bin", args.python)
    argv = macos.build_installer_argv(
        args.python, args.build_dir.resolve(), args.third_party.resolve(), version
    )
    make_runner(args).run(
        argv, cwd=args.source / "Mac" / "BuildScript", env={"SDK_TOOLS_BIN": str(tools)}
    )
    return 0


def _sign_tree(
    runner: CommandRunner, keychain: macos.Keychain, build_dir: Path, version: ReleaseVersion
) -> int:
    entitlements = macos.write_entitlements(keychain.secrets_dir)
    root = build_dir / "_root"
    count = 0
    for tree in (root / "Library" / "Frameworks", root / "Applications"):
        targets = macos.codesign_targets(tree)
        if targets:
            runner.run(macos.codesign_argv(keychain, entitlements, targets))
            count += len(targets)
    if not count:
        raise CheckFailed(f"nothing to codesign in {root}")
    return count


def run_package(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    runner = make_runner(args)
    signing = macos.signing_from_env(os.environ)
    notary = macos.notary_from_env(os.environ)
    if notary and not signing:
        raise BadInput("notarization needs the signing secrets too (MACOS_*_CERTIFICATE_P12)")
    if signing is None or notary is None:
        refuse_unsigned(
            args,
            macos_pkg.pkg_name(version),
            ", ".join([*macos.SIGN_ENV.values(), *macos.NOTARY_ENV.values()]),
            "signed and notarized",
        )
    args.work.mkdir(parents=True, exist_ok=True)
    args.dist.mkdir(parents=True, exist_ok=True)
    final = args.dist.resolve() / macos_pkg.pkg_name(version)
    unsigned = args.work.resolve() / "unsigned.pkg"
    rows = []
    if signing is None:
        plan = macos_pkg.prepare_package(args.build_dir, args.work.resolve(), version, unsigned)
        for argv in plan.commands:
            runner.run(argv)
        if not args.dry_run:
            shutil.copy2(unsigned, final)
        announce(
            f"{final.name} is UNSIGNED and not notarized: no macOS signing secrets "
            f"({', '.join(macos.SIGN_ENV.values())}) are configured."
        )
        rows.append(("signing", "unsigned"))
    else:
        with macos.temporary_keychain(runner, signing) as keychain:
            signed = _sign_tree(runner, keychain, args.build_dir, version)
            rows.append(("codesign", f"{signed} files and bundles"))
            plan = macos_pkg.prepare_package(args.build_dir, args.work.resolve(), version, unsigned)
            for argv in plan.commands:
                runner.run(argv)
            runner.run(macos.productsign_argv(keychain, unsigned, final))
            rows.append(("productsign", keychain.installer_identity))
        if notary is None:
            announce(
                f"{final.name} is signed but NOT notarized: no notarization secrets "
                f"({', '.join(macos.NOTARY_ENV.values())})."
            )
            rows.append(("notarization", "skipped"))
        else:
            ident = macos.notarize(runner, final, notary)
            rows.append(("notarization", f"accepted ({ident}), stapled"))
        runner.run(["pkgutil", "--check-signature", str(final)])
    rows.insert(0, ("components", ", ".join(c.key for c in plan.components)))
    write_summary(f"### {final.name}\n\n" + markdown_table(("step", "result"), rows))
    print_json({"pkg": str(final), "components": [c.key for c in plan.components]})
    return 0


def run_sbom(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    script = args.source / "Mac" / "BuildScript" / "build-installer.py"
    try:
        text = script.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {script}: {exc.strerror or exc}") from exc
    args.pkg = args.dist / macos_pkg.pkg_name(version)
    if not args.pkg.is_file():
        raise BadInput(f"no such file: {args.pkg}")
    libraries = macos_sbom.library_recipes(text)
    doc = macos_sbom.pkg_sbom(
        version, args.pkg.name, sha256_file(args.pkg).sha256, libraries, resolve_created(args)
    )
    target = args.pkg.with_name(args.pkg.name + SBOM)
    target.write_text(macos_sbom.dumps(doc), encoding="utf-8")
    print_json(
        {"sbom": str(target), "libraries": [f"{lib.name} {lib.version}" for lib in libraries]}
    )
    return 0


def run_smoke(args: argparse.Namespace) -> int:
    version = parse_version(args.version, args)
    args.pkg = args.dist / macos_pkg.pkg_name(version)
    if not args.dry_run and not args.pkg.is_file():
        raise BadInput(f"no installer package {args.pkg}")
    runner = make_runner(args)
    fw = macos.framework_dir(version)
    python = str(fw / "bin" / f"python{version.minor_version}")
    problems: list[str] = []
    rows: list[tuple[str, str]] = []

    def record(label: str, found: list[str]) -> None:
        problems.extend(found)
        rows.append((label, "FAIL" if found else "ok"))

    runner.run(macos.install_argv(args.pkg.resolve()))
    rows.append(("install", "ok"))
    lipo = runner.run(["lipo", "-archs", python], capture=True)
    if not args.dry_run:
        record("lipo -archs", smoke.check_universal2(smoke.parse_lipo_archs(lipo.stdout), python))
    targets = [str(p) for p in macos.otool_targets(fw, version)]
    otool = runner.run(["otool", "-L", *targets], capture=True)
    record(
        "no Homebrew libraries",
        smoke.homebrew_references(smoke.parse_otool_libraries(otool.stdout)),
    )
    probe = runner.run([python, "-c", smoke.PROBE_SCRIPT, *smoke.MACOS_MODULES], capture=True)
    if not args.dry_run:
        record(
            "version and imports",
            smoke.check_probe(
                smoke.parse_probe(probe.stdout),
                version,
                modules=smoke.MACOS_MODULES,
                platform_suffix="universal2",
            ),
        )
    venv = Path(tempfile.mkdtemp(prefix="smoke-venv-")) / "venv"
    for label, argv in [
        ("test.pythoninfo", [python, "-m", "test.pythoninfo"]),
        ("venv", [python, "-m", "venv", str(venv)]),
        (
            f"pip install {args.pip_package}",
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                args.pip_package,
            ],
        ),
        (f"https {args.url}", [python, "-c", macos.HTTPS_SCRIPT, args.url]),
    ]:
        result = runner.run(argv, check=False)
        record(label, [] if result.ok else [f"{label} failed with exit status {result.returncode}"])
    write_summary(
        f"### Smoke test: {args.pkg.name}\n\n" + markdown_table(("check", "result"), rows)
    )
    if problems:
        raise CheckFailed(f"smoke test of {args.pkg.name} failed", problems)
    if args.dry_run:
        print("dry run: the commands above were not run; nothing was checked")
        return 0
    print(f"ok: {args.pkg.name} installs a working universal2 Python {version}")
    return 0
