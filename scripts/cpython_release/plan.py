"""Which jobs a release runs, and with what matrices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.inventory import (
    ANDROID_RUNNERS,
    PlannedFile,
    gates,
    inventory,
    windows_matrix,
)
from cpython_release.phase import Phase, ReleaseCycle
from cpython_release.version import ReleaseVersion

_SHA_RE = re.compile(r"[0-9a-f]{40}")
MODES = ("release", "rehearsal", "nightly")
TARGETS = ("python-org", "github", "none")


def check_mode(mode: str, target: str, version: ReleaseVersion) -> None:
    """Only a real release may publish to python.org; nightlies are never releases."""
    if mode not in MODES:
        raise BadInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if target not in TARGETS:
        raise BadInput(f"publish target must be one of {', '.join(TARGETS)}, got {target!r}")
    if mode != "release" and target == "python-org":
        raise BadInput(
            f"{mode} mode never publishes to python.org: use --publish-target github or none"
        )
    if version.is_nightly != (mode == "nightly"):
        raise BadInput(
            f"{version} is {'a nightly' if version.is_nightly else 'a release'} "
            f"version, but the mode is {mode}"
        )


def check_commit(commit: str) -> str:
    if not _SHA_RE.fullmatch(commit or ""):
        raise BadInput(
            f"--commit must be a full 40-character lowercase hex commit SHA, got {commit!r}: "
            "a branch or tag name could move between jobs"
        )
    return commit


@dataclass(frozen=True)
class Plan:
    version: ReleaseVersion
    commit: str
    phase: Phase
    jobs: dict[str, bool]
    windows_matrix: list[dict[str, str]]
    android_matrix: list[dict[str, str]]
    artifacts: list[str]
    mode: str = "release"
    publish_target: str = "none"
    files: tuple[PlannedFile, ...] = ()

    def artifacts_of(self, jobs: set[str]) -> list[str]:
        """The planned artifacts that ``jobs`` produce (what a partial run must yield)."""
        return [f"{f.directory}/{f.name}" for f in self.files if f.job in jobs]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.version.to_dict(),
            "commit": self.commit,
            "phase": str(self.phase),
            "jobs": self.jobs,
            "windows_matrix": self.windows_matrix,
            "android_matrix": self.android_matrix,
            "artifacts": self.artifacts,
            "mode": self.mode,
            "publish_target": self.publish_target,
        }


def make_plan(
    version: ReleaseVersion,
    commit: str,
    cycle: ReleaseCycle,
    *,
    binaries_for_security: bool = False,
    gpg: bool | None = None,
    mode: str = "release",
    publish_target: str = "none",
    installers: bool = True,
) -> Plan:
    check_mode(mode, publish_target, version)
    if not installers and mode == "release":
        raise BadInput(
            "a release builds the installers its phase has: --no-installers is for "
            "rehearsals and nightlies"
        )
    phase = cycle.phase_of(version)
    if mode == "nightly" and gpg is None:
        # a GPG signature is a release manager's word for a release; nightlies carry none
        gpg = False
    g = gates(
        version,
        phase,
        binaries_for_security=binaries_for_security,
        gpg=gpg,
        installers=installers,
    )
    android = (
        [{"arch": arch, "runner": runner} for arch, runner in ANDROID_RUNNERS.items()]
        if g.android
        else []
    )
    files = inventory(version, g)
    return Plan(
        version=version,
        commit=check_commit(commit),
        phase=phase,
        jobs=g.jobs(),
        windows_matrix=windows_matrix(version) if g.windows else [],
        android_matrix=android,
        artifacts=[f"{f.directory}/{f.name}" for f in files],
        mode=mode,
        publish_target=publish_target,
        files=tuple(files),
    )
