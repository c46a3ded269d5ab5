"""Purge python.org's CDN (Fastly) after a release is published.

The URLs are those release-tools purges today (``run_release.py purge_the_cdn`` and the
Windows pipeline's ``purge.py``): the release page, ``/downloads/`` and the per-OS pages,
``/ftp/python/`` and the release's directories, every published file and companion, and the
docs. Each gets an HTTP ``PURGE`` with ``Fastly-Soft-Purge: 1`` (mark stale rather than
evict, as the Windows pipeline does), retried on 429, 5xx and connection errors.

Only what changed is purged (:func:`changed_urls`): the files this run uploaded or replaced
and their directories; the pages when anything changed; the docs when the docs tree changed.
A re-run that changed nothing purges nothing (``--purge-all`` purges every URL).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from cpython_release import http
from cpython_release.errors import CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.publish.actions import Action, PublishResult, Verb
from cpython_release.publish.journal import Journal
from cpython_release.publish.layout import DOWNLOADS_URL, placements
from cpython_release.publish.pythonorg_files import classify_file, release_page_url
from cpython_release.version import ReleaseVersion

WWW = "https://www.python.org"
DOCS = "https://docs.python.org"
TARGET = "cdn"


def purge_urls(version: ReleaseVersion, manifest: Manifest) -> list[str]:
    """Every URL to purge for the release, files first, then directories, then pages.

    Where each file lives comes from :func:`cpython_release.publish.layout.placements`, the
    same mapping the upload uses.
    """
    v = str(version)
    files = [p.url for p in placements(manifest)]
    directories = {DOWNLOADS_URL, f"{DOWNLOADS_URL}{version.xyz}/"}
    directories.update(DOWNLOADS_URL + p.dest.rsplit("/", 1)[0] + "/" for p in placements(manifest))
    oses = {"source"}
    for art in manifest.artifacts:
        cls = classify_file(version, art.name)
        if cls is not None:
            oses.add(cls.os)
    pages = [release_page_url(version, WWW + "/"), f"{WWW}/downloads/"]
    pages.extend(f"{WWW}/downloads/{os}/" for os in sorted(oses))
    docs: list[str] = []
    if any(a.platform == "docs" for a in manifest.artifacts):
        docs = [f"{DOCS}/release/{v}/"]
        if version.xyz != v:
            docs.append(f"{DOCS}/release/{version.xyz}/")
    return [*sorted(files), *sorted(directories), *pages, *docs]


def changed_urls(
    version: ReleaseVersion,
    manifest: Manifest,
    *,
    files: set[str],
    docs: bool,
    records: bool,
) -> list[str]:
    """The URLs to purge after a run that changed ``files`` (public URLs below
    ``ftp/python/``), the docs tree (``docs``) and/or the API records (``records``)."""
    if not (files or docs or records):
        return []
    everything = purge_urls(version, manifest)
    directories = {DOWNLOADS_URL} if files else set()
    directories.update(url.rsplit("/", 1)[0] + "/" for url in files)
    out = sorted(files)
    out += [u for u in everything if u in directories]
    # The release page, /downloads/ and the per-OS pages list the release.
    out += [u for u in everything if u.startswith(f"{WWW}/downloads/")]
    if docs:
        out += [u for u in everything if u.startswith(DOCS)]
    return list(dict.fromkeys(out))


def _target(url: str, cdn_base: str) -> tuple[str, dict[str, str]]:
    """Where to send the PURGE for ``url``; a non-default base keeps the path and Host."""
    if cdn_base.rstrip("/") == WWW:
        return url, {}
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return cdn_base.rstrip("/") + path, {"Host": parts.netloc}


def purge(
    urls: list[str],
    *,
    cdn_base: str = WWW,
    dry_run: bool = False,
    retries: int = 5,
    backoff: float = 1.0,
    fastly_key: str | None = None,
    timeout: float = 30.0,
    journal: Journal | None = None,
) -> PublishResult:
    """Soft-purge every URL. ``cdn_base`` other than python.org receives every request
    (path kept, original host in ``Host``): tests point it at a local server.

    Every URL is tried; the failures are reported together as :class:`CheckFailed`.
    """
    result = PublishResult(TARGET, dry_run=dry_run)
    if dry_run:
        for url in urls:
            result.add(Action(Verb.PURGE, TARGET, url, "soft"))
        return result
    session = http.session(retries=retries, backoff=backoff)
    headers = {"Fastly-Soft-Purge": "1"}
    if fastly_key:
        headers["Fastly-Key"] = fastly_key
    failures: list[str] = []
    for url in urls:
        target, extra = _target(url, cdn_base)
        try:
            response = session.request(
                "PURGE", target, headers={**headers, **extra}, timeout=timeout
            )
        except requests.RequestException as exc:
            failures.append(f"{url}: {exc}")
            continue
        if response.status_code != 200:
            failures.append(f"{url}: {response.status_code} {response.reason}")
            continue
        result.add(Action(Verb.PURGE, TARGET, url, "soft"))
        if journal is not None:
            journal.change(TARGET, "PURGE", url, "soft")
    if failures:
        raise CheckFailed(
            f"CDN purge failed for {len(failures)} of {len(urls)} URLs "
            f"(after {retries} retries each)",
            failures,
        )
    return result
