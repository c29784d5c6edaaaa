from django.db import models
from django.utils.translation import gettext_lazy as _


class PermitBasis(models.TextChoices):
    """The grounds for a residence permit besides half a year of residence (居住证暂行条例 art. 2)."""

    EMPLOYMENT = "employment", _("稳定就业")
    RESIDENCE = "residence", _("稳定住所")
    STUDY = "study", _("连续就读")
    TALENT = "talent", _("人才引进")



class DeliveryMethod(models.TextChoices):
    """How the card reaches the applicant."""

    EXPRESS = "express", _("快递送达")
    WINDOW = "window", _("到服务窗口领取")



class ReplacementReason(models.TextChoices):
    LOST = "lost", _("遗失")
    DAMAGED = "damaged", _("损坏")


class PermitEvent(models.TextChoices):
    """The audit events of residence permits."""

    PERMIT_APPLICATION_CHANGED = "permit.application_changed", _("修改居住证申请")
    PERMIT_ISSUED = "permit.issued", _("签发居住证")
    PERMIT_DISPATCHED = "permit.dispatched", _("寄出或通知领取居住证")
    PERMIT_ENDORSED = "permit.endorsed", _("居住证签注")
    PERMIT_CARD_REPLACED = "permit.card_replaced", _("补领、换领居住证")
