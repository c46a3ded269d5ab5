"""The real Sigstore bundles in tests/data/sigstore match their provenance record."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from verify.verify_support import FIXTURES

PROVENANCE = FIXTURES / "PROVENANCE.md"
ROW = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \| `([0-9a-f]{64})` \|$", re.MULTILINE)


def recorded() -> dict[str, tuple[str, str]]:
    """File name -> (file SHA-256, artifact SHA-256), from PROVENANCE.md's table."""
    return {m[1]: (m[2], m[3]) for m in ROW.finditer(PROVENANCE.read_text(encoding="utf-8"))}


def test_every_fixture_is_recorded_and_every_record_is_present() -> None:
    files = {p.name for p in FIXTURES.iterdir() if p.name != PROVENANCE.name}
    assert (
        files
        == set(recorded())
        == {
            "rfc8785-0.1.2-wheel.sigstore",
            "Python-3.12.5.tgz.sigstore",
        }
    )


def test_fixture_bytes_match_the_recorded_digests() -> None:
    for name, (file_sha, _) in recorded().items():
        assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == file_sha, name


def test_each_bundle_signs_the_recorded_artifact_digest() -> None:
    for name, (_, artifact_sha) in recorded().items():
        bundle = json.loads((FIXTURES / name).read_bytes())
        digest = bundle["messageSignature"]["messageDigest"]
        assert digest["algorithm"] == "SHA2_256", name
        assert base64.b64decode(digest["digest"]).hex() == artifact_sha, name
