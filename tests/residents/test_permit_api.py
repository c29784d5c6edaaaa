"""The residence-permit API (/api/v1/permit-applications/, /api/v1/permits/): who sees what, the whole journey
from application to the card in hand, refusals as 400 on the field (409 for a second application) with nothing
saved, the yearly endorsement, constant queries per page, and the verify token only inside verify_url."""

from __future__ import annotations

import datetime

import pytest
import time_machine
import yaml
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases import services as cases_services
from cases.choices import CaseStatus
from cases.models import Case
from permits import services as permits_services
from permits.models import Permit, PermitApplication, PermitEndorsement
from residents.models import AuditEvent, Resident
from residents.pii import id_number_decrypt

from ..casework import PDF, bytes_upload
from ..conftest import api_as
from ..factories import ResidentFactory, guardian_link
from ..permits import (
    EXPRESS,
    WINDOW,
    permit_row,
    register,
    registered_long_enough,
    start_application,
    submitted_application,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 28)
APPLICATIONS = "/api/v1/permit-applications/"
ELIGIBILITY = "/api/v1/permit-applications/eligibility/"
PERMITS = "/api/v1/permits/"


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    # 18:00 in Shaoxing: the same calendar day in UTC and local time.
    with time_machine.travel(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def application_url(case: Case, suffix: str = "") -> str:
    return f"{APPLICATIONS}{case.pk}/{suffix}"


def permit_url(permit: Permit, suffix: str = "") -> str:
    return f"{PERMITS}{permit.pk}/{suffix}"


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


def approved(case: Case, caseworker: User) -> Case:
    return cases_services.case_approve(actor=caseworker, case=case)


@pytest.fixture
def application(resident):  # type: ignore[no-untyped-def]
    """王芳's permit application, submitted and waiting for 塔山's caseworker."""
    registered_long_enough(resident)
    return submitted_application(resident)


@pytest.fixture
def permit(resident):  # type: ignore[no-untyped-def]
    """王芳's permit, issued today."""
    return permit_row(resident, issued_on=TODAY)


@pytest.fixture
def neighbours_permit(other_resident):  # type: ignore[no-untyped-def]
    """赵强's permit: another holder on 王芳's street (王芳's own application can then be approved)."""
    return permit_row(other_resident, issued_on=TODAY)


@pytest.fixture
def fushan_permit(fushan_community):  # type: ignore[no-untyped-def]
    """A permit in 府山街道, out of the 塔山 caseworker's scope."""
    return permit_row(ResidentFactory(user=None, name="陈静", community=fushan_community), issued_on=TODAY)


# --- who sees what ------------------------------------------------------------------------------------


def object_calls(case: Case, permit: Permit) -> list[tuple[str, str]]:
    """Every call on one application or one permit."""
    return [
        ("get", application_url(case)), ("patch", application_url(case)), ("post", application_url(case, "submit/")),
        ("post", application_url(case, "dispatch/")), ("post", application_url(case, "deliver/")),
        ("get", permit_url(permit)), ("post", permit_url(permit, "endorse/")), ("post", permit_url(permit, "replace/")),
    ]  # fmt: skip


def every_call(case: Case, permit: Permit) -> list[tuple[str, str]]:
    lists = [("get", APPLICATIONS), ("post", APPLICATIONS), ("get", ELIGIBILITY), ("get", PERMITS)]
    return [*lists, *object_calls(case, permit)]


def test_an_anonymous_caller_is_asked_to_sign_in_everywhere_and_changes_nothing(application, permit):
    cases_before = Case.objects.count()

    for method, url in every_call(application, permit):
        response = getattr(api_as(None), method)(url, {}, format="json")
        assert response.status_code == 401, (method, url)

    assert Case.objects.count() == cases_before
    assert Case.objects.get(pk=application.pk).status == CaseStatus.SUBMITTED


def test_the_applicant_lists_and_reads_their_own_application(application, resident, resident_user, caseworker):
    client = api_as(resident_user)

    assert ids(client.get(APPLICATIONS)) == [application.pk]
    body = client.get(application_url(application)).json()
    assert body["reference"] == application.reference and body["reference"].startswith("JZ")
    assert body["case_url"] == f"/api/v1/cases/{application.pk}/"
    assert (body["status"], body["status_label"]) == ("submitted", "已受理")
    assert (body["permit_type"], body["permit_type_name_zh"]) == ("employment", "就业类居住证")
    assert body["delivery_method"] == "express"
    assert body["delivery_address"] == EXPRESS["delivery_address"]
    assert body["permit_number"] is None
    assert {d["kind"] for d in body["documents"]} == {"id_card", "photo", "address_proof", "employment_proof"}
    checklist = {item["key"]: item for item in body["checklist"]}
    assert checklist["id_card"]["required"] is True
    assert checklist["id_card"]["label"] == "居民身份证"
    assert len(checklist["id_card"]["uploaded"]) == 1


def test_the_holder_reads_their_permit_with_a_masked_id_number(permit, resident, resident_user):
    client = api_as(resident_user)

    assert ids(client.get(PERMITS)) == [permit.pk]
    body = client.get(permit_url(permit)).json()
    assert body["number"] == permit.number
    assert (body["holder"], body["holder_name"]) == (resident.pk, "王芳")
    assert body["holder_id_number"] == resident.id_number_masked
    assert "*" in body["holder_id_number"]
    assert (body["permit_type"], body["permit_type_name_en"]) == ("employment", "Residence permit (employment)")
    assert (body["issued_on"], body["valid_until"]) == ("2026-11-28", "2027-11-27")
    assert body["is_valid"] is True
    assert body["card_serial"] == 1
    assert body["continuity_restarted_on"] is None
    assert body["endorsement_window"] == {"opens": "2027-10-28", "closes": "2027-11-27", "open_now": False}
    assert body["endorsements"] == []


def test_a_guardian_applies_for_their_child_and_sees_the_application_and_the_permit(resident, resident_user):
    child = ResidentFactory(
        user=None, name="王小明", community=resident.community, birth_date=datetime.date(2018, 5, 1)
    )
    guardian_link(resident, child)
    register(child, since=TODAY - relativedelta(months=8), actor=resident_user)
    client = api_as(resident_user)

    eligibility = client.get(ELIGIBILITY, {"applicant": child.pk})
    assert eligibility.status_code == 200
    assert eligibility.json()["applicant_name"] == "王小明"

    response = client.post(
        APPLICATIONS, {"applicant": child.pk, "permit_type": "study", **WINDOW}, format="json"
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["applicant"] == child.pk
    assert ids(client.get(APPLICATIONS)) == [response.json()["id"]]

    child_permit = permit_row(child, issued_on=TODAY, type_key="study")
    assert ids(client.get(PERMITS)) == [child_permit.pk]
    assert client.get(permit_url(child_permit)).json()["holder_name"] == "王小明"


def test_another_resident_sees_nothing_and_gets_not_found_for_every_call(application, permit, resident, other_user):
    client = api_as(other_user)

    assert ids(client.get(APPLICATIONS)) == []
    assert ids(client.get(PERMITS)) == []
    assert client.get(ELIGIBILITY, {"applicant": resident.pk}).status_code == 404
    for method, url in object_calls(application, permit):
        assert getattr(client, method)(url, {}, format="json").status_code == 404, (method, url)
    assert Case.objects.get(pk=application.pk).status == CaseStatus.SUBMITTED
    assert not PermitEndorsement.objects.exists()


def test_a_caseworker_in_scope_sees_and_dispatches_and_delivers(
    application, neighbours_permit, caseworker, fushan_permit
):
    approved(application, caseworker)
    client = api_as(caseworker)

    issued = Permit.objects.get(application=application)
    assert ids(client.get(APPLICATIONS)) == [neighbours_permit.application_id, application.pk]
    assert ids(client.get(PERMITS)) == [issued.pk, neighbours_permit.pk]
    assert client.get(permit_url(neighbours_permit)).status_code == 200
    assert client.get(permit_url(fushan_permit)).status_code == 404

    response = client.post(
        application_url(application, "dispatch/"), {"courier": "顺丰速运", "tracking_number": "sf1234567890"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["courier"]) == ("issued", "顺丰速运")
    assert response.json()["tracking_number"] == "SF1234567890"
    assert response.json()["dispatched_at"] is not None

    response = client.post(application_url(application, "deliver/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    assert response.json()["delivered_at"] is not None


def test_a_caseworker_out_of_scope_gets_not_found_and_changes_nothing(
    application, neighbours_permit, caseworker, caseworker_elsewhere
):
    approved(application, caseworker)
    client = api_as(caseworker_elsewhere)

    assert ids(client.get(APPLICATIONS)) == []
    assert ids(client.get(PERMITS)) == []
    for method, url in object_calls(application, neighbours_permit):
        assert getattr(client, method)(url, {"courier": "顺丰速运"}, format="json").status_code == 404, (method, url)
    assert Case.objects.get(pk=application.pk).status == CaseStatus.APPROVED


def test_a_health_worker_sees_no_permits_and_no_applications(application, permit, resident, health_worker):
    client = api_as(health_worker)

    assert ids(client.get(APPLICATIONS)) == []
    assert ids(client.get(PERMITS)) == []
    assert client.get(application_url(application)).status_code == 404
    assert client.get(permit_url(permit)).status_code == 404
    assert client.get(ELIGIBILITY, {"applicant": resident.pk}).status_code == 404
    response = client.get(ELIGIBILITY)
    assert response.status_code == 400
    assert response.json()["code"] == "resident_profile_missing"


def test_an_administrator_sees_every_permit_and_application(application, permit, fushan_permit, administrator):
    client = api_as(administrator)

    assert ids(client.get(PERMITS)) == [fushan_permit.pk, permit.pk]
    assert ids(client.get(APPLICATIONS)) == [fushan_permit.application_id, permit.application_id, application.pk]
    assert client.get(permit_url(fushan_permit)).status_code == 200


def test_the_applicant_can_neither_dispatch_nor_mark_delivered_their_own_card(application, caseworker, resident_user):
    approved(application, caseworker)
    client = api_as(resident_user)

    dispatched = client.post(
        application_url(application, "dispatch/"), {"courier": "顺丰速运", "tracking_number": "SF1234567890"},
        format="json",
    )  # fmt: skip
    delivered = client.post(application_url(application, "deliver/"))

    assert (dispatched.status_code, dispatched.json()["code"]) == (400, "not_allowed")
    assert (delivered.status_code, delivered.json()["code"]) == (400, "not_allowed")
    assert Case.objects.get(pk=application.pk).status == CaseStatus.APPROVED
    assert PermitApplication.objects.get(case=application).tracking_number == ""


def test_a_non_numeric_id_is_not_found(resident_user):
    assert api_as(resident_user).get(f"{APPLICATIONS}abc/").status_code == 404
    assert api_as(resident_user).get(f"{PERMITS}abc/").status_code == 404
    assert api_as(resident_user).get(ELIGIBILITY, {"applicant": "abc"}).status_code == 404


def test_an_endorsement_case_is_not_a_permit_application(resident, resident_user):
    registered_long_enough(resident)
    held = permit_row(resident, issued_on=TODAY - relativedelta(years=1) + datetime.timedelta(days=10))
    endorsement = permits_services.permit_endorse(actor=resident_user, permit=held)

    assert api_as(resident_user).get(application_url(endorsement)).status_code == 404
    assert ids(api_as(resident_user).get(APPLICATIONS)) == [held.application_id]


# --- the journey through the API ----------------------------------------------------------------------


def test_from_application_to_the_card_in_hand_through_the_api(resident, resident_user, caseworker):
    registered_long_enough(resident)
    applicant, staff = api_as(resident_user), api_as(caseworker)

    # The applicant starts, and the answer lists the documents to upload
    response = applicant.post(
        APPLICATIONS, {"applicant": resident.pk, "permit_type": "employment", **EXPRESS}, format="json"
    )  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft"
    required = [item["key"] for item in created["checklist"] if item["required"]]
    assert required == ["id_card", "photo", "address_proof", "employment_proof"]

    # Documents go to the generic case endpoint with the same id
    for kind in required:
        response = applicant.post(
            f"{created['case_url']}documents/", {"kind": kind, "file": bytes_upload(f"{kind}.pdf", PDF)},
            format="multipart",
        )  # fmt: skip
        assert response.status_code == 201, response.content

    response = applicant.post(f"{APPLICATIONS}{created['id']}/submit/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert all(item["uploaded"] for item in response.json()["checklist"] if item["required"])

    # The caseworker approves on the case, which issues the permit
    response = staff.post(f"/api/v1/cases/{created['id']}/approve/")
    assert response.status_code == 200, response.content
    issued = Permit.objects.get(holder=resident)
    assert applicant.get(f"{APPLICATIONS}{created['id']}/").json()["permit_number"] == issued.number

    response = staff.post(
        f"{APPLICATIONS}{created['id']}/dispatch/", {"courier": "中国邮政 EMS", "tracking_number": "1187654321098"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "issued"
    response = staff.post(f"{APPLICATIONS}{created['id']}/deliver/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"

    # The holder now has a valid permit, with the QR code's address
    assert ids(applicant.get(PERMITS)) == [issued.pk]
    body = applicant.get(permit_url(issued)).json()
    assert body["number"] == issued.number and body["number"].startswith("3306022026")
    assert body["is_valid"] is True
    assert body["valid_until"] == "2027-11-27"
    assert body["verify_url"] == f"http://testserver/verify/{issued.verify_token}/"


def test_the_applicant_switches_to_window_collection_and_another_type_while_a_draft(resident, resident_user):
    registered_long_enough(resident)
    case = start_application(resident)

    response = api_as(resident_user).patch(
        application_url(case), {"permit_type": "residence", **WINDOW}, format="json"
    )  # fmt: skip

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["permit_type"], body["delivery_method"]) == ("residence", "window")
    assert (body["recipient_name"], body["recipient_phone"], body["delivery_address"]) == ("", "", "")
    detail = PermitApplication.objects.get(case=case)
    assert (detail.permit_type.key, detail.delivery_method) == ("residence", "window")


def test_a_submitted_application_can_no_longer_be_changed(application, resident_user):
    response = api_as(resident_user).patch(application_url(application), {"permit_type": "talent"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "application_locked"
    assert PermitApplication.objects.get(case=application).permit_type.key == "employment"


def test_the_list_filters_by_status(application, permit, caseworker):
    client = api_as(caseworker)

    assert ids(client.get(APPLICATIONS, {"status": "submitted"})) == [application.pk]
    assert ids(client.get(APPLICATIONS, {"status": "delivered"})) == [permit.application_id]


def test_the_permit_list_filters_valid_and_suspended(resident, other_resident, caseworker):
    valid = permit_row(resident, issued_on=TODAY)
    suspended = permit_row(
        other_resident, issued_on=TODAY - relativedelta(years=1), valid_until=TODAY - datetime.timedelta(days=1)
    )
    client = api_as(caseworker)

    assert ids(client.get(PERMITS, {"valid": "true"})) == [valid.pk]
    assert ids(client.get(PERMITS, {"valid": "false"})) == [suspended.pk]
    assert client.get(permit_url(suspended)).json()["is_valid"] is False


# --- eligibility --------------------------------------------------------------------------------------


def test_eligibility_defaults_to_the_callers_own_record_and_lists_every_type(resident, resident_user):
    registered_long_enough(resident)

    response = api_as(resident_user).get(ELIGIBILITY)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["applicant"], body["registered"], body["residence_met"]) == (resident.pk, True, True)
    assert body["continuous_since"] == "2026-04-28"
    assert body["eligible_from"] == "2026-10-28"
    assert (body["permit_number"], body["open_application_reference"]) == (None, None)
    types = {t["key"]: t for t in body["permit_types"]}
    assert list(types) == ["employment", "residence", "study", "talent"]
    assert all(t["allowed"] for t in types.values())
    assert types["talent"]["exempt_from_residence_rule"] is True
    assert types["employment"]["name_zh"] == "就业类居住证"
    assert types["employment"]["documents"][0] == {
        "key": "id_card", "label_zh": "居民身份证", "label_en": "Resident ID card", "required": True,
    }  # fmt: skip


def test_eligibility_before_half_a_year_allows_only_the_exempt_type_and_says_when(resident, resident_user):
    register(resident, since=datetime.date(2026, 9, 15))

    body = api_as(resident_user).get(ELIGIBILITY).json()

    assert (body["registered"], body["residence_met"], body["eligible_from"]) == (True, False, "2027-03-15")
    assert {t["key"]: t["allowed"] for t in body["permit_types"]} == {
        "employment": False, "residence": False, "study": False, "talent": True,
    }  # fmt: skip


def test_eligibility_names_the_permit_held_and_the_open_application(
    resident, resident_user, other_resident, other_user
):
    held = permit_row(resident, issued_on=TODAY)
    registered_long_enough(other_resident)
    in_progress = start_application(other_resident)

    mine = api_as(resident_user).get(ELIGIBILITY).json()
    theirs = api_as(other_user).get(ELIGIBILITY).json()

    assert mine["permit_number"] == held.number
    assert not any(t["allowed"] for t in mine["permit_types"])
    assert (theirs["open_application"], theirs["open_application_reference"]) == (in_progress.pk, in_progress.reference)
    assert not any(t["allowed"] for t in theirs["permit_types"])


# --- bad input: 400 on the field, nothing saved; a second application is a conflict --------------------


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"permit_type": "passport"}, "permit_type", "permit_type_unknown"),
        ({"permit_type": "护照"}, "permit_type", None),
        ({"delivery_address": ""}, "delivery_address", "delivery_address_required"),
        ({"recipient_phone": "12345"}, "recipient_phone", "phone_invalid"),
        ({"recipient_name": "  "}, "recipient_name", "recipient_name_required"),
        ({"delivery_method": "drone"}, "delivery_method", None),
        ({"applicant": None}, "applicant", None),
        ({"applicant": "OTHER"}, "applicant", "applicant_not_found"),
        ({"applicant": 999999}, "applicant", "applicant_not_found"),
    ],
    ids=["unknown-type", "type-not-a-key", "express-without-address", "phone-invalid", "no-recipient",
         "unknown-delivery", "no-applicant", "someone-elses", "no-such-resident"],
)  # fmt: skip
def test_starting_with_bad_input_is_a_400_on_the_field_and_saves_nothing(  # type: ignore[no-untyped-def]
    payload, field, code, resident, resident_user, other_resident
):
    registered_long_enough(resident)
    body = {"applicant": resident.pk, "permit_type": "employment", **EXPRESS, **payload}
    body = {k: other_resident.pk if v == "OTHER" else v for k, v in body.items() if v is not None}
    cases_before, events_before = Case.objects.count(), AuditEvent.objects.count()

    response = api_as(resident_user).post(APPLICATIONS, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    if code:
        assert response.json()["code"] == code
    assert Case.objects.count() == cases_before
    assert not PermitApplication.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_applying_before_half_a_year_is_refused_with_the_day_it_becomes_possible(resident, resident_user):
    register(resident, since=datetime.date(2026, 9, 15))

    response = api_as(resident_user).post(
        APPLICATIONS, {"applicant": resident.pk, "permit_type": "employment", **EXPRESS}, format="json"
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["code"] == "residence_too_short"
    assert "2027-03-15" in response.json()["permit_type"][0]
    assert not Case.objects.exists()


def test_a_second_application_is_a_conflict_naming_the_first(application, resident, resident_user):
    response = api_as(resident_user).post(
        APPLICATIONS, {"applicant": resident.pk, "permit_type": "talent", **WINDOW}, format="json"
    )  # fmt: skip

    assert response.status_code == 409
    assert response.json()["code"] == "permit_application_open"
    assert application.reference in response.json()["non_field_errors"][0]
    assert list(Case.objects.values_list("pk", flat=True)) == [application.pk]


def test_dispatching_an_express_card_without_a_tracking_number_is_a_400_and_changes_nothing(application, caseworker):
    approved(application, caseworker)

    response = api_as(caseworker).post(
        application_url(application, "dispatch/"), {"courier": "顺丰速运"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "tracking_number_invalid"
    assert "tracking_number" in response.json()
    assert Case.objects.get(pk=application.pk).status == CaseStatus.APPROVED
    assert PermitApplication.objects.get(case=application).dispatched_at is None


# --- endorsement and replacement ----------------------------------------------------------------------


def test_endorsing_before_the_window_opens_is_a_400_with_the_window(permit, resident_user):
    response = api_as(resident_user).post(permit_url(permit, "endorse/"))

    assert response.status_code == 400
    assert response.json()["code"] == "endorsement_not_open"
    assert "2027-10-28" in response.json()["non_field_errors"][0]
    assert not PermitEndorsement.objects.exists()
    assert Permit.objects.get(pk=permit.pk).valid_until == datetime.date(2027, 11, 27)


def test_endorsing_in_the_window_is_approved_at_once_and_moves_the_validity_a_year(resident, resident_user):
    registered_long_enough(resident)
    held = permit_row(resident, issued_on=datetime.date(2025, 12, 8))  # valid until 2026-12-07: window open
    client = api_as(resident_user)
    assert client.get(permit_url(held)).json()["endorsement_window"]["open_now"] is True

    response = client.post(permit_url(held, "endorse/"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["late"], body["valid_until"]) == ("approved", False, "2027-12-07")
    assert body["reference"].startswith("QZ")
    assert Permit.objects.get(pk=held.pk).valid_until == datetime.date(2027, 12, 7)
    [endorsement] = client.get(permit_url(held)).json()["endorsements"]
    assert endorsement == {
        "reference": body["reference"], "applied_on": "2026-11-28", "late": False, "endorsed_on": "2026-11-28",
        "valid_until_after": "2027-12-07", "status": "approved", "status_label": "已批准",
    }  # fmt: skip


def test_a_lost_card_is_replaced_through_a_permit_application(permit, resident_user):
    response = api_as(resident_user).post(permit_url(permit, "replace/"), {"reason": "lost", **WINDOW}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["case_type"], body["status"], body["replacement_reason"]) == ("permit_replacement", "draft", "lost")
    assert body["reference"].startswith("BL")
    assert (body["permit"], body["permit_number"]) == (permit.pk, permit.number)
    assert [item["key"] for item in body["checklist"]] == ["photo", "loss_statement"]
    assert ids(api_as(resident_user).get(APPLICATIONS)) == [body["id"], permit.application_id]


def test_a_replacement_without_a_reason_is_a_400_and_saves_nothing(permit, resident_user):
    cases_before = Case.objects.count()

    response = api_as(resident_user).post(permit_url(permit, "replace/"), {"reason": "stolen", **WINDOW}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert Case.objects.count() == cases_before


# --- queries, secrets and the schema -----------------------------------------------------------------


def permits_in_tashan(count: int, community) -> None:  # type: ignore[no-untyped-def]
    for _ in range(count):
        permit_row(ResidentFactory(user=None, community=community), issued_on=TODAY)


@pytest.mark.parametrize("url", [APPLICATIONS, PERMITS])
def test_a_page_costs_the_same_queries_for_1_or_5_rows(
    url, tashan_community, caseworker, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    permits_in_tashan(1, tashan_community)
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api_as(fresh(caseworker)).get(url))) == 1

    permits_in_tashan(4, tashan_community)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(ids(api_as(fresh(caseworker)).get(url))) == 5


def test_the_verify_token_appears_only_inside_verify_url(permit, resident, resident_user, caseworker):
    token = permit.verify_token
    client = api_as(resident_user)

    detail = client.get(permit_url(permit))
    assert detail.content.decode().count(token) == 1
    assert detail.json()["verify_url"].endswith(f"/verify/{token}/")
    assert client.get(PERMITS).content.decode().count(token) == 1
    for response in (
        client.get(application_url(permit.application)), client.get(APPLICATIONS), client.get(ELIGIBILITY),
        api_as(caseworker).get(application_url(permit.application)),
    ):  # fmt: skip
        assert response.status_code == 200
        assert token not in response.content.decode()


def test_the_schema_describes_the_permit_endpoints_and_points_to_the_case_actions(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    paths = schema["paths"]
    for path in (
        "/api/v1/permit-applications/", "/api/v1/permit-applications/{id}/",
        "/api/v1/permit-applications/{id}/submit/", "/api/v1/permit-applications/{id}/dispatch/",
        "/api/v1/permit-applications/{id}/deliver/", "/api/v1/permit-applications/eligibility/",
        "/api/v1/permits/", "/api/v1/permits/{id}/", "/api/v1/permits/{id}/endorse/", "/api/v1/permits/{id}/replace/",
    ):  # fmt: skip
        assert path in paths, path
    assert "/api/v1/permit-types/" not in paths
    assert "/api/v1/cases/{id}/" in paths["/api/v1/permit-applications/"]["get"]["description"]
    assert "approve/" in paths["/api/v1/permit-applications/"]["get"]["description"]
    assert "patch" in paths["/api/v1/permit-applications/{id}/"]
    assert set(paths["/api/v1/permits/{id}/"]) == {"get"}


def test_no_permit_response_carries_the_plaintext_id_number(permit, resident, caseworker):
    plaintext = id_number_decrypt(Resident.objects.get(pk=resident.pk).id_number_ciphertext)
    for response in (api_as(caseworker).get(permit_url(permit)), api_as(caseworker).get(PERMITS)):
        assert plaintext not in response.content.decode()
        assert plaintext[:17] not in response.content.decode()
