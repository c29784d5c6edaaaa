"""Residence registration (居住登记): registering, moving, deregistering, and the half-year rule."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from kernel.errors import DomainError
from permits import selectors as permits_selectors
from permits.models import PermitType
from residents import selectors, services
from residents.choices import AuditEventType
from residents.models import AuditEvent, ResidenceRegistration, Resident

from ..conftest import api_as
from ..factories import CommunityFactory, ResidentFactory, guardian_link, street

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 28)
API = "/api/v1/residence-registrations/"


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def register(resident: Resident, community, started_on: datetime.date, *, actor=None, address: str = "解放北路 1 号"):  # type: ignore[no-untyped-def]
    return services.residence_register(
        actor=actor or resident.user, resident=resident, community=community, address=address, basis="rented",
        started_on=started_on,
    )  # fmt: skip


def refused(func, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        func(**kwargs)
    return caught.value


# --- registering and moving ----------------------------------------------------------------------------


def test_registering_records_the_address_and_moves_the_resident_to_that_street(resident, fushan_community):
    registration = register(resident, fushan_community, datetime.date(2026, 10, 1))

    resident.refresh_from_db()
    assert registration.is_current and registration.street == fushan_community.parent
    assert (resident.community, resident.street, resident.address) == (
        fushan_community,
        fushan_community.parent,
        "解放北路 1 号",
    )
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENCE_REGISTERED)
    assert event.subject == resident and event.new_values["started_on"] == "2026-10-01"


def test_moving_ends_the_old_registration_on_the_moving_day_and_keeps_it(resident, tashan_community, fushan_community):
    first = register(resident, tashan_community, datetime.date(2026, 1, 1))

    second = register(resident, fushan_community, datetime.date(2026, 9, 1), address="鲁迅中路 8 号")

    first.refresh_from_db()
    assert first.ended_on == datetime.date(2026, 9, 1) and first.end_reason == "变更居住地址"
    assert [r.pk for r in selectors.residence_history(resident=resident)] == [second.pk, first.pk]
    assert ResidenceRegistration.objects.filter(resident=resident, ended_on__isnull=True).get() == second


def test_a_caseworker_registers_a_resident_of_their_street_at_the_window(resident, caseworker, tashan_community):
    registration = register(resident, tashan_community, datetime.date(2026, 11, 1), actor=caseworker)

    assert registration.registered_by == caseworker


def test_a_caseworker_of_another_street_cannot_register_them(resident, caseworker_elsewhere, fushan_community):
    error = refused(
        register, resident=resident, community=fushan_community, started_on=TODAY, actor=caseworker_elsewhere
    )

    assert error.code == "not_allowed"
    assert not ResidenceRegistration.objects.exists()


def test_a_guardian_registers_their_child(resident, tashan_community):
    child = ResidentFactory(name="王小宝", birth_date=datetime.date(2019, 5, 1), community=tashan_community)
    guardian_link(resident, child)

    assert register(child, tashan_community, datetime.date(2026, 3, 1), actor=resident.user).resident == child


@pytest.mark.parametrize(
    ("field", "values", "code"),
    [
        ("started_on", {"started_on": datetime.date(2026, 11, 29)}, "started_on_future"),
        ("started_on", {"started_on": None}, "started_on_required"),
        ("started_on", {"started_on": datetime.date(1980, 1, 1)}, "started_on_before_birth"),
        ("address", {"address": "  "}, "address_required"),
        ("basis", {"basis": "castle"}, "basis_invalid"),
        ("community", {"community": None}, "community_required"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_saved(resident, tashan_community, field, values, code):
    arguments = {
        "actor": resident.user, "resident": resident, "community": tashan_community, "address": "解放北路 1 号",
        "basis": "rented", "started_on": datetime.date(2026, 10, 1), **values,
    }  # fmt: skip

    error = refused(services.residence_register, **arguments)

    assert (error.code, error.field) == (code, field)
    assert not ResidenceRegistration.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_street_is_not_a_community(resident):
    error = refused(register, resident=resident, community=street("塔山街道"), started_on=TODAY)

    assert error.field == "community"


def test_a_new_address_cannot_start_before_the_current_one(resident, tashan_community, fushan_community):
    register(resident, tashan_community, datetime.date(2026, 6, 1))

    error = refused(register, resident=resident, community=fushan_community, started_on=datetime.date(2026, 5, 1))

    assert error.code == "started_on_before_current"
    assert ResidenceRegistration.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_registrations_at_once_leave_one_current(resident, tashan_community, fushan_community):
    barrier, outcomes = threading.Barrier(2), []

    def attempt(community) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            register(resident, community, datetime.date(2026, 11, 1))
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in (tashan_community, fushan_community)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ResidenceRegistration.objects.filter(resident=resident, ended_on__isnull=True).count() == 1
    assert "ok" in outcomes


# --- deregistering -------------------------------------------------------------------------------------


def test_deregistering_ends_the_registration_with_its_reason(resident, tashan_community):
    registration = register(resident, tashan_community, datetime.date(2026, 1, 1))

    services.residence_end(actor=resident.user, registration=registration, ended_on=TODAY, reason="回老家")

    registration.refresh_from_db()
    assert (registration.ended_on, registration.end_reason) == (TODAY, "回老家")
    assert selectors.permit_eligible_from(selectors.residence_history(resident=resident)) is None


def test_a_registration_cannot_end_before_it_began_nor_twice(resident, tashan_community):
    registration = register(resident, tashan_community, datetime.date(2026, 6, 1))

    early = refused(services.residence_end, actor=resident.user, registration=registration,
                    ended_on=datetime.date(2026, 5, 1), reason="")  # fmt: skip
    services.residence_end(actor=resident.user, registration=registration, ended_on=TODAY, reason="")
    again = refused(services.residence_end, actor=resident.user, registration=registration, ended_on=TODAY, reason="")

    assert (early.code, again.code) == ("ended_on_before_start", "registration_ended")


def test_another_resident_cannot_end_my_registration(resident, other_resident, tashan_community):
    registration = register(resident, tashan_community, datetime.date(2026, 6, 1))

    error = refused(
        services.residence_end, actor=other_resident.user, registration=registration, ended_on=TODAY, reason=""
    )

    assert error.code == "not_allowed"
    registration.refresh_from_db()
    assert registration.is_current


# --- the half-year rule (居住证暂行条例 art. 2) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "eligible"),
    [(datetime.date(2026, 11, 30), False), (datetime.date(2026, 12, 1), True)],
    ids=["the day before the half year", "the day of the half year"],
)
def test_a_permit_can_be_applied_for_from_the_day_half_a_year_is_complete(resident, tashan_community, today, eligible):
    register(resident, tashan_community, datetime.date(2026, 6, 1))

    eligible_from = selectors.permit_eligible_from(selectors.residence_history(resident=resident))

    assert eligible_from == datetime.date(2026, 12, 1)
    assert (eligible_from <= today) is eligible


def test_moving_within_the_district_keeps_the_count_going(resident, tashan_community, fushan_community):
    register(resident, tashan_community, datetime.date(2026, 3, 1))
    register(resident, fushan_community, datetime.date(2026, 8, 1))

    history = selectors.residence_history(resident=resident)

    assert selectors.residence_continuous_since(history) == datetime.date(2026, 3, 1)
    assert selectors.permit_eligible_from(history) == datetime.date(2026, 9, 1)


def test_a_gap_between_registrations_starts_the_count_again(resident, tashan_community, fushan_community):
    first = register(resident, tashan_community, datetime.date(2026, 1, 1))
    services.residence_end(actor=resident.user, registration=first, ended_on=datetime.date(2026, 4, 1), reason="")
    register(resident, fushan_community, datetime.date(2026, 7, 1))

    assert selectors.residence_continuous_since(selectors.residence_history(resident=resident)) == datetime.date(
        2026, 7, 1
    )


# --- the page ------------------------------------------------------------------------------------------


def test_the_page_registers_and_says_when_a_permit_can_be_applied_for(client, resident, tashan_community):
    client.force_login(resident.user)
    url = reverse("residents:residence")

    response = client.post(
        url,
        {"community": tashan_community.pk, "address": "环山路 5 号", "basis": "rented", "started_on": "2026-11-20"},
        follow=True,
    )

    page = response.content.decode()
    assert "居住登记已办理" in page
    assert "环山路 5 号" in page
    assert "从 2027-05-20 起您可以申领居住证" in page


def test_the_page_reminds_of_the_ten_day_rule_after_a_late_change(client, resident, tashan_community, fushan_community):
    register(resident, tashan_community, datetime.date(2026, 1, 1))
    client.force_login(resident.user)

    response = client.post(
        reverse("residents:residence"),
        {"community": fushan_community.pk, "address": "新址 1 号", "basis": "rented", "started_on": "2026-11-01"},
        follow=True,
    )

    assert "10 日内变更居住登记" in response.content.decode()


def test_the_page_shows_the_error_on_its_field_and_saves_nothing(client, resident, tashan_community):
    client.force_login(resident.user)

    response = client.post(
        reverse("residents:residence"),
        {"community": tashan_community.pk, "address": "环山路 5 号", "basis": "rented", "started_on": "2027-01-01"},
    )

    assert response.status_code == 200
    assert "入住日期不能晚于今天" in response.content.decode()
    assert not ResidenceRegistration.objects.exists()


def test_ending_through_the_page_needs_the_registration_to_be_ones_own(
    client, resident, other_resident, tashan_community
):
    registration = register(resident, tashan_community, datetime.date(2026, 1, 1))
    client.force_login(other_resident.user)

    response = client.post(reverse("residents:residence_end", args=[registration.pk]), {"ended_on": "2026-11-28"})

    assert response.status_code == 404


# --- the API: every caller -----------------------------------------------------------------------------


@pytest.fixture
def registration(resident, tashan_community):  # type: ignore[no-untyped-def]
    return register(resident, tashan_community, datetime.date(2026, 5, 1))


def test_an_anonymous_caller_is_asked_to_sign_in(registration):
    assert api_as(None).get(API).status_code == 401
    assert api_as(None).get(f"{API}{registration.pk}/").status_code == 401


def test_the_owner_lists_and_reads_their_registrations(registration, resident_user):
    client = api_as(resident_user)

    assert [r["id"] for r in client.get(API).json()["results"]] == [registration.pk]
    assert client.get(f"{API}{registration.pk}/").json()["address"] == registration.address


def test_another_resident_sees_nothing(registration, other_user):
    client = api_as(other_user)

    assert client.get(API).json()["results"] == []
    assert client.get(f"{API}{registration.pk}/").status_code == 404
    assert client.post(f"{API}{registration.pk}/end/", {"ended_on": "2026-11-28"}).status_code == 404


def test_a_caseworker_in_scope_sees_it_and_one_out_of_scope_does_not(registration, caseworker, caseworker_elsewhere):
    assert api_as(caseworker).get(f"{API}{registration.pk}/").status_code == 200
    assert api_as(caseworker_elsewhere).get(f"{API}{registration.pk}/").status_code == 404


def test_registering_through_the_api(resident, resident_user, fushan_community):
    response = api_as(resident_user).post(
        API,
        {"resident": resident.pk, "community": fushan_community.pk, "address": "府山路 3 号", "basis": "own",
         "started_on": "2026-11-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json()["street"] == fushan_community.parent_id


def test_the_api_refuses_bad_input_with_a_field_error(resident, resident_user, tashan_community):
    response = api_as(resident_user).post(
        API,
        {"resident": resident.pk, "community": tashan_community.pk, "address": "x", "basis": "own",
         "started_on": "2027-01-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["code"] == "started_on_future"
    assert "started_on" in response.json()
    assert not ResidenceRegistration.objects.exists()


def test_nobody_registers_a_stranger_through_the_api(other_resident, resident_user, tashan_community):
    response = api_as(resident_user).post(
        API,
        {"resident": other_resident.pk, "community": tashan_community.pk, "address": "x", "basis": "own",
         "started_on": "2026-11-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["code"] == "resident_not_found"


def test_the_list_costs_the_same_for_3_or_30_registrations(resident_user, resident, django_assert_max_num_queries):
    client = api_as(resident_user)
    community = CommunityFactory()

    moved = [datetime.date(2025, 1, 1)]

    def fill(n: int) -> None:
        for _ in range(n):
            moved.append(moved[-1] + datetime.timedelta(days=3))
            register(resident, community, moved[-1])

    fill(3)
    with django_assert_max_num_queries(8) as few:
        client.get(API)
    fill(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(API)


def test_the_console_lists_registrations_of_the_caseworkers_streets_only(client, registration, caseworker_elsewhere):
    client.force_login(caseworker_elsewhere)

    response = client.get("/admin/residents/residenceregistration/")

    assert response.status_code == 200
    assert registration.address not in response.content.decode()


# --- permit types: published with their documents --------------------------------------------------------


def test_the_default_permit_types_cover_the_three_grounds_and_a_talent_type():
    types = {t.key: t for t in permits_selectors.permit_types_offered()}

    assert set(types) == {"employment", "residence", "study", "talent"}
    assert [k for k, t in types.items() if t.exempt_from_residence_rule] == ["talent"]
    assert all(any(d["key"] == "id_card" for d in t.documents) for t in types.values())


def test_the_residence_page_lists_each_permit_type_with_its_documents(client, resident):
    client.force_login(resident.user)

    page = client.get(reverse("residents:residence")).content.decode()

    assert "就业类居住证" in page and "劳动合同、营业执照或单位就业证明" in page
    assert "人才类居住证" in page and "不受居住满半年限制" in page


def test_a_retired_permit_type_is_no_longer_offered(client, resident):
    PermitType.objects.filter(key="study").update(is_active=False)
    client.force_login(resident.user)

    assert "就读类居住证" not in client.get(reverse("residents:residence")).content.decode()


def test_only_administrators_edit_permit_types(client, caseworker, administrator):
    url = "/admin/residents/permittype/"
    client.force_login(caseworker)
    assert client.get(url).status_code == 403

    client.force_login(administrator)
    talent = PermitType.objects.get(key="talent")
    response = client.post(
        f"{url}{talent.pk}/change/",
        {"name_zh": "高层次人才居住证", "name_en": talent.name_en, "basis": "talent", "description_zh": "",
         "description_en": "", "exempt_from_residence_rule": "on", "documents": '[{"key": "id_card", '
         '"label_zh": "身份证", "label_en": "ID card", "required": true}]', "sort_order": 4, "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    talent.refresh_from_db()
    assert talent.name_zh == "高层次人才居住证" and talent.key == "talent"
