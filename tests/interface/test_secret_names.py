"""Environment variable names equal secret names: one name per secret, everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRET_PREFIXES = ("PYTHON_ORG_", "GPG_", "AZURE_", "MACOS_", "FASTLY_")
FROM_SECRET = re.compile(r"secrets\.([A-Z][A-Z0-9_]*)\s*(?:\}\}|\|\|)")  # the value itself


def workflows() -> Iterator[tuple[Path, dict[Any, Any]]]:
    for path in sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("workflows/*.yml")]):
        yield path, yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted([ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")]):
        yield path, yaml.safe_load(path.read_text(encoding="utf-8"))


def declared_secrets() -> set[str]:
    names: set[str] = set()
    for _, doc in workflows():
        on = doc.get(True) or doc.get("on") or {}
        call = on.get("workflow_call") if isinstance(on, dict) else None
        names |= set((call or {}).get("secrets") or {})
    return names


def mappings(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``env:`` and ``secrets:`` mapping in a workflow or action."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("env", "secrets") and isinstance(value, dict):
                yield key, value
            yield from mappings(value)
    elif isinstance(node, list):
        for item in node:
            yield from mappings(item)


def test_every_secret_is_passed_under_its_own_name() -> None:
    wrong = []
    for path, doc in workflows():
        for kind, mapping in mappings(doc):
            for key, value in mapping.items():
                for secret in FROM_SECRET.findall(str(value)):
                    ours = kind == "secrets" or key.startswith(SECRET_PREFIXES)
                    # (a third-party tool's own variable, e.g. TWINE_PASSWORD, keeps its name)
                    if ours and key != secret:
                        wrong.append(f"{path.relative_to(ROOT)}: {kind} {key} <- secrets.{secret}")
    assert not wrong, "\n".join(wrong)


def test_the_cli_reads_secrets_by_their_names() -> None:
    read = set()
    for path in (ROOT / "scripts").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r'environ(?:\.get)?[\[(]\s*"([A-Z][A-Z0-9_]+)"', text))
        read |= set(re.findall(r'_ENV\s*=\s*"([A-Z][A-Z0-9_]+)"', text))
    secrets = {n for n in read if n.startswith(SECRET_PREFIXES)}
    assert {"PYTHON_ORG_SSH_USERNAME", "PYTHON_ORG_API_USERNAME", "GPG_PRIVATE_KEY"} <= secrets
    assert secrets <= declared_secrets(), secrets - declared_secrets()
    setup = (ROOT / "workflows" / "SETUP.md").read_text(encoding="utf-8")
    assert all(name in setup for name in secrets), [n for n in secrets if n not in setup]
