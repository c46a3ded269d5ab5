"""Re-check a directory of files against a manifest: every hash, every size, nothing extra."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cpython_release.ghactions import Progress
from cpython_release.hashing import FileDigest, hash_many
from cpython_release.manifest import Manifest


@dataclass
class IntegrityReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    def problems(self, strict: bool = True) -> list[str]:
        out = [f"missing: {n}" for n in self.missing]
        out += self.mismatched
        if strict:
            out += [f"unlisted file: {n}" for n in self.unlisted]
        return out

    def ok(self, strict: bool = True) -> bool:
        return not self.problems(strict)


def list_files(directory: Path) -> list[str]:
    """Every regular file below ``directory``, as sorted POSIX relative paths."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def check_directory(
    manifest: Manifest,
    directory: Path,
    *,
    ignore: set[str] | None = None,
) -> IntegrityReport:
    """Hash every listed file (in parallel) and compare with the manifest.

    ``ignore`` names files that may be present without being listed (the manifest itself,
    its bundle, SHA256SUMS).
    """
    expected = manifest.all_files()
    report = IntegrityReport()
    present = set(list_files(directory))
    listed = {f.name for f in expected}
    report.unlisted = sorted(present - listed - (ignore or set()))
    to_hash = [f for f in expected if f.name in present]
    report.missing = sorted(f.name for f in expected if f.name not in present)
    progress = Progress("hashing", len(to_hash))
    digests = hash_many(
        (directory / f.name for f in to_hash), on_done=lambda _p: progress.advance()
    )
    progress.close()
    for f in to_hash:
        got = digests[directory / f.name]
        report.checked += 1
        if isinstance(got, OSError):
            report.mismatched.append(f"unreadable: {f.name}: {got.strerror or got}")
        elif got != FileDigest(f.size, f.sha256):
            if got.size != f.size:
                report.mismatched.append(
                    f"size mismatch: {f.name}: manifest {f.size} bytes, file {got.size} bytes"
                )
            else:
                report.mismatched.append(
                    f"sha256 mismatch: {f.name}: manifest {f.sha256}, file {got.sha256}"
                )
    return report
