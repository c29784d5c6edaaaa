"""The public calculator's form: one input per indicator of the rule set, built from the scoring table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import scoring


def _label(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") and en else zh


class CalculatorForm(forms.Form):
    """Numbers for per-unit and band items, a select of levels for tiers, a yes/no box for flat and veto items.
    Every field is optional: an empty one is "not declared" and scores nothing."""

    def __init__(self, *args: Any, rule_set: scoring.RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_set = rule_set
        for indicator in rule_set.indicators:
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
