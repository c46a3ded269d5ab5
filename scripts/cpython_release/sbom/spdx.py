"""SPDX 2.3 JSON helpers: IDs, package verification codes, canonical bytes."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

SPDX_VERSION = "SPDX-2.3"
LICENSE_LIST_VERSION = "3.22"
PSF = "Organization: Python Software Foundation"
CPYTHON_ID = "SPDXRef-PACKAGE-cpython"
PIP_ID = "SPDXRef-PACKAGE-pip"
DOCUMENT_ID = "SPDXRef-DOCUMENT"

Doc = dict[str, Any]


def spdx_id(value: str) -> str:
    """Only letters, digits, ``.`` and ``-`` may appear in an SPDX ID."""
    return re.sub(r"[^a-zA-Z0-9.\-]+", "-", value)


def relationship(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def file_entry(name: str, sha1: str, sha256: str) -> dict[str, Any]:
    return {
        "SPDXID": spdx_id(f"SPDXRef-FILE-{name}"),
        "fileName": name,
        "checksums": [
            {"algorithm": "SHA1", "checksumValue": sha1},
            {"algorithm": "SHA256", "checksumValue": sha256},
        ],
    }


def sha256_of(entry: dict[str, Any]) -> str | None:
    for c in entry.get("checksums", []):
        if c.get("algorithm") == "SHA256":
            value: str = c["checksumValue"]
            return value
    return None


def set_verification_codes(doc: Doc) -> None:
    """``packageVerificationCode`` for every package with ``filesAnalyzed``: the SHA1 of the
    sorted, lower-case SHA1s of the files it CONTAINS (SPDX 2.3, clause 7.9)."""
    analyzed = {p["SPDXID"] for p in doc["packages"] if p.get("filesAnalyzed")}
    owner = {
        r["relatedSpdxElement"]: r["spdxElementId"]
        for r in doc["relationships"]
        if r["relationshipType"] == "CONTAINS" and r["spdxElementId"] in analyzed
    }
    sha1s: dict[str, list[bytes]] = {p: [] for p in analyzed}
    for f in doc["files"]:
        pkg = owner.get(f["SPDXID"])
        if pkg is None:
            continue
        sha1 = next((c["checksumValue"] for c in f["checksums"] if c["algorithm"] == "SHA1"), None)
        if sha1 is None:
            raise ValueError(f"SPDX file {f['SPDXID']} has no SHA1 checksum")
        sha1s[pkg].append(sha1.lower().encode("ascii"))
    for p in doc["packages"]:
        if p["SPDXID"] in sha1s:
            code = hashlib.sha1(b"".join(sorted(sha1s[p["SPDXID"]])), usedforsecurity=False)
            p["packageVerificationCode"] = {"packageVerificationCodeValue": code.hexdigest()}


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def normalize(value: Any) -> Any:
    """A copy with every list sorted (inner lists first) by its items' canonical JSON, so the
    order of the inputs never shows in the output."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((normalize(v) for v in value), key=_sort_key)
    return value


def dumps(doc: Doc) -> bytes:
    """Canonical bytes: normalized lists, sorted keys, two-space indent, final newline."""
    return (json.dumps(normalize(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )
