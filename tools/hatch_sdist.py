"""The sdist's build hook: leave the repository's ``.gitignore`` out of the sdist.

hatchling adds the root ``.gitignore`` to every sdist, whatever the file selection says (so
that a build from the sdist ignores what the tree ignores). This sdist lists its files
explicitly (``only-include`` in pyproject.toml), so the file would ship a development detail
and nothing else. A hook may change the build data's ``force_include`` mapping (hatchling's
build hook interface); this one drops that entry.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DEV_ONLY = frozenset({".gitignore", ".hgignore"})


class DropDevFiles(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        forced: dict[str, str] = build_data["force_include"]
        for source in [s for s, dest in forced.items() if dest in DEV_ONLY]:
            del forced[source]
