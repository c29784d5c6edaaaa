"""The caseworker console for residents: scope, masking, search, the audited reveal, archiving, two-factor."""

from __future__ import annotations

import datetime

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents import services
from residents.choices import AuditEventType
from residents.models import AuditEvent, Resident
from residents.pii import id_number_decrypt

from ..factories import ResidentFactory, compose_id_number, guardian_link

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/residents/resident/"


def change_url(resident: Resident) -> str:
    return reverse("admin:residents_resident_change", args=[resident.pk])


def reveal_url(resident: Resident) -> str:
    return reverse("admin:residents_resident_reveal", args=[resident.pk])


def archive_url(resident: Resident) -> str:
    return reverse("admin:residents_resident_archive", args=[resident.pk])


def plaintext_of(resident: Resident) -> str:
    return id_number_decrypt(resident.id_number_ciphertext)


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def search(client, term: str) -> list[Resident]:  # type: ignore[no-untyped-def]
    """Type the term in the console's search box and press 搜索 (the box posts; see residents.admin_search)."""
    response = client.post(CHANGELIST + "search/", {"q": term}, follow=True)
    assert response.status_code == 200
    if len(term) == 18:
        # A full ID number never reaches a URL: not the redirect, not the page's own links.
        assert all(term.upper() not in url.upper() for url, _status in response.redirect_chain)
        assert term.upper() not in html(response).upper()
    return sorted(response.context["cl"].result_list, key=lambda r: r.pk)


@pytest.fixture
def fushan_resident(fushan_community):  # type: ignore[no-untyped-def]
    return ResidentFactory(name="陈静", community=fushan_community)


@pytest.fixture
def console(client, caseworker):  # type: ignore[no-untyped-def]
    """The browser of the caseworker who covers 塔山街道."""
    client.force_login(caseworker)
    return client


# --- scope --------------------------------------------------------------------------------------------


def test_the_changelist_shows_a_caseworker_only_the_residents_of_their_streets(
    console, resident, other_resident, fushan_resident
):
    response = console.get(CHANGELIST)

    assert response.status_code == 200
    assert "王芳" in html(response)
    assert "赵强" in html(response)
    assert "陈静" not in html(response)


def test_a_caseworker_elsewhere_sees_only_their_own_street(client, caseworker_elsewhere, resident, fushan_resident):
    client.force_login(caseworker_elsewhere)

    response = client.get(CHANGELIST)

    assert "陈静" in html(response)
    assert "王芳" not in html(response)


def test_a_resident_out_of_scope_is_404_on_the_change_page(client, caseworker_elsewhere, resident):
    client.force_login(caseworker_elsewhere)

    response = client.get(change_url(resident))

    assert response.status_code == 404
    assert "王芳" not in html(response)
    assert resident.id_number_masked not in html(response)


def test_a_missing_resident_is_404(console):
    assert console.get("/admin/residents/resident/999999/change/").status_code == 404


def test_a_health_worker_cannot_open_the_residents_console(client, health_worker, resident):
    client.force_login(health_worker)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(resident)).status_code == 404


def test_a_health_worker_is_not_offered_the_residents_console(client, health_worker):
    client.force_login(health_worker)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert CHANGELIST not in html(response)


def test_a_resident_without_staff_status_cannot_enter_the_console(client, resident_user, resident):
    client.force_login(resident_user)

    response = client.get(CHANGELIST, follow=True)

    assert response.status_code == 403
    assert "王芳" not in html(response)


def test_an_administrator_sees_every_street(client, administrator, resident, fushan_resident):
    client.force_login(administrator)

    response = client.get(CHANGELIST)

    assert "王芳" in html(response)
    assert "陈静" in html(response)


# --- masking ------------------------------------------------------------------------------------------


def test_id_numbers_are_masked_in_the_changelist(console, resident, other_resident):
    response = console.get(CHANGELIST)

    for person in (resident, other_resident):
        assert person.id_number_masked in html(response)
        assert plaintext_of(person) not in html(response)


def test_the_id_number_is_masked_on_the_change_page(console, resident):
    response = console.get(change_url(resident))

    assert response.status_code == 200
    assert resident.id_number_masked in html(response)
    assert plaintext_of(resident) not in html(response)
    assert resident.id_number_ciphertext not in html(response)
    assert resident.id_number_hash not in html(response)


