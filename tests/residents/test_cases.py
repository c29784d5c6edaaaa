"""The casework engine: the transitions map, who may make each move, the receipt, the one-time notice,
resubmission, refusal with reasons, withdrawal, guardians, the audit trail, races, assignment and deadlines."""

from __future__ import annotations

import datetime
import itertools
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cases import services
from cases.casetypes import (
    APPLICANT_TARGETS,
    PRODUCING_TRANSITIONS,
    STAFF_TARGETS,
    STANDARD_TRANSITIONS,
    CaseType,
    case_type_register,
    case_type_unregister,
)
from cases.choices import CaseEvent, CaseStatus
from cases.models import Case
from kernel.errors import DomainError
from notifications.models import Notification
from notifications.services import notification_render
from residents.models import AuditEvent

from ..casework import (
    DEMO,
    case_row,
    open_case,
    pdf,
    refused,
    set_status,
    submitted_case,
    team_leader_for,
)
from ..factories import ResidentFactory, UserFactory, caseworker_for, guardian_link, street

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_case_type")]

ALL_STATUSES = list(CaseStatus.values)
ALL_PAIRS = list(itertools.product(ALL_STATUSES, ALL_STATUSES))
ALLOWED = [(s, t) for s, t in ALL_PAIRS if t in STANDARD_TRANSITIONS.get(s, frozenset())]
NOT_ALLOWED = [(s, t) for s, t in ALL_PAIRS if (s, t) not in ALLOWED]


def transitions(case: Case) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(event_type=CaseEvent.CASE_TRANSITION, object_id=str(case.pk)).order_by("id")
    )


def notes_to(user, template: str | None = None) -> list[Notification]:  # type: ignore[no-untyped-def]
    rows = Notification.objects.filter(recipient=user).order_by("id")
    return list(rows.filter(template=template) if template else rows)


def upload(case: Case, kind: str, actor) -> None:  # type: ignore[no-untyped-def]
    services.case_document_upload(actor=actor, case=case, kind=kind, upload=pdf(f"{kind}.pdf"))


# --- the transitions map ------------------------------------------------------------------------------


def test_the_pairs_cover_every_status_against_every_status():
    assert len(ALL_PAIRS) == len(CaseStatus.values) ** 2
    assert len(ALLOWED) == sum(len(targets) for targets in STANDARD_TRANSITIONS.values())


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_every_move_of_the_standard_map_is_allowed_audited_and_notified(
    source, target, resident, resident_user, caseworker
):
    # Given a case put straight into the source status
    case = set_status(open_case(resident), source)
    actor = caseworker if target in STAFF_TARGETS else resident_user
    before = transitions(case)

    # When the one transition service moves it, with an actor allowed to make that move
    moved = services.case_transition(actor=actor, case=case, target=target, reason="依据第九条")

    # Then the status changed, an audit row tells from what to what, and the applicant is told
    assert moved.status == target
    assert Case.objects.get(pk=case.pk).status == target
    events = transitions(case)[len(before) :]
    assert len(events) == 1
    assert events[0].old_values == {"status": source}
    assert events[0].new_values["status"] == target
    assert events[0].actor == actor
    assert events[0].subject == resident
    assert len(notes_to(resident_user, f"case.{target}")) == 1


@pytest.mark.parametrize(("source", "target"), NOT_ALLOWED, ids=[f"{s}->{t}" for s, t in NOT_ALLOWED])
def test_every_other_move_is_refused_as_not_allowed_and_changes_nothing(
    source, target, resident, resident_user, caseworker
):
    case = set_status(open_case(resident), source)
    actor = caseworker if target in STAFF_TARGETS else resident_user
    events_before, notes_before = len(transitions(case)), Notification.objects.count()

    error = refused(services.case_transition, actor=actor, case=case, target=target, reason="依据第九条")

    assert error.code == "transition_not_allowed"
    assert error.conflict is True
    assert Case.objects.get(pk=case.pk).status == source
    assert len(transitions(case)) == events_before
    assert Notification.objects.count() == notes_before


