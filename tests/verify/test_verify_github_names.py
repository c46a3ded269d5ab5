"""URL mode on a GitHub release: the MSI parts are flat assets (``amd64--core.msi``)."""

from __future__ import annotations

from cpython_release.publish.github_release import asset_name
from cpython_release.verify.remote import RemoteDirectory


def test_github_release_urls_use_the_asset_names() -> None:
    gh = RemoteDirectory("https://github.com/example/cpython/releases/download/v3.13.5/")
    assert gh.url("amd64/core.msi") == (
        "https://github.com/example/cpython/releases/download/v3.13.5/"
        + asset_name("amd64/core.msi")
    )
    assert gh.url("amd64/core.msi").endswith("/v3.13.5/amd64--core.msi")
    assert gh.url("python-3.13.5-amd64.exe").endswith("/v3.13.5/python-3.13.5-amd64.exe")


def test_python_org_keeps_its_directories() -> None:
    org = RemoteDirectory("https://www.python.org/ftp/python/3.13.5/")
    assert org.url("amd64/core.msi") == "https://www.python.org/ftp/python/3.13.5/amd64/core.msi"
