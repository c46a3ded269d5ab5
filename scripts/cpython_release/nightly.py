"""Nightly builds: which maintained branches moved since their last nightly, and failure issues.

Selection, per maintained branch (the feature branch ``main`` and every bugfix or prerelease
branch of the release-cycle data):

1. the branch head, from ``git ls-remote`` output or a local clone;
2. the source commit of the branch's last *published* nightly, from the body marker of the
   newest nightly GitHub release of that branch (:mod:`cpython_release.nightly_names`), or
   from a state file;
3. build when the head differs from that commit (or when forced);
4. the base version from ``Include/patchlevel.h`` at the head (``PY_VERSION "3.15.0a2+"``);
   the nightly version is the next release plus ``.devYYYYMMDD`` (``3.15.0a3.dev20261121``,
   the scheme :class:`cpython_release.version.ReleaseVersion` parses with ``nightly=True``);
   the nightly's GitHub tag and name come from :mod:`cpython_release.nightly_names`.

Tracking: one open issue per branch, labelled ``nightly-failure`` and titled
``[nightly <branch>] ...``. A failure opens it, or comments on it when it is already open;
a success closes it with a comment.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cpython_release import nightly_names
from cpython_release.errors import BadInput, Unreachable
from cpython_release.patchlevel import BASE_VERSION as _BASE_VERSION
from cpython_release.patchlevel import next_release
from cpython_release.phase import ReleaseCycle
from cpython_release.version import ReleaseVersion

FAILURE_LABEL = "nightly-failure"
PATCHLEVEL = "Include/patchlevel.h"
_SHA = re.compile(r"[0-9a-f]{40}")
_PY_VERSION = re.compile(r'^\s*#\s*define\s+PY_VERSION\s+"([^"]+)"', re.MULTILINE)


# --- branches ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MaintainedBranch:
    git_branch: str  # "main" or "3.14"
    cycle: str  # the release-cycle key: "3.16" for main
    status: str


def maintained_branches(cycle: ReleaseCycle, *, security: bool = False) -> list[MaintainedBranch]:
    """``main`` (the feature branch) and the bugfix/prerelease branches, newest first; with
    ``security`` also the security-phase branches (built weekly, installers included)."""
    return [
        MaintainedBranch("main" if b.status == "feature" else b.name, b.name, b.status)
        for b in cycle.maintained(security=security)
    ]


def choose_branches(
    maintained: Sequence[MaintainedBranch], wanted: Iterable[str]
) -> list[MaintainedBranch]:
    """The maintained branches named in ``wanted`` (all of them when ``wanted`` is empty)."""
    names = [w for item in wanted for w in re.split(r"[\s,]+", item) if w]
    if not names:
        return list(maintained)
    by_name = {b.git_branch: b for b in maintained}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(by_name)
        raise BadInput(
            f"not a maintained branch: {', '.join(unknown)} (maintained: {known}); "
            "nightlies are built for main and bugfix branches, and security branches "
            "with --security"
        )
    return [by_name[n] for n in dict.fromkeys(names)]


# --- branch heads ----------------------------------------------------------------------------
def parse_ls_remote(text: str) -> dict[str, str]:
    """``{branch: sha}`` from ``git ls-remote`` output (``<sha>\\trefs/heads/<branch>``)."""
    heads: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not _SHA.fullmatch(parts[0]):
            raise BadInput(f"git ls-remote output line {n} is not '<sha> <ref>': {line!r}")
        sha, ref = parts
        if ref.startswith("refs/heads/"):
            heads[ref.removeprefix("refs/heads/")] = sha
    return heads


def _git(args: Sequence[str], what: str) -> str:
    try:
        proc = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BadInput(f"cannot run git to {what}: {exc}") from exc
    if proc.returncode != 0:
        reason = proc.stderr.strip() or str(proc.returncode)
        if any(mark in reason for mark in _GIT_NETWORK_FAILURES):
            raise Unreachable(f"the git server to {what}", reason)
        raise BadInput(f"git failed to {what}: {reason}")
    return proc.stdout


# git's words for "the server could not be reached" (http.c and connect.c), as opposed to
# "the server answered no" (no such repository, no access)
_GIT_NETWORK_FAILURES = (
    "Could not resolve host",
    "Failed to connect",
    "Connection refused",
    "Connection timed out",
    "Could not resolve hostname",
    "Network is unreachable",
)


def ls_remote(url: str, branches: Sequence[str]) -> dict[str, str]:
    """Run ``git ls-remote --heads URL <branches>`` (a URL or a local path)."""
    out = _git(["ls-remote", "--heads", url, *branches], f"list the branches of {url}")
    return parse_ls_remote(out)


def clone_heads(clone: Path, branches: Sequence[str]) -> dict[str, str]:
    """Branch heads of a local clone: ``refs/remotes/origin/B``, else ``refs/heads/B``."""
    heads: dict[str, str] = {}
    for branch in branches:
        for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
            proc = subprocess.run(
                ["git", "-C", str(clone), "rev-parse", "--verify", "-q", f"{ref}^{{commit}}"],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode == 0:
                heads[branch] = proc.stdout.strip()
                break
    return heads


def clone_file(clone: Path, commit: str, path: str) -> str:
    return _git(["-C", str(clone), "show", f"{commit}:{path}"], f"read {path} at {commit}")


# --- versions ----------------------------------------------------------------------------------
def base_version(patchlevel_h: str) -> str:
    """``PY_VERSION`` of ``Include/patchlevel.h``: ``3.15.0a2+`` between releases."""
    m = _PY_VERSION.search(patchlevel_h)
    if m is None:
        raise BadInput(f"no '#define PY_VERSION \"...\"' line in {PATCHLEVEL}")
    value = m.group(1)
    if _BASE_VERSION.fullmatch(value) is None:
        raise BadInput(f"PY_VERSION {value!r} in {PATCHLEVEL} is not a CPython version")
    return value


def minor_of(version: str) -> str:
    m = _BASE_VERSION.fullmatch(version)
    if m is None:
        raise BadInput(f"not a CPython version: {version!r}")
    return f"{m.group(1)}.{m.group(2)}"


def nightly_version(base: str, day: date) -> ReleaseVersion:
    """The nightly's version: the next release plus ``.devYYYYMMDD`` (PEP 440 sorts it after
    the release it follows and before the next one), as :class:`ReleaseVersion` parses it."""
    return ReleaseVersion.parse(f"{next_release(base)}.dev{day:%Y%m%d}", nightly=True)


# --- last nightlies ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LastNightly:
    commit: str
    tag: str
    source: str  # "github release" or "state file"


def last_nightlies_from_releases(releases: Iterable[Any]) -> dict[str, LastNightly]:
    """Newest published nightly of each branch among GitHub releases (PyGithub objects).

    A release counts only when both its tag and its body marker say it is a nightly and agree
    (:func:`nightly_names.identify`); drafts (runs that never published) do not count.
    """
    best: dict[str, tuple[tuple[Any, ...], LastNightly]] = {}
    for rel in releases:
        if getattr(rel, "draft", False):
            continue
        nightly = nightly_names.identify(rel.tag_name, rel.body)
        marker = nightly_names.parse_marker(rel.body)
        if nightly is None or marker is None:
            continue
        key = (nightly.day, str(getattr(rel, "created_at", "") or ""), int(rel.id))
        current = best.get(nightly.branch)
        if current is None or key > current[0]:
            best[nightly.branch] = (key, LastNightly(marker[1], rel.tag_name, "github release"))
    return {branch: item[1] for branch, item in best.items()}


def last_nightlies_from_state(path: Path) -> dict[str, LastNightly]:
    """``{"main": "<sha>", "3.14": {"commit": "<sha>", "tag": "..."}}`` from a JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read nightly state {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise BadInput(f"nightly state {path} must be a JSON object of branch -> commit")
    out: dict[str, LastNightly] = {}
    for branch, value in data.items():
        entry = value if isinstance(value, dict) else {"commit": value}
        commit = entry.get("commit")
        if not isinstance(commit, str) or not _SHA.fullmatch(commit):
            raise BadInput(f"nightly state {path}: {branch}: commit must be 40 lowercase hex")
        out[str(branch)] = LastNightly(commit, str(entry.get("tag") or ""), "state file")
    return out


# --- selection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    branch: MaintainedBranch
    head: str
    last: LastNightly | None
    build: bool
    reason: str
    base_version: str = ""
    version: str = ""
    nightly: nightly_names.Nightly | None = None
    note: str = ""

    @property
    def moved(self) -> bool:
        return bool(self.head) and (self.last is None or self.last.commit != self.head)

    def to_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch.git_branch,
            "cycle": self.branch.cycle,
            "status": self.branch.status,
            "head": self.head,
            "last_commit": self.last.commit if self.last else None,
            "last_tag": self.last.tag if self.last else None,
            "last_source": self.last.source if self.last else None,
            "moved": self.moved,
            "build": self.build,
            "reason": self.reason,
            "base_version": self.base_version or None,
            "version": self.version or None,
            "tag": self.nightly.tag if self.nightly else None,
            "name": self.nightly.name if self.nightly else None,
            "note": self.note or None,
        }

    def matrix_entry(self) -> dict[str, str]:
        """One leg of the workflow matrix: strings only, as workflow inputs want them."""
        assert self.nightly is not None
        return {
            "branch": self.branch.git_branch,
            "commit": self.head,
            "version": self.version,
            "tag": self.nightly.tag,
            "name": self.nightly.name,
            "base_version": self.base_version,
            "date": self.nightly.day.isoformat(),
            # a security branch's nightly proves its Windows and macOS toolchains too
            "binaries-for-security": str(self.branch.status == "security").lower(),
        }


