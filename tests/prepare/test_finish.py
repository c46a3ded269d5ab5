"""``cpython-release finish VERSION``: post-release branches, pull requests, announcement."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.demo_repo import make_demo_repo
from fakes_github import start_server
from prepare.prepare_helpers import git, state

Cli = Callable[..., Any]
SECURITY_ENTRY = "Misc/NEWS.d/next/Security/2025-06-13-12-00-00.gh-issue-140123.Sec123.rst"


@pytest.fixture
def released(demo: Path, cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    """The demo after prepare 3.13.6 (with a security fix) and build-source: the clone and
    the manifest of the published files."""
    entry = demo / SECURITY_ENTRY
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text("Fix a heap overflow in the demo parser (CVE-2025-12345).\n")
    git(demo, "add", SECURITY_ENTRY)
    git(demo, "commit", "-qm", "gh-140123: fix a heap overflow")
    assert cli("prepare", "3.13.6", "--repo", str(demo), "--skip-blockers").code == 0
    commit = git(demo, "rev-parse", "v3.13.6^{commit}")
    out = tmp_path / "dist"
    r = cli(
        "build-source", "--repo", str(demo), "--version", "3.13.6", "--commit", commit,
        "--out", str(out),
    )  # fmt: skip
    assert r.code == 0, r.err
    return demo, out / "fragment-build-source.json"


def test_finish_makes_the_post_release_branch_and_the_announcement(
    released: tuple[Path, Path], cli: Cli, tmp_path: Path
) -> None:
    repo, manifest = released
    before_head = git(repo, "rev-parse", "HEAD")
    out = tmp_path / "finish"
    r = cli(
        "finish", "3.13.6", "--repo", str(repo), "--manifest", str(manifest), "--out", str(out),
        "--release-dir", str(manifest.parent), "--format", "json",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "UNVERIFIED" not in (out / "announcement-discourse.md").read_text()
    report = json.loads(r.out)
    (change,) = report["changes"]
    assert change["head"] == "post-release-3.13.6" and change["base"] == "3.13"
    # the post-release commit sits on the tag and says 3.13.6+
    assert git(repo, "rev-parse", "post-release-3.13.6~1") == git(repo, "rev-parse", "v3.13.6^{}")
    patchlevel = git(repo, "show", "post-release-3.13.6:Include/patchlevel.h")
    assert '#define PY_VERSION              "3.13.6+"' in patchlevel
    assert "PY_RELEASE_LEVEL_FINAL" in patchlevel
    readme = git(repo, "show", "post-release-3.13.6:README.rst")
    assert readme.startswith("This is Python version 3.13.6+\n==============================\n")
    # the checkout was not touched
    assert git(repo, "rev-parse", "HEAD") == before_head
    assert git(repo, "status", "--porcelain") == ""
    assert "merge commit" in (out / "pr-post-release-3.13.6.md").read_text()
    # the announcement: every file with its hash, the security fix with its CVE
    post = (out / "announcement-discourse.md").read_text()
    mail = (out / "announcement-email.txt").read_text()
    data = json.loads(manifest.read_text())
    for artifact in data["artifacts"]:
        assert artifact["name"] in post and artifact["sha256"] in post
        assert artifact["sha256"] in mail
    assert "CVE-2025-12345" in post and "gh-140123" in post
    assert "security fixes: CVE-2025-12345" in post
    assert "[CVE-2025-12345]" in mail
    assert report["security"][0]["cves"] == ["CVE-2025-12345"]
    # a second run converges: the branch it made is kept (same content), nothing changes
    before = state(repo)
    r = cli("finish", "3.13.6", "--repo", str(repo), "--out", str(tmp_path / "again"))
    assert r.code == 0, r.err
    assert state(repo) == before
    # a branch of that name with other content is bad input, and changes nothing
    git(repo, "branch", "-f", "post-release-3.13.6", "v3.13.6^{commit}")
    before = state(repo)
    r = cli("finish", "3.13.6", "--repo", str(repo), "--out", str(tmp_path / "third"))
    assert r.code == 2 and "post-release-3.13.6 already exists" in r.err
    assert "with other content" in r.err
    assert state(repo) == before and not (tmp_path / "third").exists()


def test_finish_without_the_tag_is_bad_input(demo: Path, cli: Cli, tmp_path: Path) -> None:
    before = state(demo)
    r = cli("finish", "3.13.6", "--repo", str(demo), "--out", str(tmp_path / "f"))
    assert r.code == 2 and "tag v3.13.6 does not exist" in r.err
    assert state(demo) == before


def test_push_opens_the_pull_request_on_github(
    released: tuple[Path, Path], cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = released
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "set-url", "origin", str(remote))
    with start_server() as gh:
        fake = gh.state.repo("octo/cpython")
        # the fake models the API, not git: the branches the push creates are known to it
        fake.branches.update({"3.13": "1" * 40, "post-release-3.13.6": "2" * 40})
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        r = cli(
            "finish", "3.13.6", "--repo", str(repo), "--push", "--repository", "octo/cpython",
            "--github-api", gh.base_url, "--out", str(tmp_path / "f"), "--format", "json",
        )  # fmt: skip
        assert r.code == 0, r.err
        (pull,) = fake.pulls
    assert pull["base"]["ref"] == "3.13" and pull["head"]["ref"] == "post-release-3.13.6"
    assert pull["title"].startswith("Post 3.13.6") and "v3.13.6" in pull["body"]
    assert json.loads(r.out)["pulls"][0]["number"] == pull["number"]
    assert git(remote, "rev-parse", "post-release-3.13.6") == git(
        repo, "rev-parse", "post-release-3.13.6"
    )


def test_feature_freeze_cuts_the_branch_and_bumps_main(cli: Cli, tmp_path: Path) -> None:
    repo = make_demo_repo(tmp_path / "cpython", "3.14.0b1").path
    r = cli(
        "finish",
        "3.14.0b1",
        "--repo",
        str(repo),
        "--out",
        str(tmp_path / "f"),
        "--format",
        "json",
        "--no-release-cycle",
    )
    assert r.code == 0, r.err
    heads = {c["head"]: c["base"] for c in json.loads(r.out)["changes"]}
    # one pull request into main only: Post 3.14.0b1 is the start of the new 3.14 branch
    assert heads == {"3.14": None, "post-release-3.14.0b1-main": "main"}
    assert [b for b, base in heads.items() if base == "main"] == ["post-release-3.14.0b1-main"]
    assert git(repo, "log", "-1", "--format=%s", "3.14") == "Post 3.14.0b1"
    assert git(repo, "rev-parse", "3.14^") == git(repo, "rev-parse", "v3.14.0b1^{commit}")
    assert (
        subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "post-release-3.14.0b1"],
            capture_output=True,
        ).returncode
        != 0
    )
    assert '"3.14.0b1+"' in git(repo, "show", "3.14:Include/patchlevel.h")
    main = git(repo, "show", "post-release-3.14.0b1-main:Include/patchlevel.h")
    assert '"3.15.0a0"' in main and "PY_MINOR_VERSION        15" in main
    assert "PY_RELEASE_LEVEL_ALPHA" in main
    whatsnew = git(repo, "show", "post-release-3.14.0b1-main:Doc/whatsnew/3.15.rst")
    assert "What's new in Python 3.15" in whatsnew and "compared to 3.14" in whatsnew
    readme = git(repo, "show", "post-release-3.14.0b1-main:README.rst")
    assert readme.startswith("This is Python version 3.15.0 alpha 0\n")


def _b1_with_origin(tmp_path: Path) -> tuple[Path, Path]:
    repo = make_demo_repo(tmp_path / "cpython", "3.14.0b1").path
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    if subprocess.run(
        ["git", "-C", str(repo), "remote", "get-url", "origin"], capture_output=True
    ).returncode:
        git(repo, "remote", "add", "origin", str(remote))
    else:
        git(repo, "remote", "set-url", "origin", str(remote))
    return repo, remote


def test_a_branch_only_on_the_remote_is_bad_input_and_nothing_is_pushed(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, remote = _b1_with_origin(tmp_path)
    # origin already has a 3.14 branch (someone cut it), the clone does not
    tag = git(repo, "rev-parse", "v3.14.0b1^{commit}")
    git(repo, "push", "-q", str(remote), f"{tag}:refs/heads/3.14")
    before_remote = git(remote, "for-each-ref")
    before = state(repo)
    with start_server() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        gh.state.repo("octo/cpython")
        r = cli(
            "finish", "3.14.0b1", "--repo", str(repo), "--push", "--repository", "octo/cpython",
            "--github-api", gh.base_url, "--out", str(tmp_path / "f"), "--no-release-cycle",
        )  # fmt: skip
    assert r.code == 2 and "origin already has the branch 3.14 with other content" in r.err, r.err
    assert git(remote, "for-each-ref") == before_remote
    assert state(repo) == before


def test_push_never_moves_a_branch_that_appeared_on_the_remote(tmp_path: Path) -> None:
    """Between the check and the push: the lease on an empty value refuses, exit 1."""
    from cpython_release.errors import CheckFailed
    from cpython_release.finish.changes import make_changes
    from cpython_release.finish.pulls import push
    from cpython_release.version import ReleaseVersion

    repo, remote = _b1_with_origin(tmp_path)
    changes = make_changes(repo, ReleaseVersion.parse("3.14.0b1"))
    tag = git(repo, "rev-parse", "v3.14.0b1^{commit}")
    git(repo, "push", "-q", str(remote), f"{tag}:refs/heads/3.14")
    with pytest.raises(CheckFailed, match="nothing was pushed") as err:
        push(repo, "origin", changes)
    assert "push them by hand" in str(err.value)
    assert git(remote, "rev-parse", "refs/heads/3.14") == tag
    assert subprocess.run(
        ["git", "-C", str(remote), "rev-parse", "--verify", "--quiet",
         "refs/heads/post-release-3.14.0b1-main"], capture_output=True,
    ).returncode != 0  # fmt: skip


def test_news_text_is_made_safe_in_the_announcement() -> None:
    from cpython_release.finish.announce import SecurityFix, _security_md, safe_markdown

    raw = (
        "Fix <img src=x onerror=alert(1)> for @everyone and @here: [docs](https://docs.python.org/)"
        " [click](javascript:alert(1)) [plain](http://evil.example/)"
    )
    out = safe_markdown(raw)
    assert "<img" not in out and "&lt;img" in out
    assert "@everyone" not in out and "@here" not in out
    assert "[docs](https://docs.python.org/)" in out
    assert "](javascript:" not in out and "](http://evil" not in out
    md = _security_md([SecurityFix("123", raw, ())])
    assert "@everyone" not in md and "<img" not in md
    assert _security_md([SecurityFix("1](https://x)", "t", ())]).startswith("- gh-?:")


def test_an_unchecked_or_mismatching_manifest_fails_closed(
    released: tuple[Path, Path], cli: Cli, tmp_path: Path
) -> None:
    repo, manifest = released
    dist = manifest.parent
    # without --release-dir: the drafts say UNVERIFIED and the exit status is 1
    out = tmp_path / "unverified"
    r = cli("finish", "3.13.6", "--repo", str(repo), "--manifest", str(manifest), "--out", str(out))
    assert r.code == 1 and "UNVERIFIED" in r.err
    assert (out / "announcement-discourse.md").read_text().startswith("**UNVERIFIED")
    assert (out / "announcement-email.txt").read_text().startswith("UNVERIFIED")
    # a file that differs from the manifest: exit 1 before any branch is made
    git(repo, "branch", "-D", "post-release-3.13.6")
    before = state(repo)
    name = json.loads(manifest.read_text())["artifacts"][0]["name"]
    (dist / name).write_bytes((dist / name).read_bytes() + b"tampered")
    r = cli(
        "finish", "3.13.6", "--repo", str(repo), "--manifest", str(manifest),
        "--release-dir", str(dist), "--out", str(tmp_path / "bad"),
    )  # fmt: skip
    assert r.code == 1 and f"{name}: size or SHA-256 differs" in r.err, r.err
    assert state(repo) == before and not (tmp_path / "bad").exists()


def test_the_drafts_never_land_inside_the_clone(
    released: tuple[Path, Path], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from inside the clone with no --out: the drafts go beside the clone, not into a
    directory the next release commit (git add --all) would pick up; an --out inside the
    clone is refused before anything is made."""
    repo, _ = released
    monkeypatch.chdir(repo)
    before = state(repo)
    for inside in ("finish", ".", "Doc/drafts"):
        r = cli("finish", "3.13.6", "--repo", str(repo), "--out", inside)
        assert r.code == 2 and "is inside the clone" in r.err, r.err
        assert state(repo) == before
    r = cli("finish", "3.13.6", "--repo", ".", "--format", "json", "--no-release-cycle")
    assert r.code == 0, r.err
    out = repo.parent / "finish-3.13.6"
    assert (out / "finish.json").is_file() and (out / "pr-post-release-3.13.6.md").is_file()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
