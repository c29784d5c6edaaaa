"""Points-based residence scoring (积分): the published rules and the calculator, as pure Python.

A year's rules are a :class:`RuleSet`: indicators in four categories (basic, bonus, deduction, veto), each
computed by the portal or declared by the applicant, each with one rule (per unit, tiers, bands, flat, veto),
plus caps per category and a published tie-break. :func:`score` turns a mapping of facts into a
:class:`Score` whose breakdown explains every point (PIPL art. 24: an automated decision about a person must
be explainable); :func:`what_if` answers "one more year of social insurance: +3"; :func:`rank` orders
applications by total and then by the published tie-break.

This module has no Django models and no database: the models, services and the admin that let an
administrator edit a year's rule set build a :class:`RuleSet` from their rows and call these functions, so
the public calculator, an application and the ranking all score the same facts the same way.

Arithmetic is Decimal, every item's points quantized to :data:`QUANTUM` (0.01, half up), so a total is the
exact sum of its breakdown. Conventions a reader of the published table needs:

- A missing fact (absent key or ``None``) is "not declared": no points, never an error. Facts whose key is
  not an indicator of the rule set are ignored, so a calculator may pass everything it knows about a person.
- An invalid fact (a negative or non-numeric count, an unknown education level, anything but yes/no for a
  yes/no item) raises :class:`InvalidFact`, a ``ValueError`` naming the indicator.
- Caps apply in order: an indicator's own cap, then its category's cap, filled greedily in the rule set's
  order of indicators (an item that no longer fits is cut and marked ``capped``).
- Deductions subtract, but never below zero: the total has a floor of 0. Rather than clamping the total,
  the floor is a cap on deductions (they may take away at most what basic and bonus items gave), so the
  total is always the sum of the breakdown and the breakdown says which deduction was cut.
- A veto item answered yes makes the score ineligible (``eligible`` False, ``vetoed_by`` names the items, the
  item's note says why). The total is still computed, for the applicant's information; :func:`rank` leaves
  ineligible applications out of the ranking.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

QUANTUM = Decimal("0.01")
ZERO = Decimal("0.00")
# No fact or rule amount is larger: it keeps every product exact in Decimal's default 28 digits and turns a
# mistyped value (a date keyed into a years field) into a clear error instead of an absurd score.
MAX_AMOUNT = Decimal(1_000_000)

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class Category(StrEnum):
    BASIC = "basic"
    BONUS = "bonus"
    DEDUCTION = "deduction"
    VETO = "veto"


CATEGORY_LABELS: Mapping[Category, tuple[str, str]] = MappingProxyType(
    {
        Category.BASIC: ("基础指标", "basic"),
        Category.BONUS: ("加分指标", "bonus"),
        Category.DEDUCTION: ("减分指标", "deduction"),
        Category.VETO: ("一票否决指标", "veto"),
    }
)


class Source(StrEnum):
    COMPUTED = "computed"  # the portal knows it (registrations, endorsements, the profile, case reviews)
    DECLARED = "declared"  # the applicant declares it with evidence; a caseworker verifies it


class InvalidFact(ValueError):
    """A fact that no rule can score. The message names the indicator; ``key`` is its key (an input field)."""

    def __init__(self, indicator: Indicator, problem: str) -> None:
        super().__init__(f"{indicator.label_en} ({indicator.key}, {indicator.label_zh}): {problem}")
        self.key = indicator.key
        self.problem = problem


def quantize(value: Decimal) -> Decimal:
    """``value`` to the points quantum, half up."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_UP)


def format_points(value: Decimal | int, *, signed: bool = False) -> str:
    """``Decimal('3.00')`` as ``'3'``, ``Decimal('2.50')`` as ``'2.5'``; with ``signed``, ``'+3'`` / ``'-5'``."""
    value = quantize(Decimal(value))
    text = f"{value.normalize():f}" if value != value.to_integral_value() else str(int(value))
    return f"+{text}" if signed and value > 0 else text


