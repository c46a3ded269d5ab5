"""Django settings: pythondotorg's downloads API and the apps it imports.

On PostgreSQL (as production runs it) when ``PYDOTORG_DATABASE_URL`` is set
(``postgres://user@/db?host=/socket/dir&port=N``, read by dj-database-url as pythondotorg's
own settings do), else on sqlite.
"""

import os
from pathlib import Path

from pydotorg.markup import MARKUP_FIELD_TYPES  # type: ignore[import-not-found]  # noqa: F401

SRC = Path(os.environ["PYDOTORG_SRC"])
SECRET_KEY = "parity-check-only"
DEBUG = False  # production error bodies (the canned 500 message)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tastypie",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "apps.users",
    "apps.cms",
    "apps.pages",
    "apps.boxes",
    "apps.downloads",
]
AUTH_USER_MODEL = "users.User"
if os.environ.get("PYDOTORG_DATABASE_URL"):
    import dj_database_url  # type: ignore[import-not-found]

    DATABASES = {"default": dj_database_url.parse(os.environ["PYDOTORG_DATABASE_URL"])}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PYDOTORG_DB"]}
    }
# The apps' migrations chain into apps not installed here: create every table directly from
# the models (same columns and constraints), so that PostgreSQL's foreign keys find theirs.
MIGRATION_MODULES = {
    a: None
    for a in (
        "auth",
        "contenttypes",
        "sessions",
        "tastypie",
        "authtoken",
        "users",
        "cms",
        "pages",
        "boxes",
        "downloads",
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROOT_URLCONF = "fakes_pythonorg.realsite.urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(SRC / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
USE_TZ = True
TIME_ZONE = "UTC"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# pydotorg/settings/base.py REST_FRAMEWORK, without the DRF throttles.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("rest_framework.authentication.TokenAuthentication",),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
    "URL_FIELD_NAME": "resource_uri",
    "DEFAULT_FILTER_BACKENDS": ("django_filters.rest_framework.DjangoFilterBackend",),
}
SILENCED_SYSTEM_CHECKS = ["fields.E210"]  # pages.Image needs Pillow; unused here
