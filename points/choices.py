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


class ItemStatus(models.TextChoices):
    """Where one line of an application stands. Computed lines are decided by the portal's own records; declared
    lines wait for a caseworker, who accepts, adjusts or rejects each one, always with a reason."""

    PENDING = "pending", _("待核定")
    NOT_DECLARED = "not_declared", _("未申报")
    COMPUTED = "computed", _("系统核算")
    ACCEPTED = "accepted", _("核定属实")
    ADJUSTED = "adjusted", _("核定调整")
    REJECTED = "rejected", _("不予认定")


class ItemDecision(models.TextChoices):
    """What a caseworker may decide about one line."""

    ACCEPT = "accepted", _("属实，按申报计分")
    ADJUST = "adjusted", _("调整后计分")
    REJECT = "rejected", _("不予认定")


class PointsEvent(models.TextChoices):
    """The audit events of points (积分)."""

    POINTS_RULE_SET_PUBLISHED = "points.rule_set_published", _("发布积分规则")
    POINTS_RULE_SET_SUCCEEDED = "points.rule_set_succeeded", _("复制积分规则为新版本")
    POINTS_APPLICATION_CHANGED = "points.application_changed", _("修改积分申报")
    POINTS_ITEM_VERIFIED = "points.item_verified", _("核定积分项目")
    POINTS_SCORED = "points.scored", _("积分核定完成")
    POINTS_OBJECTION_FILED = "points.objection_filed", _("提出积分异议")
    POINTS_RANKING_PUBLISHED = "points.ranking_published", _("公示积分排名")
