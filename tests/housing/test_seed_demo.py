"""The rental-housing demo loads on top of seed_demo, and loading it again changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from housing.choices import PropertyStatus, TenancyStatus
from housing.models import Property, Tenancy

pytestmark = pytest.mark.django_db


def test_the_housing_demo_loads_once_whatever_the_number_of_runs():
    call_command("seed_demo", stdout=StringIO())
    for _ in range(2):
        call_command("seed_housing_demo", stdout=StringIO())

    assert sorted(Property.objects.values_list("status", flat=True)) == [
        PropertyStatus.PENDING,
        PropertyStatus.VERIFIED,
    ]
    assert sorted(Tenancy.objects.values_list("status", flat=True)) == [
        TenancyStatus.ACTIVE, TenancyStatus.ACTIVE, TenancyStatus.DECLARED,
    ]  # fmt: skip
    assert Property.objects.get(status=PropertyStatus.VERIFIED).owner.username == "demo_landlord"
