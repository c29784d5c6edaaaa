"""The permit reminder sweeps (residents.reminders): the endorsement reminders 30 and 7 days before a permit's
year ends, the notice the day after that it is suspended (条例 art. 10), each sent once to the holder or, for a
child without a login, to each guardian; none once the permit is endorsed or an endorsement is pending; a
missed day caught up; and a cost that does not grow with the number of permits."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.choices import CaseStatus
from notifications.models import Delivery, Notification, Reminder
from notifications.reminders import sweeps, sweeps_run
from notifications.services import notification_render
from permits import selectors, services
from permits.models import Permit

from ..factories import ResidentFactory, UserFactory, guardian_link
from ..permits import permit_row, register

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.timedelta(days=1)
DUE = "permit_endorsement_due"
LAPSED = "permit_lapsed"

# A permit issued on 1 September 2025: its year ends on V = 31 August 2026; the endorsement window (the
# month before the anniversary) opens on 1 August, which is V − 30.
ISSUED = datetime.date(2025, 9, 1)
V = datetime.date(2026, 8, 31)


@pytest.fixture(autouse=True)
def clock(time_machine):  # type: ignore[no-untyped-def]
    """The services called here read today's date: ``clock(day)`` stops the clock at 10:00 in Shaoxing."""

    def move_to(day: datetime.date) -> None:
        time_machine.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI), tick=False)

    move_to(V - 40 * DAY)
    return move_to


@pytest.fixture
def permit(resident) -> Permit:  # type: ignore[no-untyped-def]
    """The owner's permit, year ending on V."""
    return permit_row(resident, issued_on=ISSUED)


def run(day: datetime.date, only: str = DUE) -> int:
    return sweeps_run(day, only=only)[only]


def sent() -> tuple[int, int, int]:
    return Reminder.objects.count(), Notification.objects.count(), Delivery.objects.count()


def test_both_permit_sweeps_are_registered():
    assert {DUE, LAPSED} <= set(sweeps())


def test_on_the_embedded_default_the_reminder_text_message_is_sent_right_after_the_sweep(  # type: ignore[no-untyped-def]
    settings, resident, permit, sms_outbox, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    resident.user.phone = "+8613800138000"
    resident.user.save(update_fields=["phone"])

    with django_capture_on_commit_callbacks(execute=True):
        assert run(V - 7 * DAY) == 1

    assert [m.phone for m in sms_outbox] == ["+8613800138000"]
    assert permit.number in sms_outbox[0].text
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_thirty_days_before_the_year_ends_the_holder_is_reminded_once(resident, permit):
    assert run(V - 30 * DAY) == 1

    [reminder] = Reminder.objects.all()
    assert (reminder.kind, reminder.subject, reminder.due_date, reminder.recipient) == (
        "permit_endorsement_30d", f"permit:{permit.pk}:user:{resident.user.pk}", V, resident.user,
    )  # fmt: skip
    [message] = Notification.objects.all()
    assert (message.recipient, message.template) == (resident.user, "permit.endorsement_due")
    assert message.context == {"number": permit.number, "valid_until": "2026-08-31", "days": 30}
    assert message.link == reverse("permits:permit_detail", args=[permit.number])
    body = notification_render(message, language="zh-hans").body
    assert permit.number in body and "2026-08-31" in body and "还有 30 天" in body
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"sms", "email"}


def test_running_again_the_same_day_or_the_next_sends_nothing_new(resident, permit):
    run(V - 30 * DAY)
    before = sent()

    assert run(V - 30 * DAY) == 0
    assert run(V - 29 * DAY) == 0
    assert run(V - 28 * DAY) == 0

    assert sent() == before


def test_over_the_weeks_before_the_year_ends_exactly_two_reminders_go_out_30_and_7_days_before(resident, permit):
    new_by_day = {day: run(day) for day in (V - n * DAY for n in range(45, -1, -1))}

    assert {day: count for day, count in new_by_day.items() if count} == {V - 30 * DAY: 1, V - 7 * DAY: 1}
    reminders = Reminder.objects.order_by("id")
    assert [(r.kind, r.due_date) for r in reminders] == [("permit_endorsement_30d", V), ("permit_endorsement_7d", V)]
    assert [n.context["days"] for n in Notification.objects.order_by("id")] == [30, 7]


def test_a_missed_day_is_caught_up_once(resident, permit):
    # The sweep did not run on V − 30 (beat was down)
    assert run(V - 29 * DAY) == 1
    assert run(V - 28 * DAY) == 0

    [message] = Notification.objects.all()
    assert message.context["days"] == 29
    assert Reminder.objects.get().kind == "permit_endorsement_30d"


def test_a_childs_permit_is_told_to_each_guardian(resident, other_resident, tashan_community):
    child = ResidentFactory(name="王小宝", user=None, birth_date=datetime.date(2015, 6, 1), community=tashan_community)
    guardian_link(resident, child, relation="mother")
    guardian_link(other_resident, child, relation="father")
    child_permit = permit_row(child, issued_on=ISSUED)

    assert run(V - 30 * DAY) == 2
    assert run(V + DAY, only=LAPSED) == 2

    recipients = {(n.template, n.recipient_id) for n in Notification.objects.all()}
    assert recipients == {
        (template, user.pk)
        for template in ("permit.endorsement_due", "permit.lapsed")
        for user in (resident.user, other_resident.user)
    }
    assert {n.context["number"] for n in Notification.objects.all()} == {child_permit.number}


