"""actions/setup: the installer on a Windows-shaped venv (the lock it installs: test_lock.py).

The installer runs for real; only the interpreter is a recording stand-in that lays out a
venv as the ``venv`` module does on Windows (``Scripts\\python.exe``, console scripts as
``NAME.exe``), since a Linux host cannot run a Windows Python.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "toolkit.txt"


def _installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "setup_install", ROOT / "actions/setup/install.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A stand-in for a Windows Python: `-m venv DIR` makes DIR\Scripts\python.exe (this script
# again); pip installing the toolkit adds Scripts\cpython-release.exe; the installer's look at
# the venv (`-c INSPECT LOCK`) is answered from inspect.json beside it; every call is logged.
# When pip-fails.txt exists beside it, installing the lock fails: that text on stderr, status 1.
FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "-I" ]; then shift; else echo "NOT ISOLATED: $0 $*" >> "{log}"; fi
if [ "$1" = "-c" ]; then echo "$0 -c CODE $3" >> "{log}"; else echo "$0 $*" >> "{log}"; fi
if [ "$1 $2 $3 $4" = "-m pip install --require-hashes" ] && [ -f "{fail}" ]; then
  echo "Collecting annotated-types==0.8.0"; cat "{fail}" >&2; exit 1
elif [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/Scripts" && cp "{me}" "$3/Scripts/python.exe" && chmod +x "$3/Scripts/python.exe"
elif [ "$1 $2 $3" = "-m pip install" ] && [ "$4" = "--no-index" ]; then
  d=$(dirname "$0"); printf '' > "$d/cpython-release.exe"
elif [ "$1 $2 $3" = "-m cpython_release --version" ]; then
  echo "cpython-release 0.1.0"
elif [ "$1" = "-c" ]; then
  cat "{inspect}"
fi
"""


