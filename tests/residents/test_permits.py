"""Residence permits (居住证) at the service and selector level: the half-year rule and the conditions of
居住证暂行条例 art. 2, the type's document checklist, the one-time notice and the 15-day deadline (art. 9),
issue on approval, dispatch and delivery, the yearly endorsement in the month before each anniversary and the
suspension and late restoration of a permit not endorsed in time (art. 10), card replacement, who may act,
and two applications at once."""

from __future__ import annotations

import datetime
import re
import threading
import zoneinfo

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.utils import timezone

from cases import services as cases_services
from cases.choices import CaseEvent, CaseStatus
from cases.models import Case
from kernel.errors import DomainError
from notifications.models import Notification
from permits import selectors as permits_selectors
from permits import services as permits_services
from permits.choices import DeliveryMethod, PermitEvent, ReplacementReason
from permits.models import Permit, PermitApplication, PermitEndorsement
from residents import selectors, services
from residents.models import AuditEvent

from ..casework import pdf, refused
from ..factories import ResidentFactory, guardian_link, street
from ..permits import (
    EXPRESS,
    WINDOW,
    permit_row,
    permit_type,
    register,
    registered_long_enough,
    start_application,
    submitted_application,
    upload_permit_documents,
)

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 3, 10)
DAY = datetime.timedelta(days=1)
EMPLOYMENT_PROOF = "劳动合同、营业执照或单位就业证明"
AUTOMATIC_REASON = "居住登记有效，系统已自动签注。"

# A permit issued on 15 March 2025: its year ends on V = 14 March 2026, the endorsement window is the month
# before the anniversary, 15 February to 14 March 2026.
ISSUED = datetime.date(2025, 3, 15)
V = datetime.date(2026, 3, 14)
WINDOW_OPENS = datetime.date(2026, 2, 15)
NEXT_YEAR_ENDS = datetime.date(2027, 3, 14)


@pytest.fixture(autouse=True)
def clock(time_machine):  # type: ignore[no-untyped-def]
    """Stop the clock at 10:00 in Shaoxing on TODAY; ``clock(day)`` moves it to another day (or hour)."""

    def move_to(day: datetime.date, hour: int = 10, minute: int = 0) -> None:
        moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)
        time_machine.move_to(moment, tick=False)

    move_to(TODAY)
    return move_to


def now_at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def notes_to(user, template: str) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(recipient=user, template=template).order_by("id"))


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def approved_application(resident, caseworker, **delivery: str) -> Case:  # type: ignore[no-untyped-def]
    """A first application, submitted and approved: the permit is issued."""
    registered_long_enough(resident)
    return cases_services.case_approve(actor=caseworker, case=submitted_application(resident, **delivery))


def endorse(permit: Permit, actor) -> Case:  # type: ignore[no-untyped-def]
    return permits_services.permit_endorse(actor=actor, permit=permit)


# --- the half-year rule (条例 art. 2) -------------------------------------------------------------------

REGISTERED_ON = datetime.date(2025, 9, 15)
HALF_YEAR_ON = datetime.date(2026, 3, 15)


def test_the_day_before_half_a_year_of_registration_the_application_is_refused_with_the_day_it_opens(resident, clock):
    clock(REGISTERED_ON)
    register(resident, since=REGISTERED_ON)
    clock(HALF_YEAR_ON - DAY)

    error = refused(start_application, resident=resident)

    assert (error.code, error.field) == ("residence_too_short", "permit_type")
    assert HALF_YEAR_ON.isoformat() in str(error.message)
    assert REGISTERED_ON.isoformat() in str(error.message)
    assert not Case.objects.exists()
    assert not PermitApplication.objects.exists()


def test_on_the_day_half_a_year_is_complete_the_application_starts(resident, clock):
    clock(REGISTERED_ON)
    register(resident, since=REGISTERED_ON)
    clock(HALF_YEAR_ON)

    case = start_application(resident)

    assert (case.case_type, case.status, case.applicant) == (
        permits_selectors.PERMIT_CASE_TYPE, CaseStatus.DRAFT, resident
    )
    assert case.permit_application.permit_type == permit_type("employment")


def test_the_eligibility_selector_says_since_when_and_from_when(resident, clock):
    clock(REGISTERED_ON)
    register(resident, since=REGISTERED_ON)

    before = permits_selectors.permit_eligibility(resident=resident, today=HALF_YEAR_ON - DAY)
    on_the_day = permits_selectors.permit_eligibility(resident=resident, today=HALF_YEAR_ON)

    assert (before.registered, before.continuous_since, before.eligible_from, before.residence_met) == (
        True, REGISTERED_ON, HALF_YEAR_ON, False,
    )  # fmt: skip
    assert (before.permit, before.open_application) == (None, None)
    assert not before.allows(permit_type("employment"))
    assert before.allows(permit_type("talent"))
    assert on_the_day.residence_met and on_the_day.allows(permit_type("employment"))


def test_the_eligibility_selector_names_the_permit_held_and_the_open_application(resident, other_resident):
    registered_long_enough(resident)
    case = start_application(resident)
    permit = permit_row(other_resident, issued_on=ISSUED)
    registered_long_enough(other_resident)

    applying = permits_selectors.permit_eligibility(resident=resident)
    holding = permits_selectors.permit_eligibility(resident=other_resident)

    assert applying.open_application == case and not applying.allows(permit_type("employment"))
    assert holding.permit == permit and not holding.allows(permit_type("talent"))


