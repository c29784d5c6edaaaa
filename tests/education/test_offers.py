"""The family's answer to an offer (confirm or decline within the confirmation window; two answers at once are
taken one after the other), offers lapsing after the window, publishing the cut-offs, closing the round, and
the further round (补录): its seats are what is left (seats − confirmed − still offered), for the unplaced and
the declined, whose checked documents carry over."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from cases.choices import CaseStatus
from cases.models import CaseDocument
from education import selectors, services
from education.choices import EnrolmentEvent, ResultStatus, RoundStatus
from education.models import EnrolmentApplication, EnrolmentResult, EnrolmentRound, RoundSchool
from notifications.models import Notification
from residents.models import AuditEvent

from ..casework import refused
from ..factories import UserFactory, guardian_link
from .factories import (
    ALLOCATION_DAY,
    CONFIRMATION_END,
    approved,
    enrolment_round,
    family,
    on,
    points,
    start,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
DURING_CONFIRMATION = ALLOCATION_DAY + DAY


@pytest.fixture
def allocated(open_round, tashan_community, fushan_community, tashan_school, fushan_school, chengnan_school,
              administrator, verified_points):  # type: ignore[no-untyped-def]  # fmt: skip
    """The round allocated. 塔山 (2 seats): 王芳 and 赵强; 城南 (1): 孙丽; 府山 (2): 周敏 (one seat left);
    李军 unplaced."""
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
    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=open_round)
    return scene


def result(application: EnrolmentApplication) -> EnrolmentResult:
    return EnrolmentResult.objects.select_related("school").get(application_id=application.pk)


def confirm(application: EnrolmentApplication, actor=None) -> EnrolmentResult:  # type: ignore[no-untyped-def]
    return services.enrolment_offer_confirm(actor=actor or application.guardian.user, application=application)


def decline(application: EnrolmentApplication, actor=None, reason: str = "") -> EnrolmentResult:  # type: ignore[no-untyped-def]
    return services.enrolment_offer_decline(
        actor=actor or application.guardian.user, application=application, reason=reason
    )


# --- confirm and decline ------------------------------------------------------------------------------


def test_a_parent_confirms_the_offer_within_the_window(allocated):
    wang = allocated["王芳"]

    with on(DURING_CONFIRMATION):
        confirmed = confirm(wang)

    assert (confirmed.status, confirmed.responded_by) == (ResultStatus.CONFIRMED, wang.guardian.user)
    assert confirmed.responded_at is not None
    assert AuditEvent.objects.filter(event_type=EnrolmentEvent.ENROLMENT_OFFER_CONFIRMED, subject=wang.child).exists()
    receipt = Notification.objects.get(recipient=wang.guardian.user, template="education.offer_confirmed")
    assert receipt.context["school"] == {"zh": "塔山小学", "en": "Tashan Primary School"}


def test_confirming_twice_is_refused_plainly(allocated):
    with on(DURING_CONFIRMATION):
        confirm(allocated["王芳"])
        error = refused(confirm, application=allocated["王芳"])

    assert (error.code, error.conflict) == ("offer_already_confirmed", True)


def test_the_last_day_of_the_window_counts_and_the_day_after_does_not(allocated):
    with on(CONFIRMATION_END):
        assert confirm(allocated["王芳"]).status == ResultStatus.CONFIRMED
    with on(CONFIRMATION_END + DAY):
        error = refused(confirm, application=allocated["赵强"])

    assert error.code == "confirmation_closed"
    assert result(allocated["赵强"]).status == ResultStatus.OFFERED


def test_another_parent_cannot_answer_for_my_child_but_the_caseworker_at_the_window_can(allocated, caseworker):
    wang, zhao = allocated["王芳"], allocated["赵强"]

    with on(DURING_CONFIRMATION):
        assert refused(confirm, application=wang, actor=zhao.guardian.user).code == "not_allowed"
        assert refused(decline, application=wang, actor=zhao.guardian.user).code == "not_allowed"
        assert confirm(wang, actor=caseworker).responded_by == caseworker


def test_an_unplaced_child_has_nothing_to_confirm(allocated):
    with on(DURING_CONFIRMATION):
        assert refused(confirm, application=allocated["李军"]).code == "offer_not_open"


def test_declining_frees_the_seat_and_tells_the_family_about_the_further_round(allocated, open_round):
    sun = allocated["孙丽"]

    with on(DURING_CONFIRMATION):
        declined = decline(sun, reason="离家太远")

    assert declined.status == ResultStatus.DECLINED
    assert services.seats_left(open_round)[declined.school_id] == 1
    event = AuditEvent.objects.get(event_type=EnrolmentEvent.ENROLMENT_OFFER_DECLINED, subject=sun.child)
    assert event.reason == "离家太远"
    assert Notification.objects.filter(recipient=sun.guardian.user, template="education.offer_declined").exists()
    with on(DURING_CONFIRMATION):
        assert refused(confirm, application=sun).code == "offer_not_open"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_parents_confirming_at_the_same_moment_confirm_once(allocated):
    # Real threads, each with its own connection: the result's row lock takes the answers one after the other.
    wang = allocated["王芳"]
    second_parent = family("王芳的丈夫", wang.guardian.community)[0]
    guardian_link(second_parent, wang.child)
    barrier, outcomes = threading.Barrier(2), []

    def attempt(user) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            with on(DURING_CONFIRMATION):
                confirm(wang, actor=user)
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(getattr(error, "code", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in (wang.guardian.user, second_parent.user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["offer_already_confirmed", "ok"]
    assert result(wang).status == ResultStatus.CONFIRMED
    assert AuditEvent.objects.filter(event_type=EnrolmentEvent.ENROLMENT_OFFER_CONFIRMED).count() == 1
    assert Notification.objects.filter(template="education.offer_confirmed").count() == 2  # both parents, once


# --- lapse, publish, close ----------------------------------------------------------------------------


def test_offers_unanswered_after_the_window_lapse_once(allocated):
    with on(DURING_CONFIRMATION):
        confirm(allocated["王芳"])

    with on(CONFIRMATION_END):
        assert services.enrolment_offers_lapse() == 0
    with on(CONFIRMATION_END + DAY):
        assert services.enrolment_offers_lapse() == 3  # 赵强, 孙丽, 周敏
        assert services.enrolment_offers_lapse() == 0

    assert result(allocated["王芳"]).status == ResultStatus.CONFIRMED
    assert result(allocated["赵强"]).status == ResultStatus.LAPSED
    assert result(allocated["李军"]).status == ResultStatus.UNPLACED
    zhao = allocated["赵强"]
    assert Notification.objects.filter(recipient=zhao.guardian.user, template="education.offer_lapsed").count() == 1
    lapse = AuditEvent.objects.get(event_type=EnrolmentEvent.ENROLMENT_OFFER_LAPSED, subject=zhao.child)
    assert lapse.new_values["status"] == ResultStatus.LAPSED


def test_publishing_makes_the_cut_offs_public(allocated, open_round, administrator):
    assert not selectors.cutoffs_published(enrolment_round=open_round).exists()

    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)

    published = {c.school.name: c for c in selectors.cutoffs_published(enrolment_round=open_round)}
    assert published["塔山小学"].last_points == 80 and published["塔山小学"].last_tier == 0
    assert not published["府山小学"].is_full
    assert EnrolmentRound.objects.get(pk=open_round.pk).status == RoundStatus.PUBLISHED
    assert AuditEvent.objects.filter(event_type=EnrolmentEvent.ENROLMENT_RESULT_PUBLISHED).count() == 1
    again = refused(services.enrolment_results_publish, actor=administrator, enrolment_round=open_round)
    assert again.code == "round_status"


def test_closing_waits_for_the_window_then_lapses_what_is_unanswered(allocated, open_round, administrator):
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
    with on(CONFIRMATION_END):
        assert refused(services.enrolment_round_close, actor=administrator, enrolment_round=open_round).code == (
            "confirmation_not_over"
        )
    with on(CONFIRMATION_END + DAY):
        closed = services.enrolment_round_close(actor=administrator, enrolment_round=open_round)

    assert closed.status == RoundStatus.CLOSED
    assert not EnrolmentResult.objects.filter(round=open_round, status=ResultStatus.OFFERED).exists()


# --- the further round --------------------------------------------------------------------------------


def further(previous: EnrolmentRound, actor, day: datetime.date = DURING_CONFIRMATION) -> EnrolmentRound:  # type: ignore[no-untyped-def]
    with on(day):
        return services.enrolment_further_round_open(actor=actor, previous=previous)


def seats_of(enrolment_round: EnrolmentRound) -> dict[str, int]:
    return dict(RoundSchool.objects.filter(round=enrolment_round).values_list("school__name", "seats"))


def test_the_further_round_offers_seats_less_confirmed_less_still_offered(allocated, open_round, administrator):
    with on(DURING_CONFIRMATION):
        confirm(allocated["王芳"])  # 塔山: 1 confirmed + 赵强 still offered = 2 of 2
        decline(allocated["孙丽"])  # 城南: its one seat is free again
        confirm(allocated["周敏"])  # 府山: 1 of 2
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)

    later = further(open_round, administrator)

    assert seats_of(later) == {"城南小学": 1, "府山小学": 1}
    assert (later.status, later.previous, later.grade, later.year) == (RoundStatus.OPEN, open_round, "primary_1", 2027)
    assert later.name == "2027 年小学一年级随迁子女入学（补录）"
    assert later.applications_open_on == DURING_CONFIRMATION
    assert later.born_on_or_before == open_round.born_on_or_before


def test_after_the_window_the_lapsed_offers_free_their_seats_too(allocated, open_round, administrator):
    with on(DURING_CONFIRMATION):
        confirm(allocated["王芳"])
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)

    later = further(open_round, administrator, day=CONFIRMATION_END + DAY)

    assert seats_of(later) == {"塔山小学": 1, "城南小学": 1, "府山小学": 2}
    assert result(allocated["赵强"]).status == ResultStatus.LAPSED


def test_the_unplaced_and_the_declined_are_told_and_may_apply(allocated, open_round, administrator):
    with on(DURING_CONFIRMATION):
        decline(allocated["孙丽"])
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)

    later = further(open_round, administrator)

    told = set(Notification.objects.filter(template="education.further_round_open").values_list("recipient", flat=True))
    assert told == {allocated["孙丽"].guardian.user_id, allocated["李军"].guardian.user_id}
    eligible = selectors.families_eligible_not_applied(enrolment_round=later, today=DURING_CONFIRMATION)
    assert {link.child_id for link in eligible} == {allocated["孙丽"].child_id, allocated["李军"].child_id}


def test_in_the_further_round_checked_documents_carry_over_and_the_family_only_ranks_schools(
    allocated, open_round, administrator, chengnan_school
):  # type: ignore[no-untyped-def]
    li = allocated["李军"]
    with on(DURING_CONFIRMATION):
        decline(allocated["孙丽"])  # 城南's seat
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
    later = further(open_round, administrator)

    with on(DURING_CONFIRMATION):
        case = start(li.guardian, li.child, later)
        services.enrolment_preferences_set(actor=li.guardian.user, application=case, schools=[chengnan_school])

    assert case.status == CaseStatus.APPROVED
    assert "上一轮" in case.decision_reason and li.case.reference in case.decision_reason
    assert CaseDocument.objects.filter(case=case).count() == CaseDocument.objects.filter(case=li.case).count() == 4
    assert EnrolmentApplication.objects.get(pk=case.pk).follows == li


def test_a_child_placed_in_the_first_round_or_never_in_it_may_not_apply_in_the_further_round(
    allocated, open_round, administrator, tashan_community
):  # type: ignore[no-untyped-def]
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
    later = further(open_round, administrator)
    wang = allocated["王芳"]
    newcomer = family("新来的", tashan_community)

    with on(DURING_CONFIRMATION):
        assert refused(start, guardian=wang.guardian, child=wang.child, of=later).code == "further_round_not_eligible"
        assert refused(start, guardian=newcomer[0], child=newcomer[1], of=later).code == "further_round_not_eligible"


def test_a_further_round_needs_published_results_and_is_opened_once(allocated, open_round, administrator):
    with on(DURING_CONFIRMATION):
        assert refused(services.enrolment_further_round_open, actor=administrator, previous=open_round).code == (
            "round_status"
        )
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
    further(open_round, administrator)

    with on(DURING_CONFIRMATION):
        error = refused(services.enrolment_further_round_open, actor=administrator, previous=open_round)
    assert error.code == "further_round_exists"
    assert refused(services.enrolment_further_round_open, actor=UserFactory(), previous=open_round).code == (
        "not_allowed"
    )


def test_no_further_round_when_every_seat_is_taken(tashan_school, tashan_community, administrator):
    full = enrolment_round(seats={tashan_school: 1})
    only = approved(*family("唯一", tashan_community), full, administrator, schools=[tashan_school])
    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=full)
        confirm(only)
    services.enrolment_results_publish(actor=administrator, enrolment_round=full)

    with on(DURING_CONFIRMATION):
        error = refused(services.enrolment_further_round_open, actor=administrator, previous=full)

    assert error.code == "no_seats_left"
    assert not EnrolmentRound.objects.filter(previous=full).exists()


def test_the_further_round_is_allocated_like_any_round(allocated, open_round, administrator, chengnan_school):
    with on(DURING_CONFIRMATION):
        decline(allocated["孙丽"])
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
    later = further(open_round, administrator)
    li = allocated["李军"]
    with on(DURING_CONFIRMATION):
        case = start(li.guardian, li.child, later)
        services.enrolment_preferences_set(actor=li.guardian.user, application=case, schools=[chengnan_school])

    with on(later.allocation_on):
        final = services.enrolment_allocation_run(actor=administrator, enrolment_round=later)

    assert (final.applicants, final.placed) == (1, 1)
    placed = EnrolmentResult.objects.get(application_id=case.pk)
    assert (placed.status, placed.school, placed.choice_rank) == (ResultStatus.OFFERED, chengnan_school, 1)
