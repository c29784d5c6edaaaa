"""The profile page sends the person back where they were going, but only within the site."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, make_id_number

pytestmark = pytest.mark.django_db


def _create(client, tashan_community, next_url: str):  # type: ignore[no-untyped-def]
    user = UserFactory()
    client.force_login(user)
    return client.post(
        f"{reverse('residents:profile')}?next={next_url}",
        {"name": "钱多多", "id_number": make_id_number(), "community": tashan_community.pk, "phone": "",
         "hukou_address": "", "education": "", "address": "", "arrival_date": ""},
    )  # fmt: skip


def test_after_creating_a_profile_the_person_returns_to_the_page_that_asked_for_it(client, tashan_community):
    response = _create(client, tashan_community, "/housing/declare/abc/")
    assert (response.status_code, response["Location"]) == (302, "/housing/declare/abc/")


def test_a_next_address_off_the_site_is_ignored(client, tashan_community):
    response = _create(client, tashan_community, "https://evil.example.com/")
    assert (response.status_code, response["Location"]) == (302, reverse("residents:mine"))
