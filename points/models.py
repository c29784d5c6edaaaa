"""A year's points rules (积分规则) as rows an administrator edits: a rule set and its indicators.

The scoring itself is points.scoring (pure Python); points.selectors.rule_set_to_scoring turns these rows into
a scoring.RuleSet. A published rule set is never edited, only succeeded by a new version (points.services).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import IndicatorCategory, IndicatorSource, RuleSetStatus


class RuleSet(models.Model):
    """One version of a year's points table. At most one per year is published; drafts are edited, the
    published one is read-only, and publishing a successor retires it."""

    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.CharField(_("版本"), max_length=16, help_text=_("例如 2026.1"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT, editable=False
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    tie_break_zh = models.TextField(_("同分排序规则"), default="总分相同的，申请提交时间早者在前。")
    tie_break_en = models.TextField(_("同分排序规则（英文）"), blank=True, default="")
    tie_break_keys = models.JSONField(
        _("同分时依次比较的指标"),
        default=list,
        blank=True,
        help_text=_("指标代码的列表，数值大者在前；其后按申请提交时间。"),
    )
    category_caps = models.JSONField(_("类别合计上限"), default=dict, blank=True, help_text=_('例如 {"bonus": "20"}'))
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("取代的版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successors",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["-year", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="points_ruleset_year_version_unique"),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(status="published"),
                name="points_ruleset_one_published_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version}（{self.get_status_display()}）"

    @property
    def is_editable(self) -> bool:
        return self.status == RuleSetStatus.DRAFT


class Indicator(models.Model):
    """One line of the table. ``rule`` is the JSON of points.rulejson: {"type": "per_unit" | "tiers" |
    "bands" | "flat" | "veto", ...}."""

    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("积分规则"), on_delete=models.CASCADE, related_name="indicators"
    )
    key = models.SlugField(_("指标代码"), max_length=64)
    label_zh = models.CharField(_("名称"), max_length=100)
    label_en = models.CharField(_("名称（英文）"), max_length=200, blank=True, default="")
    category = models.CharField(_("类别"), max_length=16, choices=IndicatorCategory.choices)
    source = models.CharField(_("来源"), max_length=16, choices=IndicatorSource.choices)
    unit_zh = models.CharField(_("单位"), max_length=16, blank=True, default="")
    unit_en = models.CharField(_("单位（英文）"), max_length=32, blank=True, default="")
    rule = models.JSONField(_("计分规则"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("积分指标")
        verbose_name_plural = _("积分指标")
        ordering = ["rule_set", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "key"], name="points_indicator_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label_zh}（{self.key}）"
