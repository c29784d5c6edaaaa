"""Applying for a school place: who may apply (a guardian with a valid residence permit, their own child, of the
round's age, while the round takes applications, once per round), ranking schools, submitting with the four
documents, the caseworker's document check (the generic casework), withdrawing — and bad input saving nothing."""

from __future__ import annotations

import datetime

import pytest

from cases import services as cases_services
from cases.casetypes import case_type_get
from cases.choices import CaseStatus
from cases.models import Case
from education import services
from education.casetype import ENROLMENT_CASE_TYPE
from education.choices import EnrolmentEvent, RoundStatus
from education.models import EnrolmentApplication, EnrolmentPreference, EnrolmentRound, RoundSchool, School
from notifications.models import Notification, NotificationTemplate
from permits.models import Permit
from residents.models import AuditEvent

from ..casework import refused
from ..factories import street
from .factories import (
    APPLICATIONS_CLOSE,
    APPLICATIONS_OPEN,
    BORN_ON_OR_AFTER,
    BORN_ON_OR_BEFORE,
    PREFERENCES_CLOSE,
    family,
    on,
    school,
    start,
    submitted,
    upload_documents,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def nothing_saved() -> bool:
    return not EnrolmentApplication.objects.exists() and not Case.objects.filter(case_type=ENROLMENT_CASE_TYPE).exists()


# --- the defaults an administrator starts from --------------------------------------------------------


def test_example_schools_and_the_2027_rounds_are_loaded_as_drafts_with_their_seats():
    assert School.objects.filter(level="primary").count() == 6
    assert School.objects.filter(level="junior").count() == 3
    primary = EnrolmentRound.objects.get(year=2027, grade="primary_1")
    assert primary.status == RoundStatus.DRAFT
    assert (primary.born_on_or_after, primary.born_on_or_before) == (BORN_ON_OR_AFTER, BORN_ON_OR_BEFORE)
    assert primary.max_preferences == 5
    assert RoundSchool.objects.filter(round=primary).count() == 6
    assert all(row.school.level == "primary" for row in RoundSchool.objects.filter(round=primary))
    assert NotificationTemplate.objects.filter(key__startswith="education.").count() == 8


# --- who may apply ------------------------------------------------------------------------------------


def test_a_parent_with_a_valid_permit_starts_a_draft_whose_applicant_is_the_child(open_round, wang):
    guardian, child = wang

    case = start(guardian, child, open_round)

    assert (case.case_type, case.status, case.applicant, case.opened_by) == (
        ENROLMENT_CASE_TYPE, CaseStatus.DRAFT, child, guardian.user,
    )  # fmt: skip
    assert case.reference.startswith("RX20270515")
    application = EnrolmentApplication.objects.get(case=case)
    assert (application.round, application.child, application.guardian, application.is_current) == (
        open_round, child, guardian, True,
    )  # fmt: skip
    assert [d.key for d in case_type_get(case.case_type).documents_for(case)] == [
        "birth_certificate", "guardian_residence_permit", "address_proof", "vaccination_certificate",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(
        event_type=EnrolmentEvent.ENROLMENT_APPLICATION_CHANGED, subject=child, object_id=str(case.pk)
    ).exists()


def test_a_parent_without_a_residence_permit_is_told_to_get_one_first(open_round, tashan_community):
    guardian, child = family("钱多", tashan_community, permit="none")

    error = refused(start, guardian=guardian, child=child, of=open_round)

    assert (error.code, error.field) == ("residence_permit_required", "guardian")
    assert "请先申领居住证" in str(error.message)
    assert nothing_saved()


def test_a_permit_suspended_for_a_missed_endorsement_is_refused_with_the_day_it_lapsed(open_round, tashan_community):
    guardian, child = family("钱多", tashan_community, permit="lapsed")
    valid_until = Permit.objects.get(holder=guardian).valid_until

    error = refused(start, guardian=guardian, child=child, of=open_round)

    assert error.code == "residence_permit_lapsed"
    assert valid_until.isoformat() in str(error.message)
    assert nothing_saved()


def test_nobody_applies_for_a_child_who_is_not_theirs(open_round, wang, zhao):
    guardian, _own_child = wang
    _other_parent, other_child = zhao

    assert refused(start, guardian=guardian, child=other_child, of=open_round).code == "not_guardian"
    # Nor by naming the other child's parent as the guardian.
    assert refused(start, guardian=_other_parent, child=other_child, of=open_round, actor=guardian.user).code == (
        "not_allowed"
    )
    assert nothing_saved()


@pytest.mark.parametrize(
    ("born", "code"),
    [
        (BORN_ON_OR_BEFORE + DAY, "child_too_young"),
        (BORN_ON_OR_AFTER - DAY, "child_too_old"),
        (BORN_ON_OR_BEFORE, None),
        (BORN_ON_OR_AFTER, None),
    ],
)
def test_the_child_must_be_of_the_rounds_age(open_round, tashan_community, born, code):
    guardian, child = family("孙丽", tashan_community, born=born)

    if code is None:
        assert start(guardian, child, open_round).status == CaseStatus.DRAFT
        return
    error = refused(start, guardian=guardian, child=child, of=open_round)

    assert (error.code, error.field) == (code, "child")
    assert born.isoformat() in str(error.message)
    assert nothing_saved()


@pytest.mark.parametrize(
    ("day", "code"),
    [(APPLICATIONS_OPEN - DAY, "applications_not_open"), (APPLICATIONS_CLOSE + DAY, "applications_closed")],
)
def test_applications_are_taken_only_within_the_window(open_round, wang, day, code):
    guardian, child = wang

    with on(day):
        error = refused(start, guardian=guardian, child=child, of=open_round)

    assert error.code == code
    assert nothing_saved()


def test_the_window_includes_its_first_and_last_day(open_round, wang, zhao):
    with on(APPLICATIONS_OPEN):
        assert start(*wang, open_round).status == CaseStatus.DRAFT
    with on(APPLICATIONS_CLOSE):
        assert start(*zhao, open_round).status == CaseStatus.DRAFT


def test_a_round_not_yet_opened_by_the_administrator_takes_no_applications(open_round, wang):
    EnrolmentRound.objects.filter(pk=open_round.pk).update(status=RoundStatus.DRAFT)

    assert refused(start, guardian=wang[0], child=wang[1], of=open_round).code == "round_not_open"
    assert nothing_saved()


def test_one_application_per_child_and_round_but_a_withdrawn_one_does_not_count(open_round, wang):
    guardian, child = wang
    first = start(guardian, child, open_round)

    error = refused(start, guardian=guardian, child=child, of=open_round)
    assert (error.code, error.conflict) == ("enrolment_application_exists", True)
    assert first.reference in str(error.message)

    services.enrolment_application_withdraw(actor=guardian.user, application=first, reason="填错了")
    assert not EnrolmentApplication.objects.get(case=first).is_current

    again = start(guardian, child, open_round)
    assert again.status == CaseStatus.DRAFT
    assert EnrolmentApplication.objects.filter(child=child, round=open_round).count() == 2


def test_a_caseworker_of_the_familys_street_may_apply_for_them_at_the_window(open_round, wang, caseworker):
    guardian, child = wang

    case = start(guardian, child, open_round, actor=caseworker)

    assert case.opened_by == caseworker
    assert EnrolmentApplication.objects.get(case=case).guardian == guardian


def test_a_caseworker_of_another_street_may_not(open_round, wang, caseworker_elsewhere):
    assert refused(start, guardian=wang[0], child=wang[1], of=open_round, actor=caseworker_elsewhere).code == (
        "not_allowed"
    )
    assert nothing_saved()


# --- ranking schools ----------------------------------------------------------------------------------


def rank(guardian, case, *schools, actor=None):  # type: ignore[no-untyped-def]
    return services.enrolment_preferences_set(actor=actor or guardian.user, application=case, schools=list(schools))


def ranked(case: Case) -> list[str]:
    return list(
        EnrolmentPreference.objects.filter(application_id=case.pk)
        .order_by("rank")
        .values_list("school__name", flat=True)
    )


def test_a_parent_ranks_schools_and_may_change_the_order_until_preferences_close(
    open_round, wang, tashan_school, fushan_school, chengnan_school
):  # type: ignore[no-untyped-def]
    guardian, child = wang
    case = start(guardian, child, open_round)

    rank(guardian, case, tashan_school, chengnan_school)
    assert ranked(case) == ["塔山小学", "城南小学"]

    with on(PREFERENCES_CLOSE):
        rank(guardian, case, chengnan_school, fushan_school, tashan_school)
    assert ranked(case) == ["城南小学", "府山小学", "塔山小学"]
    changes = AuditEvent.objects.filter(event_type=EnrolmentEvent.ENROLMENT_APPLICATION_CHANGED, subject=child)
    assert changes.last().new_values == {"preferences": [chengnan_school.pk, fushan_school.pk, tashan_school.pk]}

    with on(PREFERENCES_CLOSE + DAY):
        error = refused(rank, guardian=guardian, case=case, actor=None)
    assert (error.code, error.conflict) == ("preferences_closed", True)
    assert PREFERENCES_CLOSE.isoformat() in str(error.message)


def test_no_more_schools_than_the_round_allows(open_round, wang, tashan_community):
    guardian, child = wang
    case = start(guardian, child, open_round)
    extra = [school(f"第{n}小学", "塔山街道") for n in range(1, 5)]
    for each in extra:
        RoundSchool.objects.create(round=open_round, school=each, seats=10)
    six = [*extra, *School.objects.filter(name__in=["塔山小学", "府山小学"])]

    error = refused(services.enrolment_preferences_set, actor=guardian.user, application=case, schools=six)

    assert (error.code, error.field) == ("too_many_preferences", "schools")
    assert "最多可以填报 5 个志愿" in str(error.message)
    assert ranked(case) == []


def test_a_school_listed_twice_or_outside_the_round_is_refused_and_the_list_kept(
    open_round, wang, tashan_school, chengnan_school, junior_school
):  # type: ignore[no-untyped-def]
    guardian, child = wang
    case = start(guardian, child, open_round)
    rank(guardian, case, chengnan_school)
    no_seats = school("无学位小学", "塔山街道")
    RoundSchool.objects.create(round=open_round, school=no_seats, seats=0)

    twice = refused(services.enrolment_preferences_set, actor=guardian.user, application=case,
                    schools=[tashan_school, tashan_school])  # fmt: skip
    assert (twice.code, twice.field) == ("duplicate_preference", "schools")
    for outside in (junior_school, no_seats):
        error = refused(services.enrolment_preferences_set, actor=guardian.user, application=case, schools=[outside])
        assert error.code == "school_not_in_round"
        assert outside.name in str(error.message)
    assert ranked(case) == ["城南小学"]


def test_an_empty_list_clears_the_ranking(open_round, wang, tashan_school):
    guardian, child = wang
    case = start(guardian, child, open_round)
    rank(guardian, case, tashan_school)

    assert rank(guardian, case) == []
    assert ranked(case) == []


def test_another_parent_cannot_rank_schools_for_my_child(open_round, wang, zhao, tashan_school):
    case = start(*wang, open_round)

    assert refused(rank, guardian=zhao[0], case=case).code == "not_allowed"
    assert ranked(case) == []


def test_a_withdrawn_application_ranks_nothing(open_round, wang, tashan_school):
    guardian, child = wang
    case = start(guardian, child, open_round)
    services.enrolment_application_withdraw(actor=guardian.user, application=case)

    assert refused(rank, guardian=guardian, case=case).code == "application_closed"


# --- submitting and the document check --------------------------------------------------------------------


def test_submission_needs_the_four_documents_and_starts_the_document_check(open_round, wang):
    guardian, child = wang
    case = start(guardian, child, open_round)

    error = refused(cases_services.case_submit, actor=guardian.user, case=case)
    assert error.code == "documents_missing"
    assert "预防接种证" in str(error.message) and "出生医学证明或户口簿" in str(error.message)

    upload_documents(case, guardian.user)
    case = cases_services.case_submit(actor=guardian.user, case=case)

    assert case.status == CaseStatus.SUBMITTED
    assert case.street == street("塔山街道")
    receipt = Notification.objects.get(recipient=guardian.user, template="case.submitted")
    assert receipt.context["reference"] == case.reference


def test_a_draft_cannot_be_submitted_after_applications_close(open_round, wang):
    guardian, child = wang
    case = start(guardian, child, open_round)
    upload_documents(case, guardian.user)

    with on(APPLICATIONS_CLOSE + DAY):
        error = refused(cases_services.case_submit, actor=guardian.user, case=case)

    assert error.code == "applications_closed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_a_permit_that_lapsed_after_the_draft_stops_the_submission(open_round, wang):
    guardian, child = wang
    case = start(guardian, child, open_round)
    upload_documents(case, guardian.user)
    Permit.objects.filter(holder=guardian).update(valid_until=datetime.date(2027, 5, 1))

    assert refused(cases_services.case_submit, actor=guardian.user, case=case).code == "residence_permit_lapsed"


def test_the_caseworker_asks_once_for_what_is_missing_then_approves(open_round, wang, caseworker):
    guardian, child = wang
    case = submitted(guardian, child, open_round)

    case = cases_services.case_request_documents(
        actor=caseworker, case=case, missing=["vaccination_certificate"], note="接种证记录页看不清"
    )
    assert case.status == CaseStatus.NEEDS_DOCUMENTS
    notice = Notification.objects.get(recipient=guardian.user, template="case.needs_documents")
    assert notice.context["missing"]["zh"] == "预防接种证"

    upload_documents(case, guardian.user)
    case = cases_services.case_resubmit(actor=guardian.user, case=case)
    case = cases_services.case_approve(actor=caseworker, case=case)

    assert case.status == CaseStatus.APPROVED
    assert Notification.objects.filter(recipient=guardian.user, template="case.approved").exists()


def test_a_refusal_frees_the_child_to_apply_again_in_the_round(open_round, wang, caseworker):
    guardian, child = wang
    case = cases_services.case_refuse(
        actor=caseworker, case=submitted(guardian, child, open_round), reason="居住地址证明与居住登记不一致"
    )

    assert not EnrolmentApplication.objects.get(case=case).is_current
    assert start(guardian, child, open_round).status == CaseStatus.DRAFT


def test_a_caseworker_of_another_street_cannot_decide(open_round, wang, caseworker_elsewhere):
    case = submitted(*wang, open_round)

    assert refused(cases_services.case_approve, actor=caseworker_elsewhere, case=case).code == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_an_approved_application_may_still_be_withdrawn_before_the_allocation(open_round, wang, caseworker):
    guardian, child = wang
    case = cases_services.case_approve(actor=caseworker, case=submitted(guardian, child, open_round))

    case = services.enrolment_application_withdraw(actor=guardian.user, application=case, reason="搬回老家")

    assert case.status == CaseStatus.WITHDRAWN
    assert not EnrolmentApplication.objects.get(case=case).is_current


def test_the_case_type_cannot_be_opened_bare_through_the_generic_cases_service(wang):
    error = refused(cases_services.case_start, actor=wang[0].user, case_type=ENROLMENT_CASE_TYPE, applicant=wang[1])
    assert error.code == "case_type_has_own_start"


def test_a_case_opened_without_a_round_cannot_be_submitted(wang):
    guardian, child = wang
    case = cases_services.case_open(actor=guardian.user, case_type=ENROLMENT_CASE_TYPE, applicant=child)
    upload_documents(case, guardian.user)

    assert refused(cases_services.case_submit, actor=guardian.user, case=case).code == "round_missing"
