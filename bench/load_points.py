"""Seed a points round at district scale on top of bench/load.py's residents, with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean_bench .venv/bin/python bench/load_points.py \\
        [--applications 100000] [--previous 20000] [--reset] [--no-migrate]

Run after bench/load.py (it needs the residents, their permits, registrations, logins and caseworkers). Loads,
under the published rule set (2026.1 from points' data migration):

- this year's round, closed two weeks ago, not yet ranked, quota ``--quota``, with ``--applications``
  approved applications of adult holders of a valid residence permit: each a Case of type "points" (reference
  JF…, decided by a caseworker of the applicant's street), its PointsApplication with the verified total, the
  breakdown as the service stores it and ``scored_at``, and one PointsItem per indicator of the rule set (11):
  the computed ones from the resident's own rows (continuous residence from the current registration, age from
  the birth date, education), the declared ones drawn (social insurance, employment, skills certificates,
  volunteer hours, tax, penalties, the veto questions) and decided by the caseworker: accepted, adjusted or
  rejected with a reason, or not declared. Each application's items are scored with points.scoring, so the
  stored totals and item points are what the services would have stored;
- in the same round ``--refused`` applications refused for a veto item (a criminal record found in review)
  and ``--withdrawn`` applications withdrawn before submission (items pending, no score);
- last year's round (a rule set 2025.1 with the same indicators; the round marked as published, its ranking's
  rows not loaded) with ``--previous`` approved applications, three in four of them of this year's applicants:
  their latest score is then the later of two (what resident_points_bulk picks);
- an administrator account, ``bench_points_admin``, who publishes the rankings in bench/run.py --part points.

Deterministic for a given ``--seed``. ``--reset`` deletes what this loader made (the rounds, their cases,
applications, items, rankings and their notifications, the 2025.1 rule set) and only that.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_setup, lap  # the project root is on the path now
from bench.load import CASE_COLUMNS, NULL, TZ, bulk_load, copy_rows, copy_text, sequences_advance, ts

POINTS_ADMIN_USERNAME = "bench_points_admin"
PREVIOUS_VERSION = "2025.1"
APPLICATION_COLUMNS = ["id", "case_id", "round_id", "rule_set_id", "facts_on", "total", "eligible", "breakdown",
                       "scored_at"]  # fmt: skip
ITEM_COLUMNS = [
    "application_id", "key", "source", "declared", "value", "status", "reason", "decided_by_id", "decided_at",
    "points", "contested", "sort_order",
]  # fmt: skip
POINTS_TABLES = ["residents_case", "points_pointsapplication", "points_pointsitem"]
TEMPLATES = ("points.ranking_published", "points.ranking_final", "points.scored", "points.objection_received")
DAY_S = 86_400

# Declarations, as applicants make them (shares of applicants).
SOCIAL_INSURANCE = 0.88  # declare years of social insurance: 1 to 12, a half year for some
EMPLOYMENT = 0.85
SKILLS = 0.25
SKILL_WEIGHTS = [("level_5", 35), ("level_4", 35), ("level_3", 20), ("level_2", 8), ("level_1", 2)]
TWO_CERTIFICATES = 0.1  # of those with a certificate
VOLUNTEER = 0.2
INVESTMENT_OR_TAX = 0.06
PENALTIES = [("0", 95), ("1", 4), ("2", 1)]
# A caseworker's decision on a declared line that needs review.
ADJUSTED, REJECTED = 0.05, 0.02

REASONS: dict[str, dict[str, str]] = {
    "social_insurance_years": {
        "accepted": "与社保缴纳记录一致。",
        "adjusted": "社保记录显示实际缴费年限少于申报，按记录认定。",
        "rejected": "社保证明无法核实，本项不予认定。",
    },
    "employment": {"accepted": "劳动合同与用工备案一致。", "rejected": "未查到用工备案记录。"},
    "skills_certificate": {
        "accepted": "证书经人社部门查验属实。",
        "adjusted": "证书等级以人社部门查验结果为准。",
        "rejected": "证书查验不到，本项不予认定。",
    },
    "volunteer_hours": {
        "accepted": "与志愿服务平台记录一致。",
        "adjusted": "按志愿服务平台记录的时长认定。",
        "rejected": "志愿服务记录查验不到。",
    },
    "investment_or_tax": {"accepted": "在本区纳税记录属实。", "rejected": "未查到在本区的纳税记录。"},
    "administrative_penalties": {
        "accepted": "与行政处罚记录一致。",
        "adjusted": "查到近三年行政处罚记录，按记录认定。",
    },
    "criminal_record_5y": {"accepted": "经核查，近五年无刑事犯罪记录。"},
}
VETO_FOUND = "经核查，近五年内有刑事犯罪记录。"


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    totals = list(itertools.accumulate(weight for _, weight in weighted))
    return weighted[bisect.bisect(totals, rng.random() * totals[-1])][0]


def decimal_text(value: Decimal) -> str:
    """A number as points.rulejson stores it (a decimal string without exponent or trailing zeros)."""
    return f"{value.normalize():f}"


def jsonb(value: Any) -> str:
    """A JSON value in COPY text; None is SQL NULL (as Django stores None in a nullable JSONField)."""
    return NULL if value is None else copy_text(json.dumps(value, ensure_ascii=False))


@dataclass
class Applicant:
    resident: int
    name: str
    birth: datetime.date
    education: str
    street: int
    user: int | None
    registered_since: datetime.date


@dataclass
class Round:
    """A round as the rows are drawn for it."""

    pk: int
    rule_set_id: int
    table: Any  # points.scoring.RuleSet
    opens: datetime.date
    closes: datetime.date
    decided_by: datetime.datetime  # every decision before this
    label: str


@dataclass
class Rows:
    cases: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def computed_facts(applicant: Applicant, on: datetime.date) -> dict[str, Any]:
    """points.facts for the loaded rows: residence since the current registration (no late endorsement in the
    loaded permits), in whole months as years; age in whole years; education as on the profile."""
    from dateutil.relativedelta import relativedelta

    since = applicant.registered_since
    if since > on:
        years = Decimal(0)
    else:
        span = relativedelta(on, since)
        years = (Decimal(span.years * 12 + span.months) / 12).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
    return {
        "residence_years": decimal_text(years),
        "age": decimal_text(Decimal(relativedelta(on, applicant.birth).years)),
        "education": applicant.education or None,
        "false_declaration": False,
    }


def declared_facts(rng: random.Random) -> dict[str, Any]:
    """What an applicant declares, as stored (points.rulejson)."""
    skills = None
    if rng.random() < SKILLS:
        first = pick(rng, SKILL_WEIGHTS)
        second = pick(rng, SKILL_WEIGHTS) if rng.random() < TWO_CERTIFICATES else first
        skills = first if second == first else sorted({first, second})
    years = rng.choice((1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12))
    return {
        "social_insurance_years": (
            (f"{years}.5" if rng.random() < 0.1 else str(years)) if rng.random() < SOCIAL_INSURANCE else None
        ),
        "employment": rng.random() < EMPLOYMENT,
        "skills_certificate": skills,
        "volunteer_hours": str(rng.randint(10, 400)) if rng.random() < VOLUNTEER else None,
        "investment_or_tax": rng.random() < INVESTMENT_OR_TAX,
        "administrative_penalties": pick(rng, PENALTIES),
        "criminal_record_5y": False,
    }


def adjusted(key: str, declared: Any) -> Any:
    """The value a caseworker counts instead of the declared one, when the records say less (or, for
    penalties, more)."""
    if key == "social_insurance_years":
        return decimal_text(max(Decimal(0), Decimal(declared) - 2))
    if key == "volunteer_hours":
        return str(int(declared) // 2)
    if key == "skills_certificate":
        from points.scoring import SKILL_LEVELS

        keys = [level.key for level in SKILL_LEVELS]
        highest = declared if isinstance(declared, str) else declared[-1]
        return keys[max(keys.index(highest) - 1, 0)]
    if key == "administrative_penalties":
        return str(int(declared) + 1)
    return None


def application_rows(
    rows: Rows, round: Round, applicant: Applicant, *, case_id: int, application_id: int, status: str,
    rng: random.Random, caseworkers_of: dict[int, list[int]], intake: int,
) -> None:  # fmt: skip
    """The case, the application and its items of one applicant in ``round``; ``status`` approved, refused (a
    veto found in review) or withdrawn (before submission)."""
    from points.casetype import needs_review
    from points.rulejson import fact_from_json
    from points.scoring import Source, format_points, score
    from points.services import _breakdown_json  # the breakdown exactly as points_review_complete stores it

    table = round.table
    window = (round.closes - round.opens).days
    submitted = datetime.datetime.combine(
        round.opens + datetime.timedelta(days=rng.randint(0, window)), datetime.time(), TZ
    ) + datetime.timedelta(seconds=rng.randint(7 * 3600, 23 * 3600))
    created = max(
        submitted - datetime.timedelta(seconds=rng.randint(600, 3 * DAY_S)),
        datetime.datetime.combine(round.opens, datetime.time(7), TZ),
    )
    facts_on = submitted.date()
    decided = min(submitted + datetime.timedelta(seconds=rng.randint(DAY_S, 20 * DAY_S)), round.decided_by)
    assignee = rng.choice(caseworkers_of[applicant.street])
    declared = declared_facts(rng)
    computed = computed_facts(applicant, facts_on)
    veto = status == "refused"
    items: list[tuple[Any, ...]] = []  # (key, source, declared, value, status, reason, decided_by, decided_at)
    counted: dict[str, Any] = {}
    for indicator in table.indicators:
        key = indicator.key
        if status == "withdrawn":
            answer = declared.get(key) if indicator.source == Source.DECLARED else None
            items.append((key, indicator.source, answer, None, "pending", "", None, None))
            continue
        if indicator.source == Source.COMPUTED:
            value = computed[key]
            items.append((key, indicator.source, value, value, "computed", "", None, None))
            counted[key] = value
            continue
        answer = declared[key]
        if not needs_review(indicator, answer):
            items.append((key, indicator.source, answer, None, "not_declared", "", None, None))
            continue
        at = submitted + (decided - submitted) * rng.random()
        roll = rng.random()
        if key == "criminal_record_5y" and veto:
            decision, value, reason = "adjusted", True, VETO_FOUND
        elif roll < REJECTED and "rejected" in REASONS[key]:
            decision, value, reason = "rejected", None, REASONS[key]["rejected"]
        elif roll < REJECTED + ADJUSTED and "adjusted" in REASONS[key]:
            decision, value, reason = "adjusted", adjusted(key, answer), REASONS[key]["adjusted"]
        else:
            decision, value, reason = "accepted", answer, REASONS[key]["accepted"]
        items.append((key, indicator.source, answer, value, decision, reason, assignee, at))
        counted[key] = value

    opened_by = applicant.user or intake
    reference = f"JF{created:%Y%m%d}{case_id:07d}"
    if status == "withdrawn":
        rows.cases.append(
            "\t".join((str(case_id), "points", reference, "withdrawn", NULL, NULL, NULL, "[]", "", ts(created),
                       "", ts(created), ts(created), str(applicant.resident), NULL, str(opened_by),
                       str(applicant.street)))
        )  # fmt: skip
        total = eligible = breakdown = scored = None
        points: dict[str, str] = {}
    else:
        result = score(table, {key: fact_from_json(table.indicator(key), value) for key, value in counted.items()})
        if result.eligible == veto:
            raise RuntimeError(f"{reference}: drawn as {status}, scored {'eligible' if result.eligible else 'vetoed'}")
        total, eligible = str(result.total), "t" if result.eligible else "f"
        breakdown, scored = jsonb(_breakdown_json(result)), ts(decided)
        points = {line.key: str(line.points) for line in result.breakdown}
        if veto:
            labels = "、".join(table.indicator(key).label_zh for key in result.vetoed_by)
            reason = f"经核定，存在一票否决情形：{labels}，不具备积分资格。"
        else:
            reason = f"核定总分 {format_points(result.total)} 分。"
        rows.cases.append(
            "\t".join((str(case_id), "points", reference, status, ts(submitted),
                       ts(submitted + datetime.timedelta(days=15)), NULL, "[]", "", ts(decided), copy_text(reason),
                       ts(created), ts(decided), str(applicant.resident), str(assignee), str(opened_by),
                       str(applicant.street)))
        )  # fmt: skip
    rows.applications.append(
        "\t".join((str(application_id), str(case_id), str(round.pk), str(round.rule_set_id),
                   NULL if status == "withdrawn" else facts_on.isoformat(), total or NULL,
                   eligible or NULL, breakdown or "[]", scored or NULL))
    )  # fmt: skip
    for order, (key, source, answer, value, item_status, reason, by, at) in enumerate(items):
        rows.items.append(
            "\t".join((str(application_id), key, str(source), jsonb(answer), jsonb(value), item_status,
                       copy_text(reason), NULL if by is None else str(by), ts(at), points.get(key, NULL), "f",
                       str(order)))
        )  # fmt: skip
    counted_as = f"{round.label}: {status}"
    rows.counts[counted_as] = rows.counts.get(counted_as, 0) + 1


def applicants_read(today: datetime.date) -> list[Applicant]:
    """Who may apply: adults (18 to 60) holding a permit valid today, not archived, registered now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT r.id, r.name, r.birth_date, r.education, r.street_id, r.user_id, g.started_on
                 FROM residents_permit p JOIN residents_resident r ON r.id = p.holder_id
                 JOIN residents_residenceregistration g ON g.resident_id = r.id AND g.ended_on IS NULL
                WHERE p.valid_until >= %(today)s AND r.archived_at IS NULL
                  AND r.birth_date BETWEEN %(oldest)s AND %(youngest)s
                ORDER BY r.id""",
            {"today": today, "oldest": today.replace(year=today.year - 60),
             "youngest": today.replace(year=today.year - 18)},
        )  # fmt: skip
        return [Applicant(*row) for row in cursor.fetchall()]


def scene_ensure(today: datetime.date, quota: int) -> tuple[Round, Round, int, int, dict[int, list[int]]]:
    """The two rounds, the 2025.1 rule set, the administrator; the intake user and the caseworkers by street."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from bench.common import INTAKE_USERNAME
    from points.choices import RuleSetStatus
    from points.models import Indicator, PointsRound, RuleSet
    from points.selectors import rule_set_current, rule_set_scoring_of
    from residents.models import Jurisdiction

    current = rule_set_current(today.year)
    if current is None:
        raise SystemExit("no published points rule set: migrate points")
    previous = RuleSet.objects.create(
        year=current.year - 1, version=PREVIOUS_VERSION, status=RuleSetStatus.PUBLISHED,
        published_at=datetime.datetime(current.year - 1, 1, 15, 9, tzinfo=TZ), tie_break_zh=current.tie_break_zh,
        tie_break_en=current.tie_break_en, tie_break_keys=current.tie_break_keys,
        category_caps=current.category_caps,
    )  # fmt: skip
    Indicator.objects.bulk_create(
        Indicator(rule_set=previous, key=row.key, label_zh=row.label_zh, label_en=row.label_en,
                  category=row.category, source=row.source, unit_zh=row.unit_zh, unit_en=row.unit_en, rule=row.rule,
                  sort_order=row.sort_order)
        for row in current.indicators.order_by("sort_order", "pk")
    )  # fmt: skip
    unlocks = "随迁子女义务教育阶段入学积分排序；公共租赁住房申请。"
    unlocks_en = "Ranking for school places of migrant children; public rental housing applications."
    year = current.year
    last = PointsRound.objects.create(
        year=year - 1, name_zh=f"{year - 1}年度居住证积分申报", name_en=f"{year - 1} residence-permit points round",
        rule_set=previous, opens_on=datetime.date(year - 1, 3, 1), closes_on=datetime.date(year - 1, 4, 30),
        quota=quota, unlocks_zh=unlocks, unlocks_en=unlocks_en, objection_days=7,
        ranking_published_on=datetime.date(year - 1, 6, 1), objection_ends_on=datetime.date(year - 1, 6, 8),
        final_published_on=datetime.date(year - 1, 6, 20),
    )  # fmt: skip
    this = PointsRound.objects.create(
        year=year, name_zh=f"{year}年度居住证积分申报", name_en=f"{year} residence-permit points round",
        rule_set=current, opens_on=today - datetime.timedelta(days=75), closes_on=today - datetime.timedelta(days=15),
        quota=quota, unlocks_zh=unlocks, unlocks_en=unlocks_en, objection_days=7,
    )  # fmt: skip
    admin, created = User.objects.get_or_create(
        username=POINTS_ADMIN_USERNAME,
        defaults={"is_staff": True, "email": f"{POINTS_ADMIN_USERNAME}@bench.yuean.example.cn"},
    )
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    admin.groups.add(Group.objects.get(name="administrator"))
    intake = User.objects.filter(username=INTAKE_USERNAME).values_list("pk", flat=True).first()
    caseworkers_of: dict[int, list[int]] = {}
    for street, caseworker in Jurisdiction.objects.order_by("caseworker_id").values_list("street_id", "caseworker_id"):
        caseworkers_of.setdefault(street, []).append(caseworker)
    if intake is None or not caseworkers_of:
        raise SystemExit("no caseworkers or intake user: run bench/load.py first")
    now = datetime.datetime.now(TZ).replace(microsecond=0)
    rounds = (
        Round(last.pk, previous.pk, rule_set_scoring_of(previous.pk), last.opens_on, last.closes_on,
              datetime.datetime.combine(last.closes_on + datetime.timedelta(days=25), datetime.time(17), TZ),
              f"round {last.pk} ({last.year})"),
        Round(this.pk, current.pk, rule_set_scoring_of(current.pk), this.opens_on, this.closes_on,
              now - datetime.timedelta(days=1), f"round {this.pk} ({this.year})"),
    )  # fmt: skip
    return rounds[0], rounds[1], admin.pk, intake, caseworkers_of


