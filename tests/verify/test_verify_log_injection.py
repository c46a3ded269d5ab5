"""An unsigned, hostile manifest cannot inject workflow commands into the Actions log or
Markdown/HTML into the step summary (issue 13 review item 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.inventory import Gates, inventory
from cpython_release.manifest import schema
from cpython_release.output import inert, markdown_inert
from cpython_release.verify.report import Check, Row, VerifyReport
from cpython_release.version import ReleaseVersion
from verify.verify_support import Release

HOSTILE = "x\n::error title=pwned::injected\r\n::stop-commands::tok\n##[warning]old"


def _no_foreign_command(text: str) -> None:
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("::"):  # only the toolkit's own, escaped annotations
            assert stripped.startswith("::error title=cpython-release verify::"), line
            assert "pwned" not in stripped.split("::", 2)[1], line
        assert "##[" not in line, line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("::error::x", "\\x3a:error::x"),
        ("  ::stop-commands::t", "  \\x3a:stop-commands::t"),
        ("a\n::e", "a\\x0a::e"),
        ("a\r\x1b[31m\u2028b", "a\\x0d\\x1b[31m\\u2028b"),
        ("x ##[error] y", "x #\\x23[error] y"),
        ("Python-3.13.5.tgz", "Python-3.13.5.tgz"),
    ],
)
def test_inert(text: str, expected: str) -> None:
    assert inert(text) == expected


def test_markdown_inert_escapes_html_and_markdown() -> None:
    out = markdown_inert("<img src=x onerror=y>[link](http://e) *b* `c`")
    assert "<" not in out and "&lt;img" in out
    assert "\\[link\\]\\(http://e\\)" in out and "\\*b\\*" in out and "\\`c\\`" in out


def test_table_and_summary_neutralise_every_manifest_field() -> None:
    report = VerifyReport("3.13.5", "dir", "manifest", "policy")
    report.rows.append(Row("::error::name", HOSTILE, checks={"integrity": Check("ok")}))
    report.problems.append(f"bad kind {HOSTILE!s}")
    report.warnings.append("<script>alert(1)</script>")
    table = report.render_table()
    _no_foreign_command(table)
    assert "\\x3a:error::name" in table
    md = report.render_markdown()
    _no_foreign_command(md)
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_the_schema_knows_exactly_the_kinds_the_pipeline_produces() -> None:
    everything = Gates(True, True, True, True, True, True, True)
    kinds = {
        f.kind for v in ("3.13.5", "3.15.0") for f in inventory(ReleaseVersion.parse(v), everything)
    }
    kinds |= {"msi", "cab"}  # the Windows MSI parts, platforms.fragment.msi_part
    artifact = schema()["$defs"]["artifact"]["properties"]["kind"]
    assert set(artifact["enum"]) == kinds


@pytest.mark.usefixtures("cli_trusts_local_ca")
def test_a_hostile_kind_in_actions_injects_nothing(
    cli: Callable[..., Any],
    release: Release,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    data = json.loads(release.manifest_path.read_text())
    data["artifacts"][0]["kind"] = HOSTILE + "<img src=x onerror=alert(1)>"
    release.manifest_path.write_text(json.dumps(data))
    res = cli("verify", "3.13.5", str(release.directory))
    assert res.code == 1, res.out + res.err
    _no_foreign_command(res.out)
    _no_foreign_command(res.err)
    md = summary.read_text()
    _no_foreign_command(md)
    assert "<img" not in md
