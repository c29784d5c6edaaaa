"""Affordable rental housing (保障性租赁住房): who may apply (a valid residence permit, one application at a time),
the waiting list (first come, first served by the day an application was submitted), offering a flat and moving
in, who sees what in the API, the pages and the console, and bad input saving nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases import services
from cases.casetypes import case_type_get
from cases.choices import CaseEvent, CaseStatus
from cases.models import Case
from housing.affordable import selectors as affordable_selectors
from housing.affordable import services as affordable_services
from housing.affordable.casetype import AFFORDABLE_CASE_TYPE
from housing.models import HousingApplication, HousingProject, UnitType
from notifications.models import Notification
from notifications.services import notification_render
from permits.models import Permit
from residents.models import AuditEvent, Region, Resident

from ..casework import pdf, refused
from ..conftest import api_as
from ..factories import ResidentFactory, UserFactory, street
from ..permits import days_ago, permit_row

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 28, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shaoxing
APPLICATIONS = "/api/v1/housing-applications/"
PROJECTS = "/api/v1/housing-projects/"


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


# --- the scene ----------------------------------------------------------------------------------------


def project(name: str = "城南安居公寓", *, street_name: str = "城南街道", is_open: bool = True) -> HousingProject:
    return HousingProject.objects.create(
        name=name, name_en="Chengnan Anju Apartments", street=street(street_name),
        address="越城区城南街道二环南路 88 号", is_open=is_open,
    )  # fmt: skip


def unit_type(of: HousingProject, name: str = "两室户", *, rooms: int = 2, rent: str = "1400", **fields) -> UnitType:  # type: ignore[no-untyped-def]
    return UnitType.objects.create(
        project=of, name=name, name_en=f"{rooms} rooms", rooms=rooms, floor_area=Decimal("58"),
        monthly_rent=Decimal(rent), units_total=60, eligibility_zh="持有有效居住证；在越城区无自有住房。",
        eligibility_en="A valid residence permit; no home owned in Yuecheng.", **fields,
    )  # fmt: skip


@pytest.fixture
def chengnan() -> HousingProject:
    return project()


@pytest.fixture
def two_rooms(chengnan) -> UnitType:  # type: ignore[no-untyped-def]
    return unit_type(chengnan)


@pytest.fixture
def one_room(chengnan) -> UnitType:  # type: ignore[no-untyped-def]
    return unit_type(chengnan, "一室户", rooms=1, rent="900")


def holding_a_permit(resident: Resident) -> Resident:
    """A permit issued a month ago: valid for eleven more months."""
    permit_row(resident, issued_on=days_ago(30))
    return resident


@pytest.fixture
def permit_holder(resident) -> Resident:  # type: ignore[no-untyped-def]
    """王芳, living in 塔山 with a valid residence permit."""
    return holding_a_permit(resident)


def migrant(name: str, community: Region) -> Resident:
    """Another permit holder with a login, on the same street as 王芳."""
    return holding_a_permit(ResidentFactory(user=UserFactory(), name=name, community=community))


def start(applicant: Resident, of: UnitType, *, household_size: int = 3, actor: User | None = None) -> Case:
    return affordable_services.housing_application_start(
        actor=actor or applicant.user, applicant=applicant, unit_type=of, household_size=household_size
    )


def upload_documents(case: Case) -> None:
    for document in case_type_get(case.case_type).documents_for(case):
        services.case_document_upload(
            actor=case.applicant.user, case=case, kind=document.key, upload=pdf(f"{document.key}.pdf")
        )


def submitted(applicant: Resident, of: UnitType, *, at: datetime.datetime = NOW) -> Case:
    """An application with its documents, submitted at ``at``."""
    case = start(applicant, of)
    upload_documents(case)
    with time_machine.travel(at, tick=False):
        return services.case_submit(actor=applicant.user, case=case)


def waiting(applicant: Resident, of: UnitType, caseworker: User, *, at: datetime.datetime = NOW) -> Case:
    """An approved application: on the unit type's waiting list, in the place its submission time gives it."""
    return services.case_approve(actor=caseworker, case=submitted(applicant, of, at=at))


