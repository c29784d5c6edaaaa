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
