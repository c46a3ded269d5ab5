"""upgrade-check with both build directories: the previous release's tests under the old and
the new interpreter, and the exported ABI. The interpreters are the demo tree's own builds
(``./configure && make`` of each exported tag: a ``python`` launcher running the host's
python3 on that tree's ``Lib``), so the standard library differs as between two releases."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import DemoRepo, git_env

Cli = Callable[..., Any]


def build_demo(repo: Path, tag: str, dest: Path) -> Path:
    """The demo tree at ``tag``, exported like a release (Misc/NEWS, no NEWS.d), then built."""
    data = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", tag],
        check=True, capture_output=True, env=git_env(),
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        tf.extractall(dest, filter="data")
    (dest / "Misc" / "NEWS").write_text("news\n")
    shutil.rmtree(dest / "Misc" / "NEWS.d")
    (dest / ".gitattributes").unlink()
    subprocess.run(["./configure"], cwd=dest, check=True, capture_output=True)
    subprocess.run(["make"], cwd=dest, check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def builds(upgrade_demo: DemoRepo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("builds")
    return (
        build_demo(upgrade_demo.path, "v3.13.5", tmp / "old"),
        build_demo(upgrade_demo.path, "v3.13.6", tmp / "new"),
    )


def _check(cli: Cli, demo: DemoRepo, builds: tuple[Path, Path], *extra: str) -> Any:
    old, new = builds
    return cli(
        "upgrade-check", "--repo", str(demo.path), "--from", "v3.13.5", "--to", "v3.13.6",
        "--build-old", str(old), "--build-new", str(new), *extra,
    )  # fmt: skip


def test_old_tests_fail_on_the_new_interpreter(
    cli: Cli, upgrade_demo: DemoRepo, builds: tuple[Path, Path]
) -> None:
    r = _check(cli, upgrade_demo, builds, "--format", "json")
    assert r.code == 1, r.err
    data = json.loads(r.out)
    changes = {f["subject"]: f for f in data["findings"] if f["kind"] == "behaviour-change"}
    # the edited assertion's test (gh-140101) and the removed alias's test (gh-140103);
    # gh-140102 (a crash fix with an added test) breaks no old test
    assert set(changes) == {
        "test.test_json_demo.ScannerTests.test_leading_zeros",
        "test.test_json_demo.ScannerTests.test_legacy_alias",
    }
    zeros = changes["test.test_json_demo.ScannerTests.test_leading_zeros"]
    assert zeros["gh_issue"] == 140101
    assert "ValueError: leading zeros are not allowed" in zeros["output"]
    assert "<previous release>/Lib/test/test_json_demo.py" in zeros["output"]
    assert changes["test.test_json_demo.ScannerTests.test_legacy_alias"]["gh_issue"] == 140103
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["old-tests"]["status"] == "ran"
    assert "test.test_json_demo" in checks["old-tests"]["note"]
    assert "test.test_sys" in checks["old-tests"]["note"]  # the base set ran too
    assert "9 module(s)" in checks["old-tests"]["note"]
    kinds = sorted(f["kind"] for f in data["findings"])
    assert kinds == sorted(
        [
            "behaviour-change",
            "behaviour-change",
            "changed-tests",
            "removed-tests",
            "stable-abi",
            "abi",
        ]
    )


def test_abi_from_the_committed_dumps_without_abidiff(
    cli: Cli, upgrade_demo: DemoRepo, builds: tuple[Path, Path]
) -> None:
    data = json.loads(_check(cli, upgrade_demo, builds, "--format", "json").out)
    [abi] = [f for f in data["findings"] if f["kind"] == "abi"]
    assert abi["subject"] == "PyDemo_OldCall" and abi["gh_issue"] == 140104
    note = {c["name"]: c for c in data["checks"]}["abi-dump"]["note"]
    # the demo builds have no shared libpython: abidiff cannot run even where it is installed
    assert "not the builds" in note
    assert "abidiff is not installed" in note or "no shared libpython" in note


def test_one_sided_or_identical_builds_are_bad_input(
    cli: Cli, upgrade_demo: DemoRepo, builds: tuple[Path, Path]
) -> None:
    """Half the build input, or one build given twice, would compare nothing: exit 2."""
    old, new = builds
    base = ("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--format", "json")  # fmt: skip
    r = cli(*base, "--build-old", str(old))
    assert r.code == 2 and "--build-old without the other" in r.err and r.out == ""
    r = cli(*base, "--build-new", str(new))
    assert r.code == 2 and "--build-new without the other" in r.err
    r = cli(*base, "--build-old", str(old), "--build-new", str(old) + "/.")
    assert r.code == 2 and "same directory" in r.err and "Traceback" not in r.err


def test_a_build_dir_without_an_interpreter(
    cli: Cli, upgrade_demo: DemoRepo, builds: tuple[Path, Path], tmp_path: Path
) -> None:
    r = _check(cli, upgrade_demo, (builds[0], tmp_path))
    assert r.code == 2 and "--build-new" in r.err and "no built interpreter" in r.err


@pytest.mark.skipif(
    not (shutil.which("abidiff") and shutil.which("cc")), reason="needs libabigail and cc"
)
def test_abidiff_of_the_built_libpython(
    cli: Cli, upgrade_demo: DemoRepo, builds: tuple[Path, Path], tmp_path: Path
) -> None:
    """Both builds carry a real shared libpython (two small C libraries, the new one without
    PyDemo_OldCall): abidiff compares what was built, not the committed dumps."""
    dirs = []
    for label, src, build in (
        ("old", "int PyDemo_Call(int x) { return x; }\nint PyDemo_OldCall(int x) { return 1; }\n",
         builds[0]),
        ("new", "int PyDemo_Call(int x) { return x; }\n", builds[1]),
    ):  # fmt: skip
        d = shutil.copytree(build, tmp_path / label, symlinks=True)
        (tmp_path / f"{label}.c").write_text(src)
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-g", "-o", str(d / "libpython3.13.so.1.0"),
             str(tmp_path / f"{label}.c")],
            check=True,
        )  # fmt: skip
        dirs.append(d)
    data = json.loads(_check(cli, upgrade_demo, (dirs[0], dirs[1]), "--format", "json").out)
    [abi] = [f for f in data["findings"] if f["kind"] == "abi"]
    assert "incompatible ABI change" in abi["detail"] and "PyDemo_OldCall" in abi["output"]
    note = {c["name"]: c for c in data["checks"]}["abi-dump"]["note"]
    assert note.startswith("abidiff libpython3.13.so.1.0")
