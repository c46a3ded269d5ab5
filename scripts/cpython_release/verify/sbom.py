"""Check an artifact's SPDX SBOM: valid SPDX 2.3, and naming the artifact's own SHA-256.

python.org's SBOMs (release-tools ``sbom.py``) describe one package, the artifact itself
(``SPDXRef-DOCUMENT DESCRIBES SPDXRef-PACKAGE-cpython``), whose ``packageFileName`` is the
artifact's file name and whose ``checksums`` hold its SHA256. That package is what binds
the SBOM to the bytes; the file entries list the *contents* of the artifact.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

MAX_VALIDATION_MESSAGES = 5
MAX_MESSAGE = 300


def _described_packages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    packages = [p for p in doc.get("packages") or [] if isinstance(p, dict)]
    doc_id = doc.get("SPDXID", "SPDXRef-DOCUMENT")
    ids = set(doc.get("documentDescribes") or [])
    for rel in doc.get("relationships") or []:
        if not isinstance(rel, dict):
            continue
        kind = rel.get("relationshipType")
        if kind == "DESCRIBES" and rel.get("spdxElementId") == doc_id:
            ids.add(rel.get("relatedSpdxElement"))
        elif kind == "DESCRIBED_BY" and rel.get("relatedSpdxElement") == doc_id:
            ids.add(rel.get("spdxElementId"))
    return [p for p in packages if p.get("SPDXID") in ids]


def _sha256s(package: dict[str, Any]) -> list[str]:
    return [
        str(c.get("checksumValue", "")).lower()
        for c in package.get("checksums") or []
        if isinstance(c, dict) and c.get("algorithm") == "SHA256"
    ]


def _validate(document: Any) -> list[str]:
    """spdx-tools' full-document validation, minus its quadratic relationship check.

    ``validate_full_spdx_document`` re-lists every SPDX ID of the document for each
    relationship end (seconds for python.org's 5,000-file SBOMs). This runs the same
    per-element validators and checks relationship ends against one set of IDs.
    """
    from spdx_tools.spdx.model.relationship import RelationshipType
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.model.spdx_none import SpdxNone
    from spdx_tools.spdx.validation.annotation_validator import validate_annotations
    from spdx_tools.spdx.validation.creation_info_validator import validate_creation_info
    from spdx_tools.spdx.validation.extracted_licensing_info_validator import (
        validate_extracted_licensing_infos,
    )
    from spdx_tools.spdx.validation.file_validator import validate_files
    from spdx_tools.spdx.validation.package_validator import validate_packages
    from spdx_tools.spdx.validation.snippet_validator import validate_snippets
    from spdx_tools.spdx.validation.spdx_id_validators import get_list_of_all_spdx_ids

    version = document.creation_info.spdx_version
    found = list(validate_creation_info(document.creation_info, version))
    found += validate_packages(document.packages, version, document)
    found += validate_files(document.files, version, document)
    found += validate_snippets(document.snippets, version, document)
    found += validate_annotations(document.annotations, document)
    found += validate_extracted_licensing_infos(document.extracted_licensing_info)
    messages = [m.validation_message for m in found]

    all_ids = get_list_of_all_spdx_ids(document)
    known = set(all_ids)
    external = {r.document_ref_id for r in document.creation_info.external_document_refs}
    doc_id = document.creation_info.spdx_id
    describes = False
    for rel in document.relationships:
        ends = [rel.spdx_element_id]
        if rel.related_spdx_element_id not in (SpdxNone(), SpdxNoAssertion()):
            ends.append(rel.related_spdx_element_id)
        for end in ends:
            ref, _, local = str(end).rpartition(":")
            if not re.fullmatch(r"SPDXRef-[\da-zA-Z.-]+", local) or (ref and ref not in external):
                messages.append(f"relationship names an invalid SPDX id: {end}")
            elif not ref and end not in known:
                messages.append(f"relationship names {end}, which is not in the document")
        if (
            rel.relationship_type == RelationshipType.DESCRIBES and rel.spdx_element_id == doc_id
        ) or (
            rel.relationship_type == RelationshipType.DESCRIBED_BY
            and rel.related_spdx_element_id == doc_id
        ):
            describes = True
    single = len(document.packages) == 1 and not document.files and not document.snippets
    if not describes and not single:
        messages.append(f"there must be at least one relationship {doc_id} DESCRIBES ...")
    if len(known) != len(all_ids):
        messages.append("every SPDX id must be unique within the document")
    return messages


def spdx_problems(doc: dict[str, Any]) -> list[str]:
    """What spdx-tools finds wrong with the document (parse errors or validation messages)."""
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    try:
        document = JsonLikeDictParser().parse(doc)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        messages = [str(m) for m in exc.messages]
    except Exception as exc:  # spdx-tools raises plain errors on some malformed input
        messages = [f"{type(exc).__name__}: {exc}"]
    else:
        messages = _validate(document)
    messages = [m if len(m) <= MAX_MESSAGE else m[: MAX_MESSAGE - 3] + "..." for m in messages]
    if len(messages) > MAX_VALIDATION_MESSAGES:
        extra = len(messages) - MAX_VALIDATION_MESSAGES
        messages = [*messages[:MAX_VALIDATION_MESSAGES], f"... and {extra} more"]
    return messages


def check_sbom(
    path: Path, artifact_name: str, artifact_sha256: str, *, validate: bool = True
) -> str | None:
    """``None`` if the SBOM is valid and binds ``artifact_sha256``; otherwise the reason."""
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        return f"cannot read SBOM: {exc.strerror or exc}"
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"SBOM is not JSON: {exc}"
    if not isinstance(doc, dict):
        return "SBOM is not a JSON object"
    if doc.get("spdxVersion") != "SPDX-2.3":
        return f"SBOM is not SPDX 2.3 (spdxVersion {doc.get('spdxVersion')!r})"
    base = PurePosixPath(artifact_name).name
    described = _described_packages(doc)
    if not described:
        return "SBOM describes no package (no DESCRIBES relationship from the document)"
    mine = [p for p in described if p.get("packageFileName") in (base, artifact_name)]
    if not mine:
        names = ", ".join(sorted(str(p.get("packageFileName")) for p in described))
        return f"SBOM describes {names}, not {base}"
    hashes = sorted({h for p in mine for h in _sha256s(p)})
    if not hashes:
        return f"SBOM names no SHA256 checksum for {base}"
    if artifact_sha256 not in hashes:
        return (
            f"SBOM names sha256 {', '.join(hashes)} for {base}, but the file has {artifact_sha256}"
        )
    if validate:
        problems = spdx_problems(doc)
        if problems:
            return "SBOM is not valid SPDX: " + "; ".join(problems)
    return None
