"""The workflows, actions and docs call the CLI in the one grammar, not the deprecated one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLERS = [
    *ROOT.glob(".github/workflows/*.yml"),
    *ROOT.glob("workflows/*"),
    ROOT / "action.yml",
    *ROOT.glob("actions/**/*.yml"),
    *ROOT.glob("actions/**/*.py"),
    *ROOT.glob("tools/*"),
    ROOT / "README.md",
]
# `--version` is only the program's own (`cpython-release --version`, `python --version`)
OLD = re.compile(r"--json\b|--github-output|(?<!cpython-release )(?<!cpython_release )--version ")


def test_no_caller_uses_a_deprecated_spelling() -> None:
    found = []
    for path in CALLERS:
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            calls = "cpython-release" in line or "cpython_release" in line or "$VERSION" in line
            if calls and OLD.search(line) and "deprecated" not in line:
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