def _plain(value: Decimal) -> str:
    """A fact as given, without exponent or trailing zeros (3.999 years stay 3.999, not a rounded 4)."""
    return "0" if value == 0 else f"{value.normalize():f}"


def _amount(value: Any, what: str) -> Decimal:
    """A configured amount (points, a cap, a unit, a band edge) as a non-negative Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError(f"{what} must be an int, a Decimal or a numeric string, not {value!r}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(f"{what} must be between 0 and {MAX_AMOUNT}, not {value!r}")
    return amount


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)  # normalising the fields of a frozen dataclass in __post_init__


# --- rules -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerUnit:
    """``points`` for every ``per`` units of the fact (3 points per year; 2 points per 50 hours), up to ``cap``.

    With ``whole_units`` (the default) only completed units count: 4.9 years are 4 years. Otherwise the
    points are proportional (4.9 years × 3 = 14.7).
    """

    points: Decimal
    per: Decimal = Decimal(1)
    cap: Decimal | None = None
    whole_units: bool = True

    def __post_init__(self) -> None:
        _set(self, "points", _amount(self.points, "PerUnit.points"))
        _set(self, "per", _amount(self.per, "PerUnit.per"))
        if self.per == 0:
            raise ValueError("PerUnit.per must be positive")
        if self.cap is not None:
            _set(self, "cap", _amount(self.cap, "PerUnit.cap"))

    @property
    def max_points(self) -> Decimal | None:
        return self.cap


@dataclass(frozen=True)
class Level:
    """One level of a :class:`Tiers` rule: an education level, a skills-certificate grade."""

    key: str
    label_zh: str
    label_en: str
    points: Decimal

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a level needs a key")
        _set(self, "points", _amount(self.points, f"points of level {self.key!r}"))


@dataclass(frozen=True)
class Tiers:
    """Named levels, lowest first; the fact is a level's key, or several keys of which the highest applies.

    The points need not grow with the level, but they do in every sensible table.
    """

    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        levels = tuple(self.levels)
        if not levels:
            raise ValueError("Tiers needs at least one level")
        keys = [level.key for level in levels]
        if len(set(keys)) != len(keys):
            raise ValueError(f"Tiers has a level key twice: {keys}")
        _set(self, "levels", levels)

    def rank_of(self, key: str) -> int | None:
        """The level's position, lowest 0; None for a key that is not a level."""
        for position, level in enumerate(self.levels):
            if level.key == key:
                return position
        return None

    @property
    def max_points(self) -> Decimal:
        return max(level.points for level in self.levels)


@dataclass(frozen=True)
class Band:
    """Values from ``lower`` (included) to ``upper`` (excluded; None: no upper end) score ``points``."""

    lower: Decimal
    upper: Decimal | None
    points: Decimal
    label_zh: str = ""
    label_en: str = ""

    def __post_init__(self) -> None:
        _set(self, "lower", _amount(self.lower, "Band.lower"))
        if self.upper is not None:
            _set(self, "upper", _amount(self.upper, "Band.upper"))
            if self.upper <= self.lower:
                raise ValueError(f"a band's upper end must be above its lower end: [{self.lower}, {self.upper})")
        _set(self, "points", _amount(self.points, "Band.points"))
        if not self.label_zh or not self.label_en:
            upper = "" if self.upper is None else format_points(self.upper)
            text = f"[{format_points(self.lower)}, {upper})" if upper else f"≥ {format_points(self.lower)}"
            _set(self, "label_zh", self.label_zh or text)
            _set(self, "label_en", self.label_en or text)

    def contains(self, value: Decimal) -> bool:
        return self.lower <= value and (self.upper is None or value < self.upper)


@dataclass(frozen=True)
class Bands:
    """A value mapped by ranges (age bands). Ascending, not overlapping; a value in no band scores 0."""

    bands: tuple[Band, ...]

    def __post_init__(self) -> None:
        bands = tuple(self.bands)
        if not bands:
            raise ValueError("Bands needs at least one band")
        for before, after in itertools.pairwise(bands):
            if before.upper is None or after.lower < before.upper:
                raise ValueError(f"bands must be ascending and must not overlap: {before.label_en} / {after.label_en}")
        _set(self, "bands", bands)

    def band_for(self, value: Decimal) -> Band | None:
        return next((band for band in self.bands if band.contains(value)), None)

    @property
    def max_points(self) -> Decimal:
        return max(band.points for band in self.bands)


