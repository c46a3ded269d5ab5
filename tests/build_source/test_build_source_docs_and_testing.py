"""--docs orchestration (the demo's real Doc/Makefile), test-archive, and docs-only."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.demo_repo import DEMO_TESTS, DemoRepo
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.source.build import FRAGMENT_NAME, build_docs, build_source, docs_names
from cpython_release.source.docs import DIST_TARGETS, MakeDocsBuilder
from cpython_release.source.testing import DEFAULT_TESTS
from cpython_release.version import ReleaseVersion

V = ReleaseVersion.parse("3.13.5")


def test_docs_are_built_through_the_makefile_and_recorded(demo: DemoRepo, tmp_path: Path) -> None:
    fragment = build_source(
        demo.path,
        V,
        demo.commit,
        tmp_path / "out",
        docs=True,
        docs_builder=MakeDocsBuilder(install=False),
    )
    manifest = Manifest.load(fragment)
    docs = [a for a in manifest.artifacts if a.kind == "docs"]
    assert sorted(a.name for a in docs) == sorted(docs_names(V))
    assert len(docs) == 7 and {a.platform for a in docs} == {"docs"}
    for art in docs:
        assert (tmp_path / "out" / art.name).stat().st_size == art.size
    with tarfile.open(tmp_path / "out" / "python-3.13.5-docs-html.tar.bz2") as tf:
        assert any(n.endswith("index.html") for n in tf.getnames())
    # the docs build must not leak into the source tarball
    with tarfile.open(tmp_path / "out" / "Python-3.13.5.tgz") as tf:
        assert not [n for n in tf.getnames() if "/Doc/build" in n or "/Doc/dist" in n]


def test_docs_only_has_its_own_fragment(demo: DemoRepo, tmp_path: Path) -> None:
    fragment = build_docs(
        demo.path, V, demo.commit, tmp_path, docs_builder=MakeDocsBuilder(install=False)
    )
    assert fragment.name == "fragment-docs.json"
    assert Manifest.load(fragment).names() == sorted(docs_names(V))
    assert not (tmp_path / "Python-3.13.5.tgz").exists()


def test_real_docs_driver_commands(tmp_path: Path) -> None:
    calls: list[tuple[list[str], Path, dict[str, str]]] = []

    def record(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
        calls.append((list(cmd), cwd, dict(env)))

    src = tmp_path / "Python-3.13.5"
    (src / "Doc").mkdir(parents=True)
    (src / "Doc" / "Makefile").write_text("".join(f"{t}:\n" for t in DIST_TARGETS))
    dist = MakeDocsBuilder(python="python3", run=record).build(src, "3.13.5")
    assert dist == src / "Doc" / "dist"
    assert calls[0][0][:3] == ["python3", "-m", "venv"]
    assert calls[1][0][1:] == ["-m", "pip", "install", "-r", "Doc/requirements.txt"]
    assert [c[0][-1] for c in calls[2:]] == list(DIST_TARGETS)
    venv = calls[0][0][3]
    for cmd, cwd, _env in calls[2:]:
        assert cwd == src / "Doc"
        # on make's command line: CPython's Makefiles assign these with `=`
        assert cmd[1:4] == [
            "DISTVERSION=3.13.5",
            f"SPHINXBUILD={venv}/bin/sphinx-build",
            f"BLURB={venv}/bin/blurb",
        ]


def test_failing_or_incomplete_docs_build(demo: DemoRepo, tmp_path: Path) -> None:
    broken = MakeDocsBuilder(install=False, targets=("dist-html", "no-such-target"))
    with pytest.raises(CheckFailed, match="no-such-target"):
        build_source(demo.path, V, demo.commit, tmp_path / "a", docs=True, docs_builder=broken)
    partial = MakeDocsBuilder(install=False, targets=("dist-html",))
    with pytest.raises(CheckFailed, match="did not produce every archive") as info:
        build_source(demo.path, V, demo.commit, tmp_path / "b", docs=True, docs_builder=partial)
    assert "missing python-3.13.5-docs.epub" in info.value.problems
    assert not (tmp_path / "b" / FRAGMENT_NAME).exists()


def test_docs_rejected_for_alpha(demo: DemoRepo, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a release candidate or final"):
        build_source(demo.path, ReleaseVersion.parse("3.14.0a3"), demo.commit, tmp_path, docs=True)


def test_default_test_subset_runs_on_the_demo() -> None:
    assert DEFAULT_TESTS == DEMO_TESTS


def test_test_archive_builds_and_tests_both(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    archives = [str(built / "Python-3.13.5.tgz"), str(built / "Python-3.13.5.tar.xz")]
    code = main(
        ["build-source", "test-archive", *archives, "--workdir", str(tmp_path), "--jobs", "2"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert [r["archive"] for r in report["passed"]] == ["Python-3.13.5.tgz", "Python-3.13.5.tar.xz"]
    for r in report["passed"]:
        assert [s["name"] for s in r["steps"]] == ["configure", "make", "install", "test"]
    # where each was installed: the JSON and the step output name the same prefixes, in the
    # archives' order, and each holds the interpreter and the headers make install put there
    installs = [r["install"] for r in report["passed"]]
    assert installs == [str(tmp_path / "Python-3_13_5_tgz" / "install"),
                        str(tmp_path / "Python-3_13_5_tar_xz" / "install")]  # fmt: skip
    assert outputs.read_text() == f"install-dirs={json.dumps(installs)}\n"
    for install in installs:
        assert (Path(install) / "bin" / "python3").is_file()
        header = Path(install) / "include" / "python3.13" / "patchlevel.h"
        assert '"3.13.5"' in header.read_text()
    log = (tmp_path / "Python-3_13_5_tgz" / "build.log").read_text()
    assert "Ran 8 tests" in log and "OK" in log


def _tar_with(members: dict[str, bytes], path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_test_archive_failures(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    evil = _tar_with({"Python-3.13.5/ok": b"", "../escape": b"x"}, tmp_path / "Python-3.13.5.tgz")
    assert main(["build-source", "test-archive", str(evil), "--workdir", str(tmp_path / "w1")]) == 1
    assert "one top-level directory" in capsys.readouterr().err
    assert outputs.read_text() == "install-dirs=[null]\n"  # failed: no install to name
    (tmp_path / "abs").mkdir()
    bad = _tar_with({"Python-3.13.5/../../x": b"x"}, tmp_path / "abs" / "Python-3.13.5.tgz")
    assert main(["build-source", "test-archive", str(bad), "--workdir", str(tmp_path / "w2")]) == 1
    assert "data filter" in capsys.readouterr().err
    # an unexported tree (Misc/NEWS.d still there) fails the demo's make
    raw = tmp_path / "raw"
    raw.mkdir()
    with tarfile.open(built / "Python-3.13.5.tgz") as tf:
        tf.extractall(raw, filter="data")
    (raw / "Python-3.13.5/Misc/NEWS").unlink()
    (raw / "unexp").mkdir()
    with tarfile.open(raw / "unexp" / "Python-3.13.5.tgz", "w:gz") as tf:
        tf.add(raw / "Python-3.13.5", "Python-3.13.5")
    code = main(
        [
            "build-source",
            "test-archive",
            str(raw / "unexp" / "Python-3.13.5.tgz"),
            "--workdir",
            str(tmp_path / "w3"),
        ]
    )
    assert code == 1
    assert "make failed" in capsys.readouterr().err
