"""The residents API (/api/v1/residents/, /api/v1/regions/, /api/v1/me/): scope, masking, errors, paging."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from residents.choices import AuditEventType
from residents.models import AuditEvent, GuardianLink, Resident
from residents.pii import id_number_decrypt, id_number_hash

from ..conftest import api_as
from ..factories import ResidentFactory, UserFactory, compose_id_number, guardian_link, street, years_ago

pytestmark = pytest.mark.django_db

NEW_ID_NUMBER = "33060219900108123X"
# An anonymous caller is told to sign in: 401 with WWW-Authenticate: X-Session-Token.
DENIED = (401,)


def plaintext_of(resident: Resident) -> str:
    return id_number_decrypt(resident.id_number_ciphertext)


def assert_no_plaintext(response, *residents: Resident) -> None:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    for resident in residents:
        if resident.id_number_ciphertext:
            assert plaintext_of(resident) not in body
            assert plaintext_of(resident)[:17] not in body


def detail(resident: Resident, suffix: str = "") -> str:
    return f"/api/v1/residents/{resident.pk}/{suffix}"


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def fushan_resident(fushan_community):  # type: ignore[no-untyped-def]
    return ResidentFactory(name="陈静", community=fushan_community)


@pytest.fixture
def child(resident):  # type: ignore[no-untyped-def]
    kid = ResidentFactory(name="王小宝", birth_date=years_ago(5), community=resident.community)
    guardian_link(resident, kid)
    return kid


# --- list ---------------------------------------------------------------------------------------------


def test_an_anonymous_caller_cannot_list_residents(resident):
    assert api_as(None).get("/api/v1/residents/").status_code in DENIED


def test_the_owner_lists_themself_and_their_children_masked(resident, other_resident, child, fushan_resident):
    response = api_as(resident.user).get("/api/v1/residents/")

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {resident.pk, child.pk}
    rows = {row["id"]: row for row in response.json()["results"]}
    assert rows[resident.pk]["id_number"] == resident.id_number_masked
    assert "*" * 10 in rows[resident.pk]["id_number"]
    assert_no_plaintext(response, resident, child, other_resident)


def test_a_caseworker_lists_the_residents_of_their_streets(resident, other_resident, fushan_resident, caseworker):
    response = api_as(caseworker).get("/api/v1/residents/")

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {resident.pk, other_resident.pk}
    assert_no_plaintext(response, resident, other_resident)


def test_a_caseworker_elsewhere_lists_none_of_the_owners_street(resident, fushan_resident, caseworker_elsewhere):
    response = api_as(caseworker_elsewhere).get("/api/v1/residents/")

    assert [row["id"] for row in response.json()["results"]] == [fushan_resident.pk]


def test_a_health_worker_lists_no_residents(resident, health_worker):
    response = api_as(health_worker).get("/api/v1/residents/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_list_is_cursor_paginated_newest_first(caseworker, tashan_community):
    made = [ResidentFactory(community=tashan_community) for _ in range(5)]
    client = api_as(caseworker)

    first = client.get("/api/v1/residents/", {"page_size": 2}).json()
    assert set(first) >= {"next", "previous", "results"}
    assert "count" not in first  # no COUNT(*) over the table
    assert [row["id"] for row in first["results"]] == [made[4].pk, made[3].pk]
    assert "cursor=" in first["next"]

    seen = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert seen == [r.pk for r in reversed(made)]


def test_the_number_of_queries_for_the_list_does_not_grow_with_the_rows(
    caseworker, tashan_community, django_assert_num_queries
):
    # Given 3 residents in scope, count the queries of one page
    for _ in range(3):
        ResidentFactory(community=tashan_community)
    with CaptureQueriesContext(connection) as few:
        assert len(api_as(fresh(caseworker)).get("/api/v1/residents/").json()["results"]) == 3

    # When there are 30, the page costs exactly as many
    for _ in range(27):
        ResidentFactory(community=tashan_community)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(api_as(fresh(caseworker)).get("/api/v1/residents/").json()["results"]) == 30


# --- detail -------------------------------------------------------------------------------------------


def test_an_anonymous_caller_cannot_read_a_resident(resident):
    assert api_as(None).get(detail(resident)).status_code in DENIED


def test_the_owner_reads_their_record_with_the_id_number_masked(resident):
    response = api_as(resident.user).get(detail(resident))

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "王芳"
    assert body["id_number"] == resident.id_number_masked
    assert body["has_login"] is True
    assert_no_plaintext(response, resident)


def test_the_owner_reads_their_childs_record(resident, child):
    response = api_as(resident.user).get(detail(child))

    assert response.status_code == 200
    assert response.json()["has_login"] is False


def test_another_resident_gets_404_for_the_owners_record(resident, other_user, child):
    client = api_as(other_user)

    assert client.get(detail(resident)).status_code == 404
    assert client.get(detail(child)).status_code == 404


def test_a_caseworker_in_scope_reads_the_record(resident, caseworker):
    response = api_as(caseworker).get(detail(resident))

    assert response.status_code == 200
    assert_no_plaintext(response, resident)


@pytest.mark.parametrize("who", ["caseworker_elsewhere", "health_worker"])
def test_a_caller_out_of_scope_gets_404_not_403(request, resident, who):
    response = api_as(request.getfixturevalue(who)).get(detail(resident))

    assert response.status_code == 404
    assert "王芳" not in response.content.decode()


def test_a_missing_or_malformed_id_is_404(resident):
    client = api_as(resident.user)

    assert client.get("/api/v1/residents/999999/").status_code == 404
    assert client.get("/api/v1/residents/abc/").status_code == 404


# --- create -------------------------------------------------------------------------------------------


def test_an_anonymous_caller_cannot_create_a_profile():
    response = api_as(None).post("/api/v1/residents/", {"name": "李娜", "id_number": NEW_ID_NUMBER})

    assert response.status_code in DENIED
    assert not Resident.objects.exists()


def test_a_user_creates_their_profile_and_sees_it_masked(tashan_community):
    user = UserFactory(phone="+8613912345678")

    response = api_as(user).post(
        "/api/v1/residents/",
        {"name": "李娜", "id_number": NEW_ID_NUMBER.lower(), "community": tashan_community.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id_number"] == "3306**********123X"
    assert (body["gender"], body["birth_date"], body["hukou_province"]) == ("male", "1990-01-08", "33")
    assert body["street"] == street("塔山街道").pk
    assert body["phone"] == "+8613912345678"
    assert NEW_ID_NUMBER not in response.content.decode()
    resident = Resident.objects.get(user=user)
    assert resident.id_number_hash == id_number_hash(NEW_ID_NUMBER)
    assert AuditEvent.objects.filter(subject=resident, event_type=AuditEventType.RESIDENT_CREATED).count() == 1


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"id_number": "330602199001081230"}, "id_number", "id_number_checksum"),
        ({"id_number": "3306021990010812"}, "id_number", "id_number_length"),
        ({"id_number": "99060219900108123X"}, "id_number", None),
        ({"phone": "12345"}, "phone", "phone_invalid"),
        ({"arrival_date": "2999-01-01"}, "arrival_date", "arrival_in_future"),
        ({"arrival_date": "1月1日"}, "arrival_date", None),
        ({"education": "kindergarten"}, "education", None),
        ({"name": ""}, "name", None),
    ],
)
def test_bad_input_is_answered_400_with_a_field_error_and_nothing_is_saved(payload, field, code):
    user = UserFactory()

    response = api_as(user).post("/api/v1/residents/", {"name": "李娜", "id_number": NEW_ID_NUMBER, **payload})

    assert response.status_code == 400
    body = response.json()
    assert isinstance(body[field], list)
    assert body[field]
    if code:
        assert body["code"] == code
    assert "330602199001081" not in response.content.decode()
    assert not Resident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_street_given_as_the_community_is_refused_on_the_community_field(tashan_community):
    response = api_as(UserFactory()).post(
        "/api/v1/residents/", {"name": "李娜", "id_number": NEW_ID_NUMBER, "community": street("塔山街道").pk}
    )

    assert response.status_code == 400
    assert "community" in response.json()
    assert not Resident.objects.exists()


def test_a_duplicate_id_number_is_a_409_conflict_and_nothing_is_saved(resident):
    taken = plaintext_of(resident)
    newcomer = UserFactory()

    response = api_as(newcomer).post("/api/v1/residents/", {"name": "冒名", "id_number": taken})

    assert response.status_code == 409
    assert response.json()["code"] == "id_number_taken"
    assert response.json()["id_number"]
    assert taken not in response.content.decode()
    assert not Resident.objects.filter(user=newcomer).exists()
    assert not AuditEvent.objects.exists()


def test_a_second_profile_is_a_409_conflict(resident):
    response = api_as(resident.user).post("/api/v1/residents/", {"name": "王芳", "id_number": NEW_ID_NUMBER})

    assert response.status_code == 409
    assert response.json()["code"] == "profile_exists"
    assert Resident.objects.count() == 1


# --- partial update -----------------------------------------------------------------------------------


def test_the_owner_updates_their_address(resident):
    response = api_as(resident.user).patch(detail(resident), {"address": "解放南路 9 号"}, format="json")

    assert response.status_code == 200
    assert response.json()["address"] == "解放南路 9 号"
    assert_no_plaintext(response, resident)
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_UPDATED)
    assert event.new_values == {"address": "解放南路 9 号"}


def test_a_caseworker_in_scope_may_correct_a_record(resident, caseworker):
    response = api_as(caseworker).patch(detail(resident), {"hukou_address": "河南省周口市"}, format="json")

    assert response.status_code == 200
    assert AuditEvent.objects.get().actor == caseworker


@pytest.mark.parametrize("who", ["other_user", "caseworker_elsewhere", "health_worker"])
def test_nobody_out_of_scope_may_update_and_they_get_404(request, resident, who):
    response = api_as(request.getfixturevalue(who)).patch(detail(resident), {"address": "x"}, format="json")

    assert response.status_code == 404
    resident.refresh_from_db()
    assert resident.address != "x"
    assert not AuditEvent.objects.exists()


def test_an_anonymous_caller_cannot_update(resident):
    assert api_as(None).patch(detail(resident), {"address": "x"}, format="json").status_code in DENIED


def test_a_bad_update_is_400_on_its_field_and_changes_nothing(resident):
    before = Resident.objects.values().get(pk=resident.pk)

    response = api_as(resident.user).patch(
        detail(resident), {"address": "新地址", "arrival_date": "2999-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "arrival_in_future"
    assert response.json()["arrival_date"]
    assert Resident.objects.values().get(pk=resident.pk) == before


def test_correcting_to_a_taken_id_number_is_409(resident, other_resident):
    response = api_as(resident.user).patch(detail(resident), {"id_number": plaintext_of(other_resident)}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "id_number_taken"
    assert_no_plaintext(response, resident, other_resident)


# --- children -----------------------------------------------------------------------------------------


def test_the_owner_adds_a_child_with_an_id_number(resident):
    number = compose_id_number("412827", years_ago(7), 124)

    response = api_as(resident.user).post(
        detail(resident, "children/"), {"name": "王小明", "relation": "parent", "id_number": number}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in response.content.decode()
    assert GuardianLink.objects.filter(guardian=resident, child_id=response.json()["id"]).exists()


def test_the_owner_adds_a_newborn_without_an_id_number(resident):
    response = api_as(resident.user).post(
        detail(resident, "children/"),
        {"name": "王小宝", "relation": "parent", "birth_date": str(years_ago(0)), "gender": "female"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["id_number"] == ""


def test_an_adult_child_is_refused_with_a_field_error(resident):
    response = api_as(resident.user).post(
        detail(resident, "children/"),
        {"name": "王大", "relation": "parent", "birth_date": str(years_ago(30)), "gender": "male"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "child_not_minor"
    assert response.json()["birth_date"]
    assert Resident.objects.count() == 1


def test_a_child_already_on_file_is_409_and_not_linked(resident, fushan_community):
    number = compose_id_number("412827", years_ago(9), 124)
    existing = ResidentFactory(plain_id_number=number, birth_date=years_ago(9), community=fushan_community)

    response = api_as(resident.user).post(
        detail(resident, "children/"), {"name": "某某", "relation": "parent", "id_number": number}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "id_number_taken"
    assert not GuardianLink.objects.filter(child=existing).exists()
    assert number not in response.content.decode()


def test_a_caseworker_in_scope_cannot_add_children_to_somebody_elses_family(resident, caseworker):
    response = api_as(caseworker).post(
        detail(resident, "children/"),
        {"name": "王小宝", "relation": "parent", "birth_date": str(years_ago(2)), "gender": "male"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_guardian"
    assert not GuardianLink.objects.exists()


@pytest.mark.parametrize("who", ["other_user", "caseworker_elsewhere"])
def test_adding_a_child_out_of_scope_is_404(request, resident, who):
    response = api_as(request.getfixturevalue(who)).post(
        detail(resident, "children/"),
        {"name": "王小宝", "relation": "parent", "birth_date": str(years_ago(2)), "gender": "male"},
        format="json",
    )

    assert response.status_code == 404
    assert not GuardianLink.objects.exists()


def test_an_anonymous_caller_cannot_add_a_child(resident):
    response = api_as(None).post(detail(resident, "children/"), {"name": "王小宝", "relation": "parent"})

    assert response.status_code in DENIED


# --- reveal -------------------------------------------------------------------------------------------


def test_a_caseworker_in_scope_reveals_the_full_number_and_it_is_recorded(resident, caseworker):
    response = api_as(caseworker).post(detail(resident, "reveal-id-number/"))

    assert response.status_code == 200
    assert response.json() == {"id_number": plaintext_of(resident)}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(event_type=AuditEventType.ID_NUMBER_REVEALED)
    assert (event.actor, event.subject) == (caseworker, resident)
    assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize("who", ["caseworker_elsewhere", "other_user", "health_worker"])
def test_revealing_out_of_scope_is_404_and_nothing_is_recorded(request, resident, who):
    response = api_as(request.getfixturevalue(who)).post(detail(resident, "reveal-id-number/"))

    assert response.status_code == 404
    assert_no_plaintext(response, resident)
    assert not AuditEvent.objects.exists()


def test_the_owner_may_not_reveal_their_own_full_number_through_the_api(resident):
    response = api_as(resident.user).post(detail(resident, "reveal-id-number/"))

    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert_no_plaintext(response, resident)
    assert not AuditEvent.objects.exists()


def test_revealing_needs_a_post(resident, caseworker):
    response = api_as(caseworker).get(detail(resident, "reveal-id-number/"))

    assert response.status_code == 405
    assert_no_plaintext(response, resident)
    assert not AuditEvent.objects.exists()


def test_an_anonymous_caller_cannot_reveal(resident):
    response = api_as(None).post(detail(resident, "reveal-id-number/"))

    assert response.status_code in DENIED
    assert not AuditEvent.objects.exists()


# --- regions ------------------------------------------------------------------------------------------


def test_regions_are_public():
    response = api_as(None).get("/api/v1/regions/", {"kind": "street", "page_size": 200})

    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert len(names) == 16
    assert {"塔山街道", "府山街道", "富盛镇"} <= names


def test_regions_filter_by_parent(tashan_community, fushan_community, resident):
    response = api_as(resident.user).get("/api/v1/regions/", {"parent": street("塔山街道").pk})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [tashan_community.pk]


def test_a_region_is_readable_alone():
    tashan = street("塔山街道")

    response = api_as(None).get(f"/api/v1/regions/{tashan.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "塔山街道"
    assert response.json()["kind"] == "street"


# --- me -----------------------------------------------------------------------------------------------


def test_me_needs_a_login():
    assert api_as(None).get("/api/v1/me/").status_code in DENIED


def test_me_shows_the_owner_their_roles_and_masked_profile(resident):
    response = api_as(resident.user).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "resident"
    assert body["roles"] == ["resident"]
    assert body["resident"]["id"] == resident.pk
    assert body["resident"]["id_number"] == resident.id_number_masked
    assert "现居地址" in body["profile_missing"]
    assert_no_plaintext(response, resident)


def test_me_without_a_profile_says_the_profile_is_missing():
    response = api_as(UserFactory()).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["resident"] is None
    assert len(response.json()["profile_missing"]) == 1


def test_me_shows_a_caseworker_their_role(caseworker):
    assert api_as(caseworker).get("/api/v1/me/").json()["roles"] == ["caseworker"]
