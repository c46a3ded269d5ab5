"""SPDX 2.3 SBOMs for CPython release artifacts.

What goes in follows python/release-tools ``sbom.py``:

- Source tarballs: the tarball's own ``Misc/sbom.spdx.json`` (bundled libraries and their
  files), a ``CPython`` package that DEPENDS_ON each of them, the bundled pip wheel and the
  projects pip vendors, every other file of the tarball as a CPython file (SHA1 + SHA256),
  and package verification codes. A file whose hash differs from ``Misc/sbom.spdx.json``, or
  one listed there but absent, stops the stage.
- Windows installers and embeddable zips: ``Misc/externals.spdx.json`` plus the packages of
  ``Misc/sbom.spdx.json`` (as LIBRARY: compiled in), and pip for the installers.

Unlike release-tools the output is reproducible: ``created`` is the release commit time (the
manifest's), lists are sorted, and asking PyPI is optional (pip's download URL is derived
from the wheel's own BLAKE2b-256, as PyPI lays out its files).
"""

from cpython_release.sbom.documents import Built, Subject, source_tarball_sbom, windows_sbom
from cpython_release.sbom.pip import PyPI, PyPIJson
from cpython_release.sbom.source import scan_source, scan_tarball
from cpython_release.sbom.spdx import dumps, normalize
from cpython_release.sbom.stage import build_sbom, wants_sbom, write_sboms

__all__ = [
    "Built",
    "PyPI",
    "PyPIJson",
    "Subject",
    "build_sbom",
    "dumps",
    "normalize",
    "scan_source",
    "scan_tarball",
    "source_tarball_sbom",
    "wants_sbom",
    "windows_sbom",
    "write_sboms",
]
