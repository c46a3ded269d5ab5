"""publish-python-org.yml under act: without its secrets the job stops before touching anything.

Marked slow as well as act: a fresh act harness installs the toolkit (about 30 s). The same
check is covered fast by the CLI tests (``--check-credentials``); the lead may move this
test next to tests/act to share that suite's warm harness.
"""

from __future__ import annotations

import pytest

from act_harness import ActHarness

pytestmark = pytest.mark.act


@pytest.fixture
def act_publish(act: ActHarness) -> ActHarness:
    return act


def test_missing_secrets_stop_the_job_first(act_publish: ActHarness) -> None:
    run = act_publish.run(
        "publish-python-org.yml",
        "workflow_call",
        inputs={"ssh-username": "rm"},
        secrets={"PYTHON_ORG_API_KEY": "s3cr3t-key-value"},
    )
    assert run.job_results == {"publish": "failure"}
    log = run.text()
    assert "missing credentials, nothing was touched" in log
    for name in ("PYTHON_ORG_SSH_KEY", "PYTHON_ORG_KNOWN_HOSTS", "PYTHON_ORG_API_USERNAME"):
        assert name in log
    assert "PYTHON_ORG_API_KEY," not in log  # the one given is not reported missing
    assert "s3cr3t-key-value" not in log + run.stderr  # and never printed
    steps = {s.name: s.result for s in run.steps("publish")}
    assert steps.get("Check credentials") == "failure"
    assert "Download the release" not in steps and "Publish to python.org" not in steps


def test_check_only_runs_the_credentials_check_alone(act_publish: ActHarness) -> None:
    """The release workflow's plan-stage check: the check step, and nothing after it."""
    run = act_publish.run(
        "publish-python-org.yml",
        "workflow_call",
        inputs={"ssh-username": "rm", "check-only": "true"},
        secrets={"PYTHON_ORG_API_KEY": "s3cr3t-key-value"},
    )
    assert run.job_results == {"publish": "failure"}
    assert "missing credentials, nothing was touched" in run.text()
    steps = {s.name: s.result for s in run.steps("publish")}
    assert steps.get("Check credentials") == "failure"
    for later in ("Download the release", "Publish to python.org", "Keep the journal"):
        assert steps.get(later) in (None, "skipped"), (later, steps)