def select(
    branches: Sequence[MaintainedBranch],
    heads: dict[str, str],
    last: dict[str, LastNightly],
    patchlevel: Any,
    day: date,
    *,
    force: bool = False,
    strict: bool = True,
) -> list[Selection]:
    """Decide for each branch; ``patchlevel(commit) -> str`` reads ``Include/patchlevel.h``.

    ``patchlevel`` is only called for branches that will be built. A branch without a head
    is an error when ``strict`` (it was asked for by name); otherwise (the release-cycle data
    runs ahead of the repository, e.g. around a branch cut) it is skipped with a note, as
    long as some branch was found.
    """
    out: list[Selection] = []
    missing = [b.git_branch for b in branches if b.git_branch not in heads]
    if missing and (strict or len(missing) == len(branches)):
        raise BadInput(f"no head found for branch(es) {', '.join(missing)}")
    for b in branches:
        if b.git_branch not in heads:
            note = "the repository has no such branch; skipped"
            out.append(Selection(b, "", None, False, "no such branch", note=note))
            continue
        head = heads[b.git_branch]
        if not _SHA.fullmatch(head):
            raise BadInput(f"head of {b.git_branch} is not a full lowercase SHA: {head!r}")
        prev = last.get(b.git_branch)
        if prev is None:
            build, reason = True, "no previous nightly"
        elif prev.commit != head:
            build, reason = True, f"moved since {prev.tag or prev.commit[:12]}"
        elif force:
            build, reason = True, "unchanged, forced"
        else:
            build, reason = False, f"unchanged since {prev.tag or prev.commit[:12]}"
        if not build:
            out.append(Selection(b, head, prev, False, reason))
            continue
        base = base_version(patchlevel(head))
        version = nightly_version(base, day)
        notes = []
        if minor_of(base) != b.cycle:
            notes.append(
                f"{PATCHLEVEL} says {base} but the release-cycle data lists {b.git_branch} "
                f"as {b.cycle}"
            )
        if version.branch != b.git_branch:
            notes.append(f"nightly version {version} belongs to branch {version.branch}")
        nightly = nightly_names.Nightly.for_commit(b.git_branch, day, head)
        out.append(
            Selection(b, head, prev, True, reason, base, str(version), nightly, "; ".join(notes))
        )
    return out


