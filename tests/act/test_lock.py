"""The hash-locked requirements the actions install: in step with pyproject.toml, recorded
file by file, and installable (wheels only) on every runner the toolkit is sent to.

The record (requirements/toolkit.wheels) and the lock are the real ones; the cases that must be
refused are the real lock bent the way a bad regeneration would bend it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.tags import Tag
from packaging.utils import canonicalize_name

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
    files: dict[str, str] = lock.parse_wheels(_read("requirements/toolkit.wheels"))
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


# The toolkit extracts archives with tarfile's "data" filter (sdists, test archives, the
# python.org layout): CVE-2025-4517, -4330 and -4435 bypass it before 3.12.11 and 3.13.4.
# 3.12.11 and later are source-only security releases, with no Windows or macOS build for
# setup-python; 3.13 has them up to its last bugfix release.
SECURITY_FLOOR = (3, 13, 4)


def test_each_action_pins_the_same_patched_python_and_x64_on_windows_arm64() -> None:
    actions = _actions()
    assert len({a.python for a in actions}) == 1
    for action in actions:
        assert action.python >= SECURITY_FLOOR
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
    loose = bent.replace('default: "3.13.15"', 'default: "3.13"')
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
    assert any(
        p.startswith("the lock's header does not name the command")
        for p in problems(pyproject, backend, header)
    )


# -- the review's attacks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "--no-binary cryptography",  # pip would build the (hash-listed) sdist: its backend runs
        "--extra-index-url https://example.invalid/simple",
        "-r other.txt",
        "zzz-helper==1.0",  # an entry pip installs without a hash check here
        "    --hash=sha256:abc",
    ],
)
def test_a_lock_line_that_is_not_an_entry_hash_or_comment_is_refused(line: str) -> None:
    text = _read("requirements/toolkit.txt")
    assert lock.grammar_problems(text) == []
    bent = text.replace("annotated-types==", line + "\nannotated-types==", 1)
    problems = lock.grammar_problems(bent)
    assert len(problems) == 1 and repr(line)[:40] in problems[0]


def test_a_marker_on_the_emulated_machine_is_checked_under_both_names() -> None:
    """x64 Python on windows-11-arm may report platform_machine ARM64 (CPython 3.12+ asks
    WMI): an entry selected only there must still have a wheel x64 Python can install."""
    arm_only = lock.Locked("x", "1.0", "sys_platform == 'win32' and platform_machine == 'ARM64'")
    arm_only.hashes.append("1" * 64)
    files = {**_files(), "1" * 64: "x-1.0-cp39-abi3-win_arm64.whl"}
    emulated = lock.ActionPython(Path("action.yml"), (3, 12, 10), True)
    problems = lock.coverage_problems([*_entries(), arm_only], files, emulated)
    assert problems == [
        "action.yml: no wheel of x==1.0 for CPython 3.12.10 on windows-11-arm (win32 AMD64)"
    ]


def test_an_action_whose_setup_python_ignores_the_pin_is_refused(tmp_path: Path) -> None:
    text = _read("action.yml")
    bent = text.replace("python-version: ${{ inputs.python-version }}", 'python-version: "3.9"')
    assert bent != text
    (tmp_path / "action.yml").write_text(bent)
    with pytest.raises(ValueError, match="does not take the python-version input"):
        lock.action_python(tmp_path, Path("action.yml"))


def test_runners_from_expressions_or_other_inputs_are_refused(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "workflows").mkdir()
    (tmp_path / ".github/workflows/build-windows.yml").write_text(
        "jobs:\n"
        # the plan's matrix, in a job the plan feeds: its runners are inventory's
        "  build: {strategy: {matrix: '${{ fromJSON(inputs.matrix) }}'},"
        " runs-on: '${{ matrix.runner }}'}\n"
        # another input in a planned job, and a new job: not the plan's
        "  package: {strategy: {matrix: '${{ fromJSON(inputs.other) }}'},"
        " runs-on: '${{ matrix.runner }}'}\n"
        "  extra: {strategy: {matrix: '${{ fromJSON(inputs.matrix) }}'},"
        " runs-on: '${{ matrix.runner }}'}\n"
        # a matrix whose include is an expression, and a key the matrix lacks
        "  inc: {strategy: {matrix: {include: '${{ fromJSON(inputs.r) }}'}},"
        " runs-on: '${{ matrix.runner }}'}\n"
        "  nokey: {strategy: {matrix: {os: [ubuntu-24.04]}}, runs-on: '${{ matrix.runner }}'}\n"
        "  listexpr: {strategy: {matrix: {runner: ['${{ inputs.r }}']}},"
        " runs-on: '${{ matrix.runner }}'}\n"
    )
    labels, problems = lock.runner_labels(tmp_path)
    assert labels == {"windows-2025", "windows-11-arm"}
    assert [p.split(" job ")[1].split(":")[0] for p in problems] == [
        "package",
        "extra",
        "inc",
        "nokey",
        "listexpr",
    ]


def test_a_stale_record_is_not_used_to_judge_runners(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    assert lock.check(root) == []
    record = _read("requirements/toolkit.wheels").splitlines(keepends=True)
    (root / "requirements/toolkit.wheels").write_text("".join(record[:-3]))
    problems = lock.check(root)
    assert problems[-1] == "runners not checked: the record of the lock's files is stale"
    assert not [p for p in problems if "no wheel" in p]
    assert problems[:-1] == sorted(problems[:-1]) and len(problems) == 4


# -- update: the header's command, the record, the check ----------------------------------


def _index(files: dict[str, str]) -> Iterator[str]:
    """A PEP 691 JSON simple index serving ``files`` (sha256 -> name)."""
    by_project: dict[str, list[dict[str, object]]] = {}
    for digest, name in files.items():
        project = canonicalize_name(re.split(r"-\d", name, maxsplit=1)[0])
        by_project.setdefault(project, []).append(
            {"filename": name, "hashes": {"sha256": digest}, "url": f"https://x/{name}"}
        )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            project = self.path.strip("/").split("/")[-1]
            body = json.dumps({"files": by_project.get(project, [])}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()


@pytest.fixture
def index() -> Iterator[str]:
    yield from _index(_files())


NEEDED = (
    "pyproject.toml",
    "requirements/toolkit.txt",
    "requirements/toolkit.wheels",
    "requirements/build-backend.in",
    "action.yml",
    "actions/setup/action.yml",
)


def _checkout(tmp_path: Path) -> Path:
    """What tools/lock.py reads of the toolkit (the working tree's, committed or not)."""
    root = tmp_path / "toolkit"
    for rel in NEEDED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_read(rel))
    shutil.copytree(ROOT / ".github" / "workflows", root / ".github" / "workflows")
    shutil.copytree(ROOT / "workflows", root / "workflows")
    return root


