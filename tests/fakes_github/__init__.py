"""A local fake of the GitHub REST API (releases and assets) for PyGithub-based tests."""

from fakes_github.server import (
    MAX_ASSETS,
    FakeAsset,
    FakeGitHub,
    FakeRelease,
    FakeRepo,
    Fault,
    GitHubState,
    Logged,
    github_asset_name,
    start_server,
)

__all__ = [
    "MAX_ASSETS",
    "FakeAsset",
    "FakeGitHub",
    "FakeRelease",
    "FakeRepo",
    "Fault",
    "GitHubState",
    "Logged",
    "github_asset_name",
    "start_server",
]
