"""--format on every command that reports something, and what each format prints."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.cli import build_parser, command_paths
from tablecheck import assert_table

Cli = Callable[..., Any]
REPORTING = [
    ("verify",),
    ("sign",),
    ("plan",),
    ("inventory",),
    ("rehearse",),
    ("blockers",),
    ("publish",),
    ("version",),
    ("build-source",),
    ("manifest", "show"),
    ("manifest", "check"),
]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def format_choices(path: tuple[str, ...]) -> list[str]:
    parser = build_parser()
    for word in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    action = next((a for a in parser._actions if "--format" in a.option_strings), None)
    return list(action.choices or []) if action else []


@pytest.mark.parametrize("path", REPORTING, ids=" ".join)
def test_every_reporting_command_takes_format_text_and_json(path: tuple[str, ...]) -> None:
    assert path in command_paths(build_parser())
    assert {"text", "json"} <= set(format_choices(path))


@pytest.mark.parametrize(
    ("argv", "text_has"),
    [
        (["version", "3.14.1"], "tag: v3.14.1"),
        (["inventory", "3.14.1"], "Python-3.14.1.tgz"),
        (["plan", "3.14.1", "--commit", COMMIT], "runs:    docs, windows, macos, android"),
    ],
)
def test_text_and_json_say_the_same(cli: Cli, argv: list[str], text_has: str) -> None:
    as_json = cli(*argv, "--format", "json")
    assert as_json.code == 0, as_json.err
    json.loads(as_json.out)
    as_text = cli(*argv, "--format", "text")
    assert as_text.code == 0 and text_has in as_text.out
    with pytest.raises(json.JSONDecodeError):
        json.loads(as_text.out)


def test_manifest_show_and_check_formats(cli: Cli, tmp_path: Path) -> None:
    exe = tmp_path / "python-3.14.1-amd64.exe"
    exe.write_bytes(b"MZ installer")
    frag = tmp_path / "fragment.json"
    made = cli(
        "manifest", "fragment", "3.14.1", str(exe), "--commit", COMMIT, "--repository",
        "python/cpython", "--created", "1755000000", "--producer", "windows", "-o", str(frag),
    )  # fmt: skip
    assert made.code == 0, made.err
    shown = cli("manifest", "show", str(frag), "--format", "json")
    assert json.loads(shown.out)["artifacts"][0]["name"] == exe.name
    checked = cli("manifest", "check", str(frag), "--dir", str(tmp_path), "--format", "json")
    result = json.loads(checked.out)
    assert checked.code == 0 and result["ok"] and result["checked"] == 1
    exe.write_bytes(b"MZ changed")
    checked = cli("manifest", "check", str(frag), "--dir", str(tmp_path), "--format", "json")
    assert checked.code == 1 and json.loads(checked.out)["ok"] is False
    assert "ok:" not in checked.out


def test_format_github_is_refused_up_front_outside_actions(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    res = cli("plan", "3.14.1", "--commit", COMMIT, "--format", "github")
    assert res.code == 2 and "--format github needs $GITHUB_OUTPUT" in res.err and res.out == ""


def test_inventory_text_is_a_table_with_headers(cli: Cli) -> None:
    files = json.loads(cli("inventory", "3.14.1", "--format", "json").out)
    text = cli("inventory", "3.14.1", "--format", "text")
    assert text.code == 0, text.err
    rows = assert_table(text.out.splitlines(), ("file", "kind", "platform", "arch", "job"))
    assert rows == [
        [f["name"], f["kind"], f["platform"], f["arch"] or "-", f["job"]] for f in files
    ]


def test_manifest_show_text_is_a_table_with_headers(cli: Cli, tmp_path: Path) -> None:
    names = ["python-3.14.1-amd64.exe", "python-3.14.1-arm64.exe"]
    for n, size in zip(names, (12, 123456), strict=True):
        (tmp_path / n).write_bytes(b"M" * size)
    frag = tmp_path / "fragment.json"
    made = cli(
        "manifest", "fragment", "3.14.1", *(str(tmp_path / n) for n in names), "--commit",
        COMMIT, "--repository", "python/cpython", "--created", "1755000000", "--producer",
        "windows", "-o", str(frag),
    )  # fmt: skip
    assert made.code == 0, made.err
    shown = cli("manifest", "show", str(frag), "--format", "text")
    assert shown.code == 0, shown.err
    head, *table = shown.out.splitlines()
    assert head.startswith(f"Python 3.14.1 (v3.14.1 = {COMMIT}) from python/cpython")
    headers = ("file", "platform", "arch", "size", "sha256 (start)", "signatures", "sbom")
    rows = assert_table(table, headers, right={3})
    assert [(r[0], r[3]) for r in rows] == [(names[0], "12"), (names[1], "123456")]
