"""A plain ``pip install cpython-release`` (no extras) runs every command's help, and a command
that needs an extra says which one to install instead of reporting a bug."""

from __future__ import annotations

import subprocess
import sys

# Runs the CLI with the extras' modules made unimportable, as in a base install.
BLOCKED = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("github", "paramiko", "blurb"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Block())
from cpython_release.cli import command_paths, build_parser, main
if sys.argv[1] == "helps":
    parser = build_parser([])
    for path in command_paths(parser):
        try:
            main([*path, "--help"])
        except SystemExit as exc:
            assert exc.code == 0, (path, exc.code)
    print("all helps ok")
else:
    sys.exit(main(sys.argv[1:]))
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKED, *args], capture_output=True, text=True, timeout=120
    )


def test_every_command_loads_without_the_extras() -> None:
    done = run("helps")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "all helps ok" in done.stdout


def test_a_command_needing_an_extra_names_it() -> None:
    done = run(
        "summary",
        "--from-api",
        "--run-id",
        "1",
        "--repository",
        "a/b",
        "--github-api",
        "http://127.0.0.1:9",
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'cpython-release[publish]'" in done.stderr
    assert "a bug" not in done.stderr and "Traceback" not in done.stderr
