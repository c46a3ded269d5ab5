"""build-mobile.yml under act: the wiring, end to end, with a stand-in CPython tree.

The CPython repository here is a small git repository whose ``Platforms/Android`` and
``Platforms/Apple`` entry points check the exact arguments the workflow passes and write
the dist files CPython's real tools write. Everything else is the real toolkit: the tag
check, collection of python.org's names, and the manifest fragments.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from act_harness import GIT_ENV, ActHarness
from cpython_release.manifest import Manifest

pytestmark = pytest.mark.act
VERSION = "3.15.0a1"

FAKE_TOOL = """\
import pathlib, sys, tarfile, io
want = {want!r}
if sys.argv[1:] != want[:-1] + [sys.argv[-1]] or sys.argv[-1] not in want[-1]:
    sys.exit("unexpected arguments: %r" % sys.argv[1:])
dist = pathlib.Path({dist!r}.format(host=sys.argv[-1]))
dist.mkdir(parents=True, exist_ok=True)
name = {name!r}.format(host=sys.argv[-1])
with tarfile.open(dist / name, "w:gz") as tf:
    data = b"built for " + sys.argv[-1].encode()
    info = tarfile.TarInfo("README")
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))
print("stand-in CPython tool built", name)
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout.strip()


def make_cpython(root: Path) -> str:
    repo = root / "cpython"
    (repo / "Include").mkdir(parents=True)
    (repo / "Include" / "patchlevel.h").write_text(f'#define PY_VERSION "{VERSION}"\n')
    android = repo / "Platforms" / "Android"
    android.mkdir(parents=True)
    (android / "__main__.py").write_text(
        FAKE_TOOL.format(
            want=["ci", "--fast-ci", ["aarch64-linux-android", "x86_64-linux-android"]],
            dist="cross-build/{host}/dist",
            name=f"python-{VERSION}-{{host}}.tar.gz",
        )
    )
    apple = repo / "Platforms" / "Apple"
    apple.mkdir(parents=True)
    (apple / "__main__.py").write_text(
        FAKE_TOOL.format(
            want=["ci", "iOS", ["--slow-ci"]],
            dist="cross-build/dist",
            name=f"python-{VERSION}-iOS-XCframework.tar.gz",
        )
    )
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"Python {VERSION}")
    _git(repo, "tag", "-a", "-m", f"Python {VERSION}", f"v{VERSION}")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "after the release")
    return _git(repo, "rev-parse", f"v{VERSION}^{{commit}}")


CALLER = """\
name: mobile caller
on: workflow_dispatch
permissions: {{}}
jobs:
  mobile:
    uses: ./.github/workflows/build-mobile.yml
    permissions:
      contents: read
    with:
      repository: python/cpython
      commit: {commit}
      version: "{version}"
      android: true
      ios: true
"""


@pytest.fixture(scope="module")
def act_mobile(tmp_path_factory: pytest.TempPathFactory, act_tool_cache: Path) -> ActHarness:
    return ActHarness(Path(tmp_path_factory.mktemp("act-mobile")), act_tool_cache)


def test_build_mobile_workflow(act_mobile: ActHarness, tmp_path: Path) -> None:
    commit = make_cpython(tmp_path)
    act_mobile.add_repo("python/cpython", tmp_path / "cpython")
    caller = act_mobile.project / ".github" / "workflows" / "test-mobile-caller.yml"
    caller.write_text(CALLER.format(commit=commit, version=VERSION))
    run = act_mobile.run("test-mobile-caller.yml")
    # every job of the caller and of build-mobile.yml ran, none was silently skipped
    run.assert_jobs(ran={"mobile/android", "mobile/ios"})
    assert f"ok: v{VERSION} is {commit}" in run.text()
    fragments = {}
    for name in ("fragment-android-aarch64", "fragment-android-x86_64", "fragment-ios"):
        path = run.artifacts / name / f"{name}.json"
        fragments[name] = Manifest.load(path)
        assert fragments[name].release.commit == commit
    ios = fragments["fragment-ios"].artifacts[0]
    assert (ios.name, ios.kind, ios.platform) == (
        f"python-{VERSION}-iOS-XCframework.tar.gz",
        "framework",
        "ios",
    )
    for arch in ("aarch64", "x86_64"):
        art = fragments[f"fragment-android-{arch}"].artifacts[0]
        built = run.artifacts / f"android-{arch}" / art.name
        assert art.name == f"python-{VERSION}-{arch}-linux-android.tar.gz"
        assert built.stat().st_size == art.size
    assert run.returncode == 0


def test_build_mobile_rejects_a_moved_tag(act_mobile: ActHarness, tmp_path: Path) -> None:
    commit = make_cpython(tmp_path)
    head = _git(tmp_path / "cpython", "rev-parse", "HEAD")
    assert head != commit
    act_mobile.add_repo("python/cpython", tmp_path / "cpython")
    caller = act_mobile.project / ".github" / "workflows" / "test-mobile-caller.yml"
    caller.write_text(
        CALLER.format(commit=head, version=VERSION).replace("android: true", "android: false")
    )
    run = act_mobile.run("test-mobile-caller.yml")
    assert run.job_results == {"mobile/ios": "failure"}, run.tail()
    assert f"v{VERSION} points to {commit}, expected {head}" in run.text()
    assert not (run.artifacts / "ios").exists()
