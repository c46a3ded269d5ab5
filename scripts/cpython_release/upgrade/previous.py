"""The previous release a release is checked against (``upgrade-check --from auto``).

The highest final ``vX.Y.Z`` tag of the release's own ``X.Y`` below its version, reachable
from the release commit (pre-release tags such as ``v3.13.0rc2`` never count). When there is
none, the rule is:

- ``X.Y.0`` (or one of its pre-releases): the first release of its branch, nothing to
  compare: the check is skipped, with that reason;
- ``X.Y.Z`` with Z > 0 in release mode: bad input (a shallow clone without tags, or the
  wrong commit), so a release never goes out unchecked;
- in rehearsal mode: skipped with the reason (a fork rehearsing on a demo tree has no
  earlier tag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cpython_release.errors import BadInput
from cpython_release.upgrade.gitrepo import Repo
from cpython_release.version import ReleaseVersion

#: A final release's tag, nothing before or after it (``v3.13.5``, never ``v3.13.5rc1``).
FINAL_TAG = re.compile(r"v(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Previous:
    """The previous release: ``tag``, its ``version`` and ``commit``; or none, and ``reason``
    says why the check has nothing to compare. ``notice`` flags a gap (``v3.13.4`` found
    for 3.13.6: no ``v3.13.5`` reachable)."""

    tag: str | None
    version: str | None
    commit: str | None
    reason: str = ""
    notice: str = ""


def _final_tags(repo: Repo, head_commit: str) -> list[tuple[tuple[int, int, int], str, str]]:
    """Every final-release tag reachable from ``head_commit``: ``(x, y, z), name, commit``."""
    out = repo.text(
        "for-each-ref",
        f"--merged={head_commit}",
        "--format=%(refname:strip=2) %(objectname) %(*objectname)",
        "refs/tags/",
    )
    tags = []
    for line in out.splitlines():
        name, obj, peeled = [*line.split(" "), "", ""][:3]
        m = FINAL_TAG.fullmatch(name)
        if m:
            x, y, z = (int(g) for g in m.groups())
            tags.append(((x, y, z), name, peeled or obj))  # annotated: the peeled commit
    return tags


def find_previous(
    repo: Repo, head_commit: str, version: ReleaseVersion, *, release_mode: bool, head: str
) -> Previous:
    """The previous release of ``version``'s branch before ``head_commit`` (``head``: how
    the user named it, for messages). Raises :class:`BadInput` where the rule above says a
    missing previous release is an error."""
    series = f"{version.major}.{version.minor}"
    candidates = [
        (xyz, name, commit)
        for xyz, name, commit in _final_tags(repo, head_commit)
        if xyz[:2] == (version.major, version.minor)
        and xyz[2] < version.micro
        and commit != head_commit
    ]
    if candidates:
        (_, _, z), tag, commit = max(candidates)
        notice = ""
        if z != version.micro - 1:
            notice = (
                f"{tag} is the nearest earlier release: no v{series}.{version.micro - 1} tag "
                f"is reachable from --to {head}"
            )
        return Previous(tag, tag[1:], commit, notice=notice)
    if version.micro == 0:
        why = f"{version} is the first {series} release: there is no earlier {series} release"
        return Previous(None, None, None, reason=f"{why} to compare with")
    wanted = f"v{series}.0" + (f" to v{series}.{version.micro - 1}" if version.micro > 1 else "")
    missing = f"no earlier {series} release tag ({wanted}) is reachable from --to {head}"
    if release_mode:
        raise BadInput(
            f"{missing}: cannot check the upgrade safety of {version}. Fetch the branch's "
            "history and tags (actions/checkout with fetch-depth: 0) or name the previous "
            "release with --from TAG"
        )
    return Previous(
        None,
        None,
        None,
        reason=f"{missing}: nothing to compare (a rehearsal goes on; in release mode this "
        "stops the release)",
    )
