"""Canaries: a third-party package from an offline cache, installed by each interpreter's own
pip and tested under both demo builds."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import DemoRepo
from upgrade.test_upgrade_builds import build_demo

Cli = Callable[..., Any]

FILES = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'
    'build-backend = "setuptools.build_meta"\n\n[project]\nname = "jsonnum"\nversion = "1.0"\n\n'
    '[tool.setuptools]\npackages = ["jsonnum"]\n',
    "PKG-INFO": "Metadata-Version: 2.1\nName: jsonnum\nVersion: 1.0\n",
    "jsonnum/__init__.py": "from json_demo import scanner\n\n\ndef load(text):\n"
    "    return scanner.parse_number(text)\n",
    "tests/test_jsonnum.py": "import unittest\n\nimport jsonnum\n\n\n"
    "class LoadTests(unittest.TestCase):\n"
    "    def test_int(self):\n        self.assertEqual(jsonnum.load('12'), 12)\n\n"
    "    def test_padded(self):\n        self.assertEqual(jsonnum.load('007'), 7)\n",
    # imports a name 3.13.6 removed (gh-140103): this module cannot be imported on the new
    "tests/test_alias.py": "import unittest\n\nfrom json_demo.scanner import parseNumber\n\n\n"
    "class AliasTests(unittest.TestCase):\n"
    "    def test_alias(self):\n        self.assertEqual(parseNumber('1'), 1)\n",
}


def _wheel(cache: Path) -> None:
    """The package's pure-Python wheel (what pip installs; a C extension would be built from
    its sdist instead, which needs setuptools and wheel in the cache)."""
    import base64
    import hashlib
    import zipfile

    files = {
        "jsonnum/__init__.py": FILES["jsonnum/__init__.py"],
        "jsonnum-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: jsonnum\nVersion: 1.0\n",
        "jsonnum-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files["jsonnum-1.0.dist-info/RECORD"] = "\n".join([*record, "jsonnum-1.0.dist-info/RECORD,,"])
    with zipfile.ZipFile(cache / "jsonnum-1.0-py3-none-any.whl", "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)


def _sdist(cache: Path) -> None:
    with tarfile.open(cache / "jsonnum-1.0.tar.gz", "w:gz") as tf:
        for name, text in FILES.items():
            data = text.encode()
            info = tarfile.TarInfo(f"jsonnum-1.0/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


@pytest.mark.skipif(shutil.which("python3") is None, reason="the demo builds need python3")
def test_a_canary_breaks_on_the_new_interpreter(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path
) -> None:
    """Takes about 5 s: pip installs the package twice (once per interpreter)."""
    old = build_demo(upgrade_demo.path, "v3.13.5", tmp_path / "old")
    new = build_demo(upgrade_demo.path, "v3.13.6", tmp_path / "new")
    (tmp_path / "cache").mkdir()
    _sdist(tmp_path / "cache")
    _wheel(tmp_path / "cache")
    config = tmp_path / "canaries.toml"
    config.write_text('cache = "cache"\n[[canary]]\nname = "jsonnum"\ntests = "tests"\n')
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--build-old", str(old), "--build-new", str(new),
            "--canaries", str(config), "--format", "json")  # fmt: skip
    data = json.loads(r.out)
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["canaries"]["status"] == "ran", checks["canaries"]
    found = {f["subject"]: f for f in data["findings"] if f["kind"] == "canary"}
    canary = found["jsonnum: test_jsonnum.LoadTests.test_padded"]
    assert "leading zeros are not allowed" in canary["output"]
    # the module that cannot be imported on the new: its test is missing, the import fails
    assert "is missing" in found["jsonnum: test_alias.AliasTests.test_alias"]["detail"]
    [load] = [f for s, f in found.items() if s.startswith("jsonnum: unittest.loader._Failed")]
    assert "parseNumber" in load["output"] and "fails to load" in load["detail"]
    assert len(found) == 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('cache = "nowhere"\n', "cache must name a directory"),
        ('cache = "cache"\n[[canary]]\nname = "jsonnum"\n[[canary]]\nname = "JSONnum"\n',
         "listed twice"),
        ('cache = "cache"\n[[canary]]\nname = "twotops"\ntests = "tests"\n',
         "must hold one top-level directory"),
        ('cache = "cache"\n[[canary]]\nname = "absent"\ntests = "tests"\n', "no sdist"),
    ],
)  # fmt: skip
def test_bad_canary_lists(
    cli: Cli, upgrade_demo: DemoRepo, tmp_path: Path, config: str, message: str
) -> None:
    """Refused before anything runs (no builds needed to see it)."""
    (tmp_path / "cache").mkdir()
    with tarfile.open(tmp_path / "cache" / "twotops-1.0.tar.gz", "w:gz") as tf:
        for name in ("twotops-1.0/setup.py", "stray.txt"):
            info = tarfile.TarInfo(name)
            tf.addfile(info, io.BytesIO(b""))
    path = tmp_path / "canaries.toml"
    path.write_text(config)
    r = cli("upgrade-check", "--repo", str(upgrade_demo.path), "--from", "v3.13.5",
            "--to", "v3.13.6", "--canaries", str(path))  # fmt: skip
    assert r.code == 2 and message in r.err and "Traceback" not in r.err, r.err
