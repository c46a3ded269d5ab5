"""sign.yml under act (offline, no OIDC): the job collects only listed files, signs with GPG,
skips Sigstore loudly under ``auto`` and fails under ``require``.

Marked slow as well as act (each run installs the toolkit); the same behaviour is covered
fast by the stage and CLI tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from act_harness import ActHarness
from sign.sign_support import GpgTestKey, make_release

pytestmark = pytest.mark.act


@pytest.fixture
def act_sign(act: ActHarness) -> ActHarness:
    return act


def _store(root: Path) -> Path:
    """Workflow artifacts as the build jobs upload them (one directory per artifact)."""
    release = make_release(root / "built")
    store = root / "store"
    layout = {
        "source": ["Python-3.13.5.tgz", "Python-3.13.5.tar.xz"],
        "windows-amd64": ["python-3.13.5-amd64.exe", "amd64/core.msi"],
    }
    for artifact, names in layout.items():
        for name in names:
            (store / artifact / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(release.directory / name, store / artifact / name)
    for fragment in release.fragments:
        job = fragment.stem.removeprefix("build-")
        (store / f"fragment-{job}").mkdir(parents=True)
        shutil.copyfile(fragment, store / f"fragment-{job}" / fragment.name)
    (store / "nuget-windows-amd64").mkdir()
    (store / "nuget-windows-amd64" / "python.3.13.5.nupkg").write_bytes(b"not listed")
    return store


def test_auto_without_oidc_signs_gpg_and_uploads_the_release(
    act_sign: ActHarness, tmp_path: Path, gpg_key: GpgTestKey
) -> None:
    store = _store(tmp_path)
    run = act_sign.run(
        "sign.yml",
        "workflow_call",
        inputs={
            "version": "3.13.5",
            "gpg": "true",
            "sigstore": "auto",
            "environment": "release-signing",
        },
        secrets={"GPG_PRIVATE_KEY": gpg_key.armored, "GPG_PASSPHRASE": gpg_key.passphrase},
        env={"ACT_STANDIN_ARTIFACTS": str(store)},
    )
    run.assert_jobs(ran={"sign"})
    log = run.text()
    assert "Sigstore signing SKIPPED" in log
    assert run.outputs("sign").get("sigstore") == "skipped"
    steps = {s.name: s.result for s in run.steps("sign")}
    assert "SLSA provenance for every artifact" not in steps  # skipped: nothing was signed
    released = store / "release"
    names = sorted(p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file())
    assert "python.3.13.5.nupkg" not in " ".join(names)
    assert {
        "SHA256SUMS",
        "SHA256SUMS.asc",
        "release-manifest.json",
        "release-manifest.json.asc",
        "amd64/core.msi.asc",
    } <= set(names)
    assert not [n for n in names if n.endswith(".sigstore")]
    manifest = json.loads((released / "release-manifest.json").read_text())
    assert len(manifest["artifacts"]) == 4
    assert gpg_key.passphrase not in log + run.stderr
    assert gpg_key.armored.splitlines()[3] not in log + run.stderr


def test_require_without_oidc_fails_and_uploads_nothing(
    act_sign: ActHarness, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    run = act_sign.run(
        "sign.yml",
        "workflow_call",
        inputs={"version": "3.13.5", "gpg": "false", "sigstore": "require"},
        env={"ACT_STANDIN_ARTIFACTS": str(store)},
    )
    assert run.job_results == {"sign": "failure"}
    assert "--sigstore require: ambient credential detection failed" in run.text()
    assert not (store / "release").exists()
