"""The school-seat allocation (education.allocation.allocate) on a synthetic district, pure Python, no database.

    .venv/bin/python bench/education_allocation.py [--applicants 50000] [--schools 200] [--prefs 10] [--runs 3]

Builds a district the size of a large year (the district sees about 10 000 new school applicants a year;
the default is five times that): ``n_schools`` schools spread over the 15 streets and 富盛镇, with seats
summing to about 90 % of the applicants and drawn unevenly (small village schools, large town schools);
each applicant lives in one street, in the catchment of one of its schools (tier 0 there, tier 1 at the
street's other schools, the default tier 2 elsewhere), has 0–150 points in half points (so ties are common
and the lottery matters) and lists ``prefs`` schools: usually their catchment school first, then schools
drawn by popularity with a pull towards their own street. Building the district is not timed; each of
``runs`` calls of ``allocate`` is, and the best and the median are reported as applicants per second.
Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from education.allocation import Allocation, Applicant, School, allocate  # the project root is on the path now

STREETS = 16  # the 15 streets (街道) and 富盛镇
LOTTERY_SEED = "bench-2026-秋季"


def district_build(
    n_applicants: int, n_schools: int, prefs: int, *, seed: int = 20260901
) -> tuple[list[Applicant], list[School]]:
    """The synthetic district: schools with seats, applicants with preferences, points and catchment tiers."""
    rng = random.Random(seed)
    street_of = [school % STREETS for school in range(n_schools)]
    by_street: list[list[int]] = [[] for _ in range(STREETS)]
    for school, street in enumerate(street_of):
        by_street[street].append(school)

    # Seats: uneven sizes (a lognormal spread), scaled so that they sum to about 90 % of the applicants.
    sizes = [rng.lognormvariate(0, 0.5) for _ in range(n_schools)]
    scale = 0.9 * n_applicants / sum(sizes)
    schools = [School(f"S{school:04d}", round(size * scale)) for school, size in enumerate(sizes)]
    # Popularity: a few schools are wanted by many (Zipf-like weights over a random order of the schools).
    order = list(range(n_schools))
    rng.shuffle(order)
    popularity = [0.0] * n_schools
    for rank, school in enumerate(order):
        popularity[school] = 1 / (rank + 1) ** 0.7

    applicants = []
    listed_at_most = min(prefs, n_schools)
    for number in range(n_applicants):
        street = rng.randrange(STREETS)
        near = by_street[street] or [rng.randrange(n_schools)]
        catchment = rng.choice(near)
        tiers = {schools[school].ref: 1 for school in near}
        tiers[schools[catchment].ref] = 0
        # Own street's schools pulled up three times over their popularity.
        weights = [popularity[school] * (3 if street_of[school] == street else 1) for school in range(n_schools)]
        chosen: list[int] = [catchment] if rng.random() < 0.6 else []
        seen = set(chosen)
        while len(chosen) < listed_at_most:
            for school in rng.choices(range(n_schools), weights, k=listed_at_most):
                if school not in seen and len(chosen) < listed_at_most:
                    seen.add(school)
                    chosen.append(school)
        points = Decimal(rng.randint(0, 300)) / 2
        applicants.append(Applicant(f"YX{number:07d}", tuple(schools[s].ref for s in chosen), points, tiers))
    return applicants, schools


def run(n_applicants: int = 50_000, n_schools: int = 200, prefs: int = 10, *, runs: int = 3) -> list[float]:
    """Build the district, time ``allocate`` ``runs`` times, print the result; returns the run times in seconds."""
    started = time.perf_counter()
    applicants, schools = district_build(n_applicants, n_schools, prefs)
    built = time.perf_counter() - started
    seats = sum(school.seats for school in schools)
    print(
        f"district: {n_applicants:,} applicants, {n_schools} schools, {seats:,} seats "
        f"({seats / max(n_applicants, 1):.0%}), {prefs} preferences each; built in {built:.1f} s (not timed)"
    )
    times = []
    result: Allocation | None = None
    for _ in range(max(runs, 1)):
        t = time.perf_counter()
        result = allocate(applicants, schools, LOTTERY_SEED)
        times.append(time.perf_counter() - t)
    assert result is not None
    best, median = min(times), statistics.median(times)
    print(
        f"allocate: best {best:.2f} s, median {median:.2f} s of {len(times)} runs — "
        f"{n_applicants / best:,.0f} applicants/s (best), {n_applicants / median:,.0f} applicants/s (median)"
    )
    summary(result, applicants, schools)
    return times


def summary(result: Allocation, applicants: list[Applicant], schools: list[School]) -> None:
    """What the round gave, as a sanity check of the synthetic district (not timed)."""
    placed = [a for a in applicants if result.assigned[a.ref] is not None]
    first = sum(1 for a in placed if a.preferences[0] == result.assigned[a.ref])
    full = sum(1 for school in schools if school.seats and result.seats_used(school.ref) == school.seats)
    over = [school.ref for school in schools if result.seats_used(school.ref) > school.seats]
    if over:
        raise SystemExit(f"schools over capacity: {over[:5]}")
    total = max(len(applicants), 1)
    print(
        f"result: {len(placed) / total:.1%} placed, {first / total:.1%} at their first choice, "
        f"{full} of {len(schools)} schools full"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=50_000)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--prefs", type=int, default=10, help="schools each applicant lists")
    parser.add_argument("--runs", type=int, default=3, help="timed calls of allocate (best and median reported)")
    args = parser.parse_args(argv)
    run(args.applicants, args.schools, args.prefs, runs=args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
