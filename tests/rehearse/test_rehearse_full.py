"""``rehearse --full``: from a branch head with news entries to a published, verified
release and a finish pull request body, on the demo repository, with no network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_release.demo_repo import make_demo_repo
from cpython_release.manifest import Manifest
from cpython_release.prepare.tagging import verify_tag

PIPES = ["prepare", "plan", "build-source", "sbom", "sign", "publish", "verify", "finish"]


def rehearse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpython_release", "rehearse", "--full", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("full")
    return cwd / "rehearsal", rehearse(cwd=cwd)


def test_one_command_prepares_releases_verifies_and_finishes(
    done: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    workdir, proc = done
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((workdir / "rehearsal.json").read_text())
    assert [(s["name"], s["conclusion"]) for s in record["stages"]] == [
        (p, "success") for p in PIPES
    ]
    assert record["version"] == "3.13.6" and record["results"]["verify"] == "valid"
    # the release is of the commit prepare made and tagged
    repo = workdir / "cpython"
    tagged = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "v3.13.6^{commit}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    manifest = Manifest.load(workdir / "artifacts" / "release-manifest.json")
    assert record["commit"] == tagged == manifest.release.commit
    published = workdir / "python.org" / "www.python.org" / "ftp" / "python" / "3.13.6"
    assert (published / "Python-3.13.6.tgz").is_file()
    # the news entries went into the release's NEWS file
    assert len(record["results"]["prepare"]["news_entries"]) == 7


def test_the_tag_signature_verifies_with_the_rehearsal_key(
    done: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    workdir, _ = done
    record = json.loads((workdir / "rehearsal.json").read_text())
    key = (workdir / "rehearsal-key.asc").read_text()
    fingerprint = verify_tag(workdir / "cpython", "v3.13.6", key)
    assert fingerprint == record["results"]["prepare"]["signed_by"]
    assert record["results"]["prepare"]["tag_verified_by"] == fingerprint
    # the same key signed the published files
    assert fingerprint.endswith(
        record["results"]["details"]["sign"].split("ephemeral key ")[1][:16]
    )


def test_the_finish_pull_request_body_and_announcement(
    done: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    workdir, _ = done
    finish = workdir / "finish"
    body = (finish / "pr-post-release-3.13.6.md").read_text()
    assert body.startswith("# Post 3.13.6: merge the v3.13.6 tag and bump to 3.13.6+")
    post = (finish / "announcement-discourse.md").read_text()
    manifest = Manifest.load(workdir / "artifacts" / "release-manifest.json")
    for a in manifest.artifacts:
        assert a.sha256 in post
    assert "## Security\n\n- gh-130000:" in post  # the demo's Security entry
    patchlevel = subprocess.run(
        ["git", "-C", str(workdir / "cpython"), "show", "post-release-3.13.6:Include/patchlevel.h"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"3.13.6+"' in patchlevel


def test_full_on_a_clone_past_its_last_tag_leaves_the_clone_alone(tmp_path: Path) -> None:
    """--repo: a clone whose branch is past its last tag (here the demo's, on 3.13); the
    rehearsal works in a clone of it."""
    original = make_demo_repo(tmp_path / "mine", "3.13.5", past_tag=True).path
    subprocess.run(["git", "-C", str(original), "checkout", "-q", "3.13"], check=True)
    refs = subprocess.run(
        ["git", "-C", str(original), "show-ref"], capture_output=True, text=True
    ).stdout
    proc = rehearse(
        "3.13.6", "--repo", str(original), "--skip", "sbom", cwd=tmp_path
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = subprocess.run(
        ["git", "-C", str(original), "show-ref"], capture_output=True, text=True
    ).stdout
    assert after == refs  # no tag, no branch, no commit in the original


def test_full_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    proc = rehearse("3.13.7", cwd=tmp_path)
    assert proc.returncode == 2 and "releases 3.13.6" in proc.stderr
    proc = rehearse("--nightly", cwd=tmp_path)
    assert proc.returncode == 2 and "nightly" in proc.stderr
