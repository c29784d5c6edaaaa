"""Reminder sweeps of rental housing, registered with the notifications framework (run daily by beat or
`manage.py run_reminders`).

Each sweep reads what is due with one or two set-wide queries, whatever the number of tenancies, and
returns ReminderDue rows; notifications.services.reminders_issue records them once per (kind, subject, due
date), so running a sweep twice, or on two workers, sends nothing twice.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from notifications.reminders import CATCH_UP_DAYS, sweep_register
from notifications.services import ReminderDue
from residents.models import GuardianLink, Jurisdiction

from .choices import TenancyStatus
from .models import OccupancyFlag, Tenancy

# The landlord hears about an unconfirmed declaration the day before its deadline, and on the day itself if
# the sweep found it only then (a tenant who declared the day before the deadline).
REPORT_DUE_NOTICE = datetime.timedelta(days=1)


def overdue_link() -> str:
    """The console's list of declarations still unconfirmed after their deadline (TenancyAdmin's filter)."""
    return reverse("admin:housing_tenancy_changelist") + "?report=overdue"


@sweep_register("housing_report_due")
def housing_report_due(today: datetime.date) -> list[ReminderDue]:
    """Landlords with a tenant's declaration (QR) still unconfirmed whose deadline is today or tomorrow, or
    passed in the last CATCH_UP_DAYS days while the sweep was not running. One message per declaration and
    deadline. One read over the partial index of declared tenancies by deadline."""
    rows = (
        Tenancy.objects.filter(
            status=TenancyStatus.DECLARED,
            move_in_due_on__gte=today - datetime.timedelta(days=CATCH_UP_DAYS),
            move_in_due_on__lte=today + REPORT_DUE_NOTICE,
            property__owner__is_active=True,
        )
        .order_by("id")
        .values_list("id", "move_in_due_on", "property_id", "property__owner_id", "property__address", "tenant__name")
    )
    return [
        ReminderDue(
            kind="housing_report_due", subject=f"tenancy:{tenancy_id}", due_date=due_on, recipient_id=owner_id,
            template="housing.report_due",
            context={"tenant": tenant_name, "address": address, "due_on": due_on.isoformat()},
            link=reverse("housing:property", args=[property_id]),  # the declarations to confirm are on it
        )
        for tenancy_id, due_on, property_id, owner_id, address, tenant_name in rows
    ]  # fmt: skip


@sweep_register("housing_overdue_digest")
def housing_overdue_digest(today: datetime.date) -> list[ReminderDue]:
    """Each caseworker's daily count, over the streets they cover, of declarations still unconfirmed after
    their deadline and of the group-rental flags raised yesterday; nothing when both are nought.

    One read of the jurisdictions, each row carrying its street's two counts as correlated subqueries (there
    are a few dozen jurisdictions; each count is an indexed read of one street).
    """
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    overdue = (
        Tenancy.objects.filter(
            status=TenancyStatus.DECLARED, move_in_due_on__lt=today, property__street_id=OuterRef("street_id")
        )
        .values("property__street_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    flags = (
        OccupancyFlag.objects.filter(
            street_id=OuterRef("street_id"),
            created_at__gte=start_of_today - datetime.timedelta(days=1),
            created_at__lt=start_of_today,
        )
        .values("street_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    zero = Value(0, output_field=IntegerField())
    per_street = (
        Jurisdiction.objects.filter(caseworker__is_active=True)
        .annotate(overdue=Coalesce(Subquery(overdue), zero), flags=Coalesce(Subquery(flags), zero))
        .filter(Q(overdue__gt=0) | Q(flags__gt=0))
        .values_list("caseworker_id", "overdue", "flags")
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for caseworker_id, street_overdue, street_flags in per_street:
        totals[caseworker_id][0] += street_overdue
        totals[caseworker_id][1] += street_flags
    link = overdue_link()
    return [
        ReminderDue(
            kind="housing_overdue_digest", subject=f"user:{caseworker_id}", due_date=today,
            recipient_id=caseworker_id, template="housing.overdue_digest",
            context={"overdue": overdue_count, "flags": flag_count}, link=link,
        )
        for caseworker_id, (overdue_count, flag_count) in sorted(totals.items())
    ]  # fmt: skip


@sweep_register("housing_lease_ended")
def housing_lease_ended(today: datetime.date) -> list[ReminderDue]:
    """Tenancies still active the day after their lease ended (or up to CATCH_UP_DAYS later, if the sweep
    missed a day): ask the landlord to report the move-out or update the lease, and tell the tenant — their
    own login, or for a tenant without one (a child) each guardian's. Two reads whatever the number."""
    last_day = today - datetime.timedelta(days=1)
    rows = list(
        Tenancy.objects.filter(
            status=TenancyStatus.ACTIVE,
            lease_end_date__gte=last_day - datetime.timedelta(days=CATCH_UP_DAYS),
            lease_end_date__lte=last_day,
        )
        .order_by("id")
        .values_list(
            "id", "lease_end_date", "property_id", "property__address", "property__owner_id",
            "property__owner__is_active", "tenant_id", "tenant__user_id", "tenant__user__is_active",
        )
    )  # fmt: skip
    without_login = [tenant_id for *_, tenant_id, user_id, _active in rows if user_id is None]
    guardians: dict[int, list[int]] = defaultdict(list)
    for child_id, user_id in GuardianLink.objects.filter(
        child_id__in=without_login, guardian__user__isnull=False, guardian__user__is_active=True
    ).values_list("child_id", "guardian__user_id"):
        guardians[child_id].append(user_id)

    due: list[ReminderDue] = []
    tenant_link = reverse("housing:tenancies")
    for tenancy_id, ended_on, property_id, address, owner_id, owner_active, tenant_id, user_id, user_active in rows:
        # The tenant's own login (unless deactivated); for a tenant without one, each guardian's.
        tenant_side = guardians[tenant_id] if user_id is None else ([user_id] if user_active else [])
        recipients = ([owner_id] if owner_active else []) + tenant_side
        for recipient_id in dict.fromkeys(recipients):  # a landlord renting to their own child: one message
            due.append(
                ReminderDue(
                    kind="housing_lease_ended", subject=f"tenancy:{tenancy_id}:user:{recipient_id}",
                    due_date=ended_on, recipient_id=recipient_id, template="housing.lease_ended",
                    context={"address": address, "lease_end_date": ended_on.isoformat()},
                    # The landlord reports the move-out on the property's page; the tenant sees 我的租住.
                    link=reverse("housing:property", args=[property_id]) if recipient_id == owner_id else tenant_link,
                )
            )  # fmt: skip
    return due
