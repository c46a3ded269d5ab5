"""Before the tag: the checks and edits of a release commit, and its annotated tag.

What release-tools' ``run_release.py`` does on a release manager's laptop before the tag
(PEP 101), as library code: :mod:`.checks` (branch, version, clean tree, news entries,
magic number, blockers), :mod:`.edits` (patchlevel, README, ``versionadded:: next``),
:mod:`.steps` (``blurb release``, pydoc topics, configure), :mod:`.tagging` (the commit and
the annotated, optionally GPG-signed tag) and :mod:`.run` (the whole thing, all or nothing).
"""
