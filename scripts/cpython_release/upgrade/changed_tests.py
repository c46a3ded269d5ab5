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
#: Starts each commit's record in ``git log`` output. A NUL byte never appears in a message
#: or a text diff (git shows a file holding one as binary), and no path starts with "/", so
#: neither test data nor a file name can forge it.
_SEP = "\x00//"
#: Hunks kept per finding in the text report (JSON keeps them all).
MAX_TEXT_HUNKS = 3
#: Functions that switch existing tests off or on even when they are new.
_FIXTURES = frozenset(
    {"setUpModule", "tearDownModule", "load_tests", "setUpClass", "tearDownClass", "setUp",
     "tearDown", "asyncSetUp", "asyncTearDown"}
)  # fmt: skip
#: Read every path and message as git stores them (no octal quoting of non-ASCII names).
GIT_OPTS = ("-c", "core.quotePath=false")


@dataclass
class Hunk:
    path: str
    header: str
    lines: list[str]
    removed: list[int] = field(default_factory=list)  # old line numbers
    added: list[int] = field(default_factory=list)  # new line numbers


@dataclass
class FileChange:
    path: str
    old_blob: str = ""
    new_blob: str = ""
    deleted: bool = False
    created: bool = False
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)
    #: (old line number, the line is blank)
    removed_lines: list[tuple[int, bool]] = field(default_factory=list)
    #: (new line number, the line is blank)
    added_lines: list[tuple[int, bool]] = field(default_factory=list)
    #: Filled by the analysis: the existing lines this change counts (old and new numbers).
    counted_old: set[int] = field(default_factory=set)
    counted_new: set[int] = field(default_factory=set)

    @property
    def touches_existing(self) -> bool:
        """Can this change alter an existing test at all? (A new file cannot.)"""
        if self.created:
            return False
        return bool(self.removed_lines or self.added_lines or self.binary)

    @property
    def counted(self) -> int:
        if self.binary:
            return 1
        return len(self.counted_old) + len(self.counted_new)


@dataclass
class CommitInfo:
    sha: str
    subject: str
    gh_issue: int | None
    whatsnew: bool
    files: list[str]


