"""The changed-tests report on a real CPython test file's change (tests/data/upgrade)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from upgrade.upgrade_support import GitRepo

Cli = Callable[..., Any]
DATA = Path(__file__).resolve().parents[1] / "data" / "upgrade"


def test_real_test_shlex_change(cli: Cli, gitrepo: GitRepo) -> None:
    old = (DATA / "test_shlex.v3.11.2.py.txt").read_text(encoding="utf-8")
    new = (DATA / "test_shlex.0307ce95.py.txt").read_text(encoding="utf-8")
    gitrepo.commit({"Lib/test/test_shlex.py": old}, "Python 3.11.2")
    gitrepo.tag("v3.11.2")
    sha = gitrepo.commit({"Lib/test/test_shlex.py": new}, "python/cpython 0307ce95: test_shlex")
    r = cli("upgrade-check", "--repo", str(gitrepo.path), "--from", "v3.11.2", "--to", "HEAD",
            "--format", "json")  # fmt: skip
    assert r.code == 1
    [f] = json.loads(r.out)["findings"]
    assert f["kind"] == "removed-tests" and f["commit"] == sha and f["gh_issue"] is None
    assert f["removed_tests"] == ["test.test_shlex.ShlexTest.testSplitNoneDeprecation"]
    # the import line and the four non-blank lines of the removed test (decorator included)
    assert f["existing_lines_changed"] == 5
    assert f["affected"] == [
        "test.test_shlex (module level)",
        "test.test_shlex.ShlexTest.testSplitNoneDeprecation",
    ]
    assert any("-    @mock.patch('sys.stdin', io.StringIO())" in h for h in f["hunks"])
