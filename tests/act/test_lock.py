"""The hash-locked requirements the actions install: in step with pyproject.toml, recorded
file by file, and installable (wheels only) on every runner the toolkit is sent to.

The record (requirements/wheels.txt) and the lock are the real ones; the cases that must be
refused are the real lock bent the way a bad regeneration would bend it.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.tags import Tag

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock_tool", ROOT / "tools" / "lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["lock_tool"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


lock = _tool()


def _read(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")


def _entries(text: str | None = None) -> list[Any]:
    return list(lock.parse_lock(text if text is not None else _read("requirements/toolkit.txt")))


def _files() -> dict[str, str]:
    files: dict[str, str] = lock.parse_wheels(_read("requirements/wheels.txt"))
    return files


def _actions() -> list[Any]:
    return [lock.action_python(ROOT, path) for path in lock.ACTIONS]


# -- the real lock --------------------------------------------------------------------------


def test_the_lock_installs_on_every_runner() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lock.py"), "check"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (0, "")
    for label in ("macos-15-intel", "windows-11-arm", "ubuntu-24.04-arm", "windows-2025"):
        assert label in done.stdout


def test_the_runners_are_the_workflows_runners() -> None:
    labels, problems = lock.runner_labels(ROOT)
    assert problems == []
    # literal labels, a literal matrix (build-macos's smoke job) and the plan's matrices
    # (build-windows.yml from inventory.WINDOWS_ARCHES, build-mobile.yml from ANDROID_RUNNERS)
    assert {"ubuntu-24.04", "macos-14", "macos-15", "macos-15-intel"} <= labels
    assert {"windows-2025", "windows-11-arm"} <= labels
    assert labels <= set(lock.RUNNERS)


def test_each_action_pins_an_exact_python_and_x64_on_windows_arm64() -> None:
    for action in _actions():
        assert action.python >= (3, 11, 0)
        assert action.x64_on_windows_arm64


def test_macos_intel_gets_the_fork_with_a_wheel() -> None:
    crypto = [e for e in _entries() if e.name == "cryptography"]
    intel, arm = lock.RUNNERS["macos-15-intel"], lock.RUNNERS["macos-15"]
    on_intel = [e.version for e in crypto if e.selected(intel.environment((3, 12, 10)))]
    on_arm = [e.version for e in crypto if e.selected(arm.environment((3, 12, 10)))]
    assert len(on_intel) == len(on_arm) == 1 and on_intel != on_arm
    assert int(on_intel[0].split(".")[0]) < 49 <= int(on_arm[0].split(".")[0])


def test_runner_tags_are_what_pip_would_accept() -> None:
    py = (3, 12, 10)
    linux = lock.RUNNERS["ubuntu-24.04"].tags(py)
    assert Tag("cp312", "abi3", "manylinux_2_28_x86_64") in linux
    assert Tag("cp311", "abi3", "manylinux2014_x86_64") in linux  # abi3 from an older CPython
    assert Tag("py3", "none", "any") in linux
    assert Tag("cp312", "cp312", "manylinux_2_40_x86_64") not in linux  # newer than glibc 2.39
    intel = lock.RUNNERS["macos-15-intel"].tags(py)
    assert Tag("cp312", "abi3", "macosx_10_9_x86_64") in intel
    assert Tag("cp312", "abi3", "macosx_10_9_universal2") in intel
    assert Tag("cp312", "abi3", "macosx_11_0_arm64") not in intel
    arm64 = lock.RUNNERS["windows-11-arm"]
    assert Tag("cp312", "abi3", "win_arm64") in arm64.tags(py)
    assert Tag("cp312", "abi3", "win_amd64") in arm64.emulated_x64().tags(py)
    assert Tag("cp312", "abi3", "win_arm64") not in arm64.emulated_x64().tags(py)


# -- what must be refused -------------------------------------------------------------------


def _without_the_intel_fork(text: str) -> str:
    """The lock as `uv pip compile` writes it without requirements/platform-constraints.txt:
    one cryptography for every platform, the newest (which has no macOS x86_64 wheel)."""
    text, dropped = re.subn(
        r"(?m)^cryptography==\S+ ; platform_machine == 'x86_64' and sys_platform == 'darwin' "
        r"\\\n(    --hash=\S+ \\\n)*    --hash=\S+\n(    #.*\n)*",
        "",
        text,
    )
    text, unmarked = re.subn(r"(?m)^(cryptography==\S+) ; [^\\]+\\$", r"\1 \\", text)
    assert (dropped, unmarked) == (1, 1)
    return text


def test_a_runner_without_a_wheel_is_found() -> None:
    entries = _entries(_without_the_intel_fork(_read("requirements/toolkit.txt")))
    problems = [p for a in _actions() for p in lock.coverage_problems(entries, _files(), a)]
    assert len(problems) == 2, problems  # one per action
    for problem in problems:
        assert "no wheel of cryptography==5" in problem
        assert "on macos-15-intel (darwin x86_64)" in problem


def test_windows_arm64_needs_x64_python() -> None:
    native = lock.ActionPython(Path("action.yml"), (3, 12, 10), False)
    problems = lock.coverage_problems(_entries(), _files(), native)
    assert [p for p in problems if "rfc3161-client" in p and "windows-11-arm" in p]
    assert all("windows-11-arm (win32 ARM64)" in p for p in problems)
    emulated = lock.ActionPython(Path("action.yml"), (3, 12, 10), True)
    assert lock.coverage_problems(_entries(), _files(), emulated) == []


def test_an_action_without_the_x64_request_is_found(tmp_path: Path) -> None:
    text = _read("actions/setup/action.yml")
    bent = re.sub(r"(?m)^\s+architecture: .*\n", "", text)
    assert bent != text
    (tmp_path / "actions" / "setup").mkdir(parents=True)
    (tmp_path / "actions/setup/action.yml").write_text(bent)
    assert not lock.action_python(tmp_path, Path("actions/setup/action.yml")).x64_on_windows_arm64
    loose = bent.replace('default: "3.12.10"', 'default: "3.12"')
    (tmp_path / "actions/setup/action.yml").write_text(loose)
    with pytest.raises(ValueError, match=r"not an exact X\.Y\.Z"):
        lock.action_python(tmp_path, Path("actions/setup/action.yml"))


def test_a_stale_record_is_found() -> None:
    entries, files = _entries(), _files()
    assert lock.inventory_problems(entries, files) == []
    digest = next(h for e in entries if e.name == "sigstore" for h in e.hashes)
    missing = {d: n for d, n in files.items() if d != digest}
    assert any(
        "stale" in p and "sigstore==" in p for p in lock.inventory_problems(entries, missing)
    )
    extra = {**files, "0" * 64: "rich-99.0.0-py3-none-any.whl"}
    assert any("stale" in p and "rich-99.0.0" in p for p in lock.inventory_problems(entries, extra))
    renamed = {**files, digest: "sigstore-0.1-py3-none-any.whl"}
    assert any("is not sigstore==" in p for p in lock.inventory_problems(entries, renamed))


def test_an_unknown_runner_or_runner_expression_is_found(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "workflows").mkdir()
    (tmp_path / ".github/workflows/x.yml").write_text(
        "jobs:\n"
        "  a: {runs-on: macos-26, steps: []}\n"
        "  b: {runs-on: '${{ inputs.runner }}', steps: []}\n"
        "  c: {strategy: {matrix: {os: [ubuntu-24.04-arm]}}, runs-on: '${{ matrix.os }}'}\n"
        "  d: {uses: ./.github/workflows/y.yml}\n"
    )
    labels, problems = lock.runner_labels(tmp_path)
    assert labels == {"macos-26", "ubuntu-24.04-arm"}
    assert problems == [
        ".github/workflows/x.yml job b: cannot tell the runners of '${{ inputs.runner }}'"
    ]


# -- the lock and pyproject.toml ------------------------------------------------------------


def _inputs() -> tuple[str, str, str]:
    return (
        _read("pyproject.toml"),
        _read("requirements/build-backend.in"),
        _read("requirements/toolkit.txt"),
    )


def test_lock_agrees_with_pyproject() -> None:
    pyproject, backend, text = _inputs()
    assert lock.agreement_problems(pyproject, backend, text) == []
    names = {e.name for e in _entries(text)}
    assert len(names) > 20 and {"sigstore", "hatchling", "cryptography"} <= names


def test_disagreement_is_found() -> None:
    pyproject, backend, text = _inputs()
    problems = lock.agreement_problems

    bumped = pyproject.replace('"sigstore==4.5.1"', '"sigstore==4.6.0"', 1)
    assert any("sigstore==4.6.0: the lock has 4.5.1" in p for p in problems(bumped, backend, text))
    added = pyproject.replace('"packaging>=24",', '"packaging>=24",\n    "rich-click>=1",', 1)
    assert "rich-click>=1 is not locked" in problems(added, backend, text)
    dropped = pyproject.replace('build = ["blurb==2.3.0"]', "build = []", 1)
    assert "blurb is locked for the toolkit, which no longer asks for it" in problems(
        dropped, backend, text
    )
    unhashed = re.sub(r"(attrs==\S+) \\\n(    --hash=\S+ \\\n)*    --hash=\S+\n", r"\1 \\\n", text)
    assert "attrs: no hash" in problems(pyproject, backend, unhashed)
    assert any("build-backend.in" in p for p in problems(pyproject, "setuptools>=60\n", text))
    # a dependency whose dependant left the lock: the closure is broken
    orphaned = re.sub(r"(?m)^pydantic==\S+ \\\n(    --hash=\S+ \\\n)*    --hash=\S+\n", "", text)
    assert "annotated-types is locked for pydantic, which is not locked" in problems(
        pyproject, backend, orphaned
    )
    # both cryptography forks must satisfy pyproject's range
    narrowed = pyproject.replace('"packaging>=24",', '"packaging>=24",\n    "cryptography>=49",', 1)
    assert [p for p in problems(narrowed, backend, text) if p.startswith("cryptography")] == [
        "cryptography>=49: the lock has 48.0.1"
    ]
    header = text.replace("--only-binary :all: ", "", 1)
    assert "the lock was not generated with --only-binary :all:" in problems(
        pyproject, backend, header
    )