def test_not_registered_at_all_the_eligibility_selector_says_so(resident):
    facts = permits_selectors.permit_eligibility(resident=resident)

    assert (facts.registered, facts.continuous_since, facts.eligible_from, facts.residence_met) == (
        False, None, None, False,
    )  # fmt: skip


def test_moving_within_the_district_on_the_same_day_keeps_the_half_year_count(resident, fushan_community, clock):
    clock(REGISTERED_ON)
    first = register(resident, since=REGISTERED_ON)
    moved_on = datetime.date(2026, 1, 20)
    clock(moved_on)
    register(resident, since=moved_on, community=fushan_community)  # ends the first on the moving day
    first.refresh_from_db()
    assert first.ended_on == moved_on

    clock(HALF_YEAR_ON)
    facts = permits_selectors.permit_eligibility(resident=resident)

    assert facts.continuous_since == REGISTERED_ON and facts.residence_met
    assert start_application(resident).status == CaseStatus.DRAFT


def test_a_registration_starting_the_day_after_the_last_one_ended_keeps_the_count(resident, fushan_community, clock):
    clock(REGISTERED_ON)
    first = register(resident, since=REGISTERED_ON)
    left_on = datetime.date(2026, 1, 20)
    clock(left_on + DAY)
    services.residence_end(actor=resident.user, registration=first, ended_on=left_on, reason="搬家")
    register(resident, since=left_on + DAY, community=fushan_community)

    assert permits_selectors.permit_eligibility(resident=resident, today=HALF_YEAR_ON).continuous_since == REGISTERED_ON


def test_a_gap_of_more_than_a_day_between_registrations_restarts_the_count(resident, fushan_community, clock):
    clock(REGISTERED_ON)
    first = register(resident, since=REGISTERED_ON)
    left_on = datetime.date(2026, 1, 20)
    restarted_on = left_on + 2 * DAY
    clock(restarted_on)
    services.residence_end(actor=resident.user, registration=first, ended_on=left_on, reason="回老家")
    register(resident, since=restarted_on, community=fushan_community)
    clock(HALF_YEAR_ON)

    facts = permits_selectors.permit_eligibility(resident=resident)
    error = refused(start_application, resident=resident)

    assert facts.continuous_since == restarted_on
    assert facts.eligible_from == restarted_on + relativedelta(months=6)
    assert not facts.residence_met
    assert error.code == "residence_too_short"
    assert (restarted_on + relativedelta(months=6)).isoformat() in str(error.message)


# --- the talent type, and the other conditions ------------------------------------------------------------


def test_a_talent_can_apply_one_day_after_registering(resident, clock):
    clock(REGISTERED_ON)
    register(resident, since=REGISTERED_ON)
    clock(REGISTERED_ON + DAY)

    assert refused(start_application, resident=resident, type_key="employment").code == "residence_too_short"
    case = start_application(resident, type_key="talent")

    assert case.permit_application.permit_type.key == "talent"


def test_even_a_talent_needs_a_residence_registration(resident):
    error = refused(start_application, resident=resident, type_key="talent")

    assert (error.code, error.field) == ("not_registered", "applicant")
    assert not Case.objects.exists()


def test_without_a_registration_the_application_is_refused_as_not_registered(resident):
    error = refused(start_application, resident=resident)

    assert error.code == "not_registered"
    assert not Case.objects.exists()


def test_a_holder_cannot_apply_for_a_second_permit(resident):
    registered_long_enough(resident)
    permit = permit_row(resident, issued_on=ISSUED)

    error = refused(start_application, resident=resident)

    assert (error.code, error.conflict) == ("permit_held", True)
    assert permit.number in str(error.message)
    assert Case.objects.filter(applicant=resident).count() == 1  # the permit's own application only


def test_a_second_application_while_one_is_open_is_a_conflict_until_the_first_is_withdrawn(resident):
    registered_long_enough(resident)
    first = start_application(resident)

    error = refused(start_application, resident=resident, **WINDOW)
    cases_services.case_withdraw(actor=resident.user, case=first)
    second = start_application(resident, **WINDOW)

    assert (error.code, error.conflict) == ("permit_application_open", True)
    assert first.reference in str(error.message)
    assert second.pk != first.pk and second.status == CaseStatus.DRAFT
    assert Case.objects.filter(applicant=resident).count() == 2


def test_a_closed_permit_type_is_not_accepted(resident):
    registered_long_enough(resident)
    kind = permit_type("study")
    kind.is_active = False
    kind.save()

    assert refused(start_application, resident=resident, type_key="study").code == "permit_type_closed"
    assert not Case.objects.exists()


# --- delivery details at the start --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery", "code", "field"),
    [
        ({**EXPRESS, "delivery_address": ""}, "delivery_address_required", "delivery_address"),
        ({**EXPRESS, "recipient_name": "  "}, "recipient_name_required", "recipient_name"),
        ({**EXPRESS, "recipient_phone": ""}, "recipient_phone_required", "recipient_phone"),
        ({**EXPRESS, "recipient_phone": "12345"}, "phone_invalid", "recipient_phone"),
        ({"delivery_method": "pigeon"}, "delivery_method_invalid", "delivery_method"),
    ],
    ids=["no address", "no name", "no phone", "invalid phone", "unknown method"],
)
def test_bad_delivery_details_are_refused_on_their_field_and_no_case_is_opened(resident, delivery, code, field):
    registered_long_enough(resident)
    events_before = AuditEvent.objects.count()

    error = refused(start_application, resident=resident, **delivery)

    assert (error.code, error.field) == (code, field)
    assert not Case.objects.exists()
    assert not PermitApplication.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_express_details_are_stored_normalised_and_collection_needs_none(resident, other_resident):
    registered_long_enough(resident)
    registered_long_enough(other_resident)

    express = start_application(resident).permit_application
    window = start_application(other_resident, delivery_method=DeliveryMethod.WINDOW, recipient_name="赵强")
    window_detail = window.permit_application

    assert (express.recipient_name, express.recipient_phone) == ("王芳", "+8613800138000")
    assert window_detail.delivery_method == DeliveryMethod.WINDOW
    assert (window_detail.recipient_name, window_detail.recipient_phone, window_detail.delivery_address) == ("", "", "")


