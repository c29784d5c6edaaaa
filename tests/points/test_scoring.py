"""The points rules as a pure calculator: every rule type, caps, vetoes, deductions with a floor of 0, the
what-if answer, the ranking with its published tie-break, and bad input named by its indicator.

No test here touches the database; the property-based tests run on the default table and on random tables.
"""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from points.scoring import (
    ADMINISTRATIVE_PENALTIES,
    AGE,
    CRIMINAL_RECORD,
    EDUCATION,
    EMPLOYMENT,
    FALSE_DECLARATION,
    INVESTMENT_OR_TAX,
    RESIDENCE_YEARS,
    SKILLS_CERTIFICATE,
    SOCIAL_INSURANCE_YEARS,
    VOLUNTEER_HOURS,
    Band,
    Bands,
    Category,
    Entry,
    Flat,
    Indicator,
    InvalidFact,
    Level,
    PerUnit,
    RuleSet,
    Source,
    Tiers,
    Veto,
    default_rule_set,
    format_points,
    rank,
    score,
    what_if,
)

RULES = default_rule_set(2026)
D = Decimal
T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)

# The project's autouse fixtures (settings, cache) are function-scoped and harmless to repeat per example.
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def as_decimal(value: object) -> Decimal:
    """A numeric fact as the module reads it (a float through its repr)."""
    return D(repr(value)) if isinstance(value, float) else D(value)  # type: ignore[arg-type]


def points_of(result, key):  # type: ignore[no-untyped-def]
    return result.item(key).points


# --- each rule type --------------------------------------------------------------------------------------


def test_per_unit_gives_points_for_each_completed_unit() -> None:
    result = score(RULES, {SOCIAL_INSURANCE_YEARS: 4})
    assert points_of(result, SOCIAL_INSURANCE_YEARS) == D("12.00")
    assert result.total == D("12.00")
    assert result.item(SOCIAL_INSURANCE_YEARS).note == "4 年，每年 3 分"


def test_per_unit_counts_only_whole_units() -> None:
    result = score(RULES, {SOCIAL_INSURANCE_YEARS: D("4.9"), VOLUNTEER_HOURS: 149})
    assert points_of(result, SOCIAL_INSURANCE_YEARS) == D("12.00")
    assert "4 whole years count" in result.item(SOCIAL_INSURANCE_YEARS).note_en
    assert points_of(result, VOLUNTEER_HOURS) == D("4.00")  # two blocks of 50 hours


def test_per_unit_can_be_proportional() -> None:
    rules = RuleSet("t.1", 2026, (Indicator("x", "甲", "x", "basic", "declared", PerUnit(3, whole_units=False)),))
    assert score(rules, {"x": D("4.9")}).total == D("14.70")
    assert score(rules, {"x": 0.333}).total == D("1.00")  # 0.999 rounds half up to the quantum


def test_per_unit_stops_at_its_cap_and_says_so() -> None:
    item = score(RULES, {SOCIAL_INSURANCE_YEARS: 15}).item(SOCIAL_INSURANCE_YEARS)
    assert (item.points, item.uncapped_points, item.capped) == (D("30.00"), D("45.00"), True)
    assert "本项上限 30 分" in item.note
    assert not score(RULES, {SOCIAL_INSURANCE_YEARS: 10}).item(SOCIAL_INSURANCE_YEARS).capped


@pytest.mark.parametrize(
    ("level", "points"),
    [
        ("none", 0),
        ("primary", 0),
        ("junior", 5),
        ("senior", 10),
        ("associate", 20),
        ("bachelor", 35),
        ("postgraduate", 50),
    ],
)
def test_tiers_score_the_education_level(level: str, points: int) -> None:
    assert points_of(score(RULES, {EDUCATION: level}), EDUCATION) == points


def test_tiers_count_the_highest_of_several_certificates() -> None:
    item = score(RULES, {SKILLS_CERTIFICATE: ["level_4", "level_2", "level_5"]}).item(SKILLS_CERTIFICATE)
    assert item.points == D("12.00")
    assert item.value == ("level_5", "level_4", "level_2")
    assert "取最高" in item.note


