"""A client for python.org's downloads API (v1, Tastypie), as pythondotorg defines it.

The rules come from python/pythondotorg ``apps/downloads/api.py``, ``models.py`` and
``pydotorg/resources.py`` (and django-tastypie 0.15, which they build on):

- ``Authorization: ApiKey user:key``; a wrong, unknown or malformed key, an inactive user,
  or a write by a non-staff user gets **401 with an empty body**. Never retried.
- Lists are paginated (``meta.next``); the client follows every page.
- ``POST`` answers **201 with an empty body**; the new object is only in ``Location``
  (a path, ``/api/v1/downloads/release_file/<pk>/``).
- ``PUT``/``PATCH`` are 405 on every downloads resource, Release included
  (``detail_allowed_methods = ["get", "delete"]``): a ReleaseFile is changed by delete and
  re-create, and a Release cannot be changed by API v1 at all. API v2 (DRF, ``Authorization:
  Token <t>``) does allow ``PATCH downloads/release/<pk>/``; with a v2 token the client uses
  it to complete and publish the release, otherwise :meth:`PythonOrgAPI.update_release` raises
  :class:`PublishNeedsAdmin`.
- 400 carries field errors (``{"error": ...}`` or ``{"downloads/release_file": {field:
  [...]}}``); they are shown as they are.
- 429 after 600 requests per hour (Tastypie ``CacheThrottle``), with ``Retry-After`` in
  seconds. The client prints the wait and sleeps for it, within a total budget of
  ``max_wait`` seconds (default five minutes); past it, it fails naming the time to re-run.
- The base URL is the site (``https://www.python.org/``); release-tools' form with the API
  path (``https://www.python.org/api/v1/``) is accepted and reduced to the site.
- Checking credentials without writing: a wrong v1 key gets 401 on any request; only a
  *staff* key passes ``DELETE downloads/release_file/?release=0`` (``StaffAuthorization.
  delete_list`` refuses others with 401), and it deletes nothing: no Release has pk 0
  (database sequences start at 1; the client checks ``GET downloads/release/0/`` is 404
  first) and ``ReleaseFile.release`` is a foreign key. A v2 token is checked with
  ``OPTIONS /api/v2/downloads/release/``: DRF answers 401 for a bad token and lists a
  ``POST`` action only to users ``IsStaffOrReadOnly`` lets write.
- API v2's ``ReleaseSerializer`` has ``is_published``, ``is_latest``, ``release_date``,
  ``pre_release``, ``release_notes_url``; neither API has the Release's ``content`` (the
  release page text), which only the admin edits.
- Every write (POST, DELETE, PATCH) goes to the run's journal (:mod:`.journal`) when the
  server confirms it; a failed one is journaled as failed, naming the request.
- 500 on a duplicate ``slug`` or ``url`` or a second download button per OS: raised as
  :class:`ServerError` so the caller can re-read and reconcile. Idempotent requests (GET,
  DELETE) are retried a few times on 5xx and connection errors; POST is not, because the
  object may have been created.
"""

from __future__ import annotations

import email.utils
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from cpython_release import http
from cpython_release.errors import BadInput, CheckFailed
from cpython_release.publish.journal import Journal
from cpython_release.secure_url import check_credential_url

API_V1 = "api/v1/"
API_V2 = "api/v2/"
JSON = "application/json"
DEFAULT_MAX_WAIT = 300.0  # seconds of 429 waits per run before giving up

# Fields of a ReleaseFile the toolkit manages; anything else on the server is ignored
# when comparing (md5_sum, which python.org no longer uses).
FILE_FIELDS = (
    "name",
    "slug",
    "os",
    "release",
    "description",
    "is_source",
    "url",
    "sha256_sum",
    "filesize",
    "download_button",
    "gpg_signature_file",
    "sigstore_signature_file",
    "sigstore_cert_file",
    "sigstore_bundle_file",
    "sbom_spdx2_file",
)


class APIError(CheckFailed):
    """python.org refused or failed a request (exit 1)."""

    def __init__(
        self, message: str, problems: list[str] | None = None, *, status: int | None = None
    ) -> None:
        super().__init__(message, problems)
        self.status = status


class AuthenticationFailed(APIError):
    """401: the key was rejected or the user may not write. Not retried."""

    exit_code = BadInput.exit_code


class ValidationFailed(APIError):
    """400: python.org rejected the data; ``problems`` are its field errors."""


