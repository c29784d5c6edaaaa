"""Reminder sweeps of residence permits, registered with the notifications framework."""

from __future__ import annotations

import datetime

from django.urls import reverse

from notifications.reminders import CATCH_UP_DAYS, sweep_register
from notifications.services import ReminderDue

from . import selectors


def _days(first: datetime.date, count: int) -> list[datetime.date]:
    return [first - datetime.timedelta(days=n) for n in range(count + 1)]



@sweep_register("permit_endorsement_due")
def permit_endorsement_due(today: datetime.date) -> list[ReminderDue]:
    """Holders whose permit year ends in 30 days (or when the window opens, if later) or in 7 days, and who
    have not asked for the endorsement yet.

    An endorsement moves ``valid_until`` on, so an endorsed permit simply stops matching; one with an
    endorsement awaiting a caseworker is skipped. One indexed read of ``valid_until`` per run.
    """
    first, last = selectors.ENDORSEMENT_REMINDER_DAYS
    # The first reminder falls 27 to 30 days before the year ends, depending on the month
    # (endorsement_first_reminder_on): try the year ends it can belong to and keep those whose day is today
    # or was missed in the last CATCH_UP_DAYS.
    candidates = [today + datetime.timedelta(days=n) for n in range(first - 3 - CATCH_UP_DAYS, first + 1)]
    first_ends = [
        end for end in candidates
        if today - datetime.timedelta(days=CATCH_UP_DAYS) <= selectors.endorsement_first_reminder_on(end) <= today
    ]  # fmt: skip
    due: list[ReminderDue] = []
    for days, ends in ((first, first_ends), (last, _days(today + datetime.timedelta(days=last), CATCH_UP_DAYS))):
        for row in selectors.permit_holders_to_tell(valid_until_in=ends, skip_pending_endorsement=True):
            due.append(
                ReminderDue(
                    kind=f"permit_endorsement_{days}d", subject=f"permit:{row.permit_id}:user:{row.recipient_id}",
                    due_date=row.valid_until, recipient_id=row.recipient_id, template="permit.endorsement_due",
                    context={"number": row.number, "valid_until": row.valid_until.isoformat(),
                             "days": (row.valid_until - today).days},
                    link=reverse("permits:permit_detail", args=[row.number]),
                )
            )  # fmt: skip
    return due



@sweep_register("permit_lapsed")
def permit_lapsed(today: datetime.date) -> list[ReminderDue]:
    """Holders whose permit year ended yesterday without an endorsement: it is suspended; say how to restore."""
    ends = _days(today - datetime.timedelta(days=1), CATCH_UP_DAYS)
    return [
        ReminderDue(
            kind="permit_lapsed", subject=f"permit:{row.permit_id}:user:{row.recipient_id}", due_date=row.valid_until,
            recipient_id=row.recipient_id, template="permit.lapsed",
            context={"number": row.number, "valid_until": row.valid_until.isoformat()},
            link=reverse("permits:permit_detail", args=[row.number]),
        )
        for row in selectors.permit_holders_to_tell(valid_until_in=ends, skip_pending_endorsement=True)
    ]  # fmt: skip
