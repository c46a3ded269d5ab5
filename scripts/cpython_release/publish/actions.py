"""What a publish run does, step by step: the plan ``--dry-run`` prints and a real run executes.

Every target turns the signed manifest into a list of :class:`Action`; a dry run prints them
and stops. Real runs report the same actions with their outcome, so a re-run shows that an
already published release converges to nothing but ``skip``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verb(StrEnum):
    UPLOAD = "upload"  # a file to a server
    SKIP = "skip"  # already there, identical
    REPLACE = "replace"  # there, different, and --replace was given
    MOVE = "move"  # staging -> public
    CREATE = "create"  # an API object
    DELETE = "delete"  # an API object or asset
    UPDATE = "update"  # an API object's field (e.g. publish the release)
    PURGE = "purge"  # a CDN URL
    REFUSE = "refuse"  # would overwrite different content without --replace


@dataclass(frozen=True)
class Action:
    verb: Verb
    target: str  # "sftp", "api", "cdn", "github", "local"
    subject: str  # a path, a URL or an object name
    detail: str = ""

    def line(self) -> str:
        extra = f"  ({self.detail})" if self.detail else ""
        return f"{self.target:<7} {self.verb:<8} {self.subject}{extra}"

    def to_dict(self) -> dict[str, str]:
        return {
            "target": self.target,
            "verb": str(self.verb),
            "subject": self.subject,
            "detail": self.detail,
        }


@dataclass
class PublishResult:
    target: str
    actions: list[Action] = field(default_factory=list)
    dry_run: bool = False

    def add(self, action: Action) -> None:
        self.actions.append(action)

    def count(self, verb: Verb) -> int:
        return sum(1 for a in self.actions if a.verb is verb)

    def changed(self) -> bool:
        return any(a.verb not in (Verb.SKIP, Verb.REFUSE) for a in self.actions)

    def lines(self) -> list[str]:
        return [a.line() for a in self.actions]
