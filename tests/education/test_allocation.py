"""The seat allocation rule as a pure function: deferred acceptance over (tier, points, lottery), its cut-offs
and explanations, and bad input refused with a clear ValueError.

No test here touches the database. The property-based tests check the published promises on random small
districts: no school over capacity, only listed schools, no blocking pair (stability), the same result for
the same seed in any input order, cut-offs that match the admitted lists, the same result as a textbook
round-by-round run, and strategy-proofness by trying every other list an applicant could have submitted.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from education.allocation import (
    DEFAULT_TIER,
    Allocation,
    Applicant,
    Explanation,
    Priority,
    School,
    allocate,
    lottery_number,
)

D = Decimal
SEED = "2026-秋季-第一轮"

# The project's autouse fixtures (settings, cache) are function-scoped and harmless to repeat per example.
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def applicant(ref: str, *preferences: str, points: int | str = 0, tiers: Mapping[str, int] | None = None) -> Applicant:
    return Applicant(ref, preferences, D(points), tiers or {})


def schools(**seats: int) -> list[School]:
    return [School(ref, count) for ref, count in seats.items()]


def lottery_order(*refs: str, seed: str = SEED) -> list[str]:
    return sorted(refs, key=lambda ref: lottery_number(seed, ref))


# --- the rule on small examples --------------------------------------------------------------------------


def test_in_one_tier_the_highest_points_choose_first_平行志愿() -> None:
    result = allocate(
        [
            applicant("low", "north", "east", "west", points=60),
            applicant("high", "north", "east", "west", points=120),
            applicant("middle", "north", "east", "west", points=90),
        ],
        schools(north=1, east=1, west=1),
        SEED,
    )
    assert result.assigned == {"high": "north", "middle": "east", "low": "west"}


def test_in_one_tier_a_lower_score_still_gets_a_school_nobody_above_wanted() -> None:
    result = allocate(
        [
            applicant("high", "north", points=120),
            applicant("middle", "north", "east", points=90),
            applicant("low", "east", "north", points=60),
        ],
        schools(north=1, east=1),
        SEED,
    )
    assert result.assigned == {"high": "north", "middle": "east", "low": None}


def test_the_catchment_tier_beats_points() -> None:
    result = allocate(
        [
            applicant("elsewhere", "tashan", points=150),
            applicant("same_street", "tashan", points=100, tiers={"tashan": 1}),
            applicant("in_catchment", "tashan", points=10, tiers={"tashan": 0}),
        ],
        schools(tashan=2),
        SEED,
    )
    assert result.admitted["tashan"] == ("in_catchment", "same_street")
    assert result.assigned["elsewhere"] is None


def test_a_school_missing_from_the_tiers_ranks_the_applicant_at_the_default_tier() -> None:
    result = allocate(
        [
            applicant("far_but_more_points", "tashan", points=80, tiers={"tashan": 3}),
            applicant("no_tier_given", "tashan", points=40),
            applicant("tier_two_given", "tashan", points=50, tiers={"tashan": DEFAULT_TIER}),
        ],
        schools(tashan=3),
        SEED,
    )
    assert DEFAULT_TIER == 2
    assert result.admitted["tashan"] == ("tier_two_given", "no_tier_given", "far_but_more_points")


def test_the_lottery_breaks_a_tie_of_equal_tier_and_points() -> None:
    first, second = lottery_order("amy", "bo")
    result = allocate(
        [applicant("amy", "fushan", points=70), applicant("bo", "fushan", points=70)], schools(fushan=1), SEED
    )
    assert result.assigned == {first: "fushan", second: None}


def test_the_lottery_changes_with_the_seed() -> None:
    def winner(seed: str) -> str | None:
        result = allocate([applicant("amy", "fushan"), applicant("bo", "fushan")], schools(fushan=1), seed)
        return result.admitted["fushan"][0]

    winners = {seed: winner(seed) for seed in (f"2026-{draw}" for draw in range(20))}
    assert set(winners.values()) == {"amy", "bo"}
    assert all(won == lottery_order("amy", "bo", seed=seed)[0] for seed, won in winners.items())


def test_one_lottery_number_orders_tied_applicants_the_same_at_every_school() -> None:
    tied = [applicant(ref, "north", "east", "west") for ref in ("amy", "bo", "cai")]
    result = allocate(tied, schools(north=1, east=1, west=1), SEED)
    first, second, third = lottery_order("amy", "bo", "cai")
    assert result.assigned == {first: "north", second: "east", third: "west"}


def test_lottery_number_is_the_sha256_of_seed_and_reference_read_as_a_number() -> None:
    expected = int(hashlib.sha256("2026-秋季:YX-0001".encode()).hexdigest(), 16)
    assert lottery_number("2026-秋季", "YX-0001") == expected
    # The published rule, pinned so that a change to it cannot pass unnoticed.
    assert f"{lottery_number('2026', 'A'):064x}" == "e7c78aa7b7998a2d41139098e86934abcc00f9244d9531332049eb3a81965636"
    assert lottery_number("2026", "A") != lottery_number("2027", "A")


def test_an_applicant_every_listed_school_turns_away_is_unplaced() -> None:
    result = allocate(
        [applicant("in", "north", tiers={"north": 0}), applicant("out", "north", points=150)],
        schools(north=1, south=5),
        SEED,
    )
    assert result.assigned["out"] is None
    assert result.cutoffs["south"] is None  # free seats, though nobody listed it
    explanation = result.explain("out")
    assert (explanation.assigned, explanation.choice) == (None, None)
    assert [school for school, _ in explanation.higher_choices] == ["north"]


def test_a_school_with_no_seats_admits_nobody_and_its_applicants_move_on() -> None:
    result = allocate([applicant("amy", "closed", "open", points=100)], schools(closed=0, open=1), SEED)
    assert result.admitted["closed"] == ()
    assert result.cutoffs["closed"] is None
    assert result.assigned["amy"] == "open"
    explanation = result.explain("amy")
    assert explanation.higher_choices == (("closed", None),)
    assert explanation.lines()[1] == "第 1 志愿 closed：本轮没有学位。"
    assert explanation.lines_en()[1] == "Choice 1, closed: no seats this round."


def test_an_applicant_with_no_preferences_is_unplaced_and_told_why() -> None:
    result = allocate([applicant("amy")], schools(north=1), SEED)
    assert result.assigned == {"amy": None}
    explanation = result.explain("amy")
    assert explanation == Explanation("amy", None, None, (), {})
    assert explanation.lines() == ("没有填报志愿，因此没有分配学位。",)


def test_no_applicants_and_no_schools_is_an_empty_round() -> None:
    result = allocate([], [], SEED)
    assert (result.assigned, result.admitted, result.cutoffs) == ({}, {}, {})


def test_a_full_school_has_the_priority_of_its_last_admitted_as_cut_off() -> None:
    result = allocate(
        [
            applicant("a", "north", points=90, tiers={"north": 0}),
            applicant("b", "north", points="85.5", tiers={"north": 0}),
            applicant("c", "north", points=100, tiers={"north": 1}),
        ],
        schools(north=2),
        SEED,
    )
    assert result.admitted["north"] == ("a", "b")
    assert result.cutoffs["north"] == Priority(0, D("-85.5"), lottery_number(SEED, "b"))
    assert result.cutoffs["north"].points == D("85.5")
    assert result.seats_used("north") == 2
    assert result.seats_free("north") == 0


# --- explanations ----------------------------------------------------------------------------------------


@pytest.fixture
def three_choices() -> Allocation:
    """Cai lists north, east, west: north is taken by a catchment child, east by more points, west has room."""
    return allocate(
        [
            applicant("amy", "north", points=40, tiers={"north": 0}),
            applicant("bo", "east", points=110, tiers={"east": 1}),
            applicant("cai", "north", "east", "west", points="95.5", tiers={"east": 1}),
        ],
        schools(north=1, east=1, west=3),
        SEED,
    )


def test_the_explanation_gives_the_choice_number_and_the_cut_off_of_every_higher_choice(
    three_choices: Allocation,
) -> None:
    explanation = three_choices.explain("cai")
    assert (explanation.assigned, explanation.choice) == ("west", 3)
    assert explanation.higher_choices == (
        ("north", Priority(0, D(-40), lottery_number(SEED, "amy"))),
        ("east", Priority(1, D(-110), lottery_number(SEED, "bo"))),
    )
    assert explanation.own_priorities == {
        "north": Priority(2, D("-95.5"), lottery_number(SEED, "cai")),
        "east": Priority(1, D("-95.5"), lottery_number(SEED, "cai")),
        "west": Priority(2, D("-95.5"), lottery_number(SEED, "cai")),
    }


def test_the_explanation_reads_as_sentences_with_school_names(three_choices: Allocation) -> None:
    names = {"north": "塔山小学", "east": "府山小学", "west": "北海小学"}
    assert three_choices.explain("cai").lines(names) == (
        "您被第 3 志愿 北海小学 录取。",
        "第 1 志愿 塔山小学 已录满，录取线为学区内、积分 40（您为其他区域、积分 95.5）；"
        "学区内优先于同街道，同街道优先于其他区域。",
        "第 2 志愿 府山小学 已录满，录取线为同街道、积分 110（您为同街道、积分 95.5）；同一档次内，积分高的优先。",
    )
    english = three_choices.explain("cai").lines_en()
    assert english[0] == "Placed at choice 3: west."
    assert english[2] == (
        "Choice 2, east, was full: its cut-off was in the same street, 110 points "
        "(you: in the same street, 95.5 points); in the same tier, more points come first."
    )


def test_a_first_choice_has_nothing_above_it(three_choices: Allocation) -> None:
    explanation = three_choices.explain("amy")
    assert (explanation.choice, explanation.higher_choices) == (1, ())
    assert explanation.lines() == ("您被第 1 志愿 north 录取。",)


def test_the_explanation_says_when_the_lottery_decided() -> None:
    winner, loser = lottery_order("amy", "bo")
    result = allocate(
        [applicant("amy", "north", points=70), applicant("bo", "north", points=70)], schools(north=1), SEED
    )
    assert result.explain(loser).lines()[1].endswith("档次和积分都相同，按抽签号决定，您的抽签号排在后面。")
    assert result.explain(loser).higher_choices[0][1] == result.priority(winner, "north")


def test_an_unknown_applicant_or_school_is_a_key_error(three_choices: Allocation) -> None:
    with pytest.raises(KeyError, match="nobody"):
        three_choices.explain("nobody")
    with pytest.raises(KeyError, match="south"):
        three_choices.seats_used("south")


# --- values --------------------------------------------------------------------------------------------


def test_a_priority_sorts_by_tier_then_points_then_lottery() -> None:
    assert Priority(0, D(-10), 9) < Priority(1, D(-150), 0)
    assert Priority(1, D(-90), 9) < Priority(1, D(-80), 0)
    assert Priority(1, D(-80), 1) < Priority(1, D(-80), 2)
    assert Priority(1, D(-80), 1).points == D(80)
    assert Priority(1, D(0), 1).points == 0


def test_an_applicant_accepts_a_list_and_whole_points() -> None:
    built = Applicant("amy", ["north", "east"], 5, {"north": 0})  # type: ignore[arg-type]
    assert built.preferences == ("north", "east")
    assert built.points == D(5) and isinstance(built.points, Decimal)
    assert built.tier_at("north") == 0 and built.tier_at("east") == DEFAULT_TIER


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("applicants", "seats", "seed", "message"),
    [
        pytest.param(
            [applicant("a"), applicant("a")], {"n": 1}, SEED, "applicant references used twice: a", id="dup-applicant"
        ),
        pytest.param([], [School("n", 1), School("n", 2)], SEED, "school references used twice: n", id="dup-school"),
        pytest.param(
            [applicant("a", "south")], {"n": 1}, SEED, "'south' is not a school of this round", id="unknown-school"
        ),
        pytest.param(
            [applicant("a", "n", "n")], {"n": 1}, SEED, "applicant a: school listed twice: n", id="dup-preference"
        ),
        pytest.param([], {"n": -1}, SEED, "school n: seats must not be negative", id="negative-seats"),
        pytest.param(
            [applicant("a", "n", tiers={"n": -1})],
            {"n": 1},
            SEED,
            "tier at 'n' must not be negative",
            id="negative-tier",
        ),
        pytest.param([], {"n": 1}, "", "lottery seed", id="empty-seed"),
        pytest.param([], {"n": 1}, "   ", "lottery seed", id="blank-seed"),
        pytest.param([], {"n": 1.5}, SEED, "seats must be a whole number", id="fractional-seats"),
        pytest.param(
            [applicant("a", "n", tiers={"n": True})], {"n": 1}, SEED, "must be a whole number", id="bool-tier"
        ),
        pytest.param(
            [applicant("a", points=-1)], {"n": 1}, SEED, "points must be a Decimal of at least 0", id="negative-points"
        ),
        pytest.param([Applicant("a", (), D("NaN"))], {"n": 1}, SEED, "points must be a Decimal", id="nan-points"),
        pytest.param([Applicant("a", (), 1.5)], {"n": 1}, SEED, "points must be a Decimal", id="float-points"),  # type: ignore[arg-type]
        pytest.param([Applicant("a", "n")], {"n": 1}, SEED, "preferences must be a sequence", id="string-preferences"),  # type: ignore[arg-type]
        pytest.param([applicant("")], {"n": 1}, SEED, "non-empty string", id="empty-ref"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    applicants: list[Applicant], seats: Mapping[str, int] | list[School], seed: str, message: str
) -> None:
    given_schools = seats if isinstance(seats, list) else [School(ref, count) for ref, count in seats.items()]
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        allocate(applicants, given_schools, seed)


# --- properties on random small districts --------------------------------------------------------------

SCHOOL_REFS = ("s1", "s2", "s3", "s4")
POINTS = tuple(D(p) for p in ("0", "10", "10.5", "80", "150"))  # few values: ties are common


@st.composite
def districts(
    draw: st.DrawFn, max_applicants: int = 8, max_schools: int = 4, max_seats: int = 3
) -> tuple[list[Applicant], list[School], str]:
    school_refs = SCHOOL_REFS[: draw(st.integers(1, max_schools))]
    round_schools = [School(ref, draw(st.integers(0, max_seats))) for ref in school_refs]
    count = draw(st.integers(0, max_applicants))
    round_applicants = []
    for number in range(count):
        listed = draw(st.permutations(school_refs))[: draw(st.integers(0, len(school_refs)))]
        tiers = draw(st.dictionaries(st.sampled_from(school_refs), st.integers(0, 3), max_size=len(school_refs)))
        round_applicants.append(Applicant(f"a{number}", tuple(listed), draw(st.sampled_from(POINTS)), tiers))
    seed = draw(st.text(alphabet="abc-12", min_size=1, max_size=6))
    return round_applicants, round_schools, seed


def priority_of(applicant: Applicant, school_ref: str, seed: str) -> tuple[int, Decimal, int]:
    """The published order, written out again: tier (missing is 2), more points, smaller lottery number."""
    return (applicant.tiers.get(school_ref, 2), -applicant.points, lottery_number(seed, applicant.ref))


def deferred_acceptance_by_rounds(
    applicants: list[Applicant], round_schools: list[School], seed: str
) -> dict[str, str | None]:
    """The textbook version: in each round every free applicant applies to their next school at once."""
    seats = {school.ref: school.seats for school in round_schools}
    held: dict[str, list[Applicant]] = {ref: [] for ref in seats}
    next_choice = {a.ref: 0 for a in applicants}
    free = list(applicants)
    while True:
        applying: dict[str, list[Applicant]] = {ref: [] for ref in seats}
        for a in free:  # an applicant with no school left drops out here, unplaced
            if next_choice[a.ref] < len(a.preferences):
                applying[a.preferences[next_choice[a.ref]]].append(a)
                next_choice[a.ref] += 1
        if not any(applying.values()):
            break
        free = []
        for ref, new in applying.items():
            pool = sorted(held[ref] + new, key=lambda a, ref=ref: priority_of(a, ref, seed))  # type: ignore[misc]
            held[ref] = pool[: seats[ref]]
            free += pool[seats[ref] :]
    result: dict[str, str | None] = dict.fromkeys((a.ref for a in applicants), None)
    for ref, kept in held.items():
        for a in kept:
            result[a.ref] = ref
    return result


def rank_in(preferences: Iterable[str], school_ref: str | None) -> int:
    """How much an applicant wants a school: its position in their list; unlisted or none ranks last."""
    preferences = tuple(preferences)
    return preferences.index(school_ref) if school_ref in preferences else len(preferences)


@PROPERTY
@given(districts())
def test_no_school_admits_more_than_its_seats_and_the_lists_agree(district: tuple) -> None:
    applicants, round_schools, seed = district
    result = allocate(applicants, round_schools, seed)
    for school in round_schools:
        assert result.seats_used(school.ref) <= school.seats
        assert all(result.assigned[ref] == school.ref for ref in result.admitted[school.ref])
    placed = [ref for ref, school_ref in result.assigned.items() if school_ref is not None]
    assert sorted(placed) == sorted(ref for refs in result.admitted.values() for ref in refs)
    assert set(result.assigned) == {a.ref for a in applicants}


@PROPERTY
@given(districts())
def test_every_applicant_gets_only_a_school_they_listed(district: tuple) -> None:
    applicants, round_schools, seed = district
    result = allocate(applicants, round_schools, seed)
    for a in applicants:
        assert result.assigned[a.ref] is None or result.assigned[a.ref] in a.preferences


@PROPERTY
@given(districts())
def test_no_applicant_and_school_would_both_rather_have_each_other(district: tuple) -> None:
    applicants, round_schools, seed = district
    result = allocate(applicants, round_schools, seed)
    seats = {school.ref: school.seats for school in round_schools}
    by_ref = {a.ref: a for a in applicants}
    for a in applicants:
        wanted_more = a.preferences[: rank_in(a.preferences, result.assigned[a.ref])]
        for school_ref in wanted_more:
            admitted = result.admitted[school_ref]
            assert len(admitted) == seats[school_ref], f"{a.ref} wanted {school_ref}, which kept a free seat"
            mine = priority_of(a, school_ref, seed)
            assert all(priority_of(by_ref[other], school_ref, seed) < mine for other in admitted)


@PROPERTY
@given(districts(), st.randoms(use_true_random=False))
def test_the_same_seed_gives_the_same_result_in_any_input_order(district: tuple, shuffler) -> None:  # type: ignore[no-untyped-def]
    applicants, round_schools, seed = district
    result = allocate(applicants, round_schools, seed)
    shuffled_applicants, shuffled_schools = list(applicants), list(round_schools)
    shuffler.shuffle(shuffled_applicants)
    shuffler.shuffle(shuffled_schools)
    again = allocate(iter(shuffled_applicants), iter(shuffled_schools), seed)
    assert again == result
    assert list(again.assigned) == list(result.assigned)  # even the iteration order
    assert list(again.admitted) == list(result.admitted)


@PROPERTY
@given(districts())
def test_cut_offs_are_the_last_admitted_of_full_schools(district: tuple) -> None:
    applicants, round_schools, seed = district
    result = allocate(applicants, round_schools, seed)
    for school in round_schools:
        admitted = result.admitted[school.ref]
        priorities = [result.priority(ref, school.ref) for ref in admitted]
        assert priorities == sorted(priorities)  # best first
        if admitted and len(admitted) == school.seats:
            assert result.cutoffs[school.ref] == priorities[-1]
        else:
            assert result.cutoffs[school.ref] is None
    for a in applicants:
        explanation = result.explain(a.ref)
        assert explanation.choice == (
            None if explanation.assigned is None else rank_in(a.preferences, explanation.assigned) + 1
        )
        for school_ref, cutoff in explanation.higher_choices:
            assert cutoff is None or cutoff < explanation.own_priorities[school_ref]
            assert (cutoff is None) == (result.seats[school_ref] == 0)
        assert len(explanation.lines()) == 1 + len(explanation.higher_choices)


@PROPERTY
@given(districts())
def test_the_result_is_the_textbook_round_by_round_result(district: tuple) -> None:
    applicants, round_schools, seed = district
    assert allocate(applicants, round_schools, seed).assigned == deferred_acceptance_by_rounds(
        applicants, round_schools, seed
    )


def every_list(school_refs: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    """Every list an applicant could submit: every ordering of every subset, the empty list included."""
    for size in range(len(school_refs) + 1):
        yield from itertools.permutations(school_refs, size)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(districts(max_applicants=4, max_schools=3, max_seats=2))
def test_no_applicant_gains_by_submitting_any_other_list(district: tuple) -> None:
    applicants, round_schools, seed = district
    truthful = allocate(applicants, round_schools, seed)
    school_refs = tuple(school.ref for school in round_schools)
    for index, a in enumerate(applicants):
        honest_rank = rank_in(a.preferences, truthful.assigned[a.ref])
        for other_list in every_list(school_refs):
            liar = Applicant(a.ref, other_list, a.points, a.tiers)
            outcome = allocate([*applicants[:index], liar, *applicants[index + 1 :]], round_schools, seed)
            assert rank_in(a.preferences, outcome.assigned[a.ref]) >= honest_rank, (
                f"{a.ref} listing {other_list} instead of {a.preferences} got {outcome.assigned[a.ref]}"
            )
