"""School seats for the children of new residents (随迁子女入学): the published allocation rule, as pure Python.

How a round is decided
----------------------

Every applicant lists the schools they want, most wanted first. Every school ranks applicants by its
*priority order* (below), and seats are given by **deferred acceptance** (applicant-proposing Gale–Shapley):

1. Each applicant applies to the first school on their list.
2. Each school holds on to the best applicants who applied, up to its number of seats, and turns away the
   rest. Holding is not yet admitting: a later, better applicant can take the seat over.
3. An applicant who is turned away (or whose held seat is taken over) applies to the next school on their
   list. Go back to 2.
4. When nobody is turned away any more, or everyone turned away has no school left on their list, every
   seat held becomes an admission. An applicant turned away by every school they listed is unplaced.

平行志愿 ("score first, then preferences") is this same rule in the case where every school ranks everyone
the same way: the applicant with the most points gets their first choice; the next one gets their highest
choice that still has a seat, and so on down the list.

Why listing your true order is always best
------------------------------------------

Under this rule an application to a school you want more never costs you a school you want less: being
turned away by your first choice does not weaken your place at your second, because each school looks
only at priority, never at the position the school had in your list. So no applicant can get a school
they prefer by listing schools in another order, by leaving a school out or by adding one (the rule is
*strategy-proof for applicants*: Dubins and Freedman 1981, Roth 1982). Families need no tactics: list the
schools you want, in the order you want them. The result is also *stable*: nobody is left out of a school
they wanted more while that school has a free seat or admitted someone with a lower priority.

The priority order
------------------

A school ranks applicants by, in turn:

1. **Catchment tier**, lower first: 0 lives in the school's catchment (学区内), 1 lives in the same street
   (同街道), 2 lives elsewhere. A school the applicant has no tier for ranks them at :data:`DEFAULT_TIER`.
2. **Points**, more first: the family's verified residence points (积分), 0 when none.
3. **The lottery number**, smaller first: :func:`lottery_number` of the round's seed and the application's
   reference.

The lottery is a *single* tie-break: every applicant draws one number, and it is the same at every
school, so two applicants of the same tier and points are in the same order everywhere. The number is the
SHA-256 hash of ``"<seed>:<reference>"`` (UTF-8) read as one unsigned big-endian integer — the hexadecimal
digest read as a number. The seed is fixed and recorded before the round is run, so anyone holding the seed
and the list of references can recompute every number, and the seed alone decides the lottery. (Two
references with the same number would need a SHA-256 collision; should it ever happen, the smaller
reference goes first, so the order is always complete.)

What a cut-off is
-----------------

A school that filled its seats has a cut-off (录取线): the priority of the last applicant it admitted.
Everyone who listed the school with a better priority than its cut-off got that school or one they had
listed higher. A school that still has free seats has no cut-off: everyone who listed it, and did not get a
school they listed higher, got in. :meth:`Allocation.explain` tells an applicant which of their choices they
got and, for each school they listed higher, its cut-off beside their own priority there.

The result depends only on the applicants, the schools and the seed, never on the order they are given in.
The models and services of an enrolment round build :class:`Applicant` and :class:`School` values from their
rows and call :func:`allocate`; this module imports no Django and touches no database.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

DEFAULT_TIER: int = 2
"""A school not in an applicant's ``tiers`` mapping ranks them at this tier ("elsewhere")."""

TIER_LABELS: Mapping[int, tuple[str, str]] = MappingProxyType(
    {0: ("学区内", "in the catchment"), 1: ("同街道", "in the same street"), 2: ("其他区域", "elsewhere")}
)

_EMPTY: Mapping[str, int] = MappingProxyType({})


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # normalising the fields of a frozen dataclass in __post_init__


@dataclass(frozen=True)
class Applicant:
    """One application of a round: who applies, the schools wanted (most wanted first), points and tiers.

    ``ref`` is unique in the round (the application's reference). ``preferences`` names schools by their
    ``ref``, without duplicates, and may be empty. ``points`` are the family's verified points (0 when
    none). ``tiers`` maps a school's ref to the applicant's catchment tier there (0 = in the catchment, 1 =
    same street, 2 = elsewhere); a school missing from it counts as :data:`DEFAULT_TIER`.

    Construction only normalises (a list of preferences becomes a tuple, an int of points a Decimal, the
    tiers a read-only mapping); :func:`allocate` validates and raises ``ValueError`` for bad values.
    """

    ref: str
    preferences: tuple[str, ...]
    points: Decimal = Decimal(0)
    tiers: Mapping[str, int] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not isinstance(self.preferences, str | bytes):  # a bare string is refused by allocate, not split
            _set(self, "preferences", tuple(self.preferences))
        if isinstance(self.points, int) and not isinstance(self.points, bool):
            _set(self, "points", Decimal(self.points))
        if isinstance(self.tiers, Mapping) and not isinstance(self.tiers, MappingProxyType):
            _set(self, "tiers", MappingProxyType(dict(self.tiers)))

    def tier_at(self, school_ref: str) -> int:
        return self.tiers.get(school_ref, DEFAULT_TIER)