def test_a_case_type_that_produces_something_goes_on_to_issued_and_delivered(resident, resident_user, caseworker):
    case_type_register(CaseType(key="producing", label="制证业务", reference_prefix="PR",
                                transitions=PRODUCING_TRANSITIONS))  # fmt: skip
    try:
        case = services.case_open(actor=resident_user, case_type="producing", applicant=resident)
        case = services.case_submit(actor=resident_user, case=case)
        case = services.case_approve(actor=caseworker, case=case)
        case = services.case_transition(actor=caseworker, case=case, target=CaseStatus.ISSUED)
        case = services.case_transition(actor=caseworker, case=case, target=CaseStatus.DELIVERED)
    finally:
        case_type_unregister("producing")

    assert case.status == CaseStatus.DELIVERED
    assert [n.template for n in notes_to(resident_user)] == [
        "case.submitted", "case.approved", "case.issued", "case.delivered",
    ]  # fmt: skip


# --- who may make a move ------------------------------------------------------------------------------

STAFF_MOVES = sorted(t for t in STAFF_TARGETS if t in STANDARD_TRANSITIONS[CaseStatus.SUBMITTED])


@pytest.mark.parametrize("target", STAFF_MOVES)
def test_the_applicant_cannot_make_a_caseworkers_move(target, resident, resident_user):
    case = submitted_case(resident)

    error = refused(services.case_transition, actor=resident_user, case=case, target=target, reason="自己批")

    assert error.code == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


@pytest.mark.parametrize("target", STAFF_MOVES)
def test_a_caseworker_of_another_street_cannot_decide(target, resident, caseworker_elsewhere):
    case = submitted_case(resident)

    error = refused(services.case_transition, actor=caseworker_elsewhere, case=case, target=target, reason="越权")

    assert error.code == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    assert len(transitions(case)) == 1  # the submission only


@pytest.mark.parametrize(
    ("source", "target"),
    [(CaseStatus.DRAFT, CaseStatus.SUBMITTED), (CaseStatus.DRAFT, CaseStatus.WITHDRAWN),
     (CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN), (CaseStatus.NEEDS_DOCUMENTS, CaseStatus.RESUBMITTED)],
)  # fmt: skip
def test_another_resident_cannot_make_the_applicants_moves(source, target, resident, other_resident, other_user):
    assert target in APPLICANT_TARGETS
    case = set_status(open_case(resident), source)

    error = refused(services.case_transition, actor=other_user, case=case, target=target)

    assert error.code == "not_allowed"
    assert Case.objects.get(pk=case.pk).status == source


def test_a_caseworker_of_the_street_may_submit_at_the_window_for_the_applicant(resident, caseworker):
    case = open_case(resident, actor=caseworker)
    for kind in ("id_card", "address_proof"):
        upload(case, kind, caseworker)

    case = services.case_submit(actor=caseworker, case=case)

    assert case.status == CaseStatus.SUBMITTED
    assert case.opened_by == caseworker


def test_nobody_opens_a_case_for_a_resident_they_cannot_see(resident, other_user, caseworker_elsewhere):
    for outsider in (other_user, caseworker_elsewhere):
        error = refused(services.case_open, actor=outsider, case_type=DEMO.key, applicant=resident)
        assert error.code == "not_allowed"
    assert not Case.objects.exists()


def test_an_archived_resident_cannot_apply(resident, resident_user):
    type(resident).objects.filter(pk=resident.pk).update(archived_at=timezone.now(), archive_reason="离开绍兴")
    resident.refresh_from_db()

    assert refused(services.case_open, actor=resident_user, case_type=DEMO.key, applicant=resident).code == (
        "resident_archived"
    )


# --- opening and submitting ---------------------------------------------------------------------------


