"""prepare.yml then finish.yml under act, in one run, against the fake GitHub: the demo
branch one fix past v3.13.5 gets the release commit and a signed tag v3.13.6 (pushed: the
tag only) and release.yml dispatched on it, then the post-release branch is pushed and its
pull request opened."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from act_harness import ActHarness
from cpython_release.demo_repo import make_demo_repo
from cpython_release.prepare.tagging import verify_tag
from cpython_release.rehearsal.ephemeral_gpg import generate
from fakes_github.server import start_server

pytestmark = pytest.mark.act

SOURCE_REPO = "example/cpython"
CALLER = """\
name: prepare-then-finish
on: workflow_dispatch
permissions: {}
jobs:
  prepare:
    uses: $/.github/workflows/prepare.yml
    permissions:
      contents: write
      issues: read
      actions: write
    with:
      version: "3.13.6"
      branch: "3.13"
      repository: example/cpython
      skip-blockers: true
      publish-target: github
    secrets:
      GPG_PRIVATE_KEY: ${{ secrets.GPG_PRIVATE_KEY }}
  finish:
    needs: prepare
    uses: $/.github/workflows/finish.yml
    permissions:
      contents: write
      pull-requests: write
    with:
      version: "3.13.6"
      repository: example/cpython
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_prepare_then_finish(act: ActHarness, tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "cpython", "3.13.5", past_tag=True)
    branch_before = git(demo.path, "rev-parse", "3.13")
    act.add_repo(SOURCE_REPO, demo.path)
    key = generate(tmp_path)
    caller = act.project / ".github" / "workflows" / "test-prepare-finish.yml"
    caller.write_text(CALLER)
    try:
        with start_server(token="fake-token", repos=(SOURCE_REPO,)) as gh:
            fake = gh.state.repo(SOURCE_REPO)
            # the fake models the API, not git: it knows the branches the run pushes
            fake.branches.update({"3.13": branch_before, "post-release-3.13.6": "0" * 40})
            run = act.run(
                "test-prepare-finish.yml",
                secrets={"GITHUB_TOKEN": "fake-token", "GPG_PRIVATE_KEY": key.armored_secret},
                env={"GITHUB_API_URL": gh.base_url},
                labels=("ubuntu-24.04",),
                timeout=600,
            )
            pulls = list(fake.pulls)
            dispatches = list(fake.dispatches)
        run.assert_jobs(ran={"prepare/prepare", "finish/finish"})  # reads the caller
    finally:
        caller.unlink()
    assert run.returncode == 0, run.tail()
    # the tag reached the repository, signed by the release manager's key; the branch did not
    assert git(demo.path, "cat-file", "-t", "v3.13.6") == "tag"
    assert verify_tag(demo.path, "v3.13.6", key.public_keyring.read_text())
    assert git(demo.path, "rev-parse", "3.13") == branch_before
    tagged = git(demo.path, "rev-parse", "v3.13.6^{commit}")
    assert git(demo.path, "rev-parse", f"{tagged}~1") == branch_before
    assert '"3.13.6"' in git(demo.path, "show", "v3.13.6:Include/patchlevel.h")
    assert git(demo.path, "ls-tree", "--name-only", "v3.13.6", "Misc/NEWS.d/next/") == ""
    # release.yml was started on the pushed tag, with the inputs the caller template takes
    assert dispatches == [
        {
            "workflow": "release.yml",
            "ref": "refs/tags/v3.13.6",
            "inputs": {
                "version": "3.13.6",
                "commit": tagged,
                "mode": "rehearsal",
                "publish-target": "github",
            },
        }
    ]
    # finish pushed its branch and opened the pull request
    assert git(demo.path, "rev-parse", "post-release-3.13.6~1") == tagged
    assert '"3.13.6+"' in git(demo.path, "show", "post-release-3.13.6:Include/patchlevel.h")
    (pull,) = pulls
    assert (pull["base"]["ref"], pull["head"]["ref"]) == ("3.13", "post-release-3.13.6")
    assert pull["title"].startswith("Post 3.13.6") and "v3.13.6" in pull["body"]
