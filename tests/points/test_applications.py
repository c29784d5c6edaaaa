"""Points applications: declaring, submitting, item-by-item review, the verified score, objections, rankings."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from cases import services as cases_services
from cases.choices import CaseStatus
from cases.models import Case
from notifications.models import Notification
from points import services
from points.choices import ItemStatus, PointsEvent
from points.models import PointsApplication, PointsItem, PointsRankingEntry, PointsRound
from points.selectors import (
    points_application_score,
    points_applications,
    resident_points_bulk,
    resident_points_current,
)
from residents.models import AuditEvent
from tests.casework import refused
from tests.factories import ResidentFactory, UserFactory
from tests.permits import permit_row, register

from .scenes import (
    SOCIAL_INSURANCE_ONLY,
    accept_all,
    close,
    evidence_key,
    objection_window_over,
    open_round,
    permit_holder,
    publish,
    start,
    submitted,
    today,
    total_of,
    upload_evidence,
    verified,
)

pytestmark = pytest.mark.django_db


def items_of(case: Case) -> dict[str, PointsItem]:
    return {item.key: item for item in PointsApplication.objects.get(case=case).items.all()}


def holder(community, **kw):  # type: ignore[no-untyped-def]
    resident = ResidentFactory(user=UserFactory(), community=community, birth_date=datetime.date(1990, 5, 1))
    return permit_holder(resident, **kw)


# --- starting ------------------------------------------------------------------------------------------


def test_an_application_starts_as_a_draft_with_one_line_per_indicator(resident):
    permit_holder(resident)
    case = start(resident, open_round())
    assert case.status == CaseStatus.DRAFT and case.reference.startswith("JF")
    items = items_of(case)
    assert len(items) == 11
    assert items["social_insurance_years"].declared == "5"
    assert items["residence_years"].declared is None  # computed on submission


def test_the_application_keeps_the_rule_set_version_of_its_round(resident):
    permit_holder(resident)
    round = open_round()
    case = start(resident, round)
    assert PointsApplication.objects.get(case=case).rule_set_id == round.rule_set_id


def test_starting_needs_a_valid_residence_permit(resident):
    register(resident, since=today() - datetime.timedelta(days=400))
    assert refused(start, resident=resident, round=open_round()).code == "residence_permit_required"


def test_a_lapsed_permit_refuses_with_its_date(resident):
    register(resident, since=today() - datetime.timedelta(days=800))
    permit_row(
        resident, issued_on=today() - datetime.timedelta(days=500), valid_until=today() - datetime.timedelta(days=3)
    )
    assert refused(start, resident=resident, round=open_round()).code == "residence_permit_lapsed"


def test_a_closed_round_takes_no_application_and_nothing_is_saved(resident):
    permit_holder(resident)
    round = close(open_round())
    assert refused(start, resident=resident, round=round).code == "points_round_closed"
    assert not Case.objects.filter(case_type="points").exists()


def test_one_application_per_person_and_round(resident):
    permit_holder(resident)
    round = open_round()
    first = start(resident, round)
    error = refused(start, resident=resident, round=round)
    assert error.code == "points_application_exists" and first.reference in error.message


def test_a_withdrawn_application_does_not_block_a_new_one(resident):
    permit_holder(resident)
    round = open_round()
    first = start(resident, round)
    cases_services.case_transition(actor=resident.user, case=first, target=CaseStatus.WITHDRAWN)
    assert start(resident, round).pk != first.pk


def test_a_declaration_the_rules_cannot_score_is_refused_naming_the_item(resident):
    permit_holder(resident)
    error = refused(start, resident=resident, round=open_round(), declared={"social_insurance_years": "-2"})
    assert error.code == "points_fact_invalid" and error.field == "social_insurance_years"
    assert not Case.objects.filter(case_type="points").exists()


def test_an_unknown_item_is_refused(resident):
    permit_holder(resident)
    error = refused(start, resident=resident, round=open_round(), declared={"lottery_ticket": "1"})
    assert error.code == "points_item_unknown"


def test_answers_for_computed_items_are_ignored(resident):
    permit_holder(resident)
    case = start(resident, open_round(), declared={"residence_years": "40", "social_insurance_years": "2"})
    assert items_of(case)["residence_years"].declared is None


def test_another_user_cannot_apply_for_someone_else(resident, other_user):
    permit_holder(resident)
    error = refused(start, resident=resident, round=open_round(), actor=other_user)
    assert error.code == "not_allowed"


def test_the_draft_can_be_corrected_and_the_change_is_audited(resident):
    permit_holder(resident)
    case = start(resident, open_round())
    services.points_application_declare(actor=resident.user, case=case, declared={"social_insurance_years": "7"})
    assert items_of(case)["social_insurance_years"].declared == "7"
    event = AuditEvent.objects.filter(event_type=PointsEvent.POINTS_APPLICATION_CHANGED).latest("id")
    assert event.old_values["declared"]["social_insurance_years"] == "5"


def test_a_submitted_application_can_no_longer_be_corrected(resident):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(
        services.points_application_declare, actor=resident.user, case=case, declared={"social_insurance_years": "9"}
    )
    assert error.code == "points_not_editable"


# --- evidence and submission ---------------------------------------------------------------------------


def test_evidence_is_asked_for_each_declared_item_that_adds_points(resident):
    permit_holder(resident)
    case = start(resident, open_round(), declared={"social_insurance_years": "5", "volunteer_hours": "100"})
    from cases.casetypes import case_type_get

    keys = {d.key for d in case_type_get("points").documents_for(case)}
    assert keys == {evidence_key("social_insurance_years"), evidence_key("volunteer_hours")}


def test_submitting_without_the_evidence_is_refused(resident):
    permit_holder(resident)
    case = start(resident, open_round())
    error = refused(cases_services.case_submit, actor=resident.user, case=case)
    assert error.code == "documents_missing"


def test_submission_computes_what_the_portal_knows(resident):
    permit_holder(resident, years=3, education="bachelor")
    case = submitted(resident, open_round())
    items = items_of(case)
    assert items["residence_years"].status == ItemStatus.COMPUTED
    assert Decimal(items["residence_years"].value) == Decimal(3)
    assert items["education"].value == "bachelor"
    assert items["false_declaration"].value is False
    assert items["social_insurance_years"].status == ItemStatus.PENDING
    assert items["employment"].status == ItemStatus.NOT_DECLARED
    # deductions and veto answers are checked even when the answer is "none"
    assert items["administrative_penalties"].status == ItemStatus.PENDING
    assert items["criminal_record_5y"].status == ItemStatus.PENDING


def test_submitting_after_the_round_closed_is_refused(resident):
    permit_holder(resident)
    round = open_round()
    case = start(resident, round)
    upload_evidence(case)
    close(round)
    assert refused(cases_services.case_submit, actor=resident.user, case=case).code == "points_round_closed"


def test_the_provisional_score_counts_computed_items_only(resident):
    permit_holder(resident, years=3, education="bachelor")
    case = submitted(resident, open_round())
    result = points_application_score(PointsApplication.objects.get(case=case))
    # 3 years × 2 + bachelor 35 + age (36 on 2026-11-28 → 36–45 band) 15; social insurance pending
    assert result.total == Decimal(6 + 35 + 15)


# --- review --------------------------------------------------------------------------------------------


def test_a_caseworker_accepts_adjusts_and_rejects_items_each_with_a_reason(resident, caseworker):
    permit_holder(resident)
    case = submitted(
        resident,
        open_round(),
        declared={
            **{"social_insurance_years": "5", "volunteer_hours": "120"},
            "administrative_penalties": "0",
            "criminal_record_5y": False,
        },
    )
    services.points_item_verify(
        actor=caseworker,
        case=case,
        key="social_insurance_years",
        decision="adjusted",
        value="4",
        reason="社保记录显示连续缴纳 4 年",
    )
    services.points_item_verify(
        actor=caseworker, case=case, key="volunteer_hours", decision="rejected", reason="志愿服务证明未加盖公章"
    )
    accept_all(case, caseworker)
    items = items_of(case)
    assert (items["social_insurance_years"].status, items["social_insurance_years"].value) == ("adjusted", "4")
    assert items["volunteer_hours"].status == "rejected" and items["volunteer_hours"].value is None
    assert items["social_insurance_years"].reason == "社保记录显示连续缴纳 4 年"
    assert items["social_insurance_years"].decided_by == caseworker


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(resident, caseworker):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(
        services.points_item_verify,
        actor=caseworker,
        case=case,
        key="social_insurance_years",
        decision="accepted",
        reason="  ",
    )
    assert error.code == "reason_required"
    assert items_of(case)["social_insurance_years"].status == ItemStatus.PENDING


def test_an_adjustment_the_rules_cannot_score_is_refused(resident, caseworker):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(
        services.points_item_verify,
        actor=caseworker,
        case=case,
        key="social_insurance_years",
        decision="adjusted",
        value="abc",
        reason="核对",
    )
    assert error.code == "points_fact_invalid" and error.field == "value"


def test_an_unknown_decision_is_refused(resident, caseworker):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(
        services.points_item_verify,
        actor=caseworker,
        case=case,
        key="social_insurance_years",
        decision="maybe",
        reason="核对",
    )
    assert error.code == "decision_invalid"


def test_a_caseworker_of_another_street_cannot_review(resident, caseworker_elsewhere):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(
        services.points_item_verify,
        actor=caseworker_elsewhere,
        case=case,
        key="social_insurance_years",
        decision="accepted",
        reason="核对",
    )
    assert error.code == "not_allowed"


def test_the_applicant_cannot_verify_their_own_items(resident):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(
        services.points_item_verify,
        actor=resident.user,
        case=case,
        key="social_insurance_years",
        decision="accepted",
        reason="是真的",
    )
    assert error.code == "not_allowed"


def test_review_cannot_complete_with_items_pending(resident, caseworker):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(services.points_review_complete, actor=caseworker, case=case)
    assert error.code == "points_items_pending" and "社会保险缴纳年限" in error.message
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_approval_goes_only_through_completing_the_review(resident, caseworker):
    permit_holder(resident)
    case = submitted(resident, open_round())
    error = refused(cases_services.case_transition, actor=caseworker, case=case, target=CaseStatus.APPROVED)
    assert error.code == "points_review_items"


def test_completing_the_review_fixes_the_score_with_its_breakdown_and_tells_the_applicant(resident, caseworker):
    permit_holder(resident, years=3, education="bachelor")
    case = verified(resident, open_round(), caseworker)
    application = PointsApplication.objects.get(case=case)
    assert case.status == CaseStatus.APPROVED
    assert application.total == Decimal(6 + 35 + 15 + 15)  # + social insurance 5 × 3
    assert application.eligible is True and application.scored_at is not None
    assert sum(Decimal(line["points"]) for line in application.breakdown) == application.total
    assert items_of(case)["social_insurance_years"].points == Decimal(15)
    notice = Notification.objects.filter(recipient=resident.user, template="points.scored").get()
    assert notice.context["total"] == "71"


def test_a_veto_item_found_true_refuses_the_application_naming_it(resident, caseworker):
    permit_holder(resident)
    case = submitted(resident, open_round())
    services.points_item_verify(
        actor=caseworker,
        case=case,
        key="criminal_record_5y",
        decision="adjusted",
        value=True,
        reason="公安记录显示 2023 年有刑事判决",
    )
    accept_all(case, caseworker)
    case = services.points_review_complete(actor=caseworker, case=case)
    assert case.status == CaseStatus.REFUSED and "近五年内有刑事犯罪记录" in case.decision_reason
    assert PointsApplication.objects.get(case=case).eligible is False


# --- the verified score other apps read ------------------------------------------------------------------


def test_the_current_verified_score_is_the_latest_approved_one(resident, caseworker, other_resident):
    permit_holder(resident, years=3, education="bachelor")
    assert resident_points_current(resident) is None
    case = verified(resident, open_round(), caseworker)
    score = resident_points_current(resident)
    assert score is not None and score.total == Decimal(71) and score.eligible and score.reference == case.reference
    assert score.rule_set_version == "2026.1"
    assert resident_points_bulk([resident.pk, other_resident.pk]) == {resident.pk: score}


def test_a_score_still_in_review_is_not_a_verified_score(resident):
    permit_holder(resident)
    submitted(resident, open_round())
    assert resident_points_current(resident) is None


def test_the_bulk_read_costs_one_query_per_five_thousand_residents(
    resident, caseworker, tashan_community, django_assert_num_queries
):
    round = open_round()
    people = [resident, *(ResidentFactory(user=UserFactory(), community=tashan_community) for _ in range(3))]
    for person in people:
        permit_holder(person)
        verified(person, round, caseworker)
    with django_assert_num_queries(1):
        scores = resident_points_bulk([p.pk for p in people])
    assert set(scores) == {p.pk for p in people}


# --- rankings and objections ---------------------------------------------------------------------------


def three_ranked(round: PointsRound, caseworker, community) -> list[Case]:  # type: ignore[no-untyped-def]
    cases = []
    for years in (5, 3, 4):  # social-insurance years declared: 15, 9, 12 points
        person = holder(community, years=2, education="senior")
        cases.append(
            verified(
                person,
                round,
                caseworker,
                declared={
                    "social_insurance_years": str(years),
                    "administrative_penalties": "0",
                    "criminal_record_5y": False,
                },
            )
        )
    return cases


def test_the_ranking_waits_for_the_round_to_close(administrator, caseworker, tashan_community):
    round = open_round()
    three_ranked(round, caseworker, tashan_community)
    error = refused(services.points_ranking_publish, actor=administrator, round=round)
    assert error.code == "points_round_not_closed"


def test_the_ranking_waits_for_every_review(administrator, caseworker, tashan_community):
    round = open_round()
    three_ranked(round, caseworker, tashan_community)
    submitted(holder(tashan_community), round)
    close(round)
    error = refused(services.points_ranking_publish, actor=administrator, round=round)
    assert error.code == "points_review_unfinished" and "1" in error.message


def test_the_published_ranking_orders_by_total_masks_names_and_sets_the_cut_off(
    administrator, caseworker, tashan_community
):
    round = open_round(quota=2)
    first, third, second = three_ranked(round, caseworker, tashan_community)
    ranking = publish(round, administrator)
    entries = list(PointsRankingEntry.objects.filter(ranking=ranking).order_by("position"))
    assert [e.reference for e in entries] == [first.reference, second.reference, third.reference]
    assert [e.within_quota for e in entries] == [True, True, False]
    assert ranking.cutoff == entries[1].total and not ranking.is_final
    assert entries[0].masked_name.endswith("*") and entries[0].masked_name != first.applicant.name
    round.refresh_from_db()
    assert round.objection_ends_on == today() + datetime.timedelta(days=round.objection_days)
    assert Notification.objects.filter(template="points.ranking_published").count() == 3


def test_equal_totals_are_ordered_by_the_published_tie_break(administrator, caseworker, tashan_community):
    round = open_round()
    declared = {"social_insurance_years": "4", "administrative_penalties": "0", "criminal_record_5y": False}
    # Three years of residence and 50 hours of volunteering (+2) equal four years of residence (+2 more).
    shorter_stay = verified(
        holder(tashan_community, years=3, education="senior"), round, caseworker,
        {**declared, "volunteer_hours": "50"},
    )  # fmt: skip
    longer_stay = verified(holder(tashan_community, years=4, education="senior"), round, caseworker, declared)
    assert total_of(shorter_stay) == total_of(longer_stay)
    entries = list(PointsRankingEntry.objects.filter(ranking=publish(round, administrator)).order_by("position"))
    # longer continuous residence first, though submitted later
    assert [e.reference for e in entries] == [longer_stay.reference, shorter_stay.reference]
    assert all(e.tied for e in entries)


def test_an_objection_reopens_review_of_the_contested_items_only(administrator, caseworker, tashan_community):
    round = open_round()
    case = three_ranked(round, caseworker, tashan_community)[1]
    applicant = case.applicant
    publish(round, administrator)
    objection = services.points_objection_file(
        actor=applicant.user,
        case=case,
        item_keys=["social_insurance_years"],
        reason="我实际缴纳了 5 年社保，附补充证明",
    )
    case.refresh_from_db()
    items = items_of(case)
    assert case.status == CaseStatus.RESUBMITTED
    assert items["social_insurance_years"].status == ItemStatus.PENDING and items["social_insurance_years"].contested
    assert items["education"].status == ItemStatus.COMPUTED
    assert objection.previous["social_insurance_years"]["value"] == "3"
    # the score keeps counting while the objection is reviewed
    assert resident_points_current(applicant) is not None
    services.points_item_verify(
        actor=caseworker,
        case=case,
        key="social_insurance_years",
        decision="adjusted",
        value="5",
        reason="补充的社保证明属实",
    )
    case = services.points_review_complete(actor=caseworker, case=case)
    objection.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and objection.resolved_at is not None
    assert "→" in objection.outcome and total_of(case) == objection.previous_total + 6


def test_objections_are_taken_only_within_the_window(administrator, caseworker, tashan_community):
    round = open_round()
    case = three_ranked(round, caseworker, tashan_community)[0]
    error = refused(
        services.points_objection_file, actor=case.applicant.user, case=case, item_keys=["education"], reason="学历有误"
    )
    assert error.code == "points_objection_closed"  # not yet published
    publish(round, administrator)
    objection_window_over(round)
    error = refused(
        services.points_objection_file, actor=case.applicant.user, case=case, item_keys=["education"], reason="学历有误"
    )
    assert error.code == "points_objection_closed"


def test_an_objection_needs_items_and_a_reason_and_only_the_applicant_files_it(
    administrator, caseworker, tashan_community, other_user
):
    round = open_round()
    case = three_ranked(round, caseworker, tashan_community)[0]
    publish(round, administrator)
    user = case.applicant.user
    assert refused(services.points_objection_file, actor=user, case=case, item_keys=[], reason="x").code == (
        "points_objection_items"
    )
    assert refused(services.points_objection_file, actor=user, case=case, item_keys=["education"], reason=" ").code == (
        "reason_required"
    )
    assert refused(services.points_objection_file, actor=user, case=case, item_keys=["nope"], reason="x").code == (
        "points_item_unknown"
    )
    assert (
        refused(services.points_objection_file, actor=other_user, case=case, item_keys=["education"], reason="x").code
        == "not_allowed"
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_a_resubmission_without_an_objection_is_refused(administrator, caseworker, tashan_community):
    round = open_round()
    case = three_ranked(round, caseworker, tashan_community)[0]
    error = refused(
        cases_services.case_transition, actor=case.applicant.user, case=case, target=CaseStatus.RESUBMITTED
    )
    assert error.code == "points_objection_required"


def test_the_final_ranking_comes_after_the_window_and_every_objection(administrator, caseworker, tashan_community):
    round = open_round()
    case = three_ranked(round, caseworker, tashan_community)[1]
    publish(round, administrator)
    services.points_objection_file(
        actor=case.applicant.user, case=case, item_keys=["social_insurance_years"], reason="年限有误"
    )
    assert refused(services.points_ranking_publish, actor=administrator, round=round).code == (
        "points_objection_window_open"
    )
    objection_window_over(round)
    assert refused(services.points_ranking_publish, actor=administrator, round=round).code == (
        "points_review_unfinished"
    )
    services.points_item_verify(
        actor=caseworker, case=case, key="social_insurance_years", decision="adjusted", value="6", reason="核实为 6 年"
    )
    services.points_review_complete(actor=caseworker, case=case)
    final = services.points_ranking_publish(actor=administrator, round=round)
    assert final.is_final and final.edition == 2
    top = PointsRankingEntry.objects.get(ranking=final, position=1)
    assert top.reference == case.reference  # 6 years now beats 5
    assert refused(services.points_ranking_publish, actor=administrator, round=round).code == "points_ranking_final"


def test_publishing_and_succeeding_a_rule_set_is_audited(administrator):
    from points.selectors import rule_set_current

    current = rule_set_current()
    draft = services.rule_set_succeed(actor=administrator, rule_set=current)
    services.rule_set_publish(actor=administrator, rule_set=draft)
    types = list(AuditEvent.objects.filter(actor=administrator).values_list("event_type", flat=True))
    assert PointsEvent.POINTS_RULE_SET_SUCCEEDED in types and PointsEvent.POINTS_RULE_SET_PUBLISHED in types


def test_scores_keep_the_version_they_were_made_under(resident, caseworker, administrator):
    from points.selectors import rule_set_current

    permit_holder(resident)
    case = verified(resident, open_round(), caseworker)
    draft = services.rule_set_succeed(actor=administrator, rule_set=rule_set_current())
    services.rule_set_publish(actor=administrator, rule_set=draft)
    assert resident_points_current(resident).rule_set_version == "2026.1"
    assert PointsApplication.objects.get(case=case).rule_set.version == "2026.1"


# --- visibility ---------------------------------------------------------------------------------------


def test_applications_are_seen_by_the_applicant_their_caseworker_and_administrators_only(
    resident, other_user, caseworker, caseworker_elsewhere, administrator
):
    permit_holder(resident)
    case = start(resident, open_round())
    from django.contrib.auth.models import AnonymousUser

    def sees(user) -> bool:  # type: ignore[no-untyped-def]
        return points_applications(user=user).filter(pk=case.pk).exists()

    assert sees(resident.user) and sees(administrator)
    assert not sees(other_user) and not sees(caseworker_elsewhere) and not sees(AnonymousUser())
    cases_services.case_document_upload  # noqa: B018 — the case page serves documents through Case visibility
    upload_evidence(case)
    cases_services.case_submit(actor=resident.user, case=case)
    assert sees(caseworker)


def test_the_bulk_read_gives_each_resident_their_latest_score(resident, caseworker, administrator):
    permit_holder(resident, years=3, education="bachelor")
    earlier = verified(resident, open_round(), caseworker)
    later_round = open_round(name_zh="第二期")
    later = verified(resident, later_round, caseworker, {**SOCIAL_INSURANCE_ONLY, "social_insurance_years": "6"})
    scores = resident_points_bulk([resident.pk])
    assert scores[resident.pk].reference == later.reference != earlier.reference
    assert scores[resident.pk] == resident_points_current(resident)


def test_a_correction_after_the_documents_notice_sends_only_the_changed_line_back_to_review(resident, caseworker):
    permit_holder(resident, years=3, education="bachelor")
    declared = {**SOCIAL_INSURANCE_ONLY, "volunteer_hours": "100"}
    case = submitted(resident, open_round(), declared)
    services.points_item_verify(actor=caseworker, case=case, key="volunteer_hours", decision="accepted",
                                reason="志愿服务记录属实")  # fmt: skip
    cases_services.case_request_documents(
        actor=caseworker, case=case, missing=[evidence_key("social_insurance_years")], note="请上传社保缴纳记录"
    )
    services.points_application_declare(
        actor=resident.user, case=case, declared={**declared, "social_insurance_years": "4"}
    )
    items = items_of(case)
    assert items["residence_years"].status == ItemStatus.COMPUTED and items["residence_years"].value is not None
    assert items["volunteer_hours"].status == ItemStatus.ACCEPTED
    assert (items["social_insurance_years"].status, items["social_insurance_years"].declared) == ("pending", "4")
