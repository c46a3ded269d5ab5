"""A local stand-in for python.org's downloads API, built from the pythondotorg source.

Every rule cites where it comes from:

- ``api.py``        python/pythondotorg ``apps/downloads/api.py`` (resources, fields, filters,
                    ``delete_list`` override, ``ReleaseFileValidation``)
- ``models.py``     ``apps/downloads/models.py`` (``validate_release_file_urls``, unique
                    ``url``, the ``only_one_download_per_os_per_release`` constraint,
                    ``promote_latest_release``)
- ``cms``           ``apps/cms/models.py`` (``NameSlugModel``: unique slug, slugify on save)
- ``resources.py``  ``pydotorg/resources.py`` (``ApiKeyOrGuestAuthentication``,
                    ``StaffAuthorization``, ``OnlyPublishedAuthorization``, ``GenericResource``:
                    ``detail_allowed_methods = ["get", "delete"]``, ``CacheThrottle(600)``)
- ``drf``           ``pydotorg/drf.py`` + ``api.py`` DRF viewsets (API v2, ``IsStaffOrReadOnly``)
- ``tastypie``      django-tastypie 0.15 ``resources.py``/``fields.py``/``throttle.py``/
                    ``authentication.py``/``serializers.py``, which the resources build on
                    (dispatch order: method check, authentication, throttle, handler; 201 with an
                    empty body and ``Location``; ``error_response`` bodies; canned 500 body).

Not modelled (and answered 501 or left out): XML/YAML bodies, nested related objects,
``order_by``, the pages resource, API v2 beyond ``OPTIONS`` of the release list and
``GET``/``PATCH`` of a release, DRF throttles.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

JSON_TYPE = "application/json"
# tastypie resources.py _handle_500 with DEBUG off (production): the canned message.
CANNED_500 = "Sorry, this request could not be processed. Please try again later."
HTTPS_PREFIX = "https://www.python.org/"  # models.py PYTHON_DOT_ORG_HTTPS_PREFIX
HTTPS_ERROR = "Release file URLs must begin with 'https://www.python.org/'."  # models.py
URL_FIELDS = (  # models.py RELEASE_FILE_URL_FIELDS
    "url",
    "gpg_signature_file",
    "sigstore_signature_file",
    "sigstore_cert_file",
    "sigstore_bundle_file",
    "sbom_spdx2_file",
)
SIDECAR_SUFFIXES = {  # models.py RELEASE_FILE_SIDECAR_SUFFIXES
    "gpg_signature_file": ".asc",
    "sigstore_signature_file": ".sig",
    "sigstore_cert_file": ".crt",
    "sigstore_bundle_file": ".sigstore",
    "sbom_spdx2_file": ".spdx.json",
}

# api.py: resource_name -> Meta.list_allowed_methods (GenericResource default: get, post;
# ReleaseFileResource adds delete). Detail: GenericResource ["get", "delete"] for all.
LIST_ALLOWED = {
    "os": ["get", "post"],
    "release": ["get", "post"],
    "release_file": ["get", "post", "delete"],
}
DETAIL_ALLOWED = ["get", "delete"]

ALL = "__all__"
ALL_WITH_RELATIONS = "__all_with_relations__"
# api.py Meta.filtering
FILTERING: dict[str, dict[str, Any]] = {
    "os": {"name": {"exact"}, "slug": {"exact"}},
    "release": {
        "name": {"exact"},
        "slug": {"exact"},
        "is_published": {"exact"},
        "pre_release": {"exact"},
        "version": {"exact", "startswith"},
        "release_date": ALL,
    },
    "release_file": {
        "name": {"exact"},
        "slug": {"exact"},
        "os": ALL_WITH_RELATIONS,
        "release": ALL_WITH_RELATIONS,
        "description": {"contains"},
    },
}
# api.py Meta.fields, minus the FKs creator/last_modified_by that tastypie ModelResource
# leaves out (no related field is declared for them), plus resource_uri.
FIELDS = {
    "os": ["name", "slug"],
    "release": [
        "name",
        "slug",
        "version",
        "is_published",
        "release_date",
        "pre_release",
        "release_page",
        "release_notes_url",
        "show_on_download_page",
        "is_latest",
    ],
    "release_file": [
        "name",
        "slug",
        "os",
        "release",
        "description",
        "is_source",
        "url",
        "gpg_signature_file",
        "md5_sum",
        "sha256_sum",
        "filesize",
        "download_button",
        "sigstore_signature_file",
        "sigstore_cert_file",
        "sigstore_bundle_file",
        "sbom_spdx2_file",
    ],
}
# Model defaults (models.py / cms): what tastypie hydrates for a field missing from the body.
FILE_DEFAULTS: dict[str, Any] = {
    "name": "",
    "slug": "",
    "description": "",
    "is_source": False,
    "url": "",
    "gpg_signature_file": "",
    "md5_sum": "",
    "sha256_sum": "",
    "filesize": 0,
    "download_button": False,
    "sigstore_signature_file": "",
    "sigstore_cert_file": "",
    "sigstore_bundle_file": "",
    "sbom_spdx2_file": "",
}
RELEASE_DEFAULTS: dict[str, Any] = {
    "name": "",
    "slug": "",
    "version": 3,
    "is_published": False,
    "is_latest": False,
    "pre_release": False,
    "show_on_download_page": True,
    "release_notes_url": "",
    "release_page": None,
}
BOOL_FIELDS = {
    "is_source",
    "download_button",
    "is_published",
    "is_latest",
    "pre_release",
    "show_on_download_page",
}
INT_FIELDS = {"filesize", "version"}
V2_ALLOW = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"  # ModelViewSet detail
V2_LIST_ALLOW = "GET, POST, HEAD, OPTIONS"  # ModelViewSet list
DEFAULT_LIMIT = 20  # tastypie API_LIMIT_PER_PAGE default
MAX_LIMIT = 1000  # tastypie Meta.max_limit default


class FakeClock:
    """A clock the server's throttle and the client's ``sleep`` share: waiting is instant."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.value = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self.value

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.value += seconds


