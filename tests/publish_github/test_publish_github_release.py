"""publish_github against a fake GitHub that PyGithub talks to over real HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.manifest import Artifact, Manifest, Signature
from cpython_release.publish.actions import PublishResult, Verb
from cpython_release.publish.github_release import (
    MAX_ASSETS,
    WRITE_INTERVAL_ENV,
    Pacing,
    apply_github,
    asset_name,
    asset_path,
    plan_github,
    publish_github,
)
from fakes_github import FakeGitHub
from fakes_github.release_dir import COMMIT, REPO, TEST_PACING, ReleaseDir, make_release


def run(gh: FakeGitHub, rd: ReleaseDir, **kw: Any) -> PublishResult:
    return publish_github(
        rd.manifest,
        rd.directory,
        repo=REPO,
        token=gh.token,
        base_url=gh.base_url,
        pacing=TEST_PACING,
        **kw,
    )


def remote_files(gh: FakeGitHub, tag: str) -> dict[str, bytes]:
    rel = gh.state.release_by_tag(REPO, tag)
    return {a.name: a.data for a in rel.assets.values() if a.state == "uploaded"}


def expected_assets(rd: ReleaseDir) -> dict[str, bytes]:
    return {asset_name(p): data for p, data in rd.files().items()}


def test_first_run_creates_uploads_and_publishes_a_prerelease(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    result = run(github, release)
    files = release.files()
    assert result.count(Verb.CREATE) == 1
    assert result.count(Verb.UPLOAD) == len(files) == 11
    assert result.count(Verb.UPDATE) == 1
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    assert not rel.draft and rel.prerelease and rel.make_latest == "false"
    assert rel.name == "Python 3.14.0rc2"
    assert rel.target_commitish == COMMIT
    assert github.state.repo(REPO).tags == {"v3.14.0rc2": COMMIT}
    # Every byte arrived, under the flattened names; the MSI part is reversible.
    assert remote_files(github, "v3.14.0rc2") == expected_assets(release)
    assert "amd64rc2--core.msi" in remote_files(github, "v3.14.0rc2")
    # Created as a draft first; published only after SHA256SUMS was read back.
    creates = github.state.requests("POST", r"/releases$")
    assert len(creates) == 1
    log = [(e.method, e.path) for e in github.state.log]
    publish_at = log.index(("PATCH", f"/repos/{REPO}/releases/{rel.id}"))
    sums_id = next(a.id for a in rel.assets.values() if a.name == "SHA256SUMS")
    assert log.index(("GET", f"/repos/{REPO}/releases/assets/{sums_id}")) < publish_at
    assert all(m != "POST" for m, _ in log[publish_at:])


def test_second_run_changes_nothing(github: FakeGitHub, release: ReleaseDir) -> None:
    run(github, release)
    writes_before = len(github.state.writes())
    again = run(github, release)
    assert not again.changed()
    assert again.count(Verb.SKIP) == len(release.files())
    assert len(github.state.writes()) == writes_before


def test_final_release_is_not_a_prerelease(github: FakeGitHub, tmp_path: Path) -> None:
    rd = make_release(tmp_path / "r", version="3.13.5", with_msi=False)
    run(github, rd)
    rel = github.state.release_by_tag(REPO, "v3.13.5")
    assert not rel.draft and not rel.prerelease and rel.make_latest == "legacy"


def test_dry_run_reads_but_never_writes(github: FakeGitHub, release: ReleaseDir) -> None:
    result = run(github, release, dry_run=True)
    assert result.dry_run
    assert [a.verb for a in result.actions].count(Verb.UPLOAD) == len(release.files())
    assert result.actions[0].verb is Verb.CREATE and result.actions[-1].verb is Verb.UPDATE
    assert github.state.writes() == []
    assert github.state.releases(REPO) == []


def test_plan_reads_only_and_apply_carries_out_exactly_that_plan(
    github: FakeGitHub, tmp_path: Path
) -> None:
    first = make_release(tmp_path / "a", salt="one")
    kw: dict[str, Any] = {"repo": REPO, "token": github.token, "base_url": github.base_url}
    planned = plan_github(first.manifest, first.directory, pacing=TEST_PACING, **kw)
    assert github.state.writes() == [] and github.state.releases(REPO) == []
    assert planned.release is None and planned.change == "draft -> published"
    assert [f.asset for f in planned.plan.upload] == [a.subject for a in planned.result.actions][
        1 : 1 + len(planned.plan.upload)
    ]
    result = apply_github(planned, first.directory, pacing=TEST_PACING)
    assert result is planned.result
    assert remote_files(github, "v3.14.0rc2") == expected_assets(first)

    # A plan holding a refusal is reported by the planner and raised by apply, before any write.
    second = make_release(tmp_path / "b", salt="two")
    refused = plan_github(second.manifest, second.directory, pacing=TEST_PACING, **kw)
    assert refused.plan.refused
    writes = len(github.state.writes())
    with pytest.raises(CheckFailed, match="refusing"):
        apply_github(refused, second.directory, pacing=TEST_PACING)
    assert len(github.state.writes()) == writes
    assert remote_files(github, "v3.14.0rc2") == expected_assets(first)


def test_mismatched_assets_are_refused_by_name_then_replaced(
    github: FakeGitHub, tmp_path: Path
) -> None:
    first = make_release(tmp_path / "a", salt="one")
    run(github, first)
    second = make_release(tmp_path / "b", salt="two")  # same names, other bytes
    writes = len(github.state.writes())
    with pytest.raises(CheckFailed) as caught:
        run(github, second)
    assert "refusing" in str(caught.value)
    differing = {asset_name(p) for p, d in second.files().items() if first.files()[p] != d}
    assert differing and {p.split(":")[0] for p in caught.value.problems} == differing
    assert len(github.state.writes()) == writes  # nothing changed
    plan = run(github, second, dry_run=True)
    assert {a.subject for a in plan.actions if a.verb is Verb.REFUSE} == differing

    replaced = run(github, second, replace=True)
    assert {a.subject for a in replaced.actions if a.verb is Verb.REPLACE} == differing
    assert remote_files(github, "v3.14.0rc2") == expected_assets(second)
    assert not run(github, second).changed()


def test_asset_not_in_manifest_is_refused_unless_replace(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    run(github, release)
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    github.state.add_asset(rel, "stray.txt", b"not ours")
    with pytest.raises(CheckFailed) as caught:
        run(github, release)
    assert any(p.startswith("stray.txt:") for p in caught.value.problems)
    result = run(github, release, replace=True)
    assert [(a.verb, a.subject) for a in result.actions if a.verb is Verb.DELETE] == [
        (Verb.DELETE, "stray.txt")
    ]
    assert "stray.txt" not in remote_files(github, "v3.14.0rc2")


def test_leftover_partial_asset_is_deleted_and_uploaded_again(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    github.state.add_release(REPO, "v3.14.0rc2", draft=True, target_commitish=COMMIT)
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    github.state.add_asset(rel, "Python-3.14.0rc2.tgz", b"half", state="starter")
    github.state.add_asset(rel, "SHA256SUMS.tmp", b"", state="new")  # not ours, but broken
    result = run(github, release)
    deleted = {a.subject for a in result.actions if a.verb is Verb.DELETE}
    assert deleted == {"Python-3.14.0rc2.tgz", "SHA256SUMS.tmp"}
    assert result.count(Verb.CREATE) == 0
    assert remote_files(github, "v3.14.0rc2") == expected_assets(release)
    assert not rel.draft


@pytest.mark.parametrize("kind", ["drop", "status"])
def test_interrupted_uploads_converge_on_a_rerun(
    github: FakeGitHub, release: ReleaseDir, kind: str
) -> None:
    # Every attempt at this one file fails (more times than the run retries).
    github.state.inject("POST", r"/assets$", kind=kind, status=502, times=None, after_bytes=100)
    with pytest.raises(CheckFailed) as caught:
        run(github, release)
    assert "run again" in str(caught.value)
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    assert rel.draft  # never published half a release
    assert remote_files(github, "v3.14.0rc2") == {}  # the first upload never completed
    github.state.clear_faults()
    result = run(github, release)
    assert remote_files(github, "v3.14.0rc2") == expected_assets(release)
    assert not github.state.release_by_tag(REPO, "v3.14.0rc2").draft
    assert result.count(Verb.CREATE) == 0
    assert not run(github, release).changed()


def test_one_failed_upload_is_recovered_within_the_run(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    github.state.inject("POST", r"/assets$", kind="drop", times=1, after_bytes=10)
    run(github, release)
    uploads = github.state.requests("POST", r"/assets$")
    assert len(uploads) == len(release.files()) + 1
    assert uploads[0].status == 0 and all(u.status == 201 for u in uploads[1:])
    assert github.state.requests("DELETE", r"/releases/assets/")  # the starter went
    assert remote_files(github, "v3.14.0rc2") == expected_assets(release)


def test_upload_whose_response_was_lost_is_not_duplicated(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    """GitHub stored the asset but the client saw a 504: the run finds it intact, moves on."""
    github.state.inject("POST", r"/assets$", kind="lost", status=504, times=1)
    result = run(github, release)
    assert result.count(Verb.UPLOAD) == len(release.files())
    uploads = github.state.requests("POST", r"/assets$")
    assert [u.status for u in uploads].count(504) == 1
    assert len(uploads) == len(release.files())  # no second upload of the same file
    assert not github.state.requests("DELETE")
    assert remote_files(github, "v3.14.0rc2") == expected_assets(release)


def test_sha256sums_read_back_must_match(github: FakeGitHub, release: ReleaseDir) -> None:
    github.state.inject("GET", r"^/_storage/", kind="corrupt", times=1)
    with pytest.raises(CheckFailed, match="SHA256SUMS downloaded from GitHub differs"):
        run(github, release)
    assert github.state.release_by_tag(REPO, "v3.14.0rc2").draft
    run(github, release)  # the storage fault is gone: converges
    assert not github.state.release_by_tag(REPO, "v3.14.0rc2").draft


def test_without_digests_assets_are_downloaded_and_hashed(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    run(github, release)
    github.state.digests = False
    before = len(github.state.requests("GET", r"^/_storage/"))
    assert not run(github, release).changed()
    assert len(github.state.requests("GET", r"^/_storage/")) - before == len(release.files()) + 1
    # ...and a changed byte with the same size is still caught.
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    asset = next(a for a in rel.assets.values() if a.name == "Python-3.14.0rc2.tgz")
    asset.data = b"X" + asset.data[1:]
    with pytest.raises(CheckFailed) as caught:
        run(github, release)
    assert [p.split(":")[0] for p in caught.value.problems] == ["Python-3.14.0rc2.tgz"]


def test_streamed_downloads_work_too(github: FakeGitHub, release: ReleaseDir) -> None:
    github.state.stream_downloads = True  # GitHub may answer 200 instead of 302
    run(github, release)
    assert not github.state.requests("GET", r"^/_storage/")
    assert not github.state.release_by_tag(REPO, "v3.14.0rc2").draft


def test_more_assets_than_one_page(github: FakeGitHub, tmp_path: Path) -> None:
    rd = make_release(tmp_path / "r", extra_artifacts=120, with_msi=False)
    run(github, rd)
    assert len(remote_files(github, "v3.14.0rc2")) == 120 + 9
    assert not run(github, rd).changed()
    assert github.state.requests("GET", r"/assets$")  # paged: page 2 was read
    pages = [e for e in github.state.log if e.path.endswith("/assets") and e.method == "GET"]
    assert len(pages) >= 2


def test_asset_limit_fails_before_any_request(github: FakeGitHub, tmp_path: Path) -> None:
    rd = make_release(tmp_path / "r", with_msi=False)
    many = [
        Artifact(
            f"f{i:04d}.bin",
            "source",
            "source",
            1,
            "0" * 64,
            "test",
            signatures=(Signature(f"f{i:04d}.bin.sigstore", 1, "0" * 64),),
        )
        for i in range(MAX_ASSETS // 2)
    ]
    big = dataclasses.replace(rd.manifest, artifacts=rd.manifest.artifacts + tuple(many))
    with pytest.raises(CheckFailed, match=r"1009 files exceed GitHub's limit of 1000"):
        publish_github(
            big,
            rd.directory,
            repo=REPO,
            token=github.token,
            base_url=github.base_url,
            pacing=TEST_PACING,
        )
    assert github.state.log == []


def test_local_file_not_matching_manifest_fails_before_any_request(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    (release.directory / "amd64rc2" / "core.msi").write_bytes(b"tampered")
    (release.directory / "Python-3.14.0rc2.tgz.sigstore").unlink()
    with pytest.raises(CheckFailed) as caught:
        run(github, release)
    text = str(caught.value)
    assert "missing: Python-3.14.0rc2.tgz.sigstore" in text
    assert github.state.log == []
    (release.directory / "Python-3.14.0rc2.tgz.sigstore").write_text("x")
    with pytest.raises(CheckFailed, match=r"amd64rc2/core.msi: file has 8 bytes"):
        run(github, release)


def test_bad_token_and_unknown_repository_are_bad_input(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    with pytest.raises(BadInput, match="rejected the token"):
        publish_github(
            release.manifest,
            release.directory,
            repo=REPO,
            token="wrong",
            base_url=github.base_url,
            pacing=TEST_PACING,
        )
    with pytest.raises(BadInput, match="octo/nope not found"):
        publish_github(
            release.manifest,
            release.directory,
            repo="octo/nope",
            token=github.token,
            base_url=github.base_url,
            pacing=TEST_PACING,
        )
    assert github.state.writes() == []


def test_draft_for_another_commit_is_refused_or_retargeted(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    github.state.add_release(REPO, "v3.14.0rc2", draft=True, target_commitish="1" * 40)
    with pytest.raises(CheckFailed, match="refusing") as caught:
        run(github, release)
    assert caught.value.problems == [
        f"release v3.14.0rc2: draft targets commit {'1' * 40}, not {COMMIT}; --replace retargets it"
    ]
    assert github.state.writes() == []
    run(github, release, replace=True)
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    assert rel.target_commitish == COMMIT and not rel.draft
    assert github.state.repo(REPO).tags["v3.14.0rc2"] == COMMIT


def test_two_drafts_with_one_tag_are_reported(github: FakeGitHub, release: ReleaseDir) -> None:
    a = github.state.add_release(REPO, "v3.14.0rc2", draft=True, target_commitish=COMMIT)
    b = github.state.add_release(REPO, "v3.14.0rc2", draft=True, target_commitish=COMMIT)
    with pytest.raises(CheckFailed, match=r"2 releases use tag v3\.14\.0rc2") as caught:
        run(github, release)
    assert {f"release id {a.id} (draft)", f"release id {b.id} (draft)"} == set(
        caught.value.problems
    )


def test_nightly_is_a_marked_prerelease(github: FakeGitHub, tmp_path: Path) -> None:
    tag = f"nightly-3.14-20261121-{COMMIT[:12]}"
    rd = make_release(tmp_path / "r", version="3.14.0", tag=tag)
    run(github, rd, nightly=True)
    rel = github.state.release_by_tag(REPO, tag)
    assert rel.prerelease and not rel.draft and rel.make_latest == "false"
    assert rel.name == f"Python 3.14 nightly 2026-11-21 ({COMMIT[:12]})"
    assert f"<!-- cpython-release:nightly branch=3.14 date=2026-11-21 commit={COMMIT} -->" in (
        rel.body.splitlines()
    )
    with pytest.raises(BadInput, match="nightly namespace"):
        run(github, rd)
    plain = make_release(tmp_path / "p", version="3.14.0")
    with pytest.raises(BadInput, match="not a nightly tag"):
        run(github, plain, nightly=True)
    other = make_release(tmp_path / "o", version="3.14.0", tag="nightly-3.14-20261121-000000000000")
    with pytest.raises(BadInput, match="does not name the manifest's commit"):
        run(github, other, nightly=True)


def test_asset_names_flatten_reversibly() -> None:
    assert asset_name("amd64rc2/core.msi") == "amd64rc2--core.msi"
    assert asset_name("Python-3.14.0rc2.tgz") == "Python-3.14.0rc2.tgz"
    for path in ("amd64rc2/core.msi", "a/b/c_d.msi.sigstore", "python-3.14.0-amd64.exe"):
        assert asset_path(asset_name(path)) == path
    for bad in ("a--b.msi", "dir/.hidden", "name.", "sp ace.txt", "plus+.txt"):
        with pytest.raises(BadInput, match="cannot be a GitHub asset name"):
            asset_name(bad)


def test_names_that_collide_on_github_are_refused(github: FakeGitHub, tmp_path: Path) -> None:
    rd = make_release(tmp_path / "r", with_msi=False)
    data = b"same"
    digest = hashlib.sha256(data).hexdigest()
    for name in ("x.bin", "X.bin"):
        (rd.directory / name).write_bytes(data)
    arts = tuple(Artifact(n, "source", "source", 4, digest, "t") for n in ("x.bin", "X.bin"))
    m = Manifest(rd.manifest.release, rd.manifest.artifacts + arts)
    m.write(rd.directory / "release-manifest.json")
    with pytest.raises(CheckFailed) as caught:
        publish_github(
            m,
            rd.directory,
            repo=REPO,
            token=github.token,
            base_url=github.base_url,
            pacing=TEST_PACING,
        )
    assert caught.value.problems == ["X.bin and x.bin both become asset X.bin"] or (
        caught.value.problems == ["x.bin and X.bin both become asset x.bin"]
    )


def test_transient_server_errors_on_reads_are_retried(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    github.state.inject("GET", r"/releases$", status=503, times=1)
    github.state.inject("GET", r"/assets$", status=500, times=1)
    run(github, release)
    assert [e.status for e in github.state.requests("GET", r"/releases$")][:2] == [503, 200]
    assert not github.state.release_by_tag(REPO, "v3.14.0rc2").draft


def test_an_immutable_published_release_is_never_changed(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    rel = github.state.add_release(REPO, "v3.14.0rc2", prerelease=True, target_commitish=COMMIT)
    rel.immutable = True
    with pytest.raises(CheckFailed, match="published and immutable") as caught:
        run(github, release)
    assert f"upload {asset_name('amd64rc2/core.msi')}" in caught.value.problems
    assert github.state.writes() == []


@pytest.mark.parametrize(
    ("method", "path"), [("POST", r"/releases$"), ("PATCH", r"/releases/\d+$")]
)
def test_lost_responses_to_create_and_publish_converge(
    github: FakeGitHub, release: ReleaseDir, method: str, path: str
) -> None:
    """GitHub did the work but the answer never came: a re-run must not do it twice."""
    github.state.inject(method, path, kind="lost", status=502, times=None)
    with pytest.raises(CheckFailed, match="run again to resume"):
        run(github, release)
    github.state.clear_faults()
    result = run(github, release)
    assert len(github.state.releases(REPO)) == 1  # no second draft for the tag
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    assert not rel.draft
    assert result.count(Verb.CREATE) == 0
    assert remote_files(github, "v3.14.0rc2") == expected_assets(release)
    assert not run(github, release).changed()


def test_tag_published_from_another_commit_is_an_error(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    github.state.add_release(REPO, "v3.14.0rc2", prerelease=True, target_commitish="2" * 40)
    for replace in (False, True):
        with pytest.raises(CheckFailed, match=f"already published from commit {'2' * 40}"):
            run(github, release, replace=replace)
    assert github.state.writes() == []


def test_signed_manifest_sums_and_their_signatures_are_assets(
    github: FakeGitHub, release: ReleaseDir
) -> None:
    """release-manifest.json, SHA256SUMS and their .sigstore/.asc go up next to the files."""
    d = release.directory
    (d / "release-manifest.json.sigstore").write_bytes(b'{"bundle": "manifest"}')
    (d / "SHA256SUMS.sigstore").write_bytes(b'{"bundle": "sums"}')
    (d / "SHA256SUMS.asc").write_bytes(b"-----BEGIN PGP SIGNATURE-----\n")
    run(github, release)
    remote = remote_files(github, "v3.14.0rc2")
    for name in (
        "release-manifest.json",
        "release-manifest.json.sigstore",
        "SHA256SUMS",
        "SHA256SUMS.sigstore",
        "SHA256SUMS.asc",
    ):
        assert remote[name] == (d / name).read_bytes(), name
    # A re-run after the signature was lost from the release restores it alone.
    rel = github.state.release_by_tag(REPO, "v3.14.0rc2")
    gone = next(a for a in rel.assets.values() if a.name == "SHA256SUMS.asc")
    del rel.assets[gone.id]
    again = run(github, release)
    assert again.count(Verb.UPLOAD) == 1
    restored = remote_files(github, "v3.14.0rc2")["SHA256SUMS.asc"]
    assert restored == (d / "SHA256SUMS.asc").read_bytes()


def test_write_interval_from_the_environment() -> None:
    assert Pacing.from_env({}) == Pacing() and Pacing().write_interval == 1.0
    fake = Pacing.from_env({WRITE_INTERVAL_ENV: "0"})
    assert (fake.write_interval, fake.read_interval) == (0.0, 0.0)
    assert fake.retries == Pacing().retries and fake.timeout == Pacing().timeout
    slower = Pacing.from_env({WRITE_INTERVAL_ENV: " 2.5 "})
    assert (slower.write_interval, slower.read_interval) == (2.5, 0.25)
    for bad in ("-1", "soon", "nan", "inf", "61"):
        with pytest.raises(BadInput, match=WRITE_INTERVAL_ENV):
            Pacing.from_env({WRITE_INTERVAL_ENV: bad})


def test_publish_reads_the_write_interval_before_any_request(
    github: FakeGitHub, release: ReleaseDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WRITE_INTERVAL_ENV, "-0.5")
    with pytest.raises(BadInput, match=WRITE_INTERVAL_ENV):
        publish_github(
            release.manifest,
            release.directory,
            repo=REPO,
            token=github.token,
            base_url=github.base_url,
        )
    assert not github.state.repo(REPO).releases