@dataclass(frozen=True)
class Flat:
    """Yes scores ``points``, no scores nothing (in stable employment; invests or pays tax in the district)."""

    points: Decimal

    def __post_init__(self) -> None:
        _set(self, "points", _amount(self.points, "Flat.points"))

    @property
    def max_points(self) -> Decimal:
        return self.points


@dataclass(frozen=True)
class Veto:
    """Yes disqualifies the whole score (a criminal record in the last five years; a false declaration)."""

    @property
    def max_points(self) -> Decimal:
        return ZERO


Rule: TypeAlias = PerUnit | Tiers | Bands | Flat | Veto


@dataclass(frozen=True)
class Indicator:
    """One line of the published table.

    Points of every rule are magnitudes; the category gives the sign (a deduction's points are subtracted).
    """

    key: str
    label_zh: str
    label_en: str
    category: Category
    source: Source
    rule: Rule
    unit_zh: str = ""
    unit_en: str = ""

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"an indicator key is lower-case letters, digits and _: {self.key!r}")
        _set(self, "category", Category(self.category))
        _set(self, "source", Source(self.source))
        if not isinstance(self.rule, PerUnit | Tiers | Bands | Flat | Veto):
            raise ValueError(f"{self.key}: unknown rule {self.rule!r}")
        if (self.category == Category.VETO) != isinstance(self.rule, Veto):
            raise ValueError(f"{self.key}: veto items, and only they, have a Veto rule")

    @property
    def sign(self) -> int:
        return -1 if self.category == Category.DEDUCTION else 1

    @property
    def max_points(self) -> Decimal | None:
        """The most this item alone can give (or take away, for a deduction); None when it has no cap."""
        return self.rule.max_points


# --- facts, scores, entries ------------------------------------------------------------------------------

Fact: TypeAlias = int | float | Decimal | str | bool | Iterable[str] | None


@dataclass(frozen=True)
class Item:
    """One indicator's line in a score's breakdown.

    ``value`` is the fact as scored (a Decimal for numbers, a level key or a tuple of them, a bool, or None
    when not declared); ``points`` are signed (negative for a deduction) and after every cap;
    ``uncapped_points`` are what the rule alone gave. ``note`` (Chinese) and ``note_en`` explain the line.
    """

    key: str
    label: str
    label_en: str
    category: Category
    value: Any
    points: Decimal
    uncapped_points: Decimal
    capped: bool
    note: str
    note_en: str


@dataclass(frozen=True)
class Score:
    """A total, whether it is eligible at all, and its breakdown item by item (in the rule set's order)."""

    rule_set_version: str
    total: Decimal
    eligible: bool
    breakdown: tuple[Item, ...]
    subtotals: Mapping[Category, Decimal]
    vetoed_by: tuple[str, ...] = ()

    def item(self, key: str) -> Item:
        for item in self.breakdown:
            if item.key == key:
                return item
        raise KeyError(key)


@dataclass(frozen=True)
class Entry:
    """An application to rank: its unique reference, its (verified) facts, and when it was submitted."""

    ref: str
    facts: Mapping[str, Fact]
    submitted_at: datetime.datetime


@dataclass(frozen=True)
class RankedEntry:
    """A place in the ranking; ``tied`` when another ranked entry has the same total (the tie-break decided)."""

    position: int
    entry: Entry
    score: Score
    tied: bool


TieBreakKey: TypeAlias = Callable[[Entry, Score], tuple[Any, ...]]


def submission_order(entry: Entry, score: Score) -> tuple[Any, ...]:
    """Ties go to the earlier submission."""
    return (entry.submitted_at,)


