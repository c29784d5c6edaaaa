"""The points benchmarks of bench/run.py (``--part points``), over the rows of bench/load_points.py.

- Ranking a round of 100 000 approved applications: points.selectors.points_ranking_candidates and
  points.scoring.rank, the Python path points_ranking_publish takes (read the verified items, re-score every
  application, order by total and the published tie-break), against its floor: one raw SQL aggregate that
  re-scores each application from its decided items (one CASE per indicator of the default rule set, the category
  caps, the veto items) and orders them by total and the same tie-break. A second floor sums the item points
  stored at review instead. Both must give the app's order and totals ("Checks").
- Publishing the ranking: points.services.points_ranking_publish end to end (the checks, the ranking, the 100 000
  entries bulk-created, the notifications issued set-based), against the same floor, and against the same writes
  done set-based in SQL (the entries by INSERT … SELECT from the aggregate, the reminders, notifications and
  deliveries likewise). Everything a publication wrote is taken out again after each run (the round is put back
  to "not published"), so every run starts from the same rows.
- Where the time goes: the ranking's parts timed on their own, with Python's collector paused, a cProfile of one
  run; the publication's statements and phases in one run; and the changes proposed in docs/PERFORMANCE.md,
  measured on copies here (the app is not changed), alternating with the app's code.
- resident_points_bulk for 50 000 residents (what the school allocation reads for the families of a round)
  against the raw SQL of the same latest verified scores.
"""

from __future__ import annotations

import contextlib
import cProfile
import datetime
import gc
import io
import pstats
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.load_points import POINTS_ADMIN_USERNAME

if TYPE_CHECKING:
    from bench.run import Bench, Result

POINTS_BEGIN, POINTS_END = "<!-- bench:points:begin -->", "<!-- bench:points:end -->"
# The ranking is published from the console (PointsRoundAdmin's action and publish page), in a web request:
# it must end within gunicorn's default timeout of 30 s (docker-compose runs gunicorn with its defaults).
PUBLISH_TARGET_MS = 30_000
BULK_APPLICANTS = 40_000  # of the round's applicants (every other one), and residents without any score:
BULK_OTHERS = 10_000
RANKING_TEMPLATES = ("points.ranking_published", "points.ranking_final")


@dataclass
class PointsScene:
    round_id: int
    round_name: str
    rule_set_id: int
    objection_days: int
    admin_id: int
    bulk_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)


def scene_pick(floor: Any) -> PointsScene:
    """The round of bench/load_points.py (the one with the most applications whose final ranking is not out)."""
    round_row = floor.rows(
        """SELECT r.id, r.name_zh, r.rule_set_id, r.objection_days FROM points_pointsround r
            WHERE r.final_published_on IS NULL
              AND EXISTS (SELECT 1 FROM points_pointsapplication a WHERE a.round_id = r.id)
            ORDER BY (SELECT count(*) FROM points_pointsapplication a WHERE a.round_id = r.id) DESC LIMIT 1"""
    )
    admin = floor.rows("SELECT id FROM accounts_user WHERE username = %s", [POINTS_ADMIN_USERNAME])
    if not round_row or not admin:
        raise SystemExit("no points round seeded: run bench/load_points.py first")
    round_id, name, rule_set_id, objection_days = round_row[0]
    applicants = [
        row[0]
        for row in floor.rows(
            """SELECT c.applicant_id FROM points_pointsapplication a JOIN residents_case c ON c.id = a.case_id
                WHERE a.round_id = %s AND c.status IN ('approved', 'refused') ORDER BY c.applicant_id""",
            [round_id],
        )
    ]
    others = [
        row[0]
        for row in floor.rows(
            """SELECT r.id FROM residents_resident r WHERE r.id %% 20 = 7 AND NOT EXISTS (
                   SELECT 1 FROM residents_case c WHERE c.applicant_id = r.id AND c.case_type = 'points')
                ORDER BY r.id LIMIT %s""",
            [BULK_OTHERS],
        )
    ]
    scene = PointsScene(
        round_id, name, rule_set_id, objection_days, admin[0][0], applicants[::2][:BULK_APPLICANTS] + others
    )
    names = [
        "residents", "cases", "points applications", "applications of the round", "approved in the round",
        "refused in the round (veto)", "decided items of the approved", "items in all",
        "approved applicants with a login", "applications of last year's round",
    ]  # fmt: skip
    scene.counts = dict(
        zip(
            names,
            floor.rows(
                """SELECT (SELECT count(*) FROM residents_resident), (SELECT count(*) FROM residents_case),
                          (SELECT count(*) FROM points_pointsapplication),
                          count(*), count(*) FILTER (WHERE c.status = 'approved'),
                          count(*) FILTER (WHERE c.status = 'refused'),
                          (SELECT count(*) FROM points_pointsitem i JOIN points_pointsapplication x
                                    ON x.id = i.application_id JOIN residents_case y ON y.id = x.case_id
                            WHERE x.round_id = %(round)s AND y.status = 'approved' AND i.status <> 'pending'),
                          (SELECT count(*) FROM points_pointsitem),
                          count(*) FILTER (WHERE c.status = 'approved' AND r.user_id IS NOT NULL),
                          (SELECT count(*) FROM points_pointsapplication WHERE round_id <> %(round)s)
                     FROM points_pointsapplication a JOIN residents_case c ON c.id = a.case_id
                     JOIN residents_resident r ON r.id = c.applicant_id WHERE a.round_id = %(round)s""",
                {"round": round_id},
            )[0],
            strict=True,
        )
    )
    return scene


# --- the floor: the ranking in SQL ------------------------------------------------------------------------

