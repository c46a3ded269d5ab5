"""nightly.yml's select job under act, against a local git repository and the fake GitHub API.

Slow (about 30 s, nearly all of it the toolkit's virtual environment being built for the
act runner); the selection logic itself is covered fast in test_orch_nightly.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from act_harness import ActHarness
from fakes_gh_issues import FakeGitHub

pytestmark = pytest.mark.act


def test_nightly_select_job(act: ActHarness, cpython_repo: Any) -> None:
    harness = act
    heads = cpython_repo.heads
    with FakeGitHub() as gh:
        gh.repo("example/cpython-release")
        gh.repo("python/cpython")
        gh.add_file(
            "python/cpython",
            "Include/patchlevel.h",
            heads["main"],
            '#define PY_VERSION "3.16.0a2+"\n',
        )
        gh.add_file(
            "python/cpython",
            "Include/patchlevel.h",
            heads["3.14"],
            '#define PY_VERSION "3.14.3+"\n',
        )
        run = harness.run(
            "nightly.yml",
            inputs={"branches": "main 3.14"},
            job="select",
            env={
                "GITHUB_API_URL": gh.url,
                # git ls-remote of https://github.com/python/cpython.git reads the local repo
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"url.{cpython_repo.path}.insteadOf",
                "GIT_CONFIG_VALUE_0": "https://github.com/python/cpython.git",
            },
        )
        log = list(gh.log)
    assert run.job_results.get("select") == "success", run.tail()
    out = run.outputs("select")
    assert out["any"] == "true" and out["branches"] == "main 3.14"
    include = json.loads(out["matrix"])["include"]
    assert [(e["branch"], e["commit"]) for e in include] == [
        ("main", heads["main"]),
        ("3.14", heads["3.14"]),
    ]
    assert include[0]["version"].startswith("3.16.0a3.dev")
    assert include[1]["version"].startswith("3.14.4.dev")
    assert [p for m, p, q in log if p.endswith("/releases")] == [
        "/repos/example/cpython-release/releases"
    ]
    assert "### Nightly selection" in run.text()
