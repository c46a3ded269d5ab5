"""Hostile inputs give exit 1 or 2 with a message, never a traceback, and run nothing.

Each test reproduces an attack from issue 10 (items 2 and 11) and checks it now fails closed.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest
from cpython_release.verify import sbom
from verify.verify_support import Release, sbom_for

DEEP = "[" * 100_000 + "]" * 100_000
NAME = "Python-3.14.1.tgz"
SHA = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"


class CliResult(Protocol):
    code: int
    out: str
    err: str


Cli = Callable[..., CliResult]


@pytest.fixture(autouse=True)
def _no_actions_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(var, raising=False)


def test_deeply_nested_manifest_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "release-manifest.json"
    path.write_text(DEEP)
    r = cli("manifest", "show", str(path))
    assert r.code == 2 and "JSON nested too deeply" in r.err
    r = cli("verify", "3.13.5", str(tmp_path))
    assert r.code == 1 and "JSON nested too deeply" in r.out
    assert "Traceback" not in r.out + r.err


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_deeply_nested_sbom_fails_verification(cli: Cli, release: Release) -> None:
    (release.directory / "Python-3.13.5.tgz.spdx.json").write_text(DEEP)
    r = cli("verify", "3.13.5", str(release.directory), "--format", "json")
    assert r.code == 1
    problems = json.loads(r.out)["problems"]
    assert any("SBOM is not usable: JSON nested too deeply" in p for p in problems), problems


def test_deeply_nested_bundle_is_a_verdict(tmp_path: Path) -> None:
    from cpython_release.verify.bundles import SigstoreBundleVerifier
    from verify.verify_support import identity

    verdict = SigstoreBundleVerifier().verify(SHA, DEEP.encode(), identity())
    assert verdict.status == "invalid" and "nested too deeply" in verdict.message


def test_report_to_a_directory_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    r = cli("verify", "3.13.5", str(tmp_path), "--report", str(tmp_path))
    assert r.code == 2 and "is a directory" in r.err


@pytest.mark.parametrize("url", ["http://[::1", "http://example.org:99999/"])
def test_malformed_url_is_bad_input(cli: Cli, url: str) -> None:
    r = cli("verify", "3.13.5", url)
    assert r.code == 2 and "not a usable URL" in r.err


def test_archive_without_an_executable_configure_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "Python-3.13.5.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, mode in (("Python-3.13.5/configure", 0o644), ("Python-3.13.5/README", 0o644)):
            info = tarfile.TarInfo(name)
            data = b"#!/bin/sh\nexit 0\n"
            info.size, info.mode = len(data), mode
            tf.addfile(info, io.BytesIO(data))
    r = cli("build-source", "test-archive", str(archive), "--workdir", str(tmp_path / "w"))
    assert r.code == 1, r.err
    assert "configure failed" in r.err and "cannot run ./configure" in r.err
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tag", "../../../../tmp/evil"),
        ("tag", "v3.13.5\n"),
        ("version", "3.13.5\n"),
        ("commit", "0" * 40 + "\n"),
        ("repository", "python/cpython\n"),
    ],
)
def test_schema_refuses_hostile_release_facts(
    release: Release, field: str, value: str, cli: Cli
) -> None:
    data = json.loads(release.manifest_path.read_text())
    data["release"][field] = value
    release.manifest_path.write_text(json.dumps(data))
    with pytest.raises(BadInput, match="not a valid release manifest"):
        Manifest.load(release.manifest_path)
    r = cli("publish", "--dir", str(release.directory), "--dry-run", "--root", "out")
    assert r.code == 2 and "not a valid release manifest" in r.err, r.err


@pytest.mark.parametrize("where", ["artifact", "signature", "sbom"])
def test_schema_refuses_a_name_with_a_trailing_newline(release: Release, where: str) -> None:
    data = json.loads(release.manifest_path.read_text())
    art = data["artifacts"][0]
    if where == "artifact":
        art["name"] += "\n"
    elif where == "signature":
        art["signatures"][0]["name"] += "\n"
    else:
        art["sbom"]["name"] += "\n"
    with pytest.raises(BadInput, match="not a valid release manifest"):
        Manifest.from_dict(data)


def test_sbom_worker_never_imports_from_the_checked_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A json.py planted in the release directory (the current directory, and PYTHONPATH)
    must not run in the SBOM worker, and the verdicts must be the real ones."""
    monkeypatch.setattr(sbom, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(sbom, "POOL_MIN_TOTAL", 1)
    tree = tmp_path / "release"
    tree.mkdir()
    marker = tmp_path / "pwned"
    (tree / "json.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "def dumps(*a, **k):\n    return '{}'\n"
        "def loads(*a, **k):\n    return {}\n"
    )
    good = tree / f"{NAME}.spdx.json"
    good.write_text(json.dumps(sbom_for(NAME, SHA, "3.14.1", files=5)))
    monkeypatch.chdir(tree)
    monkeypatch.setenv("PYTHONPATH", str(tree))
    checker = sbom.SbomChecker([(Path(good.name), NAME)])
    try:
        assert checker._proc is not None
        assert checker._proc.args[:2] == [sys.executable, "-I"]  # type: ignore[index]
        checker._collect()
        assert checker._results, "the worker gave no results"
        facts = checker.result(Path(good.name))
    finally:
        checker.close()
    assert not marker.exists(), "the planted json.py ran"
    assert facts == sbom.SbomFacts(None, (SHA,), ())
