"""Rental properties, their tenancies (人来申报、人走注销) and the official working-day calendar that sets the
landlord's three-working-day deadline (浙江省流动人口居住登记条例 arts. 9–11, 34)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from kernel.storage import documents_storage
from residents.choices import RegionKind
from residents.models import Region, ResidenceRegistration, Resident, ResidentScopedQuerySet, resident_scope

from .choices import ImportJobStatus, PropertyStatus, TenancySource, TenancyStatus


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


class TenancyQuerySet(ResidentScopedQuerySet):
    """The residents' one rule (the tenant, a guardian of a child tenant, a caseworker of the property's street,
    an administrator), and also the property's owner."""

    resident_path = "tenant"
    street_path = "property__street"

    def visible_to(self, user) -> TenancyQuerySet:  # type: ignore[no-untyped-def]
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        scope = resident_scope(user, resident_path=self.resident_path, street_path=self.street_path)
        return self.filter(scope | Q(property__owner=user))

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
            # A property's tenants in one status, newest first, a page at a time (the landlord's page).
            models.Index(fields=["property", "status", "-id"], name="tenancy_property_status"),
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


# --- affordable rental housing (保障性租赁住房) -------------------------------------------------------------
#
# Projects and their unit types are published configuration an administrator edits (the defaults are examples
# loaded by migration 0005). An application is a Case of type "affordable_housing" (housing.affordable) whose
# own fields live in HousingApplication.