# Each approved application of the round re-scored from its decided items under the default rule set (2026.1,
# points.scoring.default_rule_set): one CASE per indicator in the aggregate, whole units, each indicator's cap;
# then bonus items together at most 20, deductions no more than basic and bonus gave, veto items out. (LEAST
# ignores NULLs: an item that counts nothing is made 0 before its cap.)
# ``residence`` is the tie-break's value (longer continuous residence first; missing counts 0).
SCORES = """SELECT a.id AS application_id, c.id AS case_id, c.reference, c.submitted_at, c.applicant_id,
       coalesce(sum(CASE i.key
           WHEN 'residence_years' THEN least(coalesce(floor((i.value #>> '{}')::numeric) * 2, 0), 20)
           WHEN 'social_insurance_years' THEN least(coalesce(floor((i.value #>> '{}')::numeric) * 3, 0), 30)
           WHEN 'education' THEN CASE i.value #>> '{}' WHEN 'junior' THEN 5 WHEN 'senior' THEN 10
               WHEN 'associate' THEN 20 WHEN 'bachelor' THEN 35 WHEN 'postgraduate' THEN 50 ELSE 0 END
           WHEN 'age' THEN CASE WHEN (i.value #>> '{}')::numeric < 18 THEN 0
               WHEN (i.value #>> '{}')::numeric < 36 THEN 20 WHEN (i.value #>> '{}')::numeric < 46 THEN 15
               WHEN (i.value #>> '{}')::numeric < 56 THEN 10 WHEN (i.value #>> '{}')::numeric < 61 THEN 5 ELSE 0 END
           WHEN 'employment' THEN CASE WHEN i.value = 'true' THEN 10 ELSE 0 END
       END), 0) AS basic,
       least(coalesce(sum(CASE i.key
           WHEN 'skills_certificate' THEN (
               SELECT max(CASE l WHEN 'level_5' THEN 3 WHEN 'level_4' THEN 5 WHEN 'level_3' THEN 8
                                 WHEN 'level_2' THEN 12 WHEN 'level_1' THEN 15 END)
                 FROM jsonb_array_elements_text(
                      CASE jsonb_typeof(i.value) WHEN 'array' THEN i.value ELSE jsonb_build_array(i.value) END) AS l)
           WHEN 'volunteer_hours' THEN least(coalesce(floor((i.value #>> '{}')::numeric / 50) * 2, 0), 6)
           WHEN 'investment_or_tax' THEN CASE WHEN i.value = 'true' THEN 10 ELSE 0 END
       END), 0), 20) AS bonus,
       coalesce(sum(CASE WHEN i.key = 'administrative_penalties'
                         THEN least(coalesce(floor((i.value #>> '{}')::numeric) * 5, 0), 20) END), 0) AS deduction,
       coalesce(bool_or(i.key IN ('criminal_record_5y', 'false_declaration') AND i.value = 'true'), false) AS vetoed,
       coalesce(max(CASE WHEN i.key = 'residence_years' THEN (i.value #>> '{}')::numeric END), 0) AS residence
  FROM points_pointsapplication a
  JOIN residents_case c ON c.id = a.case_id
  JOIN points_pointsitem i ON i.application_id = a.id AND i.status <> 'pending'
 WHERE a.round_id = %(round)s AND c.status = 'approved' AND a.scored_at IS NOT NULL
 GROUP BY a.id, c.id"""
RANKING_ORDER = "total DESC, s.residence DESC, s.submitted_at, s.reference"
RANKING_SCORED_SQL = f"""SELECT s.reference, s.basic + s.bonus - least(s.deduction, s.basic + s.bonus) AS total
  FROM ({SCORES}) s WHERE NOT s.vetoed ORDER BY {RANKING_ORDER}"""
# The same order from the item points stored at review (points_review_complete), summed.
RANKING_STORED_SQL = """SELECT c.reference, sum(i.points) AS total
  FROM points_pointsapplication a
  JOIN residents_case c ON c.id = a.case_id
  JOIN points_pointsitem i ON i.application_id = a.id
 WHERE a.round_id = %(round)s AND c.status = 'approved' AND a.scored_at IS NOT NULL
 GROUP BY a.id, c.id
 ORDER BY total DESC, coalesce(max(CASE WHEN i.key = 'residence_years' THEN (i.value #>> '{}')::numeric END), 0) DESC,
          c.submitted_at, c.reference"""

# The publication set-based: the ranked rows into a temporary table, then one statement per table written.
PUBLISH_FLOOR_STATEMENTS = [
    f"""CREATE TEMPORARY TABLE ranked ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY {RANKING_ORDER}) AS position,
               count(*) OVER (PARTITION BY total) > 1 AS tied, s.*
          FROM (SELECT q.*, q.basic + q.bonus - least(q.deduction, q.basic + q.bonus) AS total, r.name, r.user_id
                  FROM ({SCORES}) q JOIN residents_resident r ON r.id = q.applicant_id WHERE NOT q.vetoed) s""",
    """INSERT INTO points_pointsranking (round_id, edition, is_final, published_at, published_by_id, rule_set_version,
              tie_break_zh, tie_break_en, quota, cutoff, entry_count)
       SELECT r.id, 1, false, now(), %(actor)s, rs.version, rs.tie_break_zh, rs.tie_break_en, r.quota,
              (SELECT total FROM ranked WHERE position = r.quota), (SELECT count(*) FROM ranked)
         FROM points_pointsround r JOIN points_ruleset rs ON rs.id = r.rule_set_id WHERE r.id = %(round)s""",
    """INSERT INTO points_pointsrankingentry (ranking_id, position, application_id, reference, masked_name, total, tied,
              within_quota)
       SELECT g.id, k.position, k.application_id, k.reference,
              left(btrim(k.name), 1) || repeat('*', greatest(char_length(btrim(k.name)) - 1, 1)), k.total, k.tied,
              g.quota IS NULL OR k.position <= g.quota
         FROM ranked k, points_pointsranking g WHERE g.round_id = %(round)s AND g.edition = 1""",
    """UPDATE points_pointsround SET ranking_published_on = %(today)s,
              objection_ends_on = %(today)s + objection_days WHERE id = %(round)s""",
    """INSERT INTO notifications_reminder (kind, subject, due_date, created_at, recipient_id)
       SELECT 'points.ranking_published', 'case:' || case_id || ':1', %(today)s, now(), user_id
         FROM ranked WHERE user_id IS NOT NULL ON CONFLICT DO NOTHING""",
    """INSERT INTO notifications_notification (template, context, link, dedupe_key, created_at, recipient_id, phone)
       SELECT 'points.ranking_published',
              jsonb_build_object('reference', reference, 'position', position, 'total', trim_scale(total)::text,
                                 'round', %(round_name)s, 'objection_ends_on', %(objection_ends_on)s),
              %(link)s, 'reminder:points.ranking_published:case:' || case_id || ':1:' || %(today_text)s, now(),
              user_id, ''
         FROM ranked WHERE user_id IS NOT NULL ON CONFLICT DO NOTHING""",
    """INSERT INTO notifications_delivery (channel, status, attempts, next_attempt_at, last_error, notification_id)
       SELECT d.channel, 'pending', 0, now(), '', n.id
         FROM notifications_notification n JOIN accounts_user u ON u.id = n.recipient_id
         JOIN notifications_notificationtemplate t ON t.key = n.template
        CROSS JOIN LATERAL (VALUES ('sms', t.send_sms AND u.phone <> ''), ('email', t.send_email AND u.email <> ''))
              AS d (channel, wanted)
        WHERE n.template = 'points.ranking_published' AND d.wanted ON CONFLICT DO NOTHING""",
]


