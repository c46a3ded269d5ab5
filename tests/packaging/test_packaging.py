"""The toolkit as a package: sdist and wheel built reproducibly, twine-clean, and installable.

Builds take seconds (the isolated build creates an environment and installs the pinned
backend, like a packager's `python -m build`), so the module builds once per way and every
test reads those results.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1700000000"
FIXTURES = ROOT / "tests" / "data" / "sigstore"


def copy_tree(dest: Path, mtime: float) -> Path:
    """The project's files (tracked, and untracked but not ignored), every one at ``mtime``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if not src.is_file() or src.is_symlink():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())
        os.utime(target, (mtime, mtime))
    return dest


def build(tree: Path, *extra: str) -> list[Path]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    out = tree / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "build", *extra, "--outdir", str(out), str(tree)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return sorted(out.iterdir())


@dataclass
class Builds:
    isolated: list[Path]  # `python -m build`, as a packager runs it
    locked: list[Path]  # --no-isolation with the pinned backend, other file times


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    a = copy_tree(tmp_path_factory.mktemp("tree-a"), 1_600_000_000)
    b = copy_tree(tmp_path_factory.mktemp("tree-b"), 1_800_000_000)
    return Builds(build(a), build(b, "--no-isolation"))


def test_sdist_and_wheel_are_byte_identical_across_builds(builds: Builds) -> None:
    names = [p.name for p in builds.isolated]
    assert names == ["cpython_release-0.1.0-py3-none-any.whl", "cpython_release-0.1.0.tar.gz"]
    assert [p.name for p in builds.locked] == names
    for one, other in zip(builds.isolated, builds.locked, strict=True):
        assert one.read_bytes() == other.read_bytes(), f"{one.name} differs between builds"


def test_twine_check_strict_passes(builds: Builds) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, builds.isolated)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_archives_carry_the_epoch_not_the_file_times(builds: Builds) -> None:
    wheel, sdist = builds.isolated
    with tarfile.open(sdist) as tar:
        members = tar.getmembers()
    assert {m.mtime for m in members} == {int(EPOCH)}
    assert {(m.uid, m.gid) for m in members} == {(0, 0)}
    names = {m.name.split("/", 1)[1] for m in members}
    assert {"pyproject.toml", "README.md", "PKG-INFO"} <= names
    assert "scripts/cpython_release/verify/core.py" in names
    assert not any(n.startswith(("tests/", ".github/", "requirements/")) for n in names)
    with zipfile.ZipFile(wheel) as whl:
        stamps = {info.date_time for info in whl.infolist()}
    assert stamps == {(2023, 11, 14, 22, 13, 20)}  # SOURCE_DATE_EPOCH, UTC


# SHA-256 of the Apache License 2.0 as the ASF publishes it (LICENSE-2.0.txt), unmodified
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_license_file_is_apache_2_0_and_ships_in_both(builds: Builds) -> None:
    """pyproject declares Apache-2.0; the full text is LICENSE, in the sdist and the wheel,
    and the metadata names it. The sdist carries no development files (.gitignore)."""
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_0_SHA256
    wheel, sdist = builds.isolated
    with tarfile.open(sdist) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers()}
        license_file = tar.extractfile("cpython_release-0.1.0/LICENSE")
        pkg_info_file = tar.extractfile("cpython_release-0.1.0/PKG-INFO")
        assert license_file is not None and pkg_info_file is not None
        assert license_file.read() == text
        pkg_info = BytesParser().parsebytes(pkg_info_file.read())
    assert names - {n for n in names if n.startswith("scripts/cpython_release/")} == {
        "LICENSE",
        "PKG-INFO",
        "README.md",
        "pyproject.toml",
    }
    with zipfile.ZipFile(wheel) as whl:
        assert whl.read("cpython_release-0.1.0.dist-info/licenses/LICENSE") == text
        meta = BytesParser().parsebytes(whl.read("cpython_release-0.1.0.dist-info/METADATA"))
    for headers in (pkg_info, meta):
        assert headers["License-Expression"] == "Apache-2.0"
        assert headers.get_all("License-File") == ["LICENSE"]


def wheel_metadata(wheel: Path) -> tuple[set[str], dict[str, list[str]]]:
    with zipfile.ZipFile(wheel) as whl:
        files = set(whl.namelist())
        meta = BytesParser().parsebytes(whl.read("cpython_release-0.1.0.dist-info/METADATA"))
        entry = whl.read("cpython_release-0.1.0.dist-info/entry_points.txt").decode()
    return files, {"Requires-Dist": meta.get_all("Requires-Dist") or [], "entry": [entry]}