# --- the checklist comes from the permit type (条例 art. 9) ----------------------------------------------


def test_submitting_without_a_document_the_type_requires_is_refused_naming_it(resident):
    registered_long_enough(resident)
    case = start_application(resident)
    for kind in ("id_card", "photo", "address_proof"):
        cases_services.case_document_upload(actor=resident.user, case=case, kind=kind, upload=pdf())

    error = refused(cases_services.case_submit, actor=resident.user, case=case)

    assert (error.code, error.field) == ("documents_missing", "documents")
    assert EMPLOYMENT_PROOF in str(error.message)
    assert "居民身份证" not in str(error.message)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_each_type_has_its_own_proof(resident):
    registered_long_enough(resident)
    case = start_application(resident, type_key="study")
    for kind in ("id_card", "photo", "address_proof"):
        cases_services.case_document_upload(actor=resident.user, case=case, kind=kind, upload=pdf())

    error = refused(cases_services.case_submit, actor=resident.user, case=case)
    refused_kind = refused(cases_services.case_document_upload, actor=resident.user, case=case, kind="employment_proof",
                           upload=pdf())  # fmt: skip

    assert "学校出具的在读证明" in str(error.message)
    assert refused_kind.code == "document_kind_invalid"


def test_a_document_the_administrator_adds_to_a_type_is_required_of_new_applications(resident):
    registered_long_enough(resident)
    kind = permit_type("employment")
    kind.documents = [*kind.documents, {"key": "social_insurance", "label_zh": "社保缴纳证明",
                                        "label_en": "Social insurance record", "required": True}]  # fmt: skip
    kind.save()
    case = start_application(resident)
    for key in ("id_card", "photo", "address_proof", "employment_proof"):
        cases_services.case_document_upload(actor=resident.user, case=case, kind=key, upload=pdf())

    error = refused(cases_services.case_submit, actor=resident.user, case=case)
    cases_services.case_document_upload(actor=resident.user, case=case, kind="social_insurance", upload=pdf())
    case = cases_services.case_submit(actor=resident.user, case=case)

    assert error.code == "documents_missing"
    assert "社保缴纳证明" in str(error.message)
    assert case.status == CaseStatus.SUBMITTED


def test_the_missing_documents_notice_is_sent_once_and_resubmission_needs_what_it_listed(resident, caseworker, clock):
    registered_long_enough(resident)
    case = submitted_application(resident)
    clock(TODAY, hour=11)
    case = cases_services.case_request_documents(actor=caseworker, case=case, missing=["photo", "employment_proof"],
                                           note="照片需白底")  # fmt: skip

    again = refused(cases_services.case_request_documents, actor=caseworker, case=case, missing=["id_card"])
    clock(TODAY, hour=12)
    cases_services.case_document_upload(actor=resident.user, case=case, kind="photo", upload=pdf("白底照片.pdf"))
    still = refused(cases_services.case_resubmit, actor=resident.user, case=case)
    cases_services.case_document_upload(actor=resident.user, case=case, kind="employment_proof", upload=pdf())
    case = cases_services.case_resubmit(actor=resident.user, case=case)

    assert (again.code, again.conflict) == ("notice_already_sent", True)
    assert still.code == "documents_missing"
    assert EMPLOYMENT_PROOF in str(still.message) and "证件照" not in str(still.message)
    assert case.status == CaseStatus.RESUBMITTED
    assert case.missing_documents == ["photo", "employment_proof"]
    assert case.due_at == now_at(TODAY, 12) + datetime.timedelta(days=15)
    [notice] = notes_to(resident.user, "case.needs_documents")
    assert EMPLOYMENT_PROOF in notice.context["missing"]["zh"]


def test_a_document_the_notice_asked_for_can_still_be_supplied_after_the_administrator_drops_it_from_the_type(
    resident, caseworker, clock
):
    """BUG (residents/services.py, _permit_documents, read live by case_document_upload and case_resubmit):
    a permit case's checklist is read from its PermitType at every call, not fixed when the case is submitted.
    When an administrator removes a document (or renames its key) after a notice listed it, the applicant can
    no longer upload it ("document_kind_invalid") and case_resubmit keeps asking for it (under the label
    "其他材料", which uploading "other" does not satisfy): the case can only be withdrawn or refused."""
    registered_long_enough(resident)
    case = submitted_application(resident)
    clock(TODAY, hour=11)
    case = cases_services.case_request_documents(actor=caseworker, case=case, missing=["employment_proof"])
    kind = permit_type("employment")
    kind.documents = [item for item in kind.documents if item["key"] != "employment_proof"]
    kind.save()
    clock(TODAY, hour=12)

    try:
        cases_services.case_document_upload(actor=resident.user, case=case, kind="employment_proof", upload=pdf())
        case = cases_services.case_resubmit(actor=resident.user, case=case)
    except DomainError as error:
        pytest.fail(f"the applicant cannot answer the notice any more: {error.code} ({error})")

    assert case.status == CaseStatus.RESUBMITTED