PUBLISH_FLOOR_LABELS = [
    "the aggregate, ranked, into a temporary table", "INSERT the ranking", "INSERT … SELECT the entries",
    "UPDATE the round", "INSERT … SELECT the reminders", "INSERT … SELECT the notifications",
    "INSERT … SELECT the deliveries",
]  # fmt: skip


def publish_floor(
    floor: Any, scene: PointsScene, today: datetime.date, timings: list[tuple[str, float]] | None = None
) -> None:
    """The publication set-based; with ``timings``, each statement's seconds (and the commit's) appended."""
    from django.urls import reverse

    params = {
        "round": scene.round_id, "actor": scene.admin_id, "today": today, "today_text": today.isoformat(),
        "round_name": scene.round_name, "link": reverse("points:ranking", args=[scene.round_id]),
        "objection_ends_on": (today + datetime.timedelta(days=scene.objection_days)).isoformat(),
    }  # fmt: skip
    floor.conn.autocommit = False
    try:
        with floor.conn.cursor() as cursor:
            for label, statement in zip(PUBLISH_FLOOR_LABELS, PUBLISH_FLOOR_STATEMENTS, strict=True):
                start = time.perf_counter()
                cursor.execute(statement, params)
                if timings is not None:
                    timings.append((label, time.perf_counter() - start))
        start = time.perf_counter()
        floor.conn.commit()
        if timings is not None:
            timings.append(("COMMIT (the deferred foreign-key checks)", time.perf_counter() - start))
    except BaseException:
        floor.conn.rollback()
        raise
    finally:
        floor.conn.autocommit = True


def publish_undo(floor: Any, scene: PointsScene) -> None:
    """Take out what a publication (the app's or the floor's) wrote: the round is not published again."""
    floor.conn.autocommit = False
    try:
        with floor.conn.cursor() as cursor:
            cursor.execute(
                """DELETE FROM notifications_delivery d USING notifications_notification n
                    WHERE d.notification_id = n.id AND n.template = ANY(%s)""",
                [list(RANKING_TEMPLATES)],
            )
            cursor.execute("DELETE FROM notifications_notification WHERE template = ANY(%s)", [list(RANKING_TEMPLATES)])
            cursor.execute("DELETE FROM notifications_reminder WHERE kind = ANY(%s)", [list(RANKING_TEMPLATES)])
            cursor.execute(
                """DELETE FROM points_pointsrankingentry e USING points_pointsranking g
                    WHERE e.ranking_id = g.id AND g.round_id = %s""",
                [scene.round_id],
            )
            cursor.execute(
                """DELETE FROM residents_auditevent WHERE event_type = 'points.ranking_published'
                      AND object_id IN (SELECT id::text FROM points_pointsranking WHERE round_id = %s)""",
                [scene.round_id],
            )
            cursor.execute("DELETE FROM points_pointsranking WHERE round_id = %s", [scene.round_id])
            cursor.execute(
                """UPDATE points_pointsround SET ranking_published_on = NULL, objection_ends_on = NULL,
                          final_published_on = NULL WHERE id = %s""",
                [scene.round_id],
            )
        floor.conn.commit()
    except BaseException:
        floor.conn.rollback()
        raise
    finally:
        floor.conn.autocommit = True
    # The deleted rows would otherwise pile up run after run (each run writes some 350 000).
    floor.execute(
        [
            "VACUUM points_pointsrankingentry",
            "VACUUM notifications_notification",
            "VACUUM notifications_delivery",
            "VACUUM notifications_reminder",
        ]
    )


