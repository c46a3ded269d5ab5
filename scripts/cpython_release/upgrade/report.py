"""The upgrade check's result: what ran, what it found, in text, JSON and a step summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cpython_release.ghactions import markdown_table
from cpython_release.upgrade.findings import KINDS, Finding, Waiver

#: Findings listed in the step summary (it must fit one screen); the JSON has them all.
SUMMARY_ROWS = 8


@dataclass
class Check:
    name: str
    status: str  # "ran", "skipped", "failed" (could not run: a check-failed finding says why)
    note: str
    seconds: float = 0.0


@dataclass
class Report:
    base: str
    head: str
    base_commit: str
    head_commit: str
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    unused_waivers: list[Waiver] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def unwaived(self) -> list[Finding]:
        return [f for f in self.findings if not f.waived]

    def ordered(self) -> list[Finding]:
        """By kind (most serious first), then by how much existing code each touches."""
        return sorted(self.findings, key=lambda f: (KINDS.index(f.kind), -f.score))

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.base,
            "to": self.head,
            "from_commit": self.base_commit,
            "to_commit": self.head_commit,
            "result": "findings" if self.unwaived else "clean",
            "unwaived": len(self.unwaived),
            "checks": [
                {"name": c.name, "status": c.status, "note": c.note, "seconds": round(c.seconds, 2)}
                for c in self.checks
            ],
            "findings": [f.to_dict() for f in self.ordered()],
            "waivers": [w.to_dict() for w in self.waivers],
            "unused_waivers": [w.to_dict() for w in self.unused_waivers],
            "notices": self.notices,
            "seconds": round(self.seconds, 2),
        }

    def headline(self) -> str:
        n, u = len(self.findings), len(self.unwaived)
        if not u:
            tail = f" ({n} waived)" if n else ""
            return f"upgrade check {self.base} -> {self.head}: clean{tail}"
        return f"upgrade check {self.base} -> {self.head}: {u} unwaived finding(s) of {n}"

    def text(self, *, hunks: int = 3) -> str:
        out = [self.headline(), ""]
        for c in self.checks:
            out.append(f"  [{c.status}] {c.name}: {c.note}")
        out += [f"  notice: {n}" for n in self.notices]
        for w in self.unused_waivers:
            out.append(f"  notice: waiver names no finding ({w.kind} {w.commit or w.gh_issue})")
        for i, f in enumerate(self.ordered(), 1):
            gh = f"gh-{f.gh_issue}" if f.gh_issue else "no gh issue"
            state = f"WAIVED: {f.waiver_reason}" if f.waived else "UNWAIVED"
            out += ["", f"{i}. [{f.kind}] {f.commit[:12]} {gh} [{state}]", f"   {f.detail}"]
            for name in f.extra.get("affected", []):
                out.append(f"   affected: {name}")
            output = f.extra.get("output")
            if output:
                out += ["   " + line for line in str(output).splitlines()[-15:]]
            shown = f.extra.get("hunks", [])
            for h in shown[:hunks]:
                out += ["   | " + line for line in h.splitlines()]
            if len(shown) > hunks:
                out.append(f"   ... {len(shown) - hunks} more hunk(s) in the JSON report")
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        """The step summary: one screen."""
        icon = "✅" if not self.unwaived else "❌"
        out = [f"### {icon} Upgrade safety: {self.headline()}", ""]
        out += [f"- {c.name}: **{c.status}** — {c.note}" for c in self.checks]
        out += [f"- notice: {n}" for n in self.notices[:3]]
        ordered = self.ordered()
        if ordered:
            rows = [
                (
                    f.kind,
                    f.commit[:10],
                    f"gh-{f.gh_issue}" if f.gh_issue else "",
                    (f.detail[:90] + "…") if len(f.detail) > 90 else f.detail,
                    f"waived: {f.waiver_reason}" if f.waived else "**no**",
                )
                for f in ordered[:SUMMARY_ROWS]
            ]
            out += ["", markdown_table(("kind", "commit", "issue", "detail", "waived"), rows)]
            if len(ordered) > SUMMARY_ROWS:
                out.append(f"…and {len(ordered) - SUMMARY_ROWS} more in the JSON report.")
        return "\n".join(out) + "\n"