# --- the 15-day deadline and the conditions again at submission -----------------------------------------


def test_submission_gives_a_receipt_with_a_deadline_fifteen_days_on(resident):
    registered_long_enough(resident)

    case = submitted_application(resident)

    assert case.status == CaseStatus.SUBMITTED
    assert case.submitted_at == timezone.now() == now_at(TODAY)
    assert case.due_at == case.submitted_at + datetime.timedelta(days=15)
    assert case.street == street("塔山街道")
    assert re.fullmatch(rf"JZ{TODAY:%Y%m%d}\d{{7}}", case.reference)
    assert len(notes_to(resident.user, "case.submitted")) == 1


def test_a_registration_ended_between_start_and_submission_stops_the_submission(resident):
    registration = registered_long_enough(resident)
    case = start_application(resident)
    upload_permit_documents(case)
    services.residence_end(actor=resident.user, registration=registration, ended_on=TODAY, reason="离开越城")

    error = refused(cases_services.case_submit, actor=resident.user, case=case)

    assert error.code == "not_registered"
    case.refresh_from_db()
    assert (case.status, case.submitted_at, case.due_at) == (CaseStatus.DRAFT, None, None)
    assert notes_to(resident.user, "case.submitted") == []


# --- approval issues the permit ---------------------------------------------------------------------------


def test_approval_issues_a_permit_numbered_by_the_district_valid_for_a_year(resident, caseworker):
    case = approved_application(resident, caseworker)

    permit = Permit.objects.get(holder=resident)
    assert case.status == CaseStatus.APPROVED
    assert re.fullmatch(rf"330602{TODAY:%Y}\d{{8}}", permit.number)
    assert permit.issued_on == TODAY
    assert permit.valid_until == TODAY + relativedelta(years=1) - DAY == datetime.date(2027, 3, 9)
    assert (permit.application, permit.permit_type.key, permit.card_serial) == (case, "employment", 1)
    assert permit.continuity_restarted_on is None and permit.is_valid
    assert PermitApplication.objects.get(case=case).permit == permit
    [issued] = events(PermitEvent.PERMIT_ISSUED)
    assert (issued.actor, issued.subject, issued.object_id) == (caseworker, resident, str(permit.pk))
    assert issued.new_values["number"] == permit.number
    assert issued.new_values["valid_until"] == "2027-03-09"


def test_a_permit_is_approved_only_once(resident, caseworker):
    case = approved_application(resident, caseworker)

    error = refused(cases_services.case_approve, actor=caseworker, case=case)

    assert (error.code, error.conflict) == ("transition_not_allowed", True)
    assert Permit.objects.count() == 1
    assert len(events(PermitEvent.PERMIT_ISSUED)) == 1


def test_a_refused_application_issues_nothing_and_a_new_one_may_be_made(resident, caseworker):
    registered_long_enough(resident)
    case = cases_services.case_refuse(actor=caseworker, case=submitted_application(resident), reason="就业证明无法核实")

    again = start_application(resident)

    assert case.status == CaseStatus.REFUSED
    assert not Permit.objects.exists()
    assert again.status == CaseStatus.DRAFT


# --- dispatch and delivery ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("courier", "tracking_number", "code", "field"),
    [
        ("", "SF1234567890", "courier_required", "courier"),
        ("顺丰速运", "", "tracking_number_invalid", "tracking_number"),
        ("顺丰速运", "12345", "tracking_number_invalid", "tracking_number"),
        ("顺丰速运", "SF 1234 5678", "tracking_number_invalid", "tracking_number"),
    ],
    ids=["no courier", "no tracking number", "too short", "with spaces"],
)
def test_sending_by_express_needs_a_courier_and_a_valid_tracking_number(
    resident, caseworker, courier, tracking_number, code, field
):
    case = approved_application(resident, caseworker)
    events_before = AuditEvent.objects.count()

    error = refused(permits_services.permit_dispatch, actor=caseworker, case=case, courier=courier,
                    tracking_number=tracking_number)  # fmt: skip

    assert (error.code, error.field) == (code, field)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    detail = PermitApplication.objects.get(case=case)
    assert (detail.courier, detail.tracking_number, detail.dispatched_at) == ("", "", None)
    assert AuditEvent.objects.count() == events_before
    assert notes_to(resident.user, "permit.dispatched") == []


def test_sending_by_express_tells_the_applicant_the_courier_and_tracking_number(resident, caseworker, clock):
    case = approved_application(resident, caseworker)
    clock(TODAY + 3 * DAY)

    case = permits_services.permit_dispatch(
        actor=caseworker, case=case, courier=" 顺丰速运 ", tracking_number="sf1234567890"
    )

    assert case.status == CaseStatus.ISSUED
    detail = PermitApplication.objects.get(case=case)
    assert (detail.courier, detail.tracking_number) == ("顺丰速运", "SF1234567890")
    assert detail.dispatched_at == now_at(TODAY + 3 * DAY)
    [message] = notes_to(resident.user, "permit.dispatched")
    assert (message.context["courier"], message.context["tracking_number"]) == ("顺丰速运", "SF1234567890")
    assert message.context["reference"] == case.reference
    [event] = events(PermitEvent.PERMIT_DISPATCHED)
    assert event.actor == caseworker and event.new_values["tracking_number"] == "SF1234567890"


