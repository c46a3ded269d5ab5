"""URL mode: a release directory served over HTTP (127.0.0.1), downloaded and verified."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.sigstore_policy import LegacyIdentity
from cpython_release.verify import verify_release
from cpython_release.verify.localca import Claims, LocalCA, LocalCAVerifier
from verify.verify_support import REQUESTS, Release, identity

Serve = Callable[[Path], str]


def test_valid_release_over_http(release: Release, verifier: LocalCAVerifier, serve: Serve) -> None:
    url = serve(release.directory)
    report = verify_release(url, "3.13.5", policy=identity(), verifier=verifier)
    assert report.ok, report.problems
    assert report.source == url
    assert len(report.rows) == 2 + len(release.names)
    tgz = next(r for r in report.rows if r.name == "Python-3.13.5.tgz")
    assert tgz.sha256 == release.manifest().artifact("Python-3.13.5.tgz").sha256


def test_every_file_is_fetched_once(
    release: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    """One GET per file: the manifest that is read is the manifest whose bundle is checked."""
    report = verify_release(
        serve(release.directory), "3.13.5", policy=identity(), verifier=verifier
    )
    assert report.ok
    assert REQUESTS.count("/release-manifest.json") == 1
    assert REQUESTS.count("/SHA256SUMS") == 1
    assert len(REQUESTS) == len(set(REQUESTS))
    served = {p.name for p in release.directory.iterdir()}
    assert {r.lstrip("/") for r in REQUESTS if r.lstrip("/") in served} == served


def test_tampered_and_missing_files_over_http(
    release: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    (release.directory / "python-3.13.5-macos11.pkg").unlink()
    tgz = release.directory / "Python-3.13.5.tgz"
    tgz.write_bytes(tgz.read_bytes()[:-1] + b"!")
    report = verify_release(
        serve(release.directory), "3.13.5", policy=identity(), verifier=verifier
    )
    assert report.result == "invalid"
    assert "python-3.13.5-macos11.pkg: missing (listed in release-manifest.json)" in (
        report.problems
    )
    assert any(p.startswith("Python-3.13.5.tgz: sha256 mismatch") for p in report.problems)


def test_python_org_style_directory_without_manifest(
    release314: Release, verifier: LocalCAVerifier, serve: Serve, ca: LocalCA
) -> None:
    """Like /ftp/python/X.Y.Z/: an index page, files and bundles, no manifest or sums.

    The pipeline's policy refuses it (no signed manifest); legacy mode takes the listing,
    and every file needs the release manager's bundle."""
    for name in (
        "release-manifest.json",
        "release-manifest.json.sigstore",
        "SHA256SUMS",
        "SHA256SUMS.sigstore",
    ):
        (release314.directory / name).unlink()
    (release314.directory / "Python-3.14.1rc1.tgz").write_bytes(b"an rc of the same micro")
    (release314.directory / "Python-3.14.1rc1.tgz.sigstore").write_bytes(b"{}")
    url = serve(release314.directory)
    report = verify_release(url, "3.14.1", policy=identity(), verifier=verifier)
    assert report.result == "invalid"
    assert report.problems[0].startswith(
        "release-manifest.json: no signed manifest for Python 3.14.1"
    )
    legacy = LegacyIdentity.for_minor("3.14")
    report = verify_release(url, "3.14.1", policy=legacy, verifier=verifier)
    assert report.mode == "listing" and not report.ok  # the pipeline signed these files
    manager = ca.signer(Claims(legacy.email, issuer=legacy.issuer))
    for name in release314.names:
        digest = sha256_file(release314.directory / name).sha256
        (release314.directory / f"{name}.sigstore").write_bytes(manager.sign(digest))
    report = verify_release(url, "3.14.1", policy=legacy, verifier=verifier)
    assert report.ok, report.problems
    assert sorted(r.name for r in report.rows) == sorted(release314.names)