def matrix(selections: Sequence[Selection]) -> dict[str, list[dict[str, str]]]:
    return {"include": [s.matrix_entry() for s in selections if s.build]}


# --- failure tracking --------------------------------------------------------------------------
def title_prefix(branch: str) -> str:
    return f"[nightly {branch}]"


def issue_title(branch: str) -> str:
    return f"{title_prefix(branch)} nightly build failing"


LABEL_COLOR = "d73a4a"


def ensure_label(repo: Any, label: str) -> None:
    """Create ``label`` when the repository lacks it, so the new issue can be found by it."""
    from github import UnknownObjectException

    try:
        _ = repo.get_label(label).color  # PyGithub labels are lazy: reading a field fetches it
    except UnknownObjectException:
        repo.create_label(label, LABEL_COLOR, "A nightly build of this branch is failing")


@dataclass(frozen=True)
class TrackOutcome:
    action: str  # "opened", "commented", "closed", "none"
    number: int | None
    message: str


def track(
    repo: Any,
    branch: str,
    result: str,
    run_url: str,
    *,
    commit: str = "",
    label: str = FAILURE_LABEL,
) -> TrackOutcome:
    """Open, update or close the branch's failure issue (``repo`` is a PyGithub Repository)."""
    prefix = title_prefix(branch)
    open_issues = sorted(
        (
            i
            for i in repo.get_issues(state="open", labels=[label])
            if str(i.title).startswith(prefix) and i.pull_request is None
        ),
        key=lambda i: int(i.number),
    )
    at = f" at {commit[:12]}" if commit else ""
    if result == "failure":
        if open_issues:
            issue = open_issues[0]
            issue.create_comment(f"The {branch} nightly failed again{at}: {run_url}")
            extra = f" (also open: {', '.join(f'#{i.number}' for i in open_issues[1:])})"
            return TrackOutcome(
                "commented",
                int(issue.number),
                f"commented on #{issue.number}" + (extra if len(open_issues) > 1 else ""),
            )
        body = (
            f"The nightly build of `{branch}` failed{at}.\n\n"
            f"Run: {run_url}\n\n"
            "Later failures are added here as comments; the issue closes itself when the "
            "branch's nightly succeeds again.\n"
        )
        ensure_label(repo, label)
        issue = repo.create_issue(title=issue_title(branch), body=body, labels=[label])
        return TrackOutcome("opened", int(issue.number), f"opened #{issue.number}")
    if result == "success":
        if not open_issues:
            return TrackOutcome("none", None, f"{branch} is green; no open {label} issue")
        for issue in open_issues:
            issue.create_comment(f"The {branch} nightly is green again{at}: {run_url}")
            issue.edit(state="closed", state_reason="completed")
        closed = ", ".join(f"#{i.number}" for i in open_issues)
        return TrackOutcome("closed", int(open_issues[0].number), f"closed {closed}")
    return TrackOutcome("none", None, f"result {result}: the {branch} issue is left as it is")


_BAD = ("failure", "timed_out", "cancelled", "startup_failure", "action_required")


def result_from_jobs(jobs: Iterable[Any], prefix: str) -> str:
    """``failure``/``success``/``cancelled``/``skipped`` of the jobs named ``prefix`` or
    ``prefix / ...`` (:class:`cpython_release.summary.JobTiming` objects)."""
    from cpython_release.summary import scoped_name

    mine = [j for j in jobs if scoped_name(j.name, prefix) is not None]
    if not mine:
        raise BadInput(f"no job of this run is named {prefix!r} or {prefix + ' / ...'!r}")
    conclusions = [j.conclusion for j in mine]
    if "failure" in conclusions or "timed_out" in conclusions or "startup_failure" in conclusions:
        return "failure"
    if any(c in _BAD for c in conclusions):
        return "cancelled"
    if any(j.completed_at is None for j in mine):
        raise BadInput(f"jobs named {prefix!r} are still running")
    if all(c == "skipped" for c in conclusions):
        return "skipped"
    return "success"