def test_collection_at_the_window_needs_no_tracking_and_says_where(resident, caseworker):
    case = approved_application(resident, caseworker, **WINDOW)

    case = permits_services.permit_dispatch(actor=caseworker, case=case)

    assert case.status == CaseStatus.ISSUED
    detail = PermitApplication.objects.get(case=case)
    assert (detail.courier, detail.tracking_number) == ("", "")
    assert detail.dispatched_at == now_at(TODAY)
    [message] = notes_to(resident.user, "permit.ready_for_collection")
    assert message.context["window"]["zh"] == "塔山街道新居民服务窗口"
    assert notes_to(resident.user, "permit.dispatched") == []


def test_delivery_closes_the_case_with_the_day_it_arrived(resident, caseworker, clock):
    case = approved_application(resident, caseworker)
    case = permits_services.permit_dispatch(actor=caseworker, case=case, courier="EMS", tracking_number="EA123456789CN")
    clock(TODAY + 5 * DAY)

    case = permits_services.permit_deliver(actor=caseworker, case=case)

    assert case.status == CaseStatus.DELIVERED
    assert PermitApplication.objects.get(case=case).delivered_at == now_at(TODAY + 5 * DAY)


def test_a_card_is_not_sent_before_approval_nor_delivered_before_it_is_sent(resident, caseworker):
    registered_long_enough(resident)
    case = submitted_application(resident, **WINDOW)

    early = refused(permits_services.permit_dispatch, actor=caseworker, case=case)
    case = cases_services.case_approve(actor=caseworker, case=case)
    undelivered = refused(permits_services.permit_deliver, actor=caseworker, case=case)

    assert early.code == undelivered.code == "transition_not_allowed"
    detail = PermitApplication.objects.get(case=case)
    assert (detail.dispatched_at, detail.delivered_at) == (None, None)


@pytest.mark.parametrize("who", ["applicant", "caseworker_elsewhere"])
def test_only_a_caseworker_of_the_street_may_send_the_card(resident, caseworker, caseworker_elsewhere, who):
    case = approved_application(resident, caseworker)
    actor = resident.user if who == "applicant" else caseworker_elsewhere

    error = refused(permits_services.permit_dispatch, actor=actor, case=case, courier="顺丰速运",
                    tracking_number="SF1234567890")  # fmt: skip

    assert error.code == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    assert PermitApplication.objects.get(case=case).tracking_number == ""


def test_someone_not_allowed_to_send_the_card_is_told_so_before_their_input_is_checked(
    resident, caseworker, caseworker_elsewhere
):
    """BUG (residents/services.py, permit_dispatch): the courier and tracking number are validated before
    case_transition checks the actor, so an applicant or a caseworker of another street gets "courier_required"
    (and learns the case is an express one, and takes a row lock) instead of "not_allowed". case_transition's
    own rule is "who may act is checked before what the case allows"."""
    case = approved_application(resident, caseworker)

    codes = {
        who: refused(permits_services.permit_dispatch, actor=actor, case=case).code
        for who, actor in (("applicant", resident.user), ("caseworker_elsewhere", caseworker_elsewhere))
    }

    assert codes == {"applicant": "not_allowed", "caseworker_elsewhere": "not_allowed"}, (
        f"permit_dispatch checks its input before the actor: {codes}"
    )


# --- the endorsement window (条例 art. 10) ----------------------------------------------------------------


@pytest.fixture
def issued_permit(resident):  # type: ignore[no-untyped-def]
    """The owner's permit issued on 15 March 2025 (V = 14 March 2026); registered since January 2024."""
    register(resident, since=datetime.date(2024, 1, 1))
    return permit_row(resident, issued_on=ISSUED)


def test_the_endorsement_window_is_the_month_before_the_anniversary(issued_permit):
    assert issued_permit.valid_until == V
    assert permits_selectors.endorsement_window(issued_permit) == (WINDOW_OPENS, V)


def test_the_day_before_the_window_opens_the_endorsement_is_refused_with_both_dates(resident, issued_permit, clock):
    clock(WINDOW_OPENS - DAY)

    error = refused(endorse, permit=issued_permit, actor=resident.user)

    assert error.code == "endorsement_not_open"
    assert WINDOW_OPENS.isoformat() in str(error.message) and V.isoformat() in str(error.message)
    assert not PermitEndorsement.objects.exists()
    assert not Case.objects.filter(case_type=permits_selectors.PERMIT_ENDORSEMENT_CASE_TYPE).exists()


@pytest.mark.parametrize(
    ("day", "late"),
    [(WINDOW_OPENS, False), (V, False), (V + DAY, True)],
    ids=["the day the window opens", "the last day of the year", "the day after"],
)
def test_an_endorsement_is_on_time_up_to_the_last_day_and_late_from_the_next(resident, issued_permit, clock, day, late):
    clock(day)

    case = endorse(issued_permit, resident.user)

    endorsement = PermitEndorsement.objects.get(case=case)
    assert (endorsement.applied_on, endorsement.year_ending, endorsement.late) == (day, V, late)
    assert case.case_type == permits_selectors.PERMIT_ENDORSEMENT_CASE_TYPE
    assert case.reference.startswith("QZ")