def test_tiers_with_no_certificate_score_nothing() -> None:
    item = score(RULES, {SKILLS_CERTIFICATE: []}).item(SKILLS_CERTIFICATE)
    assert item.points == 0
    assert item.note_en == "not declared: no points"


def test_tiers_education_levels_are_the_profile_choices() -> None:
    from residents.choices import Education

    levels = RULES.indicator(EDUCATION).rule.levels  # type: ignore[union-attr]
    assert [level.key for level in levels] == list(Education.values)


@pytest.mark.parametrize(
    ("age", "points"),
    [(17, 0), (18, 20), (35, 20), (D("35.99"), 20), (36, 15), (45, 15), (46, 10), (56, 5), (60, 5), (61, 0)],
)
def test_bands_map_age_to_points_lower_edge_included(age: int | Decimal, points: int) -> None:
    assert points_of(score(RULES, {AGE: age}), AGE) == points


def test_a_value_outside_every_band_scores_nothing_and_says_why() -> None:
    item = score(RULES, {AGE: 70}).item(AGE)
    assert item.points == 0
    assert item.note_en == "70 is in no band"


def test_flat_scores_yes_and_not_no() -> None:
    assert points_of(score(RULES, {EMPLOYMENT: True}), EMPLOYMENT) == 10
    assert points_of(score(RULES, {EMPLOYMENT: False}), EMPLOYMENT) == 0
    assert score(RULES, {EMPLOYMENT: False}).item(EMPLOYMENT).note == "否：0 分"


# --- vetoes, deductions and category caps ----------------------------------------------------------------


@pytest.mark.parametrize("veto", [CRIMINAL_RECORD, FALSE_DECLARATION])
def test_a_veto_answered_yes_makes_the_score_ineligible_and_says_why(veto: str) -> None:
    result = score(RULES, {RESIDENCE_YEARS: 5, EMPLOYMENT: True, veto: True})
    assert not result.eligible
    assert result.vetoed_by == (veto,)
    assert result.item(veto).note.startswith("一票否决")
    assert result.item(veto).points == 0
    assert result.total == D("20.00")  # still shown to the applicant, who cannot rank with it


def test_a_veto_answered_no_or_not_at_all_leaves_the_score_eligible() -> None:
    assert score(RULES, {CRIMINAL_RECORD: False}).eligible
    result = score(RULES, {})
    assert result.eligible
    assert result.item(CRIMINAL_RECORD).note_en == "not declared: counts as no"


def test_bonus_items_together_stop_at_the_category_cap_in_table_order() -> None:
    result = score(RULES, {SKILLS_CERTIFICATE: "level_1", VOLUNTEER_HOURS: 150, INVESTMENT_OR_TAX: True})
    assert result.subtotals[Category.BONUS] == D("20.00")
    skills, volunteer, investment = (
        result.item(key) for key in (SKILLS_CERTIFICATE, VOLUNTEER_HOURS, INVESTMENT_OR_TAX)
    )
    assert (skills.points, skills.capped) == (D("15.00"), False)
    assert (volunteer.points, volunteer.uncapped_points, volunteer.capped) == (D("5.00"), D("6.00"), True)
    assert (investment.points, investment.capped) == (D("0.00"), True)
    assert "加分指标合计上限 20 分" in investment.note


def test_deductions_subtract_per_record_up_to_their_cap() -> None:
    facts = {SOCIAL_INSURANCE_YEARS: 10, EDUCATION: "bachelor"}
    assert score(RULES, {**facts, ADMINISTRATIVE_PENALTIES: 2}).total == D("55.00")
    item = score(RULES, {**facts, ADMINISTRATIVE_PENALTIES: 9}).item(ADMINISTRATIVE_PENALTIES)
    assert (item.points, item.uncapped_points, item.capped) == (D("-20.00"), D("-45.00"), True)


def test_deductions_never_take_the_total_below_zero() -> None:
    result = score(RULES, {EDUCATION: "junior", ADMINISTRATIVE_PENALTIES: 3})
    assert result.total == 0
    item = result.item(ADMINISTRATIVE_PENALTIES)
    assert (item.points, item.capped) == (D("-5.00"), True)
    assert item.note_en.endswith("deductions cannot take the total below 0")
    assert result.total == sum(item.points for item in result.breakdown)


