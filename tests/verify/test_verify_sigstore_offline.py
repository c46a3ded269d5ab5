"""Bundles without an inclusion proof: checked offline as far as possible, repaired online.

Issue 10, item 3. The real bundles are public-good Sigstore's; the home-made ones come from
the local CA. "needs-online" is never success; ``online`` fetches the inclusion proof from
Rekor (here a local stand-in that serves the real entry, as Rekor's v1 API does).
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cpython_release.sigstore_policy import LegacyIdentity, PipelineIdentity
from cpython_release.verify import SigstoreBundleVerifier
from cpython_release.verify.localca import Claims, LocalCA
from cpython_release.verify.sigstore_checks import TrustRoot
from verify.verify_support import FIXTURES

RFC_SHA = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"
PY_SHA = "38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_bytes())
    return data


@pytest.fixture(scope="module")
def rfc() -> dict[str, Any]:
    return _load("rfc8785-0.1.2-wheel.sigstore")


@pytest.fixture(scope="module")
def python_org() -> dict[str, Any]:
    return _load("Python-3.12.5.tgz.sigstore")


def rfc_policy() -> PipelineIdentity:
    return PipelineIdentity(
        "trailofbits/rfc8785.py",
        "trailofbits/rfc8785.py",
        ("refs/tags/v0.1.2",),
        workflow="release.yml",
        source_ref="refs/tags/v0.1.2",
        triggers=("release",),
    )


def without_checkpoint(bundle: dict[str, Any]) -> bytes:
    """The bundle as sigstore-python 1.x wrote them: an inclusion proof with no checkpoint."""
    data = copy.deepcopy(bundle)
    data["verificationMaterial"]["tlogEntries"][0]["inclusionProof"].pop("checkpoint", None)
    return json.dumps(data).encode()


def rekor_response(bundle: dict[str, Any]) -> dict[str, Any]:
    """Rekor's v1 answer for the bundle's entry (GET /api/v1/log/entries?logIndex=N)."""
    e = bundle["verificationMaterial"]["tlogEntries"][0]
    proof = e["inclusionProof"]
    return {
        "24296fb24b8ad77a": {
            "body": e["canonicalizedBody"],
            "integratedTime": int(e["integratedTime"]),
            "logID": base64.b64decode(e["logId"]["keyId"]).hex(),
            "logIndex": int(e["logIndex"]),
            "verification": {
                "signedEntryTimestamp": e["inclusionPromise"]["signedEntryTimestamp"],
                "inclusionProof": {
                    "checkpoint": proof["checkpoint"]["envelope"],
                    "hashes": [base64.b64decode(h).hex() for h in proof["hashes"]],
                    "logIndex": int(proof["logIndex"]),
                    "rootHash": base64.b64decode(proof["rootHash"]).hex(),
                    "treeSize": int(proof["treeSize"]),
                },
            },
        }
    }


class FakeRekor:
    def __init__(self) -> None:
        self.answer: dict[str, Any] | None = None
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                if fake.answer is None:
                    self.send_error(404)
                    return
                data = json.dumps(fake.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def rekor() -> Iterator[FakeRekor]:
    fake = FakeRekor()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def verifier(*, online: bool, rekor_url: str = "http://127.0.0.1:9") -> SigstoreBundleVerifier:
    real = TrustRoot.production(offline=True)  # the trust root shipped with sigstore
    return SigstoreBundleVerifier(offline=not online, root=TrustRoot(real.trusted_root, rekor_url))


# --- offline: everything but the inclusion proof is checked ------------------------------


def test_python_org_bundle_is_checked_offline_then_needs_online(
    python_org: dict[str, Any],
) -> None:
    bundle = json.dumps(python_org).encode()
    verdict = verifier(online=False).verify(PY_SHA, bundle, LegacyIdentity.for_minor("3.12"))
    assert verdict.status == "needs-online", verdict
    assert "verified offline" in verdict.message and "--online" in verdict.message
    assert verdict.signer == "thomas@python.org"


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[10] ^= 1
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(
            lambda d: d["messageSignature"].update(
                signature=_flip(d["messageSignature"]["signature"])
            ),
            "the signature is not valid for this file's digest",
            id="signature",
        ),
        pytest.param(
            lambda d: d["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"].update(
                signedEntryTimestamp=_flip(
                    d["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"][
                        "signedEntryTimestamp"
                    ]
                )
            ),
            "SET: invalid inclusion promise",
            id="log-promise",
        ),
        pytest.param(
            lambda d: d["verificationMaterial"]["tlogEntries"][0].update(integratedTime="1"),
            "SET: invalid inclusion promise",
            id="logged-time",
        ),
        pytest.param(
            lambda d: d["verificationMaterial"]["tlogEntries"][0].pop("inclusionPromise"),
            "neither an inclusion proof nor a promise",
            id="no-promise",
        ),
    ],
)
def test_tampered_bundle_without_proof_is_invalid_offline(
    python_org: dict[str, Any], mutate: Any, message: str
) -> None:
    data = copy.deepcopy(python_org)
    mutate(data)
    verdict = verifier(online=False).verify(
        PY_SHA, json.dumps(data).encode(), LegacyIdentity.for_minor("3.12")
    )
    assert verdict.status == "invalid", verdict
    assert message in verdict.message


def _home_made(python_org: dict[str, Any], *, forge_entry: bool) -> bytes:
    """The release manager's identity on a certificate from a home-made CA, signing the
    real digest; the log entry is python.org's (or a forged one, signed by a home-made key)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ca = LocalCA("Fulcio (not really)")
    signer = ca.signer(Claims("thomas@python.org", issuer="https://accounts.google.com"))
    local = json.loads(signer.sign(PY_SHA))
    data = copy.deepcopy(python_org)
    cert = local["verificationMaterial"]["certificate"]["rawBytes"]
    data["verificationMaterial"]["x509CertificateChain"] = {"certificates": [{"rawBytes": cert}]}
    data["messageSignature"] = local["messageSignature"]
    entry = data["verificationMaterial"]["tlogEntries"][0]
    if forge_entry:
        pem = signer.certificate.public_bytes(serialization.Encoding.PEM)
        body = {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": PY_SHA}},
                "signature": {
                    "content": local["messageSignature"]["signature"],
                    "publicKey": {"content": base64.b64encode(pem).decode()},
                },
            },
        }
        entry["canonicalizedBody"] = base64.b64encode(json.dumps(body).encode()).decode()
        log_key = ec.generate_private_key(ec.SECP256R1())
        payload = json.dumps(
            {
                "body": entry["canonicalizedBody"],
                "integratedTime": int(entry["integratedTime"]),
                "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
                "logIndex": int(entry["logIndex"]),
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        entry["inclusionPromise"]["signedEntryTimestamp"] = base64.b64encode(
            log_key.sign(payload, ec.ECDSA(hashes.SHA256()))
        ).decode()
    return json.dumps(data).encode()


@pytest.mark.parametrize("forge_entry", [False, True], ids=["real-entry", "forged-entry"])
def test_home_made_ca_bundle_is_invalid_offline_and_online(
    python_org: dict[str, Any], forge_entry: bool, rekor: FakeRekor
) -> None:
    bundle = _home_made(python_org, forge_entry=forge_entry)
    for online in (False, True):
        v = verifier(online=online, rekor_url=rekor.url)
        verdict = v.verify(PY_SHA, bundle, LegacyIdentity.for_minor("3.12"))
        assert verdict.status == "invalid", verdict
        assert verdict.message.startswith("forged or damaged bundle: ")
        expected = "SET: invalid inclusion promise" if forge_entry else "certificate chain"
        assert expected in verdict.message
    assert rekor.requests == []  # nothing is fetched for a bundle that fails offline


# --- online: the inclusion proof is fetched, and the repaired bundle fully verified -------


def test_online_repairs_a_bundle_without_checkpoint(rfc: dict[str, Any], rekor: FakeRekor) -> None:
    bundle = without_checkpoint(rfc)
    offline = verifier(online=False, rekor_url=rekor.url).verify(RFC_SHA, bundle, rfc_policy())
    assert offline.status == "needs-online", offline
    assert rekor.requests == []
    rekor.answer = rekor_response(rfc)
    online = verifier(online=True, rekor_url=rekor.url).verify(RFC_SHA, bundle, rfc_policy())
    assert online.status == "ok", online
    assert rekor.requests == [
        f"/api/v1/log/entries?logIndex={int(rfc['verificationMaterial']['tlogEntries'][0]['logIndex'])}"
    ]


def test_online_repair_with_a_wrong_entry_is_invalid(
    rfc: dict[str, Any], python_org: dict[str, Any], rekor: FakeRekor
) -> None:
    """A log (or a man in the middle) that answers with another entry does not help."""
    rekor.answer = rekor_response(rfc)
    bundle = json.dumps(python_org).encode()
    verdict = verifier(online=True, rekor_url=rekor.url).verify(
        PY_SHA, bundle, LegacyIdentity.for_minor("3.12")
    )
    assert verdict.status == "invalid", verdict  # the fetched entry is not this bundle's


def test_online_without_rekor_stays_needs_online(
    python_org: dict[str, Any], rekor: FakeRekor
) -> None:
    verdict = verifier(online=True, rekor_url=rekor.url).verify(
        PY_SHA, json.dumps(python_org).encode(), LegacyIdentity.for_minor("3.12")
    )
    assert verdict.status == "needs-online"
    assert "could not fetch the inclusion proof" in verdict.message


def test_real_rfc8785_bundle_verifies_for_its_bound_identity(rfc: dict[str, Any]) -> None:
    """The positive control: a real GitHub Actions bundle, its source ref and trigger bound."""
    bundle = json.dumps(rfc).encode()
    v = verifier(online=False)
    assert v.verify(RFC_SHA, bundle, rfc_policy()).status == "ok"
    other_tag = replace(rfc_policy(), source_ref="refs/tags/v0.1.3")
    verdict = v.verify(RFC_SHA, bundle, other_tag)
    assert verdict.status == "invalid" and "source ref refs/tags/v0.1.2" in verdict.message
    dispatched = replace(rfc_policy(), triggers=("workflow_dispatch",))
    verdict = v.verify(RFC_SHA, bundle, dispatched)
    assert verdict.status == "invalid" and "triggered by release" in verdict.message