def test_an_on_time_endorsement_of_a_registered_holder_is_approved_by_the_rule(resident, issued_permit, clock):
    day = datetime.date(2026, 3, 1)
    clock(day)

    case = endorse(issued_permit, resident.user)

    issued_permit.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert issued_permit.valid_until == NEXT_YEAR_ENDS == permits_selectors.permit_anniversary(issued_permit, 2) - DAY
    assert issued_permit.continuity_restarted_on is None
    endorsement = PermitEndorsement.objects.get(case=case)
    assert (endorsement.automatic, endorsement.endorsed_on, endorsement.valid_until_after) == (
        True, day, NEXT_YEAR_ENDS,
    )  # fmt: skip
    approval = AuditEvent.objects.get(
        event_type=CaseEvent.CASE_TRANSITION, object_id=str(case.pk), new_values__status=CaseStatus.APPROVED
    )
    assert (approval.actor, approval.reason) == (None, AUTOMATIC_REASON)
    [endorsed] = events(PermitEvent.PERMIT_ENDORSED)
    assert endorsed.actor is None
    assert endorsed.old_values == {"valid_until": V.isoformat()}
    assert endorsed.new_values == {"valid_until": NEXT_YEAR_ENDS.isoformat(), "late": False}
    assert permits_selectors.residence_counted_from(resident=resident) == datetime.date(2024, 1, 1)


def test_after_an_endorsement_the_next_one_waits_for_next_years_window(resident, issued_permit, clock):
    clock(datetime.date(2026, 3, 1))
    endorse(issued_permit, resident.user)
    issued_permit.refresh_from_db()

    error = refused(endorse, permit=issued_permit, actor=resident.user)

    assert error.code == "endorsement_not_open"
    assert "2027-02-15" in str(error.message)


@pytest.fixture
def unregistered_holder_permit(resident, clock):  # type: ignore[no-untyped-def]
    """The owner's permit (V = 14 March 2026); their registration ended in January 2026."""
    clock(datetime.date(2026, 1, 31))
    registration = register(resident, since=datetime.date(2024, 1, 1))
    services.residence_end(actor=resident.user, registration=registration, ended_on=datetime.date(2026, 1, 31),
                           reason="离开越城")  # fmt: skip
    return permit_row(resident, issued_on=ISSUED)


def test_a_holder_no_longer_registered_waits_for_a_caseworker(resident, unregistered_holder_permit, clock):
    clock(datetime.date(2026, 3, 1))

    case = endorse(unregistered_holder_permit, resident.user)

    assert case.status == CaseStatus.SUBMITTED
    assert case.street == street("塔山街道")
    assert case.due_at == case.submitted_at + datetime.timedelta(days=15)
    assert PermitEndorsement.objects.get(case=case).automatic is False
    unregistered_holder_permit.refresh_from_db()
    assert unregistered_holder_permit.valid_until == V
    assert not events(PermitEvent.PERMIT_ENDORSED)


def test_a_caseworker_refusing_the_endorsement_leaves_the_permit_as_it_was(
    resident, unregistered_holder_permit, caseworker, clock
):
    clock(datetime.date(2026, 3, 1))
    case = endorse(unregistered_holder_permit, resident.user)

    case = cases_services.case_refuse(actor=caseworker, case=case, reason="已不在越城区居住")

    unregistered_holder_permit.refresh_from_db()
    assert (case.status, case.decision_reason) == (CaseStatus.REFUSED, "已不在越城区居住")
    assert unregistered_holder_permit.valid_until == V
    endorsement = PermitEndorsement.objects.get(case=case)
    assert (endorsement.endorsed_on, endorsement.valid_until_after) == (None, None)


def test_a_caseworker_approving_the_endorsement_extends_the_permit(
    resident, unregistered_holder_permit, caseworker, clock
):
    clock(datetime.date(2026, 3, 1))
    case = endorse(unregistered_holder_permit, resident.user)
    clock(datetime.date(2026, 3, 5))

    cases_services.case_approve(actor=caseworker, case=case)

    unregistered_holder_permit.refresh_from_db()
    assert unregistered_holder_permit.valid_until == NEXT_YEAR_ENDS
    endorsement = PermitEndorsement.objects.get(case=case)
    assert (endorsement.endorsed_on, endorsement.automatic) == (datetime.date(2026, 3, 5), False)
    [endorsed] = events(PermitEvent.PERMIT_ENDORSED)
    assert endorsed.actor == caseworker


def test_a_second_endorsement_while_one_is_pending_is_a_conflict(resident, unregistered_holder_permit, clock):
    clock(datetime.date(2026, 3, 1))
    first = endorse(unregistered_holder_permit, resident.user)

    error = refused(endorse, permit=unregistered_holder_permit, actor=resident.user)

    assert (error.code, error.conflict) == ("endorsement_pending", True)
    assert first.reference in str(error.message)
    assert PermitEndorsement.objects.count() == 1


# --- suspension and late endorsement --------------------------------------------------------------------


def test_the_day_after_its_year_ends_an_unendorsed_permit_is_suspended(issued_permit, clock):
    clock(V + DAY)

    assert issued_permit.is_valid_on(V) and not issued_permit.is_valid_on(V + DAY)
    assert not issued_permit.is_valid
    assert list(Permit.objects.lapsed_on(V + DAY)) == [issued_permit]
    assert not Permit.objects.valid_on(V + DAY).exists()
    assert list(Permit.objects.valid_on(V)) == [issued_permit]


