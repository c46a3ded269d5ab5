"""sync_release and the client against the fake python.org: plans, reconciling, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cpython_release.errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, BadInput, CheckFailed
from cpython_release.publish.actions import Verb
from cpython_release.publish.pythonorg_api import (
    AuthenticationFailed,
    PythonOrgAPI,
    RateLimited,
    RemoteRelease,
    ValidationFailed,
)
from cpython_release.publish.pythonorg_sync import ReleaseNotPublished, sync_release
from cpython_release.version import ReleaseVersion
from fakes_pythonorg import FakeClock, FakeServer, FakeState
from publish_api.pyorg_support import (
    STAFF,
    V2_TOKEN,
    assert_converged,
    make_manifest,
    server_view,
)

V = ReleaseVersion.parse("3.14.0rc2")


def writes(state: FakeState, since: int = 0) -> list[str]:
    return [f"{e.method} {e.path}" for e in state.log[since:] if e.method != "GET"]


def test_first_run_creates_release_and_files_then_asks_for_the_admin(
    api: PythonOrgAPI, fake_state: FakeState
) -> None:
    manifest = make_manifest()
    with pytest.raises(ReleaseNotPublished) as info:
        sync_release(api, manifest, V)
    exc = info.value
    assert exc.exit_code == EXIT_CHECK_FAILED
    pk = assert_converged(fake_state, manifest)
    assert exc.admin_url == f"{api.base_url}admin/downloads/release/{pk}/change/"
    assert "is NOT published" in str(exc) and "405" in str(exc) and exc.admin_url in str(exc)
    release = fake_state.releases[pk]
    assert release["is_published"] is False and release["pre_release"] is True
    assert release["slug"] == "python-3140rc2" and release["version"] == 3
    assert release["is_latest"] is False
    result = exc.result
    assert result.count(Verb.CREATE) == 1 + 13  # the release and 13 files
    assert result.count(Verb.UPDATE) == 0  # never pretend it was published
    # Second run: nothing to write, and still honest about the release.
    before = len(fake_state.log)
    with pytest.raises(ReleaseNotPublished) as again:
        sync_release(api, manifest, V)
    assert writes(fake_state, before) == []
    assert not again.value.result.changed()


def test_with_a_v2_token_the_release_is_published_last(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    api = make_api(v2_token=V2_TOKEN)
    manifest = make_manifest()
    result = sync_release(api, manifest, V)
    pk = assert_converged(fake_state, manifest)
    assert fake_state.releases[pk]["is_published"] is True
    assert writes(fake_state)[-1] == f"PATCH /api/v2/downloads/release/{pk}/"
    assert result.actions[-1].verb is Verb.UPDATE
    # Not a single write before the files: release first, files, then publish.
    posts = writes(fake_state)
    assert posts[0] == "POST /api/v1/downloads/release/"
    assert all(w == "POST /api/v1/downloads/release_file/" for w in posts[1:-1])
    # Re-run: only skips, no writes at all.
    before = len(fake_state.log)
    again = sync_release(api, manifest, V)
    assert writes(fake_state, before) == [] and not again.changed()
    assert {a.verb for a in again.actions} == {Verb.SKIP}


def test_dry_run_writes_nothing(api: PythonOrgAPI, fake_state: FakeState) -> None:
    result = sync_release(api, make_manifest(), V, dry_run=True)
    assert result.dry_run and writes(fake_state) == []
    assert fake_state.releases == {} and fake_state.files == {}
    assert result.count(Verb.CREATE) == 14 and result.count(Verb.UPDATE) == 1
    assert any("api     create   release Python 3.14.0rc2" in line for line in result.lines())


def test_dry_run_against_an_existing_release_shows_the_diff(
    api: PythonOrgAPI, fake_state: FakeState
) -> None:
    with pytest.raises(ReleaseNotPublished):
        sync_release(api, make_manifest(), V)
    before = len(fake_state.log)
    changed = make_manifest(changed=("python-3.14.0rc2-amd64.exe",))
    result = sync_release(api, changed, V, dry_run=True)
    assert writes(fake_state, before) == []
    replaced = [a for a in result.actions if a.verb is Verb.REPLACE]
    assert [a.subject for a in replaced] == ["file 3140-rc2-Windows-installer-64-bit"]
    assert "sha256_sum" in replaced[0].detail and "filesize" in replaced[0].detail
    assert result.count(Verb.SKIP) == 1 + 12  # the release and the 12 other files
    assert any(a.verb is Verb.UPDATE and "admin" in a.detail for a in result.actions)


def test_a_changed_file_is_replaced_and_nothing_else_is_touched(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    api = make_api(v2_token=V2_TOKEN)
    sync_release(api, make_manifest(), V)
    pk = fake_state.release_pk("Python 3.14.0rc2")
    assert pk is not None
    pks_before = {rec["slug"]: fpk for fpk, rec in fake_state.files_of(pk).items()}
    changed = make_manifest(changed=("python-3.14.0rc2-amd64.exe", "Python-3.14.0rc2.tgz"))
    before = len(fake_state.log)
    result = sync_release(api, changed, V)
    assert_converged(fake_state, changed)
    assert result.count(Verb.REPLACE) == 2
    pks_after = {rec["slug"]: fpk for fpk, rec in fake_state.files_of(pk).items()}
    kept = {s for s in pks_before if pks_before[s] == pks_after[s]}
    assert kept == set(pks_before) - {
        "3140-rc2-Windows-installer-64-bit",
        "3140-rc2-Gzipped-source-tarball",
    }
    w = writes(fake_state, before)
    assert len(w) == 4 and w[0].startswith("DELETE") and w[1].startswith("POST")


def test_extra_records_are_kept_unless_prune(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    api = make_api(v2_token=V2_TOKEN)
    manifest = make_manifest()
    sync_release(api, manifest, V)
    pk = fake_state.release_pk("Python 3.14.0rc2")
    assert pk is not None
    stray = fake_state.add_file(
        pk,
        "windows",
        name="Old thing",
        slug="3140-rc2-Old-thing",
        url="https://www.python.org/ftp/python/3.14.0/old.zip",
    )
    kept = sync_release(api, manifest, V)
    assert stray in fake_state.files and not kept.changed()
    assert any("kept (--prune)" in a.detail for a in kept.actions)
    pruned = sync_release(api, manifest, V, prune=True)
    assert stray not in fake_state.files and pruned.count(Verb.DELETE) == 1
    assert_converged(fake_state, manifest)


def test_a_stale_record_holding_the_download_button_is_replaced(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    """An old macOS record with the button (other slug and url) blocks the new one."""
    api = make_api(v2_token=V2_TOKEN)
    pk = fake_state.add_release("Python 3.14.0rc2", slug="python-3140rc2")
    old = fake_state.add_file(
        pk,
        "macos",
        name="macOS 64-bit installer",
        slug="3140-rc2-macOS-64-bit-installer",
        download_button=True,
        url="https://www.python.org/ftp/python/3.14.0/old-macos.pkg",
    )
    manifest = make_manifest()
    result = sync_release(api, manifest, V)  # no --prune needed: it blocks a desired record
    assert old not in fake_state.files
    assert_converged(fake_state, manifest)
    replace = [a for a in result.actions if a.verb is Verb.REPLACE]
    assert len(replace) == 1 and "3140-rc2-macOS-64-bit-installer" in replace[0].detail


def test_existing_published_release_is_left_published(
    api: PythonOrgAPI, fake_state: FakeState
) -> None:
    fake_state.add_release("Python 3.14.0rc2", slug="python-3140rc2", is_published=True)
    result = sync_release(api, make_manifest(), V)  # no token needed: nothing to publish
    assert any(a.detail.startswith("already published") for a in result.actions)
    assert_converged(fake_state, make_manifest())


def test_release_slug_taken_by_another_release(api: PythonOrgAPI, fake_state: FakeState) -> None:
    fake_state.add_release("Python 3.14.0rc2 (test)", slug="python-3140rc2")
    with pytest.raises(CheckFailed, match="slug python-3140rc2 is taken by the release"):
        sync_release(api, make_manifest(), V)
    assert fake_state.files == {}


def test_file_slug_taken_by_another_release(api: PythonOrgAPI, fake_state: FakeState) -> None:
    other = fake_state.add_release("Python 3.14.0rc1")
    fake_state.add_file(
        other,
        "source",
        name="x",
        slug="3140-rc2-Gzipped-source-tarball",
        url="https://www.python.org/ftp/python/3.14.0/elsewhere.tgz",
    )
    with pytest.raises(CheckFailed, match="belongs to a file of another release"):
        sync_release(api, make_manifest(), V)


def test_401_is_clear_and_not_retried(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    api = make_api(STAFF[0], "wrong-key")
    with pytest.raises(AuthenticationFailed) as info:
        sync_release(api, make_manifest(), V)
    assert info.value.exit_code == EXIT_BAD_INPUT
    assert "401 Unauthorized" in str(info.value) and "Not retried" in str(info.value)
    assert len(fake_state.log) == 1


def test_non_staff_user_fails_on_the_first_write(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    api = make_api("viewer", "viewer-key")
    with pytest.raises(AuthenticationFailed, match="not staff"):
        sync_release(api, make_manifest(), V)
    assert fake_state.releases == {}


def test_malformed_credentials_are_bad_input(pyorg: FakeServer) -> None:
    for user, key in (("", "k"), ("u", ""), ("a:b", "k"), ("u", "k y")):
        with pytest.raises(BadInput):
            PythonOrgAPI(pyorg.base_url, user, key)


def test_400_shows_the_field_errors(api: PythonOrgAPI, fake_state: FakeState) -> None:
    pk = fake_state.add_release("Python 3.14.0rc2")
    release = api.get_release(f"/api/v1/downloads/release/{pk}/")
    assert isinstance(release, RemoteRelease) and not release.is_published
    payload = {
        "name": "x",
        "os": api.os_uri("source"),
        "release": release.uri,
        "url": "http://www.python.org/x.tgz",
        "sigstore_bundle_file": "https://www.python.org/y.tgz.sigstore",
    }
    with pytest.raises(ValidationFailed) as info:
        api.create_file(payload)
    text = str(info.value)
    assert "400 Bad Request" in text
    assert "downloads/release_file.url: Release file URLs must begin with" in text
    assert "sigstore_bundle_file: Sidecar URL must match the artifact URL plus '.sigstore'" in text
    with pytest.raises(ValidationFailed, match="'os' field has no data"):
        api.create_file({"release": release.uri})


def test_429_waits_retry_after_within_budget(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState, clock: FakeClock
) -> None:
    fake_state.throttle_at = 6
    fake_state.throttle_timeframe = 60
    api = make_api(v2_token=V2_TOKEN, max_wait=600)
    manifest = make_manifest()
    sync_release(api, manifest, V)
    assert_converged(fake_state, manifest)
    statuses = [e.status for e in fake_state.log]
    assert statuses.count(429) >= 3
    assert clock.slept and all(1 <= s <= 60 for s in clock.slept)
    assert api.waited == sum(clock.slept) <= 600


def test_429_beyond_the_budget_stops_with_a_clear_error(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState, clock: FakeClock
) -> None:
    fake_state.throttle_at = 4
    api = make_api(max_wait=120)  # the server would ask for up to an hour
    with pytest.raises(RateLimited, match=r"429 Too Many Requests.*120s budget"):
        sync_release(api, make_manifest(), V)
    assert sum(clock.slept) <= 120


def test_transient_5xx_on_reads_is_retried(api: PythonOrgAPI, fake_state: FakeState) -> None:
    fake_state.fail_requests = {1, 2}
    assert api.os_uri("windows") == "/api/v1/downloads/os/1/"
    assert [e.status for e in fake_state.log] == [503, 503, 200]


def test_lists_follow_every_page(api: PythonOrgAPI, fake_state: FakeState) -> None:
    pk = fake_state.add_release("Python 3.14.0rc2")
    for i in range(230):
        fake_state.add_file(
            pk,
            "windows",
            name=f"f{i}",
            slug=f"s{i}",
            url=f"https://www.python.org/ftp/python/3.14.0/f{i}",
        )
    release = api.find_release("Python 3.14.0rc2")
    assert release is not None
    files = api.list_files(release)
    assert sorted(f.slug for f in files) == sorted(f"s{i}" for i in range(230))
    assert len([e for e in fake_state.log if "release_file" in e.path]) == 3


def test_delete_all_files_of_a_release(api: PythonOrgAPI, fake_state: FakeState) -> None:
    pk = fake_state.add_release("Python 3.14.0rc2")
    other = fake_state.add_release("Python 3.14.0rc1")
    for i in range(3):
        fake_state.add_file(pk, "source", slug=f"a{i}", url=f"https://www.python.org/a{i}")
    keep = fake_state.add_file(other, "source", slug="b", url="https://www.python.org/b")
    release = api.find_release("Python 3.14.0rc2")
    assert release is not None
    api.delete_all_files(release)
    assert set(fake_state.files) == {keep}
    assert server_view(fake_state, pk) == {}


def test_a_release_with_the_wrong_pre_release_flag_is_reported(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    pk = fake_state.add_release("Python 3.14.0rc2", slug="python-3140rc2", pre_release=False)
    result = sync_release(make_api(v2_token=V2_TOKEN), make_manifest(), V)
    first = result.actions[0]
    assert first.verb is Verb.SKIP
    assert "to set when it is published: pre_release=True" in first.detail
    # The v2 PATCH that publishes it fixes the flag too.
    assert fake_state.releases[pk]["pre_release"] is True
    assert fake_state.releases[pk]["is_published"] is True


def test_a_rejected_v2_token_is_a_clear_401(
    make_api: Callable[..., PythonOrgAPI], fake_state: FakeState
) -> None:
    api = make_api(v2_token="not-the-token")
    with pytest.raises(AuthenticationFailed, match="API v2 token was rejected"):
        sync_release(api, make_manifest(), V)
    pk = assert_converged(fake_state, make_manifest())  # every file is in all the same
    assert fake_state.releases[pk]["is_published"] is False
