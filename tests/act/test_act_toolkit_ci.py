"""The toolkit's own checks workflow under act: the lock job installs the lock through the
setup action and runs `tools/lock.py check` on the snapshot (the refusals are in
test_lock.py, where a bent lock or record is cheap to make)."""

from __future__ import annotations

import pytest

from act_harness import ActHarness

pytestmark = pytest.mark.act


def test_the_lock_job_checks_every_runner(act: ActHarness) -> None:
    # `fresh` needs PyPI: the offline harness runs only `lock` (test_lock.py runs `update`
    # against a local index)
    run = act.run("toolkit-ci.yml", event="push", job="lock")
    assert run.job_results == {"lock": "success"}, run.tail()
    log = run.job_log("lock")
    assert "lock: requirements/toolkit.txt installs on ubuntu-24.04," in log
    assert "windows-11-arm" in log
    assert run.returncode == 0