@pytest.mark.parametrize(
    ("applied_on", "valid_until"),
    [
        (datetime.date(2026, 5, 1), datetime.date(2027, 3, 14)),
        (datetime.date(2027, 2, 14), datetime.date(2027, 3, 14)),  # the 2027 window opens the next day
        (datetime.date(2027, 2, 15), datetime.date(2028, 3, 14)),  # the 2027 window has opened
        (datetime.date(2027, 6, 1), datetime.date(2028, 3, 14)),
    ],
    ids=["weeks late", "the eve of next year's window", "in next year's window", "over a year late"],
)
def test_a_late_endorsement_restores_the_permit_and_restarts_continuous_residence(
    resident, issued_permit, clock, applied_on, valid_until
):
    clock(applied_on)
    assert not issued_permit.is_valid
    assert permits_selectors.residence_counted_from(resident=resident) == datetime.date(2024, 1, 1)

    case = endorse(issued_permit, resident.user)

    issued_permit.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert issued_permit.is_valid
    assert issued_permit.valid_until == valid_until
    assert issued_permit.continuity_restarted_on == applied_on
    assert permits_selectors.residence_counted_from(resident=resident) == applied_on
    endorsement = PermitEndorsement.objects.get(case=case)
    assert endorsement.late and endorsement.valid_until_after == valid_until
    [endorsed] = events(PermitEvent.PERMIT_ENDORSED)
    assert endorsed.new_values["continuity_restarted_on"] == applied_on.isoformat()


def test_a_late_endorsement_decided_by_a_caseworker_restarts_the_count_from_the_day_it_was_asked_for(
    resident, unregistered_holder_permit, caseworker, clock
):
    asked_on = datetime.date(2026, 4, 2)
    clock(asked_on)
    case = endorse(unregistered_holder_permit, resident.user)
    clock(asked_on + 10 * DAY)

    cases_services.case_approve(actor=caseworker, case=case)

    unregistered_holder_permit.refresh_from_db()
    assert unregistered_holder_permit.continuity_restarted_on == asked_on
    assert unregistered_holder_permit.valid_until == NEXT_YEAR_ENDS


def test_a_later_registration_still_counts_from_its_own_start_after_a_restart(
    resident, issued_permit, fushan_community, clock
):
    clock(datetime.date(2026, 5, 1))
    endorse(issued_permit, resident.user)
    registration = selectors.residence_current(resident=resident)
    clock(datetime.date(2026, 9, 1))
    services.residence_end(actor=resident.user, registration=registration, ended_on=datetime.date(2026, 6, 1),
                           reason="离开越城")  # fmt: skip
    register(resident, since=datetime.date(2026, 8, 1), community=fushan_community)

    assert permits_selectors.residence_counted_from(resident=resident) == datetime.date(2026, 8, 1)


# --- 29 February ----------------------------------------------------------------------------------------


def test_a_permit_issued_on_29_february_has_its_anniversaries_on_28_february(resident, caseworker, clock):
    leap_day = datetime.date(2024, 2, 29)
    clock(leap_day)
    register(resident, since=datetime.date(2023, 8, 1))
    cases_services.case_approve(actor=caseworker, case=submitted_application(resident))
    permit = Permit.objects.get(holder=resident)

    assert (permit.issued_on, permit.valid_until) == (leap_day, datetime.date(2025, 2, 27))
    assert permits_selectors.permit_anniversary(permit, 1) == datetime.date(2025, 2, 28)
    assert permits_selectors.endorsement_window(permit) == (datetime.date(2025, 1, 28), datetime.date(2025, 2, 27))

    clock(datetime.date(2025, 2, 10))
    endorse(permit, resident.user)
    permit.refresh_from_db()
    assert permit.valid_until == datetime.date(2026, 2, 27)

    clock(datetime.date(2026, 2, 27))
    endorse(permit, resident.user)
    permit.refresh_from_db()
    assert permit.valid_until == datetime.date(2027, 2, 27)

    clock(datetime.date(2027, 2, 1))
    endorse(permit, resident.user)
    permit.refresh_from_db()
    assert permit.valid_until == datetime.date(2028, 2, 28)  # 2028 is a leap year: the anniversary is the 29th


# --- replacement cards ----------------------------------------------------------------------------------


def test_a_lost_card_is_replaced_with_the_same_number_and_validity_and_a_new_qr_code(resident, caseworker):
    permit = permit_row(resident, issued_on=datetime.date(2025, 9, 1))
    old_token, number, valid_until = permit.verify_token, permit.number, permit.valid_until

    case = permits_services.permit_replacement_start(actor=resident.user, permit=permit, reason=ReplacementReason.LOST,
                                             **WINDOW)  # fmt: skip
    assert (case.case_type, case.status) == (permits_selectors.PERMIT_REPLACEMENT_CASE_TYPE, CaseStatus.DRAFT)
    detail = PermitApplication.objects.get(case=case)
    assert (detail.permit, detail.replacement_reason) == (permit, ReplacementReason.LOST)
    cases_services.case_document_upload(actor=resident.user, case=case, kind="photo", upload=pdf())
    case = cases_services.case_submit(actor=resident.user, case=case)
    cases_services.case_approve(actor=caseworker, case=case)

    permit.refresh_from_db()
    assert (permit.number, permit.valid_until, permit.card_serial) == (number, valid_until, 2)
    assert permit.verify_token != old_token
    assert permits_selectors.permit_by_token(old_token) is None
    assert permits_selectors.permit_by_token(permit.verify_token) == permit
    assert Permit.objects.count() == 1
    [replaced] = events(PermitEvent.PERMIT_CARD_REPLACED)
    assert replaced.new_values == {"card_serial": 2, "replacement_reason": ReplacementReason.LOST}