def _fake_uv(tmp_path: Path, lock_text: str) -> Path:
    """A uv that checks it was given the header's arguments and writes ``lock_text``."""
    (tmp_path / "new-lock.txt").write_text(lock_text)
    uv = tmp_path / "uv"
    uv.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{tmp_path}/uv-args"\n'
        f'cp "{tmp_path}/new-lock.txt" requirements/toolkit.txt\n'
    )
    uv.chmod(0o755)
    return uv


def test_update_regenerates_records_and_checks(tmp_path: Path, index: str) -> None:
    root = _checkout(tmp_path)
    header = _read("requirements/toolkit.txt").splitlines()[1].lstrip("# ")
    uv = _fake_uv(tmp_path, _read("requirements/toolkit.txt"))
    assert lock.update(root, str(uv), index) == []
    assert (tmp_path / "uv-args").read_text().split() == header.split()[1:]
    assert (root / "requirements/toolkit.wheels").read_text() == _read(
        "requirements/toolkit.wheels"
    )
    # a regeneration that loses the macOS x86_64 fork: recorded, and refused by the check
    uv = _fake_uv(tmp_path, _without_the_intel_fork(_read("requirements/toolkit.txt")))
    problems = lock.update(root, str(uv), index)
    assert problems and all("macos-15-intel" in p for p in problems)


@pytest.mark.parametrize(
    "edit",
    [
        ("-o requirements/toolkit.txt", "-o /tmp/elsewhere.txt"),  # update would miss it
        ("--only-binary :all:", "--only-binary :all: --no-binary cryptography"),
        ("--universal", "--universal --index-url https://example.invalid/simple"),
        ("-c requirements/platform-constraints.txt", ""),
    ],
)
def test_a_header_that_is_not_the_command_is_refused_and_never_run(
    tmp_path: Path, index: str, edit: tuple[str, str]
) -> None:
    root = _checkout(tmp_path)
    text = _read("requirements/toolkit.txt")
    bent = text.replace(edit[0], edit[1], 1)
    assert bent != text
    (root / "requirements/toolkit.txt").write_text(bent)
    assert "the lock's header does not name the command that makes it" in " ".join(lock.check(root))
    # update runs its own command, not the header's: the fake uv sees the real arguments
    uv = _fake_uv(tmp_path, text)
    assert lock.update(root, str(uv), index) == []
    assert (tmp_path / "uv-args").read_text().split() == list(lock.COMPILE[1:])


def test_the_tool_says_how_to_run_it_without_the_toolkit(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(ROOT / "tools" / "lock.py"), "check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "run this with the toolkit's environment" in done.stderr


def test_a_toolkit_requirement_selected_nowhere_or_a_name_selected_twice_is_found() -> None:
    """Offline, for what the toolkit asks for directly (a narrowed transitive marker needs
    the re-resolution that toolkit-ci's fresh job does)."""
    text = _read("requirements/toolkit.txt")
    required = lock.required_by_toolkit(ROOT)
    emulated = lock.ActionPython(Path("action.yml"), (3, 13, 15), True)
    narrowed = re.sub(r"(?m)^(sigstore==\S+) \\$", r"\1 ; platform_machine != 'ARM64' \\", text)
    assert narrowed != text
    problems = lock.coverage_problems(_entries(narrowed), _files(), emulated, required)
    assert problems == [
        "action.yml: windows-11-arm: the lock selects no sigstore, which the toolkit needs"
    ]
    doubled = text.replace(
        "attrs==", "attrs==0.1 \\\n    --hash=sha256:" + "2" * 64 + "\nattrs==", 1
    )
    problems = lock.coverage_problems(_entries(doubled), _files(), emulated, required)
    assert "action.yml: ubuntu-24.04: the lock selects attrs 2 times" in problems
    assert lock.coverage_problems(_entries(text), _files(), emulated, required) == []
