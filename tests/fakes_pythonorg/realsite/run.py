"""Serve pythondotorg's real downloads API on 127.0.0.1 (see the package docstring)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any


def _stub_celery() -> None:
    """pydotorg/__init__.py starts Celery; the API does not need it."""

    class Celery:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def config_from_object(self, *args: Any, **kwargs: Any) -> None:
            pass

        def autodiscover_tasks(self, *args: Any, **kwargs: Any) -> None:
            pass

        def task(self, *args: Any, **kwargs: Any) -> Any:
            return lambda fn: fn

    module = types.ModuleType("celery")
    module.Celery = Celery  # type: ignore[attr-defined]
    sys.modules["celery"] = module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, required=True, help="a pythondotorg source tree")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", type=Path, help="sqlite file (default: a new temporary one)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database instead of sqlite: postgres://USER@HOST:PORT/NAME "
        "(tools/pydotorg-local.sh starts one)",
    )
    args = parser.parse_args()
    if args.database_url:
        os.environ["PYDOTORG_DATABASE_URL"] = args.database_url
    db = args.db or Path(tempfile.mkdtemp()) / "pydotorg.sqlite3"
    os.environ["PYDOTORG_SRC"] = str(args.src.resolve())
    os.environ["PYDOTORG_DB"] = str(db)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fakes_pythonorg.realsite.settings"
    sys.path[:0] = [str(args.src.resolve()), str(Path(__file__).resolve().parents[2])]
    _stub_celery()
    import django  # type: ignore[import-not-found]
    from django.core.management import call_command  # type: ignore[import-not-found]

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    seed()
    call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False)


def seed() -> None:
    from apps.downloads.models import OS  # type: ignore[import-not-found]
    from apps.users.models import User  # type: ignore[import-not-found]
    from rest_framework.authtoken.models import Token  # type: ignore[import-not-found]
    from tastypie.models import ApiKey  # type: ignore[import-not-found]

    for username, key, staff, token in (
        ("rm", "s3cret-key", True, "drf-token-of-rm"),
        ("viewer", "viewer-key", False, None),
    ):
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org", "is_staff": staff}
        )
        ApiKey.objects.filter(user=user).delete()
        ApiKey.objects.create(user=user, key=key)
        Token.objects.filter(user=user).delete()
        if token:
            Token.objects.create(user=user, key=token)
    for name, slug in (
        ("Windows", "windows"),
        ("macOS", "macos"),
        ("Source release", "source"),
        ("Android", "android"),
        ("iOS", "ios"),
    ):
        OS.objects.get_or_create(name=name, slug=slug)


if __name__ == "__main__":
    main()
