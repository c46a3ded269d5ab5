"""A finding of the upgrade check, and the waivers that can excuse one."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from typing import Any

from cpython_release.errors import BadInput

#: What a finding's ``subject`` (and so a waiver's ``subject``) is, per kind. Several names
#: are joined with ", ": a waiver's subject must equal the finding's whole subject.
SUBJECTS = {
    "behaviour-change": "the test id (test.test_x.Class.test_y) or the test module",
    "no-baseline": "the changed test's id, or its module",
    "removed-tests": "the removed tests' ids",
    "changed-tests": "the ids of the tests whose existing code changed",
    "stable-abi": "the Misc/stable_abi.toml entry (function.PyFoo)",
    "abi": "the exported symbol, or the library abidiff compared",
    "canary": "the package, or 'package: test id'",
}

#: Kinds of finding, in the order the report lists them.
KINDS = (
    "check-failed",  # a part of the check could not run (a runner failure, a timeout)
    "waivers-changed",  # a commit of the range changed Misc/upgrade-waivers.toml
    "behaviour-change",  # part 2: an old test passes on the old interpreter, fails on the new
    "no-baseline",  # part 2: a changed test fails (or its module does not import) on the old
    "removed-tests",  # part 1: a commit removed a test (method, class or module)
    "changed-tests",  # part 1: a commit modified or deleted existing test lines
    "stable-abi",  # part 3: Misc/stable_abi.toml lost or changed an entry
    "abi",  # part 3: the exported ABI changed
    "canary",  # part 4: a third-party package passes on old, fails on new
)

#: Kinds only the release manager's waivers (--waivers) can waive, never the committed file.
RELEASE_MANAGER_ONLY = frozenset({"check-failed", "waivers-changed"})


@dataclass
class Finding:
    kind: str
    #: The commit that explains it; None when no commit of the range does (a behaviour
    #: change of a test no commit touched, an abidiff of the builds, a canary).
    commit: str | None
    gh_issue: int | None
    detail: str
    #: What exactly, for a waiver's ``subject`` to name (see SUBJECTS).
    subject: str = ""
    waived: bool = False
    waiver_reason: str | None = None
    #: How much existing code it touches (the ranking key among findings of one kind).
    score: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "commit": self.commit,
            "gh_issue": self.gh_issue,
            "detail": self.detail,
            "waived": self.waived,
            "waiver_reason": self.waiver_reason,
            "subject": self.subject,
            "score": self.score,
            **self.extra,
        }


@dataclass(frozen=True)
class Waiver:
    kind: str
    reason: str
    source: str
    commit: str = ""
    gh_issue: int | None = None
    subject: str = ""
    #: The release (``PY_VERSION``) it was written for; it waives nothing in another.
    release: str = ""
    #: From the committed waivers file (not the release manager's input).
    committed: bool = False
    #: False when ``release`` names another release than the one checked.
    applies: bool = True

    def matches(self, f: Finding) -> bool:
        if not self.applies or self.kind != f.kind:
            return False
        if self.committed and f.kind in RELEASE_MANAGER_ONLY:
            return False
        if self.commit and not (f.commit or "").startswith(self.commit):
            return False
        if self.gh_issue is not None and self.gh_issue != f.gh_issue:
            return False
        return not self.subject or self.subject == f.subject

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "commit": self.commit or None,
            "gh_issue": self.gh_issue,
            "subject": self.subject or None,
            "release": self.release or None,
            "reason": self.reason,
            "source": self.source,
        }


def parse_waivers(
    text: str, source: str, *, committed: bool = False, release: str | None = None
) -> list[Waiver]:
    """``[[waiver]]`` tables: ``kind``, ``reason`` and at least one of ``commit`` (7+ hex
    digits, a prefix of the finding's), ``gh_issue`` or ``subject``; ``release``
    (``"3.13.6"``) limits it to that release (``release`` is the one being checked).

    A waiver of the committed file (``committed``) stays in the branch for later releases,
    so unless it names a ``commit`` it must name its ``release``: a ``gh_issue`` waiver of
    3.13.6 must not waive a later backport of the same issue in 3.13.7. It can never waive a
    ``waivers-changed`` finding (a backport cannot waive its own finding)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"waivers in {source}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"waiver"}
    if unknown:
        raise BadInput(f"waivers in {source}: unknown keys {sorted(unknown)} (use [[waiver]])")
    raw = data.get("waiver", [])
    if not isinstance(raw, list):
        raise BadInput(f"waivers in {source}: 'waiver' must be an array of tables ([[waiver]])")
    out: list[Waiver] = []
    for n, item in enumerate(raw, 1):
        where = f"waivers in {source}, waiver {n}"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: not a table")
        extra = set(item) - {"kind", "reason", "commit", "gh_issue", "subject", "release"}
        if extra:
            raise BadInput(f"{where}: unknown keys {sorted(extra)}")
        kind, reason = item.get("kind"), item.get("reason")
        if kind not in KINDS:
            raise BadInput(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise BadInput(f"{where}: a waiver needs a reason")
        commit = item.get("commit", "")
        if isinstance(commit, str):
            commit = commit.lower()  # git prints lowercase; an uppercase copy means the same
        if commit and (
            not isinstance(commit, str)
            or len(commit) < 7
            or any(c not in "0123456789abcdef" for c in commit)
        ):
            raise BadInput(f"{where}: commit must be 7 to 40 lowercase hex digits")
        gh = item.get("gh_issue")
        if gh is not None and (not isinstance(gh, int) or isinstance(gh, bool) or gh <= 0):
            raise BadInput(f"{where}: gh_issue must be a positive integer")
        subject = item.get("subject", "")
        if not isinstance(subject, str):
            raise BadInput(f"{where}: subject must be a string")
        if not (commit or gh is not None or subject):
            raise BadInput(f"{where}: name the finding by commit, gh_issue or subject")
        rel = item.get("release", "")
        if not isinstance(rel, str):
            raise BadInput(f'{where}: release must be a string such as "3.13.6"')
        if committed and not commit and not rel:
            raise BadInput(
                f"{where}: a committed waiver without a commit must name its release "
                '(release = "3.Y.Z"), or it would waive later releases\' findings too'
            )
        if committed and kind in RELEASE_MANAGER_ONLY:
            raise BadInput(f"{where}: only the release manager's --waivers can waive {kind}")
        applies = not rel or rel == release
        out.append(
            Waiver(kind, reason.strip(), source, commit, gh, subject, rel, committed, applies)
        )
    return out


def apply_waivers(findings: list[Finding], waivers: list[Waiver]) -> list[Waiver]:
    """Mark the findings each waiver names; returns the waivers that named none."""
    unused = []
    for w in waivers:
        hit = False
        for f in findings:
            if w.matches(f):
                hit = True
                if not f.waived:
                    f.waived, f.waiver_reason = True, w.reason
        if not hit:
            unused.append(w)
    return unused


def _toml_str(text: str) -> str:
    # JSON string escapes (\", \\, \n, \uXXXX) are TOML basic-string escapes too; DEL is not
    # allowed raw in TOML
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _selector(f: Finding, release: str | None) -> list[tuple[str, str]]:
    """The keys that name exactly this finding: kind, its commit (where one explains it),
    its subject; without a commit, the release (a committed waiver must name one)."""
    keys = [("kind", _toml_str(f.kind))]
    if f.commit:
        keys.append(("commit", _toml_str(f.commit[:12])))
    if f.subject:
        keys.append(("subject", _toml_str(f.subject)))
    elif f.gh_issue is not None:
        keys.append(("gh_issue", str(f.gh_issue)))
    if not f.commit and release:
        keys.append(("release", _toml_str(release)))
    return keys


def waiver_for(f: Finding, release: str | None = None) -> str:
    """A ready-to-paste ``[[waiver]]`` naming exactly ``f``. Its reason is left empty, which
    the parser refuses: the release manager has to write why users can still upgrade."""
    lines = ["[[waiver]]", *(f"{k} = {v}" for k, v in _selector(f, release))]
    lines.append('reason = ""  # required: why users can still upgrade safely')
    return "\n".join(lines) + "\n"


def waivers_inline(findings: list[Finding], release: str | None = None) -> str:
    """The same waivers on one line (``waiver = [{...}, ...]``), for the workflow's
    single-line ``upgrade-waivers`` input."""
    tables = [
        "{" + ", ".join(f"{k} = {v}" for k, v in [*_selector(f, release), ("reason", '""')]) + "}"
        for f in findings
    ]
    return f"waiver = [{', '.join(tables)}]"
