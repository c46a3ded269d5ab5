"""A faithful local fake of python.org's downloads API (v1 Tastypie, a sliver of v2).

``with start_server() as (base_url, state): ...`` serves it on 127.0.0.1; ``state`` is the
database plus the fault knobs (``fail_posts``, ``fail_requests``, ``throttle_at``). Rules
and their pythondotorg sources are in :mod:`fakes_pythonorg.server`.
"""

from fakes_pythonorg.server import (
    CANNED_500,
    FakeClock,
    FakeServer,
    FakeState,
    Logged,
    User,
    start_server,
    validate_release_file_urls,
)

__all__ = [
    "CANNED_500",
    "FakeClock",
    "FakeServer",
    "FakeState",
    "Logged",
    "User",
    "start_server",
    "validate_release_file_urls",
]
