"""Shared constants and helpers for the platform tests (imported by test modules)."""

from __future__ import annotations

COMMIT = "0123456789abcdef0123456789abcdef01234567"
