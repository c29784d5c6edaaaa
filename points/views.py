"""The public points pages (no sign-in): the current year's published table and the what-if calculator.

Both read the current rule set through points.selectors and score through points.scoring, so the calculator
gives the same score an application will.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import scoring
from .forms import CalculatorForm
from .selectors import rule_set_current, rule_set_to_scoring


def _en() -> bool:
    return (get_language() or "").startswith("en")


def _pick(zh: str, en: str) -> str:
    return en if _en() and en else zh


def _pts(value: Decimal) -> str:
    return scoring.format_points(value)


def describe_rule(indicator: scoring.Indicator) -> list[str]:
    """How an indicator scores, line by line, for the published table."""
    rule = indicator.rule
    unit = _pick(indicator.unit_zh, indicator.unit_en)
    if isinstance(rule, scoring.PerUnit):
        if rule.per == 1:
            line = _("每%(unit)s %(points)s 分") % {"unit": unit or _("单位"), "points": _pts(rule.points)}
        else:
            line = _("每 %(per)s %(unit)s %(points)s 分") % {
                "per": _pts(rule.per),
                "unit": unit,
                "points": _pts(rule.points),
            }
        lines = [line]
        if rule.cap is not None:
            lines.append(_("本项最高 %(cap)s 分") % {"cap": _pts(rule.cap)})
        return lines
    if isinstance(rule, scoring.Tiers):
        return [f"{_pick(level.label_zh, level.label_en)}：{_pts(level.points)}" for level in rule.levels]
    if isinstance(rule, scoring.Bands):
        return [f"{_pick(band.label_zh, band.label_en)}：{_pts(band.points)}" for band in rule.bands]
    if isinstance(rule, scoring.Flat):
        return [_("符合：%(points)s 分") % {"points": _pts(rule.points)}]
    return [_("符合即不具备积分资格")]


@dataclass(frozen=True)
class TableRow:
    indicator: scoring.Indicator
    label: str
    source: str
    lines: list[str]


@dataclass(frozen=True)
class TableCategory:
    key: str
    label: str
    cap: str | None
    rows: list[TableRow]


SOURCE_LABELS = {scoring.Source.COMPUTED: ("系统核算", "computed"), scoring.Source.DECLARED: ("本人申报", "declared")}


def _table(rule_set: scoring.RuleSet) -> list[TableCategory]:
    categories = []
    for category in scoring.Category:
        indicators = rule_set.in_category(category)
        if not indicators:
            continue
        cap = rule_set.category_caps.get(category)
        rows = [
            TableRow(
                indicator=indicator,
                label=_pick(indicator.label_zh, indicator.label_en),
                source=_pick(*SOURCE_LABELS[indicator.source]),
                lines=describe_rule(indicator),
            )
            for indicator in indicators
        ]
        label = _pick(*scoring.CATEGORY_LABELS[category])
        categories.append(TableCategory(str(category), label, None if cap is None else _pts(cap), rows))
    return categories


def _current() -> tuple[Any, scoring.RuleSet | None]:
    row = rule_set_current()
    return row, (rule_set_to_scoring(row) if row is not None else None)


def points_table(request: HttpRequest) -> HttpResponse:
    row, rule_set = _current()
    context: dict[str, Any] = {"row": row, "rule_set": rule_set}
    if rule_set is not None:
        context["categories"] = _table(rule_set)
        context["max_total"] = None if rule_set.max_total is None else _pts(rule_set.max_total)
        context["tie_break"] = _pick(rule_set.tie_break_zh, rule_set.tie_break_en)
    return render(request, "points/table.html", context)


@dataclass(frozen=True)
class ResultLine:
    item: scoring.Item
    label: str
    points: str
    note: str
    what_if: str | None


def _what_if(rule_set: scoring.RuleSet, facts: dict[str, scoring.Fact], indicator: scoring.Indicator) -> str | None:
    rule = indicator.rule
    if not isinstance(rule, scoring.PerUnit):
        return None
    step = rule.per
    change = scoring.what_if(rule_set, facts, indicator.key, step)
    unit = _pick(indicator.unit_zh, indicator.unit_en)
    return _("再多 %(step)s %(unit)s：%(change)s 分") % {
        "step": _pts(step),
        "unit": unit,
        "change": scoring.format_points(change, signed=True),
    }


def points_calculator(request: HttpRequest) -> HttpResponse:
    row, rule_set = _current()
    context: dict[str, Any] = {"row": row, "rule_set": rule_set}
    if rule_set is None:
        return render(request, "points/calculator.html", context)
    submitted = any(indicator.key in request.GET for indicator in rule_set.indicators)
    form = CalculatorForm(request.GET if submitted else None, rule_set=rule_set)
    context["form"] = form
    if submitted and form.is_valid():
        facts = form.facts()
        try:
            result = scoring.score(rule_set, facts)
            lines = [
                ResultLine(
                    item=item,
                    label=_pick(item.label, item.label_en),
                    points=scoring.format_points(item.points, signed=item.points < 0),
                    note=_pick(item.note, item.note_en),
                    what_if=_what_if(rule_set, facts, rule_set.indicator(item.key)),
                )
                for item in result.breakdown
            ]
        except scoring.InvalidFact as error:
            field = error.key if error.key in form.fields else None
            form.add_error(field, _("无法计分：%(problem)s") % {"problem": error.problem})
        else:
            context["result"] = result
            context["total"] = _pts(result.total)
            context["lines"] = lines
    return render(request, "points/calculator.html", context)