@dataclass
class User:
    username: str
    api_key: str
    is_staff: bool = True
    is_active: bool = True
    v2_token: str | None = None


@dataclass
class Logged:
    method: str
    path: str
    query: str
    status: int
    user: str | None


class Reply(Exception):  # tastypie's ImmediateHttpResponse
    """A response raised out of the handler (not logged for the throttle, as in tastypie)."""

    def __init__(self, status: int, body: Any = b"", headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        if isinstance(body, bytes):
            self.body = body
        elif isinstance(body, str):
            self.body = body.encode()
        else:
            self.body = json.dumps(body).encode()
        self.headers = dict(headers or {})
        if not isinstance(body, bytes | str):
            self.headers.setdefault("Content-Type", JSON_TYPE)


def _bad_request(message: str) -> Reply:
    # tastypie wrap_view: BadRequest / ApiFieldError -> 400 {"error": message}
    return Reply(400, {"error": message})


def _server_error() -> Reply:
    # tastypie _handle_500 (DEBUG off): {"error_message": canned}
    return Reply(500, {"error_message": CANNED_500})


def slugify(text: str) -> str:
    """django.template.defaultfilters.slugify, for ASCII (cms NameSlugModel.save)."""
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[-\s]+", "-", text).strip("-_")


def _bool_filter(value: str) -> Any:
    # tastypie filter_value_to_python
    if value in ("true", "True", True):
        return True
    if value in ("false", "False", False):
        return False
    if value in ("none", "None", None):
        return None
    return value


@dataclass
class FakeState:
    """The server's database, its rules' knobs, and its faults. Tests read and change it."""

    clock: Callable[[], float] = time.time
    users: dict[str, User] = field(default_factory=dict)
    oses: dict[int, dict[str, Any]] = field(default_factory=dict)
    releases: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[int, dict[str, Any]] = field(default_factory=dict)
    # resources.py GenericResource: CacheThrottle(throttle_at=600), timeframe 3600 s.
    throttle_at: int = 600
    throttle_timeframe: int = 3600
    accesses: dict[str, list[int]] = field(default_factory=dict)
    # Faults: the Nth POST that reaches the handler (1-based) answers 500, either
    # "before" saving (nothing happened) or "after" saving (the answer was lost).
    fail_posts: dict[int, str] = field(default_factory=dict)
    # The Nth request of any kind (1-based, counted on arrival) answers 503, before anything.
    fail_requests: set[int] = field(default_factory=set)
    posts: int = 0
    requests: int = 0
    log: list[Logged] = field(default_factory=list)
    snapshots: list[dict[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    counters: dict[str, int] = field(default_factory=dict)  # one id sequence per table

    def __post_init__(self) -> None:
        if not self.oses:
            # python.org's OS objects; "source" has pk 3 (add_to_pydotorg: is_source = os_pk == 3).
            for pk, name, slug in (
                (1, "Windows", "windows"),
                (2, "macOS", "macos"),
                (3, "Source release", "source"),
                (4, "Android", "android"),
                (5, "iOS", "ios"),
            ):
                self.oses[pk] = {"name": name, "slug": slug}

    # --- seeding and inspection (bypass the API) -------------------------------------------
    def next_pk(self, resource: str) -> int:
        """The table's next id: never reused, like a database sequence."""
        last = max([self.counters.get(resource, 0), *self._table(resource)])
        self.counters[resource] = last + 1
        return last + 1

    def add_user(
        self,
        username: str,
        api_key: str,
        *,
        is_staff: bool = True,
        is_active: bool = True,
        v2_token: str | None = None,
    ) -> User:
        user = User(username, api_key, is_staff, is_active, v2_token)
        self.users[username] = user
        return user

    def add_release(self, name: str, **fields: Any) -> int:
        with self.lock:
            pk = self.next_pk("release")
            rec = {**RELEASE_DEFAULTS, "release_date": self._now_iso(), **fields, "name": name}
            rec["slug"] = rec["slug"] or slugify(name)
            self.releases[pk] = rec
            return pk

    def add_file(self, release: int, os_slug: str, **fields: Any) -> int:
        with self.lock:
            pk = self.next_pk("release_file")
            rec = {**FILE_DEFAULTS, **fields, "release": release, "os": self.os_pk(os_slug)}
            rec["slug"] = rec["slug"] or slugify(rec["name"])
            self.files[pk] = rec
            return pk

    def os_pk(self, slug: str) -> int:
        return next(pk for pk, o in self.oses.items() if o["slug"] == slug)

    def release_pk(self, name: str) -> int | None:
        return next((pk for pk, r in self.releases.items() if r["name"] == name), None)

    def files_of(self, release: int) -> dict[int, dict[str, Any]]:
        return {pk: f for pk, f in self.files.items() if f["release"] == release}

    def _now_iso(self) -> str:
        # tastypie serialises aware datetimes as naive ISO 8601 (microseconds when non-zero)
        return datetime.fromtimestamp(self.clock(), tz=UTC).replace(tzinfo=None).isoformat()

    # --- the HTTP contract -----------------------------------------------------------------
    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, client: str
    ) -> tuple[int, dict[str, str], bytes]:
        """One request in, one response out; state changes under the lock."""
        with self.lock:
            self.requests += 1
            parts = urlsplit(target)
            user: User | None = None
            try:
                if self.requests in self.fail_requests:
                    raise Reply(503, "injected fault")
                status, hdrs, out, user = self._route(method, parts, headers, body, client)
            except Reply as reply:
                status, hdrs, out = reply.status, reply.headers, reply.body
            self.log.append(
                Logged(method, parts.path, parts.query, status, user.username if user else None)
            )
            self.snapshots.append(copy.deepcopy(self.files))
            return status, hdrs, out

    def _route(
        self,
        method: str,
        parts: Any,
        headers: dict[str, str],
        body: bytes,
        client: str,
    ) -> tuple[int, dict[str, str], bytes, User | None]:
        path: str = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        m = re.fullmatch(r"/api/v1/downloads/(os|release|release_file)/(?:([^/]+)/)?", path)
        if m:
            return self._v1(method, m.group(1), m.group(2), query, headers, body, client)
        if path == "/api/v2/downloads/release/":
            status, hdrs, out = self._v2_release_list(method, headers)
            return status, {**hdrs, "Allow": V2_LIST_ALLOW}, out, None
        m = re.fullmatch(r"/api/v2/downloads/release/([^/]+)/", path)
        if m:
            try:
                status, hdrs, out = self._v2_release(method, m.group(1), headers, body)
            except Reply as reply:
                reply.headers["Allow"] = V2_ALLOW  # DRF's APIView sets Allow on every answer
                raise
            return status, {**hdrs, "Allow": V2_ALLOW}, out, None
        raise Reply(404, "Not Found")

    # tastypie Resource.dispatch: method_check, is_authenticated, throttle_check, handler,
    # log_throttled_access (only when the handler returns normally).
    def _v1(
        self,
        method: str,
        resource: str,
        pk: str | None,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        client: str,
    ) -> tuple[int, dict[str, str], bytes, User | None]:
        allowed = LIST_ALLOWED[resource] if pk is None else DETAIL_ALLOWED
        allows = ",".join(a.upper() for a in allowed)
        verb = method.lower()
        if verb == "options":  # tastypie method_check
            raise Reply(200, allows, {"Allow": allows})
        if verb not in allowed:  # tastypie method_check: 405 body is the Allow list
            raise Reply(405, allows, {"Allow": allows})
        user = self._authenticate(headers, query, body)
        identifier = user.username if user else f"{client}_nohost"  # resources.py get_identifier
        self._throttle_check(identifier)
        if pk is None:
            status, hdrs, out = {
                "get": self._get_list,
                "post": self._post_list,
                "delete": self._delete_list,
            }[verb](resource, query, headers, body, user)
        else:
            status, hdrs, out = {"get": self._get_detail, "delete": self._delete_detail}[verb](
                resource, pk, user
            )
        self.accesses.setdefault(identifier, []).append(int(self.clock()))
        return status, hdrs, out, user

    # --- resources.py ApiKeyOrGuestAuthentication ------------------------------------------
    def _authenticate(
        self, headers: dict[str, str], query: dict[str, list[str]], body: bytes
    ) -> User | None:
        form: dict[str, list[str]] = {}
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8", "replace"))
        # _has_legacy_credentials: username/api_key in GET or POST -> 401.
        if any(p in src for src in (query, form) for p in ("username", "api_key")):
            raise Reply(401)
        authorization = headers.get("authorization", "")
        if not authorization:
            return None  # _authenticate_guest
        # tastypie get_authorization_data: "<type> <data>", type "apikey" (any case).
        auth_type, sep, data = authorization.partition(" ")
        if not sep or auth_type.lower() != "apikey":
            raise Reply(401)
        # extract_credentials: exactly one ":" and both parts non-empty.
        if data.count(":") != 1:
            raise Reply(401)
        username, _, api_key = data.partition(":")
        if not username or not api_key:
            raise Reply(401)
        user = self.users.get(username)
        if user is None or not user.is_active or user.api_key != api_key:
            raise Reply(401)  # unknown user, check_active False, get_key mismatch
        return user

    @staticmethod
    def _is_staff(user: User | None) -> bool:
        # StaffAuthorization._is_authenticated_staff_via_api_key
        return user is not None and user.is_staff

    def _require_staff(self, user: User | None) -> None:
        # StaffAuthorization create/delete -> Unauthorized -> tastypie unauthorized_result: 401
        if not self._is_staff(user):
            raise Reply(401)

    # --- tastypie throttle.py CacheThrottle --------------------------------------------------
    def _throttle_check(self, identifier: str) -> None:
        # tastypie counts whole seconds: int(time.time()), accesses >= now - timeframe.
        now = int(self.clock())
        oldest = now - self.throttle_timeframe
        window = [t for t in self.accesses.get(identifier, []) if t >= oldest]
        self.accesses[identifier] = window
        if len(window) >= self.throttle_at:
            wait = self.throttle_timeframe - (now - window[-self.throttle_at])
            raise Reply(429, b"", {"Retry-After": str(max(0, int(wait)))})

    # --- reading -----------------------------------------------------------------------------
    def _table(self, resource: str) -> dict[int, dict[str, Any]]:
        return {"os": self.oses, "release": self.releases, "release_file": self.files}[resource]

    def uri(self, resource: str, pk: int) -> str:
        return f"/api/v1/downloads/{resource}/{pk}/"

    def _dehydrate(self, resource: str, pk: int) -> dict[str, Any]:
        rec = self._table(resource)[pk]
        out: dict[str, Any] = {}
        for name in FIELDS[resource]:
            value = rec[name]
            if resource == "release_file" and name in ("os", "release"):
                value = self.uri(name, int(value))
            out[name] = value
        out["resource_uri"] = self.uri(resource, pk)
        return out

    def _visible(self, resource: str, user: User | None) -> list[int]:
        pks = list(self._table(resource))
        if resource == "release" and not self._is_staff(user):
            # resources.py OnlyPublishedAuthorization.read_list
            pks = [pk for pk in pks if self.releases[pk]["is_published"]]
        return pks

    def _order(self, resource: str, pks: list[int]) -> list[int]:
        if resource == "release_file":
            # models.py ReleaseFile.Meta.ordering (-release__is_published, release__name,
            # os__name, name); pk breaks ties so pages are stable.
            def key(pk: int) -> tuple[bool, str, str, str, int]:
                f = self.files[pk]
                rel = self.releases.get(f["release"], {})
                return (
                    not rel.get("is_published", False),
                    str(rel.get("name", "")),
                    str(self.oses[f["os"]]["name"]),
                    str(f["name"]),
                    pk,
                )

            return sorted(pks, key=key)
        table = self._table(resource)
        return sorted(pks, key=lambda pk: (str(table[pk]["name"]), pk))  # Meta.ordering name

    def _matches(self, resource: str, pk: int, key: str, value: str) -> bool:
        """tastypie build_filters + check_filtering + filter_value_to_python."""
        bits = key.split("__")
        name = bits.pop(0)
        rule = FILTERING[resource].get(name)
        lookups = {
            "exact",
            "contains",
            "startswith",
            "iexact",
            "icontains",
            "gt",
            "gte",
            "lt",
            "lte",
            "in",
            "isnull",
            "range",
        }
        lookup = bits.pop() if bits and bits[-1] in lookups else "exact"
        if rule is None:
            raise _bad_request(f"The '{name}' field does not allow filtering.")
        if rule not in (ALL, ALL_WITH_RELATIONS) and lookup not in rule:
            raise _bad_request(f"'{lookup}' is not an allowed filter on the '{name}' field.")
        if bits and rule != ALL_WITH_RELATIONS:
            raise _bad_request(
                f"Lookups are not allowed more than one level deep on the '{name}' field."
            )
        rec = self._table(resource)[pk]
        have = rec[name]
        if resource == "release_file" and name in ("os", "release"):
            if bits:  # e.g. os__slug=windows
                related = (self.oses if name == "os" else self.releases)[int(have)]
                have = related.get(bits[0])
            else:
                try:
                    want_pk = int(value)
                except ValueError:
                    # Django: Field 'id' expected a number -> tastypie obj_get_list BadRequest
                    raise _bad_request(
                        "Invalid resource lookup data provided (mismatched type)."
                    ) from None
                return bool(have == want_pk)
        converted = _bool_filter(value)
        if lookup == "contains":
            return str(value) in str(have)
        if lookup == "startswith":
            return str(have).startswith(str(value))
        if isinstance(have, bool):
            return have is converted
        return str(have) == str(converted)

    def _get_list(
        self,
        resource: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        user: User | None,
    ) -> tuple[int, dict[str, str], bytes]:
        filters = {
            k: v[-1]
            for k, v in query.items()
            if k.split("__")[0] in FIELDS[resource]  # unknown keys are skipped by tastypie
        }
        pks = [
            pk
            for pk in self._visible(resource, user)
            if all(self._matches(resource, pk, k, v) for k, v in filters.items())
        ]
        pks = self._order(resource, pks)
        # tastypie paginator.Paginator
        try:
            limit = int(query.get("limit", [str(DEFAULT_LIMIT)])[-1])
        except ValueError:
            raise _bad_request(
                "Invalid limit provided. Please provide a positive integer."
            ) from None
        if limit < 0:
            raise _bad_request("Invalid limit provided. Please provide a positive integer >= 0.")
        limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
        try:
            offset = int(query.get("offset", ["0"])[-1])
        except ValueError:
            raise _bad_request("Invalid offset provided. Please provide an integer.") from None
        if offset < 0:
            raise _bad_request("Invalid offset provided. Please provide a positive integer >= 0.")
        page = pks[offset : offset + limit]
        base = f"/api/v1/downloads/{resource}/"

        def link(off: int) -> str:
            params = {k: v[-1] for k, v in query.items() if k not in ("limit", "offset")}
            return base + "?" + urlencode({**params, "limit": limit, "offset": off})

        meta = {
            "limit": limit,
            "offset": offset,
            "total_count": len(pks),
            "next": link(offset + limit) if offset + limit < len(pks) else None,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
        }
        data = {"meta": meta, "objects": [self._dehydrate(resource, pk) for pk in page]}
        return 200, {"Content-Type": JSON_TYPE}, json.dumps(data).encode()

    def _lookup(self, resource: str, pk_text: str, user: User | None) -> int:
        try:
            pk = int(pk_text)
        except ValueError:
            raise Reply(404) from None  # obj_get ValueError -> NotFound
        if pk not in self._table(resource):
            raise Reply(404)  # get_detail/delete_detail: HttpNotFound, empty body
        if (
            resource == "release"
            and not self._is_staff(user)
            and not self.releases[pk]["is_published"]
        ):
            raise Reply(401)  # OnlyPublishedAuthorization.read_detail False -> Unauthorized
        return pk

    def _get_detail(
        self, resource: str, pk_text: str, user: User | None
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            pk = self._lookup(resource, pk_text, user)
        except Reply as reply:
            if reply.status == 404:
                return 404, {}, b""  # returned (not raised) by get_detail: logged
            raise
        return 200, {"Content-Type": JSON_TYPE}, json.dumps(self._dehydrate(resource, pk)).encode()

    # --- writing -----------------------------------------------------------------------------
    def _related(self, data: dict[str, Any], name: str, user: User | None) -> int:
        """tastypie ToOneField hydrate + build_related_resource + get_via_uri."""
        target = "os" if name == "os" else "release"
        if name not in data or data[name] is None:
            raise _bad_request(
                f"The '{name}' field has no data and doesn't allow a default or null value."
            )
        value = data[name]
        if isinstance(value, dict) and "resource_uri" in value:
            value = value["resource_uri"]
        if not isinstance(value, str):
            raise _bad_request(
                f"The '{name}' field was given data that was not a URI, not a "
                f"dictionary-alike and does not have a 'pk' attribute: {value}."
            )
        path = urlsplit(value).path
        split = path.rstrip("/").rsplit("/", 1)
        if len(split) != 2 or not split[0].endswith(f"/downloads/{target}"):
            # get_via_uri raises NotFound -> _handle_500 -> HttpResponseNotFound
            raise Reply(404, {"error_message": CANNED_500})
        err = f"Could not find the provided downloads/{target} object via resource URI '{value}'."
        try:
            pk = int(split[1])
        except ValueError:
            raise Reply(404, {"error_message": CANNED_500}) from None
        table = self.oses if target == "os" else self.releases
        if pk not in table:
            raise _bad_request(err)
        if target == "release" and not self._is_staff(user) and not table[pk]["is_published"]:
            raise Reply(401)  # get_via_uri -> obj_get -> OnlyPublishedAuthorization
        return pk

    def _deserialize(self, headers: dict[str, str], body: bytes) -> Any:
        # tastypie deserialize: the Content-Type picks the format (JSON if absent).
        ctype = headers.get("content-type", JSON_TYPE).split(";")[0].strip() or JSON_TYPE
        if ctype != JSON_TYPE:
            raise Reply(415, {"error_message": CANNED_500})  # not modelled: xml/yaml/plist
        try:
            return json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise _bad_request("Request is not valid JSON.") from None  # serializers.from_json

    @staticmethod
    def _scalar(name: str, value: Any) -> Any:
        if value is None:
            raise _server_error()  # NOT NULL column -> IntegrityError -> 500
        if name in BOOL_FIELDS:
            return bool(value)  # tastypie BooleanField.convert
        if name in INT_FIELDS:
            try:
                return int(value)
            except (TypeError, ValueError):
                raise _server_error() from None
        return str(value)

    def _post_list(
        self,
        resource: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        user: User | None,
    ) -> tuple[int, dict[str, str], bytes]:
        data = self._deserialize(headers, body)
        if not isinstance(data, dict):
            raise _server_error()  # tastypie hydrates a non-dict bundle -> TypeError -> 500
        if resource == "release_file":
            rec = self._hydrate_file(data, user)
            # api.py ReleaseFileValidation -> models.py ReleaseFile.clean()
            errors = validate_release_file_urls(rec)
            if errors:
                raise Reply(400, {"downloads/release_file": errors})  # tastypie is_valid
        elif resource == "release":
            rec = self._hydrate_release(data)
        else:
            rec = {
                "name": self._scalar("name", data.get("name", "")),
                "slug": self._scalar("slug", data.get("slug", "")),
            }
        self._require_staff(user)  # tastypie save(): authorized_create_detail after is_valid
        self.posts += 1
        fault = self.fail_posts.get(self.posts)
        if fault == "before":
            raise _server_error()
        rec["slug"] = rec["slug"] or slugify(rec["name"])  # cms NameSlugModel.save
        self._check_constraints(resource, rec)
        pk = self.next_pk(resource)
        self._table(resource)[pk] = rec
        if resource == "release" and rec["is_latest"]:
            # models.py promote_latest_release: demote the others of the same version
            for other, r in self.releases.items():
                if other != pk and r["version"] == rec["version"]:
                    r["is_latest"] = False
        if fault == "after":
            raise _server_error()
        # tastypie post_list: HttpCreated(location=...) with an empty body
        return 201, {"Location": self.uri(resource, pk)}, b""

    def _hydrate_file(self, data: dict[str, Any], user: User | None) -> dict[str, Any]:
        rec: dict[str, Any] = {}
        for name, default in FILE_DEFAULTS.items():
            rec[name] = self._scalar(name, data[name]) if name in data else default
        rec["os"] = self._related(data, "os", user)
        rec["release"] = self._related(data, "release", user)
        return rec

    def _hydrate_release(self, data: dict[str, Any]) -> dict[str, Any]:
        rec: dict[str, Any] = {}
        for name, default in RELEASE_DEFAULTS.items():
            if name == "release_page":
                continue
            rec[name] = self._scalar(name, data[name]) if name in data else default
        page = data.get("release_page")
        if page is not None:
            # The pages resource is not modelled: no page URI resolves.
            raise _bad_request(
                f"Could not find the provided pages/page object via resource URI '{page}'."
            )
        rec["release_page"] = None
        value = data.get("release_date")
        if value is None:
            rec["release_date"] = self._now_iso()  # Release.release_date default=timezone.now
        else:
            # tastypie DateTimeField.hydrate: a string dateutil can parse
            msg = (
                "Datetime provided to 'release_date' field doesn't appear to be a valid "
                f"datetime string: '{value}'"
            )
            if not isinstance(value, str):
                raise _bad_request(
                    f"Datetime provided to 'release_date' field must be a string: {value}"
                )
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise _bad_request(msg) from None
            rec["release_date"] = parsed.replace(tzinfo=None).isoformat()
        return rec

    def _check_constraints(self, resource: str, rec: dict[str, Any]) -> None:
        """Database constraints; tastypie does not call validate_unique, so each is a 500."""
        table = self._table(resource)
        if any(r["slug"] == rec["slug"] for r in table.values()):
            raise _server_error()  # cms NameSlugModel: slug unique=True
        if resource == "release_file":
            if any(r["url"] == rec["url"] for r in table.values()):
                raise _server_error()  # models.py ReleaseFile.url unique=True
            if rec["download_button"] and any(
                r["download_button"] and r["os"] == rec["os"] and r["release"] == rec["release"]
                for r in table.values()
            ):
                raise _server_error()  # models.py only_one_download_per_os_per_release

    def _delete_list(
        self,
        resource: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        user: User | None,
    ) -> tuple[int, dict[str, str], bytes]:
        # api.py ReleaseFileResource.delete_list: exactly one 'release' filter, nothing else.
        if set(query) != {"release"} or len(query["release"]) != 1:
            raise _bad_request("Deleting release files requires exactly one 'release' filter.")
        doomed = [
            pk
            for pk in self.files
            if self._matches("release_file", pk, "release", query["release"][0])
        ]
        self._require_staff(user)  # StaffAuthorization.delete_list
        for pk in doomed:
            del self.files[pk]
        return 204, {}, b""

    def _delete_detail(
        self, resource: str, pk_text: str, user: User | None
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            pk = self._lookup(resource, pk_text, user)
        except Reply as reply:
            if reply.status == 404:
                return 404, {}, b""  # returned by delete_detail: logged
            raise
        self._require_staff(user)  # StaffAuthorization.delete_detail
        del self._table(resource)[pk]
        if resource == "release":  # ReleaseFile.release on_delete=CASCADE
            for fpk in [f for f, r in self.files.items() if r["release"] == pk]:
                del self.files[fpk]
        return 204, {}, b""

    # --- API v2 (DRF): OPTIONS of the list, GET and PATCH of one release ----------------------
    def _v2_user(self, headers: dict[str, str]) -> User | None:
        authorization = headers.get("authorization", "")
        user: User | None = None
        if authorization:
            kind, _, token = authorization.partition(" ")
            if kind.lower() == "token":  # rest_framework TokenAuthentication
                user = next((u for u in self.users.values() if u.v2_token == token), None)
                if user is None or not user.is_active:
                    raise Reply(401, {"detail": "Invalid token."}, {"WWW-Authenticate": "Token"})
        return user

    def _v2_release_list(
        self, method: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """DRF SimpleMetadata: ``actions`` lists POST only when the permission allows it."""
        user = self._v2_user(headers)
        if method != "OPTIONS":
            raise Reply(501, "not modelled by the fake")
        out: dict[str, Any] = {
            "name": "Release List",
            "description": "DRF viewset for CRUD operations on releases.",
            "renders": ["application/json"],
            "parses": [
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ],
        }
        if user is not None and user.is_staff:  # drf.py IsStaffOrReadOnly
            out["actions"] = {"POST": {name: {"type": "field"} for name in FIELDS["release"]}}
        return 200, {"Content-Type": JSON_TYPE}, json.dumps(out).encode()

    def _v2_release(
        self, method: str, pk_text: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        user = self._v2_user(headers)
        if method not in ("GET", "PATCH"):
            raise Reply(501, "not modelled by the fake")
        if method == "PATCH":
            if user is None:  # drf.py IsStaffOrReadOnly, unauthenticated
                raise Reply(
                    401,
                    {"detail": "Authentication credentials were not provided."},
                    {"WWW-Authenticate": "Token"},
                )
            if not user.is_staff:
                raise Reply(403, {"detail": "You do not have permission to perform this action."})
        staff = user is not None and user.is_staff
        try:
            pk = int(pk_text)
        except ValueError:
            pk = -1
        release = self.releases.get(pk)
        if release is None or (not staff and not release["is_published"]):  # BaseAPIViewMixin
            raise Reply(404, {"detail": "No Release matches the given query."})
        if method == "PATCH":
            try:
                data = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise Reply(400, {"detail": "JSON parse error"}) from None
            if not isinstance(data, dict):
                raise Reply(400, {"non_field_errors": ["Invalid data."]})
            for name in RELEASE_DEFAULTS:  # serializers.py ReleaseSerializer fields
                if name in data and name != "release_page":
                    release[name] = self._scalar(name, data[name])
            if "release_date" in data:  # DRF DateTimeField: ISO 8601, stored in UTC
                try:
                    when = datetime.fromisoformat(str(data["release_date"]))
                except ValueError:
                    raise Reply(400, {"release_date": ["Datetime has wrong format."]}) from None
                if when.tzinfo is not None:
                    when = when.astimezone(UTC)
                release["release_date"] = when.replace(tzinfo=None).isoformat()
            if data.get("is_latest"):
                for other, r in self.releases.items():
                    if other != pk and r["version"] == release["version"]:
                        r["is_latest"] = False
        out = {k: release.get(k) for k in FIELDS["release"]}
        # DRF HyperlinkedModelSerializer: absolute URLs; DateTimeField: ISO 8601 with "Z".
        host = headers.get("host", "testserver")
        out["resource_uri"] = f"http://{host}/api/v2/downloads/release/{pk}/"
        out["release_date"] = f"{release['release_date']}Z"
        return 200, {"Content-Type": JSON_TYPE}, json.dumps(out).encode()


def validate_release_file_urls(rec: dict[str, Any]) -> dict[str, list[str]]:
    """models.py validate_release_file_urls, for a new record (no previous values)."""
    errors: dict[str, list[str]] = {}
    for name in URL_FIELDS:
        value = rec.get(name) or ""
        if value and not value.startswith(HTTPS_PREFIX):
            errors.setdefault(name, []).append(HTTPS_ERROR)
    url = rec.get("url") or ""
    if url:
        for name, suffix in SIDECAR_SUFFIXES.items():
            sidecar = rec.get(name) or ""
            if sidecar and sidecar != f"{url}{suffix}":
                errors.setdefault(name, []).append(
                    f"Sidecar URL must match the artifact URL plus '{suffix}'."
                )
    return errors


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one small response must not wait for a delayed ACK
    state: FakeState  # set on the subclass start_server makes

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, hdrs, out = self.state.handle(
            self.command, self.path, headers, body, self.client_address[0]
        )
        self.send_response(status)
        for key, value in hdrs.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeServer(NamedTuple):
    base_url: str  # the site root, "http://127.0.0.1:<port>/"
    state: FakeState


@contextmanager
def start_server(state: FakeState | None = None) -> Iterator[FakeServer]:
    """Serve ``state`` on 127.0.0.1 (a free port) for the duration of the block."""
    state = state if state is not None else FakeState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield FakeServer(f"http://127.0.0.1:{server.server_port}/", state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
