"""Upgrade safety: what could break a user going from 3.Y.z to 3.Y.z+1 (issue 14).

``changed_tests`` (git only): commits that modify or delete existing lines under Lib/test.
``stable_abi``: Misc/stable_abi.toml must not lose or change entries.
``old_tests``: the previous release's tests run under both interpreters.
``abi``: the exported ABI (abidiff, or the branch's Doc/data/python3.Y.abi).
``policy``: findings, waivers, exit status. ``report``: text, JSON, step summary.
"""
