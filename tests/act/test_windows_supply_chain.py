"""What the Windows signing job installs and runs (issue 12 review items).

- The dotnet ``sign`` tool is pinned: one exact version in ``.config/dotnet-tools.json``,
  installed from nuget.org only, with its repository signature required (``nuget.config``).
- The job holding the AZURE_* secrets restores no cache (a cache is writable by other
  workflows of the repository).
- The toolkit's own interpreter is pinned to a full version; no Windows step needs bash.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD_WINDOWS = ROOT / ".github" / "workflows" / "build-windows.yml"
# nuget.org's repository certificates, as NuGet's trusted-signers documentation lists them
NUGET_ORG = {
    "0E5F38F57DC1BCC806D8494F4F90FBCEDD988B46760709CBEEC6F4219AA6157D",
    "5A2901D6ADA3D18260B9C6DFE2133C95D74B9EEF6AE0E5DC334C8454D1477DF4",
    "1F4B311D9ACC115C8DC8018B5A49E00FCE6DA8E2855F9F014CA6F34570BC482D",
}
EXACT = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?")


def _jobs() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(BUILD_WINDOWS.read_text(encoding="utf-8"))
    return data["jobs"]  # type: ignore[no-any-return]


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    tools = manifest.get("tools") or {}
    problems = []
    if manifest.get("isRoot") is not True:
        problems.append("the manifest is not a root manifest")
    if set(tools) != {"sign"}:
        problems.append(f"tools {sorted(tools)}: only sign is expected")
    sign = tools.get("sign") or {}
    if not EXACT.fullmatch(str(sign.get("version", ""))):
        problems.append(f"sign {sign.get('version')!r} is not one exact version")
    if sign.get("rollForward") is not False:
        problems.append("sign may roll forward")
    return problems


def nuget_config_problems(text: str) -> list[str]:
    root = ET.fromstring(text)  # noqa: S314 - the repository's own file
    problems = []
    sources = root.find("packageSources")
    if sources is None or sources[0].tag != "clear":
        problems.append("packageSources does not start with <clear/>")
    else:
        urls = [e.get("value") for e in sources if e.tag == "add"]
        if urls != ["https://api.nuget.org/v3/index.json"]:
            problems.append(f"sources {urls}: nuget.org only")
    mode = root.find("config/add[@key='signatureValidationMode']")
    if mode is None or mode.get("value") != "require":
        problems.append("signatures are not required")
    repo = root.find("trustedSigners/repository[@name='nuget.org']")
    if repo is None:
        problems.append("nuget.org's repository signature is not trusted")
    else:
        prints = {c.get("fingerprint") for c in repo.findall("certificate")}
        if not prints or not prints <= NUGET_ORG:
            problems.append(f"unknown repository certificates {sorted(map(str, prints))}")
        if any(c.get("allowUntrustedRoot") != "false" for c in repo.findall("certificate")):
            problems.append("an untrusted root is allowed")
        owners = (repo.findtext("owners") or "").split(";")
        if not [o for o in owners if o.strip()]:
            problems.append("no owners: any nuget.org package would do")
    if root.find("trustedSigners/author[@name]") is not None:
        problems.append("an author is trusted beyond nuget.org's owners")
    return problems


def test_the_sign_tool_is_pinned_and_its_signature_required() -> None:
    manifest = json.loads((ROOT / ".config" / "dotnet-tools.json").read_text(encoding="utf-8"))
    assert manifest_problems(manifest) == []
    assert nuget_config_problems((ROOT / "nuget.config").read_text(encoding="utf-8")) == []


def test_a_loose_pin_or_source_is_found() -> None:
    manifest = json.loads((ROOT / ".config" / "dotnet-tools.json").read_text(encoding="utf-8"))
    loose = json.loads(json.dumps(manifest))
    loose["tools"]["sign"]["version"] = "0.9.*"
    loose["tools"]["sign"]["rollForward"] = True
    assert len(manifest_problems(loose)) == 2
    config = (ROOT / "nuget.config").read_text(encoding="utf-8")
    assert nuget_config_problems(config.replace('value="require"', 'value="accept"'))
    assert nuget_config_problems(
        config.replace('<clear />\n    <add key="nuget.org"', '<add key="nuget.org"')
    )
    other = config.replace(
        "0E5F38F57DC1BCC806D8494F4F90FBCEDD988B46760709CBEEC6F4219AA6157D", "AB" * 32
    )
    assert nuget_config_problems(other)
    assert nuget_config_problems(re.sub(r"<owners>.*</owners>", "<owners></owners>", config))


def test_the_signing_job_installs_the_pinned_tool_before_signing() -> None:
    steps = _jobs()["package"]["steps"]
    names = [s.get("name") for s in steps]
    install = steps[names.index("Install the pinned sign tool")]
    assert names.index("Install the pinned sign tool") < names.index("Sign binaries")
    assert install["shell"] == "pwsh"
    assert install["env"]["TOOLKIT"] == "${{ steps.toolkit.outputs.root }}"
    run = install["run"]
    assert ".config/dotnet-tools.json" in run and "$tools.tools.sign.version" in run
    assert '--configfile "$env:TOOLKIT/nuget.config"' in run and "--version $version" in run
    assert "$env:GITHUB_PATH" in run
    assert steps[names.index("Install the toolkit")]["id"] == "toolkit"


def test_the_signing_job_restores_no_cache() -> None:
    jobs = _jobs()
    assert not [s for s in jobs["package"]["steps"] if "actions/cache" in str(s.get("uses"))]
    # Tcl/Tk for the layouts comes from this run's own build job instead
    upload = [s for s in jobs["build"]["steps"] if s.get("name") == "Upload the unsigned build"]
    assert "cpython/externals/tcltk-*/" in upload[0]["with"]["path"]


def test_the_toolkit_python_is_pinned_to_a_full_version() -> None:
    for action in ("action.yml", "actions/setup/action.yml"):
        data = yaml.safe_load((ROOT / action).read_text(encoding="utf-8"))
        default = data["inputs"]["python-version"]["default"]
        assert re.fullmatch(r"3\.\d+\.\d+", default), (action, default)


def test_the_setup_action_needs_no_bash_on_windows() -> None:
    data = yaml.safe_load((ROOT / "actions/setup/action.yml").read_text(encoding="utf-8"))
    steps = [s for s in data["runs"]["steps"] if "run" in s]
    on_windows = [s for s in steps if s.get("if") == "runner.os == 'Windows'"]
    elsewhere = [s for s in steps if s.get("if") == "runner.os != 'Windows'"]
    assert len(on_windows) == 1 and len(elsewhere) == 1 and len(steps) == 2
    assert on_windows[0]["shell"] == "pwsh" and "install.py" in on_windows[0]["run"]
    for key in ("version", "source-hash", "executable", "root"):
        value = data["outputs"][key]["value"]
        assert f"steps.install.outputs.{key}" in value
        assert f"steps.install-windows.outputs.{key}" in value


def test_windows_arm64_runs_the_toolkit_on_x64_python() -> None:
    # `pip download --platform win_arm64 --require-hashes -r requirements/toolkit.txt` finds
    # no rfc3161-client wheel; win_amd64 has every one (x64 Python is emulated on arm64)
    data = yaml.safe_load((ROOT / "actions/setup/action.yml").read_text(encoding="utf-8"))
    [python] = [s for s in data["runs"]["steps"] if s.get("id") == "python"]
    assert python["with"]["architecture"] == (
        "${{ runner.os == 'Windows' && runner.arch == 'ARM64' && 'x64' || '' }}"
    )
