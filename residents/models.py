from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User

from .choices import (
    CASE_PENDING_STATUSES,
    AuditEventType,
    CaseStatus,
    DeliveryMethod,
    Education,
    Gender,
    GuardianRelation,
    PermitBasis,
    RegionKind,
    RegistrationBasis,
    ReplacementReason,
)
from .pii import PROVINCES

# PIPL art. 28: personal information of minors under fourteen is sensitive.
SENSITIVE_CHILD_AGE = 14


class Region(models.Model):
    """An administrative area: the district, its streets (and one town), and the communities under them."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("层级"), max_length=16, choices=RegionKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Jurisdiction(models.Model):
    """A street (or town) that a caseworker covers. A caseworker sees the residents of these streets only.

    It lives here rather than in accounts because streets are Regions, and accounts must not depend on
    residents (ARCHITECTURE.md: accounts ← residents).
    """

    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jurisdictions",
        verbose_name=_("专管员"),
    )
    street = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": RegionKind.STREET},
        verbose_name=_("街道"),
    )

    class Meta:
        verbose_name = _("专管员辖区")
        verbose_name_plural = _("专管员辖区")
        constraints = [models.UniqueConstraint(fields=["caseworker", "street"], name="jurisdiction_unique")]

    def __str__(self) -> str:
        return f"{self.caseworker} · {self.street}"


def resident_scope(user, *, resident_path: str, street_path: str = "street") -> Q:  # type: ignore[no-untyped-def]
    """The rows about residents a (non-administrator) user may see, for any model that points at a resident.

    ``resident_path`` leads from the model to the Resident ("" for Resident itself, "applicant" for Case).
    Their own record, their children's (through GuardianLink) and, for a caseworker, the residents of the
    streets they cover; the street is read from the model's own ``street`` column.

    The family's ids and the caseworker's streets are read first (two small indexed queries) and the rows
    are then filtered on their own columns. Written as one OR across joins or subqueries, PostgreSQL scans
    every resident and case to answer it (docs/PERFORMANCE.md); a list of ids also never repeats a child
    who has two guardians. ``street_path`` names the street column when a row has none of its own and
    follows its resident's (a permit: "holder__street").
    """
    id_field = f"{resident_path}_id" if resident_path else "id"
    own = Resident.objects.filter(user=user).values_list("id", flat=True)
    children = GuardianLink.objects.filter(guardian__user=user).values_list("child_id", flat=True)
    family = list(own.union(children))
    scope = Q(**{f"{id_field}__in": family})
    if user.has_role(Role.CASEWORKER):
        streets = list(Jurisdiction.objects.filter(caseworker=user).values_list("street_id", flat=True))
        scope |= Q(**{f"{street_path}_id__in": streets})
    return scope


class ResidentScopedQuerySet(models.QuerySet):
    """The one visibility rule (ARCHITECTURE.md "Visibility") for rows that are, or belong to, a resident.

    A resident sees their own and their children's; a caseworker those of the streets they cover; an
    administrator everything; anybody else (health workers included) nothing. ``resident_path`` names the
    way from the row to its resident (see resident_scope).
    """

    resident_path = ""
    street_path = "street"

    def visible_to(self, user):  # type: ignore[no-untyped-def]
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        return self.filter(resident_scope(user, resident_path=self.resident_path, street_path=self.street_path))


class ResidentQuerySet(ResidentScopedQuerySet):
    resident_path = ""

    def active(self) -> ResidentQuerySet:
        return self.filter(archived_at__isnull=True)


class Resident(models.Model):
    """One person known to the portal: a migrant, or a migrant's child. Not every resident has a login.

    The ID number is stored only encrypted, hashed and masked (see residents.pii). Gender, birth date and
    hukou province are derived from it by the services, never asked for separately.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("登录账户"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    id_number_ciphertext = models.TextField(_("身份证号（密文）"), blank=True, editable=False)
    id_number_hash = models.CharField(_("身份证号（散列）"), max_length=64, null=True, editable=False)  # noqa: DJ001 — NULL for "no number", unique otherwise
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    hukou_province = models.CharField(_("户籍省份"), max_length=2, blank=True)
    hukou_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    education = models.CharField(_("文化程度"), max_length=16, choices=Education.choices, blank=True)
    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        limit_choices_to={"kind": RegionKind.COMMUNITY},
        verbose_name=_("现居社区"),
    )
    # Denormalised from community.parent so that a caseworker's scope is one indexed filter.
    street = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("街道"),
        db_index=False,  # the composite indexes below start with it
    )
    address = models.CharField(_("现居地址"), max_length=200, blank=True)
    arrival_date = models.DateField(_("来越日期"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    archive_reason = models.CharField(_("归档原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], name="resident_id_number_unique"),
            models.CheckConstraint(
                condition=Q(archived_at__isnull=True) | ~Q(archive_reason=""),
                name="resident_archive_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["street", "-id"], name="resident_street_newest"),
            models.Index(fields=["name"], name="resident_name_prefix", opclasses=["varchar_pattern_ops"]),
            # A caseworker's name search: their streets, then the name's first characters.
            models.Index(
                fields=["street", "name"], name="resident_street_name", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
            models.Index(fields=["phone"], name="resident_phone"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def hukou_province_name(self) -> str:
        return PROVINCES.get(self.hukou_province, "")

    def age_on(self, day: datetime.date) -> int | None:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def is_sensitive_minor(self) -> bool:
        age = self.age
        return age is not None and age < SENSITIVE_CHILD_AGE

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class GuardianLink(models.Model):
    """A guardian and a child in their care (条例 art. 9: under-16s apply through a guardian)."""

    guardian = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="ward_links", verbose_name=_("监护人")
    )
    child = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="guardian_links", verbose_name=_("子女"))
    relation = models.CharField(_("关系"), max_length=16, choices=GuardianRelation.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("监护关系")
        verbose_name_plural = _("监护关系")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "child"], name="guardian_link_unique"),
            models.CheckConstraint(condition=~Q(guardian=models.F("child")), name="guardian_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.child}"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, user) -> AuditEventQuerySet:  # type: ignore[no-untyped-def]
        """Audit rows follow the resident they are about: whoever may see the resident sees its timeline."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return self.all()
        return self.filter(subject__in=Resident.objects.visible_to(user).values("id"))


class AuditEvent(models.Model):
    """Append-only record of a change or a disclosure, written by the service that made it.

    Values never hold a plaintext ID number: services record the masked form.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    subject = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("所涉居民"),
    )
    event_type = models.CharField(_("事件"), max_length=64, choices=AuditEventType.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("对象类型")
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    old_values = models.JSONField(_("原值"), default=dict, blank=True)
    new_values = models.JSONField(_("新值"), default=dict, blank=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["subject", "-created_at"], name="audit_subject_newest")]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Append-only: a row once written is never changed (the guard, not a side effect).
        if not self._state.adding:
            raise ValueError("AuditEvent rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("AuditEvent rows are append-only.")


class Caseworker(User):
    """A caseworker's login seen from the residents side: the admin edits their streets here."""

    class Meta:
        proxy = True
        verbose_name = _("专管员")
        verbose_name_plural = _("专管员")


class CaseQuerySet(ResidentScopedQuerySet):
    """Applicants (and their guardians) see their cases; caseworkers the cases of their streets."""

    resident_path = "applicant"

    def pending(self) -> CaseQuerySet:
        return self.filter(status__in=CASE_PENDING_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> CaseQuerySet:
        return self.pending().filter(due_at__lt=now or timezone.now())


class Case(models.Model):
    """An application that a caseworker decides: permit, endorsement, points, school place, housing…

    ``case_type`` names its declaration in residents.casetypes (documents, deadline, transitions). Status
    moves only through residents.services.case_transition; the row is locked while it does.
    """

    case_type = models.CharField(_("业务类型"), max_length=40)
    reference = models.CharField(_("受理编号"), max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001
    # Single-column indexes on these keys would duplicate the composite ones below.
    applicant = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="cases", verbose_name=_("申请人"), db_index=False
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    # The applicant's street when the case was submitted: whose caseworkers decide it.
    street = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("街道"),
        db_index=False,
    )
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("经办人"),
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    notice_sent_at = models.DateTimeField(_("补正通知时间"), null=True, blank=True)
    missing_documents = models.JSONField(_("需补正材料"), default=list, blank=True)
    notice_note = models.TextField(_("补正说明"), blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        indexes = [
            # The console's queue: a street's pending cases by deadline; "mine" by deadline.
            models.Index(fields=["street", "status", "due_at"], name="case_street_queue"),
            models.Index(fields=["assigned_to", "status", "due_at"], name="case_assignee_queue"),
            models.Index(fields=["case_type", "status", "due_at"], name="case_type_queue"),
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["applicant", "-id"], name="case_applicant_newest"),
            # Any status by deadline ("全部" in the console): no sort of a street's whole history.
            models.Index(fields=["due_at", "id"], name="case_due"),
            # The default queue: pending cases by deadline, whatever the street (the street list is short).
            models.Index(
                fields=["due_at", "id"], name="case_pending_due", condition=Q(status__in=CASE_PENDING_STATUSES)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.REFUSED) | ~Q(decision_reason=""),
                name="case_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return bool(self.status in CASE_PENDING_STATUSES and self.due_at and self.due_at < timezone.now())


def documents_storage() -> Storage:
    """The private store for uploads (STORAGES["documents"]): a folder outside any served path, or a private
    object-storage bucket in production. Never a public URL."""
    return storages["documents"]


class CaseDocument(models.Model):
    """A file attached to a case. Stored privately; served only by a view that checks the case's visibility."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents", verbose_name=_("申请"))
    kind = models.CharField(_("材料类型"), max_length=40)
    file = models.FileField(_("文件"), upload_to="documents/%Y/%m/", storage=documents_storage, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    mime_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        indexes = [models.Index(fields=["case", "kind"], name="case_document_kind")]

    def __str__(self) -> str:
        return self.original_name


class ResidenceRegistrationQuerySet(ResidentScopedQuerySet):
    resident_path = "resident"

    def current(self) -> ResidenceRegistrationQuerySet:
        return self.filter(ended_on__isnull=True)


class ResidenceRegistration(models.Model):
    """Residence registration (居住登记): where a migrant lives, from when to when.

    History is kept, never overwritten: a change of address ends the current registration on the moving day
    and starts a new one. At most one is current per resident, and it decides which street serves them.
    """

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("居民"), db_index=False
    )
    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": RegionKind.COMMUNITY},
        verbose_name=_("社区"),
    )
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道"))
    address = models.CharField(_("居住地址"), max_length=200)
    basis = models.CharField(_("居住事由"), max_length=16, choices=RegistrationBasis.choices)
    started_on = models.DateField(_("入住日期"))
    ended_on = models.DateField(_("离开日期"), null=True, blank=True)
    end_reason = models.CharField(_("注销原因"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = ResidenceRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("居住登记")
        verbose_name_plural = _("居住登记")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(ended_on__isnull=True), name="registration_one_current"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="registration_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["resident", "-started_on"], name="registration_resident_newest"),
            models.Index(fields=["street", "-started_on"], name="registration_street_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.address}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class PermitType(models.Model):
    """A kind of residence permit the district issues, with what it asks for. Administrators edit these
    (the district's own table is not published); the defaults come from migration 0007.

    ``documents`` lists {"key", "label_zh", "label_en", "required"}; ``exempt_from_residence_rule`` lets a
    type (talent) be applied for before half a year of registered residence.
    """

    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称（中文）"), max_length=60)
    name_en = models.CharField(_("名称（英文）"), max_length=100)
    basis = models.CharField(_("申领条件"), max_length=16, choices=PermitBasis.choices)
    description_zh = models.CharField(_("说明（中文）"), max_length=300, blank=True)
    description_en = models.CharField(_("说明（英文）"), max_length=300, blank=True)
    exempt_from_residence_rule = models.BooleanField(_("不受居住满半年限制"), default=False)
    documents = models.JSONField(_("所需材料"), default=list)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("受理中"), default=True)

    class Meta:
        verbose_name = _("居住证类型")
        verbose_name_plural = _("居住证类型")
        ordering = ["sort_order", "key"]

    def __str__(self) -> str:
        return self.name_zh


class PermitQuerySet(ResidentScopedQuerySet):
    resident_path = "holder"
    # A permit follows its holder: the caseworkers of the street where the holder is registered now serve it.
    street_path = "holder__street"

    def valid_on(self, day: datetime.date) -> PermitQuerySet:
        return self.filter(valid_until__gte=day)

    def lapsed_on(self, day: datetime.date) -> PermitQuerySet:
        return self.filter(valid_until__lt=day)


class Permit(models.Model):
    """A residence permit (居住证) issued to a resident.

    Validity is one date: ``valid_until``, the day before the next anniversary of issue. Endorsing (签注) in
    the month before moves it on a year; when the day passes without one, the permit is suspended (使用功能中止,
    条例 art. 10) simply by being past it, so no job has to flip a status on time. A late endorsement restores
    it and records the day from which continuous residence counts again (``continuity_restarted_on``).

    A replacement card (补领、换领) keeps the number and gets a new ``verify_token``: the QR code of a lost card
    stops verifying.
    """

    number = models.CharField(_("居住证号码"), max_length=24, unique=True, null=True, editable=False)  # noqa: DJ001
    # Indexed by the one-per-holder constraint.
    holder = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="permits", verbose_name=_("持证人"), db_index=False
    )
    permit_type = models.ForeignKey(PermitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("类型"))
    application = models.OneToOneField(
        "Case", on_delete=models.PROTECT, related_name="issued_permit", verbose_name=_("申领申请")
    )
    issued_on = models.DateField(_("签发日期"))
    valid_until = models.DateField(_("有效期至"))
    continuity_restarted_on = models.DateField(_("连续居住重新起算日"), null=True, blank=True)
    card_serial = models.PositiveSmallIntegerField(_("卡片序号"), default=1)
    verify_token = models.CharField(_("核验码"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = PermitQuerySet.as_manager()

    class Meta:
        verbose_name = _("居住证")
        verbose_name_plural = _("居住证")
        constraints = [
            # One permit per person: a lost card is replaced, a lapsed one endorsed late, never issued twice.
            models.UniqueConstraint(fields=["holder"], name="permit_one_per_holder"),
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("issued_on")), name="permit_valid_after_issue"),
        ]
        indexes = [
            # The endorsement reminders and the lapse notices pick permits by the day their year ends.
            models.Index(fields=["valid_until"], name="permit_valid_until"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_until >= day

    @property
    def is_valid(self) -> bool:
        return self.is_valid_on(timezone.localdate())


class PermitApplication(models.Model):
    """What a permit application (case type "permit") or a replacement ("permit_replacement") adds to its Case:
    the permit type, how the card reaches the applicant, and the courier's tracking once it is sent."""

    case = models.OneToOneField(
        "Case", on_delete=models.CASCADE, primary_key=True, related_name="permit_application", verbose_name=_("申请")
    )
    permit_type = models.ForeignKey(PermitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("类型"))
    # The type's checklist as it stood when the applicant chose the type: an administrator's later edit
    # neither adds a demand to an application under way nor strands a document a notice asked for.
    documents = models.JSONField(_("所需材料"), default=list, blank=True)
    # The permit issued by this application, or the one a replacement replaces.
    permit = models.ForeignKey(
        Permit, on_delete=models.PROTECT, null=True, blank=True, related_name="applications", verbose_name=_("居住证")
    )
    replacement_reason = models.CharField(_("补领原因"), max_length=16, choices=ReplacementReason.choices, blank=True)
    delivery_method = models.CharField(_("领取方式"), max_length=16, choices=DeliveryMethod.choices)
    recipient_name = models.CharField(_("收件人"), max_length=64, blank=True)
    recipient_phone = models.CharField(_("收件人电话"), max_length=20, blank=True)
    delivery_address = models.CharField(_("收件地址"), max_length=200, blank=True)
    courier = models.CharField(_("快递公司"), max_length=40, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=40, blank=True)
    dispatched_at = models.DateTimeField(_("寄出 / 待领时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达 / 领取时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("居住证申请信息")
        verbose_name_plural = _("居住证申请信息")
        constraints = [
            models.CheckConstraint(
                condition=~Q(delivery_method=DeliveryMethod.EXPRESS)
                | (~Q(recipient_name="") & ~Q(recipient_phone="") & ~Q(delivery_address="")),
                name="permit_express_has_address",
            ),
        ]

    def __str__(self) -> str:
        return str(self.case)


class PermitEndorsement(models.Model):
    """One yearly endorsement (签注) of a permit: the case that asked for it and what it did.

    ``late`` endorsements (asked for after the permit's year had ended) restore a suspended permit and restart
    the continuous-residence count from ``applied_on`` (条例 art. 10; 浙江条例 art. 19).
    """

    case = models.OneToOneField(
        "Case", on_delete=models.CASCADE, primary_key=True, related_name="endorsement", verbose_name=_("申请")
    )
    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="endorsements", verbose_name=_("居住证"))
    applied_on = models.DateField(_("申请日期"))
    # The valid_until the permit had when this was asked for: the year it extends.
    year_ending = models.DateField(_("原有效期至"))
    late = models.BooleanField(_("逾期补办"), default=False)
    endorsed_on = models.DateField(_("签注日期"), null=True, blank=True)
    valid_until_after = models.DateField(_("签注后有效期至"), null=True, blank=True)
    automatic = models.BooleanField(_("系统自动签注"), default=False)

    class Meta:
        verbose_name = _("居住证签注")
        verbose_name_plural = _("居住证签注")
        indexes = [models.Index(fields=["permit", "-applied_on"], name="endorsement_permit_newest")]

    def __str__(self) -> str:
        return str(self.case)
