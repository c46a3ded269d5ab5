"""The release manifest: the one contract between jobs.

Jobs write *fragments* (a manifest with only their artifacts). Later jobs :func:`merge` them,
and :mod:`cpython_release.integrity` re-hashes every file, so a tampered or swapped file is
caught. Serialisation is canonical (sorted keys and artifacts), so the same facts always
give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.limits import MAX_UNSIZED, read_capped

SCHEMA_VERSION = 1
MANIFEST_NAME = "release-manifest.json"


@cache
def schema() -> dict[str, Any]:
    text = (
        resources.files("cpython_release")
        .joinpath(f"schema/manifest-v{SCHEMA_VERSION}.schema.json")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@dataclass(frozen=True)
class FileRef:
    """A companion file (signature or SBOM) with its own hash."""

    name: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Signature(FileRef):
    type: str = "sigstore"  # "sigstore" or "gpg"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "type": self.type}


@dataclass(frozen=True)
class Artifact:
    name: str
    kind: str
    platform: str
    size: int
    sha256: str
    producer: str
    arch: str | None = None
    content_digest: str | None = None
    signatures: tuple[Signature, ...] = ()
    sbom: FileRef | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "platform": self.platform,
            "arch": self.arch,
            "size": self.size,
            "sha256": self.sha256,
            "content_digest": self.content_digest,
            "producer": self.producer,
            "signatures": [s.to_dict() for s in sorted(self.signatures, key=_sig_key)],
            "sbom": self.sbom.to_dict() if self.sbom else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Artifact:
        return cls(
            name=d["name"],
            kind=d["kind"],
            platform=d["platform"],
            arch=d["arch"],
            size=d["size"],
            sha256=d["sha256"],
            content_digest=d["content_digest"],
            producer=d["producer"],
            signatures=tuple(
                Signature(s["name"], s["size"], s["sha256"], s["type"]) for s in d["signatures"]
            ),
            sbom=FileRef(**d["sbom"]) if d["sbom"] else None,
        )

    def companion_files(self) -> list[FileRef]:
        out: list[FileRef] = list(self.signatures)
        if self.sbom:
            out.append(self.sbom)
        return out


def _sig_key(s: Signature) -> tuple[str, str]:
    return (s.type, s.name)


@dataclass(frozen=True)
class ReleaseInfo:
    version: str
    tag: str
    commit: str
    repository: str
    toolkit_version: str
    created: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "repository": self.repository,
            "toolkit_version": self.toolkit_version,
            "created": self.created,
        }


def created_from_timestamp(ts: int) -> str:
    """The manifest's ``created``: the commit time, in UTC, to the second."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Manifest:
    release: ReleaseInfo
    artifacts: tuple[Artifact, ...] = field(default=())

    # --- (de)serialisation --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "release": self.release.to_dict(),
            "artifacts": [a.to_dict() for a in sorted(self.artifacts, key=lambda a: a.name)],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def from_dict(cls, data: Any, source: str = "manifest") -> Manifest:
        if not isinstance(data, dict):
            raise BadInput(f"{source}: a manifest is a JSON object, got {type(data).__name__}")
        version = data.get("schema_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            raise BadInput(
                f"{source}: manifest schema version {version} is newer than this toolkit "
                f"understands ({SCHEMA_VERSION}); upgrade cpython-release"
            )
        validator = jsonschema.Draft202012Validator(schema())
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [
                f"at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors[:20]
            ]
            raise BadInput(f"{source}: not a valid release manifest:\n  " + "\n  ".join(lines))
        names = [a["name"] for a in data["artifacts"]]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise BadInput(f"{source}: artifact listed more than once: {', '.join(dupes)}")
        return cls(
            release=ReleaseInfo(**data["release"]),
            artifacts=tuple(Artifact.from_dict(a) for a in data["artifacts"]),
        )

    @classmethod
    def loads(cls, text: str, source: str = "manifest") -> Manifest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{source}: not JSON: {exc}") from exc
        except RecursionError:
            raise BadInput(f"{source}: not a release manifest: JSON nested too deeply") from None
        return cls.from_dict(data, source)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:  # capped, as a download of it is: a hostile one must not fill the memory
            data = read_capped(path, MAX_UNSIZED)
        except OSError as exc:
            raise BadInput(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"{path}: not UTF-8 text: {exc}") from None
        return cls.loads(text, str(path))

    # --- queries and updates --------------------------------------------------------
    def artifact(self, name: str) -> Artifact:
        for a in self.artifacts:
            if a.name == name:
                return a
        raise KeyError(name)

    def names(self) -> list[str]:
        return sorted(a.name for a in self.artifacts)

    def all_files(self) -> list[FileRef]:
        """Every file the manifest vouches for: artifacts and their companions."""
        out: list[FileRef] = []
        for a in sorted(self.artifacts, key=lambda a: a.name):
            out.append(FileRef(a.name, a.size, a.sha256))
            out.extend(a.companion_files())
        return out

    def with_artifacts(self, artifacts: list[Artifact]) -> Manifest:
        return replace(self, artifacts=tuple(artifacts))

    def updated(self, artifact: Artifact) -> Manifest:
        """A copy with ``artifact`` replacing the one of the same name (or added)."""
        rest = [a for a in self.artifacts if a.name != artifact.name]
        return replace(self, artifacts=(*rest, artifact))


