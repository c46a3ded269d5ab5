"""macOS: build-installer.py, codesign/productsign/notarization, and the smoke test.

Signing is optional. With the secrets present (``MACOS_*`` environment variables, see
:data:`SIGN_ENV`), certificates go into a temporary keychain whose password is random;
every secret is written to a private temporary directory and only file paths reach
command lines, except the two passwords, which are redacted from every log line.
"""

from __future__ import annotations

import base64
import binascii
import json
import plistlib
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.patchlevel import patchlevel_problem
from cpython_release.platforms.macos_pkg import deployment_target
from cpython_release.platforms.runner import CommandRunner
from cpython_release.version import ReleaseVersion

SIGN_ENV = {
    "application_p12": "MACOS_APPLICATION_CERTIFICATE_P12",
    "installer_p12": "MACOS_INSTALLER_CERTIFICATE_P12",
    "p12_password": "MACOS_CERTIFICATE_PASSWORD",
    "application_identity": "MACOS_APPLICATION_IDENTITY",
    "installer_identity": "MACOS_INSTALLER_IDENTITY",
}
NOTARY_ENV = {
    "key": "MACOS_NOTARY_KEY",
    "key_id": "MACOS_NOTARY_KEY_ID",
    "issuer": "MACOS_NOTARY_ISSUER_ID",
}
ENTITLEMENTS = {
    "com.apple.security.cs.allow-dyld-environment-variables": True,
    "com.apple.security.cs.disable-library-validation": True,
    "com.apple.security.cs.disable-executable-page-protection": True,
    "com.apple.security.automation.apple-events": True,
}
MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\xbe\xba\xfe\xca",
}


# --- build -------------------------------------------------------------------------------
def parse_patchlevel(text: str) -> str:
    m = re.search(r'^#define\s+PY_VERSION\s+"([^"]+)"', text, re.MULTILINE)
    if not m:
        raise CheckFailed("Include/patchlevel.h defines no PY_VERSION")
    return m.group(1)


def check_source_version(source: Path, version: ReleaseVersion) -> None:
    header = source / "Include" / "patchlevel.h"
    try:
        found = parse_patchlevel(header.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"cannot read {header}: {exc.strerror or exc}") from exc
    problem = patchlevel_problem(found, str(version))  # a nightly's tree says X.Y.Z+
    if problem:
        raise CheckFailed(f"the source tree is Python {found}, expected {version}: {problem}")


def build_installer_argv(
    python: str, build_dir: Path, third_party: Path, version: ReleaseVersion
) -> list[str]:
    """Run from ``Mac/BuildScript`` (the script finds the sources relative to itself)."""
    return [
        python,
        "build-installer.py",
        "--universal-archs=universal2",
        f"--dep-target={deployment_target(version)}",
        f"--build-dir={build_dir}",
        f"--third-party={third_party}",
    ]


def tools_bin(directory: Path, python: str) -> Path:
    """A PATH directory holding only ``python3`` (for the docs venv).

    build-installer.py resets PATH to the system directories plus ``$SDK_TOOLS_BIN``; the
    system python3 is too old for the docs toolchain, and putting a whole package-manager
    ``bin`` directory there would let configure find Homebrew libraries.
    """
    found = shutil.which(python)
    if found is None:
        raise BadInput(f"no Python interpreter {python!r} on PATH")
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "python3"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path(found).resolve())
    return directory


def stage_docs(docs_dir: Path, third_party: Path, version: ReleaseVersion) -> Path:
    """Put the release's HTML docs where build-installer.py looks before building its own."""
    name = f"python-{version}-docs-html.tar.bz2"
    source = docs_dir / name
    if not source.is_file():
        raise BadInput(f"no {name} in {docs_dir}")
    third_party.mkdir(parents=True, exist_ok=True)
    target = third_party / name
    shutil.copyfile(source, target)
    return target


# --- signing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SigningSecrets:
    application_p12: bytes
    installer_p12: bytes
    p12_password: str
    application_identity: str
    installer_identity: str


@dataclass(frozen=True)
class NotarySecrets:
    key: str
    key_id: str
    issuer: str


