"""``cpython-release prepare VERSION --repo PATH [--push]`` on the demo repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.errors import CheckFailed
from cpython_release.prepare.tagging import verify_tag
from cpython_release.rehearsal.ephemeral_gpg import EphemeralKey, generate
from prepare.prepare_helpers import git, state

Cli = Callable[..., Any]
OFFLINE = ("--skip-blockers", "--no-dispatch")  # no release.yml dispatch after a push


def at_tag(repo: Path, path: str, tag: str = "v3.13.6") -> str:
    return git(repo, "show", f"{tag}:{path}")


def test_prepare_makes_one_commit_and_an_annotated_tag(demo: Path, cli: Cli) -> None:
    head = git(demo, "rev-parse", "HEAD")
    entries = git(demo, "ls-files", "Misc/NEWS.d/next").splitlines()
    assert len(entries) == 7
    past_tag_entry = demo / entries[[e.endswith("PastTg.rst") for e in entries].index(True)]
    wording = past_tag_entry.read_text().strip()

    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--format", "json")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["tag"] == "v3.13.6" and report["signed_by"] is None
    assert report["previous_py_version"] == "3.13.5+"
    # one commit on the branch, the tag an annotated tag object pointing at it
    assert git(demo, "rev-parse", "HEAD~1") == head
    assert git(demo, "rev-parse", "3.13") == report["commit"]
    assert git(demo, "cat-file", "-t", "v3.13.6") == "tag"
    assert git(demo, "rev-parse", "v3.13.6^{commit}") == report["commit"]
    assert git(demo, "log", "-1", "--format=%s", "v3.13.6") == "Python 3.13.6"
    # patchlevel, README, NEWS
    patchlevel = at_tag(demo, "Include/patchlevel.h")
    assert '"3.13.6"' in patchlevel and "PY_RELEASE_LEVEL_FINAL" in patchlevel
    assert "#define PY_MICRO_VERSION        6" in patchlevel
    assert at_tag(demo, "README.rst").startswith("This is Python version 3.13.6\n====")
    news = at_tag(demo, "Misc/NEWS.d/3.13.6.rst")
    assert wording in news and news.count(".. section:") == 7
    assert git(demo, "ls-tree", "-r", "--name-only", "v3.13.6", "Misc/NEWS.d/next") == ""
    assert git(demo, "status", "--porcelain") == ""
    # nothing pushed: the clone's origin has no such tag
    assert git(demo, "ls-remote", "--tags", "origin", "v3.13.6") == ""
    # the notices say what was not done
    steps = "\n".join(report["steps"])
    assert "release blockers: NOT CHECKED" in steps
    assert "configure: SKIPPED" in steps or "configure: regenerated" in steps


def test_build_source_accepts_the_prepared_tag(demo: Path, cli: Cli, tmp_path: Path) -> None:
    assert cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE).code == 0
    commit = git(demo, "rev-parse", "v3.13.6^{commit}")
    r = cli(
        "build-source", "3.13.6", "--repo", str(demo), "--commit", commit,
        "--out", str(tmp_path / "dist"),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert (tmp_path / "dist" / "Python-3.13.6.tgz").is_file()


def test_the_tag_is_signed_with_the_secret_key_and_verifies(
    demo: Path, cli: Cli, signing: EphemeralKey, tmp_path: Path
) -> None:
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["signed_by"] == signing.fingerprint
    assert "PRIVATE KEY" not in r.out + r.err
    assert verify_tag(demo, "v3.13.6", signing.public_keyring.read_text()) == signing.fingerprint
    # another key does not verify it, and neither does a tampered tag
    other = generate(tmp_path)
    with pytest.raises(CheckFailed, match="no good signature") as err:
        verify_tag(demo, "v3.13.6", other.public_keyring.read_text())
    assert "signed by an unknown key" in str(err.value) and "unsigned" not in str(err.value)
    raw = git(demo, "cat-file", "tag", "v3.13.6").replace("Python 3.13.6", "Python 3.13.7", 1)
    forged = subprocess.run(
        ["git", "-C", str(demo), "mktag"], input=raw + "\n", capture_output=True, text=True
    ).stdout.strip()
    git(demo, "tag", "-f", "forged", forged)
    with pytest.raises(CheckFailed):
        verify_tag(demo, "forged", signing.public_keyring.read_text())


def test_versionadded_next_becomes_the_release(demo: Path, cli: Cli) -> None:
    doc = demo / "Doc" / "library" / "demo.rst"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("demo\n====\n\n.. versionadded:: next\n\n.. deprecated-removed:: next 3.16\n")
    git(demo, "add", "Doc/library/demo.rst")
    git(demo, "commit", "-qm", "gh-1: document the demo")
    assert cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE).code == 0
    assert at_tag(demo, "Doc/library/demo.rst").endswith(
        ".. versionadded:: 3.13.6\n\n.. deprecated-removed:: 3.13.6 3.16"
    )


@pytest.mark.parametrize(
    ("setup", "version", "message"),
    [
        (None, "3.13.7", "not the next release of this branch.*3.13.6"),
        (None, "3.14.0a1", "released from branch main"),
        ("dirty", "3.13.6", "not clean.*Include/patchlevel.h"),
        ("untracked", "3.13.6", "not clean.*notes.txt"),
        ("no-news", "3.13.6", "Misc/NEWS.d/next has no entries"),
        ("tagged", "3.13.6", "tag v3.13.6 already exists"),
        ("main", "3.13.6", "released from branch 3.13, but .* has main checked out"),
        ("detached", "3.13.6", "detached HEAD"),
    ],
)
def test_bad_input_exits_2_names_it_and_changes_nothing(
    demo: Path, cli: Cli, setup: str | None, version: str, message: str
) -> None:
    if setup == "dirty":
        with (demo / "Include/patchlevel.h").open("a") as fh:
            fh.write("/* local edit */\n")
    elif setup == "untracked":
        (demo / "notes.txt").write_text("scratch\n")
    elif setup == "no-news":
        git(demo, "rm", "-q", "-r", "Misc/NEWS.d/next")
        git(demo, "commit", "-qm", "no news")
    elif setup == "tagged":
        git(demo, "tag", "v3.13.6")
    elif setup == "main":
        git(demo, "checkout", "-q", "-B", "main", "3.13")
    elif setup == "detached":
        git(demo, "checkout", "-q", "--detach")
    before = state(demo) if setup != "detached" else git(demo, "rev-parse", "HEAD")
    r = cli("prepare", version, "--repo", str(demo), *OFFLINE)
    assert r.code == 2, (r.out, r.err)
    assert re.search(message, r.err), r.err
    assert "Traceback" not in r.err
    after = state(demo) if setup != "detached" else git(demo, "rev-parse", "HEAD")
    assert after == before


def test_a_failing_step_puts_the_clone_back(demo: Path, cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "blurb"
    broken.write_text("#!/bin/sh\necho 'blurb: broken on purpose' >&2\nexit 3\n")
    broken.chmod(0o755)
    before = state(demo)
    env = {**os.environ, "CPYTHON_RELEASE_BLURB": str(broken)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", env)
        r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE)
    assert r.code == 1 and "blurb release 3.13.6 failed (exit 3)" in r.err
    assert "broken on purpose" in r.err
    assert state(demo) == before


def test_a_changed_magic_number_stops_a_bugfix_release(demo: Path, cli: Cli) -> None:
    path = demo / "Lib/importlib/_bootstrap_external.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("MAGIC_NUMBER = (3571).to_bytes(2, 'little') + b'\\r\\n'\n")
    git(demo, "add", "Lib/importlib")
    git(demo, "commit", "-qm", "bump the magic number")
    before = state(demo)
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE)
    assert r.code == 1, r.err
    assert "magic number changed since v3.13.5" in r.err and "(3571)" in r.err
    assert state(demo) == before


def test_the_magic_number_is_compared_with_the_previous_tag(demo: Path, cli: Cli) -> None:
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--format", "json")
    # the demo has no magic number at all: said, not claimed
    assert any("magic number: NOT CHECKED" in s for s in json.loads(r.out)["steps"])


def test_open_blockers_stop_it_and_an_unreachable_api_is_a_notice(
    demo: Path, cli: Cli, tmp_path: Path
) -> None:
    report = tmp_path / "blockers.json"
    report.write_text(json.dumps({"version": "3.13.6", "problems": ["#1 crash [3.13]"]}))
    before = state(demo)
    r = cli("prepare", "3.13.6", "--repo", str(demo), "--blockers-report", str(report))
    assert r.code == 1 and "1 open release blocker(s)" in r.err and "#1 crash" in r.err
    assert state(demo) == before
    report.write_text(json.dumps({"version": "3.13.5", "problems": []}))
    r = cli("prepare", "3.13.6", "--repo", str(demo), "--blockers-report", str(report))
    assert r.code == 2 and "not for 3.13.6" in r.err
    # a closed port: the blockers cannot be read, which is said, and the release goes on
    r = cli(
        "prepare", "3.13.6", "--repo", str(demo), "--github-api", "http://127.0.0.1:9",
        "--format", "json",
    )  # fmt: skip
    assert r.code == 0, r.err
    steps = json.loads(r.out)["steps"]
    assert any(
        s.startswith("release blockers: NOT CHECKED, the data could not be read") for s in steps
    )


def test_push_sends_only_the_signed_tag(
    demo: Path, cli: Cli, tmp_path: Path, rm_key: EphemeralKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(demo), str(remote)], check=True)
    git(demo, "remote", "set-url", "origin", str(remote))
    monkeypatch.delenv("GPG_PRIVATE_KEY", raising=False)
    before = state(demo)
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--push", "--no-dispatch")
    assert r.code == 2 and "must be signed" in r.err
    assert state(demo) == before
    monkeypatch.setenv("GPG_PRIVATE_KEY", rm_key.armored_secret)
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--push", "--no-dispatch")
    assert r.code == 0, r.err
    assert git(remote, "rev-parse", "v3.13.6") == git(demo, "rev-parse", "v3.13.6")
    # the branch itself is not pushed (it goes back through finish's pull request)
    assert git(remote, "rev-parse", "3.13") == before[0]
    assert verify_tag(remote, "v3.13.6", rm_key.public_keyring.read_text())


def _bare_origin(demo: Path, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(demo), str(remote)], check=True)
    git(demo, "remote", "set-url", "origin", str(remote))
    git(demo, "fetch", "-q", "origin")
    return remote


def test_a_tag_only_on_the_remote_is_bad_input_before_any_edit(
    demo: Path, cli: Cli, tmp_path: Path, signing: EphemeralKey
) -> None:
    remote = _bare_origin(demo, tmp_path)
    git(remote, "tag", "v3.13.6", "HEAD")  # someone pushed the tag already
    before = state(demo)
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--push")
    assert r.code == 2 and "tag v3.13.6 already exists on origin" in r.err, r.err
    assert state(demo) == before


def test_a_push_failure_after_tagging_is_exit_1_saying_how_to_finish(
    demo: Path, cli: Cli, tmp_path: Path, signing: EphemeralKey
) -> None:
    remote = _bare_origin(demo, tmp_path)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho refused by policy >&2\nexit 1\n")
    hook.chmod(0o755)
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--push")
    assert r.code == 1, (r.code, r.err)
    assert "pushing v3.13.6 to origin failed" in r.err and "push origin refs/tags/v3.13.6" in r.err
    assert "Traceback" not in r.err
    assert git(demo, "rev-parse", "v3.13.6^{commit}") == git(demo, "rev-parse", "HEAD")


def test_a_branch_behind_its_remote_is_bad_input(
    demo: Path, cli: Cli, tmp_path: Path, signing: EphemeralKey
) -> None:
    remote = _bare_origin(demo, tmp_path)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", "-b", "3.13", str(remote), str(other)], check=True)
    (other / "fix.txt").write_text("a fix on the remote\n")
    git(other, "add", "fix.txt")
    git(other, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "remote fix")
    git(other, "push", "-q", "origin", "3.13")
    before = state(demo)
    for push in ((), ("--push",)):  # --push reads the remote; without, after a fetch
        if not push:
            git(demo, "fetch", "-q", "origin")
            before = state(demo)
        r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, *push)
        assert r.code == 2 and "is behind" in r.err, (push, r.err)
        assert state(demo) == before


def test_unpushed_commits_refuse_push_and_are_a_notice_without(
    demo: Path, cli: Cli, tmp_path: Path, signing: EphemeralKey
) -> None:
    remote = _bare_origin(demo, tmp_path)
    (demo / "local.txt").write_text("not pushed\n")
    git(demo, "add", "local.txt")
    git(demo, "commit", "-qm", "local only")
    before = state(demo)
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--push")
    assert r.code == 2 and "1 commit(s) not on origin/3.13" in r.err, r.err
    assert state(demo) == before and "v3.13.6" not in git(remote, "tag")
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--format", "json")
    assert r.code == 0, r.err
    assert any("1 commit(s) ahead of origin/3.13" in s for s in json.loads(r.out)["steps"])


def test_no_remote_tracking_branch_is_a_notice(demo: Path, cli: Cli) -> None:
    git(demo, "branch", "--unset-upstream")
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--format", "json")
    assert r.code == 0, r.err
    assert any("no remote-tracking branch" in s for s in json.loads(r.out)["steps"])


def test_unknown_phase_still_freezes_the_magic_number_of_a_bugfix_release(demo: Path) -> None:
    from cpython_release.prepare.checks import check_magic_number
    from cpython_release.version import ReleaseVersion

    path = demo / "Lib/importlib/_bootstrap_external.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("MAGIC_NUMBER = (3571).to_bytes(2, 'little') + b'\\r\\n'\n")
    git(demo, "add", "Lib/importlib")
    git(demo, "commit", "-qm", "bump the magic number")
    with pytest.raises(CheckFailed, match=r"magic number changed since v3\.13\.5"):
        check_magic_number(demo, ReleaseVersion.parse("3.13.6"), None)
    line = check_magic_number(demo, ReleaseVersion.parse("3.13.0a2"), None)
    assert line.startswith("magic number: NOT CHECKED, the release phase is unknown")


def test_prepare_reads_the_live_cycle_data_and_says_when_it_falls_back(
    demo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cpython_release import phase

    monkeypatch.delenv("CPYTHON_RELEASE_CYCLE", raising=False)
    monkeypatch.setattr(phase, "RELEASE_CYCLE_URL", "http://127.0.0.1:9/release-cycle.json")
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE, "--format", "json")
    assert r.code == 0, r.err
    (line,) = [s for s in json.loads(r.out)["steps"] if s.startswith("phase:")]
    assert "NOTICE" in line and "could not be read" in line and "bundled snapshot" in line


def test_a_blurb_traceback_is_cut_to_its_message(demo: Path, cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "blurb"
    broken.write_text(
        "#!/bin/sh\ncat >&2 <<'EOF'\nTraceback (most recent call last):\n"
        '  File "/x/blurb.py", line 9, in <module>\n    secret_frame_line()\n'
        "RuntimeError: no NEWS entries\nEOF\nexit 1\n"
    )
    broken.chmod(0o755)
    env = {**os.environ, "CPYTHON_RELEASE_BLURB": str(broken)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", env)
        r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE)
    assert r.code == 1 and "RuntimeError: no NEWS entries" in r.err
    assert "Traceback" not in r.err and "secret_frame_line" not in r.err and "File " not in r.err


@pytest.mark.parametrize("text", [" 3.13.6", "3.13.6\n", "v3.13.6", "3.13.6 "])
def test_a_version_not_given_exactly_is_bad_input(demo: Path, cli: Cli, text: str) -> None:
    before = state(demo)
    for command in ("prepare", "finish"):
        r = cli(command, text, "--repo", str(demo), *((OFFLINE) if command == "prepare" else ()))
        assert r.code == 2 and "give it exactly" in r.err, (command, r.err)
    assert state(demo) == before


@pytest.mark.parametrize("path", ["README.rst", "Include/patchlevel.h"])
def test_a_symlinked_file_it_edits_is_refused(
    demo: Path, cli: Cli, tmp_path: Path, path: str
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes((demo / path).read_bytes())
    (demo / path).unlink()
    (demo / path).symlink_to(outside)
    git(demo, "add", path)
    git(demo, "commit", "-qm", "a symlink")
    before, content = state(demo), outside.read_bytes()
    r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE)
    assert r.code == 2 and "is a symbolic link" in r.err, r.err
    assert state(demo) == before and outside.read_bytes() == content


def test_repository_tools_run_without_the_secrets(
    demo: Path, cli: Cli, tmp_path: Path, signing: EphemeralKey
) -> None:
    seen = tmp_path / "env.txt"
    spy = tmp_path / "blurb"
    spy.write_text(f"#!/bin/sh\nenv > {seen}\nexit 3\n")
    spy.chmod(0o755)
    env = {
        **os.environ,
        "CPYTHON_RELEASE_BLURB": str(spy),
        "GPG_PASSPHRASE": "pass-phrase-1234",
        "GITHUB_TOKEN": "ghs_token_abcdef",
        "RELEASE_CYCLE_TOKEN": "ghs_other_token",
        "ACTIONS_RUNTIME_TOKEN": "runtime-token",
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", env)
        r = cli("prepare", "3.13.6", "--repo", str(demo), *OFFLINE)
    assert r.code == 1 and "blurb release 3.13.6 failed" in r.err
    text = seen.read_text()
    assert "PATH=" in text
    for secret in ("pass-phrase-1234", "ghs_token_abcdef", "ghs_other_token", "runtime-token"):
        assert secret not in text
    assert "GPG_PRIVATE_KEY" not in text and signing.armored_secret.splitlines()[3] not in text


def test_the_token_goes_to_the_remote_command_only_as_a_header(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    from cpython_release.prepare.gitutil import remote_env

    monkeypatch.setenv("GITHUB_TOKEN", "ghs_abc")
    assert remote_env(demo, "origin") is None  # a local remote: nothing added
    git(demo, "remote", "add", "gh", "https://github.com/octo/cpython.git")
    env = remote_env(demo, "gh")
    assert env is not None and env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    basic = base64.b64encode(b"x-access-token:ghs_abc").decode()
    assert env["GIT_CONFIG_VALUE_0"] == f"AUTHORIZATION: basic {basic}"
    assert "ghs_abc" not in git(demo, "config", "--list")  # never written to the clone


@pytest.mark.parametrize("workflow", ["prepare.yml", "finish.yml"])
def test_workflows_check_out_without_persisted_credentials(workflow: str) -> None:
    import yaml

    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / ".github" / "workflows" / workflow).read_text())
    checkouts = [
        step
        for job in data["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)