def _read_root(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")


def _fake_python(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "calls.log"
    me = tmp_path / "python.exe"
    me.write_text(
        FAKE_PYTHON.format(
            log=log, me=me, inspect=tmp_path / "inspect.json", fail=tmp_path / "pip-fails.txt"
        )
    )
    me.chmod(me.stat().st_mode | stat.S_IXUSR)
    _venv_holds(tmp_path, {})
    return me, log


def _wanted(installer: ModuleType) -> dict[str, str]:
    """What the lock wants on this platform, by the installer's own reading (real pip)."""
    done = subprocess.run(
        [sys.executable, "-c", installer.INSPECT, str(LOCK)],
        capture_output=True,
        text=True,
        check=True,
    )
    wanted: dict[str, str] = json.loads(done.stdout)["wanted"]
    return wanted


def _venv_holds(
    tmp_path: Path,
    installed: dict[str, str],
    wanted: dict[str, str] | None = None,
    tampered: tuple[str, ...] = (),
) -> None:
    """What the fake venv reports as installed (and the lock as wanted, and as tampered)."""
    (tmp_path / "inspect.json").write_text(
        json.dumps(
            {
                "installed": installed,
                "wanted": wanted if wanted is not None else installed,
                "tampered": list(tampered),
            }
        )
    )


def _exactly_the_lock(tmp_path: Path, installer: ModuleType) -> dict[str, str]:
    wanted = _wanted(installer)
    _venv_holds(tmp_path, {**wanted, "pip": "25.1", "cpython-release": "0.1.0"}, wanted)
    return wanted


def _run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, installer: ModuleType, python: Path
) -> tuple[int, list[str], dict[str, str]]:
    gh_path, gh_output = tmp_path / "path", tmp_path / "output"
    gh_path.write_text(""), gh_output.write_text("")
    monkeypatch.setenv("RUNNER_TOOL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GITHUB_PATH", str(gh_path))
    monkeypatch.setenv("GITHUB_OUTPUT", str(gh_output))
    monkeypatch.setattr(installer.sys, "executable", str(python))
    status = installer.main()
    outputs = dict(line.split("=", 1) for line in gh_output.read_text().splitlines())
    return status, gh_path.read_text().splitlines(), outputs


def test_installer_on_a_windows_shaped_venv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installer = _installer()
    python, log = _fake_python(tmp_path)
    _exactly_the_lock(tmp_path, installer)
    status, path_lines, outputs = _run(monkeypatch, tmp_path, installer, python)
    assert status == 0
    [venv] = [p for p in (tmp_path / "cache" / "cpython-release").iterdir() if p.is_dir()]
    scripts = venv / "Scripts"
    assert path_lines == [str(scripts)]
    assert outputs["executable"] == str(scripts / "cpython-release.exe")
    assert outputs["version"] == "0.1.0"
    assert outputs["source-hash"] == installer.source_hash(ROOT)
    assert not (venv / "bin").exists()
    calls = log.read_text().splitlines()
    venv_python = str(scripts / "python.exe")
    inspect = f"{venv_python} -c CODE {LOCK}"
    assert calls[0] == f"{python} -m venv {venv}"
    # dependencies only from the lock, by hash, wheels only; then the toolkit from a clean
    # copy of its tree, fetching nothing; then pip check, and the venv must be the lock
    assert calls[1].startswith(
        f"{venv_python} -m pip install --require-hashes --only-binary :all: --no-deps -r {LOCK}"
    )
    assert calls[2] == inspect  # nothing seeded beyond the lock to remove
    assert re.fullmatch(
        re.escape(f"{venv_python} -m pip install --no-index --no-deps --no-build-isolation ")
        + r"\S*cpython-release-src-\w+[/\\]toolkit --quiet --disable-pip-version-check",
        calls[3],
    ), calls[3]
    assert calls[4] == f"{venv_python} -m pip check --quiet --disable-pip-version-check"
    assert calls[5:] == [inspect, f"{venv_python} -m cpython_release --version"]
    assert not any("/bin/" in c for c in calls)
    assert not [c for c in calls if c.startswith("NOT ISOLATED")]  # every call was -I
    # a second job on the same runner checks the venv against the lock, then reuses it
    log.write_text("")
    status, path_lines, outputs = _run(monkeypatch, tmp_path, installer, python)
    assert status == 0 and path_lines == [str(scripts)]
    assert log.read_text().splitlines() == [inspect, f"{venv_python} -m cpython_release --version"]


# What pip prints when a downloaded wheel is not the one the lock names (abridged).
HASH_MISMATCH = """\
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have \
updated the package versions, please update the hashes. Otherwise, examine the package \
contents carefully; someone may have tampered with them.
    annotated-types==0.8.0 from https://files.example/annotated_types-0.8.0-py3-none-any.whl:
        Expected sha256 f072f4d804ea359e4eaf198b1af7a8b0943881a87f31bb764f8bf219bb9419e0
             Got        0000000000000000000000000000000000000000000000000000000000000000
"""


def test_a_failed_install_is_one_titled_annotation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pip fails (a hash mismatch): no traceback, a non-zero status, and one ::error with a
    title, pip's last lines and the way to check and regenerate the lock."""
    installer = _installer()
    python, log = _fake_python(tmp_path)
    _exactly_the_lock(tmp_path, installer)
    (tmp_path / "pip-fails.txt").write_text(HASH_MISMATCH)
    status, path_lines, outputs = _run(monkeypatch, tmp_path, installer, python)
    assert status == 1
    assert path_lines == [] and outputs == {}
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert HASH_MISMATCH in out  # pip's whole output is in the log
    [error] = [line for line in out.splitlines() if line.startswith("::error")]
    match = re.fullmatch(r"::error title=([^:]+)::(.+)", error)
    assert match, error
    title, message = match.groups()
    assert title == "cpython-release setup%3A pip install of the locked dependencies failed"
    message = message.replace("%0A", "\n").replace("%25", "%")
    assert message.startswith("pip install of the locked dependencies failed (exit status 1):")
    assert "\n".join(HASH_MISMATCH.splitlines()[-3:]) in message
    assert "Collecting annotated-types" in message  # stdout and stderr, in order
    assert "run `python tools/lock.py check`" in message
    command = installer.lock_command(ROOT)
    assert command.startswith("uv pip compile ") and f"(`{command}`)" in message
    # nothing is left that a later job could take for a finished install
    cache = tmp_path / "cache" / "cpython-release"
    assert [p.name for p in cache.iterdir() if not p.is_dir() or p.name.endswith(".lock")] == []
    assert not list(cache.glob("*/installed-from"))
    assert "-m pip install --no-index" not in log.read_text()
    # the next run, with pip working again, installs
    (tmp_path / "pip-fails.txt").unlink()
    assert _run(monkeypatch, tmp_path, installer, python)[0] == 0


def test_a_venv_that_is_not_the_lock_is_rebuilt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    installer = _installer()
    python, log = _fake_python(tmp_path)
    wanted = _exactly_the_lock(tmp_path, installer)
    assert _run(monkeypatch, tmp_path, installer, python)[0] == 0
    [venv] = [p for p in (tmp_path / "cache" / "cpython-release").iterdir() if p.is_dir()]
    # the stamp still matches, but a job changed what the venv holds
    for changed in (
        {**wanted, "pip": "25.1", "cpython-release": "0.1.0", "requests": "0.0.1"},
        {**wanted, "pip": "25.1", "cpython-release": "0.1.0", "evil": "1.0"},
        {k: v for k, v in wanted.items() if k != "requests"} | {"pip": "25.1"},
    ):
        _venv_holds(tmp_path, changed, wanted)
        log.write_text("")
        capsys.readouterr()
        status = _run(monkeypatch, tmp_path, installer, python)[0]
        calls = log.read_text()
        assert f"-m venv {venv}" in calls and f"-r {LOCK}" in calls, changed
        assert "rebuilding" in capsys.readouterr().out
        # the rebuilt venv must be the lock, or the job fails
        assert status == 1


def test_the_toolkit_is_installed_from_a_clean_copy(tmp_path: Path) -> None:
    installer = _installer()
    root = tmp_path / "root"
    for rel in ("pyproject.toml", "README.md", "requirements/toolkit.txt", "scripts/pkg/a.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    # what a persistent runner's earlier build leaves behind
    for rel in ("build/lib/pkg/evil.py", "scripts/pkg.egg-info/PKG-INFO", "scripts/build/x.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("stale")
    copy = installer.clean_copy(root, tmp_path / "copy")
    files = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file())
    assert files == ["README.md", "pyproject.toml", "requirements/toolkit.txt", "scripts/pkg/a.py"]


def test_the_venv_key_names_interpreter_and_wheel_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyed by the platform the venv's wheels are for: x64 Python on Windows arm64 is
    win-amd64 (platform.machine() may say ARM64 there), native arm64 Python win-arm64."""
    installer = _installer()
    monkeypatch.setattr(installer.sysconfig, "get_platform", lambda: "win-arm64")
    arm = installer.venv_key("ab" * 32)
    monkeypatch.setattr(installer.sysconfig, "get_platform", lambda: "win-amd64")
    x64 = installer.venv_key("ab" * 32)
    assert arm != x64 and arm.endswith("-win-arm64") and x64.endswith("-win-amd64")
    monkeypatch.setattr(installer.sysconfig, "get_platform", lambda: "macosx-11.0-arm64")
    assert installer.venv_key("ab" * 32).endswith("-macosx-11.0-arm64")
    patch = "".join(map(str, sys.version_info[:3]))
    assert f"-{sys.implementation.name}{patch}-" in x64


def test_installer_finds_no_interpreter_in_an_unknown_layout(tmp_path: Path) -> None:
    installer = _installer()
    (tmp_path / "Lib").mkdir()
    with pytest.raises(FileNotFoundError, match=r"Scripts\\python.exe nor bin/python"):
        installer.venv_python(tmp_path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").write_text("")
    assert installer.venv_python(tmp_path) == tmp_path / "bin" / "python"
    assert installer.entry_point(tmp_path / "bin" / "python", "x") == tmp_path / "bin" / "x"


def test_a_stale_runner_lock_is_taken_over(tmp_path: Path) -> None:
    installer = _installer()
    lock = tmp_path / "x.lock"
    lock.mkdir()
    old = lock.stat().st_mtime - installer.STALE_LOCK_S - 5
    os.utime(lock, (old, old))
    with installer.runner_lock(lock):
        assert lock.is_dir()
    assert not lock.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing left aside


def test_two_waiters_cannot_both_take_over_a_stale_lock(tmp_path: Path) -> None:
    installer = _installer()
    lock = tmp_path / "x.lock"
    lock.mkdir()
    old = lock.stat().st_mtime - installer.STALE_LOCK_S - 5
    os.utime(lock, (old, old))
    judged = lock.stat()  # both waiters judged this one stale
    # the first waiter took it over and now holds a fresh lock of its own
    assert installer.take_over_stale(lock, judged)
    lock.mkdir()
    fresh = lock.stat().st_ino
    # the second waiter's takeover must leave the fresh lock in place
    assert not installer.take_over_stale(lock, judged)
    assert lock.is_dir() and lock.stat().st_ino == fresh
    assert [p.name for p in tmp_path.iterdir()] == ["x.lock"]
    # and a lock that vanished is not an error
    lock.rmdir()
    assert not installer.take_over_stale(lock, judged)


# -- the review's attacks ------------------------------------------------------------------


def test_a_lock_with_option_lines_is_refused_before_pip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pip obeys ``--no-binary X`` in a requirements file: X's sdist (its hash is in the lock
    too) would be built and its backend run. The installer refuses such a lock itself."""
    installer = _installer()
    root = tmp_path / "toolkit"
    (root / "requirements").mkdir(parents=True)
    (root / "pyproject.toml").write_text(_read_root("pyproject.toml"))
    (root / LOCK.relative_to(ROOT)).write_text(
        "--no-binary cryptography\n" + LOCK.read_text(encoding="utf-8")
    )
    monkeypatch.setattr(installer, "ROOT", root)
    python, log = _fake_python(tmp_path)
    status, _, outputs = _run(monkeypatch, tmp_path, installer, python)
    assert status == 2 and outputs == {}
    assert "line 1: '--no-binary cryptography'" in capsys.readouterr().out
    assert not log.exists() or log.read_text() == ""  # no interpreter was started


def test_a_tampered_reused_venv_is_rebuilt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    installer = _installer()
    python, log = _fake_python(tmp_path)
    wanted = _exactly_the_lock(tmp_path, installer)
    assert _run(monkeypatch, tmp_path, installer, python)[0] == 0
    # the next job finds a .pth no package installed: the venv is not reused
    _venv_holds(
        tmp_path,
        {**wanted, "pip": "25.1", "cpython-release": "0.1.0"},
        wanted,
        ("zz_evil.pth was installed by no package",),
    )
    log.write_text("")
    capsys.readouterr()
    _run(monkeypatch, tmp_path, installer, python)
    out = capsys.readouterr().out
    assert "rebuilding" in out and "zz_evil.pth was installed by no package" in out
    assert " -m venv " in log.read_text()


def test_the_venv_inspection_finds_planted_and_edited_files(tmp_path: Path) -> None:
    """The inspection code itself, in a real venv (about 4 s: a venv with pip is the
    smallest thing it can run in): a clean venv has nothing to report; a planted .pth, an
    edited file of pip's, a linked directory, a second pip dist-info and a planted `gpg` in
    the scripts directory (first on PATH) are named."""
    installer = _installer()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = installer.venv_python(venv)

    def tampered() -> list[str]:
        return list(installer.inspect(python, ROOT)[2])

    assert tampered() == []
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # bytecode for -O is written at run time: not a reason to rebuild
    (purelib / "pip" / "__pycache__" / "x.cpython-3.opt-1.pyc").write_bytes(b"")
    assert tampered() == []
    (purelib / "zz_evil.pth").write_text("import os\n")
    (purelib / "pip" / "__init__.py").write_text("# edited\n", encoding="utf-8")
    (purelib / "sitecustomize").symlink_to(purelib / "pip", target_is_directory=True)
    [dist_info] = purelib.glob("pip-*.dist-info")
    shutil.copytree(dist_info, purelib / (dist_info.name.replace("pip-", "pip-0")))
    scripts = python.parent
    (scripts / "gpg").write_text("#!/bin/sh\n")
    found = tampered()
    assert "zz_evil.pth was installed by no package" in found
    assert any(t.startswith("pip") and "__init__.py is not what pip installed" in t for t in found)
    assert "sitecustomize is a link" in found
    assert "pip is installed twice" in found
    assert "gpg in the scripts directory was installed by no package" in found
