from __future__ import annotations

import json
from pathlib import Path

import pytest

SHA = "0123456789abcdef0123456789abcdef01234567"


def plan(cli, *args: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    r = cli("plan", *args, "--commit", SHA)
    assert r.code == 0, r.err
    return json.loads(r.out)  # type: ignore[no-any-return]


def test_bugfix_314(cli) -> None:  # type: ignore[no-untyped-def]
    p = plan(cli, "3.14.1")
    assert p["jobs"] == {
        "docs": True,
        "windows": True,
        "macos": True,
        "android": True,
        "ios": False,
        "gpg": False,
    }
    assert [m["arch"] for m in p["windows_matrix"]] == ["win32", "amd64", "arm64"]
    assert p["phase"] == "bugfix"


def test_security_source_only_and_override(cli) -> None:  # type: ignore[no-untyped-def]
    p = plan(cli, "3.12.12")
    assert p["jobs"]["windows"] is False and p["jobs"]["gpg"] is True
    assert p["windows_matrix"] == []
    p = plan(cli, "3.12.12", "--binaries-for-security")
    assert p["jobs"]["windows"] is True and p["jobs"]["macos"] is True


def test_alpha_no_docs(cli) -> None:  # type: ignore[no-untyped-def]
    p = plan(cli, "3.16.0a2")
    assert p["jobs"]["docs"] is False and p["jobs"]["ios"] is True and p["branch"] == "main"


def test_github_format(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    r = cli("plan", "3.14.0rc2", "--commit", SHA, "--format", "github")
    assert r.code == 0
    lines = dict(ln.split("=", 1) for ln in out.read_text().splitlines())
    assert lines["docs"] == "true" and lines["ios"] == "false" and lines["tag"] == "v3.14.0rc2"
    assert len(json.loads(lines["windows-matrix"])["include"]) == 3


def test_github_format_outside_actions(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    r = cli("plan", "3.14.0rc2", "--commit", SHA, "--format", "github")
    assert r.code == 2 and "GITHUB_OUTPUT" in r.err


@pytest.mark.parametrize("commit", ["main", "v3.14.0", "ABCDEF" * 7, "a" * 39, ""])
def test_commit_must_be_full_sha(cli, commit: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("plan", "3.14.1", "--commit", commit)
    assert r.code == 2 and "40-character" in r.err


def test_help_everywhere(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ["--help"],
        ["plan", "--help"],
        ["manifest", "--help"],
        ["manifest", "merge", "--help"],
        ["inventory", "--help"],
    ):
        r = cli(*args)
        assert r.code == 0 and "usage:" in r.out


def test_usage_error_is_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("plan").code == 2
    assert cli("no-such-command").code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["3.14.1", "--mode", "rehearsal", "--publish-target", "python-org"],
            "rehearsal mode never publishes to python.org",
        ),
        (
            ["3.14.1.dev20261121", "--mode", "nightly", "--publish-target", "python-org"],
            "nightly mode never publishes to python.org",
        ),
        (["3.14.1", "--mode", "nightly"], "is a release version, but nightly mode"),
        (["3.14.1.dev20261121"], "is a nightly version, but this is not nightly mode"),
    ],
)
def test_modes_guard_python_org(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("plan", *args, "--commit", SHA)
    assert r.code == 2 and message in r.err, r.err


def test_nightly_plan(cli) -> None:  # type: ignore[no-untyped-def]
    p = plan(cli, "3.15.1.dev20261121", "--mode", "nightly", "--publish-target", "github")
    assert p["nightly"] is True and p["tag"] == "" and p["mode"] == "nightly"
    assert "3.15.1/Python-3.15.1.dev20261121.tar.xz" in p["artifacts"]


def test_github_outputs_for_nightly(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    r = cli(
        "plan",
        "3.15.0a3.dev20261121",
        "--commit",
        SHA,
        "--mode",
        "nightly",
        "--publish-target",
        "github",
        "--format",
        "github",
    )
    assert r.code == 0, r.err
    lines = dict(ln.split("=", 1) for ln in out.read_text().splitlines() if "=" in ln)
    assert lines["release-tag"] == "nightly-main-20261121-" + SHA[:12]
    assert lines["publish-github"] == "true" and lines["publish-python-org"] == "false"
    assert lines["xyz"] == "3.15.0"


def test_no_installers_for_a_linux_only_rehearsal_or_nightly(cli) -> None:  # type: ignore[no-untyped-def]
    p = plan(cli, "3.15.1.dev20261121", "--mode", "nightly", "--no-installers")
    assert p["jobs"]["windows"] is False and p["jobs"]["macos"] is False
    assert p["windows_matrix"] == []
    assert not [a for a in p["artifacts"] if a.endswith((".exe", ".pkg", ".nupkg")) or "embed" in a]
    assert p["jobs"]["android"] is True and p["jobs"]["docs"] is True  # the rest is kept
    p = plan(cli, "3.12.12", "--mode", "rehearsal", "--binaries-for-security", "--no-installers")
    assert p["jobs"]["windows"] is False and p["jobs"]["macos"] is False
    # a release builds what its phase has: the flag is refused, not ignored
    r = cli("plan", "3.14.1", "--commit", SHA, "--no-installers")
    assert r.code == 2 and "--no-installers" in r.err
