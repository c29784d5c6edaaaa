"""Statuses and kinds of the points app (the scoring module's categories and sources, as model choices)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class IndicatorCategory(models.TextChoices):
    BASIC = "basic", _("基础指标")
    BONUS = "bonus", _("加分指标")
    DEDUCTION = "deduction", _("减分指标")
    VETO = "veto", _("一票否决指标")


class IndicatorSource(models.TextChoices):
    COMPUTED = "computed", _("系统核算")
    DECLARED = "declared", _("本人申报")
