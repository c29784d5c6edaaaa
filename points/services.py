"""Writes of the points app: publishing a rule set and succeeding a published one with a new draft version.

A published (or retired) rule set is never edited: scores keep the version they were made under, so a change
is a new version that replaces the old one when it is published.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from yuean.errors import DomainError

from .choices import RuleSetStatus
from .models import Indicator, RuleSet
from .selectors import rule_set_to_scoring


def rule_set_ensure_editable(rule_set: RuleSet) -> None:
    """Refuse any change to a rule set that has been published (its stored status decides, not the form's)."""
    status = RuleSet.objects.filter(pk=rule_set.pk).values_list("status", flat=True).first()
    if status is not None and status != RuleSetStatus.DRAFT:
        raise DomainError(
            "rule_set_not_editable", _("已发布的积分规则不能修改，请复制为新版本后修改并发布。"), conflict=True
        )


@transaction.atomic
def rule_set_publish(*, actor: User | None, rule_set: RuleSet) -> RuleSet:
    """Publish a draft after checking it makes a valid table; the year's previously published set is retired."""
    locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if locked.status != RuleSetStatus.DRAFT:
        raise DomainError("rule_set_not_draft", _("只有草稿状态的积分规则可以发布。"), conflict=True)
    if not locked.indicators.exists():
        raise DomainError("rule_set_empty", _("积分规则至少需要一个指标。"))
    try:
        rule_set_to_scoring(locked)
    except ValueError as error:
        raise DomainError("rule_set_invalid", _("积分规则有误：%(problem)s") % {"problem": error}) from error
    previous = list(RuleSet.objects.select_for_update().filter(year=locked.year, status=RuleSetStatus.PUBLISHED))
    RuleSet.objects.filter(pk__in=[p.pk for p in previous]).update(status=RuleSetStatus.RETIRED)
    locked.status = RuleSetStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    rule_set.status, rule_set.published_at = locked.status, locked.published_at
    return locked


def _next_version(year: int) -> str:
    versions = RuleSet.objects.filter(year=year).values_list("version", flat=True)
    highest = 0
    for version in versions:
        head, _sep, tail = version.partition(".")
        if head == str(year) and tail.isdigit():
            highest = max(highest, int(tail))
    return f"{year}.{highest + 1}"


@transaction.atomic
def rule_set_succeed(*, actor: User | None, rule_set: RuleSet) -> RuleSet:
    """Copy a published rule set, indicators and all, into a new draft version of the same year."""
    source = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if source.status != RuleSetStatus.PUBLISHED:
        raise DomainError("rule_set_not_published", _("只有已发布的积分规则可以复制为新版本。"), conflict=True)
    draft = RuleSet.objects.create(
        year=source.year,
        version=_next_version(source.year),
        status=RuleSetStatus.DRAFT,
        tie_break_zh=source.tie_break_zh,
        tie_break_en=source.tie_break_en,
        tie_break_keys=list(source.tie_break_keys or []),
        category_caps=dict(source.category_caps or {}),
        supersedes=source,
    )
    Indicator.objects.bulk_create(
        Indicator(
            rule_set=draft,
            key=row.key,
            label_zh=row.label_zh,
            label_en=row.label_en,
            category=row.category,
            source=row.source,
            unit_zh=row.unit_zh,
            unit_en=row.unit_en,
            rule=row.rule,
            sort_order=row.sort_order,
        )
        for row in source.indicators.order_by("sort_order", "pk")
    )
    return draft
