"""Seed a school-enrolment round at district scale on top of bench/load.py and bench/load_points.py, with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean_bench_edu .venv/bin/python bench/load_education.py \\
        [--applications 50000] [--schools 200] [--prefs 10] [--reset] [--no-migrate]

Run after bench/load.py (residents, their permits, registrations, logins, caseworkers) and bench/load_points.py
(the families' verified points). Loads:

- ``--schools`` primary schools (基准第001小学 …) spread over the 16 streets in turn, each community of a street in
  the catchment (学区) of one of its schools (a school has one or two communities);
- this year's primary grade-1 round, the benchmark's own (named 基准测试…), open, its calendar behind it
  (applications eight to six weeks ago, schools ranked until a week ago, the allocation today), ``--prefs``
  choices at most, and seats at every school drawn unevenly (lognormal, small and large schools) summing to
  about ``--seat-share`` of the applications;
- ``--applications`` approved applications. Each is a new child resident born in the round's age range (a valid,
  distinct ID number, encrypted, hashed and masked with residents.pii; living at the guardian's address, with a
  residence registration of their own), in the care of a guardian (GuardianLink) who is an adult holding a
  residence permit valid today, with an active login and a current residence registration, one child each; the
  Case of type "school_enrolment" (reference RX…, submitted in the application window, approved by a caseworker
  of the family's street), its EnrolmentApplication and ``--prefs`` ranked schools. ``--with-points`` of the
  guardians are drawn among the residents whose latest verified points score is eligible (bench/load_points.py's
  approved applications), the others among those with no verified score (they count 0);
- ``--needs-documents`` applications still waiting for the family's documents (current, but they take no part in
  the allocation) and ``--withdrawn`` withdrawn ones (no longer current), of other families, with schools ranked;
- the administrator ``bench_edu_admin``, who allocates in bench/run.py --part education.

Schools are ranked as in bench/education_allocation.py: the catchment school first for 60 % of families, then
schools drawn by popularity (Zipf-like weights over a random order of the schools) pulled three times towards
the family's own street. Deterministic for a given ``--seed``. ``--reset`` deletes what this loader (and
bench/run.py --part education) made, and only that.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import INTAKE_USERNAME, django_setup, lap  # the project root is on the path now
from bench.load import (
    AREAS,
    CASE_COLUMNS,
    COUNTIES,
    GIVEN,
    GUARDIAN_LINK_COLUMNS,
    NULL,
    RESIDENT_COLUMNS,
    ROADS,
    TZ,
    bulk_load,
    copy_rows,
    copy_text,
    sequences_advance,
    ts,
)

EDU_ADMIN_USERNAME = "bench_edu_admin"
ROUND_NAME = "基准测试：{year} 年小学一年级随迁子女入学"
SCHOOL_PREFIX = "基准第"  # 基准第001小学
CASE_TYPE = "school_enrolment"  # education.casetype.ENROLMENT_CASE_TYPE
REFERENCE_PREFIX = "RX"
APPLICATION_COLUMNS = [
    "case_id", "is_current", "preferences_changed_at", "created_at", "child_id", "follows_id", "guardian_id",
    "round_id",
]  # fmt: skip
PREFERENCE_COLUMNS = ["rank", "application_id", "school_id"]
COPIED_TABLES = [
    "residents_resident", "residents_case", "residents_guardianlink", "education_enrolmentapplication",
    "education_enrolmentpreference", "residents_residenceregistration",
]  # fmt: skip
EDUCATION_TABLES = [
    "education_school", "education_school_catchment_communities", "education_enrolmentround",
    "education_roundschool",
]  # fmt: skip
DAY_S = 86_400
DUE_IN = datetime.timedelta(days=10)  # the case type's due_in
CATCHMENT_FIRST = 0.6  # families who rank their catchment school first
SAME_STREET_PULL = 3  # a school of the family's own street is that many times as likely to be ranked
GRANDPARENTS = 0.05  # guardians who are a grandparent rather than a parent


@dataclass
class Guardian:
    """An adult who may apply for a child: a holder of a permit valid today with a login and a current
    registration."""

    resident: int
    name: str
    user: int
    province: str
    community: int
    street: int
    address: str
    basis: str
    registered_since: datetime.date


@dataclass
class Scene:
    """The round and its schools as the rows are drawn for them."""

    round_id: int
    calendar: dict[str, datetime.date]
    born: tuple[datetime.date, datetime.date]
    schools: list[int]  # school ids, in the order drawn
    street_of: list[int]  # each school's street id (same order)
    catchment_of: dict[int, int]  # community id → its catchment school's index in ``schools``
    caseworkers_of: dict[int, list[int]]
    intake: int


@dataclass
class Rows:
    residents: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    preferences: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def at(day: datetime.date, seconds: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=TZ) + datetime.timedelta(seconds=seconds)


def calendar_for(today: datetime.date) -> dict[str, datetime.date]:
    """A round whose allocation day is today: every earlier step of its calendar is behind it."""

    def ago(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    return {
        "applications_open_on": ago(56), "applications_close_on": ago(42), "documents_check_end_on": ago(28),
        "objections_end_on": ago(21), "preferences_close_on": ago(7), "allocation_on": today,
        "confirmation_end_on": today + datetime.timedelta(days=10),
    }  # fmt: skip


def seats_drawn(rng: random.Random, n_schools: int, total: float) -> list[int]:
    """Uneven sizes (a lognormal spread, as bench/education_allocation.py) scaled to about ``total`` seats."""
    sizes = [rng.lognormvariate(0, 0.5) for _ in range(n_schools)]
    scale = total / sum(sizes)
    return [max(1, round(size * scale)) for size in sizes]


def scene_ensure(*, n_schools: int, prefs: int, seat_share: float, families: int, rng: random.Random,
                 today: datetime.date, now: datetime.datetime) -> Scene:  # fmt: skip
    """The schools with their catchments, the round with its seats, the administrator; the caseworkers."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from education.models import EnrolmentRound, RoundSchool, School
    from residents.choices import RegionKind
    from residents.models import Jurisdiction, Region

    streets = list(Region.objects.filter(kind=RegionKind.STREET).order_by("sort_order"))
    communities: dict[int, list[int]] = defaultdict(list)
    in_order = Region.objects.filter(kind=RegionKind.COMMUNITY).order_by("parent_id", "sort_order", "id")
    for community, street in in_order.values_list("id", "parent_id"):
        communities[street].append(community)
    if not streets or not communities:
        raise SystemExit("no streets or communities: run bench/load.py first")
    street_of = [streets[index % len(streets)].pk for index in range(n_schools)]
    schools = School.objects.bulk_create(
        School(
            name=f"{SCHOOL_PREFIX}{index + 1:03d}小学", name_en=f"Bench Primary School No. {index + 1}",
            level="primary", street_id=street_of[index],
            address=f"越城区{streets[index % len(streets)].name}{rng.choice(ROADS)}路 {rng.randint(1, 400)} 号",
            sort_order=index + 1,
        )
        for index in range(n_schools)
    )  # fmt: skip
    # Each community of a street in the catchment of one of its schools, in turn.
    catchment_of: dict[int, int] = {}
    links = []
    for street in streets:
        own = [index for index in range(n_schools) if street_of[index] == street.pk]
        for position, community in enumerate(communities.get(street.pk, [])):
            if own:
                catchment_of[community] = own[position % len(own)]
                links.append(
                    School.catchment_communities.through(school_id=schools[catchment_of[community]].pk,
                                                         region_id=community)
                )  # fmt: skip
    School.catchment_communities.through.objects.bulk_create(links)

    year = today.year
    if EnrolmentRound.objects.filter(year=year, grade="primary_1", previous__isnull=True).exists():
        raise SystemExit(f"a first primary grade-1 round of {year} exists already: run with --reset (or remove it)")
    calendar = calendar_for(today)
    born = (datetime.date(year - 7, 9, 1), datetime.date(year - 6, 8, 31))  # six by 31 August
    enrolment_round = EnrolmentRound.objects.create(
        year=year, grade="primary_1", name=ROUND_NAME.format(year=year),
        name_en=f"Benchmark: {year} primary grade 1 enrolment of migrant children", born_on_or_after=born[0],
        born_on_or_before=born[1], max_preferences=prefs, status="open",
        opened_at=at(calendar["applications_open_on"], 8 * 3600), **calendar,
    )  # fmt: skip
    seats = seats_drawn(rng, n_schools, seat_share * families)
    RoundSchool.objects.bulk_create(
        RoundSchool(round=enrolment_round, school=school, seats=n) for school, n in zip(schools, seats, strict=True)
    )

    admin, created = User.objects.get_or_create(
        username=EDU_ADMIN_USERNAME,
        defaults={"is_staff": True, "email": f"{EDU_ADMIN_USERNAME}@bench.yuean.example.cn"},
    )
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    admin.groups.add(Group.objects.get(name="administrator"))
    intake = User.objects.filter(username=INTAKE_USERNAME).values_list("pk", flat=True).first()
    caseworkers_of: dict[int, list[int]] = defaultdict(list)
    for street, caseworker in Jurisdiction.objects.order_by("caseworker_id").values_list("street_id", "caseworker_id"):
        caseworkers_of[street].append(caseworker)
    if intake is None or not caseworkers_of:
        raise SystemExit("no caseworkers or intake user: run bench/load.py first")
    return Scene(
        enrolment_round.pk, calendar, born, [school.pk for school in schools], street_of, catchment_of,
        dict(caseworkers_of), intake,
    )  # fmt: skip