def test_a_deduction_category_cap_bounds_what_deductions_take_together() -> None:
    rules = RuleSet(
        "t.1",
        2026,
        (
            Indicator("base", "基础", "base", "basic", "computed", Flat(100)),
            Indicator("fines", "罚款", "fines", "deduction", "declared", PerUnit(5)),
            Indicator("warnings", "警告", "warnings", "deduction", "declared", PerUnit(2)),
        ),
        category_caps={"deduction": 12},
    )
    result = score(rules, {"base": True, "fines": 2, "warnings": 3})
    assert result.subtotals[Category.DEDUCTION] == D("-12.00")
    assert (result.item("fines").points, result.item("warnings").points) == (D("-10.00"), D("-2.00"))
    assert result.total == D("88.00")


# --- missing and invalid facts ---------------------------------------------------------------------------


def test_missing_facts_count_as_not_declared() -> None:
    result = score(RULES, {EDUCATION: None, "unrelated_fact": "ignored"})
    assert result.total == 0
    assert result.eligible
    assert all(item.value is None and item.points == 0 for item in result.breakdown)
    assert [item.key for item in result.breakdown] == [indicator.key for indicator in RULES.indicators]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        (SOCIAL_INSURANCE_YEARS, -1, "must not be negative"),
        (RESIDENCE_YEARS, D("-0.5"), "must not be negative"),
        (RESIDENCE_YEARS, "3", "expected a number of years"),
        (RESIDENCE_YEARS, True, "expected a number"),
        (AGE, float("nan"), "expected a finite number"),
        (VOLUNTEER_HOURS, 10**9, "implausibly large"),
        (EDUCATION, "phd", "unknown level 'phd' (known: none, primary, junior"),
        (EDUCATION, 3, "expected a level"),
        (SKILLS_CERTIFICATE, ["level_1", "master"], "unknown level 'master'"),
        (EMPLOYMENT, 1, "expected yes or no"),
        (CRIMINAL_RECORD, "no", "expected yes or no"),
    ],
)
def test_invalid_facts_raise_a_value_error_naming_the_indicator(key: str, value: object, problem: str) -> None:
    with pytest.raises(ValueError, match=key) as raised:
        score(RULES, {key: value})
    assert isinstance(raised.value, InvalidFact)
    assert raised.value.key == key
    assert problem in str(raised.value)
    assert RULES.indicator(key).label_zh in str(raised.value)