def _module_name(path: str) -> str:
    return path.removeprefix("Lib/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def unquote_path(text: str) -> str:
    """A path as git prints it in diff headers: C-quoted when it holds a quote, a backslash
    or a control character; a trailing tab when it holds a space."""
    text = text.rstrip("\t")
    if not text.startswith('"'):
        return text
    body = text[1:-1] if text.endswith('"') else text[1:]
    out = bytearray()
    i = 0
    escapes = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}
    raw = body.encode("utf-8", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == 92 and i + 1 < len(raw):  # backslash
            nxt = chr(raw[i + 1])
            if nxt in "01234567" and i + 3 < len(raw) + 1:
                out.append(int(raw[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(escapes.get(nxt, raw[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return out.decode("utf-8", "replace")


def _diff_git_path(line: str) -> str:
    """The path of a ``diff --git a/P b/P`` line (renames are off: both sides are P)."""
    rest = line[len("diff --git ") :]
    if rest.startswith('"'):
        end = 1
        while end < len(rest) and not (rest[end] == '"' and rest[end - 1] != "\\"):
            end += 1
        return unquote_path(rest[: end + 1]).removeprefix("a/")
    half = (len(rest) - 1) // 2  # "a/P b/P": both halves the same length
    return rest[:half].removeprefix("a/")


def commit_infos(repo: Repo, rev_range: str) -> dict[str, CommitInfo]:
    """Subject, gh-issue (message first, then a NEWS blurb's file name), What's New touched,
    and the files changed. Merges are read with ``--remerge-diff``: their files are only
    those the merge itself changed beyond what merging its parents gives."""
    raw = repo.text(
        *GIT_OPTS, "log", "--remerge-diff", "-z", "--name-only", "--format=%x00//%H%n%B%x00",
        rev_range,
    )  # fmt: skip
    infos: dict[str, CommitInfo] = {}
    # -z: each record is "<sha>\n<message>\0", "\0\n", then NUL-terminated file names
    for chunk in raw.split(_SEP)[1:]:
        head, _, names = chunk.partition("\x00")
        sha, _, message = head.partition("\n")
        files = [n for n in names.removeprefix("\x00").removeprefix("\n").split("\x00") if n]
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
        infos[sha.strip()] = CommitInfo(
            sha=sha.strip(),
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
    old_no = new_no = 0
    for line in text.split("\n"):  # not splitlines(): \x1c-\x1e, \x85 are not line ends here
        if line.startswith("diff --git ") or line.startswith("diff --cc "):
            cur = FileChange(path=_diff_git_path(line))
            changes.append(cur)
            hunk = None
            continue
        if cur is None:
            continue
        if hunk is None:
            if line.startswith("deleted file mode"):
                cur.deleted = True
            elif line.startswith("new file mode"):
                cur.created = True
            elif line.startswith("index "):
                ids = line.split()[1].split("..")
                if len(ids) == 2:
                    cur.old_blob, cur.new_blob = ids[0], ids[1]
            elif line.startswith("--- ") and line[4:] != "/dev/null":
                cur.path = unquote_path(line[4:]).removeprefix("a/")
            elif line.startswith("+++ ") and line[4:] != "/dev/null":
                cur.path = unquote_path(line[4:]).removeprefix("b/")
            elif line.startswith("Binary files") or line.startswith("GIT binary patch"):
                cur.binary = True
        m = _HUNK.match(line)
        if m:
            old_no, new_no = int(m.group(1)), int(m.group(3))
            hunk = Hunk(cur.path, line, [line])
            cur.hunks.append(hunk)
            continue
        if hunk is None:
            continue
        if line.startswith("-"):
            hunk.lines.append(line)
            hunk.removed.append(old_no)
            cur.removed_lines.append((old_no, not line[1:].strip()))
            old_no += 1
        elif line.startswith("+"):
            hunk.lines.append(line)
            hunk.added.append(new_no)
            cur.added_lines.append((new_no, not line[1:].strip()))
            new_no += 1
        elif line.startswith(" "):
            hunk.lines.append(line)
            old_no += 1
            new_no += 1
        elif line.startswith("\\"):
            hunk.lines.append(line)
    return changes


class Parsed:
    """What the analysis needs of one version of a Python file: its defs, and (computed on
    first use: only a removed or added blank line needs them) the lines inside multi-line
    string literals."""

    def __init__(self, source: bytes, tree: ast.Module) -> None:
        # the source, not the tree: hundreds of kept trees would make every garbage
        # collection walk millions of nodes (parsed again in the rare case it is needed)
        self._source = source
        self.defs: list[tuple[int, int, str]] = []
        self._defs(tree, "")
        self._strings: set[int] | None = None

    def _defs(self, node: ast.AST, prefix: str) -> None:
        # defs and classes are statements: only statements (and the except and case
        # clauses holding them) are walked, not the expressions, most of a module's nodes
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                self.defs.append((first, child.end_lineno or child.lineno, name))
                self._defs(child, name + ".")
            elif isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                self._defs(child, prefix)

    @property
    def string_lines(self) -> set[int]:
        """Lines inside a string literal spanning several lines (a blank line there is
        data)."""
        if self._strings is None:
            self._strings = set()
            for node in ast.walk(ast.parse(self._source)):
                if isinstance(node, ast.Constant | ast.JoinedStr):
                    end = node.end_lineno or node.lineno
                    if end > node.lineno:
                        self._strings.update(range(node.lineno, end + 1))
        return self._strings


def _parse(source: bytes) -> Parsed | None:
    """Every def and class as (first line, last line, qualified name); None if unparsable."""
    try:
        return Parsed(source, ast.parse(source))
    except (SyntaxError, ValueError):
        return None


def _defs(source: bytes) -> list[tuple[int, int, str]] | None:
    parsed = _parse(source)
    return parsed.defs if parsed else None


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


class _Blobs:
    """The range's blobs, each parsed at most once (a file changed by several commits has
    one commit's new version as the next one's old)."""

    def __init__(self, data: dict[str, bytes]) -> None:
        self.data = data
        self._parsed: dict[str, Parsed | None] = {}

    def parsed(self, oid: str) -> Parsed | None:
        if oid not in self._parsed:
            self._parsed[oid] = _parse(self.data.get(oid, b""))
        return self._parsed[oid]


def _analyse_file(fc: FileChange, blobs: _Blobs) -> tuple[list[str], list[str]]:
    """(affected names, removed tests) of one file change, as ``module.Class.method``; fills
    ``fc.counted_old``/``fc.counted_new`` with the lines that change existing tests.

    Removed lines count, blank ones only inside a string literal (expected output). Added
    lines count inside an existing def or class or its decorators (a new ``@skip``, an early
    ``return``, a ``self.skipTest``) and inside new fixtures that run for existing tests
    (``setUpModule``, ``setUp``...); a new test function, class or module never counts."""
    module = _module_name(fc.path)
    if fc.created:
        return [], []
    if not fc.path.endswith(".py"):  # test data: every removed or added line is a change
        fc.counted_old = {n for n, _ in fc.removed_lines}
        fc.counted_new = {n for n, _ in fc.added_lines}
        touched = fc.binary or fc.counted_old or fc.counted_new
        return ([fc.path] if touched else []), ([fc.path] if fc.deleted else [])
    old = blobs.parsed(fc.old_blob)
    new = None if fc.deleted else blobs.parsed(fc.new_blob)
    if old is None or (new is None and not fc.deleted):  # unparsable: every line counts
        fc.counted_old = {n for n, _ in fc.removed_lines}
        fc.counted_new = {n for n, _ in fc.added_lines}
        touched = fc.counted_old or fc.counted_new
        return ([module] if touched else []), ([module] if fc.deleted else [])
    affected: list[str] = []

    def note(name: str) -> None:
        qual = f"{module}.{name}" if name else f"{module} (module level)"
        if qual not in affected:
            affected.append(qual)

    for line, blank in fc.removed_lines:
        if blank and line not in old.string_lines:
            continue
        fc.counted_old.add(line)
        note(_enclosing(old.defs, line))
    old_names = {name for _, _, name in old.defs}
    if new is not None:
        for line, blank in fc.added_lines:
            name = _enclosing(new.defs, line)
            if not name:
                continue  # module level: imports and helpers of new tests
            if blank and line not in new.string_lines:
                continue
            parent, _, last = name.rpartition(".")
            # a new fixture runs for existing tests when its class (or module) already existed
            new_fixture = last in _FIXTURES and (not parent or parent in old_names)
            if name in old_names or new_fixture:
                fc.counted_new.add(line)
                note(name)
    old_tests = {name for name in old_names if _is_test(name)}
    if fc.deleted:
        gone = old_tests
    else:
        gone = old_tests - {name for _, _, name in (new.defs if new else [])}
    removed = sorted(f"{module}.{name}" for name in gone)
    if fc.deleted and not removed:
        removed = [module]
    return affected, removed


def _log_patches(repo: Repo, rev_range: str) -> list[tuple[str, list[FileChange]]]:
    """Each commit's changes under Lib/test, oldest first. Merges come as ``--remerge-diff``:
    only what the merge changed beyond merging its parents (an evil merge), so a clean merge
    adds nothing and its parents' commits are not counted twice."""
    raw = repo.text(
        *GIT_OPTS, "log", "--remerge-diff", "-p", "--full-index", "--no-renames",
        "--no-ext-diff", "--no-color", "-U3", "--format=%x00//%H", rev_range, "--", TEST_DIR,
    )  # fmt: skip
    out: list[tuple[str, list[FileChange]]] = []
    for chunk in raw.split(_SEP)[1:]:
        sha, _, patch = chunk.partition("\n")
        changes = [fc for fc in _parse_patch(patch) if fc.touches_existing]
        if changes:
            out.append((sha.strip(), changes))
    # oldest first; not git's --reverse, with which --remerge-diff loses the merge bases
    # (git 2.39..2.47 remerge every merge as an add/add conflict then)
    return out[::-1]


def changed_tests(repo: Repo, base: str, head: str) -> list[Finding]:
    """Findings for every commit in ``base..head`` that changes existing tests under
    Lib/test, most existing test code changed first."""
    rev_range = f"{base}..{head}"
    infos = commit_infos(repo, rev_range)
    per_commit = _log_patches(repo, rev_range)
    blob_ids = [
        oid
        for _, changes in per_commit
        for fc in changes
        if fc.path.endswith(".py")
        for oid in (fc.old_blob, fc.new_blob)
    ]
    blobs = _Blobs(repo.blobs(blob_ids))
    findings: list[Finding] = []
    for order, (sha, all_changes) in enumerate(per_commit):
        info = infos.get(sha) or CommitInfo(sha, "", None, False, [])
        affected: list[str] = []
        removed_tests: list[str] = []
        changes: list[FileChange] = []
        for fc in all_changes:
            a, r = _analyse_file(fc, blobs)
            if not (fc.counted or r):
                continue
            changes.append(fc)
            affected += [x for x in a if x not in affected]
            removed_tests += [x for x in r if x not in removed_tests]
        if not changes:
            continue
        lines = sum(fc.counted for fc in changes)
        kind = "removed-tests" if removed_tests else "changed-tests"
        what = (
            f"removed {', '.join(removed_tests)}"
            if removed_tests
            else f"{lines} existing test line(s) modified, deleted or added to in "
            f"{', '.join(affected)}"
        )
        detail = f"{info.subject} — {what}"
        if not info.whatsnew:
            detail += " (not in What's New)"
        hunks = [
            "\n".join(h.lines)
            for fc in changes
            for h in fc.hunks
            if set(h.removed) & fc.counted_old or set(h.added) & fc.counted_new
        ]
        findings.append(
            Finding(
                kind=kind,
                commit=sha,
                gh_issue=info.gh_issue,
                detail=detail,
                subject=", ".join(removed_tests or affected),
                score=lines,
                extra={
                    "order": order,
                    "subject_line": info.subject,
                    "existing_lines_changed": lines,
                    "files": [fc.path for fc in changes],
                    "affected": affected,
                    "removed_tests": removed_tests,
                    "whatsnew": info.whatsnew,
                    "hunks": hunks
                    + [
                        f"Binary file {fc.path} {'deleted' if fc.deleted else 'modified'}"
                        for fc in changes
                        if fc.binary
                    ],
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
