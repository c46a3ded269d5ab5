"""``python -m cpython_release.source REPO VERSION COMMIT DEST``: the archive core alone.

Standard library only (plus a ``blurb`` command), so any interpreter can run it with
``PYTHONPATH=scripts``; prints the archives' digests as JSON. The release tooling uses
``cpython-release build-source``, which adds validation, docs and the manifest fragment.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from cpython_release.errors import ReleaseError
from cpython_release.source.archive import make_source_archives


def _terminated(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cpython_release.source")
    parser.add_argument("repo", type=Path)
    parser.add_argument("version")
    parser.add_argument("commit")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--blurb", help="blurb executable (default: find one)")
    args = parser.parse_args(argv)
    # SIGTERM (a cancelled job) unwinds like Ctrl-C: the work directory in DEST is removed
    signal.signal(signal.SIGTERM, _terminated)
    try:
        args.dest.mkdir(parents=True, exist_ok=True)
        result = make_source_archives(
            args.repo,
            args.version,
            args.commit,
            args.dest,
            blurb=[args.blurb] if args.blurb else None,
        )
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(
        json.dumps(
            {
                "content_digest": result.content_digest,
                "tar_size": result.tar_size,
                "entries": result.entries,
                result.tgz.name: result.tgz.sha256,
                result.txz.name: result.txz.sha256,
            },
            indent=2,
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
