"""The docs step follows each branch's Doc/Makefile: split dist-* targets, or the old dist era.

The old-era tree is shaped like a 3.11 branch point: its Makefile has only ``dist`` (which
here fails, as it would without LaTeX) and the builder targets, as cheap stand-ins that
write files into ``build/<format>`` and a ``build/texinfo/Makefile`` whose ``info`` target
writes ``python.info``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from cpython_release.cli import main
from cpython_release.demo_repo import DemoRepo, git_env, make_demo_repo
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.source.build import DOCS_FRAGMENT_NAME, build_docs, docs_names
from cpython_release.source.docs import (
    DIST_RECIPE,
    DIST_TARGETS,
    SPLIT_RECIPE,
    MakeDocsBuilder,
    detect_recipe,
    makefile_targets,
    pack_dist,
)
from cpython_release.version import ReleaseVersion

OLD = ReleaseVersion.parse("3.11.2")
NIGHTLY = "3.11.3.dev20261206"

# The head of a 3.11-era Doc/Makefile (variables as CPython wrote them: SPHINXBUILD and BLURB
# assigned with `=`, DISTVERSION from patchlevel.py), then stand-in builder targets.
OLD_MAKEFILE = """\
PYTHON       = python3
VENVDIR      = ./venv
SPHINXBUILD  = PATH=$(VENVDIR)/bin:$$PATH sphinx-build
BLURB        = PATH=$(VENVDIR)/bin:$$PATH blurb
JOBS         = auto
DISTVERSION  = $(shell $(PYTHON) tools/extensions/patchlevel.py)

ALLSPHINXOPTS = -b $(BUILDER) -d build/doctrees -j $(JOBS) \\
                $(SPHINXOPTS) . build/$(BUILDER)

.PHONY: help build html htmlhelp latex text texinfo changes linkcheck \\
\tsuspicious coverage doctest pydoc-topics htmlview clean dist check serve

html: BUILDER = html
html:
\tmkdir -p build/html/_static build/html/library
\techo '<p>Python $(DISTVERSION)</p>' > build/html/index.html
\techo '$(SPHINXBUILD)' > build/html/sphinxbuild.txt
\techo 'body {}' > build/html/_static/basic.css
\techo '<p>os</p>' > build/html/library/os.html
\techo 'config' > build/html/.buildinfo

text: BUILDER = text
text:
\tmkdir -p build/text/library
\techo 'Python $(DISTVERSION)' > build/text/index.txt
\techo 'os' > build/text/library/os.txt

texinfo: BUILDER = texinfo
texinfo:
\tmkdir -p build/texinfo
\techo '\\input texinfo' > build/texinfo/python.texi
\tprintf 'info: python.info\\n\\npython.info: python.texi\\n\\techo info > python.info\\n' \\
\t\t> build/texinfo/Makefile

epub: BUILDER = epub
epub:
\tmkdir -p build/epub
\techo 'epub $(DISTVERSION)' > build/epub/Python.epub

latex: BUILDER = latex
latex:
\t@echo no TeX here; exit 1