def test_a_permit_endorsed_after_the_first_reminder_gets_no_more(resident, permit, clock):
    register(resident, since=datetime.date(2024, 1, 1))
    run(V - 30 * DAY)
    clock(V - 20 * DAY)
    case = services.permit_endorse(actor=resident.user, permit=permit)
    assert case.status == CaseStatus.APPROVED

    assert run(V - 7 * DAY) == 0
    assert run(V + DAY, only=LAPSED) == 0

    assert list(Notification.objects.filter(template__startswith="permit.").values_list("template", flat=True)) == [
        "permit.endorsement_due"
    ]


def test_a_permit_with_an_endorsement_awaiting_a_caseworker_gets_no_reminder_nor_lapse_notice(resident, permit, clock):
    # Not registered any more: the endorsement waits for a caseworker, past the year's end
    clock(V - 20 * DAY)
    case = services.permit_endorse(actor=resident.user, permit=permit)
    assert case.status == CaseStatus.SUBMITTED

    assert run(V - 7 * DAY) == 0
    assert run(V + DAY, only=LAPSED) == 0
    assert not Reminder.objects.exists()


def test_the_day_after_the_year_ends_the_holder_is_told_the_permit_is_suspended_once(resident, permit):
    assert run(V, only=LAPSED) == 0  # still valid on its last day

    assert run(V + DAY, only=LAPSED) == 1
    assert run(V + DAY, only=LAPSED) == 0
    assert run(V + 2 * DAY, only=LAPSED) == 0

    [message] = Notification.objects.filter(template="permit.lapsed")
    assert message.recipient == resident.user
    assert message.context == {"number": permit.number, "valid_until": "2026-08-31"}
    assert Reminder.objects.get().kind == "permit_lapsed"
    assert "已中止使用" in notification_render(message, language="zh-hans").body


def test_a_lapse_notice_missed_for_a_day_is_still_sent(resident, permit):
    assert run(V + 2 * DAY, only=LAPSED) == 1
    assert run(V + 3 * DAY, only=LAPSED) == 0


def test_the_sweeps_run_together_send_each_message_once(resident, permit):
    assert sweeps_run(V - 30 * DAY)[DUE] == 1
    assert sweeps_run(V + DAY)[LAPSED] == 1

    assert sweeps_run(V + DAY) == {name: 0 for name in sweeps()}


def test_the_sweeps_cost_does_not_grow_with_the_number_of_permits(tashan_community, django_assert_max_num_queries):
    def permits_ending(valid_until: datetime.date, *, adults: int, children: int) -> None:
        issued_on = valid_until + DAY - datetime.timedelta(days=365)
        for _ in range(adults):
            permit_row(ResidentFactory(user=UserFactory(), community=tashan_community), issued_on=issued_on,
                       valid_until=valid_until)  # fmt: skip
        for _ in range(children):
            child = ResidentFactory(user=None, birth_date=datetime.date(2016, 1, 1), community=tashan_community)
            guardian_link(ResidentFactory(user=UserFactory(), community=tashan_community), child)
            permit_row(child, issued_on=issued_on, valid_until=valid_until)

    # Given one permit due (a child's, so the guardians are looked up too), count the queries of a sweep
    permits_ending(V, adults=0, children=1)
    with CaptureQueriesContext(connection) as few:
        assert run(V - 30 * DAY) == 1

    # When twenty are due on another day, the sweep costs no more
    later = V + 10 * DAY
    permits_ending(later, adults=10, children=10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert run(later - 30 * DAY) == 20

    with CaptureQueriesContext(connection) as few_lapsed:
        assert run(V + DAY, only=LAPSED) == 1
    with django_assert_max_num_queries(len(few_lapsed.captured_queries)):
        assert run(later + DAY, only=LAPSED) == 20


def test_in_a_short_month_the_first_reminder_waits_for_the_window_and_the_holder_can_endorse_that_day(resident, clock):
    """A year ending on 14 March has its window open on 15 February, 28 days before: the "30 days" reminder
    is sent that day, not on 12 February when endorsing would still be refused."""
    register(resident, since=datetime.date(2024, 1, 1))
    march_permit = permit_row(resident, issued_on=datetime.date(2025, 3, 15))
    year_ends = march_permit.valid_until
    opens, _closes = selectors.endorsement_window(march_permit)
    assert (year_ends, opens) == (datetime.date(2026, 3, 14), datetime.date(2026, 2, 15))

    assert run(year_ends - 30 * DAY) == 0
    assert run(opens - DAY) == 0
    assert run(opens) == 1
    assert Notification.objects.get(template="permit.endorsement_due").context["days"] == 27

    clock(opens)
    case = services.permit_endorse(actor=resident.user, permit=march_permit)
    assert case.status == CaseStatus.APPROVED
