"""Every read on housing goes through the models' visible_to(user): the landlord pages, the API and the
caseworker console all start from these functions, so a row out of scope is simply not there (a 404)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.choices import Role
from accounts.models import User
from residents.models import Resident

from . import workdays
from .choices import TenancyStatus
from .models import OccupancyFlag, Property, Tenancy


def property_list(*, user: User) -> QuerySet[Property]:
    """The properties the user may see (owner, caseworker of the street, administrator), with the places
    and the accounts a list shows, newest first."""
    return (
        Property.objects.visible_to(user).select_related("owner", "community", "street", "verified_by").order_by("-id")
    )


def tenancy_list(*, user: User) -> QuerySet[Tenancy]:
    """The tenancies the user may see (property owner, tenant and guardians, caseworker, administrator)."""
    return (
        Tenancy.objects.visible_to(user)
        .select_related(
            "property", "property__street", "property__community", "property__owner", "tenant", "reported_by"
        )
        .order_by("-move_in_date", "-id")
    )


def occupancy_flags(*, user: User) -> QuerySet[OccupancyFlag]:
    """Possible group rentals for the caseworkers of the street (and administrators) to visit. Not shown to
    the landlord: the refused report already told them why, and the flag is an internal lead for a visit."""
    from residents.models import Jurisdiction

    flags = OccupancyFlag.objects.select_related("property", "property__owner", "street", "attempted_by").order_by(
        "-created_at", "-id"
    )
    if not user.is_authenticated or not user.is_active:
        return flags.none()
    if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
        return flags
    if user.has_role(Role.CASEWORKER):
        streets = Jurisdiction.objects.filter(caseworker=user).values_list("street_id", flat=True)
        return flags.filter(street_id__in=list(streets))
    return flags.none()


# --- pages ---


def _tenancies_counted(status: str):  # type: ignore[no-untyped-def]
    """The number of the property's tenancies in this status, counted per row (an index range on
    tenancy_property_status), so that listing a page of properties never counts an agency's whole stock."""
    counted = (
        Tenancy.objects.filter(property=OuterRef("pk"), status=status)
        .order_by()
        .values("property")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def property_list_with_occupancy(*, user: User) -> QuerySet[Property]:
    """property_list with, on each property, ``occupant_count`` (living there now) and ``declared_count``
    (tenants' declarations awaiting the landlord's confirmation). One query for a page, whatever its size."""
    return property_list(user=user).annotate(
        occupant_count=_tenancies_counted(TenancyStatus.ACTIVE),
        declared_count=_tenancies_counted(TenancyStatus.DECLARED),
    )


def property_tenancies(*, user: User, prop: Property, status: str) -> QuerySet[Tenancy]:
    """The tenancies of one property in one status, newest report first (keyset pages on ``id``)."""
    return tenancy_list(user=user).filter(property=prop, status=status).order_by("-id")


def tenancies_as_tenant(*, user: User) -> QuerySet[Tenancy]:
    """我的租住: where the user and the children in their care live or lived as tenants. Not the tenancies of
    properties the user lets: a landlord sees those on the property's page."""
    people = Resident.objects.filter(Q(user=user) | Q(guardian_links__guardian__user=user)).values("id")
    return tenancy_list(user=user).filter(tenant_id__in=people).select_related("registration")


# --- api ---


def deadline_calendar(tenancies: Iterable[Tenancy]) -> workdays.WorkingCalendar:
    """The official schedules a page of tenancies needs to tell whether each reporting deadline was counted
    over a year without one (an estimate): one query for the page, not one per row."""
    years = {year for tenancy in tenancies for year in (tenancy.move_in_date.year, tenancy.move_in_date.year + 1)}
    return workdays.calendar_for(years)
