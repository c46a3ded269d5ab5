"""A throw-away OpenPGP key for rehearsals: generated in a temporary GNUPGHOME, never reused."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cpython_release.errors import BadInput


@dataclass(frozen=True)
class EphemeralKey:
    armored_secret: str = field(repr=False)
    fingerprint: str
    public_keyring: Path  # an exported public key file, for verification


def generate(
    out_dir: Path, uid: str = "CPython release rehearsal <rehearsal@invalid>"
) -> EphemeralKey:
    """Generate an ed25519 signing key; write its public half to ``out_dir/rehearsal-key.asc``."""
    gpg = shutil.which("gpg")
    if gpg is None:
        raise BadInput("gpg is not installed: install gnupg (tools/bootstrap.sh does)")
    home = Path(tempfile.mkdtemp(prefix="cpython-release-gnupg-"))
    try:
        home.chmod(0o700)
        env = {**os.environ, "GNUPGHOME": str(home)}
        base = [gpg, "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
        subprocess.run(
            [*base, "--quick-gen-key", uid, "ed25519", "sign", "1d"],
            env=env,
            check=True,
            capture_output=True,
        )
        listing = subprocess.run(
            [gpg, "--batch", "--with-colons", "--list-secret-keys"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        fingerprint = next(
            line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
        )
        secret = subprocess.run(
            [*base, "--armor", "--export-secret-keys", fingerprint],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        public = out_dir / "rehearsal-key.asc"
        public.write_text(
            subprocess.run(
                [gpg, "--batch", "--armor", "--export", fingerprint],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        return EphemeralKey(secret, fingerprint, public)
    finally:
        shutil.rmtree(home, ignore_errors=True)