def test_opening_a_case_gives_it_a_reference_and_an_audit_row(resident, resident_user):
    case = open_case(resident)

    assert case.status == CaseStatus.DRAFT
    assert case.reference == f"DM{timezone.localdate():%Y%m%d}{case.pk:07d}"
    event = AuditEvent.objects.get(event_type=CaseEvent.CASE_OPENED)
    assert event.new_values == {"case_type": "demo", "reference": case.reference}
    assert event.actor == resident_user


def test_submission_requires_every_required_document(resident, resident_user):
    case = open_case(resident)
    upload(case, "id_card", resident_user)  # the address proof is missing; the photo is optional

    error = refused(services.case_submit, actor=resident_user, case=case)

    assert error.code == "documents_missing"
    assert error.field == "documents"
    assert "住所证明" in str(error.message)
    assert "身份证" not in str(error.message)
    assert "照片" not in str(error.message)
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    assert case.submitted_at is None
    assert not Notification.objects.exists()


def test_submission_needs_the_applicants_street(resident_user):
    homeless = ResidentFactory(user=resident_user, community=None)
    case = open_case(homeless)
    for kind in ("id_card", "address_proof"):
        upload(case, kind, resident_user)

    assert refused(services.case_submit, actor=resident_user, case=case).code == "no_street"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