class RateLimited(APIError):
    """429, and waiting for the limit to reset would exceed the ``max_wait`` budget."""


class ServerError(APIError):
    """5xx (python.org gives 500 for a duplicate slug or url), or no answer to a write."""


class PublishNeedsAdmin(APIError):
    """API v1 cannot set ``is_published`` on a Release; a person must, in the admin."""

    def __init__(self, message: str, admin_url: str) -> None:
        super().__init__(message)
        self.admin_url = admin_url


@dataclass(frozen=True)
class RemoteRelease:
    uri: str
    name: str
    slug: str
    is_published: bool
    pre_release: bool
    is_latest: bool = False
    release_date: str = ""
    release_notes_url: str = ""
    version: int = 3

    @property
    def pk(self) -> int:
        return pk_of(self.uri)


@dataclass(frozen=True)
class RemoteFile:
    uri: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pk(self) -> int:
        return pk_of(self.uri)

    def get(self, key: str) -> Any:
        return self.fields.get(key)

    @property
    def slug(self) -> str:
        return str(self.fields.get("slug") or "")

    @property
    def url(self) -> str:
        return str(self.fields.get("url") or "")

    def differences(self, payload: Mapping[str, Any]) -> list[str]:
        """The managed fields where this record differs from ``payload``."""
        out = []
        for key in FILE_FIELDS:
            want = payload.get(key)
            have = self.fields.get(key)
            if key in ("os", "release"):
                same = have is not None and want is not None and pk_of(have) == pk_of(want)
            elif isinstance(want, bool):
                same = bool(have) is want
            elif isinstance(want, int):
                same = isinstance(have, int) and have == want
            else:
                same = (have or "") == (want or "")
            if not same:
                out.append(key)
        return out


def pk_of(uri: str) -> int:
    """The primary key at the end of a resource URI (``/api/v1/downloads/os/3/`` -> 3)."""
    tail = urlsplit(str(uri)).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        return int(tail)
    except ValueError:
        raise APIError(f"python.org returned an unexpected resource URI: {uri!r}") from None


def site_root(base_url: str) -> str:
    """The site for a base URL given with or without the API path (``.../api/v1/``)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"python.org API: not an http(s) URL: {base_url!r}")
    path = parts.path.rstrip("/")
    for tail in ("/api/v1", "/api/v2", "/api"):
        if path.endswith(tail):
            path = path[: -len(tail)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}/"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_details(response: requests.Response) -> list[str]:
    """python.org's error body as lines: Tastypie ``{"error": ...}``, field errors, or text."""
    text = response.text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [text[:500]]
    lines: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            for sub in value:
                walk(prefix, sub)
        else:
            lines.append(f"{prefix}: {value}" if prefix else str(value))

    walk("", data)
    return lines


