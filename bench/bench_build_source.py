"""Benchmark build-source against the limit: ``tar | xz -6 -T1`` on the same tree.

    python bench/bench_build_source.py [--scale large|small] [--workdir DIR] [--check]

On the large demo repository (about 100 MB, 4,500 files) it measures, in one run:

- the tool: ``cpython-release build-source`` from the git repository (git archive, blurb,
  tar stream, SHA-256, gzip -9 and xz -6 in parallel threads);
- ``tar | xz -6 -T1`` alone on the exported tree (the limit: xz is the slowest step);
- the sequential baseline release.py uses: tar | gzip -9, then tar | xz -6.

It prints wall time and peak RSS of each (a pipeline's RSS is the sum of its processes'
peaks) and the ratios to xz alone, and writes the table to $GITHUB_STEP_SUMMARY when set.
Targets with 2 cores: wall <= 1.10 x xz-alone and peak RSS <= 256 MB (``--check`` exits 1
when missed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from cpython_release.ghactions import markdown_table, write_summary

VERSION = "3.13.5"
TAR_OPTIONS = [
    "--sort=name",
    "--clamp-mtime",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "--mode=go+u,go-w",
]
WALL_TARGET = 1.10
RSS_TARGET_MB = 256.0


@dataclass(frozen=True)
class Measure:
    name: str
    wall: float
    rss_mb: float


# Peak RSS is measured in a tiny helper interpreter, not here: on Linux a child's ru_maxrss
# includes the memory image it was forked from, so children of this (large) process would
# report this process's size. The helper runs the pipeline and reports each process's peak.
_HELPER = r"""
import json, os, subprocess, sys, time
stages, output, cwd = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
env = json.loads(sys.argv[4])
scale = 1024 * 1024 if sys.platform == "darwin" else 1024
start = time.monotonic()
procs = []
with open(output, "wb") as sink:
    prev = None
    for i, cmd in enumerate(stages):
        last = i == len(stages) - 1
        p = subprocess.Popen(cmd, cwd=cwd, stdin=prev, stdout=sink if last else subprocess.PIPE,
                             env={**os.environ, **env})
        if prev is not None:
            prev.close()
        prev = p.stdout
        procs.append(p)
    peaks = []
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{cmd[0]} failed")
        peaks.append(usage.ru_maxrss / scale)
print(json.dumps({"wall": time.monotonic() - start, "peaks": peaks}))
"""


def run_pipeline(
    stages: list[list[str]], output: Path, cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Run ``stage1 | stage2 ... > output``; return (wall seconds, summed peak RSS MB)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _HELPER,
            json.dumps(stages),
            str(output),
            str(cwd),
            json.dumps(env or {}),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' | '.join(s[0] for s in stages)} failed: {proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    return float(result["wall"]), float(sum(result["peaks"]))


def run_tool(repo: Path, commit: str, out: Path) -> tuple[float, float]:
    cmd = [
        sys.executable,
        "-m",
        "cpython_release",
        "build-source",
        VERSION,
        "--repo",
        str(repo),
        "--commit",
        commit,
        "--out",
        str(out),
        "--force",
    ]
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "scripts")}
    out.mkdir(parents=True, exist_ok=True)
    return run_pipeline([cmd], out / "tool-stdout.json", out, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scale", choices=("large", "small"), default="large")
    parser.add_argument("--workdir", type=Path, help="keep inputs here (reused when present)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-build-source-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        repo_dir = work / f"cpython-{args.scale}"
        print(f"demo repository ({args.scale}) in {repo_dir} ...", flush=True)
        if (repo_dir / ".git").is_dir():
            commit = subprocess.run(
                ["git", "-C", str(repo_dir), "rev-parse", f"v{VERSION}^{{commit}}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        else:
            # In a child process: generating holds the whole tree in memory for a moment.
            made = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cpython_release.demo_repo",
                    str(repo_dir),
                    "--version",
                    VERSION,
                    "--scale",
                    args.scale,
                ],
                capture_output=True,
                text=True,
                check=True,
                env={
                    **os.environ,
                    "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "scripts"),
                },
            )
            commit = json.loads(made.stdout)["commit"]

        out = work / "out"
        print("tool ...", flush=True)
        tool_wall, tool_rss = run_tool(repo_dir, commit, out)

        tree = work / "tree"
        if not (tree / f"Python-{VERSION}").is_dir():
            tree.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["tar", "-xzf", str(out / f"Python-{VERSION}.tgz")], cwd=tree, check=True
            )
        tar = ["tar", "cf", "-", *TAR_OPTIONS, "--mtime=@1749643200", f"Python-{VERSION}"]
        raw_size = sum(
            f.stat().st_size for f in (tree / f"Python-{VERSION}").rglob("*") if f.is_file()
        )

        print("tar | xz -6 -T1 ...", flush=True)
        xz_wall, xz_rss = run_pipeline([tar, ["xz", "-6", "-T1"]], work / "alone.tar.xz", tree)

        print("sequential: tar | gzip -9, then tar | xz -6 ...", flush=True)
        gz_wall, gz_rss = run_pipeline([tar, ["gzip", "--no-name", "-9"]], work / "seq.tgz", tree)
        sx_wall, sx_rss = run_pipeline([tar, ["xz", "-6", "-T1"]], work / "seq.tar.xz", tree)

        rows = [
            Measure("cpython-release build-source (tgz + tar.xz)", tool_wall, tool_rss),
            Measure("tar | xz -6 -T1 alone (the limit)", xz_wall, xz_rss),
            Measure(
                "sequential: tar|gzip -9, then tar|xz -6", gz_wall + sx_wall, max(gz_rss, sx_rss)
            ),
        ]
        xz_size = (out / f"Python-{VERSION}.tar.xz").stat().st_size
        gz_size = (out / f"Python-{VERSION}.tgz").stat().st_size

    table = markdown_table(
        ["run", "wall (s)", "peak RSS (MB)", "wall / xz-alone", "RSS / xz-alone"],
        [
            (
                m.name,
                f"{m.wall:.1f}",
                f"{m.rss_mb:.0f}",
                f"{m.wall / xz_wall:.2f}",
                f"{m.rss_mb / xz_rss:.2f}",
            )
            for m in rows
        ],
    )
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (
        f"build-source benchmark: {args.scale} demo tree, {raw_size / 1e6:.0f} MB in files; "
        f"tool output .tar.xz {xz_size / 1e6:.1f} MB, .tgz {gz_size / 1e6:.1f} MB; "
        f"{cores} cores, load average {load:.1f} at the end\n"
    )
    wall_ok = tool_wall <= WALL_TARGET * xz_wall
    rss_ok = tool_rss <= RSS_TARGET_MB
    verdict = (
        f"\nwall {tool_wall / xz_wall:.2f} x xz-alone (target <= {WALL_TARGET:.2f}): "
        f"{'met' if wall_ok else 'MISSED'}; peak RSS {tool_rss:.0f} MB "
        f"(target <= {RSS_TARGET_MB:.0f}): {'met' if rss_ok else 'MISSED'}\n"
    )
    print()
    print(header)
    print(table + verdict)
    write_summary("### " + header + "\n" + table + verdict)
    return 1 if args.check and not (wall_ok and rss_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
