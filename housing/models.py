"""Rental properties, their tenancies (人来申报、人走注销) and the official working-day calendar that sets the
landlord's three-working-day deadline (浙江省流动人口居住登记条例 arts. 9–11, 34)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from residents.choices import RegionKind
from residents.models import Region, ResidenceRegistration, Resident, documents_storage

from .choices import PropertyStatus, TenancySource, TenancyStatus


class OfficialCalendarYear(models.Model):
    """One year's official schedule of public holidays and adjusted working weekends (调休), as the State
    Council publishes it each November. Administrators enter a new year; a year without one counts weekends
    only (housing.workdays says so wherever a deadline is shown)."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    holidays = models.JSONField(_("放假日期"), default=list, help_text=_("YYYY-MM-DD 列表，含周末在内的全部放假日"))
    adjusted_workdays = models.JSONField(
        _("调休上班日期"), default=list, blank=True, help_text=_("YYYY-MM-DD 列表：需要上班的周六、周日")
    )
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("法定节假日安排")
        verbose_name_plural = _("法定节假日安排")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class PropertyQuerySet(models.QuerySet["Property"]):
    def visible_to(self, user) -> PropertyQuerySet:  # type: ignore[no-untyped-def]
        """The owner (landlord or agency account) sees their properties; a caseworker those of the streets
        they cover; an administrator all; nobody else any (a tenant sees their tenancy, not the property list)."""
        from residents.models import Jurisdiction

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        scope = Q(owner=user)
        if user.has_role(Role.CASEWORKER):
            streets = list(Jurisdiction.objects.filter(caseworker=user).values_list("street_id", flat=True))
            scope |= Q(street_id__in=streets)
        return self.filter(scope)


class Property(models.Model):
    """A rental property (出租房屋) registered by its landlord, or by a letting agency that manages it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="properties", verbose_name=_("登记账户")
    )
    owner_name = models.CharField(_("产权人"), max_length=64)
    address = models.CharField(_("房屋地址"), max_length=200)
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", limit_choices_to={"kind": RegionKind.COMMUNITY},
        verbose_name=_("社区"),
    )  # fmt: skip
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道"))
    rooms = models.PositiveSmallIntegerField(_("房间数"))
    floor_area = models.DecimalField(_("建筑面积（平方米）"), max_digits=7, decimal_places=2)
    max_occupants = models.PositiveSmallIntegerField(_("核定居住人数"))
    ownership_proof = models.FileField(
        _("产权证明"), upload_to="property-proofs/%Y/%m/", storage=documents_storage, max_length=200
    )
    ownership_proof_name = models.CharField(_("产权证明文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=PropertyStatus.choices, default=PropertyStatus.PENDING)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("核验人"),
    )  # fmt: skip
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("未通过原因"), max_length=300, blank=True)
    # Part of the signed QR link: changing it withdraws every printed poster (a poster was misused).
    qr_nonce = models.PositiveIntegerField(_("二维码版本"), default=1)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = PropertyQuerySet.as_manager()

    class Meta:
        verbose_name = _("出租房屋")
        verbose_name_plural = _("出租房屋")
        indexes = [
            models.Index(fields=["owner", "-id"], name="property_owner_newest"),
            models.Index(fields=["street", "status"], name="property_street_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(max_occupants__gte=1), name="property_occupants_positive"),
            models.CheckConstraint(
                condition=~Q(status=PropertyStatus.REJECTED) | ~Q(rejection_reason=""), name="property_rejection_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.address


class TenancyQuerySet(models.QuerySet["Tenancy"]):
    def visible_to(self, user) -> TenancyQuerySet:  # type: ignore[no-untyped-def]
        """The property's owner; the tenant (and a guardian of a child tenant) their own; a caseworker the
        tenancies of properties in their streets; an administrator all."""
        from residents.models import GuardianLink, Jurisdiction

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        own = Resident.objects.filter(user=user).values_list("id", flat=True)
        children = GuardianLink.objects.filter(guardian__user=user).values_list("child_id", flat=True)
        scope = Q(property__owner=user) | Q(tenant_id__in=list(own.union(children)))
        if user.has_role(Role.CASEWORKER):
            streets = list(Jurisdiction.objects.filter(caseworker=user).values_list("street_id", flat=True))
            scope |= Q(property__street_id__in=streets)
        return self.filter(scope)

    def current(self) -> TenancyQuerySet:
        return self.filter(status=TenancyStatus.ACTIVE)


class Tenancy(models.Model):
    """A tenant living in a property, from the move-in to the move-out report.

    ``move_in_due_on`` and ``move_out_due_on`` are the last days of the landlord's three working days; a
    report after them is late (浙江条例 art. 34).
    """

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("房屋"))
    tenant = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("租客"))
    status = models.CharField(_("状态"), max_length=16, choices=TenancyStatus.choices)
    source = models.CharField(_("申报方式"), max_length=16, choices=TenancySource.choices)
    move_in_date = models.DateField(_("入住日期"))
    lease_end_date = models.DateField(_("租约到期日"), null=True, blank=True)
    move_in_due_on = models.DateField(_("人来申报期限"))
    move_in_reported_at = models.DateTimeField(_("人来申报时间"), null=True, blank=True)
    moved_out_on = models.DateField(_("搬离日期"), null=True, blank=True)
    move_out_reported_at = models.DateTimeField(_("人走注销时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申报人")
    )
    registration = models.ForeignKey(
        ResidenceRegistration, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("居住登记"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = TenancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("租住登记")
        verbose_name_plural = _("租住登记")
        indexes = [
            models.Index(fields=["property", "status"], name="tenancy_property_status"),
            models.Index(fields=["tenant", "-move_in_date"], name="tenancy_tenant_newest"),
            # The lease-end and late-report sweeps.
            models.Index(fields=["lease_end_date"], name="tenancy_lease_end", condition=Q(status="active")),
            models.Index(fields=["move_in_due_on"], name="tenancy_declared_due", condition=Q(status="declared")),
        ]
        constraints = [
            # One open tenancy of a person in a property (declared or living there).
            models.UniqueConstraint(
                fields=["property", "tenant"], condition=Q(status__in=["declared", "active"]), name="tenancy_one_open"
            ),
            models.CheckConstraint(
                condition=Q(moved_out_on__isnull=True) | Q(moved_out_on__gte=models.F("move_in_date")),
                name="tenancy_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} @ {self.property}"


class OccupancyFlag(models.Model):
    """A refused report that would have put more people in a property than it is registered for: a possible
    group rental (群租) for the street's caseworkers to visit. Written even though the report itself is not."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="flags", verbose_name=_("房屋"))
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道"))
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申报人")
    )
    occupants = models.PositiveSmallIntegerField(_("已住人数"))
    capacity = models.PositiveSmallIntegerField(_("核定人数"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.CharField(_("处理结果"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("疑似群租提示")
        verbose_name_plural = _("疑似群租提示")
        indexes = [models.Index(fields=["street", "-created_at"], name="flag_street_newest")]

    def __str__(self) -> str:
        return f"{self.property} ({self.occupants + 1}/{self.capacity})"
