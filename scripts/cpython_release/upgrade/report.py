"""The upgrade check's result: what ran, what it found, in text, JSON and a step summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cpython_release.ghactions import markdown_table
from cpython_release.upgrade.findings import (
    KINDS,
    Finding,
    Waiver,
    waiver_for,
    waivers_inline,
)

#: Findings listed in the step summary (it must fit one screen); the JSON has them all.
SUMMARY_ROWS = 8


@dataclass
class Check:
    name: str
    status: str  # "ran", "skipped", "failed" (could not run: a check-failed finding says why)
    note: str
    seconds: float = 0.0


#: ``Report.status`` of a check that has not run: ``skipped`` (no previous release to
#: compare with; ``reason`` says why) and ``incomplete`` (the report written before the check
#: starts, overwritten when it ends: a report that still says so means the check did not
#: finish, e.g. the job's time ran out).
SKIPPED, INCOMPLETE = "skipped", "incomplete"


@dataclass
class Report:
    base: str | None
    head: str
    base_commit: str | None
    head_commit: str
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    unused_waivers: list[Waiver] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The release checked (PY_VERSION at --to), for the ready-to-paste waivers.
    release: str | None = None
    #: The previous release's version (its tag's, or PY_VERSION at --from).
    base_version: str | None = None
    #: "" once the check ran (the result is then the findings'), else SKIPPED or INCOMPLETE.
    status: str = ""
    reason: str = ""

    @property
    def result(self) -> str:
        return self.status or ("findings" if self.unwaived else "clean")

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
            "from_version": self.base_version,
            "to_commit": self.head_commit,
            "release": self.release,
            "result": self.result,
            "reason": self.reason,
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
        if self.status == SKIPPED:
            return f"upgrade check skipped: {self.reason}"
        if self.status == INCOMPLETE:
            return f"upgrade check {self.base} -> {self.head}: did not finish"
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
            named = w.commit or (f"gh-{w.gh_issue}" if w.gh_issue else "") or repr(w.subject)
            hint = (
                "; a subject is a finding's JSON subject: test ids, an ABI entry"
                if w.subject
                else ""
            )
            out.append(f"  notice: waiver names no finding ({w.kind} {named}{hint})")
        for i, f in enumerate(self.ordered(), 1):
            gh = f"gh-{f.gh_issue}" if f.gh_issue else "no gh issue"
            state = f"WAIVED: {f.waiver_reason}" if f.waived else "UNWAIVED"
            commit = f.commit[:12] if f.commit else "no commit"
            out += ["", f"{i}. [{f.kind}] {commit} {gh} [{state}]", f"   {f.detail}"]
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
        out += self._how_to_waive()
        return "\n".join(out) + "\n"

    def _how_to_waive(self) -> list[str]:
        """Ready-to-paste waivers of every unwaived finding (one per finding: a commit can
        yield findings of several kinds, each needs its own)."""
        unwaived = [f for f in self.ordered() if not f.waived]
        if not unwaived:
            return []
        out = [
            "",
            "To waive a finding, add its [[waiver]] to Misc/upgrade-waivers.toml of the release "
            "commit (or a --waivers FILE) and write its reason:",
            "",
        ]
        for f in unwaived:
            out += [*waiver_for(f, self.release).splitlines(), ""]
        out += [
            "On one line (the workflow's upgrade-waivers input):",
            waivers_inline(unwaived, self.release),
        ]
        return out

    def markdown(self) -> str:
        """The step summary: one screen."""
        if self.status == SKIPPED:
            return f"### Upgrade safety: skipped\n\n{self.reason}\n"
        icon = "✅" if not self.unwaived else "❌"
        out = [f"### {icon} Upgrade safety: {self.headline()}", ""]
        out += [f"- {c.name}: **{c.status}** — {c.note}" for c in self.checks]
        out += [f"- notice: {n}" for n in self.notices[:3]]
        ordered = self.ordered()
        if ordered:
            rows = [
                (
                    f.kind,
                    f.commit[:10] if f.commit else "none",
                    f"gh-{f.gh_issue}" if f.gh_issue else "",
                    _subject_cell(f.subject),
                    (f.detail[:90] + "…") if len(f.detail) > 90 else f.detail,
                    f"waived: {f.waiver_reason}" if f.waived else "**no**",
                )
                for f in ordered[:SUMMARY_ROWS]
            ]
            out += [
                "",
                markdown_table(("kind", "commit", "issue", "subject", "detail", "waived"), rows),
            ]
            if len(ordered) > SUMMARY_ROWS:
                out.append(f"…and {len(ordered) - SUMMARY_ROWS} more in the JSON report.")
        unwaived = [f for f in ordered if not f.waived]
        if unwaived:
            blocks = "\n".join(waiver_for(f, self.release) for f in unwaived)
            out += [
                "",
                f"<details><summary>To unblock: {len(unwaived)} waiver(s) to paste into "
                "Misc/upgrade-waivers.toml (write each reason)</summary>",
                "",
                "```toml",
                blocks.rstrip("\n"),
                "```",
                "",
                "Or on one line, as the `upgrade-waivers` input at dispatch:",
                "",
                "```toml",
                waivers_inline(unwaived, self.release),
                "```",
                "</details>",
            ]
        return "\n".join(out) + "\n"


def _subject_cell(subject: str) -> str:
    """The test ids (or ABI entry) a finding is about, never cut inside a name: the first
    three names whole, then how many more."""
    names = [n for n in subject.split(", ") if n]
    shown = ", ".join(f"`{n}`" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")