def publish_written(floor: Any, scene: PointsScene) -> dict[str, Any]:
    """What a publication left: the ranking, its entries in order, the messages (sorted) and their deliveries."""
    ranking = floor.rows(
        "SELECT quota, cutoff, entry_count, is_final, rule_set_version FROM points_pointsranking WHERE round_id = %s",
        [scene.round_id],
    )
    entries = floor.rows(
        """SELECT e.position, e.reference, e.masked_name, e.total, e.tied, e.within_quota, e.application_id
             FROM points_pointsrankingentry e JOIN points_pointsranking g ON g.id = e.ranking_id
            WHERE g.round_id = %s ORDER BY e.position""",
        [scene.round_id],
    )
    messages = floor.rows(
        """SELECT n.dedupe_key, n.recipient_id, n.context::text, n.link FROM notifications_notification n
            WHERE n.template = ANY(%s) ORDER BY n.dedupe_key""",
        [list(RANKING_TEMPLATES)],
    )
    deliveries = floor.rows(
        """SELECT d.channel, count(*) FROM notifications_delivery d JOIN notifications_notification n
                    ON n.id = d.notification_id
            WHERE n.template = ANY(%s) GROUP BY d.channel ORDER BY d.channel""",
        [list(RANKING_TEMPLATES)],
    )
    reminders = floor.rows(
        "SELECT count(*) FROM notifications_reminder WHERE kind = ANY(%s)", [list(RANKING_TEMPLATES)]
    )
    return {"ranking": ranking, "entries": entries, "messages": messages, "deliveries": deliveries,
            "reminders": reminders[0][0]}  # fmt: skip


# resident_points_bulk's answer by raw SQL: each resident's latest verified score (approved, in review again after
# an objection, or refused for a veto item), newest scoring first.
BULK_SQL = """SELECT DISTINCT ON (c.applicant_id) c.applicant_id, a.total, a.eligible, rs.version, c.reference,
       a.scored_at
  FROM residents_case c
  JOIN points_pointsapplication a ON a.case_id = c.id
  JOIN points_ruleset rs ON rs.id = a.rule_set_id
 WHERE c.applicant_id = ANY(%s) AND c.case_type = 'points' AND c.status IN ('approved', 'resubmitted', 'refused')
   AND a.scored_at IS NOT NULL AND a.total IS NOT NULL
 ORDER BY c.applicant_id, a.scored_at DESC, a.id DESC"""


# --- what the suggestions in docs/PERFORMANCE.md would give (copies here; the app is not changed) -----------


def candidates_joined(round: Any) -> list[Any]:
    """points_ranking_candidates with its items read by the same filter as the applications (a join) instead of
    ``application_id IN (<100 000 ids>)``, and the indicators found in a dict instead of a scan per item."""
    from cases.choices import CaseStatus
    from points import scoring
    from points.choices import ItemStatus
    from points.models import PointsApplication, PointsItem
    from points.rulejson import fact_from_json
    from points.selectors import rule_set_scoring_of

    approved = {"case__status": CaseStatus.APPROVED, "scored_at__isnull": False}
    rows = list(
        PointsApplication.objects.filter(round=round, **approved).values_list(
            "id", "case__reference", "case__submitted_at", "rule_set_id"
        )
    )
    tables: dict[int, scoring.RuleSet] = {}
    indicators = {
        rule_set_id: {i.key: i for i in rule_set_scoring_of(rule_set_id, tables).indicators}
        for rule_set_id in {row[3] for row in rows}
    }
    of_application = {row[0]: indicators[row[3]] for row in rows}
    facts: dict[int, dict[str, Any]] = {row[0]: {} for row in rows}
    decided = (
        PointsItem.objects.filter(application__round=round, **{f"application__{k}": v for k, v in approved.items()})
        .exclude(status=ItemStatus.PENDING)
        .values_list("application_id", "key", "value")
        .iterator(chunk_size=20_000)
    )
    for application_id, key, value in decided:
        indicator = of_application[application_id].get(key)
        if indicator is not None:
            facts[application_id][key] = fact_from_json(indicator, value)
    return [scoring.Entry(ref=ref, facts=facts[pk], submitted_at=at) for pk, ref, at, _ in rows]


def bulk_windowed(resident_ids: list[int]) -> dict[int, Any]:
    """resident_points_bulk with each resident's latest score picked by ROW_NUMBER() over the resident's scores
    (a window filter, Django 4.2+, SQLite 3.25+ too) instead of a correlated subquery per row."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from cases.choices import CaseStatus
    from points.models import PointsApplication
    from points.selectors import VerifiedScore

    fields = ("case__applicant_id", "total", "eligible", "rule_set__version", "case__reference", "scored_at")
    scores: dict[int, Any] = {}
    for start in range(0, len(resident_ids), 5_000):
        rows = (
            PointsApplication.objects.filter(
                case__case_type="points", scored_at__isnull=False, total__isnull=False,
                case__status__in=(CaseStatus.APPROVED, CaseStatus.RESUBMITTED, CaseStatus.REFUSED),
                case__applicant_id__in=resident_ids[start : start + 5_000],
            )
            .annotate(latest=Window(RowNumber(), partition_by=F("case__applicant_id"),
                                    order_by=[F("scored_at").desc(), F("id").desc()]))
            .filter(latest=1)
            .values_list(*fields)
        )  # fmt: skip
        for applicant, total, eligible, version, reference, scored_at in rows:
            scores[applicant] = VerifiedScore(total, bool(eligible), version, reference, scored_at)
    return scores


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (what ``gc.disable()`` around the scoring would give)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one call."""
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000


