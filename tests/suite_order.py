"""How the suite is dealt out to xdist workers (``pytest -n 2``), so that both finish together.

- Tests go out **by module** (a module's fixtures, e.g. its act run, then run once), and the
  modules that share one act run go out together as one group (:data:`GROUPS`): the group's
  session fixture runs once, on the worker that gets the group.
- The long act modules go **first, longest first** (:data:`LONGEST_FIRST`, measured), so the
  other worker takes the short tests meanwhile and neither is left with a long run at the end.
  Everything else keeps its collection order.

An explicit ``--dist`` other than ``load`` (the default of ``-n``) is left alone.
"""

from __future__ import annotations

from typing import Any

import pytest

# modules that share one act run: tests/act/conftest.py's release_run
GROUPS = {
    "tests/act/test_act_release.py": "act-release-run",
    "tests/act/test_act_release_binaries.py": "act-release-run",
}

# seconds measured on an idle 2-core machine (each group's fixture and tests)
LONGEST_FIRST = (
    "act-release-run",  # ~75 s: release.yml with Windows and macOS, published
    "tests/act/test_act_nightly.py",  # ~65 s: two legs and the after-legs run
    "tests/act/test_act_rehearsal_nosecrets.py",  # ~45 s
    "tests/act/test_act_action.py",  # ~20 s: a rehearsal, then the action
    "tests/platforms/test_platforms_act_mobile.py",
    "tests/orchestration/test_orch_act_nightly.py",
    "tests/publish_sftp/test_publish_python_org_signoff.py",  # ~25 s
    "tests/act/test_code_quality.py",  # mypy --strict, ruff
)


def scope_of(nodeid: str) -> str:
    """The unit a test is dealt out in: its module, or its module's group."""
    module = nodeid.split("::", 1)[0]
    return GROUPS.get(module, module)


def rank(nodeid: str) -> int:
    scope = scope_of(nodeid)
    return LONGEST_FIRST.index(scope) if scope in LONGEST_FIRST else len(LONGEST_FIRST)


def order(items: list[pytest.Item]) -> None:
    """Longest first (a stable sort: the rest keep their collection order)."""
    items.sort(key=lambda item: rank(item.nodeid))


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    """A scheduler dealing out :func:`scope_of` units in collection order, or None (xdist's
    own choice) for an explicit ``--dist`` other than ``load``."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class ByModule(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    # keep the collection order (:func:`order`), not the default "most tests first"
    config.option.loadscopereorder = False
    return ByModule(config, log)
