"""``prepare VERSION --push`` after an earlier ``prepare VERSION`` without ``--push``: the
release commit and its tag are already made. Instead of refusing, the local tag is checked
(an annotated tag object named vVERSION, signed by ``$GPG_PRIVATE_KEY``'s key, on the
checked-out release commit, whose ``PY_VERSION`` is VERSION) and pushed; the command then
starts the release workflow as a first ``--push`` would.

A re-run after the push (a failed dispatch) converges: the tag already on the remote is
fine when it is the same tag object, and bad input when it is another one. Nothing here
edits the clone; the content checks (news entries, the magic number) ran when the commit
was made, and the release blockers are read again (they may have been filed since).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cpython_release.errors import BadInput
from cpython_release.patchlevel import py_version
from cpython_release.prepare import checks
from cpython_release.prepare.gitutil import git, remote_env, show, try_git
from cpython_release.prepare.tagging import Tagged, verify_tag
from cpython_release.sign.gpg import GpgKey, GpgSigner
from cpython_release.version import ReleaseVersion


def local_tag(repo: Path, version: ReleaseVersion) -> str | None:
    """The object ``refs/tags/vVERSION`` names in ``repo``, or None."""
    return try_git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{version.tag}")


def check_prepared_tag(repo: Path, version: ReleaseVersion, key: GpgKey) -> Tagged:
    """The local tag is what ``prepare`` makes: bad input naming the difference, else
    :class:`CheckFailed` (exit 1) when its signature is not good by ``key``."""
    tag = version.tag
    obj = git(repo, "rev-parse", f"refs/tags/{tag}")
    if git(repo, "cat-file", "-t", obj) != "tag":
        raise BadInput(f"{tag} in {repo} is a lightweight tag: prepare makes annotated tags")
    header = git(repo, "cat-file", "tag", obj).split("\n\n", 1)[0].splitlines()
    if f"tag {tag}" not in header:
        raise BadInput(f"refs/tags/{tag} in {repo} holds a tag object of another name")
    commit = git(repo, "rev-parse", f"{obj}^{{commit}}")
    head = git(repo, "rev-parse", "HEAD^{commit}")
    if commit != head:
        raise BadInput(
            f"tag {tag} points at {commit[:12]}, but HEAD is {head[:12]}: check out the "
            "release commit the tag names (or delete the tag and prepare again)"
        )
    said = py_version(show(repo, commit, checks.PATCHLEVEL) or "")
    if said != str(version):
        raise BadInput(
            f"tag {tag} is on a commit whose {checks.PATCHLEVEL} says PY_VERSION {said!r}, "
            f"not {str(version)!r}"
        )
    with GpgSigner(key) as signer:
        public = signer.public_key
    fingerprint = verify_tag(repo, tag, public)  # CheckFailed: unsigned, or by another key
    return Tagged(tag, commit, obj, fingerprint, public)


def remote_tag(repo: Path, remote: str, version: ReleaseVersion) -> str | None:
    """The object ``refs/tags/vVERSION`` names on ``remote`` (``git ls-remote``), or None."""
    out = git(
        repo,
        "ls-remote",
        "--tags",
        remote,
        f"refs/tags/{version.tag}",
        env=remote_env(repo, remote),
    )
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/tags/{version.tag}":
            return sha
    return None


def check_remote_branch(repo: Path, branch: str, remote: str, commit: str) -> str:
    """The branch on ``remote`` is where the release commit was made from (its parent), or
    already has the release commit itself; else what :func:`checks.check_branch_remote`
    says of the parent (behind, diverged or ahead: bad input)."""
    parent = git(repo, "rev-parse", f"{commit}^")
    if checks.remote_branch_head(repo, remote, branch) == commit:
        return f"remote: {remote}/{branch} already has the release commit"
    return checks.check_branch_remote(repo, branch, remote, head=parent)


def resume(
    repo: Path,
    version: ReleaseVersion,
    key: GpgKey | None,
    remote: str,
    blockers: checks.BlockerSource | None,
    log: Callable[[str], None],
) -> tuple[str, Tagged, str | None, list[str]]:
    """Every check of a resumed push, before anything is pushed: the branch, the previous
    ``PY_VERSION`` (the release commit's parent), the checked tag, the tag object already on
    the remote (None: not there yet) and the report's lines."""
    branch = checks.check_branch(repo, version)
    checks.check_clean(repo)
    if key is None:
        raise BadInput(
            f"tag {version.tag} exists from an earlier prepare: --push checks that it is signed "
            "by the release manager's key: set $GPG_PRIVATE_KEY (and $GPG_PASSPHRASE)"
        )
    git(repo, "remote", "get-url", remote)  # bad input when there is no such remote
    tagged = check_prepared_tag(repo, version, key)
    theirs = remote_tag(repo, remote, version)
    if theirs is not None and theirs != tagged.tag_object:
        raise BadInput(
            f"tag {version.tag} on {remote} is another tag object ({theirs[:12]}) than the "
            f"local one ({tagged.tag_object[:12]}): refusing to replace it"
        )
    base = py_version(show(repo, f"{tagged.commit}^", checks.PATCHLEVEL) or "") or "?"
    lines = [
        f"resumed: tag {tagged.tag} from an earlier prepare, on HEAD {tagged.commit[:12]}, "
        f"PY_VERSION {version}, signature good (key {tagged.signed_by[-16:]})",
        check_remote_branch(repo, branch, remote, tagged.commit),
        checks.check_blockers(version, blockers),
    ]
    if theirs is not None:
        lines.append(f"tag {tagged.tag} is already on {remote} (the same tag object)")
    for line in lines:
        log(line)
    return base, tagged, theirs, lines
