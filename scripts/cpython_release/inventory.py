"""The files a release publishes on python.org, and which jobs produce them.

One function, :func:`inventory`, holds every gating rule (see ``release-artifacts.md``):
docs only for rc and final; Android from 3.14; iOS from 3.15; GPG only up to 3.13;
installers only in the bugfix and prerelease phases unless binaries for a security release
are asked for. Names are python.org's exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cpython_release.errors import BadInput
from cpython_release.phase import Phase
from cpython_release.version import ReleaseVersion

SIGSTORE = ".sigstore"
GPG = ".asc"
SBOM = ".spdx.json"

# Windows architectures: python.org name, MSBuild platform, hosted runner.
WINDOWS_ARCHES: tuple[tuple[str, str, str], ...] = (
    ("win32", "Win32", "windows-2025"),
    ("amd64", "x64", "windows-2025"),
    ("arm64", "ARM64", "windows-11-arm"),
)
# Android architectures and the hosted runner each is built and tested on.
ANDROID_RUNNERS = {"aarch64": "macos-15", "x86_64": "ubuntu-24.04"}
ANDROID_ARCHES = tuple(ANDROID_RUNNERS)
DOCS_FORMATS = ("html", "text", "texinfo")


@dataclass(frozen=True)
class PlannedFile:
    """One file python.org will serve for the release."""

    name: str
    kind: str
    platform: str
    job: str
    arch: str | None = None
    directory: str = ""  # python.org path below /ftp/python/, e.g. "3.14.0" or "doc/3.14.0rc2"
    companions: tuple[str, ...] = field(default=())

    @property
    def all_names(self) -> list[str]:
        return [self.name] + [self.name + suffix for suffix in self.companions]


@dataclass(frozen=True)
class Gates:
    """Which optional parts a release has."""

    docs: bool
    windows: bool
    macos: bool
    android: bool
    ios: bool
    gpg: bool
    sbom_windows: bool

    def jobs(self) -> dict[str, bool]:
        return {
            "docs": self.docs,
            "windows": self.windows,
            "macos": self.macos,
            "android": self.android,
            "ios": self.ios,
            "gpg": self.gpg,
        }


def gates(
    version: ReleaseVersion,
    phase: Phase,
    *,
    binaries_for_security: bool = False,
    gpg: bool | None = None,
    installers: bool = True,
) -> Gates:
    if phase is Phase.END_OF_LIFE:
        raise BadInput(
            f"{version.minor_version} is end-of-life in the release-cycle data: no more releases "
            "(pass a newer --release-cycle file if that is out of date)"
        )
    # ``installers=False``: a rehearsal or nightly that builds no Windows or macOS installers
    binaries = installers and (
        phase in (Phase.BUGFIX, Phase.PRERELEASE)
        or (phase is Phase.SECURITY and binaries_for_security)
    )
    return Gates(
        docs=version.pre_kind in (None, "rc"),
        windows=binaries,
        macos=binaries,
        android=version.at_least(3, 14),
        ios=version.at_least(3, 15),
        gpg=(not version.at_least(3, 14)) if gpg is None else gpg,
        sbom_windows=binaries,
    )


def has_pymanager(version: ReleaseVersion) -> bool:
    """PyManager packages (``PC/layout --preset-pymanager``) and ``windows-V.json``: python.org
    has them from 3.13 (3.13.5's listing; python/pymanager#124). The one rule both the plan
    and the Windows build follow."""
    return version.at_least(3, 13)


def windows_arches(version: ReleaseVersion) -> list[str]:
    return [a for a, _, _ in WINDOWS_ARCHES if a != "arm64" or version.at_least(3, 11)]


def windows_matrix(version: ReleaseVersion) -> list[dict[str, str]]:
    keep = set(windows_arches(version))
    return [
        {"arch": arch, "platform": platform, "runner": runner}
        for arch, platform, runner in WINDOWS_ARCHES
        if arch in keep
    ]


def inventory(version: ReleaseVersion, g: Gates) -> list[PlannedFile]:
    """Every file of the release, sorted by directory then name."""
    v = str(version)
    ftp = version.xyz
    sig: tuple[str, ...] = (SIGSTORE, GPG) if g.gpg else (SIGSTORE,)
    files: list[PlannedFile] = []

    def add(
        name: str,
        kind: str,
        platform: str,
        job: str,
        *,
        arch: str | None = None,
        directory: str = ftp,
        companions: tuple[str, ...] = sig,
    ) -> None:
        files.append(PlannedFile(name, kind, platform, job, arch, directory, companions))

    for ext in ("tgz", "tar.xz"):
        add(f"Python-{v}.{ext}", "source", "source", "build-source", companions=(*sig, SBOM))

    if g.docs:
        docdir = f"doc/{v}"
        add(
            f"python-{v}-docs.epub",
            "docs",
            "docs",
            "docs",
            directory=docdir,
            companions=(SIGSTORE,),
        )
        for fmt in DOCS_FORMATS:
            for ext in ("tar.bz2", "zip"):
                add(
                    f"python-{v}-docs-{fmt}.{ext}",
                    "docs",
                    "docs",
                    "docs",
                    directory=docdir,
                    companions=(SIGSTORE,),
                )

    if g.windows:
        win_sig = (*sig, SBOM) if g.sbom_windows else sig
        for arch in windows_arches(version):
            exe = f"python-{v}.exe" if arch == "win32" else f"python-{v}-{arch}.exe"
            add(exe, "installer", "windows", "build-windows", arch=arch, companions=win_sig)
            add(
                f"python-{v}-embed-{arch}.zip",
                "embed",
                "windows",
                "build-windows",
                arch=arch,
                companions=win_sig,
            )
            if has_pymanager(version):
                # PyManager packages (PC/layout --preset-pymanager, 3.13+): the regular,
                # free-threaded, test and embeddable zips. python.org never GPG-signs them;
                # the pipeline gives every published file a Sigstore bundle.
                for stem in (
                    f"python-{v}-{arch}",
                    f"python-{v}t-{arch}",
                    f"python-{v}-test-{arch}",
                    f"python-{v}-embeddable-{arch}",
                ):
                    add(
                        f"{stem}.zip",
                        "pymanager",
                        "windows",
                        "build-windows",
                        arch=arch,
                        companions=(SIGSTORE,),
                    )
        if has_pymanager(version):
            add(
                f"windows-{v}.json",
                "pymanager-index",
                "windows",
                "build-windows",
                companions=(SIGSTORE,),
            )

    if g.macos:
        # GPG up to 3.13 like every installer; python.org has no SBOM for macOS (yet).
        add(f"python-{v}-macos11.pkg", "installer", "macos", "build-macos", arch="universal2")

    if g.android:
        for arch in ANDROID_ARCHES:
            add(
                f"python-{v}-{arch}-linux-android.tar.gz",
                "package",
                "android",
                "android",
                arch=arch,
                companions=(SIGSTORE,),
            )

    if g.ios:
        add(f"python-{v}-iOS-XCframework.tar.gz", "framework", "ios", "ios", companions=(SIGSTORE,))

    return sorted(files, key=lambda f: (f.directory, f.name))


def msi_directories(version: ReleaseVersion, g: Gates) -> list[str]:
    """The per-architecture MSI subdirectories (``amd64rc2/``) below the release directory."""
    if not g.windows:
        return []
    return [f"{arch}{version.pre}/" for arch in windows_arches(version)]


def listing(version: ReleaseVersion, g: Gates) -> list[str]:
    """What ``/ftp/python/XYZ/`` lists for this release: files, companions and MSI dirs."""
    names: list[str] = []
    for f in inventory(version, g):
        if f.directory == version.xyz:
            names.extend(f.all_names)
    names.extend(msi_directories(version, g))
    return sorted(names)


def classify(version: ReleaseVersion, name: str) -> PlannedFile:
    """The planned file called ``name`` (a bare file name), whatever the gates."""
    everything = Gates(True, True, True, True, True, True, True)
    for f in inventory(version, everything):
        if f.name == name:
            return f
    raise BadInput(f"{name} is not a file of a {version} release")
