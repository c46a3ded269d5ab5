"""Release mode under act: the installer-signing jobs refuse to make unsigned installers.

build-windows.yml and build-macos.yml are called as release.yml calls them in release mode
(require-signed, no allow-unsigned-installers) but without any signing secret: the unsigned
builds succeed, and each package job, the only one that would hold the secrets, stops at
signing, before packaging anything, naming the missing secrets and the explicit way out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from act.release_run import add_build_installer
from act_harness import ActHarness
from cpython_release.demo_repo import make_demo_repo

pytestmark = pytest.mark.act

CALLER = """\
name: require-signed caller
on: workflow_dispatch
permissions: {{}}
jobs:
  windows:
    uses: ./.github/workflows/build-windows.yml
    permissions:
      contents: read
    with:
      repository: example/cpython
      commit: {commit}
      version: "3.13.5"
      matrix: '{{"include":[{{"arch":"amd64","platform":"x64","runner":"windows-2025"}}]}}'
      require-signed: true
  macos:
    uses: ./.github/workflows/build-macos.yml
    permissions:
      contents: read
    with:
      repository: example/cpython
      commit: {commit}
      version: "3.13.5"
      require-signed: true
"""


def test_release_mode_refuses_unsigned_installers(act: ActHarness, tmp_path: Path) -> None:
    demo = make_demo_repo(tmp_path / "cpython", "3.13.5")
    commit = add_build_installer(demo.path, "3.13.5")
    act.add_repo("example/cpython", demo.path)
    caller = act.project / ".github" / "workflows" / "test-require-signed.yml"
    caller.write_text(CALLER.format(commit=commit))
    run = act.run("test-require-signed.yml")
    assert run.job_results == {
        "windows/build": "success",
        "windows/package": "failure",
        "macos/build": "success",
        "macos/package": "failure",
    }, run.tail()
    windows = {s.name: s.result for s in run.steps("windows/package")}
    assert windows["Sign binaries"] == "failure"
    assert "Layouts (embeddable zip, nuget, PyManager)" not in windows
    assert "would not be signed, and this release requires signed installers" in run.job_log(
        "windows/package"
    )
    mac = {s.name: s.result for s in run.steps("macos/package")}
    assert mac["Package, sign and notarize"] == "failure"
    assert "would not be signed and notarized" in run.job_log("macos/package")
    assert not (run.artifacts / "windows-amd64").exists() and not (run.artifacts / "macos").exists()
