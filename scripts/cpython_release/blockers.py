"""Release blockers: open ``release-blocker`` issues for the release, and failing buildbots.

An open issue (or pull request) labelled ``release-blocker`` blocks a release of version V
when it is scoped to V's branch or to nothing at all:

- it carries a version label (CPython labels issues with the branches they affect:
  ``3.14``, ``3.15``) and one of them is V's ``X.Y``; or
- its milestone is named after V or V's ``X.Y`` (``3.15``, ``3.15.0a2``, ``v3.15.0a2``,
  ``Python 3.15.0a2``); or
- it has neither a version label nor a version milestone: a blocker nobody scoped blocks
  every release (the safe reading).

Issues scoped only to other branches are reported as ignored, so the log shows they were seen.
Open ``deferred-blocker`` issues of the branch are listed too, as a reminder: they do not
block this release but become blockers of the next one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cpython_release.buildbot import BuildbotReport
from cpython_release.errors import BadInput, ReleaseError
from cpython_release.version import ReleaseVersion

LABEL = "release-blocker"
DEFERRED_LABEL = "deferred-blocker"
DEFAULT_GITHUB_API = "https://api.github.com"
CPYTHON = "python/cpython"

_VERSION_LABEL = re.compile(r"\d+\.\d+")
_MILESTONE = re.compile(r"(?:python\s+)?v?(\d+\.\d+)((?:\.\d+)(?:(?:a|b|rc)\d+)?)?", re.IGNORECASE)
_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")


def default_github_api() -> str:
    """``$GITHUB_API_URL`` (set by Actions, also on GitHub Enterprise), else api.github.com."""
    return os.environ.get("GITHUB_API_URL") or DEFAULT_GITHUB_API


def check_repository(name: str) -> str:
    if not _REPOSITORY.fullmatch(name or ""):
        raise BadInput(f"--repository must be OWNER/REPO, got {name!r}")
    return name


@dataclass(frozen=True)
class IssueRef:
    """The parts of a GitHub issue the checks need (also built from PyGithub objects)."""

    number: int
    title: str
    url: str
    labels: tuple[str, ...]
    milestone: str | None
    pull_request: bool = False

    @property
    def kind(self) -> str:
        return "PR" if self.pull_request else "issue"

    def line(self) -> str:
        return f"{self.kind} #{self.number}: {self.title} ({self.url})"


def issue_ref(issue: Any) -> IssueRef:
    """An :class:`IssueRef` from a PyGithub ``Issue``."""
    return IssueRef(
        number=int(issue.number),
        title=str(issue.title),
        url=str(issue.html_url),
        labels=tuple(str(label.name) for label in issue.labels),
        milestone=str(issue.milestone.title) if issue.milestone is not None else None,
        pull_request=issue.pull_request is not None,
    )


def scope(issue: IssueRef, version: ReleaseVersion) -> tuple[bool, str]:
    """Whether ``issue`` blocks ``version``, and why."""
    minor = version.minor_version
    version_labels = sorted(lab for lab in issue.labels if _VERSION_LABEL.fullmatch(lab))
    milestone = _MILESTONE.fullmatch(issue.milestone.strip()) if issue.milestone else None
    if minor in version_labels:
        return True, f"labelled {minor}"
    if milestone is not None:
        m_minor, rest = milestone.group(1), milestone.group(2)
        if m_minor == minor and (not rest or f"{m_minor}{rest}" == f"{version.xyz}{version.pre}"):
            return True, f"milestone {issue.milestone}"
    if not version_labels and milestone is None:
        return True, "not scoped to a branch"
    where = ", ".join(version_labels) or f"milestone {issue.milestone}"
    return False, f"scoped to {where}"


@dataclass
class BlockerReport:
    repository: str
    version: ReleaseVersion
    blocking: list[tuple[IssueRef, str]] = field(default_factory=list)
    ignored: list[tuple[IssueRef, str]] = field(default_factory=list)
    deferred: list[tuple[IssueRef, str]] = field(default_factory=list)
    buildbot: BuildbotReport | None = None
    buildbot_skipped: str = ""
    # why the issues could not be listed (a fork with Issues turned off): a problem, since
    # "no blockers" cannot be claimed, which --allow-blockers overrides like any other
    issues_unchecked: str = ""

    def problems(self) -> list[str]:
        out = [self.issues_unchecked] if self.issues_unchecked else []
        out += [f"{issue.line()} [{why}]" for issue, why in self.blocking]
        if self.buildbot is not None:
            out += [f"buildbot {s.describe()}" for s in self.buildbot.failing]
        return out

    def to_dict(self) -> dict[str, Any]:
        def issue_dict(issue: IssueRef, why: str) -> dict[str, Any]:
            return {
                "number": issue.number,
                "title": issue.title,
                "url": issue.url,
                "kind": issue.kind,
                "labels": list(issue.labels),
                "milestone": issue.milestone,
                "reason": why,
            }

        return {
            "repository": self.repository,
            "version": str(self.version),
            "branch": self.version.branch,
            "label": LABEL,
            "blocking_issues": [issue_dict(i, w) for i, w in self.blocking],
            "ignored_issues": [issue_dict(i, w) for i, w in self.ignored],
            "deferred_issues": [issue_dict(i, w) for i, w in self.deferred],
            "buildbot": self.buildbot.to_dict() if self.buildbot else None,
            "buildbot_skipped": self.buildbot_skipped or None,
            "problems": self.problems(),
        }

    def markdown(self, *, overridden: bool) -> str:
        head = f"### Release blockers for {self.version} ({self.repository})\n\n"
        problems = self.problems()
        if not problems:
            body = "No release blockers.\n"
        elif overridden:
            body = f"**{len(problems)} release blocker(s) OVERRIDDEN with allow-blockers:**\n\n"
        else:
            body = f"**{len(problems)} release blocker(s) stop this run:**\n\n"
        body += "".join(f"- {p}\n" for p in problems)
        if self.deferred:
            body += f"\n{len(self.deferred)} deferred blocker(s), blocking the next release:\n"
            body += "".join(f"- {issue.line()}\n" for issue, _ in self.deferred)
        if self.buildbot_skipped:
            body += f"\nBuildbot check skipped: {self.buildbot_skipped}\n"
        elif self.buildbot is not None:
            body += (
                f"\nBuildbot: {len(self.buildbot.statuses)} stable builders tagged "
                f"{self.buildbot.tag}, {len(self.buildbot.failing)} failing.\n"
            )
            if self.buildbot.note:
                body += f"({self.buildbot.note})\n"
        return head + body


def classify(
    issues: Iterable[IssueRef], version: ReleaseVersion
) -> tuple[list[tuple[IssueRef, str]], list[tuple[IssueRef, str]]]:
    blocking: list[tuple[IssueRef, str]] = []
    ignored: list[tuple[IssueRef, str]] = []
    for issue in sorted(issues, key=lambda i: i.number):
        applies, why = scope(issue, version)
        (blocking if applies else ignored).append((issue, why))
    return blocking, ignored


def github_client(api_url: str, token: str | None, *, retries: int = 3) -> Any:
    """A PyGithub client for ``api_url`` (``https://api.github.com`` or a test server).

    No request throttling: these commands make a handful of calls per run.
    """
    from github import Auth, Github, GithubRetry

    from cpython_release.http import USER_AGENT
    from cpython_release.secure_url import check_credential_url

    if token:  # never sent in clear text (plain http only to loopback)
        check_credential_url(api_url, "GitHub API")

    retry = GithubRetry(total=retries, backoff_factor=1.0) if retries > 0 else None
    return Github(
        base_url=api_url.rstrip("/"),
        auth=Auth.Token(token) if token else None,
        retry=retry,
        lazy=True,
        timeout=30,
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=None,
        user_agent=USER_AGENT,
    )


def github_error(exc: Exception, what: str) -> ReleaseError:
    """A :class:`BadInput` (exit 2) describing a failed GitHub call, or
    :class:`~cpython_release.errors.Unreachable` (exit 1) when GitHub could not be reached."""
    from github import GithubException

    from cpython_release.http import is_unreachable, unreachable

    if is_unreachable(exc):
        return unreachable(f"the GitHub API while {what}", exc)
    if isinstance(exc, GithubException):
        message = exc.data.get("message", "") if isinstance(exc.data, dict) else str(exc.data)
        hint = ""
        if exc.status == 401:
            hint = " (is GITHUB_TOKEN valid?)"
        elif exc.status == 403:
            hint = " (missing permission or rate limited)"
        return BadInput(f"GitHub API error while {what}: HTTP {exc.status} {message}{hint}")
    return BadInput(f"cannot read the GitHub API while {what}: {exc}")


def fetch_release_blockers(repo: Any, label: str = LABEL) -> list[IssueRef]:
    """Every open issue and PR with ``label`` (all pages)."""
    return [issue_ref(i) for i in repo.get_issues(state="open", labels=[label])]