@dataclass(frozen=True)
class School:
    """A school's seats in the round (``seats`` >= 0; a school with 0 seats admits nobody)."""

    ref: str
    seats: int


@dataclass(frozen=True, order=True)
class Priority:
    """How a school ranks an applicant; the smaller sorts first and is the better priority.

    Fields compare in the order of the published rule: tier (lower first), points (more first, hence
    stored negated) and the lottery number (smaller first).
    """

    tier: int
    minus_points: Decimal
    lottery: int

    @property
    def points(self) -> Decimal:
        return 0 - self.minus_points

    @property
    def lottery_hex(self) -> str:
        """The lottery number as the 64 hexadecimal digits of its SHA-256 digest (how it is published)."""
        return f"{self.lottery:064x}"

    def describe(self) -> str:
        """``学区内、积分 120`` — the tier and points, as shown to a family."""
        return f"{_tier_label(self.tier)[0]}、积分 {_plain(self.points)}"

    def describe_en(self) -> str:
        return f"{_tier_label(self.tier)[1]}, {_plain(self.points)} points"


def _tier_label(tier: int) -> tuple[str, str]:
    return TIER_LABELS.get(tier, (f"第 {tier} 档", f"tier {tier}"))


def _plain(value: Decimal) -> str:
    """Points without exponent or trailing zeros: 120, 85.5."""
    return "0" if value == 0 else f"{value.normalize():f}"


