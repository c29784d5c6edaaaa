from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User

from .audit import audit_event_type_label
from .choices import Education, Gender, GuardianRelation, RegionKind, RegistrationBasis
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
    # An app's "app.event" value, registered by the app (residents.audit): not a database choice list, so a
    # new event needs no migration here; services refuse an unregistered one.
    event_type = models.CharField(_("事件"), max_length=64)
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
        return f"{self.event_type_label} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Append-only: a row once written is never changed (the guard, not a side effect).
        if not self._state.adding:
            raise ValueError("AuditEvent rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("AuditEvent rows are append-only.")

    @property
    def event_type_label(self) -> str:
        return audit_event_type_label(self.event_type)


class Caseworker(User):
    """A caseworker's login seen from the residents side: the admin edits their streets here."""

    class Meta:
        proxy = True
        verbose_name = _("专管员")
        verbose_name_plural = _("专管员")


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