def test_the_change_page_shows_the_family(console, resident):
    kid = ResidentFactory(name="王小宝", community=resident.community)
    guardian_link(resident, kid)

    assert "王小宝" in html(console.get(change_url(resident)))
    assert "王芳" in html(console.get(change_url(kid)))


def test_the_change_page_shows_the_timeline(console, caseworker, resident):
    services.resident_update(actor=caseworker, resident=resident, address="环城北路 3 号")
    services.resident_archive(actor=caseworker, resident=resident, reason="已回原籍")

    response = console.get(change_url(resident))

    assert "修改居民档案" in html(response)
    assert "归档居民档案" in html(response)
    assert "已回原籍" in html(response)


def test_the_timeline_of_one_resident_does_not_show_anothers_events(console, caseworker, resident, other_resident):
    services.resident_archive(actor=caseworker, resident=other_resident, reason="重复登记的档案")

    assert "重复登记的档案" not in html(console.get(change_url(resident)))


# --- search -------------------------------------------------------------------------------------------


def test_search_by_the_start_of_a_name(console, resident, other_resident, fushan_resident):
    assert search(console, "王") == [resident]
    assert search(console, "王芳") == [resident]


def test_search_by_name_is_a_prefix_match_not_a_substring_match(console, resident):
    assert search(console, "芳") == []


def test_search_never_reaches_out_of_scope(console, resident, fushan_resident):
    assert search(console, "陈") == []


def test_search_by_phone_in_any_common_form(console, resident, other_resident):
    bare = resident.phone.removeprefix("+86")

    assert search(console, bare) == [resident]
    assert search(console, resident.phone) == [resident]


def test_search_by_the_exact_id_number(console, resident, other_resident):
    number = plaintext_of(resident)

    assert search(console, number) == [resident]


def test_search_by_id_number_accepts_a_lowercase_x(console, tashan_community):
    number = compose_id_number("330602", datetime.date(1990, 1, 8), 123)
    assert number.endswith("X")
    person = ResidentFactory(plain_id_number=number, community=tashan_community)

    assert search(console, number.lower()) == [person]


def test_an_id_number_typed_into_the_address_bar_is_swapped_for_its_hash(console, resident):
    number = plaintext_of(resident)

    response = console.get(CHANGELIST, {"q": number})

    assert response.status_code == 302
    assert number not in response["Location"]
    assert "q=idh%3A" in response["Location"]
    assert search(console, number) == [resident]


def test_an_invalid_id_number_is_explained_and_finds_nobody(console, resident):
    number = plaintext_of(resident)
    a_slip = number[:16] + str((int(number[16]) + 1) % 10) + number[17]

    response = console.post(CHANGELIST + "search/", {"q": a_slip}, follow=True)

    assert list(response.context["cl"].result_list) == []
    assert "校验位不正确" in html(response)


def test_a_wrong_id_number_finds_nobody(console, resident):
    number = plaintext_of(resident)
    another_valid = compose_id_number(number[:6], datetime.date(1991, 2, 3), 555)
    a_slip = number[:16] + str((int(number[16]) + 1) % 10) + number[17]

    assert search(console, another_valid) == []
    assert search(console, a_slip) == []


# --- reveal -------------------------------------------------------------------------------------------


def test_revealing_shows_the_plaintext_and_records_it(console, caseworker, resident):
    response = console.post(reveal_url(resident))

    assert response.status_code == 200
    assert plaintext_of(resident) in html(response)
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(event_type=AuditEventType.ID_NUMBER_REVEALED)
    assert (event.actor, event.subject, event.ip_address) == (caseworker, resident, "127.0.0.1")


def test_revealing_out_of_scope_is_404_and_nothing_is_recorded(client, caseworker_elsewhere, resident):
    client.force_login(caseworker_elsewhere)

    response = client.post(reveal_url(resident))

    assert response.status_code == 404
    assert plaintext_of(resident) not in html(response)
    assert not AuditEvent.objects.exists()


def test_a_health_worker_cannot_reveal(client, health_worker, resident):
    client.force_login(health_worker)

    response = client.post(reveal_url(resident))

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


