"""Every read on residents goes through Resident.objects.visible_to(user)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .choices import RegionKind
from .models import AuditEvent, GuardianLink, Region, ResidenceRegistration, Resident


def resident_list(*, user: User) -> QuerySet[Resident]:
    return Resident.objects.visible_to(user).select_related("community", "street")


def resident_get(*, user: User, pk: int) -> Resident:
    """One resident the user may see; Resident.DoesNotExist (a 404) otherwise, never a 403."""
    return resident_list(user=user).get(pk=pk)


def resident_of_user(*, user: User) -> Resident | None:
    if not user.is_authenticated:
        return None
    return Resident.objects.select_related("community", "street").filter(user=user).first()


def resident_children(*, guardian: Resident) -> QuerySet[Resident]:
    return Resident.objects.filter(guardian_links__guardian=guardian).order_by("birth_date", "id")


def resident_profile_missing(resident: Resident | None) -> list[str]:
    """The profile items still to fill in, as labels to show the resident."""
    if resident is None:
        return [str(_("居民档案（姓名、身份证号码）"))]
    checks = [
        (resident.phone, _("手机号")),
        (resident.hukou_address, _("户籍地址")),
        (resident.education, _("文化程度")),
        (resident.community_id, _("现居社区")),
        (resident.address, _("现居地址")),
        (resident.arrival_date, _("来越日期")),
    ]
    return [str(label) for value, label in checks if not value]


def resident_timeline(*, user: User, resident: Resident) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.visible_to(user)
        .filter(subject=resident)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def region_list(*, kind: str | None = None, parent_id: int | None = None) -> QuerySet[Region]:
    """Regions are public (they name places, not people)."""
    regions = Region.objects.select_related("parent")
    if kind:
        regions = regions.filter(kind=kind)
    if parent_id:
        regions = regions.filter(parent_id=parent_id)
    return regions


def community_choices() -> QuerySet[Region]:
    return (
        Region.objects.filter(kind=RegionKind.COMMUNITY)
        .select_related("parent")
        .order_by("parent__sort_order", "sort_order", "code")
    )


# --- residence registration ---------------------------------------------------------------------------

# 居住证暂行条例 art. 2: half a year of residence, counted from residence registration.
PERMIT_RESIDENCE_MONTHS = 6
# 浙江省流动人口居住登记条例 art. 13: a change of address is reported within ten days of moving.
ADDRESS_CHANGE_DAYS = 10


def residence_registrations(*, user: User) -> QuerySet[ResidenceRegistration]:
    return ResidenceRegistration.objects.visible_to(user).select_related("resident", "community", "street")


def residence_history(*, resident: Resident) -> list[ResidenceRegistration]:
    """Every registration of the resident, the current one first. Read for a resident already visible."""
    return list(
        ResidenceRegistration.objects.filter(resident=resident)
        .select_related("community", "street")
        .order_by("-started_on", "-id")
    )


def residence_change_reported_late(registration: ResidenceRegistration) -> bool:
    """Whether this registration was a change of address reported more than ten days after the move."""
    late = (timezone.localdate(registration.registered_at) - registration.started_on).days > ADDRESS_CHANGE_DAYS
    return late and ResidenceRegistration.objects.filter(resident_id=registration.resident_id).count() > 1


def residence_current(*, resident: Resident) -> ResidenceRegistration | None:
    return (
        ResidenceRegistration.objects.filter(resident=resident, ended_on__isnull=True)
        .select_related("community", "street")
        .first()
    )


def residence_continuous_since(history: list[ResidenceRegistration]) -> datetime.date | None:
    """When the current unbroken stretch of registered residence began (None when not registered now).

    Moving within the district keeps the stretch unbroken: a registration that starts on (or the day after)
    the day the previous one ended continues it; a longer gap starts the count again.
    """
    if not history or history[0].ended_on is not None:
        return None
    since = history[0].started_on
    for earlier in history[1:]:
        if earlier.ended_on is None or earlier.ended_on < since - datetime.timedelta(days=1):
            break
        since = earlier.started_on
    return since


def permit_eligible_from(history: list[ResidenceRegistration]) -> datetime.date | None:
    """The first day the residence condition of a residence permit is met (half a year of registration)."""
    since = residence_continuous_since(history)
    return since + relativedelta(months=PERMIT_RESIDENCE_MONTHS) if since else None


def resident_recipients(resident_ids: Iterable[int]) -> dict[int, list[int]]:
    """Who hears about a resident's affairs (a case, a school place): by resident id, the ids of the resident's
    own active login when they have one, otherwise of each guardian's. Two queries whatever the number."""
    resident_ids = list(resident_ids)
    recipients: dict[int, list[int]] = {}
    for resident_id, user_id in Resident.objects.filter(
        pk__in=resident_ids, user__isnull=False, user__is_active=True
    ).values_list("pk", "user_id"):
        recipients[resident_id] = [user_id]
    without_login = [resident_id for resident_id in resident_ids if resident_id not in recipients]
    for child_id, user_id in (
        GuardianLink.objects.filter(child_id__in=without_login, guardian__user__isnull=False)
        .filter(guardian__user__is_active=True)
        .order_by("id")
        .values_list("child_id", "guardian__user_id")
    ):
        recipients.setdefault(child_id, []).append(user_id)
    return recipients
