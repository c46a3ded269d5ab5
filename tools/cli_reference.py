#!/usr/bin/env python3
"""Write the CLI reference into README.md (between the cli-reference markers) from argparse.

``python tools/cli_reference.py`` rewrites README.md; ``--check`` exits 1 if it is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from cpython_release.cli import build_parser  # noqa: E402

BEGIN, END = "<!-- cli-reference:begin -->", "<!-- cli-reference:end -->"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def reference() -> str:
    parser = build_parser()
    parser.prog = "cpython-release"
    out = []
    for name, sub in sorted(_subparsers(parser).items()):
        sub.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=100)
        out.append(f"### `cpython-release {name}`\n\n```text\n{sub.format_usage().strip()}\n```\n")
        desc = (sub.description or "").strip()
        if desc:
            out.append(desc + "\n")
        nested = _subparsers(sub)
        for child_name, child in sorted(nested.items()):
            child.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=100)
            first = (child.description or "").strip().split("\n")[0]
            out.append(f"- `{child_name}`: {first}" if first else f"- `{child_name}`")
        if nested:
            usages = "\n".join(c.format_usage().strip() for _, c in sorted(nested.items()))
            out.append(f"\n```text\n{usages}\n```\n")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    new = pattern.sub(lambda _m: f"{BEGIN}\n{reference()}{END}", text)
    if "--check" in sys.argv[1:]:
        if new != text:
            print("README.md's CLI reference is stale: run python tools/cli_reference.py")
            return 1
        return 0
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
