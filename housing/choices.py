from django.db import models
from django.utils.translation import gettext_lazy as _


class PropertyStatus(models.TextChoices):
    PENDING = "pending", _("待核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("未通过核验")


class TenancyStatus(models.TextChoices):
    DECLARED = "declared", _("租客已申报，待房东确认")
    ACTIVE = "active", _("在住")
    ENDED = "ended", _("已搬离")
    DECLINED = "declined", _("房东未确认")


class TenancySource(models.TextChoices):
    LANDLORD = "landlord", _("房东申报")
    TENANT = "tenant", _("租客扫码申报")
    IMPORT = "import", _("中介批量导入")


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("等待处理")
    RUNNING = "running", _("正在申报")
    DONE = "done", _("已完成")
    FAILED = "failed", _("出错中断")


class HousingEvent(models.TextChoices):
    """The audit events of rental properties and tenancies."""

    PROPERTY_REGISTERED = "housing.property_registered", _("登记出租房屋")
    PROPERTY_VERIFIED = "housing.property_verified", _("核验出租房屋")
    PROPERTY_REJECTED = "housing.property_rejected", _("出租房屋未通过核验")
    MOVE_IN_REPORTED = "housing.move_in", _("人来申报")
    MOVE_IN_CONFIRMED = "housing.move_in_confirmed", _("房东确认租客申报")
    MOVE_IN_DECLINED = "housing.move_in_declined", _("房东否认租客申报")
    MOVE_OUT_REPORTED = "housing.move_out", _("人走注销")
    OVER_CAPACITY = "housing.over_capacity", _("超出核定人数（疑似群租）")
    OCCUPANCY_FLAG_RESOLVED = "housing.occupancy_flag_resolved", _("处理疑似群租提示")
