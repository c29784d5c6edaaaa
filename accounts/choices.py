from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The portal's roles. Each is a Group of the same name, created by migration 0002."""

    RESIDENT = "resident", _("居民")
    LANDLORD = "landlord", _("房东 / 中介")
    EMPLOYER = "employer", _("用人单位")
    CASEWORKER = "caseworker", _("专管员")
    TEAM_LEADER = "team_leader", _("专管员组长")
    HEALTH_WORKER = "health_worker", _("卫生健康工作人员")
    ADMINISTRATOR = "administrator", _("管理员")
