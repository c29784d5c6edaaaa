"""The allocation of a round: the preview (a dry run that changes nothing), the final run (the round locked, its
seed drawn and recorded, every approved application given a result with its reason, the families' points and
communities kept, each family told), what it refuses, and what it costs in queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as cases_services
from cases.choices import CaseStatus
from cases.models import Case
from education import services
from education.choices import AllocationRunKind, EnrolmentEvent, ResultStatus, RoundStatus
from education.models import AllocationCutoff, AllocationRun, EnrolmentApplication, EnrolmentResult, EnrolmentRound
from notifications.models import Delivery, Notification
from notifications.services import notification_render
from residents.models import AuditEvent

from ..casework import refused
from ..factories import UserFactory
from .factories import (
    ALLOCATION_DAY,
    CALENDAR,
    approved,
    enrolment_round,
    family,
    on,
    points,
    start,
    submitted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(open_round, tashan_community, fushan_community, tashan_school, fushan_school, chengnan_school,
             administrator, verified_points):  # type: ignore[no-untyped-def]  # fmt: skip
    """Five approved applications. Seats: 塔山 2, 府山 2, 城南 1.

    王芳, 赵强 and 孙丽 live in 塔山's catchment (90, 80 and 70 points) and want 塔山 then 城南; 李军 lives in 府山
    (100 points) and wants 塔山 only; 周敏 lives in 塔山 without verified points and wants 城南 then 府山.
    """
    scene = {}
    for name, community, total, wanted in [
        ("王芳", tashan_community, 90, [tashan_school, chengnan_school]),
        ("赵强", tashan_community, 80, [tashan_school, chengnan_school]),
        ("孙丽", tashan_community, 70, [tashan_school, chengnan_school]),
        ("李军", fushan_community, 100, [tashan_school]),
        ("周敏", tashan_community, None, [chengnan_school, fushan_school]),
    ]:
        guardian, child = family(name, community)
        if total is not None:
            points(verified_points, guardian, total)
        scene[name] = approved(guardian, child, open_round, administrator, schools=wanted)
    return scene


def result_of(application: EnrolmentApplication) -> EnrolmentResult:
    return EnrolmentResult.objects.select_related("school").get(application=application)


def run(enrolment_round: EnrolmentRound, actor) -> AllocationRun:  # type: ignore[no-untyped-def]
    with on(ALLOCATION_DAY):
        return services.enrolment_allocation_run(actor=actor, enrolment_round=enrolment_round)


# --- the preview --------------------------------------------------------------------------------------


def test_the_preview_records_seat_use_and_cut_offs_and_changes_nothing_else(open_round, families, administrator):
    audit_before = AuditEvent.objects.exclude(event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN).count()
    messages_before = Notification.objects.count()

    preview = services.enrolment_allocation_preview(actor=administrator, enrolment_round=open_round)

    assert (preview.kind, preview.applicants, preview.placed, preview.unplaced) == (AllocationRunKind.PREVIEW, 5, 4, 1)
    assert len(preview.seed) == 32
    cutoffs = {c.school.name: c for c in AllocationCutoff.objects.filter(run=preview).select_related("school")}
    assert (cutoffs["塔山小学"].seats_used, cutoffs["塔山小学"].is_full, cutoffs["塔山小学"].last_points) == (
        2, True, Decimal("80"),
    )  # fmt: skip
    assert (cutoffs["府山小学"].seats_used, cutoffs["府山小学"].is_full, cutoffs["府山小学"].last_tier) == (
        1,
        False,
        None,
    )
    assert not EnrolmentResult.objects.exists()
    assert EnrolmentRound.objects.get(pk=open_round.pk).status == RoundStatus.OPEN
    assert EnrolmentRound.objects.get(pk=open_round.pk).seed == ""
    assert Notification.objects.count() == messages_before
    assert AuditEvent.objects.exclude(event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN).count() == audit_before
    assert AuditEvent.objects.filter(event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN, subject=None).count() == 1


def test_the_preview_counts_what_is_still_waiting_for_a_decision(open_round, families, wang, administrator):
    submitted(*wang, open_round)

    preview = services.enrolment_allocation_preview(actor=administrator, enrolment_round=open_round)

    assert preview.stats["awaiting_decision"] == 1
    assert preview.applicants == 5


def test_only_an_administrator_previews_or_runs(open_round, families, caseworker):
    assert refused(services.enrolment_allocation_preview, actor=caseworker, enrolment_round=open_round).code == (
        "not_allowed"
    )
    with on(ALLOCATION_DAY):
        assert refused(services.enrolment_allocation_run, actor=caseworker, enrolment_round=open_round).code == (
            "not_allowed"
        )
    assert not AllocationRun.objects.exists()


# --- the final run ------------------------------------------------------------------------------------


def test_the_run_places_by_tier_then_points_and_explains_each_result(open_round, families, administrator):
    final = run(open_round, administrator)

    wang, zhao, sun, li, zhou = (result_of(families[n]) for n in ("王芳", "赵强", "孙丽", "李军", "周敏"))
    assert (wang.status, wang.school.name, wang.choice_rank, wang.tier) == (ResultStatus.OFFERED, "塔山小学", 1, 0)
    assert (zhao.school.name, zhao.choice_rank) == ("塔山小学", 1)
    assert (sun.school.name, sun.choice_rank, sun.tier) == ("城南小学", 2, 2)
    assert (li.status, li.school, li.choice_rank, li.tier) == (ResultStatus.UNPLACED, None, None, None)
    assert (zhou.school.name, zhou.choice_rank, zhou.points) == ("府山小学", 2, Decimal("0"))

    assert wang.reason_zh == "录取到您的第一志愿 塔山小学。"
    assert sun.reason_zh == "录取到您的第二志愿 城南小学；您的第一志愿 塔山小学 最后录取的积分为 80（您家为 70）。"
    assert "只录取到学区内的孩子（您家属于其他区域），最后录取的积分为 80" in li.reason_zh
    assert li.reason_zh.startswith("很遗憾，本轮您填报的学校都已录满：您的第一志愿 塔山小学")
    assert zhou.reason_zh == "录取到您的第二志愿 府山小学；您的第一志愿 城南小学 最后录取的积分为 70（您家为 0）。"
    assert "Chengnan Primary School" in sun.reason_en and "Tashan Primary School" in sun.reason_en
    assert (final.kind, final.applicants, final.placed, final.unplaced) == (AllocationRunKind.FINAL, 5, 4, 1)
    assert final.stats["by_choice"] == {"1": 2, "2": 2}


def test_the_run_locks_the_round_with_its_recorded_seed(open_round, families, administrator):
    final = run(open_round, administrator)

    allocated = EnrolmentRound.objects.get(pk=open_round.pk)
    assert allocated.status == RoundStatus.ALLOCATED
    assert allocated.seed == final.seed and len(final.seed) == 32
    assert allocated.allocated_at is not None
    lotteries = EnrolmentResult.objects.values_list("lottery", flat=True)
    assert all(len(lottery) == 64 for lottery in lotteries)
    with on(ALLOCATION_DAY):
        again = refused(services.enrolment_allocation_run, actor=administrator, enrolment_round=open_round)
    assert (again.code, again.conflict) == ("round_status", True)
    assert AllocationRun.objects.filter(kind=AllocationRunKind.FINAL).count() == 1


def test_the_lottery_numbers_are_the_published_rule_over_the_recorded_seed(open_round, families, administrator):
    from education.allocation import lottery_number

    final = run(open_round, administrator)

    for result in EnrolmentResult.objects.select_related("application__case"):
        assert int(result.lottery, 16) == lottery_number(final.seed, result.application.case.reference)


def test_the_familys_points_and_community_are_kept_as_they_were_counted(
    open_round, families, administrator, tashan_community
):  # type: ignore[no-untyped-def]
    run(open_round, administrator)

    wang = result_of(families["王芳"])
    assert (wang.points, wang.community) == (Decimal("90"), tashan_community)
    assert wang.points_reference.startswith("JF") and wang.points_rule_set_version == "2027.1"
    zhou = result_of(families["周敏"])
    assert (zhou.points, zhou.points_reference, zhou.community) == (Decimal("0"), "", tashan_community)


def test_a_family_whose_verified_score_is_not_eligible_counts_no_points(
    open_round, tashan_community, tashan_school, administrator, verified_points, ineligible_families
):  # type: ignore[no-untyped-def]
    guardian, child = family("钱多", tashan_community)
    points(verified_points, guardian, 150)
    ineligible_families.add(guardian.pk)
    application = approved(guardian, child, open_round, administrator, schools=[tashan_school])

    run(open_round, administrator)

    assert result_of(application).points == Decimal("0")


def test_the_reason_told_never_changes_afterwards(open_round, families, administrator, tashan_school):
    run(open_round, administrator)
    told = result_of(families["孙丽"]).reason_zh

    tashan_school.name = "塔山小学（新校区）"
    tashan_school.save()

    assert result_of(families["孙丽"]).reason_zh == told


def test_each_family_is_told_the_result_and_why_by_message_and_sms(open_round, families, administrator):
    run(open_round, administrator)

    sun = families["孙丽"]
    parent = sun.guardian.user
    message = Notification.objects.get(recipient=parent, template="education.result_offered")
    assert message.link == f"/me/cases/{sun.case.reference}/"
    body = notification_render(message, language="zh-hans").body
    assert "录取到您的第二志愿 城南小学" in body and "2027-07-07" in body
    li = families["李军"]
    assert Notification.objects.filter(recipient=li.guardian.user, template="education.result_unplaced").count() == 1
    assert Notification.objects.filter(template__startswith="education.result_").count() == 5
    assert Delivery.objects.filter(notification=message, channel="sms").exists()


def test_each_result_is_on_the_childs_audit_trail(open_round, families, administrator):
    run(open_round, administrator)

    sun = families["孙丽"]
    event = AuditEvent.objects.get(event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN, subject=sun.child)
    assert event.new_values["status"] == ResultStatus.OFFERED
    assert event.new_values["choice"] == 2
    assert event.object_id == str(sun.pk)


def test_the_run_waits_for_its_day(open_round, families, administrator):
    with on(ALLOCATION_DAY - datetime.timedelta(days=1)):
        error = refused(services.enrolment_allocation_run, actor=administrator, enrolment_round=open_round)

    assert error.code == "allocation_too_early"
    assert not EnrolmentResult.objects.exists()


def test_the_run_is_refused_while_applications_await_a_caseworker(open_round, families, wang, administrator):
    submitted(*wang, open_round)

    with on(ALLOCATION_DAY):
        error = refused(services.enrolment_allocation_run, actor=administrator, enrolment_round=open_round)

    assert error.code == "applications_awaiting_decision"
    assert "1 件" in str(error.message)
    assert not AllocationRun.objects.filter(kind=AllocationRunKind.FINAL).exists()


def test_an_application_still_waiting_for_the_familys_documents_takes_no_part(
    open_round, families, wang, caseworker, administrator
):  # type: ignore[no-untyped-def]
    waiting = cases_services.case_request_documents(
        actor=caseworker, case=submitted(*wang, open_round), missing=["address_proof"]
    )

    final = run(open_round, administrator)

    assert final.applicants == 5
    assert final.stats["awaiting_documents"] == 1
    assert not EnrolmentResult.objects.filter(application_id=waiting.pk).exists()


def test_after_the_run_no_more_approvals_and_no_withdrawal_of_a_placed_child(
    open_round, families, wang, caseworker, administrator
):  # type: ignore[no-untyped-def]
    late = cases_services.case_request_documents(
        actor=caseworker, case=submitted(*wang, open_round), missing=["address_proof"]
    )
    run(open_round, administrator)

    with on(ALLOCATION_DAY):
        from .factories import upload_documents

        upload_documents(late, wang[0].user)
        late = cases_services.case_resubmit(actor=wang[0].user, case=late)
        assert refused(cases_services.case_approve, actor=caseworker, case=late).code == "round_allocated"
        placed = families["王芳"]
        error = refused(services.enrolment_application_withdraw, actor=placed.guardian.user, application=placed)
    assert error.code == "round_allocated"
    assert Case.objects.get(pk=placed.pk).status == CaseStatus.APPROVED


def test_the_run_costs_the_same_number_of_queries_for_two_families_as_for_eight(
    tashan_community, tashan_school, chengnan_school, administrator
):  # type: ignore[no-untyped-def]
    ContentType.objects.get_for_models(Case, AllocationRun)  # the per-process cache, warm for both runs

    def queries_for(families: int, year: int) -> int:
        this_round = enrolment_round(year=year, seats={tashan_school: 3, chengnan_school: 2})
        for n in range(families):
            approved(*family(f"家长{year}{n}", tashan_community), this_round, administrator,
                     schools=[tashan_school, chengnan_school])  # fmt: skip
        with on(ALLOCATION_DAY), CaptureQueriesContext(connection) as captured:
            services.enrolment_allocation_run(actor=administrator, enrolment_round=this_round)
        assert EnrolmentResult.objects.filter(round=this_round).count() == families
        return len(captured)

    assert queries_for(2, 2027) == queries_for(8, 2028)


def test_a_round_with_nobody_approved_still_runs_and_records_empty_cut_offs(open_round, administrator):
    final = run(open_round, administrator)

    assert (final.applicants, final.placed) == (0, 0)
    assert AllocationCutoff.objects.filter(run=final, is_full=False, seats_used=0).count() == 3


def test_the_calendar_must_be_in_order(tashan_school):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        enrolment_round(**{**CALENDAR, "allocation_on": CALENDAR["preferences_close_on"]})


def test_an_application_by_someone_else_than_the_guardian_is_a_draft_of_the_child(open_round, wang):
    stranger = UserFactory()
    assert refused(start, guardian=wang[0], child=wang[1], of=open_round, actor=stranger).code == "not_allowed"


def test_the_run_reads_the_points_app_itself_when_no_stand_in_is_given(
    open_round, wang, tashan_school, administrator, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.undo()  # the real points.selectors: nobody here has a verified score, so 0 points
    application = approved(*wang, open_round, administrator, schools=[tashan_school])

    run(open_round, administrator)

    assert (result_of(application).points, result_of(application).points_reference) == (Decimal("0"), "")