def guardians_read(today: datetime.date) -> tuple[list[Guardian], list[Guardian]]:
    """Who may apply for a child (22 to 50, a permit valid today, an active login, a current registration, not
    archived, no child of bench/load.py in their care): those whose latest verified points score is eligible, and
    those with no verified score at all."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT r.id, r.name, r.user_id, r.hukou_province, g.community_id, g.street_id, g.address, g.basis,
                      g.started_on,
                      (SELECT a.eligible FROM points_pointsapplication a JOIN residents_case c ON c.id = a.case_id
                        WHERE c.applicant_id = r.id AND c.case_type = 'points'
                          AND c.status IN ('approved', 'refused') AND a.scored_at IS NOT NULL
                          AND a.total IS NOT NULL
                        ORDER BY a.scored_at DESC, a.id DESC LIMIT 1) AS eligible
                 FROM residents_permit p JOIN residents_resident r ON r.id = p.holder_id
                 JOIN accounts_user u ON u.id = r.user_id AND u.is_active
                 JOIN residents_residenceregistration g ON g.resident_id = r.id AND g.ended_on IS NULL
                WHERE p.valid_until >= %(today)s AND r.archived_at IS NULL
                  AND r.birth_date BETWEEN %(oldest)s AND %(youngest)s
                  AND NOT EXISTS (SELECT 1 FROM residents_guardianlink l WHERE l.guardian_id = r.id)
                ORDER BY r.id""",
            {"today": today, "oldest": today.replace(year=today.year - 50),
             "youngest": today.replace(year=today.year - 22)},
        )  # fmt: skip
        rows = cursor.fetchall()
    scored = [Guardian(*row[:9]) for row in rows if row[9] is True]
    unscored = [Guardian(*row[:9]) for row in rows if row[9] is None]
    return scored, unscored