def hours_ago(hours: int) -> datetime.datetime:
    return NOW - datetime.timedelta(hours=hours)


def place(case: Case) -> tuple[int, int] | None:
    return affordable_selectors.housing_waiting_list_position(case=case)


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- who may apply ------------------------------------------------------------------------------------


def test_a_resident_without_a_residence_permit_is_told_to_get_one_first(resident, two_rooms):
    error = refused(start, applicant=resident, of=two_rooms)

    assert error.code == "residence_permit_required"
    assert error.field == "applicant"
    assert "请先申领居住证" in str(error.message)
    assert not Case.objects.filter(case_type=AFFORDABLE_CASE_TYPE).exists()


def test_a_permit_suspended_for_a_missed_endorsement_is_refused_with_the_day_it_lapsed(resident, two_rooms):
    permit = permit_row(resident, issued_on=days_ago(400))  # its year ended 35 days ago, never endorsed

    error = refused(start, applicant=resident, of=two_rooms)

    assert error.code == "residence_permit_lapsed"
    assert permit.valid_until.isoformat() in str(error.message)
    assert "签注" in str(error.message)
    assert not HousingApplication.objects.exists()


def test_a_permit_holder_starts_a_draft_for_the_unit_type_with_the_four_documents_to_upload(permit_holder, two_rooms):  # type: ignore[no-untyped-def]
    case = start(permit_holder, two_rooms, household_size=3)

    assert case.status == CaseStatus.DRAFT
    assert case.reference.startswith("BZ20261128")
    detail = HousingApplication.objects.get(case=case)
    assert (detail.unit_type, detail.household_size) == (two_rooms, 3)
    assert detail.current_address == permit_holder.address
    declared = case_type_get(case.case_type)
    assert [d.key for d in declared.documents_for(case)] == [
        "id_card", "residence_permit", "income_proof", "no_home_declaration",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(event_type=CaseEvent.CASE_OPENED, object_id=str(case.pk)).exists()


def test_one_application_at_a_time_even_for_another_unit_type(permit_holder, two_rooms, one_room):
    first = start(permit_holder, two_rooms)

    error = refused(start, applicant=permit_holder, of=one_room)

    assert error.code == "housing_application_open"
    assert error.conflict
    assert first.reference in str(error.message)
    assert HousingApplication.objects.count() == 1


def test_an_applicant_still_waiting_cannot_apply_again_but_may_after_leaving_the_list(
    permit_holder, two_rooms, one_room, caseworker
):  # type: ignore[no-untyped-def]
    on_the_list = waiting(permit_holder, two_rooms, caseworker)
    assert refused(start, applicant=permit_holder, of=one_room).code == "housing_application_open"

    services.case_withdraw(actor=permit_holder.user, case=on_the_list, reason="改申请一室户")

    assert start(permit_holder, one_room).status == CaseStatus.DRAFT


def test_a_closed_unit_type_or_project_takes_no_applications(permit_holder, chengnan):
    closed_type = unit_type(chengnan, is_open=False)
    in_closed_project = unit_type(project("已满员公寓", is_open=False))

    assert refused(start, applicant=permit_holder, of=closed_type).code == "unit_type_closed"
    assert refused(start, applicant=permit_holder, of=in_closed_project).code == "unit_type_closed"
    assert not HousingApplication.objects.exists()


@pytest.mark.parametrize("household_size", [0, 11, "三口人", None])
def test_an_impossible_household_size_is_refused_and_nothing_is_saved(permit_holder, two_rooms, household_size):
    cases_before = Case.objects.count()

    error = refused(start, applicant=permit_holder, of=two_rooms, household_size=household_size)

    assert (error.code, error.field) == ("household_size_invalid", "household_size")
    assert Case.objects.count() == cases_before
    assert not HousingApplication.objects.exists()


def test_nobody_applies_for_a_neighbour(permit_holder, other_resident, two_rooms):
    error = refused(start, applicant=permit_holder, of=two_rooms, actor=other_resident.user)

    assert error.code == "not_allowed"
    assert not HousingApplication.objects.exists()


def test_submission_needs_every_document_and_starts_the_fifteen_day_deadline(permit_holder, two_rooms):
    case = start(permit_holder, two_rooms)
    error = refused(services.case_submit, actor=permit_holder.user, case=case)
    assert error.code == "documents_missing"
    assert "无房承诺书" in str(error.message) and "家庭收入证明" in str(error.message)

    upload_documents(case)
    case = services.case_submit(actor=permit_holder.user, case=case)

    assert case.status == CaseStatus.SUBMITTED
    assert case.due_at == NOW + datetime.timedelta(days=15)


def test_a_permit_that_lapsed_after_the_draft_stops_the_submission(permit_holder, two_rooms):
    case = start(permit_holder, two_rooms)
    upload_documents(case)
    Permit.objects.filter(holder=permit_holder).update(valid_until=days_ago(1))

    error = refused(services.case_submit, actor=permit_holder.user, case=case)

    assert error.code == "residence_permit_lapsed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


# --- the waiting list ---------------------------------------------------------------------------------


def test_approved_applications_wait_in_the_order_they_were_submitted_not_approved(
    permit_holder, tashan_community, two_rooms, caseworker
):  # type: ignore[no-untyped-def]
    # 王芳 submitted second; the caseworker approves the last one first.
    earliest = submitted(migrant("李强", tashan_community), two_rooms, at=hours_ago(30))
    middle = submitted(permit_holder, two_rooms, at=hours_ago(20))
    latest = submitted(migrant("张敏", tashan_community), two_rooms, at=hours_ago(10))
    for case in (latest, middle, earliest):
        services.case_approve(actor=caseworker, case=case)

    assert [place(c) for c in (earliest, middle, latest)] == [(1, 3), (2, 3), (3, 3)]


def test_each_unit_type_has_its_own_list_and_only_approved_applications_are_on_it(
    permit_holder, tashan_community, two_rooms, one_room, caseworker
):  # type: ignore[no-untyped-def]
    one_room_applicant = waiting(migrant("李强", tashan_community), one_room, caseworker, at=hours_ago(30))
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(20))
    still_being_checked = submitted(migrant("张敏", tashan_community), two_rooms, at=hours_ago(25))

    assert place(one_room_applicant) == (1, 1)
    assert place(mine) == (1, 1)
    assert place(still_being_checked) is None