def clock_median(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = [clock(fn) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


# The phases of points_ranking_publish, timed in one run by wrapping what it calls (module attributes replaced
# for the run): (label, module, attribute). Nested: reminders_issue runs inside _ranking_notify, the bulk inserts
# inside both.
PUBLISH_PHASES = [
    ("points_ranking_candidates", "points.services", "points_ranking_candidates"),
    ("scoring.rank", "points.scoring", "rank"),
    ("… in it, name_mask (100,000 names)", "points.services", "name_mask"),
    ("_ranking_notify: the two reads, 97,433 ReminderDue, reminders_issue", "points.services", "_ranking_notify"),
    ("… in it, reminders_issue", "points.services", "reminders_issue"),
]


@contextlib.contextmanager
def phases_timed(into: dict[str, list[float]]) -> Iterator[None]:
    """Time PUBLISH_PHASES and every bulk_create (by model) for the block: ``into[label]`` = [wall s, CPU s]."""
    import importlib

    from django.db.models.query import QuerySet

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            spent = into.setdefault(label, [0.0, 0.0])  # in the order the phases start
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start
                spent[1] += time.process_time() - start_cpu

        return wrapper

    originals = []
    for label, module_name, attribute in PUBLISH_PHASES:
        module = importlib.import_module(module_name)
        originals.append((module, attribute, getattr(module, attribute)))
        setattr(module, attribute, timed(label, getattr(module, attribute)))
    bulk_create = QuerySet.bulk_create

    def bulk_create_timed(self: QuerySet, objs: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[type-arg]
        if not isinstance(objs, list):  # a generator (the entries): its objects are made here, timed apart
            objs = timed(f"{self.model._meta.label} objects made (the generator)", list)(objs)
        # The notifications' inserts are reminders_issue's, within _ranking_notify.
        nested = "… … in it, " if self.model._meta.app_label == "notifications" else ""
        label = f"{nested}bulk_create {self.model._meta.label} ({len(objs):,} rows)"
        return timed(label, bulk_create)(self, objs, *args, **kwargs)

    QuerySet.bulk_create = bulk_create_timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        QuerySet.bulk_create = bulk_create  # type: ignore[method-assign]
        for module, attribute, original in originals:
            setattr(module, attribute, original)


# --- the benchmark ------------------------------------------------------------------------------------------


class PointsBench:
    def __init__(self, bench: Bench) -> None:
        from django.urls import reverse

        self.bench = bench
        self.args = bench.args
        self.floor = bench.floor
        self.scene = scene_pick(self.floor)
        # The publication reverses the ranking page's URL: load the URLconf now, so that a broken import fails
        # here and not after the minutes the ranking takes.
        reverse("points:ranking", args=[self.scene.round_id])
        import points.services  # noqa: F401 — likewise, the modules the measured code imports

        self.results: list[Result] = []
        self.checks: list[str] = []
        self.plans: dict[str, str] = {}
        self.score_us: dict[str, tuple[float, float]] = {}  # per application: (wall µs, CPU µs)
        self.parts: list[tuple[str, float, float]] = []  # (part of the ranking, wall ms, CPU ms)
        self.variants: list[tuple[str, float, float, float, float]] = []  # (what, now wall/CPU, then wall/CPU)
        self.profile: list[tuple[str, int, float, float]] = []  # (function, calls, own s, with callees s)
        self.profile_total_s = 0.0
        self.publish_profile: dict[str, Any] = {}
        self.publish_phases: list[tuple[str, float, float]] = []
        self.floor_statements: list[tuple[str, float]] = []
        self.bulk_variant: tuple[float, float, float, float] | None = None
        self.queries: dict[str, list[tuple[float, str]]] = {}

    def run(self) -> None:
        print(f"points: round {self.scene.round_id}: {self.scene.counts}", flush=True)
        publish_undo(self.floor, self.scene)  # whatever a run stopped half-way left
        self.ranking_bench()
        self.ranking_parts()
        self.variants_bench()
        if self.args.publish_runs:
            self.publish_bench()
        self.bulk_bench()

    def _round(self) -> Any:
        from points.models import PointsRound

        return PointsRound.objects.get(pk=self.scene.round_id)

    # --- (a) the ranking, against the aggregate in SQL ---

    def ranking_bench(self) -> None:
        from bench.run import Result, timed_pair
        from points import scoring
        from points.selectors import points_ranking_candidates, rule_set_scoring_of

        round = self._round()
        params = {"round": round.pk}

        def app() -> list[scoring.RankedEntry]:
            return scoring.rank(points_ranking_candidates(round=round), rule_set_scoring_of(round.rule_set_id))

        ranked = app()
        ours = [(r.entry.ref, r.score.total) for r in ranked]
        del ranked
        for label, sql in (("re-scored in SQL", RANKING_SCORED_SQL), ("stored item points", RANKING_STORED_SQL)):
            theirs = [(ref, total) for ref, total in self.floor.rows(sql, params)]
            same = ours == theirs
            self.checks.append(
                f"ranking: the app's order and totals {'=' if same else '≠'} the floor's ({label}; "
                f"{len(ours):,}/{len(theirs):,})"
            )
        name = f"(a) rank {len(ours):,}: points_ranking_candidates + scoring.rank"
        result = Result(name, None)
        result.queries = self.bench.count_queries(name, app)
        self.queries[name] = self.bench.queries.pop(name)
        result.django, result.floor = timed_pair(
            lambda: len(app()), self.floor.query(RANKING_SCORED_SQL, params), runs=self.args.points_runs, warmup=1,
            budget_s=self.args.budget * 5, cpu=result.cpu,
        )  # fmt: skip
        result.note = f"{len(ours):,} ranked; floor (c): the aggregate re-scoring in SQL"
        self._add(result)
        stored = Result("(c′) floor: the same order from the stored item points (SQL)", None)
        stored.floor = self.bench.measure(self.floor.query(RANKING_STORED_SQL, params), runs=self.args.points_runs)
        stored.note = "SUM(points) per application"
        self._add(stored)
        self.plans["(c) floor: re-scored in SQL"] = self.floor.explain(RANKING_SCORED_SQL, params)
        self.plans["(c′) floor: stored item points"] = self.floor.explain(RANKING_STORED_SQL, params)
        for number, (seconds, sql) in enumerate(self.queries[name], start=1):
            if "points_pointsapplication" in sql or "points_pointsitem" in sql:
                label = f"(a) its query {number} ({seconds * 1000:,.0f} ms, {len(sql) / 1024:,.0f} KB of SQL)"
                self.plans[label] = self.floor.explain(sql)

        # scoring.score on its own, per application: the scores dropped, then kept (as rank keeps them).
        entries = points_ranking_candidates(round=round)
        table = rule_set_scoring_of(round.rule_set_id)
        runs = max(3, self.args.points_runs // 2)

        def drop() -> None:
            for entry in entries:
                scoring.score(table, entry.facts)

        def keep() -> None:
            kept = [scoring.score(table, entry.facts) for entry in entries]
            del kept

        for label, fn in (("dropped", drop), ("kept", keep)):
            wall, cpu = clock_median(fn, runs)
            self.score_us[label] = (wall * 1000 / len(entries), cpu * 1000 / len(entries))
        with gc_paused():
            wall, cpu = clock_median(keep, runs)
        self.score_us["kept, collector paused"] = (wall * 1000 / len(entries), cpu * 1000 / len(entries))
        print(
            "  scoring.score per application: "
            + "; ".join(f"{k} {w:.1f} µs (CPU {c:.1f} µs)" for k, (w, c) in self.score_us.items()),
            flush=True,
        )

    def ranking_parts(self) -> None:
        """The ranking's parts, each timed on its own (mean of two): the selector's two reads (copies of its
        querysets, rows fetched and dropped), the selector whole, rank on the entries, with the collector paused."""
        from cases.choices import CaseStatus
        from points import scoring
        from points.choices import ItemStatus
        from points.models import PointsApplication, PointsItem
        from points.selectors import points_ranking_candidates, rule_set_scoring_of

        round = self._round()
        table = rule_set_scoring_of(round.rule_set_id)
        applications = PointsApplication.objects.filter(
            round=round, case__status=CaseStatus.APPROVED, scored_at__isnull=False
        ).values_list("id", "case__reference", "case__submitted_at", "rule_set_id")
        ids = [row[0] for row in applications]

        def items() -> None:
            for _row in (
                PointsItem.objects.filter(application__round=round, application_id__in=ids)
                .exclude(status=ItemStatus.PENDING)
                .values_list("application_id", "key", "value")
                .iterator(chunk_size=20_000)
            ):
                pass

        entries = points_ranking_candidates(round=round)
        parts = [
            ("the applications read (100 000 rows, values_list)", lambda: list(applications.all())),
            ("the items read (1.1 million rows, values_list iterator, JSON decoded)", items),
            ("points_ranking_candidates whole (the two reads and the facts)", lambda: points_ranking_candidates(
                round=round)),
            ("scoring.rank on the entries", lambda: scoring.rank(entries, table)),
        ]  # fmt: skip
        for label, fn in parts:
            wall, cpu = clock_median(fn, 2)
            self.parts.append((label, wall, cpu))
        with gc_paused():
            wall, cpu = clock_median(lambda: scoring.rank(entries, table), 2)
        self.parts.append(("scoring.rank on the entries, the collector paused", wall, cpu))
        for label, wall, cpu in self.parts:
            print(f"  {label:<76} {wall:9,.0f} ms (CPU {cpu:,.0f} ms)", flush=True)

        # One run of the whole under cProfile: the functions with the most time of their own.
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        scoring.rank(points_ranking_candidates(round=round), table)
        profiler.disable()
        self.profile_total_s = time.perf_counter() - start
        stats = pstats.Stats(profiler, stream=io.StringIO())
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
        for (filename, line, function), (_primitive, calls, own, cumulative, _callers) in rows[:15]:
            where = filename.split("/site-packages/")[-1].split("/work/main/")[-1].split("/lib/python3.11/")[-1]
            self.profile.append((f"{where}:{line} {function}", calls, own, cumulative))

    def variants_bench(self) -> None:
        """The changes proposed in docs/PERFORMANCE.md, measured on copies (alternating with the app's code)."""
        from points import scoring
        from points.selectors import points_ranking_candidates, rule_set_scoring_of

        round = self._round()
        table = rule_set_scoring_of(round.rule_set_id)
        runs = max(2, self.args.points_runs // 2)
        ours = sorted((e.ref, e.submitted_at, sorted(e.facts.items())) for e in points_ranking_candidates(round=round))
        theirs = sorted((e.ref, e.submitted_at, sorted(e.facts.items())) for e in candidates_joined(round))
        self.checks.append(
            f"candidates read by a join: {'=' if ours == theirs else '≠'} the selector's entries ({len(theirs):,})"
        )
        del ours, theirs
        entries = points_ranking_candidates(round=round)

        def rank_paused() -> None:
            with gc_paused():
                scoring.rank(entries, table)

        def both_paused() -> None:
            with gc_paused():
                scoring.rank(candidates_joined(round), table)

        pairs = [
            ("points_ranking_candidates → items read by a join, indicators by dict",
             lambda: points_ranking_candidates(round=round), lambda: candidates_joined(round)),
            ("scoring.rank → the collector paused while it scores", lambda: scoring.rank(entries, table), rank_paused),
            ("candidates + rank → both of the above",
             lambda: scoring.rank(points_ranking_candidates(round=round), table), both_paused),
        ]  # fmt: skip
        for label, now, then in pairs:
            now_s, then_s = [], []
            for _ in range(runs):
                now_s.append(clock(now))
                then_s.append(clock(then))
            row = (
                label,
                statistics.median(s[0] for s in now_s), statistics.median(s[1] for s in now_s),
                statistics.median(s[0] for s in then_s), statistics.median(s[1] for s in then_s),
            )  # fmt: skip
            self.variants.append(row)
            print(f"  {label:<76} {row[1]:9,.0f} → {row[3]:9,.0f} ms (CPU {row[2]:,.0f} → {row[4]:,.0f})", flush=True)

    # --- (b) the publication ---

    def publish_bench(self) -> None:
        from django.test import override_settings
        from django.utils import timezone

        from accounts.models import User
        from bench.run import Result
        from points.services import points_ranking_publish

        scene = self.scene
        actor = User.objects.get(pk=scene.admin_id)
        today = timezone.localdate()
        params = {"round": scene.round_id}

        def service() -> None:
            # As in production: the deliveries are left to the outbox sweep (CELERY_TASK_ALWAYS_EAGER off).
            with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
                points_ranking_publish(actor=actor, round=self._round())

        def undo() -> None:
            publish_undo(self.floor, scene)

        # One run of each first, to check that both write the same rows; then the timed runs.
        service()
        app = publish_written(self.floor, scene)
        undo()
        publish_floor(self.floor, scene, today, self.floor_statements)
        sql = publish_written(self.floor, scene)
        undo()
        same = {key: app[key] == sql[key] for key in app}
        channels = ", ".join(f"{count:,} {channel}" for channel, count in app["deliveries"])
        self.checks.append(
            f"publication: {len(app['entries']):,} entries, {app['reminders']:,} reminders, {len(app['messages']):,} "
            f"notifications, deliveries {channels}; "
            + ", ".join(f"{key} {'=' if ok else '≠'} the floor's" for key, ok in same.items())
        )
        result = Result("(b) points_ranking_publish (公示), the whole", PUBLISH_TARGET_MS)
        writes = Result("(b′) floor: the same publication set-based in SQL (one transaction)", None)
        for _ in range(self.args.publish_runs):
            wall, cpu = clock(service)
            result.django.append(wall)
            result.cpu.append(cpu)
            undo()
            result.floor.append(clock(lambda: self.floor.rows(RANKING_SCORED_SQL, params))[0])
            writes.floor.append(clock(lambda: publish_floor(self.floor, scene, today))[0])
            undo()
            print(
                f"  run: publish {result.django[-1] / 1000:.1f} s, floor (c) {result.floor[-1]:,.0f} ms, "
                f"set-based {writes.floor[-1]:,.0f} ms",
                flush=True,
            )
        result.note = f"{len(app['entries']):,} entries, {len(app['messages']):,} notifications; floor (c)"
        writes.note = "entries, reminders, notifications, deliveries; no audit row"
        self._add(result)
        self._add(writes)
        self.publish_profile = self._publish_profile(service)
        undo()
        # What pausing the collector would give the whole publication (once each, one after the other).
        now = clock(service)
        undo()
        with gc_paused():
            then = clock(service)
        undo()
        label = "points_ranking_publish → the collector paused (one run each)"
        self.variants.append((label, now[0], now[1], then[0], then[1]))
        print(f"  {label:<76} {now[0]:9,.0f} → {then[0]:9,.0f} ms (CPU {now[1]:,.0f} → {then[1]:,.0f})", flush=True)

    def _publish_profile(self, service: Callable[[], None]) -> dict[str, Any]:
        """One publication with every statement counted and timed (an execute wrapper), its CPU time, and its
        phases (what it calls, wrapped and timed in the same run)."""
        from collections import Counter

        from django.db import connection

        from bench.housing import commits_timed, query_kind

        kinds: Counter[str] = Counter()
        waited: Counter[str] = Counter()

        def timed_execute(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                kinds[query_kind(sql)] += 1
                waited[query_kind(sql)] += time.perf_counter() - start

        commits: list[float] = []
        phases: dict[str, list[float]] = {}
        start, start_cpu = time.perf_counter(), time.process_time()
        with (
            connection.execute_wrapper(timed_execute),
            commits_timed(connection, commits),
            phases_timed(phases),
        ):
            service()
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        self.publish_phases = [(label, spent[0], spent[1]) for label, spent in phases.items()]
        self.publish_phases.append(("the commit", sum(commits), 0.0))
        profile = {
            "statements": sum(kinds.values()), "wall_s": wall, "cpu_s": cpu,
            "db_s": sum(waited.values()) + sum(commits), "commit_s": sum(commits),
            "kinds": [(kind, kinds[kind], seconds) for kind, seconds in waited.most_common()],
        }  # fmt: skip
        print(
            f"  profile: {profile['statements']} statements, {profile['db_s']:.1f} s waiting for the database of "
            f"{wall:.1f} s (CPU {cpu:.1f} s)",
            flush=True,
        )
        return profile

    # --- resident_points_bulk ---

    def bulk_bench(self) -> None:
        from bench.run import Result, timed_pair
        from points.selectors import resident_points_bulk

        ids = self.scene.bulk_ids
        scores = resident_points_bulk(ids)
        ours = sorted(
            (pk, s.total, s.eligible, s.rule_set_version, s.reference, s.scored_at) for pk, s in scores.items()
        )
        theirs = sorted(tuple(row) for row in self.floor.rows(BULK_SQL, [ids]))
        same = ours == theirs
        self.checks.append(
            f"resident_points_bulk: {'=' if same else '≠'} the floor's scores ({len(ours):,}/{len(theirs):,} of "
            f"{len(ids):,} residents)"
        )
        name = f"(d) resident_points_bulk, {len(ids):,} residents"
        result = Result(name, None)
        result.queries = self.bench.count_queries(name, lambda: resident_points_bulk(ids))
        self.queries[name] = self.bench.queries.pop(name)
        result.django, result.floor = timed_pair(
            lambda: resident_points_bulk(ids), self.floor.query(BULK_SQL, [ids]), runs=self.args.points_runs,
            warmup=1, budget_s=self.args.budget * 2, cpu=result.cpu,
        )  # fmt: skip
        (two,) = self.floor.rows(
            """SELECT count(*) FROM (SELECT c.applicant_id FROM residents_case c
                 JOIN points_pointsapplication a ON a.case_id = c.id
                WHERE c.applicant_id = ANY(%s) AND c.case_type = 'points' AND a.scored_at IS NOT NULL
                GROUP BY c.applicant_id HAVING count(*) > 1) x""",
            [ids],
        )[0]
        result.note = f"{len(ours):,} scores ({two:,} the later of two); floor: DISTINCT ON"
        self._add(result)
        windowed = bulk_windowed(ids)
        self.checks.append(
            f"resident_points_bulk by a window function: {'=' if windowed == scores else '≠'} the selector's scores"
        )
        now_s, then_s = [], []
        for _ in range(max(2, self.args.points_runs // 2)):
            now_s.append(clock(lambda: resident_points_bulk(ids)))
            then_s.append(clock(lambda: bulk_windowed(ids)))
        row = (
            "resident_points_bulk → the latest of each by a window function (ROW_NUMBER() = 1)",
            statistics.median(x[0] for x in now_s), statistics.median(x[1] for x in now_s),
            statistics.median(x[0] for x in then_s), statistics.median(x[1] for x in then_s),
        )  # fmt: skip
        self.variants.append(row)
        print(f"  {row[0]:<76} {row[1]:9,.0f} → {row[3]:9,.0f} ms (CPU {row[2]:,.0f} → {row[4]:,.0f})", flush=True)
        self.plans[f"{name} — floor SQL"] = self.floor.explain(BULK_SQL, [ids])
        slowest = max(self.queries[name], key=lambda q: q[0])
        self.plans[f"{name} — slowest ORM query ({slowest[0] * 1000:,.0f} ms)"] = self.floor.explain(slowest[1])

    def _add(self, result: Result) -> None:
        self.results.append(result)
        self.bench._print(result)


def report_points(points: PointsBench, args: Any, started: float, load: tuple[float, float, float]) -> str:
    """The generated block of the points section of docs/PERFORMANCE.md."""
    import os
    import platform

    from django.conf import settings

    from bench.run import fmt_ms, git_commit, plan_summary, result_rows

    lines = [
        f"Measured {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"DEBUG={settings.DEBUG}; (a) and (d): median of {args.points_runs} runs after one, each alternating with "
        f"its floor; (b): {args.publish_runs} runs after one (median). Load average {load[0]:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at the end; {time.perf_counter() - started:.0f} s in all.",
        "",
        "Data: " + ", ".join(f"{k} {v:,}" for k, v in points.scene.counts.items()) + ".",
        "",
        *result_rows(points.results),
        "",
        "Floor (c) of (a) and (b): one SQL statement that re-scores every approved application of the round from its "
        "decided items (a CASE per indicator of the 2026.1 table, the caps, the veto items) and orders them by total, "
        "continuous residence and submission; (c′) the same order from the item points stored at review; (b′) the "
        "publication's writes set-based (a temporary table of the ranked rows, then one INSERT … SELECT per table).",
        "",
        "Checks: " + "; ".join(points.checks) + ".",
        "",
        "scoring.score, per application (all 100,000 of the round): "
        + "; ".join(f"scores {k}: {w:.1f} µs (CPU {c:.1f} µs)" for k, (w, c) in points.score_us.items())
        + ".",
        "",
        "Where the ranking's time goes (each part on its own, mean of 2 runs):",
        "",
        "| Part | Wall (ms) | Python CPU (ms) |",
        "|---|---:|---:|",
        *[f"| {label} | {fmt_ms(wall)} | {fmt_ms(cpu)} |" for label, wall, cpu in points.parts],
        "",
        "Proposed changes measured on copies in bench/points.py (the app unchanged), alternating with the app's code "
        "(median of the runs):",
        "",
        "| Change | Now (ms) | CPU (ms) | With it (ms) | CPU (ms) |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {label} | {fmt_ms(a)} | {fmt_ms(b)} | {fmt_ms(c)} | {fmt_ms(d)} |"
            for label, a, b, c, d in points.variants
        ],
        "",
        f"cProfile of one run of (a) ({points.profile_total_s:.1f} s under the profiler, which inflates small "
        "functions; a pass of the garbage collector counts in the function running when it starts), by time of "
        "their own:",
        "",
        "| Function | Calls | Own (s) | With callees (s) |",
        "|---|---:|---:|---:|",
        *[f"| `{where}` | {calls:,} | {own:.2f} | {cum:.2f} |" for where, calls, own, cum in points.profile],
    ]
    p = points.publish_profile
    if p:
        lines += [
            "",
            f"Profile of one publication: {p['statements']:,} statements; {p['wall_s']:.1f} s in all, of which "
            f"{p['db_s']:.1f} s waiting for the database (the commit {p['commit_s']:.2f} s) and {p['cpu_s']:.1f} s of "
            "Python CPU (they overlap: the driver's own work counts in both). Its statements by time:",
            "",
            "| Statement | Count | Seconds |",
            "|---|---:|---:|",
            *[f"| `{kind}` | {count:,} | {seconds:.2f} |" for kind, count, seconds in p["kinds"][:12]],
        ]
    if points.publish_phases:
        lines += [
            "",
            "Its phases in the same run (what it calls, wrapped and timed; a phase marked “… in it” is part of the "
            "one above it, and counts there too):",
            "",
            "| Phase | Wall (s) | Python CPU (s) |",
            "|---|---:|---:|",
            *[f"| {label} | {wall:.1f} | {cpu:.1f} |" for label, wall, cpu in points.publish_phases],
        ]
    if points.floor_statements:
        lines += [
            "",
            "The set-based publication (b′), statement by statement (its first run):",
            "",
            "| Statement | Seconds |",
            "|---|---:|",
            *[f"| {label} | {seconds:.2f} |" for label, seconds in points.floor_statements],
        ]
    lines += ["", "Queries (each with its time in the captured run):", ""]
    for name, queries in points.queries.items():
        lines.append(f"- {name}: {len(queries)} queries, {sum(t for t, _ in queries) * 1000:,.0f} ms in the database")
    lines += ["", "EXPLAIN (ANALYZE) of the key queries, summarised (scans used — execution time):", ""]
    lines += [f"- {name}: {plan_summary(plan)}" for name, plan in points.plans.items()]
    return "\n".join(lines)
