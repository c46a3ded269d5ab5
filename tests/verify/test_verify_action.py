"""The top-level composite action (action.yml): its verify step's shell, run for real.

The install step (actions/setup/install.py: this directory with its locked dependencies) is
replaced by the test environment's ``cpython-release``; the step's script then runs exactly as
the runner would, with the action's env (unset optional inputs arrive as empty strings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from verify.verify_support import Release

ROOT = Path(__file__).resolve().parents[2]


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return data


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s["name"] == name)


def test_action_documents_inputs_and_outputs() -> None:
    action = _action()
    assert set(action["outputs"]) == {"result", "report"}
    assert {
        "version",
        "source",
        "repository",
        "toolkit-repository",
        "allowed-refs",
        "legacy",
        "keyring",
    } <= set(action["inputs"])
    # nothing turns "not verified" into success, and the example verifies the pipeline's way
    assert "allow-needs-online" not in action["inputs"] and "online" in action["inputs"]
    example = [
        line
        for line in (ROOT / "action.yml").read_text().splitlines()
        if line.startswith("#       ")
    ]
    assert example and not any("legacy" in line or "allow" in line for line in example)
    install = _step("Install the toolkit")
    assert install["run"] == '"$PYTHON" "$GITHUB_ACTION_PATH/actions/setup/install.py"'
    assert install["env"]["PUT_ON_PATH"] == "false"  # the caller's PATH is left alone
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), "inputs reach run: only through env:"


def _run_verify_step(
    tmp_path: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    outputs = tmp_path / "github_output"
    outputs.touch()
    defaults = {k: str(v.get("default", "")) for k, v in _action()["inputs"].items()}
    step = _step("Verify")
    names = {
        "VERSION": "version",
        "SOURCE": "source",
        "REPOSITORY": "repository",
        "TOOLKIT_REPOSITORY": "toolkit-repository",
        "ALLOWED_REFS": "allowed-refs",
        "SIGNING_WORKFLOW": "signing-workflow",
        "KEYRING": "keyring",
        "MANIFEST": "manifest",
        "ONLY": "only",
    }
    assert set(step["env"]) == {*names, "FLAGS", "CPYTHON_RELEASE"}
    step_env = (
        {var: defaults[inp] for var, inp in names.items()}
        | {"FLAGS": "", "CPYTHON_RELEASE": str(Path(sys.executable).parent / "cpython-release")}
        | env
    )
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env={
            **os.environ,
            **step_env,
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return proc, found


def test_action_verify_step_with_unset_optional_inputs(tmp_path: Path, release: Release) -> None:
    """The production verifier refuses the tests' local-CA bundles: invalid, exit 1, outputs."""
    proc, outputs = _run_verify_step(
        tmp_path, {"VERSION": "3.13.5", "SOURCE": str(release.directory)}
    )
    assert proc.returncode == 1, proc.stderr
    assert outputs["result"] == "invalid"
    report = Path(outputs["report"])
    assert report.name == "cpython-release-verify-report.json" and report.is_file()
    assert "malformed bundle: no transparency-log entry" in proc.stdout


def test_action_verify_step_bad_input(tmp_path: Path, release: Release) -> None:
    proc, outputs = _run_verify_step(tmp_path, {"VERSION": "3.13", "SOURCE": "."})
    assert proc.returncode == 2
    assert "not a CPython release version" in proc.stderr
    assert outputs == {}


def test_action_only_input_names_files_separated_by_spaces(
    tmp_path: Path, release: Release
) -> None:
    proc, outputs = _run_verify_step(
        tmp_path,
        {
            "VERSION": "3.13.5",
            "SOURCE": str(release.directory),
            "ONLY": "Python-3.13.5.tgz Python-3.13.5.tar.xz",
        },
    )
    # the production verifier refuses the local-CA bundles (exit 1), but both names were
    # found in the manifest and checked: a name it lacked would have stopped at the manifest
    assert proc.returncode == 1, proc.stderr
    report = json.loads(Path(outputs["report"]).read_text())
    assert [f["name"] for f in report["files"]] == [
        "release-manifest.json",
        "Python-3.13.5.tgz",
        "Python-3.13.5.tar.xz",
    ]


@pytest.mark.parametrize(
    "inputs",
    [
        {"VERSION": "--help"},
        {"VERSION": "--version"},
        {"SOURCE": "--help"},
        {"ONLY": "--help"},
        {"KEYRING": "-h"},
        {"MANIFEST": "--format=json"},
    ],
)
def test_an_input_that_looks_like_an_option_never_passes(
    tmp_path: Path, release: Release, inputs: dict[str, str]
) -> None:
    """``version: --help`` used to print the usage and pass the step, verifying nothing."""
    proc, outputs = _run_verify_step(
        tmp_path, {"VERSION": "3.13.5", "SOURCE": str(release.directory), **inputs}
    )
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    assert "usage:" not in proc.stdout
    assert outputs.get("result") in (None, "invalid")
    assert "Traceback" not in proc.stderr


def test_the_verify_step_passes_positionals_after_a_double_dash() -> None:
    run = _step("Verify")["run"]
    assert run.rstrip().endswith('-- "$VERSION" "$SOURCE"')
    assert '" "$' not in run.replace('-- "$VERSION" "$SOURCE"', "")  # options use --opt=VALUE