class PythonOrgAPI:
    """python.org's downloads API v1 for one staff user.

    ``base_url`` is the site (``https://www.python.org/``, or with ``api/v1/``). ``max_wait``
    bounds the total seconds spent waiting out 429s. Extra keywords: ``v2_token`` (a DRF
    token of the same staff user, used to complete and publish the Release), ``journal``
    (where writes are recorded), ``log`` (where waits are printed), ``sleep`` (tests pass a
    fake clock), ``timeout`` (seconds per request), ``retries`` (extra attempts of a GET or
    DELETE on 5xx or a connection error).
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        api_key: str,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        v2_token: str | None = None,
        journal: Journal | None = None,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        if not username or not api_key:
            raise BadInput("python.org API: both a username and an API key are needed")
        if ":" in username or ":" in api_key or any(c.isspace() for c in username + api_key):
            # pythondotorg splits "user:key" on the one colon and answers 401 otherwise.
            raise BadInput("python.org API: the username and key may not contain ':' or spaces")
        self.base_url = site_root(check_credential_url(base_url, "python.org API"))
        self.journal = journal
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.username = username
        self.max_wait = max_wait
        self.timeout = timeout
        self.retries = retries
        self.waited = 0.0  # seconds slept on 429 so far
        self.requests_made = 0
        self._sleep = sleep
        self._v2_token = v2_token
        self._session = http.session(retries=0)
        self._session.headers["Accept"] = JSON
        self._auth = f"ApiKey {username}:{api_key}"
        self._os_cache: dict[str, str] = {}

    # --- plumbing --------------------------------------------------------------------------
    @property
    def can_publish(self) -> bool:
        return self._v2_token is not None

    def v1(self, path: str) -> str:
        return urljoin(self.base_url, API_V1 + path)

    def absolute(self, uri: str) -> str:
        return urljoin(self.base_url, uri)

    def admin_url(self, release: RemoteRelease) -> str:
        return urljoin(self.base_url, f"admin/downloads/release/{release.pk}/change/")

    def pause(self, attempt: int) -> None:
        """Back off before retrying a failed write (1, 2, 4 ... seconds, at most 30)."""
        self._sleep(min(30.0, 2.0 ** (attempt - 1)))

    def _wait_429(self, method: str, url: str, response: requests.Response, attempt: int) -> None:
        delay = _retry_after(response)
        if delay is None:
            delay = min(60.0, 2.0**attempt)
        # At least a second: Tastypie counts whole seconds and may say "Retry-After: 0"; at
        # most a week (a hostile "inf" or "1e400" must not overflow the date below).
        delay = min(max(1.0, delay), 7 * 86400.0) if delay == delay else 60.0
        if self.waited + delay > self.max_wait:
            # the date as well: a wait may pass midnight
            when = (datetime.now(UTC) + timedelta(seconds=delay + 59)).strftime("%Y-%m-%d %H:%M")
            raise RateLimited(
                f"python.org API: 429 Too Many Requests for {method} {url} (600 requests per "
                f"hour per user); waiting {delay:.0f}s more would exceed the {self.max_wait:.0f}s "
                f"budget ({self.waited:.0f}s already waited). Re-run after {when} UTC: the "
                "run resumes where it stopped.",
                status=429,
            )
        self._log(
            f"python.org API: 429 Too Many Requests for {method} {url}: waiting {delay:.0f}s "
            f"(Retry-After; {self.waited + delay:.0f}s of the {self.max_wait:.0f}s budget)"
        )
        self.waited += delay
        self._sleep(delay)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        ok: Iterable[int] = (200,),
        headers: Mapping[str, str] | None = None,
        journal: bool = True,
    ) -> requests.Response:
        """One API call with python.org's error handling (see the module docstring).

        A write (anything but GET and OPTIONS) is journaled when it succeeds, or as failed.
        ``journal=False`` leaves out a write that changes nothing (the credentials check).
        """
        ok = tuple(ok)
        record = journal and self.journal is not None and method not in ("GET", "OPTIONS")
        try:
            response = self._request(method, url, params, body, ok, headers)
        except APIError as exc:
            if record and self.journal is not None:
                self.journal.failed("api", method, _shown(url, params), str(exc))
            raise
        if record and self.journal is not None:
            detail = response.headers.get("Location") or f"{response.status_code}"
            self.journal.change("api", method, _shown(url, params), detail)
        return response

    def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        ok: tuple[int, ...],
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        idempotent = method in ("GET", "DELETE")
        hdrs = {"Authorization": self._auth}
        if body is not None:
            hdrs["Content-Type"] = JSON
        hdrs.update(headers or {})
        data = json.dumps(body) if body is not None else None
        attempt = 0
        failures = 0
        while True:
            attempt += 1
            self.requests_made += 1
            try:
                response = self._session.request(
                    method, url, params=params, data=data, headers=hdrs, timeout=self.timeout
                )
            except requests.RequestException as exc:
                if idempotent and failures < self.retries:
                    failures += 1
                    self._sleep(min(30.0, 2.0**failures))
                    continue
                raise ServerError(
                    f"could not reach the python.org API: no answer to {method} {url}: "
                    f"{http.network_reason(exc)}"
                    + ("" if idempotent else " (the object may or may not have been created)")
                ) from exc
            status = response.status_code
            if status in ok:
                return response
            if status == 401:
                what = (
                    "the API v2 token was rejected"
                    if hdrs["Authorization"].startswith("Token ")
                    else f"the API key of {self.username!r} was rejected (wrong, unknown or "
                    "malformed key, or an inactive user), or the user is not staff (writes "
                    "need a staff account)"
                )
                raise AuthenticationFailed(
                    f"python.org API: 401 Unauthorized for {method} {url}: {what}. Not retried.",
                    status=401,
                )
            if status == 429:
                self._wait_429(method, url, response, attempt)
                continue
            if status == 400:
                raise ValidationFailed(
                    f"python.org API: 400 Bad Request for {method} {url}",
                    _error_details(response) or ["(no details)"],
                    status=400,
                )
            if status >= 500 and idempotent and failures < self.retries:
                failures += 1
                self._sleep(min(30.0, 2.0**failures))
                continue
            cls = ServerError if status >= 500 else APIError
            raise cls(
                f"python.org API: {status} {response.reason} for {method} {url}",
                _error_details(response),
                status=status,
            )

    # --- credentials, checked without writing -------------------------------------------------
    def check_staff_key(self) -> None:
        """The v1 key is valid and a staff user's (see the module docstring); writes nothing."""
        probe = self.request("GET", self.v1("downloads/release/0/"), ok=(404, 200))
        if probe.status_code != 404:
            raise APIError(
                "python.org API: a Release with pk 0 exists; cannot check the key's staff "
                "status without risk (DELETE release_file/?release=0 would delete its files)"
            )
        try:
            self.request(
                "DELETE",
                self.v1("downloads/release_file/"),
                params={"release": "0"},
                ok=(204,),
                journal=False,
            )
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(
                f"python.org API: the key of {self.username!r} is valid but may not write "
                "(the user is not staff): DELETE downloads/release_file/?release=0 answered "
                "401. Nothing was changed.",
                status=401,
            ) from exc

    def check_v2_token(self) -> None:
        """The v2 token is valid and may write (DRF lists a POST action); writes nothing."""
        if self._v2_token is None:
            return
        url = urljoin(self.base_url, f"{API_V2}downloads/release/")
        data = self._json(
            self.request(
                "OPTIONS",
                url,
                headers={"Authorization": f"Token {self._v2_token}"},
            )
        )
        actions = data.get("actions") if isinstance(data, dict) else None
        if not (isinstance(actions, dict) and "POST" in actions):
            raise AuthenticationFailed(
                f"python.org API v2: the token is valid but its user may not write (OPTIONS "
                f"{url} lists no POST action: not a staff user). Nothing was changed.",
                status=403,
            )

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise APIError(
                f"python.org API: {response.request.method} {response.url} did not return "
                f"JSON: {response.text[:200]!r}"
            ) from exc

    def get_list(self, resource: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every object of a filtered list, following Tastypie's ``meta.next`` pages."""
        url: str | None = self.v1(f"downloads/{resource}/")
        query: Mapping[str, str] | None = {**params, "limit": "100"}
        out: list[dict[str, Any]] = []
        origin = urlsplit(self.base_url)[:2]
        seen: set[str] = set()
        while url:
            data = self._json(self.request("GET", url, params=query))
            if not isinstance(data, dict) or not isinstance(data.get("objects"), list):
                raise APIError(f"python.org API: GET {url}: not a Tastypie list")
            out.extend(data["objects"])
            meta = data.get("meta")
            nxt = meta.get("next") if isinstance(meta, dict) else None
            url = self.absolute(str(nxt)) if nxt else None
            # The key goes with every request: never to another origin, and never in a loop.
            if url is not None and urlsplit(url)[:2] != origin:
                raise APIError(f"python.org API: meta.next points off {self.base_url}: {url}")
            if url is not None and url in seen:
                raise APIError(f"python.org API: meta.next loops back to {url}")
            if url is not None:
                seen.add(url)
            query = None  # ``next`` carries the query
        return out

    def _location(self, response: requests.Response, what: str) -> str:
        location = response.headers.get("Location")
        if not location:
            raise APIError(f"python.org API: created {what} but the 201 has no Location header")
        uri = urlsplit(location).path
        pk_of(uri)
        return uri

    # --- objects ---------------------------------------------------------------------------
    def os_uri(self, slug: str) -> str:
        """The resource URI of the OS ``slug`` (source, windows, macos, android, ios)."""
        if slug not in self._os_cache:
            objects = self.get_list("os", {"slug": slug})
            if not objects:
                raise APIError(f"python.org has no OS with slug {slug!r}")
            self._os_cache[slug] = urlsplit(objects[0]["resource_uri"]).path
        return self._os_cache[slug]

    @staticmethod
    def _release(obj: Mapping[str, Any]) -> RemoteRelease:
        return RemoteRelease(
            uri=urlsplit(obj["resource_uri"]).path,
            name=str(obj.get("name", "")),
            slug=str(obj.get("slug", "")),
            is_published=bool(obj.get("is_published")),
            pre_release=bool(obj.get("pre_release")),
            is_latest=bool(obj.get("is_latest")),
            release_date=str(obj.get("release_date") or ""),
            release_notes_url=str(obj.get("release_notes_url") or ""),
            version=int(obj.get("version") or 3),
        )

    def list_releases(self, params: Mapping[str, str]) -> list[RemoteRelease]:
        """Every Release matching a v1 filter (``version``, ``pre_release``, ...)."""
        return [self._release(o) for o in self.get_list("release", params)]

    def find_release(self, name: str) -> RemoteRelease | None:
        objects = self.get_list("release", {"name": name})
        if len(objects) > 1:
            raise APIError(
                f"python.org has {len(objects)} releases named {name!r}",
                [str(o.get("resource_uri")) for o in objects],
            )
        return self._release(objects[0]) if objects else None

    def find_release_by_slug(self, slug: str) -> RemoteRelease | None:
        objects = self.get_list("release", {"slug": slug})
        return self._release(objects[0]) if objects else None

    def get_release(self, uri: str) -> RemoteRelease:
        return self._release(self._json(self.request("GET", self.absolute(uri))))

    def create_release(self, fields: Mapping[str, Any]) -> str:
        """POST a Release; returns its URI (from ``Location``)."""
        response = self.request("POST", self.v1("downloads/release/"), body=fields, ok=(201,))
        return self._location(response, "a release")

    def list_files(self, release: RemoteRelease) -> list[RemoteFile]:
        objects = self.get_list("release_file", {"release": str(release.pk)})
        return [self._file(o) for o in objects]

    def find_file_by_slug(self, slug: str) -> RemoteFile | None:
        objects = self.get_list("release_file", {"slug": slug})
        return self._file(objects[0]) if objects else None

    @staticmethod
    def _file(obj: Mapping[str, Any]) -> RemoteFile:
        return RemoteFile(urlsplit(obj["resource_uri"]).path, dict(obj))

    def create_file(self, payload: Mapping[str, Any]) -> str:
        """POST a ReleaseFile; returns its URI. A 500 raises :class:`ServerError`."""
        response = self.request("POST", self.v1("downloads/release_file/"), body=payload, ok=(201,))
        return self._location(response, "a release file")

    def delete_file(self, uri: str) -> bool:
        """DELETE one ReleaseFile; False when it was already gone (404)."""
        response = self.request("DELETE", self.absolute(uri), ok=(204, 404))
        return response.status_code == 204

    def delete_all_files(self, release: RemoteRelease) -> None:
        """``DELETE downloads/release_file/?release=<pk>``: every file of one release."""
        self.request(
            "DELETE",
            self.v1("downloads/release_file/"),
            params={"release": str(release.pk)},
            ok=(204,),
        )

    def update_release(self, release: RemoteRelease, fields: Mapping[str, Any]) -> None:
        """Change a Release: API v2 ``PATCH`` with a token, else :class:`PublishNeedsAdmin`."""
        if self._v2_token is None:
            shown = ", ".join(f"{k}={v!r}" for k, v in fields.items())
            state = "is NOT published" if fields.get("is_published") else "is incomplete"
            raise PublishNeedsAdmin(
                f"python.org: the Release {release.name!r} {state}: it needs {shown}. API v1 "
                "cannot "
                "change a Release (PUT and PATCH answer 405) and no API v2 token was given. "
                f"A release manager must set it at {self.admin_url(release)} "
                "(then re-run: every file is already in place, so only the CDN purge is left).",
                self.admin_url(release),
            )
        url = urljoin(self.base_url, f"{API_V2}downloads/release/{release.pk}/")
        response = self.request(
            "PATCH",
            url,
            body=dict(fields),
            headers={"Authorization": f"Token {self._v2_token}"},
        )
        data = self._json(response)
        wrong = [
            k
            for k, v in fields.items()
            if not isinstance(data, dict) or not _same_field(k, data.get(k), v)
        ]
        if wrong:
            raise APIError(f"python.org API v2: PATCH {url} did not set {', '.join(wrong)}")


def _same_field(name: str, have: Any, want: Any) -> bool:
    if name == "release_date":
        return _instant(have) == _instant(want)
    return bool(have == want)


def _instant(value: Any) -> datetime | None:
    """A date-time as python.org answers it (v1 naive UTC, v2 with Z) or as given."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def same_instant(a: str, b: str) -> bool:
    return _instant(a) is not None and _instant(a) == _instant(b)


def _shown(url: str, params: Mapping[str, str] | None) -> str:
    if not params:
        return url
    return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())