def reset(cursor) -> None:  # type: ignore[no-untyped-def]
    """Delete what this loader (and bench/run.py --part points) made, and nothing else."""
    cursor.execute(
        """DELETE FROM notifications_delivery d USING notifications_notification n
            WHERE d.notification_id = n.id AND n.template = ANY(%s)""",
        [list(TEMPLATES)],
    )
    cursor.execute("DELETE FROM notifications_notification WHERE template = ANY(%s)", [list(TEMPLATES)])
    cursor.execute("DELETE FROM notifications_reminder WHERE kind = ANY(%s)", [list(TEMPLATES)])
    cursor.execute("DELETE FROM residents_auditevent WHERE event_type LIKE 'points.%'")
    cursor.execute(
        """TRUNCATE points_pointsrankingentry, points_pointsranking, points_pointsobjection, points_pointsitem,
                    points_pointsapplication"""
    )
    cursor.execute("DELETE FROM residents_case WHERE case_type = 'points'")
    cursor.execute("DELETE FROM points_pointsround")
    cursor.execute(
        "DELETE FROM points_indicator WHERE rule_set_id IN (SELECT id FROM points_ruleset WHERE version = %s)",
        [PREVIOUS_VERSION],
    )
    cursor.execute("DELETE FROM points_ruleset WHERE version = %s", [PREVIOUS_VERSION])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000, help="approved applications of this round")
    parser.add_argument("--refused", type=int, default=800, help="refused for a veto item, in this round")
    parser.add_argument("--withdrawn", type=int, default=1_500, help="withdrawn before submission, in this round")
    parser.add_argument("--previous", type=int, default=20_000, help="approved applications of last year's round")
    parser.add_argument("--quota", type=int, default=20_000, help="the rounds' quota (places within it)")
    parser.add_argument("--seed", type=int, default=20260606)
    parser.add_argument("--reset", action="store_true", help="delete the points rows this loader made first")
    parser.add_argument("--no-migrate", action="store_true", help="the points tables exist: do not migrate")
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
            t = lap("reset (the points rows of the loader)", t)
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM points_pointsapplication), EXISTS (SELECT 1 FROM points_pointsround)"
        )
        if any(cursor.fetchone()):
            print("points rounds or applications are already loaded; run again with --reset", file=sys.stderr)
            return 2

    today = timezone.localdate()
    with transaction.atomic():
        last, this, _admin, intake, caseworkers_of = scene_ensure(today, args.quota)
    people = applicants_read(today)
    wanted = args.applications + args.refused + args.withdrawn
    if len(people) < wanted:
        raise SystemExit(f"only {len(people):,} residents may apply, {wanted:,} wanted: load more permits")
    t = lap(f"rounds, rule set {PREVIOUS_VERSION}; {len(people):,} residents may apply", t)

    rng = random.Random(args.seed)
    chosen = rng.sample(people, wanted)
    statuses = ["approved"] * args.applications + ["refused"] * args.refused + ["withdrawn"] * args.withdrawn
    rng.shuffle(statuses)
    # Last year's applicants: three in four apply again this year; the others did not.
    again = rng.sample(chosen[: args.applications], min(args.previous * 3 // 4, args.applications))
    chosen_ids = {p.resident for p in chosen}
    others = [p for p in rng.sample(people, min(len(people), wanted + args.previous)) if p.resident not in chosen_ids]
    previous = again + others[: args.previous - len(again)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM residents_case")
        case_id = cursor.fetchone()[0]
    rows = Rows()
    application_id = 0
    # Last year's round first, so that ids grow with time from round to round as in the app (within a round the
    # order of the ids is not the order of submission, as drafts are opened and submitted at different times).
    for round, applicants, kinds in ((last, previous, ["approved"] * len(previous)), (this, chosen, statuses)):
        for applicant, status in zip(applicants, kinds, strict=True):
            case_id += 1
            application_id += 1
            application_rows(
                rows, round, applicant, case_id=case_id, application_id=application_id, status=status, rng=rng,
                caseworkers_of=caseworkers_of, intake=intake,
            )  # fmt: skip
    t = lap(f"generate, score {application_id:,} applications, {len(rows.items):,} items", t)

    def blocks(lines: list[str]) -> Iterator[bytes]:
        for start in range(0, len(lines), 10_000):
            yield ("\n".join(lines[start : start + 10_000]) + "\n").encode()

    def copy(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(cursor, "residents_case", CASE_COLUMNS, blocks(rows.cases))
        copy_rows(cursor, "points_pointsapplication", APPLICATION_COLUMNS, blocks(rows.applications))
        copy_rows(cursor, "points_pointsitem", ITEM_COLUMNS, blocks(rows.items))

    bulk_load(POINTS_TABLES, copy, lap=lap, rebuild=True, label="cases, applications, items")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        sequences_advance(cursor, POINTS_TABLES)
        for table in POINTS_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        t = lap("setval, VACUUM ANALYZE", t)
        cursor.execute(
            "SELECT " + ", ".join(f"pg_size_pretty(pg_total_relation_size('{table}'))" for table in POINTS_TABLES)
        )
        sizes = dict(zip(POINTS_TABLES, cursor.fetchone(), strict=True))
        cursor.execute(
            """SELECT count(*) FILTER (WHERE a.round_id = %s AND c.status = 'approved'),
                      count(*) FILTER (WHERE a.round_id = %s), count(*) FILTER (WHERE a.round_id = %s),
                      (SELECT count(*) FROM points_pointsitem)
                 FROM points_pointsapplication a JOIN residents_case c ON c.id = a.case_id""",
            [this.pk, this.pk, last.pk],
        )
        approved, in_round, in_last, items = cursor.fetchone()
    print(f"  {'total':<52} {time.perf_counter() - started:8.1f} s")
    print("  sizes (with indexes): " + ", ".join(f"{table.split('_', 1)[1]} {size}" for table, size in sizes.items()))
    print(
        f"  this year's round {this.pk} ({this.opens} – {this.closes}, quota {args.quota:,}): {in_round:,} "
        f"applications, {approved:,} approved; last year's round {last.pk}: {in_last:,}; items {items:,}"
    )
    print("  drawn: " + "; ".join(f"{label} {count:,}" for label, count in rows.counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
