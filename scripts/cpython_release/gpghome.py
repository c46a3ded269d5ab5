"""A private, temporary GnuPG home: created 0700, and on removal its agents stopped first.

Both GnuPG users (``sign.gpg``, which signs with a key that lives for one run, and
``verify.gpg``, which checks signatures against a given keyring in isolation) keep their
keys here, so neither touches the caller's own keyring or trust settings.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

GPGCONF_TIMEOUT = 60


def create_home(prefix: str) -> Path:
    """A new empty home. Keep ``prefix`` short: gpg-agent's socket lives inside it, and
    socket paths are limited in length."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o700)
    return home


def remove_home(home: Path, env: Mapping[str, str] | None = None) -> None:
    """Stop any gpg-agent/keyboxd the home started, then delete it, whatever is in it."""
    if shutil.which("gpgconf"):
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"],
            capture_output=True,
            check=False,
            timeout=GPGCONF_TIMEOUT,
            env=None if env is None else dict(env),
        )
    shutil.rmtree(home, ignore_errors=True)