class HousingProject(models.Model):
    """An affordable rental housing project (保障性租赁住房项目): where it is and whether it takes applications."""

    name = models.CharField(_("项目名称"), max_length=100)
    name_en = models.CharField(_("项目名称（英文）"), max_length=150, blank=True)
    address = models.CharField(_("项目地址"), max_length=200)
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", limit_choices_to={"kind": RegionKind.STREET},
        verbose_name=_("所在街道"),
    )  # fmt: skip
    description = models.TextField(_("项目简介"), blank=True)
    description_en = models.TextField(_("项目简介（英文）"), blank=True)
    is_open = models.BooleanField(_("受理申请"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("保障性租赁住房项目")
        verbose_name_plural = _("保障性租赁住房项目")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class UnitType(models.Model):
    """A kind of flat in a project (一室户, 两室户…), with its rent, how many there are and who may apply.

    ``eligibility_zh`` / ``eligibility_en`` are the published conditions as applicants read them; the portal
    itself checks the residence permit and one open application per person (housing.affordable), and the
    caseworker checks the rest from the documents (income, no home owned in the district)."""

    project = models.ForeignKey(
        HousingProject, on_delete=models.PROTECT, related_name="unit_types", verbose_name=_("项目")
    )
    name = models.CharField(_("户型名称"), max_length=60)
    name_en = models.CharField(_("户型名称（英文）"), max_length=100, blank=True)
    rooms = models.PositiveSmallIntegerField(_("居室数"))
    floor_area = models.DecimalField(_("建筑面积（平方米）"), max_digits=6, decimal_places=2)
    monthly_rent = models.DecimalField(_("月租金（元）"), max_digits=8, decimal_places=2)
    units_total = models.PositiveIntegerField(_("房源套数"))
    eligibility_zh = models.TextField(_("申请条件（中文）"))
    eligibility_en = models.TextField(_("申请条件（英文）"), blank=True)
    is_open = models.BooleanField(_("受理申请"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("户型")
        verbose_name_plural = _("户型")
        ordering = ["project", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rooms__gte=1), name="unit_type_rooms_positive"),
            models.CheckConstraint(condition=Q(monthly_rent__gte=0), name="unit_type_rent_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"


class HousingApplication(models.Model):
    """What an affordable-housing application (case type "affordable_housing") adds to its Case: the unit type
    applied for, the household, and — once a unit is offered — which one and when the family moved in.

    An approved application waits on its unit type's list (first come, first served by the day it was
    submitted); an offer moves the case to "issued", moving in to "delivered"."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="housing_application",
        verbose_name=_("申请"),
    )  # fmt: skip
    unit_type = models.ForeignKey(
        UnitType, on_delete=models.PROTECT, related_name="applications", verbose_name=_("申请户型")
    )
    household_size = models.PositiveSmallIntegerField(_("家庭人数"))
    current_address = models.CharField(_("现居住地址"), max_length=200, blank=True)
    offered_unit = models.CharField(_("分配房号"), max_length=60, blank=True)
    offered_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    moved_in_at = models.DateTimeField(_("入住时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("保障性租赁住房申请")
        verbose_name_plural = _("保障性租赁住房申请")
        indexes = [models.Index(fields=["unit_type", "offered_unit"], name="housing_app_unit_offered")]
        constraints = [
            models.CheckConstraint(condition=Q(household_size__gte=1), name="housing_app_household_positive"),
        ]

    def __str__(self) -> str:
        return str(self.case)


# --- an agency's spreadsheet import, run in the background (housing.imports) ---------------------------------


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def visible_to(self, user) -> ImportJobQuerySet:  # type: ignore[no-untyped-def]
        """The account that uploaded the file; an administrator all. Nobody else, caseworkers included: the
        rows are reported into the uploader's own properties, and the tenancies they make are what the street
        sees."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        return self.filter(owner=user)


class ImportJob(models.Model):
    """One uploaded spreadsheet of move-ins (中介批量申报), reported row by row by a Celery worker.

    The file holds tenants' ID numbers: it is kept in the private document storage only while the job is
    queued or running and deleted when it ends. What the agency needs afterwards stays on the row:
    ``errors`` (row, column, message: messages only, never a full ID number) and ``rejected_rows`` (the cells
    of each refused row, for the rejected-rows CSV, the ID number cell encrypted as Resident's is, and a label
    of name and masked ID number for the page). Both are emptied seven days after the job ends
    (housing.imports.import_jobs_purge); the counts remain. Rows reported are the tenancies themselves.

    ``rows_done`` and the results are saved in the same transaction as the rows they count, so after a worker
    dies they say exactly where to go on from. ``progress_at`` is the last sign of life (the claim, or a
    group of rows committed); ``attempts`` counts the claims, and a worker writes its progress only while the
    job is still its own claim (see housing.imports.import_job_run).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("上传账户")
    )
    file = models.FileField(
        _("上传的文件"), upload_to="housing-imports/%Y/%m/", storage=documents_storage, max_length=200, blank=True
    )
    original_name = models.CharField(_("原文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    language = models.CharField(_("结果的语言"), max_length=16, default=settings.LANGUAGE_CODE)
    ip = models.GenericIPAddressField(_("上传 IP"), null=True, blank=True)
    header = models.JSONField(_("识别出的列"), default=list, blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"))
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    accepted = models.PositiveIntegerField(_("已申报行数"), default=0)
    errors = models.JSONField(_("各行问题"), default=list, blank=True)
    rejected_rows = models.JSONField(_("未导入的行"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("处理次数"), default=0)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    progress_at = models.DateTimeField(_("最近进展"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("批量申报任务")
        verbose_name_plural = _("批量申报任务")
        indexes = [
            models.Index(fields=["owner", "-id"], name="import_job_owner_newest"),
            # The sweep for jobs a worker stopped working on.
            models.Index(
                fields=["progress_at"], name="import_job_open_progress", condition=Q(status__in=["queued", "running"])
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="import_job_done_le_total"),
            models.CheckConstraint(
                condition=Q(accepted__lte=models.F("rows_done")), name="import_job_accepted_le_done"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def rejected(self) -> int:
        return self.rows_done - self.accepted

    @property
    def rows_left(self) -> int:
        """Rows not reached (a failed job's: what uploading the file again reports)."""
        return self.rows_total - self.rows_done

    @property
    def is_open(self) -> bool:
        """Queued or running: its page refreshes itself."""
        return self.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
