"""The cases API (/api/v1/cases/): who sees what, every action through its service, errors as 400 with
field messages and 409 for conflicts, nothing half-saved, cursor paging and no plaintext ID numbers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case, CaseDocument
from notifications.models import Notification
from residents.models import AuditEvent, Resident
from residents.pii import id_number_decrypt

from ..casework import (
    EXE,
    PDF,
    PNG,
    bytes_upload,
    case_row,
    media_files,
    open_case,
    submitted_case,
)
from ..conftest import api_as
from ..factories import ResidentFactory, guardian_link

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_case_type")]

LIST = "/api/v1/cases/"
DENIED = (401, 403)


def detail(case: Case, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.pk}/{suffix}"


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def assert_no_plaintext(response, *residents: Resident) -> None:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    for resident in residents:
        plaintext = id_number_decrypt(resident.id_number_ciphertext)
        assert plaintext not in body
        assert plaintext[:17] not in body


@pytest.fixture
def fushan_resident(fushan_community):  # type: ignore[no-untyped-def]
    return ResidentFactory(name="陈静", community=fushan_community)


@pytest.fixture
def case(resident):  # type: ignore[no-untyped-def]
    return submitted_case(resident)


@pytest.fixture
def fushan_case(fushan_resident, administrator):  # type: ignore[no-untyped-def]
    return case_row(fushan_resident, opened_by=administrator)


# --- who sees what ------------------------------------------------------------------------------------


def test_an_anonymous_caller_sees_no_cases(case):
    assert api_as(None).get(LIST).status_code in DENIED
    assert api_as(None).get(detail(case)).status_code in DENIED
    assert api_as(None).post(detail(case, "approve/")).status_code in DENIED
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_the_applicant_lists_and_reads_their_own_case(case, resident_user, fushan_case):
    client = api_as(resident_user)

    assert ids(client.get(LIST)) == [case.pk]
    response = client.get(detail(case))
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference
    assert body["status"] == "submitted"
    assert body["status_label"] == "已受理"
    assert body["applicant_name"] == "王芳"
    assert {d["kind"] for d in body["documents"]} == {"id_card", "address_proof"}
    assert all(d["download_url"].startswith("/me/documents/") for d in body["documents"])


def test_a_guardian_sees_the_childs_case(resident, resident_user):
    child = ResidentFactory(user=None, community=resident.community)
    guardian_link(resident, child)
    child_case = open_case(child, actor=resident_user)

    assert ids(api_as(resident_user).get(LIST)) == [child_case.pk]


def test_another_resident_sees_nothing_and_gets_not_found(case, other_resident, other_user):
    client = api_as(other_user)

    assert ids(client.get(LIST)) == []
    assert client.get(detail(case)).status_code == 404
    for action in ("withdraw/", "submit/", "approve/"):
        assert client.post(detail(case, action)).status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_a_caseworker_sees_the_cases_of_their_streets_only(case, fushan_case, caseworker):
    client = api_as(caseworker)

    assert ids(client.get(LIST)) == [case.pk]
    assert client.get(detail(case)).status_code == 200
    assert client.get(detail(fushan_case)).status_code == 404


def test_a_caseworker_elsewhere_gets_not_found_for_an_action(case, caseworker_elsewhere):
    response = api_as(caseworker_elsewhere).post(detail(case, "approve/"))

    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_an_administrator_sees_every_case(case, fushan_case, administrator):
    assert ids(api_as(administrator).get(LIST)) == [fushan_case.pk, case.pk]


def test_a_health_worker_sees_no_cases(case, health_worker):
    assert ids(api_as(health_worker).get(LIST)) == []
    assert api_as(health_worker).get(detail(case)).status_code == 404


def test_the_list_filters_by_status(case, resident, caseworker):
    draft = open_case(resident)

    assert ids(api_as(caseworker).get(LIST, {"status": "draft"})) == [draft.pk]
    assert ids(api_as(caseworker).get(LIST, {"status": "submitted"})) == [case.pk]


def test_a_non_numeric_id_is_not_found(resident_user):
    assert api_as(resident_user).get("/api/v1/cases/abc/").status_code == 404


# --- the applicant's journey --------------------------------------------------------------------------


def test_the_applicant_opens_uploads_and_submits(resident, resident_user):
    client = api_as(resident_user)

    response = client.post(LIST, {"case_type": "demo", "applicant": resident.pk}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft"
    assert created["reference"].startswith("DM")
    case_url = f"{LIST}{created['id']}/"

    for kind in ("id_card", "address_proof"):
        response = client.post(
            case_url + "documents/", {"kind": kind, "file": bytes_upload(f"{kind}.pdf", PDF)}, format="multipart"
        )
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == kind
        assert response.json()["mime_type"] == "application/pdf"

    response = client.post(case_url + "submit/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert response.json()["due_at"] is not None
    assert Notification.objects.filter(recipient=resident_user, template="case.submitted").count() == 1


def test_a_caseworker_opens_a_case_at_the_window_for_a_resident_of_their_street(resident, caseworker):
    response = api_as(caseworker).post(LIST, {"case_type": "demo", "applicant": resident.pk}, format="json")

    assert response.status_code == 201
    assert Case.objects.get().opened_by == caseworker


def test_submitting_without_the_documents_is_a_400_on_the_documents(resident, resident_user):
    case = open_case(resident)

    response = api_as(resident_user).post(detail(case, "submit/"))

    assert response.status_code == 400
    assert response.json()["code"] == "documents_missing"
    assert "身份证" in response.json()["documents"][0]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_the_notice_resubmission_and_approval_through_the_api(case, resident_user, caseworker):
    staff, applicant = api_as(caseworker), api_as(resident_user)

    response = staff.post(
        detail(case, "request-documents/"), {"missing": ["photo", "other"], "note": "请补一寸照片和社保证明"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "needs_documents"
    assert response.json()["missing_documents"] == ["photo", "other"]

    for kind in ("photo", "other"):
        assert (
            applicant.post(
                detail(case, "documents/"), {"kind": kind, "file": bytes_upload("x.png", PNG)}, format="multipart"
            ).status_code
            == 201
        )
    response = applicant.post(detail(case, "resubmit/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resubmitted"

    response = staff.post(detail(case, "approve/"))
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["decided_at"] is not None


def test_the_applicant_withdraws_with_a_reason(case, resident_user):
    response = api_as(resident_user).post(detail(case, "withdraw/"), {"reason": "不需要了"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["decision_reason"] == "不需要了"


def test_a_caseworker_refuses_with_a_reason(case, caseworker):
    response = api_as(caseworker).post(detail(case, "refuse/"), {"reason": "居住未满半年"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["decision_reason"] == "居住未满半年"


def test_a_caseworker_takes_a_case_and_a_plain_caseworker_cannot_give_it_away(case, caseworker):
    client = api_as(caseworker)

    response = client.post(detail(case, "assign/"), {"assignee": caseworker.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["assigned_to"] == caseworker.pk

    response = client.post(detail(case, "assign/"), {"assignee": None}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert Case.objects.get(pk=case.pk).assigned_to == caseworker


# --- bad input: 400 with the field, nothing saved -----------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "case_type"), ({}, "applicant"), ({"case_type": "demo", "applicant": "abc"}, "applicant"),
     ({"case_type": "passport", "applicant": "OWN"}, "case_type"),
     ({"case_type": "demo", "applicant": "OTHER"}, "applicant"),
     ({"case_type": "demo", "applicant": 999999}, "applicant"),
     ({"case_type": "permit", "applicant": "OWN"}, "case_type"),
     ({"case_type": "affordable_housing", "applicant": "OWN"}, "case_type")],
    ids=["no-type", "no-applicant", "applicant-not-a-number", "unknown-type", "someone-elses", "no-such-resident",
         "a-permit-without-its-details", "a-flat-without-its-details"],
)  # fmt: skip
def test_opening_with_bad_input_is_a_400_on_the_field_and_saves_nothing(  # type: ignore[no-untyped-def]
    payload, field, resident, resident_user, other_resident
):
    payload = {k: {"OWN": resident.pk, "OTHER": other_resident.pk}.get(v, v) for k, v in payload.items()}

    response = api_as(resident_user).post(LIST, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Case.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("action", "payload", "field", "code"),
    [
        ("refuse/", {}, "reason", "reason_required"),
        ("refuse/", {"reason": "  "}, "reason", "reason_required"),
        ("request-documents/", {}, "missing", None),
        ("request-documents/", {"missing": "photo"}, "missing", None),
        ("request-documents/", {"missing": []}, "missing", "missing_required"),
        ("request-documents/", {"missing": ["passport"]}, "missing", "missing_unknown"),
        ("request-documents/", {"missing": ["other"]}, "note", "note_required"),
        ("assign/", {}, "assignee", None),
        ("assign/", {"assignee": 999999}, "assignee", "assignee_not_found"),
        ("assign/", {"assignee": "CASEWORKER_ELSEWHERE"}, "assignee", "assignee_out_of_scope"),
    ],
)
def test_a_caseworkers_action_with_bad_input_is_a_400_on_the_field_and_changes_nothing(  # type: ignore[no-untyped-def]
    action, payload, field, code, case, caseworker, caseworker_elsewhere, administrator
):
    payload = {k: caseworker_elsewhere.pk if v == "CASEWORKER_ELSEWHERE" else v for k, v in payload.items()}
    # The administrator may give cases to others, so an assignment fails on its input alone.
    actor = administrator if action == "assign/" else caseworker
    events_before, notes_before = AuditEvent.objects.count(), Notification.objects.count()

    response = api_as(actor).post(detail(case, action), payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    if code:
        assert response.json()["code"] == code
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.assigned_to is None
    assert AuditEvent.objects.count() == events_before
    assert Notification.objects.count() == notes_before


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"kind": "id_card"}, "file", None),
        ({"file": "PDF"}, "kind", None),
        ({"kind": "id_card", "file": "EMPTY"}, "file", None),
        ({"kind": "id_card", "file": "EXE"}, "file", "file_type_invalid"),
        ({"kind": "passport", "file": "PDF"}, "kind", "document_kind_invalid"),
    ],
    ids=["no-file", "no-kind", "empty-file", "renamed-executable", "unknown-kind"],
)
def test_an_upload_with_bad_input_is_a_400_and_stores_nothing(payload, field, code, resident, resident_user):  # type: ignore[no-untyped-def]
    case = open_case(resident)
    files = {"PDF": ("a.pdf", PDF), "EMPTY": ("a.pdf", b""), "EXE": ("a.pdf", EXE)}
    payload = {k: bytes_upload(*files[v]) if v in files else v for k, v in payload.items()}

    response = api_as(resident_user).post(detail(case, "documents/"), payload, format="multipart")

    assert response.status_code == 400, response.content
    assert field in response.json()
    if code:
        assert response.json()["code"] == code
    assert not CaseDocument.objects.exists()
    assert media_files() == []


def test_a_name_with_a_path_is_cut_to_its_last_part_and_stored_under_a_random_name(resident, resident_user):
    case = open_case(resident)

    response = api_as(resident_user).post(
        detail(case, "documents/"), {"kind": "id_card", "file": bytes_upload("../../etc/passwd.pdf", PDF)},
        format="multipart",
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json()["original_name"] == "passwd.pdf"
    [stored] = media_files()
    assert stored.name != "passwd.pdf"


def test_the_applicant_cannot_approve_their_own_case(case, resident_user):
    response = api_as(resident_user).post(detail(case, "approve/"))

    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


# --- conflicts: 409 -----------------------------------------------------------------------------------


def test_approving_an_approved_case_is_a_conflict(case, caseworker):
    client = api_as(caseworker)
    assert client.post(detail(case, "approve/")).status_code == 200

    response = client.post(detail(case, "approve/"))

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert "已批准" in response.json()["non_field_errors"][0]
    assert Notification.objects.filter(template="case.approved").count() == 1


def test_a_second_notice_is_a_conflict(case, caseworker):
    client = api_as(caseworker)
    assert client.post(detail(case, "request-documents/"), {"missing": ["photo"]}, format="json").status_code == 200

    response = client.post(detail(case, "request-documents/"), {"missing": ["id_card"]}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "notice_already_sent"


def test_withdrawing_a_refused_case_is_a_conflict(case, resident_user, caseworker):
    api_as(caseworker).post(detail(case, "refuse/"), {"reason": "材料不实"}, format="json")

    response = api_as(resident_user).post(detail(case, "withdraw/"))

    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REFUSED


# --- paging, queries and personal data ----------------------------------------------------------------


def test_the_list_is_cursor_paginated_newest_first_without_a_count(resident, caseworker):
    made = [case_row(resident) for _ in range(5)]
    client = api_as(caseworker)

    first = client.get(LIST, {"page_size": 2}).json()
    assert set(first) >= {"next", "previous", "results"}
    assert "count" not in first
    assert "cursor=" in first["next"]

    seen, page = [row["id"] for row in first["results"]], first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert seen == [c.pk for c in reversed(made)]


def test_the_number_of_queries_for_the_list_does_not_grow_with_the_rows(
    resident, tashan_community, caseworker, django_assert_num_queries
):
    # Given 3 cases of different applicants in scope, count the queries of one page
    for _ in range(3):
        case_row(ResidentFactory(community=tashan_community), opened_by=caseworker, assigned_to=caseworker)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(api_as(fresh(caseworker)).get(LIST))) == 3

    # When there are 20, the page costs exactly as many
    for _ in range(17):
        case_row(ResidentFactory(community=tashan_community), opened_by=caseworker, assigned_to=caseworker)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(ids(api_as(fresh(caseworker)).get(LIST))) == 20


def test_no_response_carries_a_plaintext_id_number(case, resident, resident_user, caseworker, administrator):
    for user in (resident_user, caseworker, administrator):
        client = api_as(user)
        assert_no_plaintext(client.get(LIST), resident)
        assert_no_plaintext(client.get(detail(case)), resident)
    assert_no_plaintext(api_as(caseworker).post(detail(case, "approve/")), resident)
