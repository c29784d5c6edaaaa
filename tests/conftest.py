"""The standing cast and the rules every test run obeys: PostgreSQL, Redis, no network."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from pytest_django.fixtures import validate_django_db
from rest_framework.test import APIClient

from accounts.choices import Role
from notifications import channels

from .factories import CommunityFactory, ResidentFactory, UserFactory, caseworker_for, street

# The demonstration case type's fixture (demo_case_type) for every test that asks for it.
pytest_plugins = ["tests.casework"]


def _django_order(item: pytest.Item) -> int:
    """pytest-django's order: database tests in a transaction, then transactional ones, then the rest."""
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker) and any(validate_django_db(marker)[:2])
    fixtures = getattr(item, "fixturenames", ())
    if transactional or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the transactional tests back after the others, where pytest-django sorted them.

    pytest-playwright parametrises every browser test with a session-scoped browser_name, and pytest then
    regroups the items by that parameter, which pulled these tests into the middle of the run. A
    transactional test ends by flushing the tables, data-migration rows included, so every ordinary test
    after it would find no streets and no role groups. A stable sort restores the order and keeps the
    browser tests together.
    """
    items.sort(key=_django_order)


def pytest_configure(config: pytest.Config) -> None:
    # Tests must run on the databases production uses; a missing PostgreSQL or Redis fails the run.
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(f"Tests run on PostgreSQL only (DATABASE_URL gives {engine}); use `make test`.")
    if not settings.REDIS_URL:
        raise pytest.UsageError("Tests need Redis: set REDIS_URL (use `make test`).")


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_BACKEND = "notifications.channels.MemorySmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    channels.sms_outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate-limit counters live in the cache (Redis in tests); start every test with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def sms_outbox() -> list[channels.SmsMessage]:
    return channels.sms_outbox


@pytest.fixture
def tashan_community(db):  # type: ignore[no-untyped-def]
    return CommunityFactory(parent=street("塔山街道"))


@pytest.fixture
def fushan_community(db):  # type: ignore[no-untyped-def]
    return CommunityFactory(parent=street("府山街道"))


@pytest.fixture
def resident_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="resident")


@pytest.fixture
def resident(resident_user, tashan_community):  # type: ignore[no-untyped-def]
    """The owner: a migrant with a login, living in 塔山街道."""
    return ResidentFactory(user=resident_user, name="王芳", community=tashan_community)


@pytest.fixture
def other_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="other")


@pytest.fixture
def other_resident(other_user, tashan_community):  # type: ignore[no-untyped-def]
    """Another migrant on the same street, who must see nothing of the owner."""
    return ResidentFactory(user=other_user, name="赵强", community=tashan_community)


@pytest.fixture
def caseworker(db):  # type: ignore[no-untyped-def]
    """Covers 塔山街道, where the owner lives."""
    return caseworker_for(street("塔山街道"), username="caseworker_in")


@pytest.fixture
def caseworker_elsewhere(db):  # type: ignore[no-untyped-def]
    """Covers 府山街道 only: the owner is out of scope."""
    return caseworker_for(street("府山街道"), username="caseworker_out")


@pytest.fixture
def administrator(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="admin", roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True)


@pytest.fixture
def health_worker(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="health", roles=[Role.HEALTH_WORKER], is_staff=True)


@pytest.fixture
def landlord(db):  # type: ignore[no-untyped-def]
    """李房东, who lets flats in 塔山街道 (an account that registered a property has this role)."""
    return UserFactory(username="landlord_li", roles=[Role.LANDLORD])


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def assert_postgres() -> None:
    assert connection.vendor == "postgresql"