def child_id_number(index: int, province: str, birth: datetime.date) -> str:
    """A valid ID number distinct for every ``index`` (the area and sequence codes encode it, as bench/load.py's
    id_number_for: the children take the indexes after the residents'), with this province and birth date."""
    from residents.pii import id_number_check_character

    area = (index // 1000 * 7919 + 13) % AREAS
    sequence = (index % 1000) * 337 % 1000
    first17 = f"{province}{area // 99 + 1:02d}{area % 99 + 1:02d}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)


def ranked_schools(rng: random.Random, scene: Scene, guardian: Guardian, prefs: int,
                   weights_of: dict[int, list[float]]) -> list[int]:  # fmt: skip
    """The schools a family ranks (indexes into scene.schools), most wanted first."""
    n = len(scene.schools)
    catchment = scene.catchment_of.get(guardian.community)
    chosen = [catchment] if catchment is not None and rng.random() < CATCHMENT_FIRST else []
    seen = set(chosen)
    wanted = min(prefs, n)
    cumulative = weights_of[guardian.street]
    while len(chosen) < wanted:
        for school in rng.choices(range(n), cum_weights=cumulative, k=wanted):
            if school not in seen and len(chosen) < wanted:
                seen.add(school)
                chosen.append(school)
    return chosen


def family_rows(rows: Rows, scene: Scene, guardian: Guardian, *, child_id: int, case_id: int, status: str,
                schools: list[int], rng: random.Random, now: datetime.datetime) -> None:  # fmt: skip
    """The child, the guardian link, the case, the application and its ranked schools of one family; ``status``
    approved, needs_documents or withdrawn."""
    from residents.pii import PROVINCES, id_number_encrypt, id_number_hash, id_number_mask

    calendar = scene.calendar
    span = (scene.born[1] - scene.born[0]).days
    birth = scene.born[0] + datetime.timedelta(days=rng.randint(0, span))
    province = guardian.province if guardian.province in PROVINCES else "41"
    number = child_id_number(child_id - 1, province, birth)
    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    window = (calendar["applications_close_on"] - calendar["applications_open_on"]).days
    opened = at(calendar["applications_open_on"] + datetime.timedelta(days=rng.randint(0, window)),
                rng.randint(7 * 3600, 23 * 3600))  # fmt: skip
    known = opened - datetime.timedelta(seconds=rng.randint(DAY_S, 400 * DAY_S))  # the child added to the family
    arrival = max(birth, guardian.registered_since)
    rows.residents.append(
        "\t".join((
            str(child_id), copy_text(guardian.name[:1] + given), id_number_encrypt(number), id_number_hash(number),
            id_number_mask(number), "male" if int(number[16]) % 2 else "female", birth.isoformat(), province,
            f"{PROVINCES[province]}{rng.choice(COUNTIES)}县{rng.choice(COUNTIES)}镇", "", "primary",
            str(guardian.community), str(guardian.street), copy_text(guardian.address), arrival.isoformat(), NULL, "",
            ts(known), ts(known), NULL,
        ))
    )  # fmt: skip
    relation = "grandparent" if rng.random() < GRANDPARENTS else "parent"
    rows.links.append("\t".join((relation, ts(known), str(child_id), str(guardian.resident))))

    last_day = at(calendar["applications_close_on"], DAY_S - 60)
    submitted = min(opened + datetime.timedelta(seconds=rng.randint(600, 2 * DAY_S)), last_day)
    checked_by = at(calendar["documents_check_end_on"], 17 * 3600)
    assignee = rng.choice(scene.caseworkers_of[guardian.street])
    notice, missing, note, decided = None, "[]", "", None
    if status == "approved":
        decided = min(submitted + datetime.timedelta(seconds=rng.randint(DAY_S // 4, 14 * DAY_S)), checked_by)
    elif status == "needs_documents":
        notice = submitted + datetime.timedelta(seconds=rng.randint(DAY_S // 2, 5 * DAY_S))
        missing, note = '["vaccination_certificate"]', "请补交孩子的预防接种证记录页。"
    else:  # withdrawn by the family (moved away) before the documents were checked
        decided, assignee = submitted + datetime.timedelta(seconds=rng.randint(DAY_S, 10 * DAY_S)), None
    updated = decided or notice or submitted
    reference = f"{REFERENCE_PREFIX}{opened:%Y%m%d}{case_id:07d}"
    rows.cases.append(
        "\t".join((
            str(case_id), CASE_TYPE, reference, status, ts(submitted), ts(submitted + DUE_IN), ts(notice), missing,
            note, ts(decided), "", ts(opened), ts(updated), str(child_id), NULL if assignee is None else str(assignee),
            str(guardian.user), str(guardian.street),
        ))
    )  # fmt: skip
    ranked_until = at(calendar["preferences_close_on"], DAY_S - 60)
    changed = min(opened + (ranked_until - opened) * rng.random() ** 3, ranked_until)  # most rank at once
    rows.applications.append(
        "\t".join((str(case_id), "f" if status == "withdrawn" else "t", ts(changed), ts(opened), str(child_id), NULL,
                   str(guardian.resident), str(scene.round_id)))
    )  # fmt: skip
    for rank, school in enumerate(schools, start=1):
        rows.preferences.append(f"{rank}\t{case_id}\t{scene.schools[school]}")
    rows.counts[status] += 1


def reset(cursor) -> None:  # type: ignore[no-untyped-def]
    """Delete what this loader (and bench/run.py --part education) made, and nothing else: the benchmark's rounds,
    their runs, results, applications and cases, the children it created with their links and registrations, its
    schools, and the audit rows and messages of school enrolment."""
    cursor.execute(
        "SELECT id FROM education_enrolmentround WHERE name LIKE %s ORDER BY id", [ROUND_NAME.split("{")[0] + "%"]
    )
    rounds = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """WITH RECURSIVE later(id) AS (SELECT unnest(%s::bigint[])
             UNION SELECT r.id FROM education_enrolmentround r JOIN later l ON r.previous_id = l.id)
           SELECT id FROM later""",
        [rounds],
    )
    rounds = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """CREATE TEMPORARY TABLE bench_edu_cases ON COMMIT DROP AS
           SELECT case_id, child_id FROM education_enrolmentapplication WHERE round_id = ANY(%s)""",
        [rounds],
    )
    statements = [
        """DELETE FROM notifications_delivery d USING notifications_notification n
            WHERE d.notification_id = n.id AND n.template LIKE 'education.%%'""",
        "DELETE FROM notifications_notification WHERE template LIKE 'education.%%'",
        "DELETE FROM notifications_reminder WHERE kind LIKE 'enrolment%%'",
        "DELETE FROM residents_auditevent WHERE event_type LIKE 'education.%%'",
        "DELETE FROM residents_auditevent a USING bench_edu_cases b WHERE a.subject_id = b.child_id",
        "DELETE FROM education_enrolmentresult WHERE round_id = ANY(%(rounds)s)",
        """DELETE FROM education_allocationcutoff c USING education_allocationrun r
            WHERE c.run_id = r.id AND r.round_id = ANY(%(rounds)s)""",
        "DELETE FROM education_allocationrun WHERE round_id = ANY(%(rounds)s)",
        "DELETE FROM education_enrolmentpreference p USING bench_edu_cases b WHERE p.application_id = b.case_id",
        "UPDATE education_enrolmentapplication SET follows_id = NULL WHERE round_id = ANY(%(rounds)s)",
        "DELETE FROM education_enrolmentapplication WHERE round_id = ANY(%(rounds)s)",
        "DELETE FROM residents_casedocument d USING bench_edu_cases b WHERE d.case_id = b.case_id",
        "DELETE FROM residents_case c USING bench_edu_cases b WHERE c.id = b.case_id",
        "DELETE FROM residents_guardianlink l USING bench_edu_cases b WHERE l.child_id = b.child_id",
        "DELETE FROM residents_residenceregistration g USING bench_edu_cases b WHERE g.resident_id = b.child_id",
        "DELETE FROM residents_resident r USING bench_edu_cases b WHERE r.id = b.child_id",
        "DELETE FROM education_roundschool WHERE round_id = ANY(%(rounds)s)",
        "UPDATE education_enrolmentround SET previous_id = NULL WHERE id = ANY(%(rounds)s)",
        "DELETE FROM education_enrolmentround WHERE id = ANY(%(rounds)s)",
        """DELETE FROM education_school_catchment_communities x USING education_school s
            WHERE x.school_id = s.id AND s.name LIKE %(schools)s""",
        "DELETE FROM education_school WHERE name LIKE %(schools)s",
    ]
    for statement in statements:
        cursor.execute(statement, {"rounds": rounds, "schools": SCHOOL_PREFIX + "%"})


def children_registrations_insert(cursor, *, first_child: int, registered_by: int) -> None:  # type: ignore[no-untyped-def]
    """Each child's residence registration: the guardian's current one (community, street, address, basis), from
    the child's arrival (birth, or the guardian's arrival after it), by one INSERT … SELECT."""
    cursor.execute(
        """INSERT INTO residents_residenceregistration
                  (resident_id, community_id, street_id, address, basis, started_on, ended_on, end_reason,
                   registered_by_id, registered_at)
           SELECT r.id, g.community_id, g.street_id, g.address, g.basis, r.arrival_date, NULL, '', %s, r.created_at
             FROM residents_resident r
             JOIN residents_guardianlink l ON l.child_id = r.id
             JOIN residents_residenceregistration g ON g.resident_id = l.guardian_id AND g.ended_on IS NULL
            WHERE r.id >= %s ORDER BY r.id""",
        [registered_by, first_child],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=50_000, help="approved applications of the round")
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--prefs", type=int, default=10, help="schools each family ranks (the round's maximum)")
    parser.add_argument("--seat-share", type=float, default=0.9, help="seats in all, as a share of the applications")
    parser.add_argument("--with-points", type=float, default=0.85, help="guardians with an eligible verified score")
    parser.add_argument("--needs-documents", type=int, default=500, help="applications waiting for documents")
    parser.add_argument("--withdrawn", type=int, default=300, help="applications withdrawn by the family")
    parser.add_argument("--seed", type=int, default=20260627)
    parser.add_argument("--reset", action="store_true", help="delete the rows this loader made first")
    parser.add_argument("--no-migrate", action="store_true", help="the tables exist: do not migrate")
    args = parser.parse_args(argv)

    django_setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.perf_counter()

    t = time.perf_counter()
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
        t = lap("migrate", t)
    with connection.cursor() as cursor:
        if args.reset:
            with transaction.atomic():
                reset(cursor)
            t = lap("reset (the school-enrolment rows of the loader)", t)
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM education_school WHERE name LIKE %s), "
            "EXISTS (SELECT 1 FROM residents_case WHERE case_type = %s)",
            [SCHOOL_PREFIX + "%", CASE_TYPE],
        )
        if any(cursor.fetchone()):
            print("schools or enrolment applications are already loaded; run again with --reset", file=sys.stderr)
            return 2
        cursor.execute("SELECT count(*) FROM points_pointsapplication")
        if not cursor.fetchone()[0]:
            print("warning: no points applications: every family counts 0 points (run bench/load_points.py first)")

    rng = random.Random(args.seed)
    now = timezone.now().astimezone(TZ).replace(microsecond=0)
    today = timezone.localdate()
    wanted = args.applications + args.needs_documents + args.withdrawn
    scored, unscored = guardians_read(today)
    with_points = min(round(wanted * args.with_points), len(scored))
    if with_points + len(unscored) < wanted:
        raise SystemExit(
            f"only {len(scored):,} guardians with points and {len(unscored):,} without: load more permits or points"
        )
    guardians = rng.sample(scored, with_points) + rng.sample(unscored, wanted - with_points)
    rng.shuffle(guardians)
    t = lap(f"{len(scored):,} + {len(unscored):,} guardians may apply (with / without points)", t)
    with transaction.atomic():
        scene = scene_ensure(
            n_schools=args.schools, prefs=args.prefs, seat_share=args.seat_share, families=args.applications, rng=rng,
            today=today, now=now,
        )  # fmt: skip
    t = lap(f"{args.schools} schools, their catchments, the round and its seats", t)

    # Popularity: a few schools are wanted by many (Zipf-like weights over a random order of the schools); a
    # family's own street pulls.
    n = len(scene.schools)
    order = list(range(n))
    rng.shuffle(order)
    popularity = [0.0] * n
    for rank, school in enumerate(order):
        popularity[school] = 1 / (rank + 1) ** 0.7
    weights_of = {
        street: list(itertools.accumulate(
            popularity[s] * (SAME_STREET_PULL if scene.street_of[s] == street else 1) for s in range(n)))
        for street in set(scene.street_of) | {g.street for g in guardians}
    }  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM residents_resident")
        first_child = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(max(id), 0) FROM residents_case")
        first_case = cursor.fetchone()[0] + 1
    statuses = (
        ["approved"] * args.applications + ["needs_documents"] * args.needs_documents + ["withdrawn"] * args.withdrawn
    )
    rng.shuffle(statuses)
    rows = Rows()
    for offset, (guardian, status) in enumerate(zip(guardians, statuses, strict=True)):
        family_rows(
            rows, scene, guardian, child_id=first_child + offset, case_id=first_case + offset, status=status,
            schools=ranked_schools(rng, scene, guardian, args.prefs, weights_of), rng=rng, now=now,
        )  # fmt: skip
    t = lap(f"generate {wanted:,} families ({len(rows.preferences):,} preferences)", t)

    def blocks(lines: list[str]) -> Iterator[bytes]:
        for start in range(0, len(lines), 10_000):
            yield ("\n".join(lines[start : start + 10_000]) + "\n").encode()

    def copy(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(cursor, "residents_resident", RESIDENT_COLUMNS, blocks(rows.residents))
        copy_rows(cursor, "residents_case", CASE_COLUMNS, blocks(rows.cases))
        copy_rows(cursor, "residents_guardianlink", GUARDIAN_LINK_COLUMNS, blocks(rows.links))
        copy_rows(cursor, "education_enrolmentapplication", APPLICATION_COLUMNS, blocks(rows.applications))
        copy_rows(cursor, "education_enrolmentpreference", PREFERENCE_COLUMNS, blocks(rows.preferences))
        children_registrations_insert(cursor, first_child=first_child, registered_by=scene.intake)

    bulk_load(COPIED_TABLES, copy, lap=lap, rebuild=True, label="children, cases, links, applications, preferences")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        sequences_advance(
            cursor, ["residents_resident", "residents_case", "residents_guardianlink", "education_enrolmentpreference",
                     "residents_residenceregistration", *EDUCATION_TABLES],
        )  # fmt: skip
        for table in [*COPIED_TABLES, *EDUCATION_TABLES]:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        t = lap("setval, VACUUM ANALYZE", t)
        cursor.execute(
            """SELECT count(*) FILTER (WHERE c.status = 'approved'), count(*) FILTER (WHERE a.is_current),
                      count(DISTINCT a.guardian_id),
                      (SELECT count(*) FROM education_enrolmentpreference p
                         JOIN education_enrolmentapplication x ON x.case_id = p.application_id
                        WHERE x.round_id = %(round)s),
                      (SELECT sum(seats) FROM education_roundschool WHERE round_id = %(round)s),
                      (SELECT count(*) FROM residents_residenceregistration g
                         JOIN education_enrolmentapplication x ON x.child_id = g.resident_id
                        WHERE x.round_id = %(round)s AND g.ended_on IS NULL)
                 FROM education_enrolmentapplication a JOIN residents_case c ON c.id = a.case_id
                WHERE a.round_id = %(round)s""",
            {"round": scene.round_id},
        )
        approved, current, guardians_n, preferences, seats, registered = cursor.fetchone()
    print(f"  {'total':<52} {time.perf_counter() - started:8.1f} s")
    print(
        f"  round {scene.round_id}: {approved:,} approved of {current:,} current applications "
        f"({', '.join(f'{k} {v:,}' for k, v in rows.counts.items())}), {guardians_n:,} guardians "
        f"({with_points:,} with points), {preferences:,} preferences, {seats:,} seats at {args.schools} schools, "
        f"{registered:,} children registered"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