def test_an_offer_takes_the_first_off_the_list_and_everyone_behind_moves_up(
    permit_holder, tashan_community, two_rooms, caseworker
):  # type: ignore[no-untyped-def]
    first = waiting(migrant("李强", tashan_community), two_rooms, caseworker, at=hours_ago(30))
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(20))
    last = waiting(migrant("张敏", tashan_community), two_rooms, caseworker, at=hours_ago(10))

    offered = affordable_services.housing_application_offer(actor=caseworker, case=first, unit="3 幢 502 室")

    assert offered.status == CaseStatus.ISSUED
    detail = HousingApplication.objects.get(case=first)
    assert (detail.offered_unit, detail.offered_at) == ("3 幢 502 室", NOW)
    assert place(first) is None
    assert (place(mine), place(last)) == ((1, 2), (2, 2))
    message = Notification.objects.get(recipient=first.applicant.user, template="housing.unit_offered")
    text = notification_render(message, language="zh-hans").body
    assert "城南安居公寓" in text and "3 幢 502 室" in text and "7 日内" in text


def test_offering_out_of_turn_needs_a_reason_which_the_record_keeps(
    permit_holder, tashan_community, two_rooms, caseworker
):  # type: ignore[no-untyped-def]
    waiting(migrant("李强", tashan_community), two_rooms, caseworker, at=hours_ago(30))
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(20))

    error = refused(affordable_services.housing_application_offer, actor=caseworker, case=mine, unit="3 幢 502 室")
    assert (error.code, error.field) == ("not_first_in_line", "skip_reason")
    assert "第 2 位" in str(error.message)
    assert Case.objects.get(pk=mine.pk).status == CaseStatus.APPROVED
    assert HousingApplication.objects.get(case=mine).offered_unit == ""

    affordable_services.housing_application_offer(
        actor=caseworker, case=mine, unit="3 幢 502 室", skip_reason="李强电话三天未接通"
    )

    event = AuditEvent.objects.filter(event_type=CaseEvent.CASE_TRANSITION, object_id=str(mine.pk)).last()
    assert event.new_values["status"] == CaseStatus.ISSUED
    assert "3 幢 502 室" in event.reason and "李强电话三天未接通" in event.reason