def test_wheel_has_what_verify_needs(builds: Builds) -> None:
    files, meta = wheel_metadata(builds.isolated[0])
    assert {
        "cpython_release/cli.py",
        "cpython_release/verify/core.py",
        "cpython_release/data/release-cycle.json",
        "cpython_release/schema/manifest-v1.schema.json",
    } <= files
    assert not any("__pycache__" in f or f.startswith("tests/") for f in files)
    assert "cpython-release = cpython_release.cli:main" in meta["entry"][0]
    # a plain install (`pipx run cpython-release verify`) brings the verifier's libraries
    plain = {r for r in meta["Requires-Dist"] if "extra ==" not in r}
    assert {"sigstore==4.5.1", "python-gnupg==0.5.7", "spdx-tools==0.8.5"} <= plain


def test_installed_wheel_verifies_in_a_fresh_venv(builds: Builds, tmp_path: Path) -> None:
    """The wheel installed alone into a new venv runs `verify` from its installed copy.

    The venv reaches its dependencies through a path entry to this environment's
    site-packages (an install from the index takes about 20 s; its metadata is checked in
    the test above). That entry is a plain path, so this environment's editable .pth is not
    read: the toolkit comes from the wheel only."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "--no-index", str(builds.isolated[0])], check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = subprocess.run(
        [str(python), "-c", "import cpython_release; print(cpython_release.__file__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(site), where
    tool = venv / "bin" / "cpython-release"
    helped = subprocess.run([str(tool), "verify", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "usage: cpython-release verify" in helped.stdout
    # a real python.org bundle against a stand-in tarball: sigstore runs and says why it fails
    release = tmp_path / "3.12.5"
    release.mkdir()
    (release / "Python-3.12.5.tgz").write_bytes(b"stand-in")
    bundle = "Python-3.12.5.tgz.sigstore"
    (release / bundle).write_bytes((FIXTURES / bundle).read_bytes())
    r = subprocess.run(
        [str(tool), "verify", "3.12.5", str(release), "--legacy"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "the bundle signs a different file (digest mismatch)" in r.stdout


def test_release_lock_pins_what_the_tests_use() -> None:
    """toolkit-release.yml builds with the same build, twine and backend versions as this suite."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_pins = {
        r.name: str(r.specifier)
        for r in map(Requirement, meta["project"]["optional-dependencies"]["test"])
        if r.name in ("build", "twine", "hatchling")
    }
    assert meta["build-system"]["requires"] == [f"hatchling{test_pins['hatchling']}"]
    lock = (ROOT / "requirements" / "toolkit-release.txt").read_text(encoding="utf-8")
    for name, spec in test_pins.items():
        assert re.search(rf"^{name}{re.escape(spec)} \\$", lock, re.M), f"{name}{spec} not locked"
    assert lock.count("--hash=sha256:") > 40


def test_release_workflow_publishes_only_from_a_tag_with_the_only_id_token() -> None:
    wf = yaml.safe_load((ROOT / ".github/workflows/toolkit-release.yml").read_text())
    assert wf["permissions"] == {}
    build, publish = wf["jobs"]["build"], wf["jobs"]["publish"]
    assert build["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert "github.event_name == 'push'" in publish["if"]
    assert "refs/tags/v" in publish["if"]
    step = publish["steps"][-1]
    assert step["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert step["with"]["attestations"] is True


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://upload.pypi.org/legacy/", True),
        ("https://UPLOAD.PyPI.org/legacy/", True),
        (" https://pypi.org/legacy/", True),
        ("https://user@upload.pypi.org:443/legacy/", True),
        ("https://files.pythonhosted.org/", True),
        ("not a url", True),
        ("https://test.pypi.org/legacy/", False),
        ("http://127.0.0.1:8080/", False),
        ("https://pypi.org.example.net/legacy/", False),
    ],
)
def test_release_dry_run_refuses_pypi(tmp_path: Path, url: str, refused: bool) -> None:
    """The dry run's upload URL is any input: PyPI itself is refused before any upload."""
    wf = yaml.safe_load((ROOT / ".github/workflows/toolkit-release.yml").read_text())
    steps = wf["jobs"]["build"]["steps"]
    names = [s["name"] for s in steps]
    check = names.index("Dry run, refuse PyPI as the test index")
    assert check < names.index("Dry run, upload to the test index and read it back")
    assert steps[check]["if"] == steps[check + 1]["if"]
    assert "PASSWORD" not in str(steps[check]["env"])
    proc = subprocess.run(
        ["bash", "-e", "-c", steps[check]["run"]],
        env={**os.environ, "PYTHON": sys.executable, "UPLOAD_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode != 0) == refused, proc.stdout + proc.stderr
    if refused and "pypi" in url.lower():
        assert "points at PyPI" in proc.stdout
