"""The standards the project holds itself to: ruff check, ruff format and mypy --strict stay
clean, and code that runs on Windows runners uses nothing POSIX-only."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_ruff_clean() -> None:
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_clean() -> None:
    done = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_clean(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "mypy"), "--cache-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_readme_cli_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "cli_reference.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# Code that runs on Windows runners: the installer, the actions, and every toolkit module the
# Windows jobs import (the CLI and the windows, sbom and manifest commands, followed through
# their imports, function-level ones included).
POSIX_ONLY = {"fcntl", "pwd", "grp", "termios", "resource"}
WINDOWS_ROOTS = (
    "cpython_release.__main__",
    "cpython_release.cli",
    "cpython_release.commands.windows",
    "cpython_release.commands.sbom",
    "cpython_release.commands.manifest",
    # the verify action (action.yml) runs `cpython-release verify` on any runner
    "cpython_release.commands.verify",
)
WINDOWS_YAML = (
    "action.yml",
    "actions/setup/action.yml",
    ".github/workflows/build-windows.yml",
)
BIN_PATH = re.compile(r"(^|[/\\])bin([/\\]|$)")


def _module_file(name: str) -> Path | None:
    base = ROOT / "scripts" / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, package: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def windows_sources() -> dict[str, Path]:
    """The toolkit's modules a Windows job can import, with the installer."""
    todo, seen = list(WINDOWS_ROOTS), {}
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        todo.extend(n for n in _imports(tree, package) if n.startswith("cpython_release"))
        # a package's parents are imported first
        todo.extend(".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1))
    seen["install"] = ROOT / "actions" / "setup" / "install.py"
    return seen


def posix_only_problems(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    problems = [
        f"{where}:{node.lineno}: imports {name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        if name.split(".")[0] in POSIX_ONLY
    ]
    problems += [
        f"{where}:{node.lineno}: hard-coded bin/ path {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and BIN_PATH.search(node.value)
        # the Windows-or-POSIX probe itself names both layouts
        and not (where == "install" and node.value == "bin")
    ]
    return problems


def test_no_posix_only_code_where_windows_runs() -> None:
    sources = windows_sources()
    assert {"cpython_release.commands.windows", "cpython_release.platforms.windows"} <= set(sources)
    problems = [
        p
        for name, path in sorted(sources.items())
        for p in posix_only_problems(path.read_text(encoding="utf-8"), name)
    ]
    for rel in WINDOWS_YAML:
        for n, line in enumerate((ROOT / rel).read_text(encoding="utf-8").splitlines(), 1):
            if BIN_PATH.search(line.split("#", 1)[0]):
                problems.append(f"{rel}:{n}: hard-coded bin/ path")
    assert not problems, "\n".join(problems)


def test_the_check_catches_what_it_names() -> None:
    bad = 'import fcntl\nfrom pwd import getpwnam\np = venv / "bin" / "python"\nq = "venv/bin/x"\n'
    found = posix_only_problems(bad, "x.py")
    assert len(found) == 4, found
    assert not posix_only_problems('import os\np = venv / "Scripts"\n', "x.py")
