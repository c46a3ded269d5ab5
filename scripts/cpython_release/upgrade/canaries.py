"""Part 4: canaries, third-party packages installed and tested under both interpreters.

A small TOML list (``--canaries FILE``) names packages whose sdists (and any wheels they
need) sit in a cache directory, so it works offline (the workflow fills the cache with ``pip
download``)::

    cache = "canary-cache"      # relative to this file
    [[canary]]
    name = "attrs"              # what pip installs, from the cache only
    tests = "tests"             # the test directory inside its sdist (unittest discover)
    build_isolation = true      # false: build with the interpreter's own setuptools

Each canary is installed with the interpreter's own pip (``-m pip install --no-index
--find-links CACHE --target DIR``: pure-Python packages as they are, C extensions built from
the sdist by that interpreter), then its tests from the sdist run under that interpreter. A
package that no longer installs, or a test that passes on the old and fails on the new, is a
finding.
"""

from __future__ import annotations

import re
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.upgrade.findings import Finding
from cpython_release.upgrade.interpreters import run_python
from cpython_release.upgrade.old_tests import Outcome, check_failed, regressions, run_tests

INSTALL_TIMEOUT = 900.0


@dataclass(frozen=True)
class Canary:
    name: str
    tests: str
    build_isolation: bool


def load(path: Path) -> tuple[Path, list[Canary]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"--canaries {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"--canaries {path}: not UTF-8 ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"--canaries {path}: not valid TOML: {exc}") from exc
    cache = (path.parent / str(data.get("cache", ""))).resolve()
    if not data.get("cache") or not cache.is_dir():
        raise BadInput(f"--canaries {path}: cache must name a directory ({cache})")
    out: list[Canary] = []
    for n, item in enumerate(data.get("canary", []), 1):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise BadInput(f"--canaries {path}: canary {n} needs a package name")
        if any(_norm(c.name) == _norm(name) for c in out):
            raise BadInput(f"--canaries {path}: canary {name} is listed twice")
        canary = Canary(name, str(item.get("tests", "")), bool(item.get("build_isolation", True)))
        if canary.tests:
            _sdist_top(cache, canary)
        out.append(canary)
    return cache, out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _sdist_top(cache: Path, canary: Canary) -> tuple[Path, str]:
    """The canary's sdist and its one top-level directory (where its tests are)."""
    sdist = _sdist(cache, canary.name)
    if sdist is None:
        raise BadInput(f"canary {canary.name}: no sdist in {cache} for its tests")
    try:
        with tarfile.open(sdist) as tf:
            tops = {m.name.lstrip("./").split("/", 1)[0] for m in tf.getmembers()} - {""}
    except (OSError, tarfile.TarError) as exc:
        raise BadInput(
            f"canary {canary.name}: {sdist.name} is not a readable sdist: {exc}"
        ) from exc
    if len(tops) != 1:
        raise BadInput(
            f"canary {canary.name}: {sdist.name} must hold one top-level directory, "
            f"not {sorted(tops)}"
        )
    return sdist, tops.pop()


def _sdist(cache: Path, name: str) -> Path | None:
    norm = _norm(name)
    for p in sorted(cache.glob("*.tar.gz")):
        if re.sub(r"[-_.]+", "_", p.name).lower().startswith(norm + "_"):
            return p
    return None


def _install(python: Path, cache: Path, canary: Canary, target: Path) -> str:
    """'' when installed, else pip's last lines."""
    args = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-index",
            "--find-links", str(cache), "--target", str(target)]  # fmt: skip
    if not canary.build_isolation:
        args.append("--no-build-isolation")
    proc = run_python(python, [*args, canary.name], cwd=target.parent, timeout=INSTALL_TIMEOUT)
    if proc.returncode == 0:
        return ""
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])


def canaries(
    config: Path, old_python: Path, new_python: Path, work: Path, fallback: str
) -> tuple[list[Finding], str]:
    cache, listed = load(config)
    findings: list[Finding] = []
    ran = 0
    for canary in listed:
        base = work / canary.name
        tests: list[str] = []
        if canary.tests:
            sdist, top_name = _sdist_top(cache, canary)
            with tarfile.open(sdist) as tf:
                tf.extractall(base / "src", filter="data")
            top = base / "src" / top_name
            if not top.is_dir():
                raise BadInput(f"canary {canary.name}: {sdist.name} has no directory {top_name}")
            # its own top level: the sdist's source tree must not shadow what was installed
            tests = [f"discover={top / canary.tests}"]
        outcomes: dict[str, Outcome | str] = {}
        for label, python in (("old", old_python), ("new", new_python)):
            site = base / label / "site"
            site.mkdir(parents=True)
            error = _install(python, cache, canary, site)
            if error:
                outcomes[label] = error
            elif tests:
                outcomes[label] = run_tests(python, site, tests, base / label, label)
            else:
                outcomes[label] = Outcome("", {}, {})
        old, new = outcomes["old"], outcomes["new"]
        if isinstance(old, str):
            raise BadInput(f"canary {canary.name} does not install on the old interpreter:\n{old}")
        ran += 1
        if isinstance(new, str):
            findings.append(_finding(canary.name, "no longer installs", new, fallback))
            continue
        broken = [(o, which) for o, which in ((old, "old"), (new, "new")) if o.error]
        for o, which in broken:
            findings.append(
                check_failed(
                    "canaries",
                    f"canary {canary.name}: its tests under the {which} interpreter did not "
                    f"complete: {o.error}",
                    fallback,
                )
            )
        if broken:
            continue
        for subject, what, output in regressions(old, new):
            findings.append(_finding(f"{canary.name}: {subject}", what, output, fallback))
    return findings, f"{ran} package(s) installed and tested under both interpreters"


def _finding(subject: str, what: str, output: str, commit: str | None) -> Finding:
    return Finding(
        kind="canary",
        commit=None,  # a third-party package's test: no commit of the range is named
        gh_issue=None,
        detail=f"{subject} {what} on the new interpreter (passes on the previous release)",
        subject=subject,
        score=1,
        extra={"output": output.strip()},
    )
