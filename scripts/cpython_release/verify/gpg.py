"""Check detached OpenPGP signatures (``F.asc``) against a given keyring, in isolation.

The keyring (an exported public-key file, armored or binary) is imported into a fresh,
temporary GnuPG home, so the caller's own keys and trust settings play no part.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.gpghome import create_home, remove_home


@dataclass(frozen=True)
class GpgVerdict:
    ok: bool
    message: str


class GpgChecker:
    def __init__(self, keyring: Path) -> None:
        import gnupg

        if not keyring.is_file():
            raise BadInput(f"keyring {keyring} is not a file")
        if shutil.which("gpg") is None:
            raise BadInput("gpg is not installed, but a keyring was given (install gnupg)")
        self._home = create_home("cr-gpg-")
        self._gpg: Any = gnupg.GPG(gnupghome=str(self._home))
        result = self._gpg.import_keys_file(str(keyring))
        if not result.fingerprints:
            self.close()
            raise BadInput(f"keyring {keyring} holds no OpenPGP public keys")
        self.fingerprints: list[str] = sorted(set(result.fingerprints))

    def verify(self, data: Path, signature: Path) -> GpgVerdict:
        with signature.open("rb") as fh:
            result = self._gpg.verify_file(fh, data_filename=str(data), close_file=False)
        if result.valid:
            who = result.username or result.key_id or "?"
            return GpgVerdict(True, f"good signature by {who} ({result.fingerprint})")
        reason = getattr(result, "key_status", None) or result.status or "no valid signature"
        if reason == "no public key":
            reason = f"signed by key {result.key_id}, which is not in the keyring"
        elif reason == "signature bad":
            reason = "BAD signature: the file or its signature was changed"
        elif reason == "signature valid":  # VALIDSIG after EXPKEYSIG/REVKEYSIG
            reason = "signing key expired or revoked"
        return GpgVerdict(False, f"OpenPGP signature not valid: {reason}")

    def close(self) -> None:
        remove_home(self._home)

    def __enter__(self) -> GpgChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
