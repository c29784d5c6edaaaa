"""Browser tests: Debian's Chromium driven by Playwright against Django's live server.

Every test here runs on a transactional database (the live server answers from another thread, so the test's
rows must be committed). A transactional test ends by flushing every table, which would also wipe the rows
the data migrations load (the district's streets, the role groups). The browser tests therefore ask for
``serialized_rollback``: pytest-django serialises the freshly migrated database once and reloads it before
each of these tests, so they pass in any order and next to the rest of the suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an asyncio loop in the test thread; Django refuses ORM calls from a thread with a
# running loop unless told otherwise. Test set-up only: the application itself never sets this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def _test_thread_connections() -> dict[str, BaseDatabaseWrapper]:
    """The test thread's database connections, taken before Playwright starts its event loop."""
    return {alias: connections[alias] for alias in connections}


@pytest.fixture(scope="session")
def playwright(_test_thread_connections, playwright):  # type: ignore[no-untyped-def]
    """pytest-playwright's Playwright, with the test thread keeping its one database connection.

    Django keeps connections in an asgiref Local that switches from thread-local to context-local storage
    while an event loop runs in the thread, and Playwright's loop keeps running from here to the end of the
    session. Every test after this point would otherwise get a second, fresh connection object, which lacks
    the serialised database that ``serialized_rollback`` restores from, so transactional tests (these and
    any that run after them) would start with the streets and role groups gone.
    """
    for alias, connection in _test_thread_connections.items():
        connections[alias] = connection
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    """Debian's Chromium (never `playwright install`), with nothing that calls out to the network."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):  # type: ignore[no-untyped-def]
    """A phone in Shaoxing: Chinese, Shanghai time, a phone-sized screen."""
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 390, "height": 844},
    }


@pytest.fixture
def page(page):  # type: ignore[no-untyped-def]
    """The pytest-playwright page, failing fast: a missing element is reported in 10 s, not 30."""
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, started with a MEDIA_URL it can parse.

    The portal sets MEDIA_URL = None (uploads are never served by URL), but the live server's media handler
    runs urlparse(MEDIA_URL) and then fails every request with "startswith first arg must be str". The
    server is given an unused prefix while it builds its handlers; the setting is put back at once.
    """
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    media_url = settings.MEDIA_URL
    settings.MEDIA_URL = "/__live-server-media-not-served__/"
    try:
        server = LiveServer(addr)
    finally:
        settings.MEDIA_URL = media_url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """The live server, as Playwright's base URL (this also replaces pytest-playwright's fallback fixture,
    which pytest 9 warns about)."""
    return live_server.url
