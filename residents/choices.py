from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道 / 镇")
    COMMUNITY = "community", _("社区 / 村")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    NONE = "none", _("未上学")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中 / 中专 / 技校")
    ASSOCIATE = "associate", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class GuardianRelation(models.TextChoices):
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母 / 外祖父母")
    OTHER = "other", _("其他监护人")


class RegistrationBasis(models.TextChoices):
    """Why the person lives at the address (条例 art. 9 lists the proofs for each)."""

    RENTED = "rented", _("租住房屋")
    OWN = "own", _("自有住房")
    EMPLOYER = "employer", _("单位宿舍")
    SCHOOL = "school", _("学校宿舍")
    RELATIVE = "relative", _("投靠亲友")


class AuditEventType(models.TextChoices):
    """The audit events of residents' own records: profiles, children, ID-number reveals, streets and
    registrations. Every app declares its own events in its choices and registers them (residents.audit)."""

    RESIDENT_CREATED = "resident.created", _("建立居民档案")
    RESIDENT_UPDATED = "resident.updated", _("修改居民档案")
    RESIDENT_ARCHIVED = "resident.archived", _("归档居民档案")
    CHILD_ADDED = "resident.child_added", _("添加子女")
    ID_NUMBER_REVEALED = "resident.id_number_revealed", _("查看完整身份证号")
    JURISDICTION_CHANGED = "caseworker.jurisdiction_changed", _("调整专管员辖区")
    RESIDENCE_REGISTERED = "residence.registered", _("居住登记")
    RESIDENCE_ENDED = "residence.ended", _("注销居住登记")
