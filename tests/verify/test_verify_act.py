"""verify.yml under act (offline, on the host): the reusable workflow wires the CLI.

The release is served over HTTP on 127.0.0.1 and signed by the tests' local CA, which the
production Sigstore verifier inside the workflow must refuse: the run fails, says why for
every bundle, sets ``result=invalid`` and keeps the JSON report as an artifact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from act_harness import ActHarness
from cpython_release.verify.localca import LocalCA
from verify.verify_support import make_release, pipeline_signer

pytestmark = pytest.mark.act


@pytest.fixture
def act_harness(act: ActHarness) -> ActHarness:
    return act


def test_verify_workflow_rejects_bundles_not_from_sigstore(
    act_harness: ActHarness, tmp_path: Path, serve: Callable[[Path], str]
) -> None:
    signer = pipeline_signer(LocalCA(), version="3.14.1")
    release = make_release(tmp_path / "rel", signer, version="3.14.1")
    run = act_harness.run(
        "verify.yml",
        event="workflow_call",
        inputs={
            "version": "3.14.1",
            "base-url": serve(release.directory),
            "repository": "python/cpython",
            "signer-repository": "python/cpython-release",
            "allowed-refs": "refs/tags/v1.0.0",
        },
    )
    assert run.job_results == {"verify": "failure"}, run.tail()
    assert run.outputs("verify").get("result") == "invalid", run.tail()
    log = run.job_log("verify")
    assert "Python 3.14.1: INVALID (7 files from manifest" in log
    report = json.loads(
        (run.artifacts / "verify-report-3.14.1-published" / "verify-report.json").read_text()
    )
    assert report["result"] == "invalid"
    assert len(report["files"]) == 7
    assert sorted(report["problems"]) == sorted(
        f"{name}.sigstore: Sigstore bundle rejected: malformed bundle: no transparency-log entry"
        for name in [*release.names, "release-manifest.json", "SHA256SUMS"]
    )
    assert all(f["checks"]["integrity"]["status"] == "ok" for f in report["files"])
    assert run.returncode != 0