def test_a_replacement_needs_a_photo(resident):
    permit = permit_row(resident, issued_on=datetime.date(2025, 9, 1))
    case = permits_services.permit_replacement_start(
        actor=resident.user, permit=permit, reason=ReplacementReason.DAMAGED, **EXPRESS
    )

    error = refused(cases_services.case_submit, actor=resident.user, case=case)

    assert error.code == "documents_missing" and "证件照" in str(error.message)


def test_a_second_open_replacement_is_a_conflict(resident):
    permit = permit_row(resident, issued_on=datetime.date(2025, 9, 1))
    first = permits_services.permit_replacement_start(actor=resident.user, permit=permit, reason=ReplacementReason.LOST,
                                              **WINDOW)  # fmt: skip

    error = refused(permits_services.permit_replacement_start, actor=resident.user, permit=permit,
                    reason=ReplacementReason.DAMAGED, **WINDOW)  # fmt: skip

    assert (error.code, error.conflict) == ("replacement_open", True)
    assert first.reference in str(error.message)
    assert Case.objects.filter(case_type=permits_selectors.PERMIT_REPLACEMENT_CASE_TYPE).count() == 1


def test_a_replacement_needs_a_known_reason(resident):
    permit = permit_row(resident, issued_on=datetime.date(2025, 9, 1))

    error = refused(
        permits_services.permit_replacement_start, actor=resident.user, permit=permit, reason="stolen", **WINDOW
    )

    assert (error.code, error.field) == ("replacement_reason_invalid", "reason")
    assert not Case.objects.filter(case_type=permits_selectors.PERMIT_REPLACEMENT_CASE_TYPE).exists()


# --- who may act --------------------------------------------------------------------------------------


def test_another_resident_cannot_apply_for_someone_else(resident, other_resident):
    registered_long_enough(resident)

    error = refused(start_application, resident=resident, actor=other_resident.user)

    assert error.code == "not_allowed"
    assert not Case.objects.exists()


def test_a_caseworker_of_another_street_cannot_apply_for_them_but_one_of_theirs_can(
    resident, caseworker, caseworker_elsewhere
):
    registered_long_enough(resident)

    assert refused(start_application, resident=resident, actor=caseworker_elsewhere).code == "not_allowed"
    case = start_application(resident, actor=caseworker)

    assert (case.applicant, case.opened_by) == (resident, caseworker)


def test_another_resident_cannot_endorse_or_replace_someone_elses_permit(
    resident, other_resident, issued_permit, clock
):
    clock(datetime.date(2026, 3, 1))

    endorsing = refused(endorse, permit=issued_permit, actor=other_resident.user)
    replacing = refused(permits_services.permit_replacement_start, actor=other_resident.user, permit=issued_permit,
                        reason=ReplacementReason.LOST, **WINDOW)  # fmt: skip

    assert endorsing.code == replacing.code == "not_allowed"
    assert not PermitEndorsement.objects.exists()
    issued_permit.refresh_from_db()
    assert issued_permit.valid_until == V


def test_a_guardian_applies_for_and_endorses_their_childs_permit(resident, caseworker, tashan_community, clock):
    child = ResidentFactory(name="王小宝", user=None, birth_date=datetime.date(2012, 5, 1), community=tashan_community)
    guardian_link(resident, child)
    register(child, since=datetime.date(2025, 1, 1), actor=resident.user)

    case = start_application(child, actor=resident.user, **{**EXPRESS, "recipient_name": "王芳"})
    upload_permit_documents(case, actor=resident.user)
    case = cases_services.case_submit(actor=resident.user, case=case)
    cases_services.case_approve(actor=caseworker, case=case)
    permit = Permit.objects.get(holder=child)
    clock(permit.valid_until - 5 * DAY)
    endorsement = endorse(permit, resident.user)

    assert (case.applicant, case.opened_by) == (child, resident.user)
    assert len(notes_to(resident.user, "case.approved")) == 2  # the application's and the endorsement's
    assert endorsement.status == CaseStatus.APPROVED
    permit.refresh_from_db()
    assert permit.valid_until == TODAY + relativedelta(years=2) - DAY


def test_a_stranger_cannot_apply_for_a_child_who_is_not_theirs(resident, other_resident, tashan_community):
    child = ResidentFactory(user=None, birth_date=datetime.date(2012, 5, 1), community=tashan_community)
    guardian_link(resident, child)
    register(child, since=datetime.date(2025, 1, 1), actor=resident.user)

    assert refused(start_application, resident=child, actor=other_resident.user).code == "not_allowed"


# --- two applications at once -----------------------------------------------------------------------------


def test_a_second_start_for_the_same_applicant_is_refused(resident, caseworker):
    registered_long_enough(resident)
    start_application(resident)

    by_caseworker = refused(start_application, resident=resident, actor=caseworker, **WINDOW)

    assert by_caseworker.code == "permit_application_open"
    assert Case.objects.filter(applicant=resident).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_starts_at_the_same_moment_open_one_application(resident):
    # Real threads, each with its own connection and transaction: the applicant's row lock serialises them.
    registered_long_enough(resident)
    barrier, outcomes = threading.Barrier(2), []

    def attempt(delivery: dict[str, str]) -> None:
        try:
            barrier.wait()
            permits_services.permit_application_start(actor=resident.user, applicant=resident,
                                              permit_type=permit_type("employment"), **delivery)  # fmt: skip
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(d,)) for d in (EXPRESS, WINDOW)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok", "permit_application_open"]
    assert Case.objects.filter(applicant=resident, case_type=permits_selectors.PERMIT_CASE_TYPE).count() == 1
