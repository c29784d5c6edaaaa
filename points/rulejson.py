"""A scoring rule as the JSON an Indicator row stores, and back. Pure Python (the data migration uses it too).

Shapes (amounts are decimal strings, so nothing is lost to floats)::

    {"type": "per_unit", "points": "3", "per": "1", "cap": "30" | null, "whole_units": true}
    {"type": "tiers", "levels": [{"key": "bachelor", "label_zh": "本科", "label_en": "...", "points": "35"}, ...]}
    {"type": "bands", "bands": [{"lower": "18", "upper": "36" | null, "points": "20", "label_zh": "", "label_en": ""}]}
    {"type": "flat", "points": "10"}
    {"type": "veto"}

:func:`rule_from_json` raises ValueError for anything else (scoring's own checks included).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import scoring


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def rule_to_json(rule: scoring.Rule) -> dict[str, Any]:
    if isinstance(rule, scoring.PerUnit):
        return {
            "type": "per_unit",
            "points": _text(rule.points),
            "per": _text(rule.per),
            "cap": _text(rule.cap),
            "whole_units": rule.whole_units,
        }
    if isinstance(rule, scoring.Tiers):
        levels = [
            {"key": lv.key, "label_zh": lv.label_zh, "label_en": lv.label_en, "points": _text(lv.points)}
            for lv in rule.levels
        ]
        return {"type": "tiers", "levels": levels}
    if isinstance(rule, scoring.Bands):
        bands = [
            {
                "lower": _text(b.lower),
                "upper": _text(b.upper),
                "points": _text(b.points),
                "label_zh": b.label_zh,
                "label_en": b.label_en,
            }
            for b in rule.bands
        ]
        return {"type": "bands", "bands": bands}
    if isinstance(rule, scoring.Flat):
        return {"type": "flat", "points": _text(rule.points)}
    if isinstance(rule, scoring.Veto):
        return {"type": "veto"}
    raise ValueError(f"unknown rule {rule!r}")


def _amount(data: dict[str, Any], name: str, *, optional: bool = False) -> Decimal | None:
    value = data.get(name)
    if value is None:
        if optional:
            return None
        raise ValueError(f"the rule needs {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name!r} must be a number, not {value!r}")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{name!r} must be a number, not {value!r}") from None


def rule_from_json(data: Any) -> scoring.Rule:
    if not isinstance(data, dict):
        raise ValueError(f"a rule is a JSON object with a 'type', not {data!r}")
    kind = data.get("type")
    if kind == "per_unit":
        return scoring.PerUnit(
            points=_amount(data, "points"),  # type: ignore[arg-type]
            per=_amount(data, "per", optional=True) or Decimal(1),
            cap=_amount(data, "cap", optional=True),
            whole_units=bool(data.get("whole_units", True)),
        )
    if kind == "tiers":
        levels = data.get("levels")
        if not isinstance(levels, list) or not all(isinstance(lv, dict) for lv in levels):
            raise ValueError("a tiers rule needs a list of levels")
        return scoring.Tiers(
            tuple(
                scoring.Level(
                    str(lv.get("key") or ""),
                    str(lv.get("label_zh") or ""),
                    str(lv.get("label_en") or ""),
                    _amount(lv, "points"),  # type: ignore[arg-type]
                )
                for lv in levels
            )
        )
    if kind == "bands":
        bands = data.get("bands")
        if not isinstance(bands, list) or not all(isinstance(b, dict) for b in bands):
            raise ValueError("a bands rule needs a list of bands")
        return scoring.Bands(
            tuple(
                scoring.Band(
                    _amount(b, "lower"),  # type: ignore[arg-type]
                    _amount(b, "upper", optional=True),
                    _amount(b, "points"),  # type: ignore[arg-type]
                    str(b.get("label_zh") or ""),
                    str(b.get("label_en") or ""),
                )
                for b in bands
            )
        )
    if kind == "flat":
        return scoring.Flat(_amount(data, "points"))  # type: ignore[arg-type]
    if kind == "veto":
        return scoring.Veto()
    raise ValueError(f"unknown rule type {kind!r} (per_unit, tiers, bands, flat or veto)")


# --- facts ---------------------------------------------------------------------------------------------
# An application stores each indicator's fact as JSON: a decimal string for per-unit and band items, a level
# key (or a list of them) for tiers, true/false for flat and veto items, null for "not declared".


def fact_to_json(indicator: scoring.Indicator, value: scoring.Fact) -> Any:
    """A fact as stored; raises scoring.InvalidFact when no rule of ``indicator`` could score it."""
    if value is None or value == "":
        return None
    rule = indicator.rule
    if isinstance(rule, scoring.PerUnit | scoring.Bands):
        if isinstance(value, str):
            try:
                value = Decimal(value.strip())
            except ArithmeticError:
                raise scoring.InvalidFact(indicator, f"expected a number, got {value!r}") from None
        scoring.score(scoring.RuleSet("check", 2000, (indicator,)), {indicator.key: value})
        return _text(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))  # type: ignore[arg-type]
    scoring.score(scoring.RuleSet("check", 2000, (indicator,)), {indicator.key: value})
    if isinstance(rule, scoring.Tiers):
        return value if isinstance(value, str) else sorted(value)  # type: ignore[arg-type]
    return value


def fact_from_json(indicator: scoring.Indicator, stored: Any) -> scoring.Fact:
    """The stored JSON of :func:`fact_to_json` as a fact to score."""
    if stored is None:
        return None
    if isinstance(indicator.rule, scoring.PerUnit | scoring.Bands):
        return Decimal(str(stored))
    if isinstance(indicator.rule, scoring.Tiers) and isinstance(stored, list):
        return tuple(stored)
    return stored  # type: ignore[no-any-return]
