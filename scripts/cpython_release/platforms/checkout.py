"""Before building: the checked-out tree must be the commit the release tag names."""

from __future__ import annotations

from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.plan import check_commit
from cpython_release.platforms.runner import CommandRunner
from cpython_release.version import ReleaseVersion


def verify_tag(runner: CommandRunner, source: Path, version: ReleaseVersion, commit: str) -> str:
    """Check that ``v<version>^{commit}`` and ``HEAD`` are both ``commit``.

    A checkout by SHA usually has no tags, so a missing tag is fetched (shallowly) once.
    Returns the commit; raises :class:`CheckFailed` naming both SHAs on a mismatch.
    """
    commit = check_commit(commit)
    if not source.is_dir():
        raise BadInput(f"no such checkout: {source}")
    if version.is_nightly:
        # a nightly has no tag: it is the branch commit the checkout must be at
        head = runner.run(["git", "rev-parse", "HEAD"], cwd=source, capture=True).stdout.strip()
        if head != commit:
            raise CheckFailed(
                f"{source} is not the nightly's commit",
                [f"the checkout is at {head or '(nothing)'}, expected {commit}"],
            )
        return commit
    tag_ref = f"refs/tags/{version.tag}"
    rev = ["git", "rev-parse", "--verify", "--quiet", f"{tag_ref}^{{commit}}"]
    found = runner.run(rev, cwd=source, capture=True, check=False)
    if not found.ok:
        fetch = ["git", "fetch", "--no-tags", "--depth=1", "origin", f"+{tag_ref}:{tag_ref}"]
        fetched = runner.run(fetch, cwd=source, capture=True, check=False)
        found = runner.run(rev, cwd=source, capture=True, check=False)
        if not found.ok:
            # say why: git's own reason (no such ref on origin, not a repository, no network)
            said = (fetched.stderr or fetched.stdout).strip().splitlines()
            reason = [ln for ln in said if ln.startswith(("fatal:", "error:"))] or said[-3:]
            raise CheckFailed(
                f"tag {version.tag} does not exist in {source}, and fetching it from origin "
                f"failed (exit status {fetched.returncode})"
                if not fetched.ok
                else f"tag {version.tag} does not exist in {source} nor on origin",
                [line for line in reason if line] or ["git gave no reason"],
            )
    tagged = found.stdout.strip()
    head = runner.run(["git", "rev-parse", "HEAD"], cwd=source, capture=True).stdout.strip()
    problems = []
    if tagged != commit:
        problems.append(f"{version.tag} points to {tagged or '(nothing)'}, expected {commit}")
    if head != commit:
        problems.append(f"the checkout is at {head or '(nothing)'}, expected {commit}")
    if problems:
        raise CheckFailed(f"{source} is not the tagged release commit", problems)
    return commit
