"""The README's main command: a local release rehearsal on the embedded default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_release.gantt import TASK_PREFIX
from cpython_release.manifest import Manifest

PIPES = ["source", "plan", "build-source", "sbom", "sign", "publish", "verify"]


def rehearse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpython_release", "rehearse", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("rehearse")
    return cwd / "rehearsal", rehearse(cwd=cwd)


def test_every_stage_succeeds(done: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    workdir, proc = done
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((workdir / "rehearsal.json").read_text())
    assert [(s["name"], s["conclusion"]) for s in record["stages"]] == [
        (p, "success") for p in PIPES
    ]
    assert "| **total** |" in proc.stdout and "| build-source |" in proc.stdout
    assert "==> build-source" in proc.stderr  # progress, which -q silences
    assert record["results"]["verify"] == "valid"
    # publish's actions as data, not padded lines: every file went up once, into local
    actions = record["results"]["publish"]
    assert actions and all(set(a) == {"target", "verb", "subject", "detail"} for a in actions)
    assert {(a["target"], a["verb"]) for a in actions} >= {("local", "upload")}
    uploaded = [a["subject"] for a in actions if a["verb"] == "upload"]
    assert any(s.endswith("/3.13.5/Python-3.13.5.tgz") for s in uploaded), uploaded
    assert len(uploaded) == len(set(uploaded))
    # the Markdown summary: the same table, and a Gantt chart with one done bar per pipe
    summary = (workdir / "summary.md").read_text()
    assert "| build-source |" in summary and "```mermaid\ngantt\n" in summary
    bars = [
        line.split(" :")[0].strip().removeprefix(TASK_PREFIX)
        for line in summary.splitlines()
        if " :done, t" in line
    ]
    assert bars == PIPES


def test_published_tree_is_signed_and_verifiable(
    done: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    workdir, _ = done
    public = workdir / "python.org" / "www.python.org" / "ftp" / "python" / "3.13.5"
    names = sorted(p.name for p in public.iterdir())
    signed_lists = [  # the signed manifest, SHA256SUMS and their signatures, named by version
        f"{stem}{c}"
        for name, stem in (
            ("release-manifest.json", "release-manifest-3.13.5.json"),
            ("SHA256SUMS", "SHA256SUMS-3.13.5"),
        )
        for c in ("", ".asc", ".sigstore")
        if (workdir / "artifacts" / f"{name}{c}").is_file()
    ]
    assert "release-manifest-3.13.5.json" in signed_lists and "SHA256SUMS-3.13.5" in signed_lists
    assert names == sorted(
        [f"Python-3.13.5.{ext}{c}" for ext in ("tgz", "tar.xz") for c in ("", ".asc", ".spdx.json")]
        + signed_lists
    )
    manifest = Manifest.load(workdir / "artifacts" / "release-manifest.json")
    assert manifest.release.commit == json.loads((workdir / "rehearsal.json").read_text())["commit"]
    for a in manifest.artifacts:
        assert a.content_digest and a.sbom and [s.type for s in a.signatures] == ["gpg"]
    # the public half of the ephemeral key verifies the published signature with plain gpg
    home = workdir / "gnupg-check"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["gpg", "--batch", "--import", str(workdir / "rehearsal-key.asc")],
        env=env,
        check=True,
        capture_output=True,
    )
    ok = subprocess.run(
        [
            "gpg",
            "--batch",
            "--verify",
            str(public / "Python-3.13.5.tgz.asc"),
            str(public / "Python-3.13.5.tgz"),
        ],
        env=env,
        capture_output=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads((workdir / "verify.json").read_text())["result"] == "valid"


def test_wrong_commit_stops_at_the_first_pipe(
    tmp_path: Path, done: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    repo = done[0] / "cpython"
    proc = rehearse(
        "3.13.5",
        "--repo",
        str(repo),
        "--commit",
        "f" * 40,
        "--workdir",
        str(tmp_path / "w"),
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    record = json.loads((tmp_path / "w" / "rehearsal.json").read_text())
    assert [(s["name"], s["conclusion"]) for s in record["stages"]] == [
        ("source", "success"),
        ("plan", "success"),
        ("build-source", "failure"),
    ]
    assert "ffffffffffff" in proc.stderr


def test_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    proc = rehearse("--workdir", str(precious), cwd=tmp_path)
    assert proc.returncode == 2 and "not a rehearsal directory" in proc.stderr
    assert (precious / "keep.txt").read_text() == "mine"


def test_bad_version(tmp_path: Path) -> None:
    proc = rehearse("3.14", "--workdir", str(tmp_path / "w"), cwd=tmp_path)
    assert proc.returncode == 2 and "not a CPython release version" in proc.stderr


def test_build_source_with_relative_out(
    tmp_path: Path, done: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    """The workflow runs ``--out dist`` from the workspace; git runs inside the repository."""
    repo = done[0] / "cpython"
    commit = json.loads((done[0] / "rehearsal.json").read_text())["commit"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cpython_release",
            "build-source",
            "3.13.5",
            "--repo",
            str(repo),
            "--commit",
            commit,
            "--out",
            "dist",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "dist" / "Python-3.13.5.tgz").is_file()


def test_tampered_publication_fails_verify_with_exit_1(tmp_path: Path) -> None:
    """A published file changed after signing: the verify pipe names it and exits 1."""
    from cpython_release.errors import CheckFailed
    from cpython_release.rehearsal.pipeline import Rehearsal, pipe_verify
    from cpython_release.version import ReleaseVersion

    workdir = tmp_path / "w"
    proc = rehearse("--workdir", str(workdir), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    public = workdir / "python.org" / "www.python.org" / "ftp" / "python" / "3.13.5"
    tgz = public / "Python-3.13.5.tgz"
    data = bytearray(tgz.read_bytes())
    data[100] ^= 1
    tgz.write_bytes(bytes(data))
    r = Rehearsal(
        workdir=workdir,
        version=ReleaseVersion.parse("3.13.5"),
        repo=workdir / "cpython",
        keyring=workdir / "rehearsal-key.asc",
        published=public,
    )
    with pytest.raises(CheckFailed) as info:
        pipe_verify(r)
    assert info.value.exit_code == 1
    assert any("Python-3.13.5.tgz" in p for p in info.value.problems), info.value.problems