def test_a_flat_offered_and_not_yet_taken_up_cannot_be_offered_again(
    permit_holder, tashan_community, two_rooms, caseworker
):  # type: ignore[no-untyped-def]
    first = waiting(migrant("李强", tashan_community), two_rooms, caseworker, at=hours_ago(30))
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(20))
    affordable_services.housing_application_offer(actor=caseworker, case=first, unit="3 幢 502 室")

    # The same flat typed with extra spaces is still the same flat.
    error = refused(affordable_services.housing_application_offer, actor=caseworker, case=mine, unit=" 3 幢  502 室")

    assert error.code == "unit_already_offered"
    assert Case.objects.get(pk=mine.pk).status == CaseStatus.APPROVED


def test_a_declined_offer_frees_the_flat_for_the_next_on_the_list(
    permit_holder, tashan_community, two_rooms, caseworker
):  # type: ignore[no-untyped-def]
    first = waiting(migrant("李强", tashan_community), two_rooms, caseworker, at=hours_ago(30))
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(20))
    affordable_services.housing_application_offer(actor=caseworker, case=first, unit="3 幢 502 室")

    services.case_withdraw(actor=first.applicant.user, case=first, reason="离单位太远")
    offered = affordable_services.housing_application_offer(actor=caseworker, case=mine, unit="3 幢 502 室")

    assert offered.status == CaseStatus.ISSUED


def test_moving_in_completes_the_application(permit_holder, two_rooms, caseworker):
    case = waiting(permit_holder, two_rooms, caseworker)
    affordable_services.housing_application_offer(actor=caseworker, case=case, unit="1 幢 201 室")

    done = affordable_services.housing_application_move_in(actor=caseworker, case=case)

    assert done.status == CaseStatus.DELIVERED
    assert HousingApplication.objects.get(case=case).moved_in_at == NOW
    assert Notification.objects.filter(recipient=permit_holder.user, template="housing.moved_in").exists()


def test_an_applicant_may_leave_the_list_and_those_behind_move_up(
    permit_holder, tashan_community, two_rooms, caseworker
):  # type: ignore[no-untyped-def]
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(30))
    behind = waiting(migrant("张敏", tashan_community), two_rooms, caseworker, at=hours_ago(20))

    services.case_withdraw(actor=permit_holder.user, case=mine, reason="已在别处租到房子")

    assert Case.objects.get(pk=mine.pk).status == CaseStatus.WITHDRAWN
    assert place(behind) == (1, 1)


def test_a_caseworker_of_another_street_cannot_offer_a_flat(permit_holder, two_rooms, caseworker, caseworker_elsewhere):
    case = waiting(permit_holder, two_rooms, caseworker)

    error = refused(
        affordable_services.housing_application_offer, actor=caseworker_elsewhere, case=case, unit="1 幢 201 室"
    )

    assert error.code == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_the_applicant_cannot_offer_themselves_a_flat(permit_holder, two_rooms, caseworker):
    case = waiting(permit_holder, two_rooms, caseworker)

    error = refused(affordable_services.housing_application_offer, actor=permit_holder.user, case=case, unit="1 幢")

    assert error.code == "not_allowed"


def test_issued_is_reached_only_by_offering_a_named_flat(permit_holder, two_rooms, caseworker):
    case = waiting(permit_holder, two_rooms, caseworker)

    error = refused(services.case_transition, actor=caseworker, case=case, target=CaseStatus.ISSUED)

    assert error.code == "offer_through_waiting_list"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_an_offer_needs_a_flat_number(permit_holder, two_rooms, caseworker):
    case = waiting(permit_holder, two_rooms, caseworker)

    error = refused(affordable_services.housing_application_offer, actor=caseworker, case=case, unit="   ")

    assert (error.code, error.field) == ("unit_required", "unit")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


