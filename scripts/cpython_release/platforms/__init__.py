"""Platform builds: Windows, macOS, Android and iOS.

These builds only run on GitHub's Windows and macOS runners, so the modules here split
each job into *planning* (pure functions: command lines, layouts, XML, SPDX) and *doing*
(a :class:`~cpython_release.platforms.runner.CommandRunner` runs the planned commands).
Planning is unit-tested for real on Linux; doing is tested with a recording runner.
"""
