"""The reminder sweeps: the caseworkers' daily digest of overdue and soon-due cases (residents.reminders),
recorded once per caseworker and day however often the sweep runs, at a cost that does not grow with the
number of cases."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.choices import CaseStatus
from notifications.models import Delivery, Notification, Reminder
from notifications.reminders import sweeps, sweeps_run
from notifications.services import notification_render

from ..casework import case_row
from ..factories import ResidentFactory, caseworker_for, street

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_case_type")]

TODAY = datetime.date(2025, 3, 10)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


MORNING = at(TODAY, 7)  # the digest counts from 07:00 on the day it runs


def given_cases(community, caseworker, *, overdue: int, due_soon: int, later: int = 0) -> None:  # type: ignore[no-untyped-def]
    for n in range(overdue):
        case_row(ResidentFactory(community=community), opened_by=caseworker,
                 due_at=MORNING - datetime.timedelta(days=1, hours=n))  # fmt: skip
    for n in range(due_soon):
        case_row(ResidentFactory(community=community), opened_by=caseworker,
                 due_at=MORNING + datetime.timedelta(hours=1 + n))  # fmt: skip
    for n in range(later):
        case_row(ResidentFactory(community=community), opened_by=caseworker,
                 due_at=MORNING + datetime.timedelta(days=5, hours=n))  # fmt: skip


@pytest.fixture
def tashan_queue(tashan_community, caseworker):  # type: ignore[no-untyped-def]
    """In 塔山: 2 overdue, 3 due within two days, 1 due later; plus decided and waiting cases that never count."""
    given_cases(tashan_community, caseworker, overdue=2, due_soon=3, later=1)
    for status in (CaseStatus.APPROVED, CaseStatus.NEEDS_DOCUMENTS, CaseStatus.WITHDRAWN):
        case_row(ResidentFactory(community=tashan_community), opened_by=caseworker, status=status,
                 due_at=MORNING - datetime.timedelta(days=3))  # fmt: skip


def test_the_case_digest_is_registered():
    assert "case_digest" in sweeps()


def test_the_digest_gives_a_caseworker_one_reminder_with_the_counts_of_their_streets(tashan_queue, caseworker):
    result = sweeps_run(TODAY)

    assert result["case_digest"] == 1
    [reminder] = Reminder.objects.all()
    assert (reminder.kind, reminder.subject, reminder.due_date, reminder.recipient) == (
        "case_digest", f"user:{caseworker.pk}", TODAY, caseworker,
    )  # fmt: skip
    [message] = Notification.objects.all()
    assert message.recipient == caseworker
    assert message.template == "case.digest"
    assert message.context == {"overdue": 2, "due_soon": 3}
    assert message.link == "/admin/residents/case/"
    body = notification_render(message, language="zh-hans").body
    assert "2 件申请已超过办理时限" in body
    assert "3 件将在两天内到期" in body
    # case.digest goes by e-mail, not SMS
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]


def test_running_the_sweep_again_the_same_day_records_and_sends_nothing_new(tashan_queue, caseworker):
    sweeps_run(TODAY)
    counts = (Reminder.objects.count(), Notification.objects.count(), Delivery.objects.count())

    assert sweeps_run(TODAY)["case_digest"] == 0
    assert sweeps_run(TODAY)["case_digest"] == 0

    assert (Reminder.objects.count(), Notification.objects.count(), Delivery.objects.count()) == counts


def test_the_next_day_brings_a_new_digest(tashan_queue, caseworker):
    sweeps_run(TODAY)

    assert sweeps_run(TODAY + datetime.timedelta(days=1))["case_digest"] == 1

    assert Reminder.objects.filter(recipient=caseworker).count() == 2
    latest = Notification.objects.filter(recipient=caseworker).latest("id")
    assert latest.context == {"overdue": 5, "due_soon": 0}  # a day later the due-soon cases are overdue


def test_each_caseworker_counts_only_the_streets_they_cover(tashan_community, fushan_community, caseworker):
    given_cases(tashan_community, caseworker, overdue=1, due_soon=0)
    given_cases(fushan_community, caseworker, overdue=0, due_soon=2)
    fushan_only = caseworker_for(street("府山街道"), username="fushan_only")
    both = caseworker_for(street("塔山街道"), street("府山街道"), username="both")
    caseworker_for(street("北海街道"), username="beihai_quiet")

    assert sweeps_run(TODAY)["case_digest"] == 3

    contexts = {n.recipient.username: n.context for n in Notification.objects.select_related("recipient")}
    assert contexts == {
        caseworker.username: {"overdue": 1, "due_soon": 0},
        fushan_only.username: {"overdue": 0, "due_soon": 2},
        both.username: {"overdue": 1, "due_soon": 2},
    }


def test_no_digest_when_nothing_is_due(tashan_community, caseworker):
    given_cases(tashan_community, caseworker, overdue=0, due_soon=0, later=3)

    assert sweeps_run(TODAY)["case_digest"] == 0
    assert not Reminder.objects.exists()
    assert not Notification.objects.exists()


def test_an_inactive_caseworker_gets_no_digest(tashan_queue, caseworker):
    type(caseworker).objects.filter(pk=caseworker.pk).update(is_active=False)

    assert sweeps_run(TODAY)["case_digest"] == 0


def test_the_run_reminders_command_runs_the_same_sweep(tashan_queue, caseworker, capsys):
    call_command("run_reminders", "--date", TODAY.isoformat(), "--only", "case_digest")

    assert "case_digest: 1 new reminder(s)" in capsys.readouterr().out
    assert Notification.objects.get().context == {"overdue": 2, "due_soon": 3}

    call_command("run_reminders", "--date", TODAY.isoformat())
    assert "case_digest: 0 new reminder(s)" in capsys.readouterr().out
    assert Reminder.objects.count() == 1


def test_the_sweeps_cost_does_not_grow_with_the_number_of_cases(
    tashan_community, fushan_community, caseworker, caseworker_elsewhere, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Given 5 cases due, count the queries of a sweep
    given_cases(tashan_community, caseworker, overdue=2, due_soon=2)
    given_cases(fushan_community, caseworker, overdue=1, due_soon=0)
    with CaptureQueriesContext(connection) as few:
        assert sweeps_run(TODAY, only="case_digest") == {"case_digest": 2}

    # When there are 50 (on another day, so the reminders are new again), it costs no more
    given_cases(tashan_community, caseworker, overdue=20, due_soon=10)
    given_cases(fushan_community, caseworker, overdue=10, due_soon=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert sweeps_run(TODAY + datetime.timedelta(days=1), only="case_digest") == {"case_digest": 2}
    assert Notification.objects.filter(recipient=caseworker).latest("id").context["overdue"] > 20