@dataclass(frozen=True)
class Explanation:
    """Why an applicant got what they got (PIPL art. 24: an automated decision must be explainable).

    ``choice`` is the 1-based position of the assigned school in the applicant's list (None when
    unplaced). ``higher_choices`` lists every school the applicant put above the assigned one (all of them
    when unplaced), in their order, each with its cut-off: the priority of its last admitted applicant
    (None when it had no seats). Each of those schools was full of applicants with a better priority than
    the applicant's own, which ``own_priorities`` gives for every school they listed.
    """

    ref: str
    assigned: str | None
    choice: int | None
    higher_choices: tuple[tuple[str, Priority | None], ...]
    own_priorities: Mapping[str, Priority]

    def lines(self, school_names: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The explanation in Chinese, one sentence a line; schools by name when ``school_names`` has it."""
        return tuple(self._lines(school_names or {}, english=False))

    def lines_en(self, school_names: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The same explanation in English."""
        return tuple(self._lines(school_names or {}, english=True))

    def _lines(self, names: Mapping[str, str], *, english: bool) -> Iterable[str]:
        listed = list(self.own_priorities)
        if not listed:
            yield "No school was listed, so no seat could be given." if english else "没有填报志愿，因此没有分配学位。"
            return
        if self.assigned is None:
            yield (
                "No seat this round: every school listed was full or had no seats."
                if english
                else "本轮未能分配学位：您填报的学校都已录满或没有学位。"
            )
        else:
            name = names.get(self.assigned, self.assigned)
            yield f"Placed at choice {self.choice}: {name}." if english else f"您被第 {self.choice} 志愿 {name} 录取。"
        for school_ref, cutoff in self.higher_choices:
            number = listed.index(school_ref) + 1
            name = names.get(school_ref, school_ref)
            own = self.own_priorities[school_ref]
            yield _why_not(number, name, own, cutoff, english=english)


def _why_not(number: int, name: str, own: Priority, cutoff: Priority | None, *, english: bool) -> str:
    """One higher choice the applicant did not get: its cut-off beside their own priority, and what decided."""
    if cutoff is None:
        return (
            f"Choice {number}, {name}: no seats this round." if english else f"第 {number} 志愿 {name}：本轮没有学位。"
        )
    if own.tier != cutoff.tier:
        reason_en, reason = "a nearer tier comes first", "学区内优先于同街道，同街道优先于其他区域"
    elif own.points != cutoff.points:
        reason_en, reason = "in the same tier, more points come first", "同一档次内，积分高的优先"
    else:
        reason_en = "same tier and points, so the lottery decided and your number came later"
        reason = "档次和积分都相同，按抽签号决定，您的抽签号排在后面"
    if english:
        return (
            f"Choice {number}, {name}, was full: its cut-off was {cutoff.describe_en()} "
            f"(you: {own.describe_en()}); {reason_en}."
        )
    return f"第 {number} 志愿 {name} 已录满，录取线为{cutoff.describe()}（您为{own.describe()}）；{reason}。"


@dataclass(frozen=True)
class Allocation:
    """The result of a round: who got which school, each school's admitted list and cut-off.

    ``assigned`` maps every applicant's ref to a school ref, or None when unplaced. ``admitted`` maps every
    school's ref to its admitted applicants, best priority first. ``cutoffs`` maps every school's ref to the
    priority of its last admitted applicant when the school is full, and to None when it still has free
    seats (everyone who listed it and wanted it got in) or has none at all. ``applicants`` and ``seats`` are
    the round's inputs, kept so that :meth:`explain` and :meth:`seats_used` can answer.
    """

    seed: str
    assigned: Mapping[str, str | None]
    admitted: Mapping[str, tuple[str, ...]]
    cutoffs: Mapping[str, Priority | None]
    applicants: Mapping[str, Applicant] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    seats: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def seats_used(self, school_ref: str) -> int:
        if school_ref not in self.admitted:
            raise KeyError(f"no school {school_ref!r} in this round")
        return len(self.admitted[school_ref])

    def seats_free(self, school_ref: str) -> int:
        used = self.seats_used(school_ref)  # first: it names an unknown school
        return self.seats[school_ref] - used

    def priority(self, applicant_ref: str, school_ref: str) -> Priority:
        """How ``school_ref`` ranks the applicant (whether or not they listed it)."""
        applicant = self._applicant(applicant_ref)
        if school_ref not in self.admitted:
            raise KeyError(f"no school {school_ref!r} in this round")
        return _priority(applicant, school_ref, lottery_number(self.seed, applicant.ref))

    def explain(self, applicant_ref: str) -> Explanation:
        applicant = self._applicant(applicant_ref)
        lottery = lottery_number(self.seed, applicant.ref)
        own = {school_ref: _priority(applicant, school_ref, lottery) for school_ref in applicant.preferences}
        assigned = self.assigned[applicant.ref]
        if assigned is None:
            choice, higher = None, applicant.preferences
        else:
            position = applicant.preferences.index(assigned)
            choice, higher = position + 1, applicant.preferences[:position]
        return Explanation(
            ref=applicant.ref,
            assigned=assigned,
            choice=choice,
            higher_choices=tuple((school_ref, self.cutoffs[school_ref]) for school_ref in higher),
            own_priorities=MappingProxyType(own),
        )

    def _applicant(self, applicant_ref: str) -> Applicant:
        try:
            return self.applicants[applicant_ref]
        except KeyError:
            raise KeyError(f"no applicant {applicant_ref!r} in this round") from None


def lottery_number(seed: str, ref: str) -> int:
    """The applicant's lottery number: SHA-256 of ``"<seed>:<ref>"`` (UTF-8) as an unsigned big-endian int."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{ref}".encode()).digest(), "big")


def _priority(applicant: Applicant, school_ref: str, lottery: int) -> Priority:
    return Priority(applicant.tier_at(school_ref), 0 - applicant.points, lottery)  # 0 - x: no -0 for 0 points


# --- validation ------------------------------------------------------------------------------------------


def _check_ref(ref: object, what: str) -> None:
    if not isinstance(ref, str) or not ref:
        raise ValueError(f"{what} reference must be a non-empty string, not {ref!r}")


def _duplicates(refs: Iterable[str]) -> list[str]:
    return sorted(ref for ref, count in Counter(refs).items() if count > 1)


def _check_schools(schools: list[School]) -> None:
    for school in schools:
        _check_ref(school.ref, "a school's")
        if isinstance(school.seats, bool) or not isinstance(school.seats, int):
            raise ValueError(f"school {school.ref}: seats must be a whole number, not {school.seats!r}")
        if school.seats < 0:
            raise ValueError(f"school {school.ref}: seats must not be negative, got {school.seats}")
    duplicates = _duplicates(school.ref for school in schools)
    if duplicates:
        raise ValueError(f"school references used twice: {', '.join(duplicates)}")


def _check_applicants(applicants: list[Applicant], school_refs: set[str]) -> None:
    for applicant in applicants:
        _check_ref(applicant.ref, "an applicant's")
        ref = applicant.ref
        if not isinstance(applicant.preferences, tuple):
            raise ValueError(f"applicant {ref}: preferences must be a sequence of school references")
        for school_ref in applicant.preferences:
            if school_ref not in school_refs:
                raise ValueError(f"applicant {ref}: preference {school_ref!r} is not a school of this round")
        duplicates = _duplicates(applicant.preferences)
        if duplicates:
            raise ValueError(f"applicant {ref}: school listed twice: {', '.join(duplicates)}")
        points = applicant.points
        if not isinstance(points, Decimal) or not points.is_finite() or points < 0:
            raise ValueError(f"applicant {ref}: points must be a Decimal of at least 0, not {points!r}")
        if not isinstance(applicant.tiers, Mapping):
            raise ValueError(f"applicant {ref}: tiers must map school references to tiers")
        for school_ref, tier in applicant.tiers.items():
            if isinstance(tier, bool) or not isinstance(tier, int):
                raise ValueError(f"applicant {ref}: the tier at {school_ref!r} must be a whole number, not {tier!r}")
            if tier < 0:
                raise ValueError(f"applicant {ref}: the tier at {school_ref!r} must not be negative, got {tier}")
    duplicates = _duplicates(applicant.ref for applicant in applicants)
    if duplicates:
        raise ValueError(f"applicant references used twice: {', '.join(duplicates)}")


# --- the allocation --------------------------------------------------------------------------------------


def allocate(applicants: Iterable[Applicant], schools: Iterable[School], seed: str) -> Allocation:
    """Run deferred acceptance over the schools' priorities, with the single lottery drawn from ``seed``.

    Raises ``ValueError`` naming the problem for: an empty seed, duplicate applicant or school references,
    a preference naming a school not in ``schools``, a school listed twice, negative (or non-integer)
    seats, a negative (or non-integer) tier, and points that are not a Decimal of at least 0.
    """
    if not isinstance(seed, str) or not seed.strip():
        raise ValueError("the round needs a recorded lottery seed (a non-empty string)")
    applicants = list(applicants)
    schools = list(schools)
    _check_schools(schools)
    school_refs = {school.ref for school in schools}
    _check_applicants(applicants, school_refs)

    # One global order by (points descending, lottery, ref): an applicant's place in it is their rank g.
    # A school's priority is then the single integer tier * n + g (smaller is better), computed once, so the
    # loop below compares plain ints and keeps every school's held applicants in a heap of them.
    lotteries = {applicant.ref: lottery_number(seed, applicant.ref) for applicant in applicants}
    ranked = sorted(applicants, key=lambda a: (-a.points, lotteries[a.ref], a.ref))
    n = len(ranked)
    school_index = {school.ref: i for i, school in enumerate(schools)}
    capacity = [school.seats for school in schools]
    wanted: list[list[int]] = []  # per applicant g: the schools listed, as indexes, most wanted first
    keys: list[list[int]] = []  # per applicant g: their priority key at each of those schools
    for g, applicant in enumerate(ranked):
        wanted.append([school_index[school_ref] for school_ref in applicant.preferences])
        keys.append([applicant.tiers.get(school_ref, DEFAULT_TIER) * n + g for school_ref in applicant.preferences])

    # Each school's heap holds the negated keys of its held applicants, so its top is the worst one held.
    held: list[list[int]] = [[] for _ in schools]
    next_choice = [0] * n
    for start in range(n):
        g: int | None = start
        while g is not None:
            schools_wanted, own_keys = wanted[g], keys[g]
            i, displaced = next_choice[g], None
            while i < len(schools_wanted):
                s, key = schools_wanted[i], own_keys[i]
                i += 1
                heap = held[s]
                if len(heap) < capacity[s]:
                    heapq.heappush(heap, -key)
                    break
                if heap and -heap[0] > key:  # better than the worst held: take their seat, they apply on
                    displaced = -heapq.heapreplace(heap, -key) % n
                    break
            next_choice[g] = i
            g = displaced

    assigned: dict[str, str | None] = dict.fromkeys(sorted(lotteries))
    admitted: dict[str, tuple[str, ...]] = {}
    cutoffs: dict[str, Priority | None] = {}
    for school in sorted(schools, key=lambda school: school.ref):
        s = school_index[school.ref]
        order = sorted(-negated for negated in held[s])
        refs = tuple(ranked[key % n].ref for key in order)
        for ref in refs:
            assigned[ref] = school.ref
        admitted[school.ref] = refs
        if order and len(order) == capacity[s]:
            last = ranked[order[-1] % n]
            cutoffs[school.ref] = _priority(last, school.ref, lotteries[last.ref])
        else:
            cutoffs[school.ref] = None
    return Allocation(
        seed=seed,
        assigned=MappingProxyType(assigned),
        admitted=MappingProxyType(admitted),
        cutoffs=MappingProxyType(cutoffs),
        applicants=MappingProxyType({applicant.ref: applicant for applicant in applicants}),
        seats=MappingProxyType({school.ref: school.seats for school in sorted(schools, key=lambda s: s.ref)}),
    )
