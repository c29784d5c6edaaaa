"""The enrolment reminders: eligible families who have not applied, 7 days and 1 day before applications close;
parents with an unanswered offer, 2 days before confirmation ends. Sent once however often the sweep runs, and
read with a number of queries that does not grow with the families."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from education import services
from education.models import EnrolmentRound
from notifications.models import Notification, Reminder
from notifications.reminders import sweeps, sweeps_run
from notifications.services import notification_render

from ..factories import ResidentFactory, guardian_link
from .factories import (
    ALLOCATION_DAY,
    APPLICATIONS_CLOSE,
    BORN_ON_OR_BEFORE,
    CONFIRMATION_END,
    approved,
    enrolment_round,
    family,
    on,
    start,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
SEVEN_DAYS_BEFORE = APPLICATIONS_CLOSE - 7 * DAY
ONE_DAY_BEFORE = APPLICATIONS_CLOSE - DAY


def told(template: str) -> list[Notification]:
    return list(Notification.objects.filter(template=template).order_by("id"))


def queries_of(sweep: str, today: datetime.date) -> int:
    with CaptureQueriesContext(connection) as captured:
        sweeps()[sweep](today)
    return len(captured)


def test_the_enrolment_sweeps_are_registered():
    assert {"enrolment_apply_due", "enrolment_confirm_due"} <= set(sweeps())


def test_an_eligible_family_that_has_not_applied_is_reminded_a_week_and_a_day_before_the_close(open_round, wang):
    guardian, child = wang

    assert sweeps_run(SEVEN_DAYS_BEFORE, only="enrolment_apply_due") == {"enrolment_apply_due": 1}
    assert sweeps_run(ONE_DAY_BEFORE, only="enrolment_apply_due") == {"enrolment_apply_due": 1}

    week, day = told("education.apply_due")
    assert week.recipient == day.recipient == guardian.user
    body = notification_render(week, language="zh-hans").body
    assert child.name in body and "2027-05-23" in body and "还有 7 天" in body
    assert "还有 1 天" in notification_render(day, language="zh-hans").body


def test_no_reminder_on_other_days(open_round, wang):
    for day in (SEVEN_DAYS_BEFORE - DAY, APPLICATIONS_CLOSE - 3 * DAY, APPLICATIONS_CLOSE + DAY):
        assert sweeps_run(day, only="enrolment_apply_due") == {"enrolment_apply_due": 0}


def test_a_missed_day_is_caught_up_but_sent_once(open_round, wang):
    assert sweeps_run(SEVEN_DAYS_BEFORE + DAY, only="enrolment_apply_due") == {"enrolment_apply_due": 1}
    assert sweeps_run(SEVEN_DAYS_BEFORE + 2 * DAY, only="enrolment_apply_due") == {"enrolment_apply_due": 0}
    assert sweeps_run(SEVEN_DAYS_BEFORE + 2 * DAY, only="enrolment_apply_due") == {"enrolment_apply_due": 0}
    assert len(told("education.apply_due")) == 1


def test_who_is_not_reminded(open_round, wang, zhao, tashan_community):
    start(*zhao, open_round)  # applied already
    family("钱多", tashan_community, permit="lapsed")  # no valid permit
    family("孙丽", tashan_community, born=BORN_ON_OR_BEFORE + DAY)  # too young this year
    no_login = family("周敏", tashan_community)[0]
    no_login.user.is_active = False
    no_login.user.save()
    archived_child = family("李军", tashan_community)[1]
    type(archived_child).objects.filter(pk=archived_child.pk).update(archived_at=archived_child.created_at,
                                                                     archive_reason="迁出")  # fmt: skip

    sweeps_run(SEVEN_DAYS_BEFORE, only="enrolment_apply_due")

    assert [n.recipient for n in told("education.apply_due")] == [wang[0].user]


def test_a_draft_round_reminds_nobody(open_round, wang):
    EnrolmentRound.objects.filter(pk=open_round.pk).update(status="draft")

    assert sweeps_run(SEVEN_DAYS_BEFORE, only="enrolment_apply_due") == {"enrolment_apply_due": 0}


def test_each_guardian_with_a_valid_permit_is_reminded_for_each_child(open_round, wang, tashan_community):
    guardian, _child = wang
    second = ResidentFactory(user=None, name="王小雷", birth_date=BORN_ON_OR_BEFORE, community=tashan_community)
    guardian_link(guardian, second)

    sweeps_run(SEVEN_DAYS_BEFORE, only="enrolment_apply_due")

    assert sorted(n.context["child"] for n in told("education.apply_due")) == ["王小雨", "王小雷"]


def test_the_apply_sweep_costs_the_same_for_one_family_as_for_twelve(open_round, tashan_community):
    family("一家", tashan_community)
    one = queries_of("enrolment_apply_due", SEVEN_DAYS_BEFORE)
    for n in range(11):
        family(f"家长{n}", tashan_community)

    assert queries_of("enrolment_apply_due", SEVEN_DAYS_BEFORE) == one
    assert len(sweeps()["enrolment_apply_due"](SEVEN_DAYS_BEFORE)) == 12


# --- confirmation -------------------------------------------------------------------------------------


@pytest.fixture
def offered(open_round, tashan_community, tashan_school, administrator):  # type: ignore[no-untyped-def]
    """Two families offered 塔山小学 (2 seats)."""
    applications = [
        approved(*family(name, tashan_community), open_round, administrator, schools=[tashan_school])
        for name in ("王芳", "赵强")
    ]
    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=open_round)
    return applications


def test_a_parent_who_has_not_answered_is_reminded_two_days_before_confirmation_ends(offered):
    wang, zhao = offered
    with on(ALLOCATION_DAY + DAY):
        services.enrolment_offer_confirm(actor=zhao.guardian.user, application=zhao)

    two_days_before = CONFIRMATION_END - 2 * DAY
    assert sweeps_run(two_days_before - DAY, only="enrolment_confirm_due") == {"enrolment_confirm_due": 0}
    assert sweeps_run(two_days_before, only="enrolment_confirm_due") == {"enrolment_confirm_due": 1}
    assert sweeps_run(two_days_before, only="enrolment_confirm_due") == {"enrolment_confirm_due": 0}
    assert sweeps_run(CONFIRMATION_END, only="enrolment_confirm_due") == {"enrolment_confirm_due": 0}

    (reminder,) = told("education.confirm_due")
    assert reminder.recipient == wang.guardian.user
    assert reminder.link == f"/me/cases/{wang.case.reference}/"
    assert "塔山小学" in notification_render(reminder, language="zh-hans").body
    assert Reminder.objects.filter(kind="enrolment_confirm_due").count() == 1


def test_the_confirm_sweep_costs_the_same_for_two_offers_as_for_eight(tashan_community, tashan_school, administrator):
    day = CONFIRMATION_END - 2 * DAY

    def offers_in(year: int, families: int) -> None:
        this_round = enrolment_round(year=year, seats={tashan_school: 10})
        for n in range(families):
            approved(*family(f"家长{year}{n}", tashan_community), this_round, administrator, schools=[tashan_school])
        with on(ALLOCATION_DAY):
            services.enrolment_allocation_run(actor=administrator, enrolment_round=this_round)

    offers_in(2027, 2)
    two = queries_of("enrolment_confirm_due", day)
    offers_in(2028, 6)

    assert queries_of("enrolment_confirm_due", day) == two
    assert len(sweeps()["enrolment_confirm_due"](day)) == 8
