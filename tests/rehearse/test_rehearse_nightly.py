"""``rehearse --nightly``: the nightly path, locally, on the demo one commit past its tag."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cpython_release.demo_repo import make_demo_repo
from cpython_release.manifest import Manifest
from cpython_release.nightly_names import parse_tag


def rehearse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpython_release", "rehearse", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("rehearse-nightly")
    proc = rehearse("--nightly", cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return cwd / "rehearsal", proc.stderr


def test_the_nightly_of_the_demo_verifies(nightly: tuple[Path, str]) -> None:
    workdir, log = nightly
    day = datetime.now(UTC).strftime("%Y%m%d")
    version = f"3.13.6.dev{day}"
    record = json.loads((workdir / "rehearsal.json").read_text())
    assert record["version"] == version and record["results"]["verify"] == "valid"
    assert "PY_VERSION '3.13.5+' -> nightly " + version in log
    manifest = Manifest.load(workdir / "artifacts" / "release-manifest.json")
    assert sorted(manifest.names()) == [f"Python-{version}.tar.xz", f"Python-{version}.tgz"]
    tag = parse_tag(manifest.release.tag)
    assert tag is not None and manifest.release.commit.startswith(tag.short_sha)
    # the built commit is the branch head, one past the tag
    repo = workdir / "cpython"
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "3.13"], capture_output=True, text=True
    ).stdout.strip()
    assert "3.13 = " + head[:12] in log
    tagged = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "v3.13.5^{commit}"], capture_output=True, text=True
    ).stdout.strip()
    assert manifest.release.commit == head != tagged


def test_a_branch_that_does_not_exist(tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "cpython", past_tag=True)
    proc = rehearse("--nightly", "--repo", str(demo.path), "--branch", "3.99", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "branch '3.99' does not exist" in proc.stderr and "Traceback" not in proc.stderr
    record = json.loads((tmp_path / "rehearsal" / "rehearsal.json").read_text())
    assert [s["name"] for s in record["stages"]] == ["source"]
    assert not (tmp_path / "rehearsal" / "artifacts").exists()


def test_a_nightly_version_that_does_not_follow_the_patchlevel(tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "cpython", past_tag=True)
    proc = rehearse("3.13.8.dev20261206", "--nightly", "--repo", str(demo.path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "does not follow main's PY_VERSION '3.13.5+'" in proc.stderr  # the checked-out one


def test_a_release_rehearsal_needs_its_tag(tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "cpython", past_tag=True)
    proc = rehearse("3.13.6", "--repo", str(demo.path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "tag v3.13.6 does not exist" in proc.stderr and "push v3.13.6" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["3.13.6.dev20261206"], "is a nightly version, but this is not nightly"),
        (["3.13.5", "--nightly"], "is a release version, but nightly mode"),
        (["--branch", "3.13"], "--branch is for --nightly"),
    ],
)
def test_modes_are_not_mixed(tmp_path: Path, args: list[str], message: str) -> None:
    proc = rehearse(*args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "rehearsal").exists()


def test_a_revision_is_not_a_branch(tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "cpython", past_tag=True)
    proc = rehearse("--nightly", "--repo", str(demo.path), "--branch", "main~1", cwd=tmp_path)
    assert proc.returncode == 2 and "branch 'main~1' does not exist" in proc.stderr


def test_the_workdir_is_never_the_repository_or_a_file(tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "old" / "cpython", past_tag=True)
    (tmp_path / "old" / ".cpython-release-rehearsal").write_text("")
    proc = rehearse("--nightly", "--repo", str(demo.path), "--workdir", "old", cwd=tmp_path)
    assert proc.returncode == 2 and "holds the repository" in proc.stderr
    assert (demo.path / "Include" / "patchlevel.h").is_file()
    (tmp_path / "afile").write_text("keep me")
    proc = rehearse("--nightly", "--workdir", "afile", cwd=tmp_path)
    assert proc.returncode == 2 and "is not a directory" in proc.stderr
    assert "Traceback" not in proc.stderr and (tmp_path / "afile").read_text() == "keep me"
