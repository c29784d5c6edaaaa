"""The points pages' forms: the calculator (one input per indicator of a rule set, built from the scoring table),
the same inputs for changing an application's declarations, and the objection form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from . import scoring
from .services import OBJECTION_REASON_MAX


def _label(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") and en else zh


def plain_number(value: Decimal) -> str:
    """3.500 as "3.5", 4.000 as "4": how a number is shown in an input and on a page."""
    return "0" if value == 0 else f"{value.normalize():f}"


def fact_as_input(indicator: scoring.Indicator, fact: scoring.Fact) -> Any:
    """A fact as the calculator's input for ``indicator`` takes it (the highest level of several certificates)."""
    rule = indicator.rule
    if fact is None:
        return None
    if isinstance(rule, scoring.PerUnit | scoring.Bands):
        return plain_number(Decimal(str(fact)))  # type: ignore[arg-type]
    if isinstance(rule, scoring.Tiers):
        keys = [fact] if isinstance(fact, str) else list(fact)  # type: ignore[arg-type]
        known = [key for key in keys if rule.rank_of(key) is not None]
        return max(known, key=lambda key: rule.rank_of(key) or 0) if known else None
    return bool(fact)


class CalculatorForm(forms.Form):
    """Numbers for per-unit and band items, a select of levels for tiers, a yes/no box for flat and veto items.
    Every field is optional: an empty one is "not declared" and scores nothing. With ``declared_only`` the form
    has only the items the applicant declares (an application's declarations; the portal computes the rest)."""

    def __init__(self, *args: Any, rule_set: scoring.RuleSet, declared_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_set = rule_set
        for indicator in rule_set.indicators:
            if declared_only and indicator.source != scoring.Source.DECLARED:
                continue
            label = _label(indicator.label_zh, indicator.label_en)
            rule = indicator.rule
            field: forms.Field
            if isinstance(rule, scoring.PerUnit | scoring.Bands):
                unit = _label(indicator.unit_zh, indicator.unit_en)
                field = forms.DecimalField(
                    label=f"{label}（{unit}）" if unit else label,
                    required=False,
                    min_value=Decimal(0),
                    max_value=scoring.MAX_AMOUNT,
                    max_digits=12,
                    decimal_places=3,
                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
                )
            elif isinstance(rule, scoring.Tiers):
                choices = [("", _("未申报"))] + [
                    (level.key, _label(level.label_zh, level.label_en)) for level in rule.levels
                ]
                field = forms.ChoiceField(label=label, required=False, choices=choices)
            else:
                field = forms.BooleanField(label=label, required=False)
            self.fields[indicator.key] = field

    def facts(self) -> dict[str, scoring.Fact]:
        """The cleaned answers as scoring facts (empty → None, "not declared")."""
        facts: dict[str, scoring.Fact] = {}
        for key, value in self.cleaned_data.items():
            facts[key] = None if value in ("", None) else value
        return facts

    def declared(self) -> dict[str, scoring.Fact]:
        """The answers to the items the applicant declares (what an application is started or changed with)."""
        facts = self.facts()
        return {
            indicator.key: facts.get(indicator.key)
            for indicator in self.rule_set.indicators
            if indicator.source == scoring.Source.DECLARED and indicator.key in self.fields
        }

    def as_pairs(self) -> list[tuple[str, str]]:
        """The cleaned answers as the form's own query (name, value) pairs, to carry them to the next form."""
        pairs = []
        for key, value in self.cleaned_data.items():
            if value is None or value is False or value == "":
                continue  # an empty box, an unticked box: the query leaves them out too
            pairs.append((key, "on" if value is True else plain_number(value) if isinstance(value, Decimal) else value))
        return pairs

    @classmethod
    def initial_from(cls, rule_set: scoring.RuleSet, facts: Mapping[str, scoring.Fact]) -> dict[str, Any]:
        initial = {}
        for indicator in rule_set.indicators:
            if indicator.key in facts:
                initial[indicator.key] = fact_as_input(indicator, facts[indicator.key])
        return initial


class ObjectionForm(forms.Form):
    """异议: the items contested and why."""

    item_keys = forms.MultipleChoiceField(
        label=gettext_lazy("对哪些项目有异议"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请勾选有异议的项目。")},
    )
    reason = forms.CharField(
        label=gettext_lazy("异议理由"),
        max_length=OBJECTION_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("写清楚哪里不对、实际情况是什么；如有新的证明材料，请说明。"),
        error_messages={"required": gettext_lazy("请写明异议的理由。")},
    )

    def __init__(self, *args: Any, items: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item_keys"].choices = list(items)
