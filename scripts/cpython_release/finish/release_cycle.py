"""The release-cycle data update that ``finish`` sends as a pull request.

Where the data lives: python/devguide's ``include/release-cycle.json`` (the devguide's
``_tools/generate_release_cycle.py`` reads that path). peps.python.org's
``api/release-cycle.json`` carries the same fields; python/peps now renders it from
``release_management/python-releases.toml`` (its header says so), which is a TOML file this
module does not edit: point ``--release-cycle-repo`` at a repository holding the JSON file.

What changes, after PEP 101 and the statuses the file uses (``feature``, ``prerelease``,
``bugfix``, ``security``, ``end-of-life``):

* at X.Y.0b1 (feature freeze, the X.Y branch is cut): X.Y's entry gets ``branch: X.Y`` and
  ``status: prerelease``; the X.Y+1 entry (branch main) needs its schedule PEP and release
  manager, which no tag knows: the pull request body asks for it;
* at X.Y.0 final: ``status: bugfix`` and ``first_release`` the release date;
* any other release changes nothing (the move to ``security`` and ``end-of-life`` follows
  the calendar, not a release).

The file is written as the devguide writes it: two-space indent, non-ASCII kept, a final
newline; keys keep their order, so the diff shows only the changed lines.
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cpython_release.blockers import github_client, github_error
from cpython_release.errors import BadInput, ReleaseError
from cpython_release.finish.changes import is_feature_freeze
from cpython_release.version import ReleaseVersion

RELEASE_CYCLE_REPO = "python/devguide"
RELEASE_CYCLE_PATH = "include/release-cycle.json"
RELEASE_CYCLE_BASE = "main"


@dataclass
class CycleUpdate:
    version: str
    minor: str
    before: str
    after: str
    changes: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)

    @property
    def head(self) -> str:
        return f"release-cycle-{self.version}"

    @property
    def title(self) -> str:
        return f"Release cycle: Python {self.version}"

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{RELEASE_CYCLE_PATH}",
                f"b/{RELEASE_CYCLE_PATH}",
            )
        )

    def body(self) -> str:
        lines = [
            f"Python {self.version} is released; its branch's entry in `{RELEASE_CYCLE_PATH}`:",
            "",
        ]
        lines += [f"- {c}" for c in self.changes]
        if self.todo:
            lines += ["", "Still to do by hand before merging:", ""]
            lines += [f"- [ ] {t}" for t in self.todo]
        lines += ["", "Opened by `cpython-release finish` (PEP 101's release-cycle step)."]
        return "\n".join(lines) + "\n"


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def parse(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"{source} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise BadInput(f"{source} is not release-cycle data (an object of X.Y entries)")
    return data


def changes_release_cycle(version: ReleaseVersion) -> bool:
    return is_feature_freeze(version) or (version.is_final and version.micro == 0)


def update(
    version: ReleaseVersion, current: str, source: str, released: dt.date
) -> CycleUpdate | None:
    """The update ``version`` makes to ``current`` (the file's text); None when none."""
    if not changes_release_cycle(version):
        return None
    data = parse(current, source)
    minor = version.minor_version
    entry = data.get(minor)
    if entry is None:
        raise BadInput(f"{source} has no entry for {minor}")
    result = CycleUpdate(str(version), minor, render(data), "")
    wanted: dict[str, str]
    if is_feature_freeze(version):
        wanted = {"branch": minor, "status": "prerelease"}
        after = f"{version.major}.{version.minor + 1}"
        if after not in data:
            result.todo.append(
                f"add the {after} entry (branch main, status feature) with its schedule "
                "PEP, first release, end of life and release manager"
            )
    else:
        wanted = {"status": "bugfix", "first_release": released.isoformat()}
    for key, value in wanted.items():
        if entry.get(key) != value:
            result.changes.append(f"{minor}: {key} {entry.get(key)!r} -> {value!r}")
            entry[key] = value
    if not result.changes:
        result.changes.append(f"{minor}: already up to date")
    result.after = render(data)
    return result


def read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read --release-cycle-data {path}: {exc}") from exc


def read_repository(repository: str, api_url: str, token: str | None) -> tuple[str, str]:
    """The file's text and blob sha on the base branch of ``repository``."""
    try:
        repo = github_client(api_url, token, retries=2).get_repo(repository)
        f = repo.get_contents(RELEASE_CYCLE_PATH, ref=RELEASE_CYCLE_BASE)
        return base64.b64decode(f.content).decode("utf-8"), str(f.sha)
    except ReleaseError:
        raise
    except Exception as exc:
        raise github_error(
            exc, f"reading {RELEASE_CYCLE_PATH} of {repository} (or give --release-cycle-data)"
        ) from exc


def open_pull(
    u: CycleUpdate, repository: str, blob_sha: str, api_url: str, token: str | None
) -> dict[str, Any]:
    """Branch ``release-cycle-VERSION`` from the base, the file's commit on it, the PR (an
    open one of that branch, from an earlier run, is kept)."""
    owner = repository.split("/", 1)[0]
    try:
        repo = github_client(api_url, token, retries=2).get_repo(repository)
        for p in repo.get_pulls(state="open", base=RELEASE_CYCLE_BASE, head=f"{owner}:{u.head}"):
            if p.head.ref == u.head and p.base.ref == RELEASE_CYCLE_BASE:
                return {
                    "head": u.head,
                    "base": RELEASE_CYCLE_BASE,
                    "number": p.number,
                    "url": p.html_url,
                    "existing": True,
                }
        base = repo.get_git_ref(f"heads/{RELEASE_CYCLE_BASE}").object.sha
        repo.create_git_ref(f"refs/heads/{u.head}", base)
        repo.update_file(RELEASE_CYCLE_PATH, u.title, u.after, blob_sha, branch=u.head)
        pr = repo.create_pull(base=RELEASE_CYCLE_BASE, head=u.head, title=u.title, body=u.body())
    except ReleaseError:
        raise
    except Exception as exc:
        raise github_error(exc, f"opening the release-cycle pull request in {repository}") from exc
    return {
        "head": u.head,
        "base": RELEASE_CYCLE_BASE,
        "number": pr.number,
        "url": pr.html_url,
        "existing": False,
    }
