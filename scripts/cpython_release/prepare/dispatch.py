"""Start the release workflow on the pushed tag: a ``workflow_dispatch`` of release.yml (the
caller template, workflows/release.yml) on ``refs/tags/vVERSION`` through the GitHub REST API
(``POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches``, PyGithub's
``Workflow.create_dispatch``).

A token of ``GITHUB_TOKEN`` with ``actions: write`` may do this: GitHub's docs ("Triggering a
workflow from a workflow") exempt ``workflow_dispatch`` from the rule that events made with
``GITHUB_TOKEN`` start no workflow run.

The tag is already pushed when this runs, and nothing pushed is undone: a failed dispatch is
exit 1 with the command that starts the release by hand (:func:`by_hand`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cpython_release.blockers import github_client, github_error
from cpython_release.errors import BadInput, CheckFailed, ReleaseError

RELEASE_WORKFLOW = "release.yml"
# set from the tag itself; --release-input may not change them
FIXED_INPUTS = ("version", "commit")


@dataclass(frozen=True)
class Dispatch:
    repository: str
    workflow: str
    ref: str
    inputs: dict[str, str]

    def by_hand(self) -> str:
        """The ``gh`` command line that makes this same dispatch."""
        fields = " ".join(f"-f {shlex.quote(f'{k}={v}')}" for k, v in self.inputs.items())
        return (
            f"gh workflow run {shlex.quote(self.workflow)} --repo {self.repository} "
            f"--ref {shlex.quote(self.ref)} {fields}"
        )


def parse_inputs(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs of ``--release-input``; bad input for anything else."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or name != name.strip():
            raise BadInput(f"--release-input must be NAME=VALUE, got {pair!r}")
        if name in FIXED_INPUTS:
            raise BadInput(f"--release-input {name}: set from the tag, not an option")
        if name in out:
            raise BadInput(f"--release-input {name} given twice")
        out[name] = value
    return out


def release_dispatch(
    repository: str, workflow: str, tag: str, version: str, commit: str, extra: dict[str, str]
) -> Dispatch:
    return Dispatch(
        repository, workflow, f"refs/tags/{tag}", {"version": version, "commit": commit, **extra}
    )


def dispatch(d: Dispatch, api_url: str, token: str | None) -> None:
    """Make the dispatch (GitHub answers 204, no run id); exit 1 with the manual command."""
    try:
        workflow = github_client(api_url, token, retries=2).get_repo(d.repository)
        workflow.get_workflow(d.workflow).create_dispatch(d.ref, d.inputs, throw=True)
    except Exception as exc:  # the tag is out: every failure says how to go on by hand
        why = exc if isinstance(exc, ReleaseError) else github_error(exc, "starting the release")
        raise CheckFailed(
            f"the tag is pushed, but {d.workflow} was not started on {d.ref} in "
            f"{d.repository}: {why}",
            [
                "nothing pushed is undone; start the release by hand:",
                d.by_hand(),
                f"(or Actions > {d.workflow} > Run workflow, 'Use workflow from' "
                f"{d.ref.removeprefix('refs/tags/')}, with "
                + ", ".join(f"{k}={v}" for k, v in d.inputs.items())
                + ")",
            ],
        ) from exc
