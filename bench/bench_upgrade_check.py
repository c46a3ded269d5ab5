"""Benchmark: the changed-tests report (``upgrade-check`` with no builds) on a busy branch.

    .venv/bin/python bench/bench_upgrade_check.py [--commits 300] [--repeat 3] [--dir DIR]

Makes the large demo repository (about 4,500 files, 100 MB, with the planted upgrade case
``v3.13.5 -> v3.13.6``), then adds ``--commits`` backports on top of ``v3.13.6``, as many as a
busy 3.Y maintenance branch gets between two patch releases: every third edits existing
lines of a test module under ``Lib/test`` (a few lines in the middle of a def), the others
add a test or touch ``Lib/`` only. It then times a fresh ``cpython-release upgrade-check
--from v3.13.5 --to HEAD --format json`` process (start-up included; best of ``--repeat``)
and checks that the report named every editing commit. Target: a few seconds (issue 14: "the
changed-tests report alone should take seconds").
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts")]

from cpython_release.demo_repo import git_env, make_demo_repo  # noqa: E402

TARGET_S = 5.0


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=data, capture_output=True, check=True, env=git_env()
    ).stdout


def add_backports(repo: Path, count: int) -> int:
    """``count`` commits on main; returns how many edit existing test lines."""
    rng = random.Random("bench upgrade-check")  # noqa: S311 - deterministic on purpose
    tests = [
        p
        for p in _git(repo, "ls-tree", "-r", "--name-only", "HEAD", "Lib/test").decode().split()
        if p.endswith(".py") and Path(p).name.startswith("test_")
    ]
    contents = {
        p: _git(repo, "show", f"HEAD:{p}").decode().splitlines(keepends=True) for p in tests
    }
    out = []
    when = 1_760_000_000
    editing = 0
    for i in range(count):
        path = rng.choice(tests)
        lines = contents[path]
        if i % 3 == 0:  # edit a few existing lines in the middle of the file
            at = rng.randrange(len(lines) // 4, 3 * len(lines) // 4)
            for k in range(at, min(at + 3, len(lines))):
                if lines[k].strip():
                    lines[k] = lines[k].rstrip("\n") + "  # adapted\n"
            editing += 1
        else:  # only additions: a new test at the end
            lines.append(f"\n\ndef test_added_{i}():\n    assert {i} == {i}\n")
        body = "".join(lines).encode()
        msg = f"gh-{150000 + i}: backport {i}".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer B <b@example.org> %d +0000\n" % (when + i))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if i == 0:
            out.append(b"from refs/heads/main^0\n")
        out.append(f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(body) + body + b"\n")
    out.append(b"done\n")
    _git(repo, "fast-import", "--quiet", "--done", data=b"".join(out))
    return editing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upgrade-") as tmp:
        work = args.dir or Path(tmp)
        t = time.monotonic()
        demo = make_demo_repo(work / "cpython", scale="large", upgrade=True)
        editing = add_backports(demo.path, args.commits)
        made = time.monotonic() - t
        print(f"repository: {made:.1f} s to make, {args.commits} backports after v3.13.6")
        cmd = [
            sys.executable, "-m", "cpython_release", "upgrade-check", "--repo", str(demo.path),
            "--from", "v3.13.5", "--to", "main", "--format", "json",
        ]  # fmt: skip
        best = float("inf")
        for _ in range(args.repeat):
            t = time.monotonic()
            env = {**git_env(), "PYTHONPATH": str(ROOT / "scripts")}
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            best = min(best, time.monotonic() - t)
            if proc.returncode != 1:
                print(proc.stderr, file=sys.stderr)
                return 2
        report = json.loads(proc.stdout)
        flagged = sum(
            1 for f in report["findings"] if f["kind"] in ("changed-tests", "removed-tests")
        )
        expected = editing + 2  # the planted gh-140101 and gh-140103
        print(f"upgrade-check: best {best:.2f} s; {flagged} commits flagged (expected {expected})")
        print(f"target: <= {TARGET_S:.0f} s: {'met' if best <= TARGET_S else 'MISSED'}")
        return 0 if flagged == expected and best <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
