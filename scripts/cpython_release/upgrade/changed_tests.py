"""Part 1: commits between two refs that modify or delete existing lines under Lib/test.

One ``git log -p`` over ``Lib/test`` and one ``git log --name-only`` for the whole range,
then the old (and new) versions of each touched Python file in one ``git cat-file --batch``:
the report takes seconds on a real release branch. Lines a commit only adds never count.
For Python files, each removed old line is mapped to the innermost ``def``/``class`` around
it in the old file (``ast``), so the report names the test functions whose code changed, and
tests present in the old file but gone from the new are named as removed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from cpython_release.upgrade.findings import Finding
from cpython_release.upgrade.gitrepo import Repo

TEST_DIR = "Lib/test"
_GH = re.compile(r"\bgh-(\d+)\b", re.IGNORECASE)
_NEWS_GH = re.compile(r"gh-issue-(\d+)\.")
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SEP = "\x1e"
#: Hunks kept per finding in the text report (JSON keeps them all).
MAX_TEXT_HUNKS = 3


@dataclass
class Hunk:
    path: str
    header: str
    lines: list[str]
    removed: int


@dataclass
class FileChange:
    path: str
    old_blob: str = ""
    new_blob: str = ""
    deleted: bool = False
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)
    removed_old_lines: list[int] = field(default_factory=list)

    @property
    def removed(self) -> int:
        return len(self.removed_old_lines) or (1 if self.binary and self.deleted else 0)


@dataclass
class CommitInfo:
    sha: str
    subject: str
    gh_issue: int | None
    whatsnew: bool
    files: list[str]


def _module_name(path: str) -> str:
    return path.removeprefix("Lib/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def commit_infos(repo: Repo, rev_range: str) -> dict[str, CommitInfo]:
    """Subject, gh-issue (message first, then a NEWS blurb's file name), What's New touched."""
    raw = repo.text("log", "--no-merges", "--name-only", f"--format={_SEP}%H%n%B%x00", rev_range)
    infos: dict[str, CommitInfo] = {}
    for chunk in raw.split(_SEP)[1:]:
        sha, _, rest = chunk.partition("\n")
        message, _, names = rest.partition("\x00")
        files = [n for n in names.splitlines() if n.strip()]
        gh: int | None = None
        m = _GH.search(message)
        if m:
            gh = int(m.group(1))
        else:
            for name in files:
                n = _NEWS_GH.search(name)
                if name.startswith("Misc/NEWS.d/") and n:
                    gh = int(n.group(1))
                    break
        infos[sha] = CommitInfo(
            sha=sha,
            subject=message.strip().splitlines()[0] if message.strip() else "",
            gh_issue=gh,
            whatsnew=any(f.startswith("Doc/whatsnew/") for f in files),
            files=files,
        )
    return infos


def _parse_patch(text: str) -> list[FileChange]:
    changes: list[FileChange] = []
    cur: FileChange | None = None
    hunk: Hunk | None = None
    old_no = 0
    for line in text.splitlines():
        if line.startswith("diff --git "):
            cur = FileChange(path=line.split(" b/", 1)[-1])
            changes.append(cur)
            hunk = None
            continue
        if cur is None:
            continue
        if hunk is None:
            if line.startswith("deleted file mode"):
                cur.deleted = True
            elif line.startswith("index "):
                ids = line.split()[1].split("..")
                cur.old_blob, cur.new_blob = ids[0], ids[1]
            elif line.startswith("--- a/"):
                cur.path = line[6:]
            elif line.startswith("Binary files"):
                cur.binary = True
        m = _HUNK.match(line)
        if m:
            old_no = int(m.group(1))
            hunk = Hunk(cur.path, line, [line], 0)
            cur.hunks.append(hunk)
            continue
        if hunk is None:
            continue
        hunk.lines.append(line)
        if line.startswith("-"):
            if line[1:].strip():  # a removed blank line changes no test code
                cur.removed_old_lines.append(old_no)
                hunk.removed += 1
            old_no += 1
        elif line.startswith(" "):
            old_no += 1
    return changes


def _defs(source: bytes) -> list[tuple[int, int, str]] | None:
    """(first line, last line, qualified name) of every def and class; None if unparsable."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    out: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                out.append((first, child.end_lineno or child.lineno, name))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _is_test(qualname: str) -> bool:
    last = qualname.rsplit(".", 1)[-1]
    return last.startswith("test") or (qualname.count(".") == 0 and "Test" in last)


def _enclosing(defs: list[tuple[int, int, str]], line: int) -> str:
    best = ""
    best_span = 1 << 30
    for first, last, name in defs:
        if first <= line <= last and last - first < best_span:
            best, best_span = name, last - first
    return best


def _analyse_file(fc: FileChange, blobs: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """(affected names, removed tests) of one file change, as ``module.Class.method``."""
    module = _module_name(fc.path)
    if not fc.path.endswith(".py"):
        return [fc.path], ([fc.path] if fc.deleted else [])
    old_defs = _defs(blobs.get(fc.old_blob, b""))
    if old_defs is None:
        return [module], ([module] if fc.deleted else [])
    affected: list[str] = []
    for line in fc.removed_old_lines:
        name = _enclosing(old_defs, line)
        qual = f"{module}.{name}" if name else f"{module} (module level)"
        if qual not in affected:
            affected.append(qual)
    old_tests = {name for _, _, name in old_defs if _is_test(name)}
    if fc.deleted:
        gone = old_tests
    else:
        new_defs = _defs(blobs.get(fc.new_blob, b"")) or []
        gone = old_tests - {name for _, _, name in new_defs}
    removed = sorted(f"{module}.{name}" for name in gone)
    if fc.deleted and not removed:
        removed = [module]
    return affected, removed


def changed_tests(repo: Repo, base: str, head: str) -> list[Finding]:
    """Findings for every commit in ``base..head`` that modified or deleted existing lines
    under Lib/test, most existing test code changed first."""
    rev_range = f"{base}..{head}"
    infos = commit_infos(repo, rev_range)
    raw = repo.text(
        "log",
        "--no-merges",
        "--reverse",
        "-p",
        "--full-index",
        "--no-renames",
        "--no-ext-diff",
        "--no-color",
        "-U3",
        f"--format={_SEP}%H",
        rev_range,
        "--",
        TEST_DIR,
    )
    per_commit: list[tuple[str, list[FileChange]]] = []
    for chunk in raw.split(_SEP)[1:]:
        sha, _, patch = chunk.partition("\n")
        changes = [fc for fc in _parse_patch(patch) if fc.removed]
        if changes:
            per_commit.append((sha.strip(), changes))
    blob_ids = [
        oid
        for _, changes in per_commit
        for fc in changes
        if fc.path.endswith(".py")
        for oid in (fc.old_blob, fc.new_blob)
    ]
    blobs = repo.blobs(blob_ids)
    findings: list[Finding] = []
    for order, (sha, changes) in enumerate(per_commit):
        info = infos.get(sha) or CommitInfo(sha, "", None, False, [])
        affected: list[str] = []
        removed_tests: list[str] = []
        for fc in changes:
            a, r = _analyse_file(fc, blobs)
            affected += [x for x in a if x not in affected]
            removed_tests += [x for x in r if x not in removed_tests]
        lines = sum(fc.removed for fc in changes)
        kind = "removed-tests" if removed_tests else "changed-tests"
        what = (
            f"removed {', '.join(removed_tests)}"
            if removed_tests
            else f"{lines} existing test line(s) modified or deleted in {', '.join(affected)}"
        )
        detail = f"{info.subject} — {what}"
        if not info.whatsnew:
            detail += " (not in What's New)"
        findings.append(
            Finding(
                kind=kind,
                commit=sha,
                gh_issue=info.gh_issue,
                detail=detail,
                subject=",".join(removed_tests) if removed_tests else "",
                score=lines,
                extra={
                    "order": order,
                    "subject_line": info.subject,
                    "existing_lines_changed": lines,
                    "files": [fc.path for fc in changes],
                    "affected": affected,
                    "removed_tests": removed_tests,
                    "whatsnew": info.whatsnew,
                    "hunks": ["\n".join(h.lines) for fc in changes for h in fc.hunks if h.removed]
                    + [f"Binary file {fc.path} deleted" for fc in changes if fc.binary],
                },
            )
        )
    findings.sort(key=lambda f: (-f.score, f.extra["order"]))
    for f in findings:
        del f.extra["order"]
    return findings


def affected_modules(findings: list[Finding]) -> list[str]:
    """Test modules (``test.test_x``) the part-1 findings touch, for part 2 to run."""
    mods: list[str] = []
    for f in findings:
        for path in f.extra.get("files", []):
            if path.endswith(".py") and path.startswith(f"{TEST_DIR}/"):
                name = _module_name(path)
                parts = name.split(".")
                # the test module or package directly under Lib/test
                top = ".".join(parts[:2]) if len(parts) >= 2 else name
                if top.split(".")[-1].startswith("test_") and top not in mods:
                    mods.append(top)
    return mods
