"""actionlint, zizmor and check-jsonschema over every workflow and action of the project."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted([*ROOT.glob("actions/*/action.yml"), *ROOT.glob("action.yml")])
TEMPLATES = sorted((ROOT / "workflows").glob("*.yml"))
PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_actionlint_clean() -> None:
    result = run(tool("actionlint"), "-no-color", *map(str, WORKFLOWS + TEMPLATES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_clean() -> None:
    targets = [str(p) for p in WORKFLOWS + TEMPLATES + ACTIONS]
    result = run(
        tool("zizmor"), "--offline", "--config", ".github/zizmor.yml", "--format", "plain", *targets
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr or re.search(
        r"\b0 findings\b|findings \(\d+ suppressed\): 0 informational, 0 low, 0 medium, 0 high",
        result.stdout + result.stderr,
    ), result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", WORKFLOWS + TEMPLATES),
        ("vendor.github-actions", ACTIONS),
    ],
)
def test_jsonschema(schema: str, files: list[Path]) -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def _uses(doc: object) -> list[str]:
    found: list[str] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "uses" and isinstance(v, str):
                found.append(v)
            else:
                found.extend(_uses(v))
    elif isinstance(doc, list):
        for v in doc:
            found.extend(_uses(v))
    return found


def test_remote_actions_pinned_by_sha_with_version_comment() -> None:
    for path in WORKFLOWS + TEMPLATES + ACTIONS:
        text = path.read_text(encoding="utf-8")
        for ref in _uses(yaml.safe_load(text)):
            if ref.startswith(("./", "$/", "docker://")):
                continue
            line = next(ln.strip() for ln in text.splitlines() if ref in ln)
            line = line.removeprefix("- ").removeprefix("uses:").strip()
            if (
                "/.github/workflows/" in ref
                and path.parent.name == "workflows"
                and path.parent.parent == ROOT
            ):
                # caller templates refer to this toolkit's reusable workflows by full SHA
                assert re.search(r"@[0-9a-f]{40}", ref), f"{path.name}: {ref}"
                continue
            assert PIN.match(line), f"{path.name}: not pinned by SHA with a version: {line}"


def test_top_level_permissions_empty() -> None:
    for path in WORKFLOWS + TEMPLATES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"


def test_no_expressions_inside_run() -> None:
    for path in WORKFLOWS + TEMPLATES + ACTIONS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        steps: list[dict[str, object]] = []
        for job in (data.get("jobs") or {}).values():
            steps.extend(job.get("steps") or [])
        steps.extend((data.get("runs") or {}).get("steps") or [])
        for step in steps:
            script = step.get("run")
            if isinstance(script, str):
                assert "${{" not in script, f"{path.name}: expression inside run: {script!r}"


def test_dependabot_config() -> None:
    result = run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in data["updates"]} == {"github-actions", "pip", "nuget"}


def _workflow_call(path: Path) -> dict[str, object] | None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    on = data.get(True) or data.get("on") or {}
    call = on.get("workflow_call") if isinstance(on, dict) else None
    return call if isinstance(call, dict) else ({} if call is not None else None)


def test_caller_templates_match_the_workflows_they_call() -> None:
    """actionlint cannot check a remote `uses:`; the templates call this repository's own
    reusable workflows, so check their inputs and secrets against the local files."""
    checked = 0
    for template in TEMPLATES:
        data = yaml.safe_load(template.read_text(encoding="utf-8"))
        for job_id, job in (data.get("jobs") or {}).items():
            uses = job.get("uses", "")
            m = re.fullmatch(r"[^/]+/[^/]+/\.github/workflows/([\w.-]+\.yml)@[0-9a-f]{40}", uses)
            if not m:
                continue
            target = ROOT / ".github" / "workflows" / m[1]
            call = _workflow_call(target)
            assert call is not None, f"{template.name}:{job_id}: {m[1]} has no workflow_call"
            inputs = call.get("inputs") or {}
            secrets = call.get("secrets") or {}
            assert isinstance(inputs, dict) and isinstance(secrets, dict)
            given = set((job.get("with") or {}).keys())
            assert given <= set(inputs), f"{template.name}: unknown inputs {given - set(inputs)}"
            required = {k for k, v in inputs.items() if isinstance(v, dict) and v.get("required")}
            assert required <= given, f"{template.name}: missing inputs {required - given}"
            passed = set((job.get("secrets") or {}).keys())
            assert passed <= set(secrets), (
                f"{template.name}: unknown secrets {passed - set(secrets)}"
            )
            # the toolkit commit is named exactly once: the caller passes no second copy of it
            sha = uses.rsplit("@", 1)[1]
            text = template.read_text(encoding="utf-8")
            assert re.fullmatch(r"[0-9a-f]{40}", sha) and text.count(sha) == 1, (
                f"{template.name}: the toolkit commit must appear exactly once"
            )
            assert not given & {"toolkit-ref", "toolkit-repository"}, template.name
            # GitHub refuses to start a called job asking for more than the caller job grants
            granted = job.get("permissions") or {}
            rank = {"none": 0, "read": 1, "write": 2}
            for called_id, called in (yaml.safe_load(target.read_text())["jobs"] or {}).items():
                for scope, level in (called.get("permissions") or {}).items():
                    assert rank[granted.get(scope, "none")] >= rank[level], (
                        f"{template.name}: {m[1]} job {called_id} needs {scope}: {level}"
                    )
            checked += 1
    assert checked == 4  # release, nightly, prepare, finish


def test_zizmor_whole_repository() -> None:
    """As CI tooling would run it: also dependabot.yml and the act stand-in actions."""
    result = run(
        tool("zizmor"), "--offline", "--config", ".github/zizmor.yml", "--format", "plain", "."
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr, result.stdout
