"""The buildbot status of a branch, from the public buildbot REST API (``/api/v2``).

The check mirrors what the release managers' tooling looks at: the *stable* builders tagged
with the branch, and for each the most recent *complete* build. A builder fails the check
when that build's result is FAILURE and it finished within the last ``stale_days`` days
(older results belong to builders nobody runs any more).

API shape (buildbot 3/4):

- ``GET {api}/builders?tags__contains=3.14`` -> ``{"builders": [{"builderid", "name",
  "tags", ...}], "meta": {"total": N}}``
- ``GET {api}/builds?builderid__eq=ID&complete__eq=true&order=-complete_at&limit=1`` ->
  ``{"builds": [{"buildid", "number", "results", "complete_at", "state_string", ...}]}``

``main`` has no tag of its own on buildbot.python.org: its builders carry ``3.x``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import requests

from cpython_release.errors import BadInput
from cpython_release.http import is_unreachable, unreachable

DEFAULT_API = "https://buildbot.python.org/all/api/v2"
STALE_DAYS = 14
MAIN_TAG = "3.x"
SECONDS_PER_DAY = 24 * 60 * 60


class Result(IntEnum):
    """Buildbot's result codes (``buildbot.process.results``)."""

    SUCCESS = 0
    WARNINGS = 1
    FAILURE = 2
    SKIPPED = 3
    EXCEPTION = 4
    RETRY = 5
    CANCELLED = 6


@dataclass(frozen=True)
class Builder:
    builderid: int
    name: str
    tags: tuple[str, ...]

    @property
    def stable(self) -> bool:
        return "stable" in self.tags


@dataclass(frozen=True)
class Build:
    buildid: int
    number: int
    results: int | None
    complete_at: float | None
    state_string: str

    @property
    def result_name(self) -> str:
        try:
            return Result(self.results).name.lower() if self.results is not None else "unknown"
        except ValueError:
            return f"result {self.results}"


@dataclass(frozen=True)
class BuilderStatus:
    builder: Builder
    last_build: Build | None
    failing: bool
    stale: bool
    url: str

    def describe(self) -> str:
        if self.last_build is None:
            return f"{self.builder.name}: no complete build"
        build = self.last_build
        state = build.state_string or build.result_name
        age = ""
        if build.complete_at is not None:
            age = (
                f", finished {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(build.complete_at))}"
            )
        return f"{self.builder.name}: build #{build.number} {state}{age} ({self.url})"


@dataclass
class BuildbotReport:
    branch: str
    tag: str
    api_url: str
    statuses: list[BuilderStatus] = field(default_factory=list)
    note: str = ""

    @property
    def failing(self) -> list[BuilderStatus]:
        return [s for s in self.statuses if s.failing]

    def to_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "tag": self.tag,
            "api": self.api_url,
            "note": self.note,
            "stable_builders": len(self.statuses),
            "failing": [
                {
                    "builder": s.builder.name,
                    "builderid": s.builder.builderid,
                    "build": s.last_build.number if s.last_build else None,
                    "state": s.last_build.state_string if s.last_build else "",
                    "url": s.url,
                }
                for s in self.failing
            ],
        }


def branch_tag(branch: str) -> str:
    """The buildbot tag of a git branch: ``main`` -> ``3.x``, ``3.14`` -> ``3.14``."""
    return MAIN_TAG if branch == "main" else branch


def web_url(api_url: str) -> str:
    """``https://buildbot.python.org/all/api/v2`` -> ``https://buildbot.python.org/all``."""
    base = api_url.rstrip("/")
    for suffix in ("/api/v2", "/api"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


class BuildbotClient:
    """A read-only client for the parts of the buildbot REST API the check needs."""

    def __init__(self, api_url: str, http: requests.Session, *, timeout: float = 30) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = http
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.api_url}/{path}"
        try:
            resp = self.http.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            if is_unreachable(exc):
                raise unreachable(f"the buildbot API at {url}", exc) from exc
            raise BadInput(f"cannot read the buildbot API at {url}: {exc}") from exc
        if resp.status_code != 200:
            raise BadInput(
                f"buildbot API {resp.url} answered HTTP {resp.status_code}: {resp.text[:200]!r}"
            )
        try:
            data = resp.json()
        except ValueError as exc:
            raise BadInput(f"buildbot API {resp.url} did not return JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BadInput(f"buildbot API {resp.url} returned {type(data).__name__}, not an object")
        return data

    def builders(self, tag: str) -> list[Builder]:
        data = self._get("builders", {"tags__contains": tag})
        try:
            return [
                Builder(int(b["builderid"]), str(b["name"]), tuple(str(t) for t in b["tags"] or ()))
                for b in data["builders"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"unexpected builders answer from {self.api_url}: {exc!r}") from exc

    def last_build(self, builderid: int) -> Build | None:
        data = self._get(
            "builds",
            {
                "builderid__eq": str(builderid),
                "complete__eq": "true",
                "order": "-complete_at",
                "limit": "1",
            },
        )
        try:
            builds = data["builds"]
            if not builds:
                return None
            b = builds[0]
            return Build(
                buildid=int(b["buildid"]),
                number=int(b["number"]),
                results=None if b.get("results") is None else int(b["results"]),
                complete_at=None if b.get("complete_at") is None else float(b["complete_at"]),
                state_string=str(b.get("state_string") or ""),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise BadInput(f"unexpected builds answer from {self.api_url}: {exc!r}") from exc


def _status(
    client: BuildbotClient, builder: Builder, now: float, stale_days: float
) -> BuilderStatus:
    build = client.last_build(builder.builderid)
    web = web_url(client.api_url)
    if build is None:
        return BuilderStatus(builder, None, False, False, f"{web}/#/builders/{builder.builderid}")
    url = f"{web}/#/builders/{builder.builderid}/builds/{build.number}"
    stale = build.complete_at is not None and now - build.complete_at > stale_days * SECONDS_PER_DAY
    failing = build.results == Result.FAILURE and not stale
    return BuilderStatus(builder, build, failing, stale, url)


def check_branch(
    client: BuildbotClient,
    branch: str,
    *,
    now: float | None = None,
    stale_days: float = STALE_DAYS,
    workers: int = 8,
) -> BuildbotReport:
    """The status of every stable builder of ``branch``.

    A branch too new to have builders of its own falls back to ``3.x`` (main's builders),
    as the release tooling always has; no stable builders at all is an error, never a pass.
    """
    now = time.time() if now is None else now
    tag = branch_tag(branch)
    report = BuildbotReport(branch=branch, tag=tag, api_url=client.api_url)
    # The server filters on the tag already; checking again locally guards against a
    # substring match ("3.1" in "3.14").
    stable = [b for b in client.builders(tag) if b.stable and tag in b.tags]
    if not stable and tag != MAIN_TAG:
        report.note = f"no stable builders tagged {tag}; used the {MAIN_TAG} (main) builders"
        report.tag = MAIN_TAG
        stable = [b for b in client.builders(MAIN_TAG) if b.stable and MAIN_TAG in b.tags]
    if not stable:
        raise BadInput(
            f"the buildbot API at {client.api_url} lists no stable builders for {branch} "
            f"(tag {report.tag}): cannot tell whether the buildbots are green"
        )
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(stable)))) as pool:
        statuses: Sequence[BuilderStatus] = list(
            pool.map(lambda b: _status(client, b, now, stale_days), stable)
        )
    report.statuses = sorted(statuses, key=lambda s: s.builder.name)
    return report
