"""``prepare``: every check first, then the edits, one commit and the tag; all or nothing.

Bad input (exit 2) and failed checks (exit 1) are found before the clone is touched. If a
step fails after the edits began, the clone is put back where it was (the branch head, the
index and the work tree; the tree was clean to begin with).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cpython_release.errors import BadInput, CheckFailed, ReleaseError
from cpython_release.phase import Phase, ReleaseCycle
from cpython_release.prepare import checks, edits, resume, steps
from cpython_release.prepare.gitutil import git, remote_env
from cpython_release.prepare.tagging import Tagged, commit_release, committer_ident, make_tag
from cpython_release.sign.gpg import GpgKey
from cpython_release.version import ReleaseVersion


@dataclass
class PrepareResult:
    version: str
    branch: str
    previous_py_version: str
    entries: list[str]
    lines: list[str] = field(default_factory=list)
    tagged: Tagged | None = None
    pushed: str = ""
    dispatched: str = ""  # "WORKFLOW on REF" once the release workflow was started
    resumed: bool = False  # the commit and the tag came from an earlier prepare

    def to_dict(self) -> dict[str, Any]:
        t = self.tagged
        return {
            "version": self.version,
            "tag": t.tag if t else None,
            "commit": t.commit if t else None,
            "tag_object": t.tag_object if t else None,
            "signed_by": (t.signed_by or None) if t else None,
            "branch": self.branch,
            "previous_py_version": self.previous_py_version,
            "news_entries": self.entries,
            "steps": self.lines,
            "pushed": self.pushed or None,
            "dispatched": self.dispatched or None,
            "resumed": self.resumed,
        }

    def text(self) -> str:
        t = self.tagged
        done = "pushed the tag an earlier prepare made for" if self.resumed else "prepared"
        head = [
            f"{done} {self.version} on {self.branch} (was PY_VERSION {self.previous_py_version!r})"
        ]
        if t:
            how = f"signed by {t.signed_by}" if t.signed_by else "UNSIGNED (no $GPG_PRIVATE_KEY)"
            head.append(f"tag {t.tag} -> {t.commit} ({how})")
        return "\n".join([*head, *(f"  {line}" for line in self.lines)])

    def json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def release_phase(version: ReleaseVersion, release_cycle: str | None) -> tuple[Phase | None, str]:
    try:
        # what plan reads: the live data, else the bundled snapshot with a loud notice
        cycle, notice = ReleaseCycle.load_live(release_cycle)
        line = f"phase: {cycle.phase_of(version)} ({cycle.source})"
        return cycle.phase_of(version), line + (f"; NOTICE: {notice}" if notice else "")
    except BadInput as exc:
        return None, f"phase: UNKNOWN ({exc})"


def prepare(
    repo: Path,
    version: ReleaseVersion,
    *,
    release_cycle: str | None = None,
    blockers: checks.BlockerSource | None = None,
    key: GpgKey | None = None,
    require_signed: bool = False,
    push_remote: str | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> PrepareResult:
    """Check, edit, commit and tag ``version`` in ``repo`` (see the module docstring)."""
    if version.is_nightly:
        raise BadInput("prepare makes a release: a nightly version has no tag")
    repo = checks.check_repo(repo)
    if push_remote is not None and resume.local_tag(repo, version) is not None:
        return _resume_push(repo, version, key, push_remote, blockers, log)
    steps.require_tools()
    committer_ident(repo)
    branch = checks.check_branch(repo, version)
    checks.check_tag_absent(repo, version)  # first: after a local prepare, say how to push
    base = checks.check_next_version(repo, version)
    checks.check_clean(repo)
    checks.check_no_symlinks(repo)
    entries = checks.check_news(repo, version)
    if require_signed and key is None:
        raise BadInput(
            "a pushed release tag must be signed: set $GPG_PRIVATE_KEY (and $GPG_PASSPHRASE) "
            "to the release manager's key"
        )
    if push_remote is not None:
        git(repo, "remote", "get-url", push_remote)  # bad input when there is no such remote
        checks.check_remote_tag_absent(repo, push_remote, version)
    remote_line = checks.check_branch_remote(repo, branch, push_remote)
    result = PrepareResult(str(version), branch, base, entries)
    phase, phase_line = release_phase(version, release_cycle)
    for line in (
        phase_line,
        remote_line,
        checks.check_magic_number(repo, version, phase),
        checks.check_blockers(version, blockers),
    ):
        result.lines.append(line)
        log(line)

    start = git(repo, "rev-parse", "HEAD^{commit}")
    try:
        for step in _edits(repo, version):
            line = step()
            result.lines.append(line)
            log(line)
        commit = commit_release(repo, version)
        result.tagged = make_tag(repo, version, commit, key)
    except BaseException:
        _restore(repo, branch, start)
        raise
    if push_remote is not None:
        _push_tag(repo, push_remote, version, result.tagged)
        result.pushed = f"{push_remote} refs/tags/{version.tag}"
        result.lines.append(f"pushed tag {version.tag} to {push_remote}")
        log(result.lines[-1])
    return result


def _resume_push(
    repo: Path,
    version: ReleaseVersion,
    key: GpgKey | None,
    remote: str,
    blockers: checks.BlockerSource | None,
    log: Callable[[str], None],
) -> PrepareResult:
    """The tag an earlier ``prepare`` made: checked, then pushed unless the remote has it."""
    base, tagged, on_remote, lines = resume.resume(repo, version, key, remote, blockers, log)
    # (resume checked that the release branch is checked out)
    result = PrepareResult(str(version), version.branch, base, [], lines, tagged, resumed=True)
    if on_remote is None:
        _push_tag(repo, remote, version, tagged)
        result.lines.append(f"pushed tag {version.tag} to {remote}")
        log(result.lines[-1])
    result.pushed = f"{remote} refs/tags/{version.tag}"
    return result


def _push_tag(repo: Path, remote: str, version: ReleaseVersion, tagged: Tagged) -> None:
    """Push only the tag; a failure (after the commit and the tag were made) is exit 1
    saying what was done and how to finish by hand."""
    ref = f"refs/tags/{version.tag}"
    done = subprocess.run(
        ["git", "-C", str(repo), "push", "--quiet", remote, ref],
        env=remote_env(repo, remote),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CheckFailed(
            f"pushing {version.tag} to {remote} failed after the release commit and the tag "
            "were made",
            [
                (done.stderr.strip() or "git push failed").splitlines()[-1],
                f"done: commit {tagged.commit} on the branch, tag {version.tag}",
                f"to finish by hand: git -C {repo} push {remote} {ref}",
            ],
        )


def _edits(repo: Path, version: ReleaseVersion) -> list[Callable[[], str]]:
    def patchlevel() -> str:
        path = repo / checks.PATCHLEVEL
        path.write_bytes(edits.set_patchlevel(path.read_bytes().decode(), version).encode())
        return f"{checks.PATCHLEVEL}: PY_VERSION {version!s}"

    def readme() -> str:
        path = repo / "README.rst"
        if not path.is_file():
            return "README.rst: none in this tree"
        path.write_bytes(edits.set_readme(path.read_bytes().decode(), version).encode())
        return f"README.rst: This is Python version {edits.long_name(version)}"

    def docs() -> str:
        word = edits.doc_version(version)
        changed = edits.substitute_next_in_docs(repo, word)
        if not changed:
            return "versionadded/changed/removed:: next: none in Doc/"
        return f"'next' -> {word} in {len(changed)} file(s): {', '.join(changed)}"

    return [
        lambda: steps.blurb_release(repo, version),
        lambda: steps.pydoc_topics(repo, version),
        patchlevel,
        readme,
        docs,
        lambda: steps.regen_configure(repo, version),
    ]


def _restore(repo: Path, branch: str, start: str) -> None:
    """Back to ``start`` on ``branch``; the tree was clean before, so nothing else is lost."""
    subprocess.run(
        ["git", "-C", str(repo), "update-ref", f"refs/heads/{branch}", start], check=False
    )
    subprocess.run(["git", "-C", str(repo), "reset", "--quiet", "--hard", start], check=False)
    subprocess.run(["git", "-C", str(repo), "clean", "--quiet", "-fd"], check=False)


def github_blockers(repository: str, api_url: str, token: str | None) -> checks.BlockerSource:
    """The ``blockers`` command's data source (open ``release-blocker`` issues that apply to
    the release), read once with no retries: unreachable means "not checked"."""

    def source(version: ReleaseVersion) -> list[str]:
        from cpython_release.blockers import (
            classify,
            fetch_release_blockers,
            github_client,
            github_error,
        )

        try:
            repo = github_client(api_url, token, retries=0).get_repo(repository)
            blocking, _ = classify(fetch_release_blockers(repo), version)
        except ReleaseError:
            raise
        except Exception as exc:  # any failure to read means "not checked", said loudly
            why = github_error(exc, f"listing release blockers of {repository}")
            raise checks.BlockersUnreadable(str(why)) from exc
        return [f"{issue.line()} [{why}]" for issue, why in blocking]

    return source


def report_blockers(path: Path) -> checks.BlockerSource:
    """Offline: the JSON report of ``cpython-release blockers --format json``."""

    def source(version: ReleaseVersion) -> list[str]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the blockers report {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != str(version):
            raise BadInput(f"the blockers report {path} is not for {version}")
        return [str(p) for p in data.get("problems", [])]

    return source
