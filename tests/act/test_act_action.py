"""The top-level action.yml (for downstream packagers) under act.

A rehearsal's output is GPG-signed but has no Sigstore bundles (no OIDC identity here). A
packager's verification must not accept that: the action has to install the toolkit from its
own path, run verify with the given inputs, and report ``invalid`` through its outputs, naming
the manifest's missing bundle, while hashes, SBOMs and GPG signatures check out. The run
also carries the ``only`` input: the two tarballs and the manifest are all that is checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from act_harness import ActHarness

pytestmark = pytest.mark.act

CALLER = """\
name: action-caller
on: [workflow_dispatch]
permissions: {{}}
jobs:
  downstream:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          persist-credentials: false
      - id: verify
        uses: ./
        continue-on-error: true
        with:
          version: "3.13.5"
          source: {source}
          keyring: {keyring}
          only: Python-3.13.5.tgz Python-3.13.5.tar.xz
      - env:
          RESULT: ${{{{ steps.verify.outputs.result }}}}
          REPORT: ${{{{ steps.verify.outputs.report }}}}
          OUTCOME: ${{{{ steps.verify.outcome }}}}
        run: |
          echo "action-result=$RESULT outcome=$OUTCOME"
          cp "$REPORT" "$ACT_STANDIN_ARTIFACTS/../action-report.json"
"""


def test_action_refuses_a_release_without_sigstore_bundles(act: ActHarness, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cpython_release", "rehearse", "--workdir", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    public = tmp_path / "w" / "artifacts"
    caller = act.project / ".github" / "workflows" / "test-action-caller.yml"
    caller.write_text(CALLER.format(source=public, keyring=tmp_path / "w" / "rehearsal-key.asc"))
    run = act.run("test-action-caller.yml")
    run.assert_jobs(ran={"downstream"})
    assert "action-result=invalid outcome=failure" in run.text(), run.tail()
    report = json.loads((run.artifacts.parent / "action-report.json").read_text())
    assert report["result"] == "invalid"
    # every file, the manifest first, must carry a bundle of the pipeline's identity: a
    # rehearsal's GPG signatures do not make a release (its own verify names its key instead)
    files = {f["name"]: f for f in report["files"]}
    assert set(files) == {"release-manifest.json", "Python-3.13.5.tgz", "Python-3.13.5.tar.xz"}
    assert sorted(report["problems"]) == sorted(
        f"{name}: not signed: no Sigstore bundle {name}.sigstore" for name in files
    )
    assert "release-manifest.json" in files
    assert files["Python-3.13.5.tgz"]["checks"]["integrity"]["status"] == "ok"
    assert files["Python-3.13.5.tgz"]["checks"]["gpg"]["status"] == "ok"
    assert files["Python-3.13.5.tgz"]["checks"]["sbom"]["status"] == "ok"
