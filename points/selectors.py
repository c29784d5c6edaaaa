"""Reads of the points app. Rule sets are public once published; drafts are seen in the admin only."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from . import scoring
from .choices import RuleSetStatus
from .models import Indicator, RuleSet
from .rulejson import rule_from_json


def rule_sets_published() -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("sort_order", "pk"))
    )


def rule_set_current(year: int | None = None) -> RuleSet | None:
    """The rule set published for ``year`` (this year by default), else the latest published; None if none."""
    year = timezone.localdate().year if year is None else year
    published = rule_sets_published()
    return published.filter(year=year).first() or published.order_by("-year", "-published_at").first()


def rule_set_to_scoring(rule_set: RuleSet) -> scoring.RuleSet:
    """The rows as a scoring.RuleSet. Raises ValueError (the scoring module's) when the rows make no valid table."""
    indicators = []
    for row in rule_set.indicators.all():
        try:
            rule = rule_from_json(row.rule)
            indicator = scoring.Indicator(
                row.key,
                row.label_zh,
                row.label_en,
                row.category,  # type: ignore[arg-type]
                row.source,  # type: ignore[arg-type]
                rule,
                unit_zh=row.unit_zh,
                unit_en=row.unit_en,
            )
        except ValueError as error:
            raise ValueError(f"{row.label_zh}（{row.key}）: {error}") from error
        indicators.append(indicator)
    caps = rule_set.category_caps or {}
    if not isinstance(caps, dict):
        raise ValueError('category caps must be a JSON object like {"bonus": "20"}')
    try:
        category_caps = {scoring.Category(category): Decimal(str(cap)) for category, cap in caps.items()}
    except (ArithmeticError, ValueError) as error:
        raise ValueError(f"category caps: {error}") from error
    tie_keys = rule_set.tie_break_keys or []
    if not isinstance(tie_keys, list) or not all(isinstance(key, str) for key in tie_keys):
        raise ValueError("the tie-break indicators are a list of indicator keys")
    known = {indicator.key for indicator in indicators}
    unknown = [key for key in tie_keys if key not in known]
    if unknown:
        raise ValueError(f"the tie-break names unknown indicators: {', '.join(unknown)}")
    extra = {}
    if tie_keys:
        extra["tie_break_key"] = scoring.larger_first_then_submission(*tie_keys)
    return scoring.RuleSet(
        version=rule_set.version,
        year=rule_set.year,
        indicators=tuple(indicators),
        category_caps=category_caps,
        tie_break_zh=rule_set.tie_break_zh,
        tie_break_en=rule_set.tie_break_en,
        **extra,
    )
