"""Reminder sweeps of the case engine, registered with the notifications framework."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from notifications.reminders import sweep_register
from notifications.services import ReminderDue
from residents.models import Jurisdiction

from .models import Case

DUE_SOON = datetime.timedelta(days=2)


@sweep_register("case_digest")
def case_digest(today: datetime.date) -> list[ReminderDue]:
    """Each caseworker's daily digest: the pending cases of their streets that are overdue or due soon.

    One GROUP BY over the pending cases (served by the street/status/due index) and one read of the
    jurisdictions, whatever the number of cases.
    """
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time(7, 0)))
    per_street = (
        Case.objects.pending()
        .filter(due_at__lt=start + DUE_SOON)
        .values("street_id")
        .annotate(overdue=Count("id", filter=Q(due_at__lt=start)), due_soon=Count("id", filter=Q(due_at__gte=start)))
    )
    counts = {row["street_id"]: (row["overdue"], row["due_soon"]) for row in per_street}
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for caseworker_id, street_id in Jurisdiction.objects.filter(
        caseworker__is_active=True, street_id__in=counts.keys()
    ).values_list("caseworker_id", "street_id"):
        overdue, due_soon = counts[street_id]
        totals[caseworker_id][0] += overdue
        totals[caseworker_id][1] += due_soon
    return [
        ReminderDue(
            kind="case_digest", subject=f"user:{caseworker_id}", due_date=today, recipient_id=caseworker_id,
            template="case.digest", context={"overdue": overdue, "due_soon": due_soon},
            # The queue of their streets, soonest deadline first (CaseAdmin.console_path keeps this address).
            link="/admin/residents/case/",
        )
        for caseworker_id, (overdue, due_soon) in sorted(totals.items())
    ]  # fmt: skip