@time_machine.travel(datetime.datetime(2025, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_submission_sets_the_times_the_street_and_sends_a_receipt_with_the_reference(resident, resident_user):
    case = open_case(resident)
    for kind in ("id_card", "address_proof"):
        upload(case, kind, resident_user)

    case = services.case_submit(actor=resident_user, case=case)

    now = timezone.now()
    assert case.status == CaseStatus.SUBMITTED
    assert case.submitted_at == now
    assert case.due_at == now + datetime.timedelta(days=15)
    assert case.street == street("塔山街道")
    [receipt] = notes_to(resident_user)
    assert receipt.template == "case.submitted"
    assert receipt.context["reference"] == case.reference
    assert receipt.context["due_date"] == "2025-03-18"
    assert receipt.link == f"/me/cases/{case.reference}/"
    rendered = notification_render(receipt, language="zh-hans")
    assert rendered.title == "申请已受理"
    assert case.reference in rendered.body
    assert "演示业务" in rendered.body


# --- the one-time notice ------------------------------------------------------------------------------


def test_the_notice_lists_everything_missing_in_one_message(resident, resident_user, caseworker):
    case = submitted_case(resident)

    case = services.case_request_documents(
        actor=caseworker, case=case, missing=["id_card", "address_proof", "other"], note="请补社保缴纳证明"
    )

    assert case.status == CaseStatus.NEEDS_DOCUMENTS
    assert case.missing_documents == ["id_card", "address_proof", "other"]
    assert case.notice_note == "请补社保缴纳证明"
    assert case.notice_sent_at is not None
    [notice] = notes_to(resident_user, "case.needs_documents")
    body = notification_render(notice, language="zh-hans").body
    for label in ("身份证", "住所证明", "其他材料", "请补社保缴纳证明"):
        assert label in body
    assert transitions(case)[-1].reason == "请补社保缴纳证明"


def test_repeated_keys_in_the_notice_are_listed_once(resident, caseworker):
    case = services.case_request_documents(
        actor=caseworker, case=submitted_case(resident), missing=["photo", "photo", "id_card"]
    )

    assert case.missing_documents == ["photo", "id_card"]


def test_the_notice_is_sent_only_once(resident, resident_user, caseworker):
    case = services.case_request_documents(actor=caseworker, case=submitted_case(resident), missing=["photo"])

    error = refused(services.case_request_documents, actor=caseworker, case=case, missing=["id_card"])

    assert error.code == "notice_already_sent"
    assert error.conflict is True
    assert Case.objects.get(pk=case.pk).missing_documents == ["photo"]
    assert len(notes_to(resident_user, "case.needs_documents")) == 1


def test_there_is_no_second_notice_after_resubmission(resident, resident_user, caseworker):
    case = services.case_request_documents(actor=caseworker, case=submitted_case(resident), missing=["photo"])
    upload(case, "photo", resident_user)
    case = services.case_resubmit(actor=resident_user, case=case)

    assert refused(services.case_request_documents, actor=caseworker, case=case, missing=["id_card"]).code == (
        "notice_already_sent"
    )
    # Even with the notice's date wiped, the map itself has no way back from resubmitted.
    case = set_status(case, CaseStatus.RESUBMITTED, notice_sent_at=None)
    assert refused(services.case_request_documents, actor=caseworker, case=case, missing=["id_card"]).code == (
        "transition_not_allowed"
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESUBMITTED


@pytest.mark.parametrize(
    ("missing", "note", "code", "field"),
    [
        ([], "", "missing_required", "missing"),
        (["id_card", "passport"], "", "missing_unknown", "missing"),
        (["other"], "  ", "note_required", "note"),
    ],
    ids=["nothing-ticked", "unknown-key", "other-without-note"],
)
def test_a_notice_with_bad_input_is_refused_and_changes_nothing(  # type: ignore[no-untyped-def]
    missing, note, code, field, resident, resident_user, caseworker
):
    case = submitted_case(resident)

    error = refused(services.case_request_documents, actor=caseworker, case=case, missing=missing, note=note)

    assert (error.code, error.field) == (code, field)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.notice_sent_at is None
    assert case.missing_documents == []
    assert notes_to(resident_user, "case.needs_documents") == []


def test_the_applicant_cannot_send_themselves_a_notice(resident, resident_user):
    case = submitted_case(resident)

    assert refused(services.case_request_documents, actor=resident_user, case=case, missing=["photo"]).code == (
        "not_allowed"
    )
    assert Case.objects.get(pk=case.pk).notice_sent_at is None


# --- resubmission -------------------------------------------------------------------------------------


def test_resubmission_needs_each_listed_document_uploaded_after_the_notice(resident, resident_user, caseworker):
    # Given a case whose id card was uploaded before the notice asked for it again, with a photo
    start = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        case = submitted_case(resident)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        case = services.case_request_documents(actor=caseworker, case=case, missing=["id_card", "photo"])

    with time_machine.travel(start + datetime.timedelta(days=3), tick=False):
        # The old id card does not count, and one of two is not enough
        upload(case, "photo", resident_user)
        error = refused(services.case_resubmit, actor=resident_user, case=case)
        assert error.code == "documents_missing"
        assert "身份证" in str(error.message)
        assert "照片" not in str(error.message)
        assert Case.objects.get(pk=case.pk).status == CaseStatus.NEEDS_DOCUMENTS

    resubmitted_at = start + datetime.timedelta(days=5)
    with time_machine.travel(resubmitted_at, tick=False):
        upload(case, "id_card", resident_user)
        case = services.case_resubmit(actor=resident_user, case=case)

    # Then the case is back with the caseworker, and the deadline restarts from the resubmission
    assert case.status == CaseStatus.RESUBMITTED
    assert case.due_at == resubmitted_at + datetime.timedelta(days=15)
    assert len(notes_to(resident_user, "case.resubmitted")) == 1


def test_a_resubmitted_case_is_decided_like_a_submitted_one(resident, resident_user, caseworker):
    case = services.case_request_documents(actor=caseworker, case=submitted_case(resident), missing=["photo"])
    upload(case, "photo", resident_user)
    case = services.case_resubmit(actor=resident_user, case=case)

    case = services.case_approve(actor=caseworker, case=case)

    assert case.status == CaseStatus.APPROVED
    assert case.decided_at is not None


# --- refusal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_refusal_without_a_reason_is_rejected_and_nothing_changes(reason, resident, resident_user, caseworker):
    case = submitted_case(resident)
    events_before, notes_before = AuditEvent.objects.count(), Notification.objects.count()

    error = refused(services.case_refuse, actor=caseworker, case=case, reason=reason)

    assert (error.code, error.field) == ("reason_required", "reason")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.decided_at is None
    assert AuditEvent.objects.count() == events_before
    assert Notification.objects.count() == notes_before


def test_a_refusal_carries_its_reason_to_the_applicant(resident, resident_user, caseworker):
    case = services.case_refuse(actor=caseworker, case=submitted_case(resident), reason="  居住未满半年  ")

    assert case.status == CaseStatus.REFUSED
    assert case.decision_reason == "居住未满半年"
    assert transitions(case)[-1].reason == "居住未满半年"
    [letter] = notes_to(resident_user, "case.refused")
    assert "居住未满半年" in notification_render(letter, language="zh-hans").body


# --- withdrawal ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source", [CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.NEEDS_DOCUMENTS, CaseStatus.RESUBMITTED]
)
def test_the_applicant_may_withdraw_before_a_decision(source, resident, resident_user):
    case = set_status(open_case(resident), source)

    case = services.case_withdraw(actor=resident_user, case=case, reason="已回老家")

    assert case.status == CaseStatus.WITHDRAWN
    assert case.decided_at is not None
    assert case.decision_reason == "已回老家"


@pytest.mark.parametrize("source", [CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN])
def test_the_applicant_cannot_withdraw_after_a_decision(source, resident, resident_user):
    case = set_status(open_case(resident), source, decision_reason="已办结")

    assert refused(services.case_withdraw, actor=resident_user, case=case).code == "transition_not_allowed"
    assert Case.objects.get(pk=case.pk).status == source


# --- guardians ----------------------------------------------------------------------------------------


@pytest.fixture
def child(resident):  # type: ignore[no-untyped-def]
    """The owner's son, who has no login."""
    kid = ResidentFactory(name="王小明", user=None, birth_date=datetime.date(2016, 5, 1), community=resident.community)
    guardian_link(resident, kid)
    return kid


def test_a_guardian_applies_for_a_child_and_hears_about_it(child, resident_user, caseworker):
    case = open_case(child, actor=resident_user)
    for kind in ("id_card", "address_proof"):
        upload(case, kind, resident_user)
    case = services.case_submit(actor=resident_user, case=case)
    case = services.case_request_documents(actor=caseworker, case=case, missing=["photo"])
    upload(case, "photo", resident_user)
    case = services.case_resubmit(actor=resident_user, case=case)

    assert case.applicant == child
    assert [n.template for n in notes_to(resident_user)] == [
        "case.submitted", "case.needs_documents", "case.resubmitted",
    ]  # fmt: skip
    assert notes_to(resident_user)[0].context["applicant"] == "王小明"


def test_both_guardians_of_a_child_hear_about_the_case(child, resident_user, tashan_community):
    mother_user = UserFactory(username="mother")
    guardian_link(ResidentFactory(user=mother_user, community=tashan_community), child)
    case = open_case(child, actor=resident_user)
    for kind in ("id_card", "address_proof"):
        upload(case, kind, resident_user)

    services.case_submit(actor=resident_user, case=case)

    assert len(notes_to(resident_user, "case.submitted")) == 1
    assert len(notes_to(mother_user, "case.submitted")) == 1


def test_a_stranger_cannot_act_for_someone_elses_child(child, resident_user, other_resident, other_user):
    case = open_case(child, actor=resident_user)

    assert refused(services.case_open, actor=other_user, case_type=DEMO.key, applicant=child).code == "not_allowed"
    assert refused(services.case_withdraw, actor=other_user, case=case).code == "not_allowed"


# --- two caseworkers at once --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_caseworkers_approving_at_once_approve_it_once(resident, resident_user, caseworker):
    # Given a submitted case and two caseworkers of its street, both with the page open
    case = submitted_case(resident)
    colleague = caseworker_for(street("塔山街道"), username="colleague")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approve(actor) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            services.case_approve(actor=actor, case=case)
            outcomes[actor.username] = "approved"
        except DomainError as error:
            outcomes[actor.username] = error
        finally:
            connection.close()

    # When both press 批准 at the same moment
    threads = [threading.Thread(target=approve, args=(u,)) for u in (caseworker, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    # Then exactly one succeeds and the other is told it was already done
    assert sorted(str(type(o).__name__) for o in outcomes.values()) == ["DomainError", "str"]
    [error] = [o for o in outcomes.values() if isinstance(o, DomainError)]
    assert error.code == "transition_not_allowed"
    assert error.conflict is True
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    assert Notification.objects.filter(template="case.approved").count() == 1
    approvals = [e for e in transitions(case) if e.new_values["status"] == CaseStatus.APPROVED]
    assert len(approvals) == 1


# --- assignment ---------------------------------------------------------------------------------------


def test_a_caseworker_takes_a_case_of_their_street(resident, caseworker):
    case = submitted_case(resident)

    case = services.case_assign(actor=caseworker, case=case, assignee=caseworker)

    assert case.assigned_to == caseworker
    event = AuditEvent.objects.get(event_type=CaseEvent.CASE_ASSIGNED)
    assert (event.old_values, event.new_values) == ({"assigned_to": None}, {"assigned_to": caseworker.pk})


def test_a_caseworker_cannot_take_a_case_of_another_street(resident, caseworker_elsewhere):
    case = submitted_case(resident)

    error = refused(services.case_assign, actor=caseworker_elsewhere, case=case, assignee=caseworker_elsewhere)

    # The case is outside what they may see at all, so the service does not even describe it.
    assert error.code == "case_not_found"
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_a_plain_caseworker_cannot_give_a_case_to_a_colleague(resident, caseworker):
    colleague = caseworker_for(street("塔山街道"), username="colleague")
    case = submitted_case(resident)

    assert refused(services.case_assign, actor=caseworker, case=case, assignee=colleague).code == "not_allowed"
    assert refused(services.case_assign, actor=caseworker, case=case, assignee=None).code == "not_allowed"
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_a_team_leader_gives_a_case_to_a_caseworker_of_its_street_and_can_take_it_back(resident, caseworker):
    leader = team_leader_for(street("塔山街道"), username="leader")
    case = submitted_case(resident)

    assert services.case_assign(actor=leader, case=case, assignee=caseworker).assigned_to == caseworker
    assert services.case_assign(actor=leader, case=case, assignee=None).assigned_to is None


def test_an_administrator_assigns_only_to_a_caseworker_covering_the_street(
    resident, caseworker, caseworker_elsewhere, administrator, health_worker
):
    case = submitted_case(resident)

    for outsider in (caseworker_elsewhere, health_worker):
        error = refused(services.case_assign, actor=administrator, case=case, assignee=outsider)
        assert error.code == "assignee_out_of_scope"
    assert services.case_assign(actor=administrator, case=case, assignee=caseworker).assigned_to == caseworker


def test_bulk_reassignment_moves_every_case_in_one_go(resident, other_resident, caseworker):
    leader = team_leader_for(street("塔山街道"), username="leader")
    cases = [submitted_case(resident), submitted_case(other_resident)]

    assert services.case_reassign_bulk(actor=leader, case_ids=[c.pk for c in cases], assignee=caseworker) == 2

    assert {c.assigned_to_id for c in Case.objects.all()} == {caseworker.pk}
    assert AuditEvent.objects.filter(event_type=CaseEvent.CASE_ASSIGNED).count() == 2


def test_bulk_reassignment_is_all_or_nothing_when_one_case_is_outside_the_assignees_streets(
    resident, fushan_community, caseworker, administrator
):
    tashan_case = submitted_case(resident)
    fushan_case = case_row(ResidentFactory(community=fushan_community), opened_by=administrator)

    error = refused(
        services.case_reassign_bulk, actor=administrator, case_ids=[tashan_case.pk, fushan_case.pk],
        assignee=caseworker,
    )  # fmt: skip

    assert error.code == "assignee_out_of_scope"
    assert list(Case.objects.values_list("assigned_to", flat=True)) == [None, None]
    assert not AuditEvent.objects.filter(event_type=CaseEvent.CASE_ASSIGNED).exists()


def test_nobody_is_given_cases_after_leaving_the_office(resident, other_resident, caseworker):
    leader = team_leader_for(street("塔山街道"), username="leader")
    cases = [submitted_case(resident), submitted_case(other_resident)]
    type(caseworker).objects.filter(pk=caseworker.pk).update(is_active=False)
    caseworker.refresh_from_db()

    assert refused(services.case_assign, actor=leader, case=cases[0], assignee=caseworker).code == (
        "assignee_out_of_scope"
    )
    error = refused(services.case_reassign_bulk, actor=leader, case_ids=[c.pk for c in cases], assignee=caseworker)

    assert error.code == "assignee_out_of_scope"
    assert not Case.objects.filter(assigned_to__isnull=False).exists()


def test_bulk_reassignment_is_refused_to_a_plain_caseworker_and_for_cases_out_of_sight(
    resident, fushan_community, caseworker, caseworker_elsewhere
):
    tashan_case = submitted_case(resident)
    fushan_case = case_row(ResidentFactory(community=fushan_community), opened_by=caseworker)
    leader = team_leader_for(street("塔山街道"), username="leader")

    assert (
        refused(services.case_reassign_bulk, actor=caseworker, case_ids=[tashan_case.pk], assignee=caseworker).code
        == "not_allowed"
    )
    # A leader of 塔山 cannot reach a 府山 case, even to give it to its own caseworker.
    assert (
        refused(
            services.case_reassign_bulk, actor=leader, case_ids=[fushan_case.pk], assignee=caseworker_elsewhere
        ).code
        == "case_not_found"
    )
    assert not Case.objects.filter(assigned_to__isnull=False).exists()


# --- deadlines ----------------------------------------------------------------------------------------


def test_a_pending_case_past_its_deadline_is_overdue(resident, resident_user, caseworker):
    start = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        case = submitted_case(resident)
        decided = services.case_approve(actor=caseworker, case=submitted_case(resident))
        assert not Case.objects.overdue().exists()
        assert case.is_overdue is False

    with time_machine.travel(start + datetime.timedelta(days=15, seconds=1), tick=False):
        assert list(Case.objects.overdue()) == [case]
        case.refresh_from_db()
        assert case.is_overdue is True
        decided.refresh_from_db()
        assert decided.is_overdue is False  # decided cases are never overdue


def test_overdue_takes_the_moment_to_compare_with(resident):
    now = timezone.now()
    late = case_row(resident, due_at=now - datetime.timedelta(hours=1))
    case_row(resident, due_at=now + datetime.timedelta(days=3))
    case_row(resident, status=CaseStatus.NEEDS_DOCUMENTS, due_at=now - datetime.timedelta(days=1))

    assert list(Case.objects.overdue()) == [late]
    assert Case.objects.overdue(now + datetime.timedelta(days=4)).count() == 2


def test_someone_who_may_not_act_is_refused_before_the_case_status_is_mentioned(resident, caseworker, other_user):
    case = services.case_approve(actor=caseworker, case=submitted_case(resident))

    error = refused(services.case_approve, actor=other_user, case=case)

    assert error.code == "not_allowed"
    assert "已批准" not in str(error.message)


def test_an_applicant_cannot_send_themself_a_documents_notice(resident):
    case = submitted_case(resident)

    error = refused(services.case_request_documents, actor=resident.user, case=case, missing=["nonsense"])

    assert error.code == "not_allowed"
