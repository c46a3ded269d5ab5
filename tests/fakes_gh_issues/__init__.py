"""Local fakes of the GitHub issues/releases/actions API and of the buildbot API (127.0.0.1)."""

from fakes_gh_issues.fake_buildbot import FakeBuildbot
from fakes_gh_issues.fake_github import FakeGitHub

__all__ = ["FakeBuildbot", "FakeGitHub"]
