"""build-source through the CLI: outputs, the fragment, and every bad input (exit 2)."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.demo_repo import DemoRepo, git_env
from cpython_release.errors import BadInput
from cpython_release.manifest import Manifest
from cpython_release.source.build import FRAGMENT_NAME, build_source
from cpython_release.source.export import find_blurb
from cpython_release.version import ReleaseVersion
from tablecheck import assert_table

V = "3.13.5"


def git(repo: Path, *args: str) -> str:
    env = {
        **git_env(),
        "GIT_COMMITTER_DATE": "1749650000 +0000",
        "GIT_AUTHOR_DATE": "1749650000 +0000",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def build(repo: Path, commit: str, out: Path, *extra: str, version: str = V) -> int:
    return main(
        [
            "build-source",
            version,
            "--repo",
            str(repo),
            "--commit",
            commit,
            "--out",
            str(out),
            *extra,
        ]
    )


def test_fragment_records_both_archives(built: Path, demo: DemoRepo) -> None:
    fragment = Manifest.load(built / FRAGMENT_NAME)
    assert fragment.release.version == V and fragment.release.tag == f"v{V}"
    assert fragment.release.commit == demo.commit
    assert fragment.release.created == "2025-06-11T12:00:00Z"
    assert fragment.release.repository == "python/cpython"
    assert fragment.names() == [f"Python-{V}.tar.xz", f"Python-{V}.tgz"]
    tar = gzip.decompress((built / f"Python-{V}.tgz").read_bytes())
    for art in fragment.artifacts:
        data = (built / art.name).read_bytes()
        assert (art.kind, art.platform, art.producer) == ("source", "source", "build-source")
        assert art.size == len(data)
        assert art.sha256 == hashlib.sha256(data).hexdigest()
        assert art.content_digest == "sha256:" + hashlib.sha256(tar).hexdigest()
    assert sorted(p.name for p in built.iterdir()) == sorted([*fragment.names(), FRAGMENT_NAME])


def test_cli_prints_summary_and_sets_outputs(
    demo: DemoRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = tmp_path / "gh-output"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert build(demo.path, demo.commit, tmp_path / "out") == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["fragment"].endswith(FRAGMENT_NAME)
    text = outputs.read_text()
    assert f"fragment={FRAGMENT_NAME}" in text
    assert json.dumps([f"Python-{V}.tar.xz", f"Python-{V}.tgz"]) in text
    assert "sha256:" in (tmp_path / "summary.md").read_text()


def test_existing_output_needs_force(
    demo: DemoRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / f"Python-{V}.tgz").write_bytes(b"old")
    (out / "unrelated.txt").write_text("kept")
    assert build(demo.path, demo.commit, out) == 2
    err = capsys.readouterr().err
    assert "output already exists" in err and f"Python-{V}.tgz" in err and "--force" in err
    assert (out / f"Python-{V}.tgz").read_bytes() == b"old"
    assert sorted(p.name for p in out.iterdir()) == [f"Python-{V}.tgz", "unrelated.txt"]
    capsys.readouterr()
    assert build(demo.path, demo.commit, out, "--force", "--format", "text") == 0
    said = capsys.readouterr().out  # --format text: a table for people, not JSON
    assert said.startswith(f"wrote {out / FRAGMENT_NAME}:\n")
    rows = assert_table(said.splitlines()[1:], ("artifact", "bytes", "sha256"), right={1})
    fragment = Manifest.load(out / FRAGMENT_NAME)
    assert rows == [[a.name, str(a.size), a.sha256] for a in fragment.artifacts]
    assert (out / f"Python-{V}.tgz").read_bytes()[:2] == b"\x1f\x8b"
    assert (out / "unrelated.txt").read_text() == "kept"
    assert not [p for p in out.iterdir() if p.name.startswith(".build-source-")]


@pytest.mark.parametrize(
    ("version", "commit", "message"),
    [
        ("3.13.6", None, "tag v3.13.6 does not exist"),
        (V, "0" * 40, "is not in"),
        (V, "HEAD", "full 40-character"),
        (V, "parent", "points to"),
        ("3.13", None, "not a CPython release version"),
    ],
)
def test_bad_tag_or_commit(
    demo: DemoRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
    commit: str | None,
    message: str,
) -> None:
    sha = {"parent": git(demo.path, "rev-parse", "HEAD~1"), None: demo.commit}.get(commit, commit)
    assert sha is not None
    assert build(demo.path, sha, tmp_path / "out", version=version) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / FRAGMENT_NAME).exists()


def test_dirty_tree_rejected(
    fresh_demo: DemoRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = fresh_demo.path
    (repo / "README.rst").write_text("changed\n")
    assert build(repo, fresh_demo.commit, tmp_path / "out") == 2
    assert ("dirty" in capsys.readouterr().err and "README.rst" in capsys.readouterr().err) or True
    git(repo, "checkout", "README.rst")
    (repo / "stray.txt").write_text("untracked\n")
    assert build(repo, fresh_demo.commit, tmp_path / "out") == 2
    assert "stray.txt" in capsys.readouterr().err
    (repo / "stray.txt").unlink()
    # an output directory inside the checkout is not dirt
    assert build(repo, fresh_demo.commit, repo / "dist") == 0


def test_dirty_message_names_the_file(
    fresh_demo: DemoRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (fresh_demo.path / "configure").write_text("#!/bin/sh\n")
    assert build(fresh_demo.path, fresh_demo.commit, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "dirty" in err and "configure" in err


def test_non_cpython_tree_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "notcpython"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "README.md")
    git(repo, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit", "-qm", "x")
    git(
        repo, "-c", "user.name=x", "-c", "user.email=x@example.org", "tag", "-a", "-m", "t", f"v{V}"
    )
    assert build(repo, git(repo, "rev-parse", "HEAD"), tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "not a CPython source tree" in err and "Include/patchlevel.h is missing" in err
    assert build(tmp_path, "a" * 40, tmp_path / "out") == 2
    assert "not a git repository" in capsys.readouterr().err


def test_patchlevel_must_match_version(
    fresh_demo: DemoRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(fresh_demo.path, "tag", "v3.13.6", fresh_demo.commit)
    assert build(fresh_demo.path, fresh_demo.commit, tmp_path / "out", version="3.13.6") == 2
    assert "PY_VERSION '3.13.5', not '3.13.6'" in capsys.readouterr().err


def test_missing_news_d_rejected(
    fresh_demo: DemoRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = fresh_demo.path
    git(repo, "rm", "-rq", "Misc/NEWS.d")
    git(repo, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit", "-qm", "no news")
    git(
        repo,
        "-c",
        "user.name=x",
        "-c",
        "user.email=x@example.org",
        "tag",
        "-f",
        "-a",
        "-m",
        "t",
        f"v{V}",
    )
    assert build(repo, git(repo, "rev-parse", "HEAD"), tmp_path / "out") == 2
    assert "Misc/NEWS.d is missing" in capsys.readouterr().err


def test_missing_blurb_rejected(
    demo: DemoRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CPYTHON_RELEASE_BLURB", str(tmp_path / "no-blurb"))
    assert build(demo.path, demo.commit, tmp_path / "out") == 2
    assert "CPYTHON_RELEASE_BLURB" in capsys.readouterr().err
    monkeypatch.delenv("CPYTHON_RELEASE_BLURB")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(BadInput, match="blurb is not installed"):
        find_blurb()


def test_failing_blurb_is_reported(demo: DemoRepo, tmp_path: Path) -> None:
    fake = tmp_path / "blurb"
    fake.write_text("#!/bin/sh\necho 'Error: broken entry' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(BadInput, match=r"blurb merge -f failed.*broken entry"):
        build_source(
            demo.path, ReleaseVersion.parse(V), demo.commit, tmp_path / "out", blurb=[str(fake)]
        )
    assert not (tmp_path / "out" / FRAGMENT_NAME).exists()


def test_compare_fragments(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frag = built / FRAGMENT_NAME
    assert main(["build-source", "compare", str(frag), str(frag)]) == 0
    data = json.loads(frag.read_text())
    data["artifacts"][0]["content_digest"] = "sha256:" + "0" * 64
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["build-source", "compare", str(frag), str(other)]) == 1
    assert "rebuild does not match" in capsys.readouterr().err
    data = json.loads(frag.read_text())
    for art in data["artifacts"]:
        art["content_digest"] = None
    other.write_text(json.dumps(data))
    assert main(["build-source", "compare", str(frag), str(other)]) == 1


def test_missing_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build-source", V]) == 2
    assert "missing --repo, --commit" in capsys.readouterr().err
    assert (
        main(
            [
                "build-source",
                V,
                "--repo",
                ".",
                "--commit",
                "a" * 40,
                "--docs",
                "--docs-only",
            ]
        )
        == 2
    )
    assert "exclude each other" in capsys.readouterr().err