@pytest.mark.parametrize(
    "build",
    [
        lambda: RuleSet("t", 2026, (Indicator("a", "甲", "a", "basic", "computed", Flat(1)),) * 2),
        lambda: Indicator("a", "甲", "a", "basic", "computed", Veto()),
        lambda: Indicator("a", "甲", "a", "veto", "computed", Flat(1)),
        lambda: Indicator("A b", "甲", "a", "basic", "computed", Flat(1)),
        lambda: Indicator("a", "甲", "a", "extra", "computed", Flat(1)),
        lambda: Bands((Band(0, 10, 1), Band(5, 20, 2))),
        lambda: Band(10, 10, 1),
        lambda: Tiers((Level("a", "甲", "a", 1), Level("a", "乙", "b", 2))),
        lambda: PerUnit(-3),
        lambda: PerUnit(3, per=0),
        lambda: Flat(1.5),
        lambda: RuleSet("t", 2026, (), category_caps={"veto": 1}),
        lambda: default_rule_set(26),
    ],
)
def test_a_malformed_table_is_refused_when_it_is_built(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        build()


# --- what if ---------------------------------------------------------------------------------------------


def test_what_if_answers_one_more_year_of_social_insurance() -> None:
    change = what_if(RULES, {SOCIAL_INSURANCE_YEARS: 4}, SOCIAL_INSURANCE_YEARS)
    assert change == D("3.00")
    assert format_points(change, signed=True) == "+3"
    assert what_if(RULES, {}, SOCIAL_INSURANCE_YEARS) == 3
    assert what_if(RULES, {SOCIAL_INSURANCE_YEARS: 10}, SOCIAL_INSURANCE_YEARS) == 0  # at the cap


def test_what_if_counts_blocks_and_category_caps() -> None:
    assert what_if(RULES, {VOLUNTEER_HOURS: 120}, VOLUNTEER_HOURS, 30) == 2
    full = {SKILLS_CERTIFICATE: "level_1", INVESTMENT_OR_TAX: True}
    assert what_if(RULES, full, VOLUNTEER_HOURS, 50) == 0
    assert what_if(RULES, {EDUCATION: "bachelor", ADMINISTRATIVE_PENALTIES: 1}, ADMINISTRATIVE_PENALTIES) == -5


def test_what_if_moves_tiers_by_levels() -> None:
    assert what_if(RULES, {EDUCATION: "junior"}, EDUCATION) == 5
    assert what_if(RULES, {EDUCATION: "bachelor"}, EDUCATION, 5) == 15  # stops at the top level
    assert what_if(RULES, {}, SKILLS_CERTIFICATE) == 3
    assert what_if(RULES, {SKILLS_CERTIFICATE: ["level_5", "level_3"]}, SKILLS_CERTIFICATE) == 4
    assert what_if(RULES, {EDUCATION: "junior"}, EDUCATION, -1) == -5


def test_what_if_refuses_yes_no_items_unknown_keys_and_impossible_changes() -> None:
    with pytest.raises(ValueError, match=EMPLOYMENT):
        what_if(RULES, {}, EMPLOYMENT)
    with pytest.raises(ValueError, match="no indicator 'income'"):
        what_if(RULES, {}, "income")
    with pytest.raises(ValueError, match=SOCIAL_INSURANCE_YEARS):
        what_if(RULES, {SOCIAL_INSURANCE_YEARS: 1}, SOCIAL_INSURANCE_YEARS, -2)
    with pytest.raises(ValueError, match=EDUCATION):
        what_if(RULES, {}, EDUCATION, D("0.5"))


# --- ranking ---------------------------------------------------------------------------------------------


def entry(ref: str, minutes: int = 0, **facts: object) -> Entry:
    return Entry(ref=ref, facts=facts, submitted_at=T0 + datetime.timedelta(minutes=minutes))


def test_rank_orders_by_total_then_the_published_tie_break() -> None:
    entries = [
        entry("A", 0, education="bachelor"),  # 35
        entry("B", 5, education="junior", residence_years=15),  # 5 + 20 = 25, longer residence
        entry("C", 1, education="senior", residence_years=8),  # 10 + 16 = 26
        entry("D", 2, education="associate", residence_years=3),  # 20 + 6 = 26, shorter residence than C
        entry("E", 3, education="associate", residence_years=D("3.5")),  # 26, residence 3.5 > 3 ranks above D
        entry("F", 3, education="associate", residence_years=3),  # 26 like D, submitted later
        entry("G", 3, education="associate", residence_years=3),  # like F in everything: the reference decides
        entry("H", 0, education="postgraduate", criminal_record_5y=True),  # vetoed: not ranked
    ]
    ranking = rank(entries, RULES)
    assert [(r.position, r.entry.ref) for r in ranking] == [
        (1, "A"),
        (2, "C"),
        (3, "E"),
        (4, "D"),
        (5, "F"),
        (6, "G"),
        (7, "B"),
    ]
    assert [r.tied for r in ranking] == [False, True, True, True, True, True, False]
    assert "连续居住年限长者在前" in RULES.tie_break_zh


def test_rank_refuses_a_reference_given_twice() -> None:
    with pytest.raises(ValueError, match="'A' appears twice"):
        rank([entry("A"), entry("A", 1)], RULES)


def test_rank_of_nothing_is_empty() -> None:
    assert rank([], RULES) == []


# --- the default table -----------------------------------------------------------------------------------


def test_the_default_table_includes_what_zhejiang_requires() -> None:
    basic = {indicator.key for indicator in RULES.in_category(Category.BASIC)}
    assert {RESIDENCE_YEARS, EMPLOYMENT, SOCIAL_INSURANCE_YEARS} <= basic  # 浙江省流动人口居住登记条例 art. 28
    assert (RULES.version, RULES.year) == ("2026.1", 2026)
    assert RULES.max_total == D("150.00")
    assert RULES.indicator(RESIDENCE_YEARS).source == Source.COMPUTED
    assert RULES.indicator(SOCIAL_INSURANCE_YEARS).source == Source.DECLARED


def test_a_full_application_scores_as_the_table_says() -> None:
    facts = {
        RESIDENCE_YEARS: 6,  # 12
        SOCIAL_INSURANCE_YEARS: 5,  # 15
        EDUCATION: "associate",  # 20
        AGE: 32,  # 20
        EMPLOYMENT: True,  # 10
        SKILLS_CERTIFICATE: "level_3",  # 8
        VOLUNTEER_HOURS: 100,  # 4
        ADMINISTRATIVE_PENALTIES: 1,  # -5
        CRIMINAL_RECORD: False,
    }
    result = score(RULES, facts)
    assert result.total == D("84.00")
    assert dict(result.subtotals) == {
        Category.BASIC: D("77.00"),
        Category.BONUS: D("12.00"),
        Category.DEDUCTION: D("-5.00"),
        Category.VETO: D("0.00"),
    }
    assert result.rule_set_version == "2026.1"


def test_format_points_drops_trailing_zeros() -> None:
    assert [format_points(D(x)) for x in ("3.00", "2.50", "0", "-5")] == ["3", "2.5", "0", "-5"]
    assert [format_points(D(x), signed=True) for x in ("3", "-5", "0")] == ["+3", "-5", "0"]


# --- properties ------------------------------------------------------------------------------------------

amounts = st.one_of(
    st.integers(min_value=0, max_value=80),
    st.decimals(min_value=0, max_value=80, places=2),
    st.floats(min_value=0, max_value=80, allow_nan=False, allow_infinity=False),
)


def level_facts(rule: Tiers) -> st.SearchStrategy[object]:
    keys = [level.key for level in rule.levels]
    return st.sampled_from(keys) | st.lists(st.sampled_from(keys), max_size=3)


def fact_for(indicator: Indicator) -> st.SearchStrategy[object]:
    rule = indicator.rule
    if isinstance(rule, PerUnit | Bands):
        value: st.SearchStrategy[object] = amounts
    elif isinstance(rule, Tiers):
        value = level_facts(rule)
    elif isinstance(rule, Veto):
        value = st.sampled_from([False, False, False, True])  # mostly eligible
    else:
        value = st.booleans()
    return st.none() | value


def facts_for(rules: RuleSet) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({indicator.key: fact_for(indicator) for indicator in rules.indicators})


default_facts = facts_for(RULES)
# Few distinct totals, so that the tie-break decides often.
tie_prone_facts = st.fixed_dictionaries(
    {
        EDUCATION: st.sampled_from(["junior", "senior"]),
        RESIDENCE_YEARS: st.sampled_from([0, 1, D("1.5"), 2]),
        CRIMINAL_RECORD: st.sampled_from([False, False, False, True]),
    }
)

small = st.integers(min_value=0, max_value=30).map(Decimal)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    """A random table: any mix of rules in any category, with or without caps."""
    indicators = []
    for number in range(draw(st.integers(min_value=1, max_value=8))):
        category = draw(st.sampled_from(list(Category)))
        if category == Category.VETO:
            rule: object = Veto()
        else:
            rule = draw(
                st.one_of(
                    st.builds(
                        PerUnit,
                        points=small,
                        per=st.integers(min_value=1, max_value=10).map(Decimal),
                        cap=st.none() | small,
                        whole_units=st.booleans(),
                    ),
                    st.builds(Flat, points=small),
                    # A sensible table's points grow with the level.
                    st.lists(small, min_size=1, max_size=4).map(
                        lambda points: Tiers(
                            tuple(Level(f"l{i}", f"级{i}", f"l{i}", p) for i, p in enumerate(sorted(points)))
                        )
                    ),
                    st.lists(small, min_size=1, max_size=4).map(
                        lambda points: Bands(tuple(Band(10 * i, 10 * i + 10, p) for i, p in enumerate(points)))
                    ),
                )
            )
        indicators.append(Indicator(f"i{number}", f"指标{number}", f"item {number}", category, "declared", rule))
    caps = draw(st.dictionaries(st.sampled_from(["basic", "bonus", "deduction"]), small))
    return RuleSet("random.1", 2026, tuple(indicators), category_caps=caps)


@st.composite
def tables_with_facts(draw: st.DrawFn) -> tuple[RuleSet, dict[str, object]]:
    rules = draw(st.just(RULES) | rule_sets())
    return rules, draw(facts_for(rules))


@PROPERTY
@given(tables_with_facts())
def test_the_total_is_the_sum_of_the_breakdown(table: tuple[RuleSet, dict[str, object]]) -> None:
    rules, facts = table
    result = score(rules, facts)
    assert result.total == sum(item.points for item in result.breakdown)
    assert result.total == sum(result.subtotals.values())
    for category, subtotal in result.subtotals.items():
        assert subtotal == sum(item.points for item in result.breakdown if item.category == category)
    assert all(item.points == item.points.quantize(D("0.01")) for item in result.breakdown)
    assert result.eligible == all(facts.get(i.key) is not True for i in rules.in_category(Category.VETO))


@PROPERTY
@given(tables_with_facts())
def test_no_cap_is_ever_exceeded(table: tuple[RuleSet, dict[str, object]]) -> None:
    rules, facts = table
    result = score(rules, facts)
    assert result.total >= 0
    if rules.max_total is not None:
        assert result.total <= rules.max_total
    for indicator, item in zip(rules.indicators, result.breakdown, strict=True):
        assert abs(item.points) <= abs(item.uncapped_points)
        assert item.capped == (item.points != item.uncapped_points)
        if indicator.max_points is not None:
            assert abs(item.points) <= indicator.max_points
        if indicator.category == Category.DEDUCTION:
            assert item.points <= 0
        else:
            assert item.points >= 0
    for category, cap in rules.category_caps.items():
        assert abs(result.subtotals[category]) <= cap
    gained = result.subtotals[Category.BASIC] + result.subtotals[Category.BONUS]
    assert -result.subtotals[Category.DEDUCTION] <= gained


def raised(indicator: Indicator, value: object, step: Decimal) -> object:
    """The fact with a positive amount more: more units, a level ``step`` levels higher (at most the top), or yes."""
    rule = indicator.rule
    if isinstance(rule, PerUnit):
        return (D(0) if value is None else as_decimal(value)) + step
    if isinstance(rule, Tiers):
        keys = [value] if isinstance(value, str) else list(value or [])
        top = max((rule.rank_of(key) or 0 for key in keys), default=-1)
        return [*keys, rule.levels[min(top + max(int(step), 1), len(rule.levels) - 1)].key]
    return True


@PROPERTY
@given(tables_with_facts(), st.data(), st.decimals(min_value=D("0.01"), max_value=40, places=2))
def test_more_of_a_basic_or_bonus_item_never_lowers_the_total(
    table: tuple[RuleSet, dict[str, object]], data: st.DataObject, step: Decimal
) -> None:
    """Bands are left out on purpose: a band table may lower the points as the value grows (age)."""
    rules, facts = table
    growable = [
        indicator
        for indicator in rules.indicators
        if indicator.category in (Category.BASIC, Category.BONUS) and isinstance(indicator.rule, PerUnit | Tiers | Flat)
    ]
    assume(growable)
    indicator = data.draw(st.sampled_from(growable))
    before = score(rules, facts)
    after = score(rules, {**facts, indicator.key: raised(indicator, facts.get(indicator.key), step)})
    assert after.total >= before.total


@PROPERTY
@given(tables_with_facts(), st.data(), st.decimals(min_value=D("0.01"), max_value=40, places=2))
def test_more_of_a_deduction_never_raises_the_total(
    table: tuple[RuleSet, dict[str, object]], data: st.DataObject, step: Decimal
) -> None:
    rules, facts = table
    deductions = [i for i in rules.in_category(Category.DEDUCTION) if isinstance(i.rule, PerUnit)]
    assume(deductions)
    indicator = data.draw(st.sampled_from(deductions))
    more = {**facts, indicator.key: raised(indicator, facts.get(indicator.key), step)}
    assert score(rules, more).total <= score(rules, facts).total


@PROPERTY
@given(tables_with_facts(), st.data())
def test_what_if_is_the_difference_of_two_scores(table: tuple[RuleSet, dict[str, object]], data: st.DataObject) -> None:
    rules, facts = table
    movable = [i for i in rules.indicators if isinstance(i.rule, PerUnit | Bands | Tiers)]
    assume(movable)
    indicator = data.draw(st.sampled_from(movable))
    value = facts.get(indicator.key)
    if isinstance(indicator.rule, Tiers):
        delta: Decimal | int = data.draw(st.integers(min_value=-2, max_value=3))
        keys = [] if value is None else ([value] if isinstance(value, str) else value)
        top = max((indicator.rule.rank_of(key) or 0 for key in keys), default=-1)
        target = min(top + int(delta), len(indicator.rule.levels) - 1)
        changed = None if target < 0 else indicator.rule.levels[target].key
    else:
        current = D(0) if value is None else as_decimal(value)
        delta = data.draw(st.decimals(min_value=-current, max_value=20, places=2))
        changed = current + delta
    expected = score(rules, {**facts, indicator.key: changed}).total - score(rules, facts).total
    assert what_if(rules, facts, indicator.key, delta) == expected


@PROPERTY
@given(
    st.lists(st.tuples(default_facts | tie_prone_facts, st.integers(min_value=0, max_value=3)), max_size=12),
    st.randoms(),
)
def test_rank_is_a_deterministic_total_order(applications: list, shuffler: random.Random) -> None:  # type: ignore[type-arg]
    entries = [
        Entry(ref=f"P{number:03}", facts=facts, submitted_at=T0 + datetime.timedelta(hours=hour))
        for number, (facts, hour) in enumerate(applications)
    ]
    ranking = rank(entries, RULES)
    shuffled = entries[:]
    shuffler.shuffle(shuffled)
    assert [r.entry.ref for r in rank(shuffled, RULES)] == [r.entry.ref for r in ranking]

    eligible = {e.ref for e in entries if score(RULES, e.facts).eligible}
    assert [r.position for r in ranking] == list(range(1, len(eligible) + 1))
    assert {r.entry.ref for r in ranking} == eligible

    def key(r):  # type: ignore[no-untyped-def]
        residence = r.score.item(RESIDENCE_YEARS).value or D(0)
        return (-r.score.total, -residence, r.entry.submitted_at, r.entry.ref)

    for higher, lower in itertools.pairwise(ranking):
        assert key(higher) < key(lower)  # strictly: no two entries are ever equal
        assert higher.score.total >= lower.score.total
        if higher.score.total == lower.score.total:
            assert higher.tied and lower.tied


@PROPERTY
@given(st.sampled_from([i for i in RULES.indicators if isinstance(i.rule, PerUnit | Bands)]), st.data())
def test_a_negative_amount_is_refused_naming_its_indicator(indicator: Indicator, data: st.DataObject) -> None:
    bad = data.draw(st.integers(max_value=-1) | st.decimals(max_value=D("-0.01"), allow_nan=False, places=2))
    with pytest.raises(ValueError, match=indicator.key) as error:
        score(RULES, {indicator.key: bad})
    assert error.value.key == indicator.key  # type: ignore[attr-defined]


@PROPERTY
@given(st.sampled_from([i for i in RULES.indicators if isinstance(i.rule, Tiers)]), st.text(max_size=12))
def test_an_unknown_level_is_refused_naming_its_indicator(indicator: Indicator, text: str) -> None:
    assume(text not in {level.key for level in indicator.rule.levels})  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=indicator.key):
        score(RULES, {indicator.key: text})