dist:
\trm -rf dist
\tmkdir -p dist
\t# archive the HTML
\tmake html
\t@echo 'the whole dist recipe wants LaTeX for the PDFs'; exit 1
"""


def _old_tree(root: Path, patchlevel: str = "3.11.2+") -> Path:
    src = root / "Python-3.11.2"
    (src / "Doc" / "tools" / "extensions").mkdir(parents=True)
    (src / "Doc" / "Makefile").write_text(OLD_MAKEFILE)
    (src / "Doc" / "tools" / "extensions" / "patchlevel.py").write_text(f"print({patchlevel!r})\n")
    return src


def _record() -> tuple[list[tuple[list[str], Path, dict[str, str]]], MakeDocsBuilder]:
    calls: list[tuple[list[str], Path, dict[str, str]]] = []

    def record(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
        calls.append((list(cmd), cwd, dict(env)))

    return calls, MakeDocsBuilder(python="python3", run=record)


# --- recipe detection --------------------------------------------------------------------


def test_targets_are_read_from_rules_not_variables_or_recipes() -> None:
    text = (
        "DISTVERSION = $(shell x)\nSPHINXBUILD  = PATH=$(VENVDIR)/bin:$$PATH sphinx-build\n"
        "X := a:b\n.PHONY: html \\\n\tdist-html\nhtml: BUILDER = html\nhtml: build\n"
        "\t@echo dist-text: not a rule\ndefine CANNED\ndist-epub: inside define\nendef\n"
        "a b:: c\n# dist-texinfo: a comment\n"
    )
    assert makefile_targets(text) == {".PHONY", "html", "a", "b"}


def test_recipe_is_detected_from_the_makefile(tmp_path: Path, demo: DemoRepo) -> None:
    assert detect_recipe(demo.path / "Doc" / "Makefile") == SPLIT_RECIPE
    assert detect_recipe(_old_tree(tmp_path) / "Doc" / "Makefile") == DIST_RECIPE
    # one dist-* target short of the split recipe, and no builder targets: neither
    half = tmp_path / "half.mk"
    half.write_text("dist:\n\ttrue\ndist-html dist-text dist-texinfo:\n\ttrue\nhtml text:\n")
    with pytest.raises(CheckFailed, match="offers no recipe") as info:
        detect_recipe(half)
    assert info.value.problems == [
        "no dist-* recipe: missing dist-epub",
        "no dist recipe: missing epub, texinfo",
    ]
    with pytest.raises(CheckFailed, match="is missing"):
        detect_recipe(tmp_path / "nothing" / "Makefile")


def test_commands_for_the_split_recipe(tmp_path: Path) -> None:
    calls, builder = _record()
    src = tmp_path / "Python-3.15.0"
    (src / "Doc").mkdir(parents=True)
    (src / "Doc" / "Makefile").write_text("".join(f"{t}:\n" for t in DIST_TARGETS))
    assert builder.build(src, "3.15.0rc1") == src / "Doc" / "dist"
    venv = calls[0][0][3]
    assert calls[0][0] == ["python3", "-m", "venv", venv]
    assert calls[1][0] == [
        f"{venv}/bin/python",
        "-m",
        "pip",
        "install",
        "-r",
        "Doc/requirements.txt",
    ]
    assert [c[0] for c in calls[2:]] == [
        [
            "make",
            "DISTVERSION=3.15.0rc1",
            f"SPHINXBUILD={venv}/bin/sphinx-build",
            f"BLURB={venv}/bin/blurb",
            target,
        ]
        for target in ("dist-epub", "dist-html", "dist-texinfo", "dist-text")
    ]
    assert {c[1] for c in calls[2:]} == {src / "Doc"}
    assert calls[2][2]["SPHINXOPTS"] == "-j auto"


def test_commands_for_the_dist_recipe(tmp_path: Path) -> None:
    calls, builder = _record()
    src = _old_tree(tmp_path)
    with pytest.raises(CheckFailed, match="did not produce"):
        builder.build(src, NIGHTLY)  # only recorded, so there is nothing to archive
    venv = calls[0][0][3]
    variables = [f"DISTVERSION={NIGHTLY}", f"SPHINXBUILD={venv}/bin/sphinx-build"]
    variables.append(f"BLURB={venv}/bin/blurb")
    assert [c[0] for c in calls[2:]] == [
        ["make", *variables, "html"],
        ["make", *variables, "text"],
        ["make", *variables, "epub"],
        ["make", *variables, "texinfo"],
        ["make", "-C", "build/texinfo", "info"],
    ]
    assert "dist" not in {c[0][-1] for c in calls} and "latex" not in {c[0][-1] for c in calls}
    without_venv = MakeDocsBuilder(install=False).commands(src, tmp_path, NIGHTLY, DIST_RECIPE)
    assert without_venv[0][0] == ["make", f"DISTVERSION={NIGHTLY}", "html"]


def test_a_version_that_cannot_name_archives_is_bad_input(tmp_path: Path) -> None:
    _, builder = _record()
    with pytest.raises(BadInput, match="not a version"):
        builder.build(_old_tree(tmp_path), "3.11 2; rm -rf /")


# --- running the old recipe for real ----------------------------------------------------------


def _members(archive: Path) -> list[str]:
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            return [n.rstrip("/") for n in zf.namelist()]
    with tarfile.open(archive) as tf:
        return tf.getnames()


def test_old_tree_gives_exactly_the_inventory_archives_named_for_the_passed_version(
    tmp_path: Path,
) -> None:
    src = _old_tree(tmp_path)  # patchlevel.py says 3.11.2+, the build is for a nightly
    dist = MakeDocsBuilder(install=False, mtime=1_700_000_000).build(src, NIGHTLY)
    expected = {
        f"python-{NIGHTLY}-docs.epub",
        *(
            f"python-{NIGHTLY}-docs-{f}.{e}"
            for f in ("html", "text", "texinfo")
            for e in ("tar.bz2", "zip")
        ),
    }
    assert {p.name for p in dist.iterdir()} == expected
    top = f"python-{NIGHTLY}-docs-html"
    for ext in ("tar.bz2", "zip"):
        assert _members(dist / f"{top}.{ext}") == [
            top,
            f"{top}/.buildinfo",
            f"{top}/_static",
            f"{top}/_static/basic.css",
            f"{top}/index.html",
            f"{top}/library",
            f"{top}/library/os.html",
            f"{top}/sphinxbuild.txt",
        ]
    with tarfile.open(dist / f"{top}.tar.bz2") as tf:
        index = tf.extractfile(f"{top}/index.html")
        assert index is not None and index.read() == f"<p>Python {NIGHTLY}</p>\n".encode()
        assert {(m.uid, m.gid, m.uname, m.mtime) for m in tf} == {(0, 0, "", 1_700_000_000)}
    with zipfile.ZipFile(dist / f"python-{NIGHTLY}-docs-texinfo.zip") as zf:
        assert zf.read(f"python-{NIGHTLY}-docs-texinfo/python.info") == b"info\n"  # make info ran
        assert zf.testzip() is None
    assert (dist / f"python-{NIGHTLY}-docs.epub").read_text() == f"epub {NIGHTLY}\n"


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_old_layout_archives_do_not_depend_on_file_times_or_modes(tmp_path: Path) -> None:
    doc = _old_tree(tmp_path) / "Doc"
    MakeDocsBuilder(install=False).build(doc.parent, "3.11.2")
    first = _digests(doc / "dist")
    for path in (doc / "build").rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        if path.is_file():
            path.chmod(0o600)
    pack_dist(doc, "3.11.2", 315532800)
    assert _digests(doc / "dist") == first
    pack_dist(doc, "3.11.2", 1_700_000_000)  # another timestamp is other bytes
    assert (
        _digests(doc / "dist")["python-3.11.2-docs-html.zip"]
        != first["python-3.11.2-docs-html.zip"]
    )


def test_old_layout_refuses_symlinks_and_missing_builds(tmp_path: Path) -> None:
    doc = _old_tree(tmp_path) / "Doc"
    with pytest.raises(CheckFailed, match="did not produce"):
        pack_dist(doc, "3.11.2", 0)
    MakeDocsBuilder(install=False).build(doc.parent, "3.11.2")
    (doc / "build" / "text" / "escape").symlink_to("/etc/passwd")
    with pytest.raises(CheckFailed, match="non-regular file"):
        pack_dist(doc, "3.11.2", 0)


# --- the docs step end to end on an old branch point ------------------------------------------


@pytest.fixture
def old_branch_point(tmp_path: Path) -> DemoRepo:
    """A 3.11.2 demo repository whose release commit has the old-era Doc/Makefile."""
    demo = make_demo_repo(tmp_path / "cpython", "3.11.2")

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(demo.path), *args],
            env={**git_env(), "GIT_COMMITTER_DATE": f"{demo.commit_time} +0000"},
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout.strip()

    (demo.path / "Doc" / "Makefile").write_text(OLD_MAKEFILE)
    git("commit", "-q", "--amend", "--no-edit", "-a")
    git("tag", "-f", "-a", "-m", "Python 3.11.2", "v3.11.2")
    commit = git("rev-parse", "HEAD")
    return DemoRepo(demo.path, demo.version, commit, demo.tag, demo.commit_time)


def test_docs_step_on_an_old_branch_point_through_the_cli(
    old_branch_point: DemoRepo, tmp_path: Path
) -> None:
    """`build-source --docs-only` with the real driver (venv, pip install -r, make)."""
    out = tmp_path / "out"
    args = ["build-source", "3.11.2", "--repo", str(old_branch_point.path)]
    args += ["--commit", old_branch_point.commit, "--out", str(out), "--docs-only"]
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*docs_names(OLD), DOCS_FRAGMENT_NAME])
    fragment = Manifest.load(out / DOCS_FRAGMENT_NAME)
    assert fragment.names() == sorted(docs_names(OLD))
    for art in fragment.artifacts:
        assert hashlib.sha256((out / art.name).read_bytes()).hexdigest() == art.sha256
    # the venv's sphinx-build reached make: the command line beats the Makefile's `=`
    with zipfile.ZipFile(out / "python-3.11.2-docs-html.zip") as zf:
        used = zf.read("python-3.11.2-docs-html/sphinxbuild.txt").decode().strip()
    assert used.endswith("/bin/sphinx-build") and not used.startswith("PATH=")


def test_docs_step_on_an_old_branch_point_is_reproducible(
    old_branch_point: DemoRepo, tmp_path: Path
) -> None:
    builder = MakeDocsBuilder(install=False)
    a = build_docs(
        old_branch_point.path, OLD, old_branch_point.commit, tmp_path / "a", docs_builder=builder
    )
    b = build_docs(
        old_branch_point.path, OLD, old_branch_point.commit, tmp_path / "b", docs_builder=builder
    )
    assert Manifest.load(a).artifacts == Manifest.load(b).artifacts
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_split_recipe_names_the_archives_for_the_passed_version(
    demo: DemoRepo, tmp_path: Path
) -> None:
    """The demo's Doc/Makefile (split dist-* targets) reads DISTVERSION from patchlevel.h
    (3.13.5); a nightly's archives must carry the nightly's version instead."""
    src = tmp_path / "Python-3.13.6.dev20261206"
    shutil.copytree(demo.path, src, ignore=shutil.ignore_patterns(".git"))
    dist = MakeDocsBuilder(install=False).build(src, "3.13.6.dev20261206")
    names = {p.name for p in dist.iterdir()}
    assert "python-3.13.6.dev20261206-docs.epub" in names
    assert "python-3.13.6.dev20261206-docs-html.tar.bz2" in names
    assert not [n for n in names if "3.13.5" in n]


def test_a_missing_makeinfo_is_bad_input_before_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The info archive needs makeinfo (texinfo): missing, the build says so before running
    anything (both recipes)."""
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name: None if name == "makeinfo" else real_which(name)
    )
    split = tmp_path / "split" / "Python-3.15.0"
    (split / "Doc").mkdir(parents=True)
    (split / "Doc" / "Makefile").write_text("".join(f"{t}:\n" for t in DIST_TARGETS))
    for src, version in ((_old_tree(tmp_path / "old"), "3.11.2"), (split, "3.15.0rc1")):
        calls, builder = _record()
        with pytest.raises(BadInput, match="needs makeinfo: install texinfo"):
            builder.build(src, version)
        assert calls == []
    calls, builder = _record()
    builder.targets = ("dist-html",)  # no info archive asked for: no makeinfo needed
    builder.build(split, "3.15.0rc1")
    assert calls
