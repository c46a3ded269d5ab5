"""SBOM checks: the artifact binding, and spdx-tools validation done element by element."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cpython_release.verify import sbom
from verify.verify_support import sbom_for

SHA = "ab" * 32
NAME = "Python-3.14.1.tgz"


def _full_validation(doc: dict[str, Any]) -> list[str]:
    """spdx-tools' own whole-document validation (quadratic, fine for small documents)."""
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        document = JsonLikeDictParser().parse(doc)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        return [str(m) for m in exc.messages]
    return [m.validation_message for m in validate_full_spdx_document(document)]


def _files(d: dict[str, Any]) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = d["files"]
    return files


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "valid": lambda d: None,
    "no-creators": lambda d: d["creationInfo"].pop("creators"),
    "file-without-sha1": lambda d: _files(d)[0].update(
        checksums=[c for c in _files(d)[0]["checksums"] if c["algorithm"] != "SHA1"]
    ),
    "bad-file-id": lambda d: _files(d)[1].update(SPDXID="SPDXRef-bad/id"),
    "bad-checksum": lambda d: _files(d)[0]["checksums"][0].update(checksumValue="xyz"),
    "dangling-relationship": lambda d: d["relationships"].append(
        {
            "spdxElementId": "SPDXRef-PACKAGE-cpython",
            "relatedSpdxElement": "SPDXRef-gone",
            "relationshipType": "CONTAINS",
        }
    ),
    "bad-relationship-type": lambda d: d["relationships"][0].update(relationshipType="LOVES"),
    "not-analyzed-but-contains": lambda d: d["packages"][0].update(filesAnalyzed=False),
    "duplicate-id": lambda d: _files(d)[1].update(SPDXID=_files(d)[0]["SPDXID"]),
    "no-describes": lambda d: d.update(
        relationships=[r for r in d["relationships"] if r["relationshipType"] != "DESCRIBES"]
    ),
    "bad-download-location": lambda d: d["packages"][0].update(downloadLocation="nowhere"),
    "file-absolute-path": lambda d: _files(d)[2].update(fileName="/etc/passwd"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_element_wise_validation_agrees_with_spdx_tools(mutation: str) -> None:
    doc = sbom_for(NAME, SHA, "3.14.1", files=4)
    MUTATIONS[mutation](doc)
    ours = sbom.spdx_problems(copy.deepcopy(doc))
    theirs = _full_validation(copy.deepcopy(doc))
    assert bool(ours) == bool(theirs), (ours, theirs)
    assert bool(ours) == (mutation != "valid")


def test_cache_reuses_file_entries_across_sboms() -> None:
    cache = sbom.SpdxCache()
    assert sbom.spdx_problems(sbom_for(NAME, SHA, "3.14.1", files=20), cache) == []
    assert len(cache.files) == 20 and len(cache.relationships) == 21
    other = sbom_for("Python-3.14.1.tar.xz", "cd" * 32, "3.14.1", files=20)
    assert sbom.spdx_problems(other, cache) == []
    assert len(cache.files) == 20  # the same file entries: validated once
    broken = sbom_for(NAME, SHA, "3.14.1", files=20)
    _files(broken)[3]["checksums"] = _files(broken)[3]["checksums"][1:]  # drop the SHA1
    assert any("SHA1" in m for m in sbom.spdx_problems(broken, cache))


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("not json", "SBOM is not JSON"),
        ("[]", "SBOM is not a JSON object"),
        ('{"spdxVersion": "SPDX-2.2"}', "SBOM is not SPDX 2.3 (spdxVersion 'SPDX-2.2')"),
        ('{"spdxVersion": "SPDX-2.3", "packages": []}', "SBOM describes no package"),
    ],
)
def test_structural_problems(tmp_path: Path, doc: str, expected: str) -> None:
    path = tmp_path / "x.spdx.json"
    path.write_text(doc)
    why = sbom.check_sbom(path, NAME, SHA)
    assert why is not None and why.startswith(expected)


def test_sbom_without_sha256_for_the_artifact(tmp_path: Path) -> None:
    doc = sbom_for(NAME, SHA, "3.14.1")
    doc["packages"][0]["checksums"] = [{"algorithm": "SHA1", "checksumValue": "a" * 40}]
    path = tmp_path / "x.spdx.json"
    path.write_text(json.dumps(doc))
    assert sbom.check_sbom(path, NAME, SHA) == f"SBOM names no SHA256 checksum for {NAME}"


def test_large_sboms_are_validated_by_a_worker_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sbom, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(sbom, "POOL_MIN_TOTAL", 1)
    good = tmp_path / "good.spdx.json"
    good.write_text(json.dumps(sbom_for(NAME, SHA, "3.14.1", files=30)))
    bad_doc = sbom_for("Python-3.14.1.tar.xz", SHA, "3.14.1", files=30)
    del bad_doc["creationInfo"]["creators"]
    bad = tmp_path / "bad.spdx.json"
    bad.write_text(json.dumps(bad_doc))
    checker = sbom.SbomChecker([(good, NAME), (bad, "Python-3.14.1.tar.xz")])
    try:
        assert checker._proc is not None  # the worker runs
        facts = checker.result(good)
        assert facts == sbom.SbomFacts(None, (SHA,), ())
        assert checker._results is not None and str(bad) in checker._results  # from the worker
        bad_facts = checker.result(bad)
        assert bad_facts.spdx and "creators" in " ".join(bad_facts.spdx)
        assert bad_facts == sbom.inspect_sbom(str(bad), "Python-3.14.1.tar.xz")
    finally:
        checker.close()


def test_small_sboms_stay_in_process(tmp_path: Path) -> None:
    path = tmp_path / "s.spdx.json"
    path.write_text(json.dumps(sbom_for(NAME, SHA, "3.14.1")))
    checker = sbom.SbomChecker([(path, NAME)])
    assert checker._proc is None
    assert sbom.judge(checker.result(path), NAME, SHA) is None
    assert sbom.judge(checker.result(path), NAME, "00" * 32) == (
        f"SBOM names sha256 {SHA} for {NAME}, but the file has {'00' * 32}"
    )
