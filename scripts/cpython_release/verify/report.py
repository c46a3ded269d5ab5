"""The verify stage's findings: one row per file, a verdict, and three renderings."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cpython_release.ghactions import markdown_table
from cpython_release.output import inert, markdown_inert, plural, text_table

CheckStatus = Literal["ok", "failed", "needs-online", "skipped", "-"]
Result = Literal["valid", "invalid", "needs-online"]
CHECKS = ("integrity", "sigstore", "gpg", "sbom")
_RANK = {"-": 0, "skipped": 1, "ok": 1, "needs-online": 2, "failed": 3}


@dataclass(frozen=True)
class Check:
    status: CheckStatus
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "message": self.message}


NOT_APPLICABLE = Check("-")


@dataclass
class Row:
    """One artifact (or the manifest, or SHA256SUMS) and what was found about it."""

    name: str
    kind: str
    size: int | None = None
    sha256: str | None = None
    checks: dict[str, Check] = field(default_factory=dict)

    def check(self, name: str) -> Check:
        return self.checks.get(name, NOT_APPLICABLE)

    @property
    def result(self) -> str:
        worst = max((c.status for c in self.checks.values()), key=_RANK.__getitem__, default="-")
        return {"failed": "invalid", "needs-online": "needs-online"}.get(worst, "valid")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "result": self.result,
            "checks": {k: self.check(k).to_dict() for k in CHECKS},
        }


@dataclass
class VerifyReport:
    version: str
    source: str
    mode: str  # "manifest", "sha256sums" or "listing": where the list of files came from
    policy: str  # the identity policy, in words
    release: dict[str, Any] | None = None  # the manifest's release facts
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each one fails verification
    needs_online: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def result(self) -> Result:
        if self.problems:
            return "invalid"
        if self.needs_online:
            return "needs-online"
        return "valid"

    @property
    def ok(self) -> bool:
        """True only when everything was verified (``needs-online`` is not ok)."""
        return self.result == "valid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "version": self.version,
            "source": self.source,
            "mode": self.mode,
            "policy": self.policy,
            "release": self.release,
            "files": [r.to_dict() for r in self.rows],
            "problems": list(self.problems),
            "needs_online": list(self.needs_online),
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def _table_rows(self, escape: Callable[[str], str] = inert) -> list[tuple[str, ...]]:
        """Name and kind come from the (maybe unsigned, hostile) manifest: escaped."""
        return [
            (escape(r.name), escape(r.kind), *(r.check(c).status for c in CHECKS), r.result)
            for r in self.rows
        ]

    def headline(self) -> str:
        verdict = {
            "valid": "VALID",
            "invalid": "INVALID",
            "needs-online": "NEEDS ONLINE VERIFICATION",
        }[self.result]
        return (
            f"Python {self.version}: {verdict} ({plural(len(self.rows), 'file')} from {self.mode}, "
            f"{plural(len(self.problems), 'problem')}, "
            f"{len(self.needs_online)} need{'s' if len(self.needs_online) == 1 else ''} online "
            "verification)"
        )

    def render_table(self) -> str:
        headers = ("file", "kind", *CHECKS, "result")
        rows = self._table_rows()
        out = [text_table(headers, rows), ""]
        out += [f"FAIL: {inert(p)}" for p in self.problems]
        out += [f"NEEDS ONLINE: {inert(p)}" for p in self.needs_online]
        out += [f"warning: {inert(w)}" for w in self.warnings]
        out.append(inert(self.headline()))
        return "\n".join(out) + "\n"

    def render_markdown(self) -> str:
        parts = [
            f"### Verify Python {markdown_inert(self.version)}: {self.result}\n",
            f"Source {markdown_inert(self.source)} ({self.mode}); "
            f"policy: {markdown_inert(self.policy)}\n",
        ]
        md = markdown_inert
        if self.problems:
            parts.append("**Problems**\n\n" + "".join(f"- {md(p)}\n" for p in self.problems))
        if self.needs_online:
            parts.append(
                "**Needs online verification**\n\n"
                + "".join(f"- {md(p)}\n" for p in self.needs_online)
            )
        if self.warnings:
            parts.append("**Warnings**\n\n" + "".join(f"- {md(w)}\n" for w in self.warnings))
        parts.append(markdown_table(("file", "kind", *CHECKS, "result"), self._table_rows(md)))
        return "\n".join(parts)
