"""Reminder sweeps of school enrolment, registered with the notifications framework (run daily by beat or
`manage.py run_reminders`).

Each sweep reads the few rounds concerned, then what is due with one set-wide query per round, whatever the
number of families; notifications.services.reminders_issue records each reminder once per (kind, subject, due
date), so running a sweep twice, or on two workers, sends nothing twice.
"""

from __future__ import annotations

import datetime

from django.urls import reverse

from notifications.reminders import CATCH_UP_DAYS, sweep_register
from notifications.services import ReminderDue
from residents import selectors as residents_selectors

from .choices import ResultStatus, RoundStatus
from .models import EnrolmentResult, EnrolmentRound
from .selectors import families_eligible_not_applied
from .services import apply_link

# Eligible families who have not applied hear 7 days and 1 day before applications close.
APPLY_REMINDER_DAYS = (7, 1)
# Parents with an offer not yet answered hear 2 days before confirmation ends.
CONFIRM_REMINDER_DAYS = 2
# The first reminder's catch-up (notifications.reminders.CATCH_UP_DAYS) stops short of the second's days.


def _names(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en or zh}


@sweep_register("enrolment_apply_due")
def enrolment_apply_due(today: datetime.date) -> list[ReminderDue]:
    """Families who may apply in an open round and have not — a guardian with a login and a permit valid today,
    a child of the round's age (or unplaced or declined in the round a further round follows) — 7 days and 1
    day before applications close. One read of the rounds, one of each round's families."""
    first, last = APPLY_REMINDER_DAYS
    windows = {
        first: (today + datetime.timedelta(days=first - CATCH_UP_DAYS), today + datetime.timedelta(days=first)),
        last: (today, today + datetime.timedelta(days=last)),
    }
    due: list[ReminderDue] = []
    rounds = EnrolmentRound.objects.filter(
        status=RoundStatus.OPEN, applications_open_on__lte=today, applications_close_on__gte=today
    ).order_by("id")
    for enrolment_round in rounds:
        closes = enrolment_round.applications_close_on
        days = next((n for n, (start, end) in windows.items() if start <= closes <= end), None)
        if days is None:
            continue
        rows = (
            families_eligible_not_applied(enrolment_round=enrolment_round, today=today)
            .filter(guardian__user__isnull=False, guardian__user__is_active=True)
            .order_by("id")
            .values_list("child_id", "child__name", "guardian__user_id")
        )
        context = {"round": _names(enrolment_round.name, enrolment_round.name_en), "closes": closes.isoformat()}
        due.extend(
            ReminderDue(
                kind=f"enrolment_apply_{days}d", subject=f"round:{enrolment_round.pk}:child:{child_id}:user:{user_id}",
                due_date=closes, recipient_id=user_id, template="education.apply_due",
                context={**context, "child": child_name, "days": (closes - today).days},
                link=apply_link(round_id=enrolment_round.pk, child_id=child_id),
            )
            for child_id, child_name, user_id in rows
        )  # fmt: skip
    return due


@sweep_register("enrolment_confirm_due")
def enrolment_confirm_due(today: datetime.date) -> list[ReminderDue]:
    """Parents of a child offered a seat they have not yet confirmed or declined, 2 days before confirmation ends
    (or later, up to the last day, if the sweep missed those days). The child's own login when they have one,
    otherwise each guardian's. Two reads whatever the number of offers."""
    ends = [today + datetime.timedelta(days=n) for n in range(CONFIRM_REMINDER_DAYS + 1)]
    rows = list(
        EnrolmentResult.objects.filter(
            status=ResultStatus.OFFERED,
            round__status__in=[RoundStatus.ALLOCATED, RoundStatus.PUBLISHED],
            round__confirmation_end_on__in=ends,
        )
        .order_by("application_id")
        .values_list(
            "application_id", "application__child_id", "application__child__name", "application__case__reference",
            "round__confirmation_end_on", "school__name", "school__name_en",
        )
    )  # fmt: skip
    recipients = residents_selectors.resident_recipients(row[1] for row in rows)
    return [
        ReminderDue(
            kind="enrolment_confirm_due", subject=f"application:{case_id}:user:{user_id}", due_date=ends_on,
            recipient_id=user_id, template="education.confirm_due",
            context={"reference": reference, "child": child_name, "school": _names(name, name_en),
                     "confirm_by": ends_on.isoformat()},
            link=reverse("cases:case_detail", args=[reference]),
        )
        for case_id, child_id, child_name, reference, ends_on, name, name_en in rows
        for user_id in recipients.get(child_id, [])
    ]  # fmt: skip