# --- the API: who sees what ---------------------------------------------------------------------------


def application_url(case: Case, suffix: str = "") -> str:
    return f"{APPLICATIONS}{case.pk}/{suffix}"


@pytest.fixture
def on_the_list(permit_holder, tashan_community, two_rooms, caseworker) -> Case:  # type: ignore[no-untyped-def]
    """王芳's application, second of three on the two-room list."""
    waiting(migrant("李强", tashan_community), two_rooms, caseworker, at=hours_ago(30))
    mine = waiting(permit_holder, two_rooms, caseworker, at=hours_ago(20))
    waiting(migrant("张敏", tashan_community), two_rooms, caseworker, at=hours_ago(10))
    return mine


def test_an_anonymous_caller_is_asked_to_sign_in_and_changes_nothing(on_the_list, two_rooms):
    calls = [
        ("get", APPLICATIONS), ("post", APPLICATIONS), ("get", application_url(on_the_list)),
        ("post", application_url(on_the_list, "allocate/")), ("post", application_url(on_the_list, "move-in/")),
    ]  # fmt: skip
    for method, url in calls:
        response = getattr(api_as(None), method)(url, {"unit_type": two_rooms.pk, "household_size": 2, "unit": "1"})
        assert response.status_code == 401, (method, url)

    assert Case.objects.get(pk=on_the_list.pk).status == CaseStatus.APPROVED


def test_the_applicant_reads_their_place_on_the_list(on_the_list, resident_user):
    client = api_as(resident_user)

    assert ids(client.get(APPLICATIONS)) == [on_the_list.pk]
    body = client.get(application_url(on_the_list)).json()
    assert (body["waiting_position"], body["waiting_total"]) == (2, 3)
    assert body["reference"].startswith("BZ")
    assert body["unit_type_name"] == "两室户" and body["monthly_rent"] == "1400.00"
    assert body["case_url"] == f"/api/v1/cases/{on_the_list.pk}/"
    assert [item["key"] for item in body["checklist"]] == [
        "id_card", "residence_permit", "income_proof", "no_home_declaration",
    ]  # fmt: skip


def test_another_resident_sees_nothing_of_it(on_the_list, other_resident):
    client = api_as(other_resident.user)

    assert on_the_list.pk not in ids(client.get(APPLICATIONS))
    assert client.get(application_url(on_the_list)).status_code == 404
    assert client.post(application_url(on_the_list, "allocate/"), {"unit": "1 幢"}).status_code == 404