def _partial(kind: str, names: Mapping[str, str], values: Mapping[str, str]) -> None:
    missing = [names[k] for k, v in values.items() if not v]
    if missing and len(missing) < len(values):
        raise BadInput(f"{kind} is partly configured; missing: {', '.join(missing)}")


def signing_from_env(env: Mapping[str, str]) -> SigningSecrets | None:
    values = {k: env.get(v, "").strip() for k, v in SIGN_ENV.items()}
    _partial("macOS signing", SIGN_ENV, values)
    if not all(values.values()):
        return None
    try:
        app = base64.b64decode(values["application_p12"], validate=True)
        inst = base64.b64decode(values["installer_p12"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadInput(
            "a macOS certificate secret is not base64 (a .p12 file, base64-encoded)"
        ) from exc
    return SigningSecrets(
        app,
        inst,
        values["p12_password"],
        values["application_identity"],
        values["installer_identity"],
    )


def notary_from_env(env: Mapping[str, str]) -> NotarySecrets | None:
    values = {k: env.get(v, "").strip() for k, v in NOTARY_ENV.items()}
    _partial("notarization", NOTARY_ENV, values)
    if not all(values.values()):
        return None
    return NotarySecrets(values["key"], values["key_id"], values["issuer"])


@dataclass(frozen=True)
class Keychain:
    path: Path
    password: str
    application_identity: str
    installer_identity: str
    secrets_dir: Path


def parse_keychain_list(stdout: str) -> list[str]:
    return [line.strip().strip('"') for line in stdout.splitlines() if line.strip()]


@contextmanager
def temporary_keychain(
    runner: CommandRunner, signing: SigningSecrets, base: Path | None = None
) -> Iterator[Keychain]:
    """A keychain holding both certificates, deleted (with the secret files) afterwards."""
    secrets_dir = Path(tempfile.mkdtemp(prefix="cpython-release-signing-", dir=base))
    secrets_dir.chmod(0o700)
    password = secrets.token_hex(24)
    keychain = secrets_dir / "signing.keychain-db"
    redact = (password, signing.p12_password)
    created = False
    try:
        app_p12 = secrets_dir / "application.p12"
        inst_p12 = secrets_dir / "installer.p12"
        for path, data in ((app_p12, signing.application_p12), (inst_p12, signing.installer_p12)):
            path.write_bytes(data)
            path.chmod(0o600)
        runner.run(["security", "create-keychain", "-p", password, str(keychain)], redact=redact)
        created = True
        runner.run(["security", "set-keychain-settings", "-lut", "21600", str(keychain)])
        runner.run(["security", "unlock-keychain", "-p", password, str(keychain)], redact=redact)
        for p12 in (app_p12, inst_p12):
            runner.run(
                [
                    "security",
                    "import",
                    str(p12),
                    "-k",
                    str(keychain),
                    "-P",
                    signing.p12_password,
                    "-T",
                    "/usr/bin/codesign",
                    "-T",
                    "/usr/bin/productsign",
                ],
                redact=redact,
            )
        runner.run(
            [
                "security",
                "set-key-partition-list",
                "-S",
                "apple-tool:,apple:,codesign:",
                "-s",
                "-k",
                password,
                str(keychain),
            ],
            capture=True,
            redact=redact,
        )
        existing = runner.run(["security", "list-keychains", "-d", "user"], capture=True)
        runner.run(
            [
                "security",
                "list-keychains",
                "-d",
                "user",
                "-s",
                str(keychain),
                *parse_keychain_list(existing.stdout),
            ]
        )
        yield Keychain(
            keychain,
            password,
            signing.application_identity,
            signing.installer_identity,
            secrets_dir,
        )
    finally:
        if created:
            runner.run(["security", "delete-keychain", str(keychain)], check=False)
        shutil.rmtree(secrets_dir, ignore_errors=True)


def is_macho(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as fh:
        return fh.read(4) in MACHO_MAGICS


def codesign_targets(root: Path) -> list[Path]:
    """Mach-O files deepest first, then app bundles deepest first (inside-out signing)."""
    files = [p for p in root.rglob("*") if is_macho(p)]
    apps = [p for p in root.rglob("*.app") if p.is_dir() and not p.is_symlink()]
    # Files inside app bundles are signed with their bundle.
    loose = [p for p in files if not any(a in p.parents for a in apps)]

    def depth_first(p: Path) -> tuple[int, str]:
        return (-len(p.parts), p.as_posix())

    return sorted(loose, key=depth_first) + sorted(apps, key=depth_first)


def codesign_argv(keychain: Keychain, entitlements: Path, targets: list[Path]) -> list[str]:
    return [
        "codesign",
        "--sign",
        keychain.application_identity,
        "--keychain",
        str(keychain.path),
        "--entitlements",
        str(entitlements),
        "--force",
        "--timestamp",
        "--options=runtime",
        "--verbose",
        *(str(t) for t in targets),
    ]


def write_entitlements(directory: Path) -> Path:
    path = directory / "entitlements.plist"
    path.write_bytes(plistlib.dumps(ENTITLEMENTS, sort_keys=True))
    return path


def productsign_argv(keychain: Keychain, unsigned: Path, signed: Path) -> list[str]:
    return [
        "productsign",
        "--sign",
        keychain.installer_identity,
        "--keychain",
        str(keychain.path),
        "--timestamp",
        str(unsigned),
        str(signed),
    ]


def notarytool_argv(action: list[str], key_file: Path, notary: NotarySecrets) -> list[str]:
    return [
        "xcrun",
        "notarytool",
        *action,
        "--key",
        str(key_file),
        "--key-id",
        notary.key_id,
        "--issuer",
        notary.issuer,
    ]


def parse_notary_result(stdout: str) -> tuple[str, str]:
    """``(status, submission id)`` from ``notarytool submit --output-format json``."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise CheckFailed("notarytool printed no JSON", stdout.strip().splitlines()[-5:]) from exc
    if not isinstance(data, dict) or "status" not in data:
        raise CheckFailed("notarytool's answer has no status", [stdout.strip()[:200]])
    return str(data["status"]), str(data.get("id", ""))


def notarize(runner: CommandRunner, pkg: Path, notary: NotarySecrets) -> str:
    """Submit, wait, staple; on rejection, raise with Apple's log. Returns the submission id."""
    with tempfile.TemporaryDirectory(prefix="cpython-release-notary-") as tmp:
        key_file = Path(tmp) / f"AuthKey_{notary.key_id}.p8"
        key_file.write_text(
            notary.key if notary.key.endswith("\n") else notary.key + "\n", encoding="utf-8"
        )
        key_file.chmod(0o600)
        submitted = runner.run(
            notarytool_argv(
                ["submit", str(pkg), "--wait", "--timeout", "2h", "--output-format", "json"],
                key_file,
                notary,
            ),
            capture=True,
            check=False,
        )
        status, ident = parse_notary_result(submitted.stdout)
        if status != "Accepted":
            log = ""
            if ident:
                log = runner.run(
                    notarytool_argv(["log", ident], key_file, notary), capture=True, check=False
                ).stdout
            raise CheckFailed(
                f"notarization of {pkg.name} ended {status!r} (id {ident})",
                log.strip().splitlines()[-30:],
            )
    runner.run(["xcrun", "stapler", "staple", str(pkg)])
    runner.run(["xcrun", "stapler", "validate", str(pkg)])
    return ident


# --- smoke test --------------------------------------------------------------------------
HTTPS_SCRIPT = """\
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=60) as r:
    print(r.status, r.geturl())
    sys.exit(0 if r.status == 200 else 1)
"""


def framework_dir(version: ReleaseVersion) -> Path:
    return Path("/Library/Frameworks/Python.framework/Versions") / version.minor_version


def otool_targets(fw: Path, version: ReleaseVersion) -> list[Path]:
    mm = version.minor_version
    found = [fw / "bin" / f"python{mm}", fw / "Python"]
    found += sorted((fw / "lib" / f"python{mm}" / "lib-dynload").glob("*.so"))
    found += sorted(p for p in (fw / "lib").glob("*.dylib") if not p.is_symlink())
    return found


def install_argv(pkg: Path) -> list[str]:
    return ["sudo", "installer", "-pkg", str(pkg), "-target", "/"]
