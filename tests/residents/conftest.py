"""Fixtures of the console tests (case queue, permits, window registration)."""

from __future__ import annotations

import pytest


@pytest.fixture
def two_factor_off(settings):  # type: ignore[no-untyped-def]
    """The console's two-factor enrolment has its own tests (test_admin_residents.py)."""
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def console(client, caseworker, two_factor_off):  # type: ignore[no-untyped-def]
    """The browser of the caseworker who covers 塔山街道, where 王芳 lives."""
    client.force_login(caseworker)
    return client