def test_explicit_manifest_url(
    release: Release, verifier: LocalCAVerifier, serve: Serve, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "meta"
    elsewhere.mkdir()
    (elsewhere / "m.json").write_bytes(release.manifest_path.read_bytes())
    url = serve(release.directory)
    report = verify_release(
        url, "3.13.5", policy=identity(), verifier=verifier, manifest=serve(elsewhere) + "m.json"
    )
    assert report.result == "invalid"
    assert report.rows[0].name == "m.json"  # checked where it lives, with its companions
    assert "m.json: not signed: no Sigstore bundle m.json.sigstore" in report.problems
    (elsewhere / "m.json.sigstore").write_bytes(
        (release.directory / "release-manifest.json.sigstore").read_bytes()
    )
    report = verify_release(
        url, "3.13.5", policy=identity(), verifier=verifier, manifest=serve(elsewhere) + "m.json"
    )
    assert report.ok, report.problems
    assert [r.check("sigstore").status for r in report.rows[:2]] == ["ok", "ok"]


def test_nothing_to_verify_at_url(tmp_path: Path, serve: Serve) -> None:
    (tmp_path / "index.html").write_text("<html>nothing here</html>")
    with pytest.raises(BadInput, match="no directory index"):
        verify_release(serve(tmp_path), "3.13.5", policy=LegacyIdentity.for_minor("3.13"))
    with pytest.raises(BadInput, match="not found"):
        verify_release(
            serve(tmp_path), "3.13.5", policy=identity(), manifest=serve(tmp_path) + "nope.json"
        )


def test_unlisted_files_over_http_come_from_the_index(
    release: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    (release.directory / "python-3.13.5-extra.zip").write_bytes(b"?")
    (release.directory / "Python-3.13.50.tgz").write_bytes(b"another version")
    url = serve(release.directory)
    report = verify_release(url, "3.13.5", policy=identity(), verifier=verifier)
    assert report.ok and report.warnings == ["unlisted file: python-3.13.5-extra.zip"]
    strict = verify_release(url, "3.13.5", policy=identity(), verifier=verifier, strict=True)
    assert strict.problems == [
        "python-3.13.5-extra.zip: unlisted file (not in the release's list of files)"
    ]


def test_server_failures_exit_1_other_refusals_are_bad_input(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from cpython_release.verify.remote import RemoteDirectory

    class Broken(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = {".json": 500, ".tgz": 403, ".xz": 503}.get(Path(self.path).suffix, 404)
            self.send_response(status)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        remote = RemoteDirectory(f"http://127.0.0.1:{server.server_address[1]}/x", retries=0)
        assert remote.base.endswith("/x/")
        with pytest.raises(CheckFailed, match=r"could not fetch .* the server answered 500") as e:
            remote.get_text("release-manifest.json")
        assert e.value.exit_code == 1 and not isinstance(e.value, BadInput)
        with pytest.raises(CheckFailed, match=r"could not download .* the server answered 503"):
            remote.download("Python-3.13.5.tar.xz", tmp_path)
        with pytest.raises(BadInput, match="HTTP 403"):
            remote.download("Python-3.13.5.tgz", tmp_path)
        assert remote.download("Python-3.13.5.zip", tmp_path) is None  # 404: the verdict judges
        with pytest.raises(BadInput, match="refusing unsafe file name"):
            remote.download("../etc/passwd", tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(BadInput, match="not an http"):
        RemoteDirectory("file:///etc/")


def test_python_org_lists_named_by_version(
    release314: Release, verifier: LocalCAVerifier, serve: Serve
) -> None:
    """python.org's X.Y.Z/ is shared by every pre-release, so its lists carry the version
    (release-manifest-3.14.1.json, SHA256SUMS-3.14.1); another pre-release's are ignored."""
    d = release314.directory
    for name, published in (
        ("release-manifest.json", "release-manifest-3.14.1.json"),
        ("SHA256SUMS", "SHA256SUMS-3.14.1"),
    ):
        for suffix in ("", ".sigstore"):
            (d / f"{name}{suffix}").rename(d / f"{published}{suffix}")
    (d / "release-manifest-3.14.1rc1.json").write_text("{}")
    report = verify_release(serve(d), "3.14.1", policy=identity(), verifier=verifier)
    assert report.ok, report.problems
    assert [r.name for r in report.rows[:2]] == [
        "release-manifest-3.14.1.json",
        "SHA256SUMS-3.14.1",
    ]
    assert report.warnings == []


@pytest.mark.parametrize("over_http", [False, True], ids=["directory", "url"])
def test_the_wrong_version_names_the_manifest_found(
    release: Release, verifier: LocalCAVerifier, serve: Serve, over_http: bool
) -> None:
    """python.org's X.Y.Z/ holds release-manifest-<version>.json: asked for another version,
    verify says which manifest is there instead of only "no release-manifest.json"."""
    for suffix in ("", ".sigstore"):
        src = release.directory / f"release-manifest.json{suffix}"
        if src.exists():
            src.rename(release.directory / f"release-manifest-3.13.5.json{suffix}")
    source: str | Path = serve(release.directory) if over_http else release.directory
    assert verify_release(source, "3.13.5", policy=identity(), verifier=verifier).ok
    report = verify_release(source, "3.13.4", policy=identity(), verifier=verifier)
    assert report.result == "invalid" and report.mode == "none"
    assert report.problems == [
        f"release-manifest.json: no signed manifest for Python 3.13.4: {source} has "
        "release-manifest-3.13.5.json (Python 3.13.5), but neither "
        "release-manifest-3.13.4.json nor release-manifest.json: is 3.13.4 the version you "
        "meant?"
    ]