def test_a_get_on_the_reveal_address_reveals_nothing(console, resident):
    response = console.get(reveal_url(resident))

    assert response.status_code == 302
    assert response["Location"] == change_url(resident)
    assert plaintext_of(resident) not in html(response)
    assert not AuditEvent.objects.exists()


def test_an_anonymous_visitor_cannot_reveal(client, resident):
    response = client.post(reveal_url(resident))

    assert response.status_code == 302
    assert plaintext_of(resident) not in html(response)
    assert not AuditEvent.objects.exists()


# --- archive ------------------------------------------------------------------------------------------


def test_archiving_needs_a_reason(console, resident):
    response = console.post(archive_url(resident), {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    resident.refresh_from_db()
    assert not resident.is_archived
    assert not AuditEvent.objects.exists()


def test_archiving_with_a_reason_archives_and_returns_to_the_record(console, caseworker, resident):
    response = console.post(archive_url(resident), {"reason": "已离开越城区"})

    assert response.status_code == 302
    assert response["Location"] == change_url(resident)
    resident.refresh_from_db()
    assert resident.is_archived
    assert resident.archive_reason == "已离开越城区"
    assert AuditEvent.objects.get().event_type == AuditEventType.RESIDENT_ARCHIVED


def test_archiving_out_of_scope_is_404(client, caseworker_elsewhere, resident):
    client.force_login(caseworker_elsewhere)

    assert client.post(archive_url(resident), {"reason": "搬走了"}).status_code == 404
    resident.refresh_from_db()
    assert not resident.is_archived


def test_the_archive_page_shows_the_masked_number_only(console, resident):
    response = console.get(archive_url(resident))

    assert response.status_code == 200
    assert resident.id_number_masked in html(response)
    assert plaintext_of(resident) not in html(response)


# --- cost ---------------------------------------------------------------------------------------------


def test_the_changelist_query_count_does_not_grow_with_the_rows(console, tashan_community, django_assert_num_queries):
    # Given a page of 3 residents, each with a community and a street, count its queries
    for _ in range(3):
        ResidentFactory(community=tashan_community)
    with CaptureQueriesContext(connection) as few:
        assert len(console.get(CHANGELIST).context["cl"].result_list) == 3

    # When the page is full (25 rows, more waiting on the next page), it costs exactly as many
    for _ in range(27):
        ResidentFactory(community=tashan_community)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(console.get(CHANGELIST).context["cl"].result_list) == 25


def test_the_change_page_query_count_does_not_grow_with_the_family_or_the_timeline(
    console, caseworker, resident, django_assert_num_queries
):
    services.resident_update(actor=caseworker, resident=resident, address="一")
    kid = ResidentFactory(community=resident.community)
    guardian_link(resident, kid)
    with CaptureQueriesContext(connection) as few:
        assert console.get(change_url(resident)).status_code == 200

    for n in range(10):
        services.resident_update(actor=caseworker, resident=resident, address=f"地址 {n}")
        guardian_link(resident, ResidentFactory(community=resident.community))
    with django_assert_num_queries(len(few.captured_queries)):
        assert console.get(change_url(resident)).status_code == 200


# --- getting in: allauth login and two-factor for staff -----------------------------------------------


def test_the_admin_login_sends_anonymous_visitors_to_the_allauth_login(client):
    response = client.get("/admin/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_staff_without_totp_are_sent_to_set_it_up_when_two_factor_is_required(settings, console, resident):
    settings.STAFF_MFA_REQUIRED = True

    response = console.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_totp_are_let_through_when_two_factor_is_required(settings, console, caseworker, resident):
    settings.STAFF_MFA_REQUIRED = True
    TOTP.activate(caseworker, generate_totp_secret())
    assert Authenticator.objects.filter(user=caseworker, type=Authenticator.Type.TOTP).exists()

    response = console.get(CHANGELIST)

    assert response.status_code == 200
    assert "王芳" in html(response)


def test_staff_are_not_asked_for_totp_when_two_factor_is_off(settings, console):
    settings.STAFF_MFA_REQUIRED = False

    assert console.get("/admin/").status_code == 200


def test_two_factor_enrolment_is_only_demanded_in_the_console(settings, console):
    settings.STAFF_MFA_REQUIRED = True

    assert console.get("/").status_code == 200
