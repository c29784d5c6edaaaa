"""A year's points rules (积分规则) as rows an administrator edits: a rule set and its indicators.

The scoring itself is points.scoring (pure Python); points.selectors.rule_set_to_scoring turns these rows into
a scoring.RuleSet. A published rule set is never edited, only succeeded by a new version (points.services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import IndicatorCategory, IndicatorSource, ItemStatus, RuleSetStatus


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


class PointsRound(models.Model):
    """An application round (积分申报期): applications are taken between ``opens_on`` and ``closes_on`` under one
    published rule set; once review is done the ranking is published (公示) with the tie-break and the cut-off, and
    residents have ``objection_days`` to object (异议) before the final ranking."""

    year = models.PositiveSmallIntegerField(_("年度"))
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英文）"), max_length=200, blank=True, default="")
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("积分规则"), on_delete=models.PROTECT, related_name="rounds")
    opens_on = models.DateField(_("申报开始日期"))
    closes_on = models.DateField(_("申报截止日期"))
    quota = models.PositiveIntegerField(
        _("名额"),
        null=True,
        blank=True,
        help_text=_("本期可享受服务的人数；排名在名额内的为入围，据此公布分数线。留空为不限名额。"),
    )
    unlocks_zh = models.TextField(_("可享受的服务"), help_text=_("公布积分可以用于哪些服务，例如随迁子女入学。"))
    unlocks_en = models.TextField(_("可享受的服务（英文）"), blank=True, default="")
    objection_days = models.PositiveSmallIntegerField(_("异议期（天）"), default=7)
    ranking_published_on = models.DateField(_("排名公示日期"), null=True, blank=True, editable=False)
    objection_ends_on = models.DateField(_("异议截止日期"), null=True, blank=True, editable=False)
    final_published_on = models.DateField(_("最终排名公布日期"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分申报期")
        verbose_name_plural = _("积分申报期")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="points_round_dates_order"),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(quota__gte=1), name="points_round_quota_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh

    def is_open_on(self, day: object) -> bool:
        return self.opens_on <= day <= self.closes_on  # type: ignore[operator]

    def objection_open_on(self, day: object) -> bool:
        return (
            self.ranking_published_on is not None
            and self.final_published_on is None
            and self.objection_ends_on is not None
            and day <= self.objection_ends_on  # type: ignore[operator]
        )


class PointsApplication(models.Model):
    """The points-specific part of a case of type "points": the round, the rule-set version the score is made
    under (kept for good, even when the year's rules are succeeded), and the verified score once review is done.

    ``breakdown`` is the score's explanation as it was decided (item, value, points, note), so what the resident
    was told stays what it was."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="points_application", verbose_name=_("申请")
    )
    round = models.ForeignKey(
        PointsRound, verbose_name=_("申报期"), on_delete=models.PROTECT, related_name="applications"
    )
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("积分规则版本"), on_delete=models.PROTECT, related_name="+")
    facts_on = models.DateField(_("核算基准日"), null=True, blank=True, help_text=_("系统核算项目按这一天计算。"))
    total = models.DecimalField(_("核定总分"), max_digits=9, decimal_places=2, null=True, blank=True)
    eligible = models.BooleanField(_("具备积分资格"), null=True, blank=True)
    breakdown = models.JSONField(_("积分明细"), default=list, blank=True)
    scored_at = models.DateTimeField(_("核定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("积分申请")
        verbose_name_plural = _("积分申请")
        indexes = [models.Index(fields=["round", "-total"], name="points_app_round_total")]

    def __str__(self) -> str:
        return str(self.case_id)


class PointsItem(models.Model):
    """One indicator of one application: what was declared (or what the portal computed), what counts after
    review, the decision and its reason. ``value`` is the fact that is scored (None: nothing counts)."""

    application = models.ForeignKey(
        PointsApplication, on_delete=models.CASCADE, related_name="items", verbose_name=_("积分申请")
    )
    key = models.SlugField(_("指标代码"), max_length=64)
    source = models.CharField(_("来源"), max_length=16, choices=IndicatorSource.choices)
    declared = models.JSONField(_("申报或核算的值"), null=True, blank=True)
    value = models.JSONField(_("认定的值"), null=True, blank=True)
    status = models.CharField(_("核定结果"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    reason = models.CharField(_("核定理由"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    points = models.DecimalField(_("得分"), max_digits=9, decimal_places=2, null=True, blank=True)
    contested = models.BooleanField(_("异议中"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("积分项目")
        verbose_name_plural = _("积分项目")
        ordering = ["application", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="points_item_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class PointsObjection(models.Model):
    """An objection (异议) to a published score: the items contested go back to review; ``previous`` keeps what
    they were, ``outcome`` says what review made of them."""

    application = models.ForeignKey(
        PointsApplication, on_delete=models.PROTECT, related_name="objections", verbose_name=_("积分申请")
    )
    item_keys = models.JSONField(_("异议项目"), default=list)
    reason = models.TextField(_("异议理由"))
    previous = models.JSONField(_("原核定结果"), default=dict)
    previous_total = models.DecimalField(_("原总分"), max_digits=9, decimal_places=2, null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("复核完成时间"), null=True, blank=True)
    outcome = models.CharField(_("复核结果"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("积分异议")
        verbose_name_plural = _("积分异议")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(resolved_at__isnull=True), name="points_one_open_objection"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {', '.join(self.item_keys)}"


class PointsRanking(models.Model):
    """A published ranking of a round: the first edition is the one put up for objections (公示), a later one
    marked final (最终排名) after the objection window. Published rankings are never edited."""

    round = models.ForeignKey(PointsRound, on_delete=models.PROTECT, related_name="rankings", verbose_name=_("申报期"))
    edition = models.PositiveSmallIntegerField(_("版次"))
    is_final = models.BooleanField(_("最终排名"), default=False)
    published_at = models.DateTimeField(_("公布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule_set_version = models.CharField(_("积分规则版本"), max_length=16)
    tie_break_zh = models.TextField(_("同分排序规则"))
    tie_break_en = models.TextField(_("同分排序规则（英文）"), blank=True, default="")
    quota = models.PositiveIntegerField(_("名额"), null=True, blank=True)
    cutoff = models.DecimalField(_("分数线"), max_digits=9, decimal_places=2, null=True, blank=True)
    entry_count = models.PositiveIntegerField(_("上榜人数"), default=0)

    class Meta:
        verbose_name = _("积分排名")
        verbose_name_plural = _("积分排名")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "edition"], name="points_ranking_edition_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.edition}"


class PointsRankingEntry(models.Model):
    """One place in a published ranking, as published: the masked name and the reference, never the person."""

    ranking = models.ForeignKey(
        PointsRanking, on_delete=models.CASCADE, related_name="entries", verbose_name=_("积分排名")
    )
    position = models.PositiveIntegerField(_("名次"))
    application = models.ForeignKey(
        PointsApplication, on_delete=models.PROTECT, related_name="ranking_entries", verbose_name=_("积分申请")
    )
    reference = models.CharField(_("受理编号"), max_length=32)
    masked_name = models.CharField(_("姓名"), max_length=64)
    total = models.DecimalField(_("总分"), max_digits=9, decimal_places=2)
    tied = models.BooleanField(_("同分"), default=False)
    within_quota = models.BooleanField(_("名额内"), default=True)

    class Meta:
        verbose_name = _("排名条目")
        verbose_name_plural = _("排名条目")
        ordering = ["ranking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "position"], name="points_entry_position_unique"),
            models.UniqueConstraint(fields=["ranking", "application"], name="points_entry_application_unique"),
        ]
        # Finding one's reference in a published ranking of a hundred thousand lines.
        indexes = [models.Index(fields=["ranking", "reference"], name="points_entry_reference")]

    def __str__(self) -> str:
        return f"{self.position}. {self.masked_name}"