def _merge_artifact(a: Artifact, b: Artifact) -> Artifact:
    """Merge two records of one artifact; facts about the bytes must agree exactly."""
    problems = []
    for attr in ("size", "sha256", "kind", "platform", "arch"):
        if getattr(a, attr) != getattr(b, attr):
            problems.append(f"{attr} {getattr(a, attr)!r} != {getattr(b, attr)!r}")
    if a.content_digest and b.content_digest and a.content_digest != b.content_digest:
        problems.append(f"content_digest {a.content_digest} != {b.content_digest}")
    if a.sbom and b.sbom and a.sbom != b.sbom:
        problems.append(f"sbom {a.sbom.sha256} != {b.sbom.sha256}")
    if a.producer != b.producer and set(a.signatures) != set(b.signatures):
        # Each job vouches for its own artifacts: a fragment of another job may repeat an
        # artifact (a rebuild), but may not attach signatures to it.
        extra = sorted({s.name for s in b.signatures} ^ {s.name for s in a.signatures})
        problems.append(
            f"{b.producer} and {a.producer} list different signatures for it "
            f"({', '.join(extra)}); only the job that built it may attach signatures"
        )
    sigs: dict[tuple[str, str], Signature] = {}
    for s in (*a.signatures, *b.signatures):
        key = _sig_key(s)
        if key in sigs and sigs[key] != s:
            problems.append(f"signature {s.name} differs")
        sigs[key] = s
    if problems:
        raise CheckFailed(f"conflicting records for {a.name}", problems)
    return replace(
        a,
        content_digest=a.content_digest or b.content_digest,
        signatures=tuple(sorted(sigs.values(), key=_sig_key)),
        sbom=a.sbom or b.sbom,
    )


def merge(manifests: list[Manifest]) -> Manifest:
    """Merge fragments. Release facts must agree; an artifact may repeat only identically."""
    if not manifests:
        raise BadInput("nothing to merge: no manifest fragments given")
    first = manifests[0].release
    problems = []
    for m in manifests[1:]:
        for key, value in m.release.to_dict().items():
            if getattr(first, key) != value:
                problems.append(f"release.{key}: {getattr(first, key)!r} != {value!r}")
    if problems:
        raise CheckFailed("fragments describe different releases", problems)
    by_name: dict[str, Artifact] = {}
    conflicts: list[str] = []
    for m in manifests:
        for art in m.artifacts:
            if art.name in by_name:
                try:
                    by_name[art.name] = _merge_artifact(by_name[art.name], art)
                except CheckFailed as exc:
                    conflicts.append(f"{art.name}: " + "; ".join(exc.problems))
            else:
                by_name[art.name] = art
    if conflicts:
        raise CheckFailed("conflicting artifacts (same name, different content)", conflicts)
    return Manifest(first, tuple(by_name[n] for n in sorted(by_name)))