def larger_first_then_submission(*keys: str) -> TieBreakKey:
    """A tie-break: the larger value of each numeric indicator in turn (missing is 0), then the earlier submission."""

    def key(entry: Entry, score: Score) -> tuple[Any, ...]:
        values = []
        for indicator_key in keys:
            try:
                value = score.item(indicator_key).value
            except KeyError:
                value = None
            values.append(-value if isinstance(value, Decimal) else ZERO)
        return (*values, entry.submitted_at)

    return key


@dataclass(frozen=True)
class RuleSet:
    """A year's published rules. A version in use is never edited, only succeeded by a new version.

    ``category_caps`` bound the points of a category together (bonus items at most 20); for deductions the
    cap bounds what they take away. ``tie_break_zh`` / ``tie_break_en`` publish the rule that
    ``tie_break_key`` implements; :func:`rank` adds the application reference last, so the order is total.
    """

    version: str
    year: int
    indicators: tuple[Indicator, ...]
    category_caps: Mapping[Category, Decimal] = field(default_factory=dict)
    tie_break_zh: str = "总分相同的，申请提交时间早者在前。"
    tie_break_en: str = "Equal totals: the earlier submission first."
    tie_break_key: TieBreakKey = submission_order

    def __post_init__(self) -> None:
        indicators = tuple(self.indicators)
        keys = [indicator.key for indicator in indicators]
        duplicates = sorted(key for key, count in Counter(keys).items() if count > 1)
        if duplicates:
            raise ValueError(f"rule set {self.version}: indicator keys used twice: {', '.join(duplicates)}")
        caps = {}
        for category, cap in self.category_caps.items():
            category = Category(category)
            if category == Category.VETO:
                raise ValueError("veto items score no points, so they take no category cap")
            caps[category] = _amount(cap, f"cap of the {category} category")
        _set(self, "indicators", indicators)
        _set(self, "category_caps", MappingProxyType(caps))

    def indicator(self, key: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.key == key:
                return indicator
        raise ValueError(f"rule set {self.version} has no indicator {key!r}")

    def in_category(self, category: Category) -> tuple[Indicator, ...]:
        return tuple(indicator for indicator in self.indicators if indicator.category == category)

    @property
    def max_total(self) -> Decimal | None:
        """The highest total the table allows (basic and bonus, after caps); None when something is uncapped."""
        total = ZERO
        for category in (Category.BASIC, Category.BONUS):
            maxima = [indicator.max_points for indicator in self.in_category(category)]
            cap = self.category_caps.get(category)
            subtotal = None if None in maxima else sum((m for m in maxima if m is not None), ZERO)
            if subtotal is None and cap is None:
                return None
            total += min(x for x in (subtotal, cap) if x is not None)
        return total


# --- scoring ---------------------------------------------------------------------------------------------


def _number(indicator: Indicator, raw: Fact) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise InvalidFact(indicator, f"expected a number of {indicator.unit_en or 'units'}, got {raw!r}")
    value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if not value.is_finite():
        raise InvalidFact(indicator, f"expected a finite number, got {raw!r}")
    if value < 0:
        raise InvalidFact(indicator, f"must not be negative, got {raw!r}")
    if value > MAX_AMOUNT:
        raise InvalidFact(indicator, f"implausibly large, got {raw!r}")
    return value


def _yes_no(indicator: Indicator, raw: Fact) -> bool:
    if not isinstance(raw, bool):
        raise InvalidFact(indicator, f"expected yes or no (True / False), got {raw!r}")
    return raw


def _levels(indicator: Indicator, rule: Tiers, raw: Fact) -> tuple[str, ...]:
    """The keys given, lowest level first; one key or a collection of keys (several certificates)."""
    if isinstance(raw, str):
        given: Iterable[Any] = (raw,)
    elif isinstance(raw, list | tuple | set | frozenset):
        given = raw
    else:
        raise InvalidFact(indicator, f"expected a level or a list of levels, got {raw!r}")
    ranks = set()
    for key in given:
        position = rule.rank_of(key) if isinstance(key, str) else None
        if position is None:
            known = ", ".join(level.key for level in rule.levels)
            raise InvalidFact(indicator, f"unknown level {key!r} (known: {known})")
        ranks.add(position)
    return tuple(rule.levels[position].key for position in sorted(ranks))


@dataclass
class _Line:
    """A breakdown line while caps are applied (magnitudes; the sign comes last)."""

    indicator: Indicator
    value: Any
    uncapped: Decimal
    points: Decimal
    capped: bool
    notes_zh: list[str]
    notes_en: list[str]
    vetoes: bool = False


def _line(indicator: Indicator, raw: Fact) -> _Line:
    """Score one indicator on its own: the rule and the indicator's cap."""
    rule = indicator.rule
    unit_zh, unit_en = indicator.unit_zh, indicator.unit_en or "units"
    if raw is None:
        if isinstance(rule, Veto):
            return _Line(indicator, None, ZERO, ZERO, False, ["未申报，视为否"], ["not declared: counts as no"])
        return _Line(indicator, None, ZERO, ZERO, False, ["未申报，不计分"], ["not declared: no points"])
    if isinstance(rule, PerUnit):
        value = _number(indicator, raw)
        units = value / rule.per
        if rule.whole_units:
            units = units.to_integral_value(rounding=ROUND_FLOOR)
        points = quantize(units * rule.points)
        amount, each = _plain(value), format_points(rule.points)
        if rule.per == 1:
            notes_zh = [f"{amount} {unit_zh}，每{unit_zh} {each} 分"]
            notes_en = [f"{amount} {unit_en}: {each} points each"]
        else:
            per = format_points(rule.per)
            notes_zh = [f"{amount} {unit_zh}，每 {per} {unit_zh} {each} 分"]
            notes_en = [f"{amount} {unit_en}: {each} points per {per} {unit_en}"]
        if rule.whole_units and units * rule.per != value:
            notes_zh.append(
                f"按满 {format_points(units)} 个单位计" if rule.per != 1 else f"按满 {format_points(units)} {unit_zh}计"
            )
            notes_en.append(
                f"{format_points(units)} whole units count"
                if rule.per != 1
                else f"{format_points(units)} whole {unit_en} count"
            )
        cap = rule.cap
        if cap is not None and points > cap:
            notes_zh.append(f"本项上限 {format_points(cap)} 分")
            notes_en.append(f"capped at {format_points(cap)}")
            return _Line(indicator, value, points, quantize(cap), True, notes_zh, notes_en)
        return _Line(indicator, value, points, points, False, notes_zh, notes_en)
    if isinstance(rule, Tiers):
        keys = _levels(indicator, rule, raw)
        if not keys:
            return _Line(indicator, (), ZERO, ZERO, False, ["未申报，不计分"], ["not declared: no points"])
        level = next(level for level in rule.levels if level.key == keys[-1])
        points = quantize(level.points)
        value = keys[0] if isinstance(raw, str) else keys
        highest_zh, highest_en = ("（取最高）", " (the highest counts)") if len(keys) > 1 else ("", "")
        notes_zh = [f"{level.label_zh}{highest_zh}：{format_points(points)} 分"]
        notes_en = [f"{level.label_en}{highest_en}: {format_points(points)} points"]
        return _Line(indicator, value, points, points, False, notes_zh, notes_en)
    if isinstance(rule, Bands):
        value = _number(indicator, raw)
        band = rule.band_for(value)
        if band is None:
            notes = (
                [f"{_plain(value)} {unit_zh}不在任何分档内，不计分"],
                [f"{_plain(value)} is in no band"],
            )
            return _Line(indicator, value, ZERO, ZERO, False, *notes)
        points = quantize(band.points)
        notes_zh = [f"{band.label_zh}：{format_points(points)} 分"]
        notes_en = [f"{band.label_en}: {format_points(points)} points"]
        return _Line(indicator, value, points, points, False, notes_zh, notes_en)
    if isinstance(rule, Flat):
        yes = _yes_no(indicator, raw)
        points = quantize(rule.points) if yes else ZERO
        answer_zh, answer_en = ("是", "yes") if yes else ("否", "no")
        notes = ([f"{answer_zh}：{format_points(points)} 分"], [f"{answer_en}: {format_points(points)} points"])
        return _Line(indicator, yes, points, points, False, *notes)
    yes = _yes_no(indicator, raw)
    if yes:
        notes = (["一票否决：不具备积分资格"], ["veto: the applicant is not eligible for points"])
        return _Line(indicator, True, ZERO, ZERO, False, *notes, vetoes=True)
    return _Line(indicator, False, ZERO, ZERO, False, ["否"], ["no"])


def _fill(lines: list[_Line], room: Decimal, note_zh: str, note_en: str) -> None:
    """Cut ``lines`` in order so that together they fit in ``room``; a cut line is marked capped."""
    for line in lines:
        if line.points > room:
            line.points = room
            line.capped = True
            line.notes_zh.append(note_zh)
            line.notes_en.append(note_en)
        room -= line.points


def score(rule_set: RuleSet, facts: Mapping[str, Fact]) -> Score:
    """Score ``facts`` (indicator key → value) under ``rule_set``; see the module docstring for the conventions."""
    lines = [_line(indicator, facts.get(indicator.key)) for indicator in rule_set.indicators]
    by_category = {category: [line for line in lines if line.indicator.category == category] for category in Category}
    for category in (Category.BASIC, Category.BONUS, Category.DEDUCTION):
        cap = rule_set.category_caps.get(category)
        if cap is not None:
            label_zh, label_en = CATEGORY_LABELS[category]
            note_zh = f"{label_zh}合计上限 {format_points(cap)} 分"
            note_en = f"{label_en} items together capped at {format_points(cap)}"
            _fill(by_category[category], cap, note_zh, note_en)
    gained = sum((line.points for line in by_category[Category.BASIC] + by_category[Category.BONUS]), ZERO)
    _fill(by_category[Category.DEDUCTION], gained, "扣分不使总分低于 0", "deductions cannot take the total below 0")

    breakdown = tuple(
        Item(
            key=line.indicator.key,
            label=line.indicator.label_zh,
            label_en=line.indicator.label_en,
            category=line.indicator.category,
            value=line.value,
            points=line.indicator.sign * line.points,
            uncapped_points=line.indicator.sign * line.uncapped,
            capped=line.capped,
            note="；".join(line.notes_zh),
            note_en="; ".join(line.notes_en),
        )
        for line in lines
    )
    subtotals = {
        category: sum((item.points for item in breakdown if item.category == category), ZERO) for category in Category
    }
    vetoed_by = tuple(line.indicator.key for line in lines if line.vetoes)
    return Score(
        rule_set_version=rule_set.version,
        total=sum(subtotals.values(), ZERO),
        eligible=not vetoed_by,
        breakdown=breakdown,
        subtotals=MappingProxyType(subtotals),
        vetoed_by=vetoed_by,
    )


def _shifted(indicator: Indicator, raw: Fact, delta: Decimal) -> Fact:
    rule = indicator.rule
    if isinstance(rule, PerUnit | Bands):
        return (ZERO if raw is None else _number(indicator, raw)) + delta
    if isinstance(rule, Tiers):
        if delta != delta.to_integral_value():
            raise InvalidFact(indicator, f"levels move in whole steps, not {delta}")
        keys = () if raw is None else _levels(indicator, rule, raw)
        current = max((rule.rank_of(key) or 0 for key in keys), default=-1)
        target = min(current + int(delta), len(rule.levels) - 1)
        return None if target < 0 else rule.levels[target].key
    raise InvalidFact(indicator, "a yes/no item has no 'one more unit': compare the two answers instead")


def what_if(rule_set: RuleSet, facts: Mapping[str, Fact], key: str, delta: Decimal | int = 1) -> Decimal:
    """How the total changes when the fact ``key`` grows by ``delta`` ("one more year of social insurance: +3").

    Numeric facts (per-unit and band items) add ``delta``, a missing one counting from 0; a tiered fact moves
    ``delta`` levels from its highest level (up to the top level; below the lowest it is not declared).
    Yes/no items raise :class:`InvalidFact`, as does an unknown ``key`` (a plain ValueError). Format the
    answer with ``format_points(change, signed=True)``.
    """
    indicator = rule_set.indicator(key)
    if isinstance(delta, bool) or not isinstance(delta, int | Decimal):
        raise InvalidFact(indicator, f"the change must be an int or a Decimal, not {delta!r}")
    changed = dict(facts)
    changed[key] = _shifted(indicator, facts.get(key), Decimal(delta))
    return score(rule_set, changed).total - score(rule_set, facts).total


def rank(entries: Iterable[Entry], rule_set: RuleSet) -> list[RankedEntry]:
    """Score and order applications: total descending, then the rule set's tie-break, then the reference.

    Positions run 1..n over the eligible entries; vetoed entries are left out (a published ranking lists
    only eligible applicants; the caller still has their scores). The same entries give the same order
    whatever order they come in. A reference given twice raises ValueError.
    """
    seen: set[str] = set()
    scored: list[tuple[Entry, Score]] = []
    for entry in entries:
        if entry.ref in seen:
            raise ValueError(f"application reference {entry.ref!r} appears twice")
        seen.add(entry.ref)
        result = score(rule_set, entry.facts)
        if result.eligible:
            scored.append((entry, result))
    scored.sort(key=lambda pair: (-pair[1].total, *rule_set.tie_break_key(*pair), pair[0].ref))
    totals = Counter(result.total for _, result in scored)
    return [
        RankedEntry(position=position, entry=entry, score=result, tied=totals[result.total] > 1)
        for position, (entry, result) in enumerate(scored, start=1)
    ]


# --- the default rule set --------------------------------------------------------------------------------

RESIDENCE_YEARS = "residence_years"
SOCIAL_INSURANCE_YEARS = "social_insurance_years"
EDUCATION = "education"
AGE = "age"
EMPLOYMENT = "employment"
SKILLS_CERTIFICATE = "skills_certificate"
VOLUNTEER_HOURS = "volunteer_hours"
INVESTMENT_OR_TAX = "investment_or_tax"
ADMINISTRATIVE_PENALTIES = "administrative_penalties"
CRIMINAL_RECORD = "criminal_record_5y"
FALSE_DECLARATION = "false_declaration"

# The keys of residents.choices.Education, so the profile pre-fills the calculator as it is.
EDUCATION_LEVELS = (
    Level("none", "未上学", "no schooling", Decimal(0)),
    Level("primary", "小学", "primary school", Decimal(0)),
    Level("junior", "初中", "junior secondary", Decimal(5)),
    Level("senior", "高中 / 中专 / 技校", "senior secondary or vocational", Decimal(10)),
    Level("associate", "大专", "associate degree", Decimal(20)),
    Level("bachelor", "本科", "bachelor's degree", Decimal(35)),
    Level("postgraduate", "研究生", "postgraduate degree", Decimal(50)),
)

# National vocational skill levels (国家职业技能等级), fifth (entry) to first (senior technician).
SKILL_LEVELS = (
    Level("level_5", "五级 / 初级工", "level 5 (entry)", Decimal(3)),
    Level("level_4", "四级 / 中级工", "level 4 (intermediate)", Decimal(5)),
    Level("level_3", "三级 / 高级工", "level 3 (advanced)", Decimal(8)),
    Level("level_2", "二级 / 技师", "level 2 (technician)", Decimal(12)),
    Level("level_1", "一级 / 高级技师", "level 1 (senior technician)", Decimal(15)),
)


def default_rule_set(year: int) -> RuleSet:
    """A realistic default table for ``year``, clearly illustrative: an administrator replaces its values.

    Nothing public fixes Yuecheng's own indicators, so this is modelled on public systems: Zhejiang's
    requirement that the indicators include years of residence, employment and social-insurance
    contributions (浙江省流动人口居住登记条例 art. 28), and the shape of Shanghai's residence-permit points
    (basic items with per-year points and caps, education and age tables, bonus items capped together,
    deductions for penalties, veto items for crime and false declarations).

    Basic (up to 130): continuous residence 2 a year (cap 20); social insurance 3 a year (cap 30); education
    0-50; age 5-20 by band; stable employment 10. Bonus (together at most 20): a skills certificate 3-15
    (the highest counts); volunteer service 2 per 50 hours (cap 6); investment or tax paid in the district 10.
    Deduction: 5 per administrative penalty in the last three years (at most 20). Veto: a criminal record
    in the last five years; a false declaration. The highest total is 150. Ties: longer continuous
    residence first, then the earlier submission, then the application reference.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValueError(f"a rule set's year is a year like 2025, not {year!r}")
    basic, bonus = Category.BASIC, Category.BONUS
    computed, declared = Source.COMPUTED, Source.DECLARED
    indicators = (
        Indicator(
            RESIDENCE_YEARS,
            "连续居住年限",
            "years of continuous residence",
            basic,
            computed,
            PerUnit(points=Decimal(2), cap=Decimal(20)),
            unit_zh="年",
            unit_en="years",
        ),
        Indicator(
            SOCIAL_INSURANCE_YEARS,
            "社会保险缴纳年限",
            "years of social-insurance contributions",
            basic,
            declared,
            PerUnit(points=Decimal(3), cap=Decimal(30)),
            unit_zh="年",
            unit_en="years",
        ),
        Indicator(EDUCATION, "文化程度", "education", basic, computed, Tiers(EDUCATION_LEVELS)),
        Indicator(
            AGE,
            "年龄",
            "age",
            basic,
            computed,
            Bands(
                (
                    Band(Decimal(18), Decimal(36), Decimal(20), "18–35 周岁", "aged 18–35"),
                    Band(Decimal(36), Decimal(46), Decimal(15), "36–45 周岁", "aged 36–45"),
                    Band(Decimal(46), Decimal(56), Decimal(10), "46–55 周岁", "aged 46–55"),
                    Band(Decimal(56), Decimal(61), Decimal(5), "56–60 周岁", "aged 56–60"),
                )
            ),
            unit_zh="周岁",
            unit_en="years of age",
        ),
        Indicator(EMPLOYMENT, "稳定就业", "in stable employment", basic, declared, Flat(Decimal(10))),
        Indicator(
            SKILLS_CERTIFICATE,
            "职业技能等级证书",
            "vocational skills certificate",
            bonus,
            declared,
            Tiers(SKILL_LEVELS),
        ),
        Indicator(
            VOLUNTEER_HOURS,
            "志愿服务时长",
            "volunteer service",
            bonus,
            declared,
            PerUnit(points=Decimal(2), per=Decimal(50), cap=Decimal(6)),
            unit_zh="小时",
            unit_en="hours",
        ),
        Indicator(
            INVESTMENT_OR_TAX,
            "在本区投资创业或依法纳税",
            "invests or pays tax in the district",
            bonus,
            declared,
            Flat(Decimal(10)),
        ),
        Indicator(
            ADMINISTRATIVE_PENALTIES,
            "近三年行政处罚记录",
            "administrative penalties in the last three years",
            Category.DEDUCTION,
            declared,
            PerUnit(points=Decimal(5), cap=Decimal(20)),
            unit_zh="次",
            unit_en="records",
        ),
        Indicator(
            CRIMINAL_RECORD,
            "近五年内有刑事犯罪记录",
            "criminal record in the last five years",
            Category.VETO,
            declared,
            Veto(),
        ),
        Indicator(
            FALSE_DECLARATION,
            "提供虚假材料或虚假申报",
            "false documents or declaration",
            Category.VETO,
            computed,
            Veto(),
        ),
    )
    return RuleSet(
        version=f"{year}.1",
        year=year,
        indicators=indicators,
        category_caps={Category.BONUS: Decimal(20)},
        tie_break_zh="总分相同的，连续居住年限长者在前；仍相同的，申请提交时间早者在前；再相同的，按申请编号顺序。",
        tie_break_en=(
            "Equal totals: longer continuous residence first; then the earlier submission; "
            "then the application reference."
        ),
        tie_break_key=larger_first_then_submission(RESIDENCE_YEARS),
    )
