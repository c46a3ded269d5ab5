"""Check an artifact's SPDX SBOM: valid SPDX 2.3, and naming the artifact's own SHA-256.

python.org's SBOMs (release-tools ``sbom.py``) describe one package, the artifact itself
(``SPDXRef-DOCUMENT DESCRIBES SPDXRef-PACKAGE-cpython``), whose ``packageFileName`` is the
artifact's file name and whose ``checksums`` hold its SHA256. That package is what binds
the SBOM to the bytes; the file entries list the *contents* of the artifact.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

MAX_VALIDATION_MESSAGES = 5
MAX_MESSAGE = 300
POOL_MIN_BYTES = 512 * 1024  # an SBOM this large is validated in a worker process...
POOL_MIN_TOTAL = 2 * 1024 * 1024  # ...when there is this much such work in all


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


class SpdxCache:
    """Parsed-and-validated file entries and relationships, by their JSON.

    A file entry's validity depends only on the entry and the document's extracted license
    IDs; a relationship parses the same wherever it appears. The .tgz and .tar.xz SBOMs of a
    release list the same ~5,000 files, so the second one costs almost nothing.
    """

    def __init__(self) -> None:
        self.files: dict[tuple[str, frozenset[str]], tuple[str | None, tuple[str, ...]]] = {}
        self.relationships: dict[str, tuple[Any, tuple[str, ...]]] = {}


def spdx_problems(doc: dict[str, Any], cache: SpdxCache | None = None) -> list[str]:
    """spdx-tools' parse and full validation of the document (its messages, trimmed).

    The same validators as ``validate_full_spdx_document``, applied element by element:
    that function re-lists every SPDX ID of the document for every relationship end
    (quadratic: seconds for python.org's SBOMs), so relationship ends and the
    files-analyzed rule are checked here against sets of IDs instead.
    """
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.file_parser import FileParser
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.parser.jsonlikedict.relationship_parser import RelationshipParser
    from spdx_tools.spdx.validation.file_validator import validate_file_within_document

    cache = cache if cache is not None else SpdxCache()
    files = doc.get("files") or []
    rels = doc.get("relationships") or []
    if not isinstance(files, list) or not isinstance(rels, list):
        return ["files and relationships must be lists"]
    rest = {k: v for k, v in doc.items() if k not in ("files", "relationships")}
    try:
        document = JsonLikeDictParser().parse(rest)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        return _trim([str(m) for m in exc.messages])
    except Exception as exc:  # spdx-tools raises plain errors on some malformed input
        return _trim([f"{type(exc).__name__}: {exc}"])
    version = document.creation_info.spdx_version
    licenses = frozenset(str(e.license_id) for e in document.extracted_licensing_info)
    messages: list[str] = []
    file_parser = FileParser()  # type: ignore[no-untyped-call]
    file_ids: list[str] = []
    for entry in files:
        key = (json.dumps(entry, sort_keys=True), licenses)
        hit = cache.files.get(key)
        if hit is None:
            try:
                f = file_parser.parse_file(entry)
                if f is None:
                    raise ValueError("not a file entry")
                found = validate_file_within_document(f, version, document)
                hit = (f.spdx_id, tuple(m.validation_message for m in found))
            except SPDXParsingError as exc:
                hit = (None, tuple(str(m) for m in exc.messages))
            except Exception as exc:
                hit = (None, (f"file entry: {type(exc).__name__}: {exc}",))
            cache.files[key] = hit
        if hit[0]:
            file_ids.append(hit[0])
        messages += hit[1]
    relationships = list(document.relationships)  # from documentDescribes and hasFiles
    rel_parser = RelationshipParser()  # type: ignore[no-untyped-call]
    for entry in rels:
        rkey = json.dumps(entry, sort_keys=True)
        rhit = cache.relationships.get(rkey)
        if rhit is None:
            try:
                rhit = (rel_parser.parse_relationship(entry), ())
            except SPDXParsingError as exc:
                rhit = (None, tuple(str(m) for m in exc.messages))
            except Exception as exc:
                rhit = (None, (f"relationship: {type(exc).__name__}: {exc}",))
            cache.relationships[rkey] = rhit
        if rhit[0] is not None:
            relationships.append(rhit[0])
        messages += rhit[1]
    messages += _validate(document, relationships, file_ids, files_present=bool(files))
    return _trim(messages)


def _trim(messages: list[str]) -> list[str]:
    messages = [m if len(m) <= MAX_MESSAGE else m[: MAX_MESSAGE - 3] + "..." for m in messages]
    if len(messages) > MAX_VALIDATION_MESSAGES:
        extra = len(messages) - MAX_VALIDATION_MESSAGES
        messages = [*messages[:MAX_VALIDATION_MESSAGES], f"... and {extra} more"]
    return messages


def _validate(
    document: Any, relationships: list[Any], file_ids: list[str], *, files_present: bool
) -> list[str]:
    """The document-level rules of spdx-tools, for a document parsed without its files."""
    from spdx_tools.spdx.model.relationship import RelationshipType
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.model.spdx_none import SpdxNone
    from spdx_tools.spdx.validation.annotation_validator import validate_annotations
    from spdx_tools.spdx.validation.creation_info_validator import validate_creation_info
    from spdx_tools.spdx.validation.extracted_licensing_info_validator import (
        validate_extracted_licensing_infos,
    )
    from spdx_tools.spdx.validation.package_validator import validate_packages
    from spdx_tools.spdx.validation.snippet_validator import validate_snippets
    from spdx_tools.spdx.validation.spdx_id_validators import get_list_of_all_spdx_ids

    version = document.creation_info.spdx_version
    if version not in ("SPDX-2.2", "SPDX-2.3"):
        return [f"only SPDX-2.2 and SPDX-2.3 are supported, not {version}"]
    found = list(validate_creation_info(document.creation_info, version))
    found += validate_packages(document.packages, version, document)
    found += validate_snippets(document.snippets, version, document)
    found += validate_annotations(document.annotations, document)
    found += validate_extracted_licensing_infos(document.extracted_licensing_info)
    messages = [m.validation_message for m in found]

    all_ids = [*get_list_of_all_spdx_ids(document), *file_ids]
    known = set(all_ids)
    files = set(file_ids)
    external = {r.document_ref_id for r in document.creation_info.external_document_refs}
    doc_id = document.creation_info.spdx_id
    not_analyzed = {p.spdx_id for p in document.packages if not p.files_analyzed}
    describes = False
    for rel in relationships:
        ends = [rel.spdx_element_id]
        if rel.related_spdx_element_id not in (SpdxNone(), SpdxNoAssertion()):
            ends.append(rel.related_spdx_element_id)
        for end in ends:
            ref, _, local = str(end).rpartition(":")
            if not re.fullmatch(r"SPDXRef-[\da-zA-Z.-]+", local) or (ref and ref not in external):
                messages.append(f"relationship names an invalid SPDX id: {end}")
            elif not ref and end not in known:
                messages.append(f"relationship names {end}, which is not in the document")
        kind = rel.relationship_type
        if (kind == RelationshipType.DESCRIBES and rel.spdx_element_id == doc_id) or (
            kind == RelationshipType.DESCRIBED_BY and rel.related_spdx_element_id == doc_id
        ):
            describes = True
        if (
            kind == RelationshipType.CONTAINS
            and rel.spdx_element_id in not_analyzed
            and rel.related_spdx_element_id in files
        ) or (
            kind == RelationshipType.CONTAINED_BY
            and rel.related_spdx_element_id in not_analyzed
            and rel.spdx_element_id in files
        ):
            package = (
                rel.spdx_element_id
                if kind == RelationshipType.CONTAINS
                else rel.related_spdx_element_id
            )
            messages.append(f"package {package} must contain no files if filesAnalyzed is false")
    single = len(document.packages) == 1 and not files_present and not document.snippets
    if not describes and not single:
        messages.append(f"there must be at least one relationship {doc_id} DESCRIBES ...")
    if len(known) != len(all_ids):
        messages.append("every SPDX id must be unique within the document")
    return messages


@dataclass(frozen=True)
class SbomFacts:
    """What an SBOM says about its artifact, and what spdx-tools thinks of it."""

    error: str | None  # not JSON, not SPDX 2.3, describes another file, ... (None: fine)
    hashes: tuple[str, ...] = ()  # the SHA256 checksums it names for the artifact
    spdx: tuple[str, ...] = ()  # spdx-tools validation problems


def inspect_sbom(
    path: str, artifact_name: str, validate: bool = True, cache: SpdxCache | None = None
) -> SbomFacts:
    """Read one SBOM, find the hashes it names for the artifact, and validate it."""
    try:
        doc = json.loads(Path(path).read_bytes())
    except OSError as exc:
        return SbomFacts(f"cannot read SBOM: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return SbomFacts(f"SBOM is not JSON: {exc}")
    except RecursionError:
        return SbomFacts("SBOM is not usable: JSON nested too deeply")
    if not isinstance(doc, dict):
        return SbomFacts("SBOM is not a JSON object")
    if doc.get("spdxVersion") != "SPDX-2.3":
        return SbomFacts(f"SBOM is not SPDX 2.3 (spdxVersion {doc.get('spdxVersion')!r})")
    base = PurePosixPath(artifact_name).name
    described = _described_packages(doc)
    if not described:
        return SbomFacts("SBOM describes no package (no DESCRIBES relationship from the document)")
    mine = [p for p in described if p.get("packageFileName") in (base, artifact_name)]
    if not mine:
        names = ", ".join(sorted(str(p.get("packageFileName")) for p in described))
        return SbomFacts(f"SBOM describes {names}, not {base}")
    hashes = tuple(sorted({h for p in mine for h in _sha256s(p)}))
    if not hashes:
        return SbomFacts(f"SBOM names no SHA256 checksum for {base}")
    return SbomFacts(None, hashes, tuple(spdx_problems(doc, cache)) if validate else ())


def judge(facts: SbomFacts, artifact_name: str, artifact_sha256: str) -> str | None:
    """``None`` if the SBOM is valid and binds ``artifact_sha256``; otherwise the reason."""
    if facts.error:
        return facts.error
    if artifact_sha256 not in facts.hashes:
        base = PurePosixPath(artifact_name).name
        return (
            f"SBOM names sha256 {', '.join(facts.hashes)} for {base}, "
            f"but the file has {artifact_sha256}"
        )
    if facts.spdx:
        return "SBOM is not valid SPDX: " + "; ".join(facts.spdx)
    return None


def check_sbom(
    path: Path, artifact_name: str, artifact_sha256: str, *, validate: bool = True
) -> str | None:
    """``None`` if the SBOM is valid and binds ``artifact_sha256``; otherwise the reason."""
    return judge(inspect_sbom(str(path), artifact_name, validate), artifact_name, artifact_sha256)


class SbomChecker:
    """Validates SBOMs ahead of need; large ones in a worker process, in parallel.

    spdx-tools builds a type-checked object per SPDX element, so a python.org source SBOM
    (about 5,000 file entries) costs most of a second of CPU, all of it under the GIL.
    Started before the hashing, one worker process (``python -I``, see ``_WORKER_BOOT``)
    validates the large SBOMs (sharing one :class:`SpdxCache`) while this process hashes
    and checks signatures; small SBOMs are validated in-process when asked for. (A plain
    subprocess, not multiprocessing, which would re-run an unguarded ``__main__``.)
    """

    def __init__(self, jobs: list[tuple[Path, str]]) -> None:
        self._jobs = {str(p): name for p, name in jobs}
        self._cache = SpdxCache()
        self._proc: subprocess.Popen[bytes] | None = None
        self._results: dict[str, SbomFacts] | None = None
        big = sorted((j for j in jobs if _size(j[0]) >= POOL_MIN_BYTES), key=lambda j: -_size(j[0]))
        if not big or sum(_size(p) for p, _ in big) < POOL_MIN_TOTAL:
            return
        self._worker_paths = {str(p) for p, _ in big}
        # Never run code from the tree being checked: -I (isolated: no current directory
        # or script directory on sys.path, no PYTHON* variables, no user site), started in
        # this package's own directory, with the package root given explicitly.
        package_root = Path(__file__).resolve().parents[2]
        self._sent = {str(Path(p).resolve()): str(p) for p, _ in big}  # absolute -> as given
        args = [a for p, name in big for a in (str(Path(p).resolve()), name)]
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _WORKER_BOOT, str(package_root), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=package_root,
            )
        except OSError:
            self._proc = None  # no processes here: validate in-process

    def _collect(self) -> dict[str, SbomFacts]:
        if self._results is None:
            self._results = {}
            if self._proc is not None:
                out, _ = self._proc.communicate()
                if self._proc.returncode == 0:
                    try:
                        for key, d in json.loads(out).items():
                            self._results[self._sent.get(key, key)] = SbomFacts(
                                d["error"], tuple(d["hashes"]), tuple(d["spdx"])
                            )
                    except (ValueError, KeyError, TypeError, AttributeError):
                        self._results = {}
                self._proc = None
        return self._results

    def result(self, path: Path) -> SbomFacts:
        key = str(path)
        if self._proc is not None or self._results is not None:
            found = self._collect().get(key)
            if found is not None:
                return found
        # small SBOMs, or the worker failed: here
        return inspect_sbom(key, self._jobs.get(key, path.name), cache=self._cache)

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


# The worker's entry point: the package root first on sys.path, then this module's _worker.
_WORKER_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from cpython_release.verify.sbom import _worker; raise SystemExit(_worker(sys.argv[2:]))"
)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _worker(argv: list[str]) -> int:
    """The worker: ``PATH NAME [PATH NAME ...]`` in, JSON facts out."""
    cache = SpdxCache()
    pairs = zip(argv[::2], argv[1::2], strict=True)
    print(json.dumps({p: asdict(inspect_sbom(p, n, cache=cache)) for p, n in pairs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(_worker(sys.argv[1:]))