def test_the_caseworker_of_the_street_lists_it_and_offers_a_flat_to_the_first(on_the_list, caseworker):
    client = api_as(caseworker)
    first = Case.objects.filter(case_type=AFFORDABLE_CASE_TYPE).order_by("submitted_at").first()

    assert on_the_list.pk in ids(client.get(APPLICATIONS, {"status": "approved"}))
    response = client.post(application_url(first, "allocate/"), {"unit": "3 幢 502 室"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == CaseStatus.ISSUED and response.json()["offered_unit"] == "3 幢 502 室"
    assert client.get(application_url(on_the_list)).json()["waiting_position"] == 1
    moved_in = client.post(application_url(first, "move-in/"))
    assert moved_in.json()["status"] == CaseStatus.DELIVERED


def test_offering_out_of_turn_is_refused_on_the_field(on_the_list, caseworker):
    response = api_as(caseworker).post(application_url(on_the_list, "allocate/"), {"unit": "3 幢 502 室"})

    assert response.status_code == 400
    assert response.json()["code"] == "not_first_in_line" and "skip_reason" in response.json()


def test_a_caseworker_of_another_street_gets_a_404(on_the_list, caseworker_elsewhere):
    client = api_as(caseworker_elsewhere)

    assert ids(client.get(APPLICATIONS)) == []
    assert client.get(application_url(on_the_list)).status_code == 404
    assert client.post(application_url(on_the_list, "allocate/"), {"unit": "1 幢"}).status_code == 404
    assert Case.objects.get(pk=on_the_list.pk).status == CaseStatus.APPROVED


def test_the_list_costs_the_same_queries_for_one_application_or_many(
    permit_holder, tashan_community, two_rooms, caseworker, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    waiting(permit_holder, two_rooms, caseworker, at=hours_ago(30))
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api_as(fresh(caseworker)).get(APPLICATIONS))) == 1

    for n in range(4):
        waiting(migrant(f"居民{n}", tashan_community), two_rooms, caseworker, at=hours_ago(20 - n))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(ids(api_as(fresh(caseworker)).get(APPLICATIONS))) == 5


def test_applying_through_the_api_starts_a_draft(permit_holder, resident_user, two_rooms):
    response = api_as(resident_user).post(
        APPLICATIONS,
        {"unit_type": two_rooms.pk, "household_size": 2, "current_address": "城南街道 8 号"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == CaseStatus.DRAFT and body["household_size"] == 2
    assert body["current_address"] == "城南街道 8 号" and body["waiting_position"] is None


def test_applying_without_a_valid_permit_through_the_api_is_a_400_on_the_applicant(resident, resident_user, two_rooms):
    response = api_as(resident_user).post(APPLICATIONS, {"unit_type": two_rooms.pk, "household_size": 2})

    assert response.status_code == 400
    assert response.json()["code"] == "residence_permit_required" and "applicant" in response.json()
    assert not HousingApplication.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{"unit_type": 999999, "household_size": 2}, {"household_size": 2}, {"unit_type": "两室", "household_size": 2}],
    ids=["unknown unit type", "no unit type", "not a number"],
)
def test_bad_input_through_the_api_is_a_400_and_saves_nothing(permit_holder, resident_user, payload):
    cases_before = Case.objects.count()

    response = api_as(resident_user).post(APPLICATIONS, payload, format="json")

    assert response.status_code == 400
    assert "unit_type" in response.json()
    assert Case.objects.count() == cases_before


def test_a_second_application_through_the_api_is_a_409(permit_holder, resident_user, two_rooms, one_room):
    start(permit_holder, two_rooms)

    response = api_as(resident_user).post(APPLICATIONS, {"unit_type": one_room.pk, "household_size": 1})

    assert response.status_code == 409
    assert HousingApplication.objects.count() == 1


def test_the_projects_are_public_with_their_open_unit_types(two_rooms, one_room, chengnan):
    unit_type(chengnan, "三室户", rooms=3, is_open=False)
    project("已满员公寓", is_open=False)

    response = api_as(None).get(PROJECTS)

    assert response.status_code == 200
    names = [p["name"] for p in response.json()["results"]]
    assert "城南安居公寓" in names and "已满员公寓" not in names
    chengnan_body = next(p for p in response.json()["results"] if p["id"] == chengnan.pk)
    assert [u["name"] for u in chengnan_body["unit_types"]] == ["两室户", "一室户"]
    assert chengnan_body["unit_types"][0]["monthly_rent"] == "1400.00"
    assert "居住证" in chengnan_body["unit_types"][0]["eligibility_zh"]


def test_the_default_projects_are_examples_in_yuecheng_streets():
    defaults = HousingProject.objects.filter(name__contains="示例")

    assert defaults.count() == 2
    for example in defaults:
        assert example.street.name in ("城南街道", "斗门街道")
        assert "管理员" in example.description
        rooms = sorted(example.unit_types.values_list("rooms", flat=True))
        assert rooms == [1, 2]
        for kind in example.unit_types.all():
            assert kind.monthly_rent > 0 and kind.units_total > 0
            assert "居住证" in kind.eligibility_zh and "无自有住房" in kind.eligibility_zh
            assert "收入" in kind.eligibility_zh


# --- the pages ----------------------------------------------------------------------------------------


def test_anyone_can_read_the_projects_with_rent_and_conditions(client, two_rooms):
    response = client.get("/housing/affordable/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "城南安居公寓" in page and "1400 元/月" in page and "共 60 套" in page
    assert "在越城区无自有住房" in page
    assert "先到先得" in page
    assert f"/housing/affordable/apply/?unit_type={two_rooms.pk}" in page


def test_applying_on_the_page_opens_the_case_page(client, permit_holder, resident_user, two_rooms):
    client.force_login(resident_user)

    response = client.post("/housing/affordable/apply/", {"unit_type": two_rooms.pk, "household_size": 3})

    case = Case.objects.get(case_type=AFFORDABLE_CASE_TYPE)
    assert response.status_code == 302 and response["Location"] == f"/me/cases/{case.reference}/"
    assert "无房承诺书" in client.get(response["Location"]).content.decode()


def test_applying_without_a_permit_on_the_page_says_why_and_saves_nothing(client, resident, resident_user, two_rooms):
    client.force_login(resident_user)

    response = client.post("/housing/affordable/apply/", {"unit_type": two_rooms.pk, "household_size": 3})

    assert response.status_code == 200
    assert "请先申领居住证" in response.content.decode()
    assert not Case.objects.filter(case_type=AFFORDABLE_CASE_TYPE).exists()


def test_the_apply_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/housing/affordable/apply/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_queue_shows_my_place_and_nobody_elses(client, on_the_list, resident_user, other_resident):
    client.force_login(resident_user)
    page = client.get("/housing/affordable/mine/").content.decode()

    assert "您在两室户的轮候名单第 <strong>2</strong> 位，共 3 位。" in page
    assert on_the_list.reference in page

    client.force_login(other_resident.user)
    other_page = client.get("/housing/affordable/mine/").content.decode()
    assert on_the_list.reference not in other_page
    assert "您还没有申请保障性租赁住房" in other_page


# --- the console --------------------------------------------------------------------------------------


def test_the_caseworker_offers_a_flat_from_the_waiting_list_console(client, on_the_list, caseworker):
    first = Case.objects.filter(case_type=AFFORDABLE_CASE_TYPE).order_by("submitted_at").first()
    client.force_login(caseworker)

    listing = client.get("/admin/housing/housingapplication/").content.decode()
    assert "第 1 位 / 共 3 位" in listing and "第 2 位 / 共 3 位" in listing
    response = client.post(f"/admin/housing/housingapplication/{first.pk}/offer/", {"unit": "3 幢 502 室"})

    assert response.status_code == 302
    assert Case.objects.get(pk=first.pk).status == CaseStatus.ISSUED


def test_the_console_hides_applications_of_other_streets(client, on_the_list, caseworker_elsewhere):
    client.force_login(caseworker_elsewhere)

    assert on_the_list.reference not in client.get("/admin/housing/housingapplication/").content.decode()
    response = client.post(f"/admin/housing/housingapplication/{on_the_list.pk}/offer/", {"unit": "1 幢"})
    assert response.status_code == 404
    assert Case.objects.get(pk=on_the_list.pk).status == CaseStatus.APPROVED


def test_only_administrators_edit_the_projects(client, caseworker, administrator, chengnan):
    client.force_login(caseworker)
    view = client.get(f"/admin/housing/housingproject/{chengnan.pk}/change/")
    assert view.status_code == 200 and not view.context["has_change_permission"]
    assert client.get("/admin/housing/housingproject/add/").status_code == 403
    assert client.post(f"/admin/housing/housingproject/{chengnan.pk}/delete/", {"post": "yes"}).status_code == 403
    assert HousingProject.objects.filter(pk=chengnan.pk).exists()

    client.force_login(administrator)
    assert client.get("/admin/housing/housingproject/add/").status_code == 200


def test_the_case_page_shows_the_flat_type_applied_for(client, resident):  # type: ignore[no-untyped-def]
    permit_row(resident, issued_on=days_ago(30))
    unit_type = affordable_selectors.unit_types_open().first()
    case = affordable_services.housing_application_start(
        actor=resident.user, applicant=resident, unit_type=unit_type, household_size=3, current_address="环城西路 1 号"
    )
    client.force_login(resident.user)

    page = client.get(f"/me/cases/{case.reference}/").content.decode()

    assert 'id="housing-application"' in page
    assert unit_type.name in page and unit_type.project.name in page
