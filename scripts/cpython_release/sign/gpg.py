"""Armored, detached GnuPG signatures (``F.asc``) with a key that lives only for one run.

The secret key comes in as text (a CI secret in an environment variable). It is imported
into a fresh temporary ``GNUPGHOME`` that is deleted afterwards, whatever happens. The key
and its passphrase go to gpg through stdin only: never on a command line, never in a log,
never in an error message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.gpghome import create_home, remove_home

KEY_ENV = "GPG_PRIVATE_KEY"
PASSPHRASE_ENV = "GPG_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
TIMEOUT = 600


@dataclass(frozen=True)
class GpgKey:
    """An armored secret key and its passphrase; ``repr`` never shows either."""

    armored: str = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> GpgKey | None:
        env = os.environ if environ is None else environ
        armored = env.get(KEY_ENV, "")
        if not armored.strip():
            return None
        return cls(armored, env.get(PASSPHRASE_ENV) or None)


class GpgSigner:
    """Context manager: import the key on enter, delete the keyring on exit."""

    def __init__(self, key: GpgKey, *, gpg: str = "gpg") -> None:
        self._key = key
        self._gpg = gpg
        self.home: Path | None = None
        self.fingerprint = ""
        self.public_key = ""  # armored, exported after import: verifiers name this key

    # --- lifetime -------------------------------------------------------------------
    def __enter__(self) -> GpgSigner:
        if shutil.which(self._gpg) is None:
            raise BadInput(f"GPG signing asked for, but {self._gpg!r} is not installed")
        self.home = create_home("cr-gnupg-")
        # The agent re-derives the key's protection on every signature; in a private home
        # that is deleted at the end of the run a cheap derivation costs nothing in safety
        # and saves about a second per file on a busy runner.
        (self.home / "gpg-agent.conf").write_text("s2k-count 65536\n", encoding="ascii")
        try:
            self._import()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        home, self.home = self.home, None
        if home is None:
            return
        remove_home(home, self._env(home))

    # --- gpg plumbing -----------------------------------------------------------------
    def _env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in (KEY_ENV, PASSPHRASE_ENV)}
        env["GNUPGHOME"] = str(home)
        env["LC_ALL"] = "C"
        return env

    def _run(self, args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        if self.home is None:
            raise RuntimeError("GpgSigner used outside its with-block")
        return subprocess.run(
            [self._gpg, "--homedir", str(self.home), "--batch", "--no-tty", *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT,
            env=self._env(self.home),
        )

    def _scrub(self, text: str) -> str:
        """gpg's messages, with anything secret cut out (belt and braces)."""
        return scrub_secret_text(text, self._key.armored, self._key.passphrase)

    def _import(self) -> None:
        done = self._run(["--import"], stdin=self._key.armored)
        if done.returncode != 0:
            raise BadInput(
                f"cannot import the GPG key from ${KEY_ENV}: " + self._scrub(done.stderr).strip()
            )
        listing = self._run(["--with-colons", "--list-secret-keys"])
        fprs = []
        expect_fpr = False
        for line in listing.stdout.splitlines():
            fields = line.split(":")
            if fields[0] == "sec":
                expect_fpr = True
            elif fields[0] == "fpr" and expect_fpr:
                fprs.append(fields[9])
                expect_fpr = False
        if not fprs:
            raise BadInput(f"${KEY_ENV} holds no secret key (a public key only?)")
        if len(fprs) > 1:
            raise BadInput(f"${KEY_ENV} holds {len(fprs)} secret keys; give exactly one")
        self.fingerprint = fprs[0]
        exported = self._run(["--armor", "--export", self.fingerprint])
        if exported.returncode != 0 or "PUBLIC KEY" not in exported.stdout:
            raise BadInput("cannot export the public key of the GPG signing key")
        self.public_key = exported.stdout

    # --- signing ----------------------------------------------------------------------
    def sign(self, path: Path) -> Path:
        """Write ``path.asc`` (armored, detached) and check it; returns the .asc path."""
        out = path.with_name(path.name + ".asc")
        tmp = path.with_name(path.name + ".asc.tmp")
        args = [
            "--yes",
            "--pinentry-mode",
            "loopback",
            "--local-user",
            self.fingerprint,
            "--armor",
            "--detach-sign",
            "--output",
            str(tmp),
        ]
        stdin = ""
        if self._key.passphrase is not None:
            args += ["--passphrase-fd", "0"]
            stdin = self._key.passphrase + "\n"
        done = self._run([*args, "--", str(path)], stdin=stdin)
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise CheckFailed(f"gpg could not sign {path.name}", [self._scrub(done.stderr)])
        try:
            self.verify(path, tmp)
        except CheckFailed:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(out)
        return out

    def verify(self, path: Path, signature: Path) -> None:
        """Check ``signature`` is a good signature of ``path`` by this run's key."""
        done = self._run(["--status-fd", "1", "--verify", "--", str(signature), str(path)])
        # VALIDSIG <signing key fpr> ... <primary key fpr>: a subkey may have signed.
        valid = any(
            line.startswith("[GNUPG:] VALIDSIG ") and self.fingerprint in line.split()[2:]
            for line in done.stdout.splitlines()
        )
        if done.returncode != 0 or not valid:
            raise CheckFailed(
                f"the GPG signature of {path.name} does not verify",
                [self._scrub(done.stderr).strip() or "no VALIDSIG from gpg"],
            )


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{16,}")


def scrub_secret_text(text: str, armored: str, passphrase: str | None) -> str:
    """``text`` with every piece of the key material and the passphrase cut out.

    gpg quotes a malformed armor header or line verbatim ("invalid armor header: lFgE…"), so
    removing the whole armored text is not enough: every non-empty line of the key, and any
    base64 run of 16 or more characters that occurs in the key, is redacted wherever it appears.
    """
    secrets = {passphrase, armored} if passphrase else {armored}
    compact = "".join(armored.split())
    for line in armored.splitlines():
        line = line.strip()
        if line and not line.startswith("-----"):
            secrets.add(line)
    secrets.discard("")
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")

    def _cut(match: re.Match[str]) -> str:
        run = match.group(0)
        # any run of 16+ characters taken from the key material (even a piece of one line)
        if any(run[i : i + 16] in compact for i in range(len(run) - 15)):
            return "[redacted]"
        return run

    text = _BASE64_RUN.sub(_cut, text)
    return "\n".join(line for line in text.splitlines() if "PRIVATE KEY" not in line)
