"""Release phase of a branch, from the public release-cycle data.

The data is https://peps.python.org/api/release-cycle.json. A snapshot ships in the package
(``data/release-cycle.json``) so everything works offline; ``--release-cycle`` or the
``CPYTHON_RELEASE_CYCLE`` environment variable names a newer file or URL.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from cpython_release.errors import BadInput
from cpython_release.version import ReleaseVersion

RELEASE_CYCLE_URL = "https://peps.python.org/api/release-cycle.json"
ENV_VAR = "CPYTHON_RELEASE_CYCLE"
#: The live fetch: all of it within this many seconds, at most this many bytes.
LIVE_DEADLINE = 20.0
LIVE_MAX_BYTES = 1 << 20


def _read_capped(session: Any, url: str) -> bytes:
    """GET ``url`` within :data:`LIVE_DEADLINE` seconds in total (not per read) and at most
    :data:`LIVE_MAX_BYTES`; anything else raises."""
    deadline = time.monotonic() + LIVE_DEADLINE
    with session.get(url, timeout=(3.05, 10), stream=True) as resp:
        resp.raise_for_status()
        body = bytearray()
        for chunk in resp.iter_content(65536):
            body += chunk
            if len(body) > LIVE_MAX_BYTES:
                raise ValueError(f"more than {LIVE_MAX_BYTES} bytes")
            if time.monotonic() > deadline:
                raise TimeoutError(f"not read within {LIVE_DEADLINE:g} s")
        return bytes(body)


class Phase(StrEnum):
    PRERELEASE = "prerelease"
    BUGFIX = "bugfix"
    SECURITY = "security"
    END_OF_LIFE = "end-of-life"


_STATUS_TO_PHASE = {
    "feature": Phase.PRERELEASE,
    "prerelease": Phase.PRERELEASE,
    "bugfix": Phase.BUGFIX,
    "security": Phase.SECURITY,
    "end-of-life": Phase.END_OF_LIFE,
}


@dataclass(frozen=True)
class Branch:
    name: str
    status: str
    first_release: str
    end_of_life: str
    release_manager: str

    @property
    def phase(self) -> Phase:
        return _STATUS_TO_PHASE[self.status]


class ReleaseCycle:
    """The branches and their status."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.source = source
        self.branches: dict[str, Branch] = {}
        if not isinstance(data, dict) or not data:
            raise BadInput(f"release-cycle data from {source} is not a non-empty JSON object")
        for name, entry in data.items():
            try:
                status = str(entry["status"])
                if status not in _STATUS_TO_PHASE:
                    raise KeyError(f"unknown status {status!r}")
                self.branches[name] = Branch(
                    name=name,
                    status=status,
                    first_release=str(entry.get("first_release", "")),
                    end_of_life=str(entry.get("end_of_life", "")),
                    release_manager=str(entry.get("release_manager", "")),
                )
            except (KeyError, TypeError) as exc:
                raise BadInput(
                    f"release-cycle data from {source}: bad entry {name!r}: {exc}"
                ) from exc

    @classmethod
    def load(cls, location: str | None = None) -> ReleaseCycle:
        """Load from a path or URL, else ``$CPYTHON_RELEASE_CYCLE``, else the bundled snapshot."""
        location = location or os.environ.get(ENV_VAR) or None
        if location is None or location == "bundled":
            return cls.load_bundled()
        if location.startswith(("https://", "http://")):
            from cpython_release.http import session

            try:
                resp = session().get(location, timeout=30)
                resp.raise_for_status()
                return cls(resp.json(), location)
            except Exception as exc:
                from cpython_release.http import is_unreachable, unreachable

                if is_unreachable(exc):
                    raise unreachable(location, exc) from exc
                raise BadInput(f"cannot load release-cycle data from {location}: {exc}") from exc
        path = Path(location)
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")), str(path))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot load release-cycle data from {path}: {exc}") from exc

    @classmethod
    def load_live(cls, location: str | None = None) -> tuple[ReleaseCycle, str]:
        """What ``plan`` reads: the given file or URL (``--release-cycle`` or
        ``$CPYTHON_RELEASE_CYCLE``; ``bundled`` names the snapshot), else the live data from
        peps.python.org, else the bundled snapshot. Returns the data and a notice ("" when
        the live or the given data was read): the snapshot may be out of date."""
        location = location or os.environ.get(ENV_VAR) or None
        if location == "bundled":
            return cls.load_bundled(), ""
        if location is not None:
            return cls.load(location), ""
        from cpython_release.http import session

        try:
            # one quick try: offline, the snapshot is the answer, not a minute of retries
            return cls(
                json.loads(_read_capped(session(retries=0), RELEASE_CYCLE_URL)), RELEASE_CYCLE_URL
            ), ""
        except Exception as exc:  # unreachable, an error page, not JSON, not the data
            why = _one_line_reason(exc)
        return cls.load_bundled(), (
            f"the live release-cycle data could not be read from {RELEASE_CYCLE_URL} ({why}); "
            "the release phase comes from the bundled snapshot, which may be out of date"
        )

    @classmethod
    def load_bundled(cls) -> ReleaseCycle:
        text = (
            resources.files("cpython_release")
            .joinpath("data/release-cycle.json")
            .read_text(encoding="utf-8")
        )
        return cls(json.loads(text), "the bundled snapshot")

    def branch(self, name: str) -> Branch:
        try:
            return self.branches[name]
        except KeyError:
            known = ", ".join(sorted(self.branches, key=_branch_key, reverse=True))
            raise BadInput(
                f"branch {name} is not in the release-cycle data ({self.source}); known: {known}"
            ) from None

    def phase_of(self, version: ReleaseVersion) -> Phase:
        """The phase a release of ``version`` belongs to.

        Pre-releases are always in the prerelease phase; a final release takes its branch's status,
        and so does a nightly leading to one (``3.11.3.dev20261206`` is a security-branch build).
        """
        branch = self.branch(version.minor_version)
        if version.pre_kind is not None:
            return Phase.PRERELEASE
        if branch.phase is Phase.PRERELEASE:
            # X.Y.0 final: the branch becomes a bugfix branch with this very release.
            return Phase.BUGFIX
        return branch.phase

    def maintained(self, *, security: bool = False) -> list[Branch]:
        """Branches that get nightlies: the feature branch (main) and bugfix branches, and
        with ``security`` the security-phase branches too (their weekly nightly)."""
        keep = {"feature", "prerelease", "bugfix"} | ({"security"} if security else set())
        out = [b for b in self.branches.values() if b.status in keep]
        return sorted(out, key=lambda b: _branch_key(b.name), reverse=True)


def _one_line_reason(exc: BaseException, limit: int = 160) -> str:
    """Why a read failed, in one line: the innermost reason of a connection failure (not
    urllib3's retry wrapper), else the error's first line, shortened at a word if long."""
    from cpython_release.http import is_unreachable, network_reason

    text = network_reason(exc) if is_unreachable(exc) else str(exc)
    line = " ".join(text.split()) or type(exc).__name__
    if len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        line = line[: cut if cut > 0 else limit].rstrip(" ,;:(") + " ..."
    return line


def _branch_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in name.split("."))
    except ValueError:
        return (0,)
