"""Building the source release: ``Python-V.tgz`` and ``Python-V.tar.xz`` from a tagged commit.

Modules (the first five use only the standard library, so the archive core runs under any
interpreter with ``PYTHONPATH=scripts``: ``python -m cpython_release.source``):

- :mod:`.git`       git access: tag/commit checks, ``git archive`` into a spool file.
- :mod:`.tree`      the exported tree in memory (names, modes, data offsets) and GNU order.
- :mod:`.export`    what ``release.py --export`` does to the tree (blurb, removals).
- :mod:`.tarwriter` a tar stream byte-identical to GNU tar with the release options.
- :mod:`.compress`  one pass: SHA-256 of the tar stream, gzip -9 and xz -6 in threads.
- :mod:`.archive`   the stdlib-only pipeline: repository + version + commit -> archives.
- :mod:`.docs`      the documentation build (``make dist-*`` in Doc/, in its own venv).
- :mod:`.build`     :func:`build_source`: validation, archives, docs, manifest fragment.
- :mod:`.testing`   test-archive (configure/make/test an archive) and digest comparison.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cpython_release.source.build import FRAGMENT_NAME, build_source

__all__ = ["FRAGMENT_NAME", "build_source"]


def __getattr__(name: str) -> Any:
    # Lazy: the build layer needs the manifest (jsonschema); the archive core does not.
    if name in __all__:
        from cpython_release.source import build

        return getattr(build, name)
    raise AttributeError(name)
