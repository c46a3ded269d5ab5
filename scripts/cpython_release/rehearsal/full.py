"""``rehearse --full``: prepare -> release -> finish, with no network.

Before the usual pipes, ``prepare`` makes the release commit and the tag (signed with the
rehearsal's ephemeral key, then checked with ``git verify-tag`` against that key alone) in a
clone of its own: the embedded demo repository one fix past v3.13.5 (news entries in
``Misc/NEWS.d/next``), or a clone of ``--repo`` (a real CPython clone whose branch is past its
last tag; the original is never changed). After ``verify``, ``finish`` makes the post-release
branch, its pull request body and the draft announcement from the signed manifest, all under
the work directory (nothing is pushed).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from cpython_release.errors import BadInput
from cpython_release.rehearsal.pipeline import PIPES, Rehearsal

#: The demo's last release; ``--full`` releases the one after it.
FULL_BASE = "3.13.5"
FULL_DEFAULT = "3.13.6"


def _clone(r: Rehearsal) -> None:
    """The repository prepare works in: a fresh demo, or a clone of ``--repo`` on its
    checked-out branch (tags included)."""
    target = r.workdir / "cpython"
    if r.repo is None:
        from cpython_release.demo_repo import make_demo_repo

        base = FULL_BASE
        if str(r.version) != FULL_DEFAULT:
            raise BadInput(
                f"rehearse --full on the demo repository releases {FULL_DEFAULT} (the demo is "
                f"one fix past v{base}); give --repo for another version"
            )
        make_demo_repo(target, base, past_tag=True)
        branch = r.version.branch
    else:
        branch = subprocess.run(
            ["git", "-C", str(r.repo), "symbolic-ref", "--quiet", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not branch:
            raise BadInput(f"{r.repo} has a detached HEAD: check out the release branch")
        done = subprocess.run(
            ["git", "clone", "--quiet", "--branch", branch, str(r.repo), str(target)],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise BadInput(f"cannot clone {r.repo}: {done.stderr.strip()}")
    for args in (
        ["checkout", "--quiet", branch],
        ["config", "user.name", "Release Rehearsal"],
        ["config", "user.email", "rehearsal@invalid"],
    ):
        subprocess.run(["git", "-C", str(target), *args], check=True, capture_output=True)
    r.repo = target


def pipe_prepare(r: Rehearsal) -> str:
    from cpython_release.prepare.run import prepare
    from cpython_release.prepare.tagging import verify_tag
    from cpython_release.rehearsal.ephemeral_gpg import generate
    from cpython_release.sign.gpg import GpgKey

    _clone(r)
    assert r.repo is not None
    key = generate(r.workdir)
    r.key = key
    result = prepare(
        r.repo,
        r.version,
        release_cycle=r.release_cycle,
        blockers=None,  # offline: the rehearsal reads no issue tracker
        key=GpgKey(key.armored_secret),
        log=r.log,
    )
    assert result.tagged is not None
    r.commit = result.tagged.commit
    signer = verify_tag(r.repo, result.tagged.tag, key.public_keyring.read_text())
    r.results["prepare"] = {**result.to_dict(), "tag_verified_by": signer}
    return (
        f"{result.tagged.tag} = {r.commit[:12]} in {r.repo}, signature verified "
        f"(key {signer[-16:]}); {len(result.entries)} news entries"
    )


def pipe_finish(r: Rehearsal) -> str:
    from cpython_release.finish.announce import discourse_post, email, security_fixes
    from cpython_release.finish.changes import make_changes

    assert r.repo is not None and r.manifest is not None
    out = r.workdir / "finish"
    out.mkdir()
    changes = make_changes(r.repo, r.version)
    for c in changes:
        (out / f"pr-{c.head}.md").write_text(f"# {c.title}\n\n{c.body}")
    fixes = security_fixes(r.repo, r.version)
    (out / "announcement-discourse.md").write_text(
        discourse_post(r.version, r.manifest, fixes, "https://www.python.org")
    )
    (out / "announcement-email.txt").write_text(email(r.version, r.manifest, fixes))
    r.results["finish"] = [c.to_dict() for c in changes]
    heads = ", ".join(f"{c.head} -> {c.base or '(new)'}" for c in changes)
    return f"{heads}; PR bodies and the draft announcement in {out}"


FULL_PIPES: list[tuple[str, Callable[[Rehearsal], str]]] = [
    ("prepare", pipe_prepare),
    *[(name, pipe) for name, pipe in PIPES if name != "source"],
    ("finish", pipe_finish),
]
