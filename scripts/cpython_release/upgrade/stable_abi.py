"""Part 3a: ``Misc/stable_abi.toml`` must not lose or change an entry between two refs.

The manifest lists every item of the limited API and stable ABI as ``[KIND.NAME]`` tables
(``[function.PyObject_Call]``, ``[struct.PyObject]``...). Additions are fine; an entry that
disappears or whose fields change is a finding, attributed to the commit that did it.
"""

from __future__ import annotations

import tomllib
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.upgrade.findings import Finding
from cpython_release.upgrade.gitrepo import Repo

MANIFEST = "Misc/stable_abi.toml"

Entries = dict[str, dict[str, Any]]


def parse_manifest(text: bytes, where: str) -> Entries:
    """``{"function.PyObject_Call": {...}, ...}``."""
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{MANIFEST} at {where}: not valid TOML: {exc}") from exc
    entries: Entries = {}
    for kind, items in data.items():
        if not isinstance(items, dict):
            continue
        for name, fields in items.items():
            if isinstance(fields, dict):
                entries[f"{kind}.{name}"] = fields
    return entries


def _value(v: Any) -> str:
    """A manifest value as the manifest writes it: 'text', true, 3, or "(absent)"."""
    if v is None:
        return "(absent)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f"'{v}'"
    return str(v)


def _describe(key: str, old: dict[str, Any], new: dict[str, Any] | None) -> str:
    if new is None:
        was = ", ".join(f"{k} = {_value(v)}" for k, v in old.items())
        return f"{MANIFEST}: entry {key} removed (was {was})"
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    parts = [f"{k}: {_value(old.get(k))} -> {_value(new.get(k))}" for k in changed]
    return f"{MANIFEST}: entry {key} changed ({'; '.join(parts)})"


def stable_abi(repo: Repo, base: str, head: str) -> tuple[list[Finding], str]:
    """The findings, and a one-line note of what was compared."""
    old_text = repo.show(base, MANIFEST)
    new_text = repo.show(head, MANIFEST)
    if old_text is None:
        note = f"no {MANIFEST} at {base}: nothing to compare"
        if new_text is not None:
            note = f"{MANIFEST} is new since {base}: nothing to lose"
        return [], note
    old = parse_manifest(old_text, base)
    if new_text is None:
        return [
            Finding(
                kind="stable-abi",
                commit=_last_commit(repo, base, head),
                gh_issue=None,
                detail=f"{MANIFEST} was deleted ({len(old)} entries)",
                subject=MANIFEST,
                score=len(old),
            )
        ], f"{MANIFEST}: deleted"
    new = parse_manifest(new_text, head)
    bad = [k for k, v in old.items() if new.get(k) != v]
    if not bad:
        return [], f"{MANIFEST}: {len(old)} entries kept, {len(set(new) - set(old))} added"
    blame = _attribute(repo, base, head, old, set(bad))
    findings = []
    for key in bad:
        commit, gh = blame.get(key, (_last_commit(repo, base, head), None))
        findings.append(
            Finding(
                kind="stable-abi",
                commit=commit,
                gh_issue=gh,
                detail=_describe(key, old[key], new.get(key)),
                subject=key,
                score=1,
            )
        )
    return findings, f"{MANIFEST}: {len(bad)} of {len(old)} entries lost or changed"


def _last_commit(repo: Repo, base: str, head: str) -> str:
    out = repo.text("log", "-1", "--format=%H", f"{base}..{head}", "--", MANIFEST).strip()
    return out or repo.commit_of(head, "--to")


def _attribute(
    repo: Repo, base: str, head: str, old: Entries, keys: set[str]
) -> dict[str, tuple[str, int | None]]:
    """The first commit after which each entry differs from ``base``'s (most ranges have a
    handful of commits touching the manifest)."""
    from cpython_release.upgrade.changed_tests import commit_infos

    log = repo.text("log", "--reverse", "--format=%H", f"{base}..{head}", "--", MANIFEST)
    infos = commit_infos(repo, f"{base}..{head}")
    out: dict[str, tuple[str, int | None]] = {}
    for sha in log.split():
        text = repo.show(sha, MANIFEST)
        now = parse_manifest(text, sha) if text is not None else {}
        info = infos.get(sha)
        for key in keys - set(out):
            if now.get(key) != old[key]:
                out[key] = (sha, info.gh_issue if info else None)
    return out
