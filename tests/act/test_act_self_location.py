"""The harness's translation of GitHub's self-location for act follows the documented meaning.

GitHub documents (cited in tests/act_harness.py): ``uses: $/PATH`` resolves to the repository
of the workflow that contains it, at the exact commit that is running, also for reusable
workflow calls and inside composite actions; ``job.workflow_*`` names the workflow file that
defines the current job, not the caller. act implements neither, so the harness rewrites them;
these tests pin the rewrite to that meaning, and run it: a caller calls a reusable workflow with
``$/``, whose job reports its ``job.workflow_*`` and installs the toolkit with
``$/actions/setup``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from act_harness import TOOLKIT_REPO, ActHarness, translate_self_location

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


def _translate(text: str, file_path: str = ".github/workflows/release.yml") -> str:
    return translate_self_location(
        text, file_path=file_path, repository="o/toolkit", sha=SHA, ref="refs/tags/v1"
    )


def test_reusable_workflow_call_stays_in_this_repository_at_this_commit() -> None:
    # act reads ./ workflows from the snapshot, which is this repository at this commit
    assert _translate("jobs:\n  plan:\n    uses: $/.github/workflows/plan.yml\n") == (
        "jobs:\n  plan:\n    uses: ./.github/workflows/plan.yml\n"
    )


def test_action_resolves_to_this_repository_at_the_running_commit() -> None:
    text = "    steps:\n      - uses: $/actions/setup # the toolkit\n"
    assert (
        _translate(text)
        == f"    steps:\n      - uses: o/toolkit/actions/setup@{SHA} # the toolkit\n"
    )
    # in a composite action too: the action's own repository and commit
    composite = "  steps:\n    - uses: $/actions/other\n"
    assert _translate(composite, "actions/setup/action.yml") == (
        f"  steps:\n    - uses: o/toolkit/actions/other@{SHA}\n"
    )


def test_job_context_names_the_file_that_defines_the_job() -> None:
    text = (
        "env:\n  A: ${{ job.workflow_sha }}\n  B: ${{ job.workflow_repository }}\n"
        "  C: ${{ job.workflow_ref }}\n  D: ${{ job.workflow_file_path }}\n"
        "  E: ${{ github.workflow_sha }}\n# job.workflow_sha in a comment stays\n"
    )
    out = _translate(text, ".github/workflows/sign.yml")
    assert f"A: ${{{{ '{SHA}' }}}}" in out
    assert "B: ${{ 'o/toolkit' }}" in out
    assert "C: ${{ 'o/toolkit/.github/workflows/sign.yml@refs/tags/v1' }}" in out
    assert "D: ${{ '.github/workflows/sign.yml' }}" in out
    # the caller's identity is not what the job context names: github.* is left to act
    assert "E: ${{ github.workflow_sha }}" in out
    assert "# job.workflow_sha in a comment stays" in out


def test_what_has_no_static_meaning_is_refused() -> None:
    with pytest.raises(ValueError, match="outside a workflow"):
        _translate("    env:\n      X: ${{ job.workflow_sha }}\n", "actions/setup/action.yml")
    with pytest.raises(ValueError, match="cannot call a reusable workflow"):
        _translate("    - uses: $/.github/workflows/x.yml\n", "action.yml")


CALLER = """\
name: self-caller
on: [workflow_dispatch]
permissions: {}
jobs:
  call:
    uses: $/.github/workflows/test-self-probe.yml
    permissions:
      contents: read
"""

PROBE = """\
name: self-probe
on:
  workflow_call:
permissions: {}
jobs:
  probe:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - id: setup
        uses: $/actions/setup
      - env:
          REPO: ${{ job.workflow_repository }}
          SHA: ${{ job.workflow_sha }}
          REF: ${{ job.workflow_ref }}
          FILE: ${{ job.workflow_file_path }}
          HASH: ${{ steps.setup.outputs.source-hash }}
        run: echo "probe repo=$REPO sha=$SHA ref=$REF file=$FILE hash=$HASH"
"""


def _install_module() -> object:
    spec = importlib.util.spec_from_file_location("install", ROOT / "actions/setup/install.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["_install_probe"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.act
def test_translation_under_act(act: ActHarness) -> None:
    workflows = act.project / ".github" / "workflows"
    (workflows / "test-self-caller.yml").write_text(CALLER)
    (workflows / "test-self-probe.yml").write_text(PROBE)
    run = act.run("test-self-caller.yml")
    run.assert_jobs(ran={"call/probe"})
    line = next(ln for ln in run.text().splitlines() if ln.startswith("probe repo="))
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    # the reusable workflow's own identity, not the caller's file
    assert fields["repo"] == TOOLKIT_REPO and fields["sha"] == act.sha
    assert fields["file"] == ".github/workflows/test-self-probe.yml"
    assert fields["ref"] == f"{TOOLKIT_REPO}/.github/workflows/test-self-probe.yml@refs/heads/main"
    # $/actions/setup installed the toolkit as committed at that sha
    install = _install_module()
    assert fields["hash"] == install.source_hash(act.project)  # type: ignore[attr-defined]
