"""The release commit and its annotated tag ``vVERSION``, GPG-signed with the release
manager's key when one is given (``$GPG_PRIVATE_KEY``, ``$GPG_PASSPHRASE``: the same secrets
the sign stage reads).

The signed tag is written the way ``git tag -s`` writes one: the tag object's text, then the
armored detached signature of that text; ``git mktag`` checks the object and ``git verify-tag``
verifies it. The key lives only in a temporary GNUPGHOME (:class:`GpgSigner`), so no
gpg-agent or keyring of the machine is used or left behind.

Verify a pushed tag with the release manager's public key::

    gpg --import KEY.asc && git verify-tag --raw vVERSION   # VALIDSIG <fingerprint>

:func:`verify_tag` does the same in a throw-away GNUPGHOME holding only the given key (what
the full rehearsal and the tests run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.prepare.gitutil import git, try_git
from cpython_release.sign.gpg import GpgKey, GpgSigner
from cpython_release.version import ReleaseVersion


@dataclass(frozen=True)
class Tagged:
    tag: str
    commit: str
    tag_object: str
    signed_by: str  # the key's fingerprint, or "" for an unsigned tag
    public_key: str  # the armored public key that verifies it ("" when unsigned)


def committer_ident(repo: Path) -> str:
    """``Name <email>`` git will commit as; bad input when git has none."""
    ident = subprocess.run(
        ["git", "-C", str(repo), "var", "GIT_COMMITTER_IDENT"],
        capture_output=True,
        text=True,
        check=False,
    )
    if ident.returncode:
        raise BadInput(
            "git has no committer identity for the release commit: set user.name and "
            "user.email (or GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL)"
        )
    return ident.stdout.strip()


def commit_release(repo: Path, version: ReleaseVersion) -> str:
    """Commit everything the edits changed as ``Python VERSION``; the new commit."""
    git(repo, "add", "--all")
    git(
        repo,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"Python {version}",
    )
    return git(repo, "rev-parse", "HEAD^{commit}")


def _tag_text(commit: str, tag: str, tagger: str, message: str) -> str:
    return f"object {commit}\ntype commit\ntag {tag}\ntagger {tagger}\n\n{message}\n"


def make_tag(repo: Path, version: ReleaseVersion, commit: str, key: GpgKey | None) -> Tagged:
    """Create ``refs/tags/vVERSION`` on ``commit``: annotated, and signed when ``key``."""
    tag = version.tag
    text = _tag_text(commit, tag, committer_ident(repo), f"Python {version}")
    fingerprint = public = ""
    if key is not None:
        with GpgSigner(key) as signer, tempfile.TemporaryDirectory(prefix="cr-tag-") as tmp:
            body = Path(tmp) / "tag"
            body.write_bytes(text.encode("utf-8"))
            text += signer.sign(body).read_text(encoding="ascii")
            fingerprint, public = signer.fingerprint, signer.public_key
    obj = git(repo, "mktag", stdin=text)
    git(repo, "update-ref", f"refs/tags/{tag}", obj, "")  # "" = only if absent
    return Tagged(tag, commit, obj, fingerprint, public)


def verify_tag(repo: Path, tag: str, public_key: str) -> str:
    """Check ``tag`` carries a good signature by ``public_key`` (armored); returns the
    signing key's fingerprint. Runs ``git verify-tag`` in a throw-away GNUPGHOME holding
    only that key, so no other key on the machine can make it pass."""
    gpg = shutil.which("gpg")
    if gpg is None:
        raise BadInput("verifying a tag needs gpg")
    home = Path(tempfile.mkdtemp(prefix="cr-vtag-"))
    try:
        home.chmod(0o700)
        env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}
        imported = subprocess.run(
            [gpg, "--batch", "--import"], input=public_key, env=env, capture_output=True, text=True
        )
        if imported.returncode:
            raise BadInput(f"cannot import the public key: {imported.stderr.strip()}")
        done = subprocess.run(
            ["git", "-C", str(repo), "verify-tag", "--raw", tag],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        valid = [
            line.split()[2]
            for line in done.stderr.splitlines()
            if line.startswith("[GNUPG:] VALIDSIG ")
        ]
        if done.returncode or not valid:
            status = done.stderr
            if "[GNUPG:] BADSIG " in status:
                why = "a bad signature (the tag was changed after signing)"
            elif "[GNUPG:] NO_PUBKEY " in status or "[GNUPG:] ERRSIG " in status:
                why = "signed by an unknown key (not the given one)"
            elif "-----BEGIN PGP SIGNATURE-----" in (try_git(repo, "cat-file", "tag", tag) or ""):
                why = "a signature that does not verify"
            else:
                why = "unsigned tag"
            raise CheckFailed(f"tag {tag} has no good signature by the given key", [why])
        return valid[0]
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
