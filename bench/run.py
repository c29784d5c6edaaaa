"""Benchmarks of the caseworker console and the reminder sweeps against their floor on the same machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean_bench .venv/bin/python bench/run.py \
        [--part all|console|permits|housing|points|education] [--write-doc]

Seed first with bench/load.py. Every operation is timed as the median of ``--runs`` runs after
``--warmup`` runs, and compared with its floor: the raw SQL that fetches the same rows through a plain
psycopg2 connection, and a bare Django view for the framework's own cost. Pages are requested through
Django's test Client as a seeded caseworker (force_login). Every loop is bounded by a run count and a time
budget. An index proposed for what is still slow (PROPOSED) is tried on the app's own statement in a
transaction that is rolled back; ``--with-proposed`` builds it for the whole run and drops it at the end.
The permit reminder sweeps (``--part permits``) are timed as a read against the raw SQL of the same
recipients, then as a whole issue on a fresh day, a second run the same day and a first run.
The rental-housing benchmarks (``--part housing``, seeded by bench/load_housing.py) are in bench/housing.py.
The points benchmarks (``--part points``, seeded by bench/load_points.py) are in bench/points.py.
The school-enrolment benchmarks (``--part education``, seeded by bench/load_education.py) are in bench/education.py.
``--write-doc`` replaces the generated block of docs/PERFORMANCE.md of each part run with its numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # the project root is on the path now
    BENCH_CASE_TYPE,
    CASEWORKER_PREFIX,
    ROOT,
    bench_case_type_register,
    django_setup,
)
from bench.education import EDUCATION_BEGIN, EDUCATION_END, EducationBench, report_education
from bench.housing import HOUSING_BEGIN, HOUSING_END, HousingBench, report_housing
from bench.points import POINTS_BEGIN, POINTS_END, PointsBench, report_points

DOC = ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
PENDING = ("submitted", "resubmitted")


@dataclass
class Result:
    name: str
    target_ms: float | None
    django: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    queries: int | None = None
    note: str = ""

    @property
    def django_ms(self) -> float | None:
        return statistics.median(self.django) if self.django else None

    @property
    def cpu_ms(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def floor_ms(self) -> float | None:
        return statistics.median(self.floor) if self.floor else None

    @property
    def ratio(self) -> float | None:
        if self.django_ms is None or not self.floor_ms:
            return None
        return self.django_ms / self.floor_ms

    @property
    def passed(self) -> bool | None:
        if self.target_ms is None or self.django_ms is None:
            return None
        return self.django_ms <= self.target_ms


def timed(
    fn: Callable[[], object], *, runs: int, warmup: int, budget_s: float, cpu: list[float] | None = None
) -> list[float]:
    """Milliseconds of ``runs`` calls after ``warmup`` calls; stops early when the budget is spent.

    With ``cpu``, also collects the CPU time of this process per call (Python's share, without the
    database's, and without the time spent waiting for a core on a busy machine).
    """
    deadline = time.perf_counter() + budget_s
    for _ in range(warmup):
        fn()
        if time.perf_counter() > deadline:
            break
    samples = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
        if time.perf_counter() > deadline:
            break
    return samples


def timed_pair(
    django: Callable[[], object],
    floor: Callable[[], object],
    *,
    runs: int,
    warmup: int,
    budget_s: float,
    cpu: list[float],
    before: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """Like ``timed`` for an operation and its floor, alternating them, so that both meet the same load on a
    shared machine. ``before`` runs (untimed) before each call of ``django``."""
    deadline = time.perf_counter() + budget_s
    for _ in range(warmup):
        if before:
            before()
        django()
        floor()
    django_ms, floor_ms = [], []
    for _ in range(runs):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        django()
        django_ms.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        start = time.perf_counter()
        floor()
        floor_ms.append((time.perf_counter() - start) * 1000)
        if time.perf_counter() > deadline:
            break
    return django_ms, floor_ms


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


# --- the floor: a plain psycopg2 connection -------------------------------------------------------------


class Floor:
    def __init__(self) -> None:
        import psycopg2
        from django.db import connection

        self.conn = psycopg2.connect(**connection.get_connection_params())
        self.conn.autocommit = True
        with self.conn.cursor() as cursor:
            cursor.execute("SET statement_timeout = '60s'")

    def connect_once(self) -> None:
        import psycopg2
        from django.db import connection

        psycopg2.connect(**connection.get_connection_params()).close()

    def rows(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def execute(self, statements: list[str]) -> None:
        with self.conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def query(self, sql: str, params: list | dict | None = None) -> Callable[[], object]:
        return lambda: self.rows(sql, params)

    @contextlib.contextmanager
    def experiment(self, ddl: list[str]) -> Iterator[None]:
        """Run the block with these statements applied in a transaction that is then rolled back."""
        self.conn.autocommit = False
        try:
            with self.conn.cursor() as cursor:
                for statement in ddl:
                    cursor.execute(statement)
            yield
        finally:
            self.conn.rollback()
            self.conn.autocommit = True

    def explain(self, sql: str, params: list | dict | None = None) -> str:
        """EXPLAIN ANALYZE; without params the SQL is run as it is (a captured query may hold a '%')."""
        with self.conn.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())


def plan_summary(plan: str) -> str:
    """The scans a plan uses and its execution time, on one line."""
    scans = []
    for match in re.finditer(
        r"(Index Only Scan(?: Backward)? using \S+|Index Scan(?: Backward)? using \S+|Bitmap Index Scan on \S+"
        r"|Seq Scan on \S+|Parallel Seq Scan on \S+)",
        plan,
    ):
        if match.group(1) not in scans:
            scans.append(match.group(1))
    executed = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return f"{'; '.join(scans) or 'no scan'} — {executed.group(1) if executed else '?'} ms"


# --- fixtures --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    caseworker_id: int
    username: str
    streets: list[int]
    id_number: str
    resident_name: str
    name_prefix: str
    surname: str
    counts: dict[str, int]


def sample_pick(floor: Floor) -> Sample:
    from residents.pii import id_number_decrypt

    cw = floor.rows(
        """SELECT u.id, u.username, array_agg(j.street_id ORDER BY j.street_id)
             FROM accounts_user u JOIN residents_jurisdiction j ON j.caseworker_id = u.id
            WHERE u.username LIKE %s GROUP BY u.id, u.username HAVING count(*) = 2 ORDER BY u.username LIMIT 1""",
        [CASEWORKER_PREFIX + "%"],
    )
    if not cw:
        raise SystemExit("no seeded caseworker: run bench/load.py first")
    caseworker_id, username, streets = cw[0]
    resident = floor.rows(
        """SELECT r.id_number_ciphertext, r.name FROM residents_case c
             JOIN residents_resident r ON r.id = c.applicant_id
            WHERE c.street_id = ANY(%s) AND c.case_type = %s ORDER BY c.id LIMIT 1 OFFSET 777""",
        [streets, BENCH_CASE_TYPE],
    )
    if not resident:
        raise SystemExit("no seeded case in the caseworker's streets: run bench/load.py first")
    ciphertext, name = resident[0]
    counts = dict(
        zip(
            ["residents", "cases", "pending", "cases in the caseworker's streets", "pending in them"],
            floor.rows(
                """SELECT (SELECT count(*) FROM residents_resident),
                          (SELECT count(*) FROM residents_case),
                          (SELECT count(*) FROM residents_case WHERE status = ANY(%s)),
                          (SELECT count(*) FROM residents_case WHERE street_id = ANY(%s)),
                          (SELECT count(*) FROM residents_case WHERE status = ANY(%s) AND street_id = ANY(%s))""",
                [list(PENDING), streets, list(PENDING), streets],
            )[0],
            strict=True,
        )
    )
    # The commonest surname (the worst case of a prefix search), from a 1% sample of the table.
    surname = floor.rows(
        "SELECT left(name, 1) FROM residents_resident TABLESAMPLE SYSTEM (1) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    )[0][0]
    return Sample(caseworker_id, username, streets, id_number_decrypt(ciphertext), name, name[:2], surname, counts)


# --- SQL of the floor ------------------------------------------------------------------------------------

CASE_COLUMNS = """c.*, r.id, r.name, r.id_number_masked, r.street_id, r.user_id, s.id, s.name, s.code,
                  u.id, u.username"""
CASE_JOINS = """FROM residents_case c JOIN residents_resident r ON r.id = c.applicant_id
                LEFT JOIN residents_region s ON s.id = c.street_id
                LEFT JOIN accounts_user u ON u.id = c.assigned_to_id"""
# The floor reads the caseworker's streets first (one indexed read of a few rows, as the app now does too),
# so that the planner sees them; with "IN (SELECT street_id ...)" it plans blind and scans the table.
QUEUE_SQL = f"""SELECT {CASE_COLUMNS} {CASE_JOINS}
    WHERE c.street_id = ANY(%s) AND c.status = ANY(%s)
    ORDER BY c.due_at ASC NULLS LAST, c.id LIMIT 50"""
QUEUE_ALL_SQL = f"""SELECT {CASE_COLUMNS} {CASE_JOINS}
    WHERE c.street_id = ANY(%s)
    ORDER BY c.due_at ASC NULLS LAST, c.id LIMIT 50"""
CASE_BY_ID_SQL = f"""SELECT {CASE_COLUMNS} {CASE_JOINS}
    WHERE r.id_number_hash = %s AND c.street_id = ANY(%s)
    ORDER BY c.due_at ASC NULLS LAST, c.id LIMIT 50"""
MY_CASES_SQL = """SELECT c.reference, c.*, r.name
    FROM residents_case c JOIN residents_resident r ON r.id = c.applicant_id
    WHERE c.applicant_id = ANY(%s) ORDER BY c.id DESC LIMIT 31"""
RESIDENT_COLUMNS = "r.*, m.id, m.name, s.id, s.name"
RESIDENT_JOINS = """FROM residents_resident r LEFT JOIN residents_region m ON m.id = r.community_id
                    LEFT JOIN residents_region s ON s.id = r.street_id"""
RESIDENT_BY_ID_SQL = f"""SELECT {RESIDENT_COLUMNS} {RESIDENT_JOINS}
    WHERE r.id_number_hash = %s AND r.street_id = ANY(%s)"""
# The resident list shows 25 rows a page (ResidentAdmin.list_per_page, since commit 0cf0d09).
RESIDENT_BY_NAME_SQL = f"""SELECT {RESIDENT_COLUMNS} {RESIDENT_JOINS}
    WHERE r.name LIKE %s AND r.street_id = ANY(%s)
    ORDER BY r.id DESC LIMIT 25"""
# Indexes proposed in docs/PERFORMANCE.md ("Still slow"): the page, the statement of it to try (the first
# captured query starting so), and the DDL. Tried on the statement as the app sends it, with the index built
# in a transaction that is rolled back; with --with-proposed the indexes are built for the whole run (so that
# the pages use them) and dropped at the end.
PROPOSED = [
    (
        "queue, all statuses",
        'SELECT "residents_case"."id"',
        ["CREATE INDEX bench_proposed_case_due ON residents_case (due_at, id)"],
    ),
]
PROPOSED_DROP = ["DROP INDEX IF EXISTS bench_proposed_case_due"]
DIGEST_SQL = """SELECT j.caseworker_id, sum(d.overdue), sum(d.due_soon)
    FROM (SELECT street_id, count(*) FILTER (WHERE due_at < %(start)s) AS overdue,
                 count(*) FILTER (WHERE due_at >= %(start)s) AS due_soon
            FROM residents_case WHERE status = ANY(%(pending)s) AND due_at < %(until)s GROUP BY street_id) d
    JOIN residents_jurisdiction j ON j.street_id = d.street_id
    JOIN accounts_user u ON u.id = j.caseworker_id AND u.is_active
    GROUP BY j.caseworker_id ORDER BY j.caseworker_id"""


# --- residence permits ------------------------------------------------------------------------------------

CASE_OPEN = ("draft", "submitted", "resubmitted", "needs_documents")  # residents.choices.CASE_OPEN_STATUSES
PERMITS_BEGIN, PERMITS_END = "<!-- bench:permits:begin -->", "<!-- bench:permits:end -->"
PERMIT_READ_TARGET_MS = 1_000  # the read of a daily sweep: well under a second
PERMIT_ISSUE_TARGET_MS = 10_000  # the daily reminder sweep, as for case_digest
# Who to tell about the permits whose year ends on one of these days, as the sweeps decide it: permits with no
# endorsement open (draft to decision) of holders not archived, their holder's login if active, or for a holder
# without one each guardian with an active login. One statement; the app makes two per group of days (permits,
# then the guardians of the children among them).
PERMIT_RECIPIENTS_SQL = """SELECT p.id, p.number, p.valid_until, coalesce(r.user_id, gu.id) AS recipient_id
    FROM residents_permit p JOIN residents_resident r ON r.id = p.holder_id
    LEFT JOIN accounts_user hu ON hu.id = r.user_id
    LEFT JOIN residents_guardianlink g ON r.user_id IS NULL AND g.child_id = r.id
    LEFT JOIN residents_resident gr ON gr.id = g.guardian_id
    LEFT JOIN accounts_user gu ON gu.id = gr.user_id AND gu.is_active
    WHERE p.valid_until = ANY(%(days)s::date[]) AND r.archived_at IS NULL AND (r.user_id IS NULL OR hu.is_active)
      AND NOT EXISTS (SELECT 1 FROM residents_permitendorsement e JOIN residents_case c ON c.id = e.case_id
                       WHERE e.permit_id = p.id AND c.status = ANY(%(open)s))
      AND (r.user_id IS NOT NULL OR gu.id IS NOT NULL)"""


def _catch_up(first: datetime.date) -> list[datetime.date]:
    from cases.reminders import CATCH_UP_DAYS

    return [first - datetime.timedelta(days=n) for n in range(CATCH_UP_DAYS + 1)]


def _endorsement_groups(today: datetime.date) -> list[tuple[str, list[datetime.date]]]:
    """The year ends the endorsement sweep reads on ``today``, by reminder kind (one statement each).

    The first reminder goes 30 days before the year ends but not before the endorsement window opens
    (residents.selectors.endorsement_first_reminder_on), so 27 to 30 days before: the year ends whose first
    reminder day is today or one of the catch-up days before. The second goes 7 days before.
    """
    from cases.reminders import CATCH_UP_DAYS
    from permits.selectors import ENDORSEMENT_REMINDER_DAYS, endorsement_first_reminder_on

    first, last = ENDORSEMENT_REMINDER_DAYS
    since = today - datetime.timedelta(days=CATCH_UP_DAYS)
    candidates = [today + datetime.timedelta(days=n) for n in range(first - 3 - CATCH_UP_DAYS, first + 1)]
    first_ends = [end for end in candidates if since <= endorsement_first_reminder_on(end) <= today]
    return [
        (f"permit_endorsement_{first}d", first_ends),
        (f"permit_endorsement_{last}d", _catch_up(today + datetime.timedelta(days=last))),
    ]


# The groups of year ends each sweep reads on a day, with their reminder kind: one statement per group (a call
# of permits.selectors.permit_holders_to_tell each).
PERMIT_SWEEP_GROUPS: dict[str, Callable[[datetime.date], list[tuple[str, list[datetime.date]]]]] = {
    "permit_endorsement_due": _endorsement_groups,
    "permit_lapsed": lambda today: [("permit_lapsed", _catch_up(today - datetime.timedelta(days=1)))],
}


def permit_sweep_days(sweep: str, today: datetime.date) -> list[datetime.date]:
    return sorted({day for _, days in PERMIT_SWEEP_GROUPS[sweep](today) for day in days})


def permit_sweep_kinds(sweep: str, today: datetime.date) -> list[str]:
    return [kind for kind, _ in PERMIT_SWEEP_GROUPS[sweep](today)]


def permit_sweep_newest(sweep: str, today: datetime.date) -> list[tuple[str, datetime.date]]:
    """The (kind, year end) pairs that ``today``'s run finds new once yesterday's run is recorded: the others
    are shared through the catch-up days."""
    yesterday = dict(PERMIT_SWEEP_GROUPS[sweep](today - datetime.timedelta(days=1)))
    return [
        (kind, day) for kind, days in PERMIT_SWEEP_GROUPS[sweep](today) for day in days
        if day not in yesterday.get(kind, [])
    ]  # fmt: skip


def permit_counts(floor: Floor, today: datetime.date) -> dict[str, int]:
    endorsement, lapsed = permit_sweep_days("permit_endorsement_due", today), permit_sweep_days("permit_lapsed", today)
    names = [
        "permits", "lapsed (year ended)", "ending on the days the endorsement sweep reads",
        "ending on the days the lapse sweep reads", "endorsements awaiting a caseworker", "endorsements approved",
        "holders with a login", "child holders with a guardian's login",
    ]  # fmt: skip
    row = floor.rows(
        """SELECT count(*), count(*) FILTER (WHERE p.valid_until < %(today)s),
                  count(*) FILTER (WHERE p.valid_until = ANY(%(endorsement)s::date[])),
                  count(*) FILTER (WHERE p.valid_until = ANY(%(lapsed)s::date[])),
                  (SELECT count(*) FROM residents_permitendorsement e JOIN residents_case c ON c.id = e.case_id
                    WHERE c.status = ANY(%(open)s)),
                  (SELECT count(*) FROM residents_permitendorsement WHERE endorsed_on IS NOT NULL),
                  count(*) FILTER (WHERE r.user_id IS NOT NULL),
                  count(*) FILTER (WHERE r.user_id IS NULL AND EXISTS (
                      SELECT 1 FROM residents_guardianlink g JOIN residents_resident gr ON gr.id = g.guardian_id
                       WHERE g.child_id = r.id AND gr.user_id IS NOT NULL))
             FROM residents_permit p JOIN residents_resident r ON r.id = p.holder_id""",
        {"today": today, "endorsement": endorsement, "lapsed": lapsed, "open": list(CASE_OPEN)},
    )[0]
    return dict(zip(names, row, strict=True))


def permit_reminders_delete(kinds: list[str], pairs: list[tuple[str, datetime.date]] | None) -> None:
    """Forget the permit reminders (with their notifications and deliveries): of these (kind, day) pairs, or
    every one of these kinds."""
    from django.db import transaction

    from notifications.models import Notification, Reminder

    with transaction.atomic():
        for kind, day in pairs if pairs is not None else [(kind, None) for kind in kinds]:
            notifications = Notification.objects.filter(dedupe_key__startswith=f"reminder:{kind}:")
            reminders = Reminder.objects.filter(kind=kind)
            if day is not None:
                notifications = notifications.filter(dedupe_key__endswith=f":{day.isoformat()}")
                reminders = reminders.filter(due_date=day)
            notifications.delete()  # with their deliveries
            reminders.delete()


def permit_rows_written(kinds: list[str], since: dict[str, int] | None = None) -> dict[str, int]:
    """How many reminders, notifications and deliveries of these kinds there are (less ``since``)."""
    from django.db.models import Q

    from notifications.models import Delivery, Notification, Reminder

    keys = Q()
    for kind in kinds:
        keys |= Q(dedupe_key__startswith=f"reminder:{kind}:")
    notifications = Notification.objects.filter(keys)
    deliveries = Delivery.objects.filter(notification__in=notifications)
    counts = {
        "reminders": Reminder.objects.filter(kind__in=kinds).count(),
        "notifications": notifications.count(),
        "deliveries": deliveries.count(),
        "sms": deliveries.filter(channel="sms").count(),
        "email": deliveries.filter(channel="email").count(),
        "sent": deliveries.filter(status="sent").count(),
    }
    return {key: value - (since or {}).get(key, 0) for key, value in counts.items()}


def outbox_drain() -> int:
    """Send every due delivery in this process, as the outbox sweep's workers would; returns how many."""
    from notifications.services import deliveries_due, delivery_send

    sent = 0
    while ids := deliveries_due():
        sent += sum(delivery_send(delivery_id=delivery_id) for delivery_id in ids)
    return sent


def deliveries_mark_sent(kinds: list[str]) -> None:
    """Take the deliveries of these reminder kinds as sent (those of yesterday's run, set up untimed)."""
    from django.db.models import Q
    from django.utils import timezone

    from notifications.models import Delivery

    keys = Q()
    for kind in kinds:
        keys |= Q(notification__dedupe_key__startswith=f"reminder:{kind}:")
    Delivery.objects.filter(keys, status="pending").update(status="sent", sent_at=timezone.now())


def outboxes_clear() -> None:
    """Empty the in-memory SMS and e-mail outboxes: the memory SMS backend looks through its whole outbox for
    a repeated idempotency key on every send, which would slow each run down by the runs before it."""
    from django.core import mail

    from notifications.channels import sms_outbox

    sms_outbox.clear()
    if hasattr(mail, "outbox"):
        mail.outbox.clear()


# --- the benchmarks --------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        from django.test import Client

        from accounts.models import User

        self.args = args
        self.floor = Floor()
        self.sample = sample_pick(self.floor)
        self.user = User.objects.get(pk=self.sample.caseworker_id)
        self.client = Client()
        self.client.force_login(self.user)
        self.results: list[Result] = []
        self.queries: dict[str, list[tuple[float, str]]] = {}
        self.plans: dict[str, str] = {}
        self.checks: list[str] = []
        self.evidence_rows: list[tuple[str, float, float]] = []
        self.permit_results: list[Result] = []
        self.permit_plans: dict[str, str] = {}
        self.permit_writes: dict[str, dict[str, int]] = {}
        self.permit_counts: dict[str, int] = {}
        self.permit_today: datetime.date | None = None

    def measure(
        self, fn: Callable[[], object], *, runs: int | None = None, cpu: list[float] | None = None
    ) -> list[float]:
        return timed(fn, runs=runs or self.args.runs, warmup=self.args.warmup, budget_s=self.args.budget, cpu=cpu)

    def get(self, url: str, *, follow: bool = False, client=None) -> Callable[[], bytes]:  # type: ignore[no-untyped-def]
        """One GET through the test Client (following the app's redirects when asked); must end in a 200."""
        client = client or self.client

        def once() -> bytes:
            response = client.get(url, follow=follow)
            if response.status_code != 200 or (follow and not response.redirect_chain):
                raise SystemExit(f"GET {url} answered {response.status_code} {getattr(response, 'redirect_chain', '')}")
            return response.content

        return once

    def explain_sql(self, sql: str) -> str:
        """A captured statement and its plan."""
        return f"-- {sql}\n{self.floor.explain(sql)}"

    def count_queries(self, name: str, fn: Callable[[], object]) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            fn()
        self.queries[name] = [(float(q["time"]), q["sql"]) for q in captured.captured_queries]
        return len(captured.captured_queries)

    def page(
        self, name: str, url: str, floor_sql: str, params: list, *, target_ms: float | None, ids: str,
        follow: bool = False, client=None,  # type: ignore[no-untyped-def]
    ) -> Result:  # fmt: skip
        """A page against the raw SQL for its rows; checks that both list the same rows.

        ``ids`` names the admin model whose change links identify the rows, or is a regular expression whose
        group is the row's key (the floor's first column).
        """
        once = self.get(url, follow=follow, client=client)
        result = Result(name, target_ms)
        result.queries = self.count_queries(name, once)
        html = once().decode()
        link = rf"/admin/residents/{ids}/(\d+)/change/" if ids.isidentifier() else ids
        page_ids = list(dict.fromkeys(re.findall(link, html)))
        floor_ids = [str(row[0]) for row in self.floor.rows(floor_sql, params)]
        same = page_ids == floor_ids
        result.note = f"{len(page_ids)} rows{'' if same else f' (floor: {len(floor_ids)}, different rows)'}"
        self.checks.append(f"{name}: page rows {'=' if same else '≠'} floor rows ({len(page_ids)}/{len(floor_ids)})")
        result.django, result.floor = timed_pair(
            once, self.floor.query(floor_sql, params), runs=self.args.runs, warmup=self.args.warmup,
            budget_s=self.args.budget, cpu=result.cpu,
        )  # fmt: skip
        self.plans[f"{name} — floor SQL"] = self.floor.explain(floor_sql, params)
        slowest = max(self.queries[name], key=lambda q: q[0])
        self.plans[f"{name} — slowest ORM query ({slowest[0] * 1000:.1f} ms)"] = self.explain_sql(slowest[1])
        return result

    def run(self) -> None:
        from django.test import override_settings

        s = self.sample
        pending = list(PENDING)
        print(f"caseworker {s.username} (streets {s.streets}); {s.counts}", flush=True)

        # Framework floor: a bare view, anonymous and as the logged-in caseworker.
        with override_settings(ROOT_URLCONF="bench.floor_urls"):
            for name, url in [("bare Django view (anonymous)", "/bench/bare/"),
                              ("bare Django view (session + user)", "/bench/bare-user/")]:  # fmt: skip
                result = Result(name, None)
                result.queries = self.count_queries(name, self.get(url))
                result.django = self.measure(self.get(url), cpu=result.cpu)
                self.results.append(result)
                self._print(result)
        # What a request pays first when it opens a connection: with DEBUG off, CONN_MAX_AGE defaults to 60 s,
        # so a process pays it about once a minute; with DATABASE_CONN_MAX_AGE=0, on every request. (The test
        # Client keeps its connection whatever the setting, so the pages below never pay it.)
        connect = Result("new database connection (127.0.0.1)", None)
        connect.floor = self.measure(self.floor.connect_once)
        self.results.append(connect)
        self._print(connect)

        # The queue: pending cases by default (StatusFilter, as "?status=pending"), one status, or every status.
        self._add(
            self.page(
                "queue 我的待办 (default page: pending)", "/admin/residents/case/", QUEUE_SQL, [s.streets, pending],
                target_ms=300, ids="case",
            )
        )  # fmt: skip
        self._add(
            self.page(
                "queue, status = submitted", "/admin/residents/case/?status=submitted", QUEUE_SQL,
                [s.streets, ["submitted"]], target_ms=300, ids="case",
            )
        )  # fmt: skip
        self._add(
            self.page(
                "queue, all statuses", "/admin/residents/case/?status=all", QUEUE_ALL_SQL, [s.streets],
                target_ms=300, ids="case",
            )
        )  # fmt: skip
        from residents.pii import id_number_hash

        digest = id_number_hash(s.id_number)
        self._add(
            self.page(
                "residents: search by ID number ¹", f"/admin/residents/resident/?q={s.id_number}",
                RESIDENT_BY_ID_SQL, [digest, s.streets], target_ms=100, ids="resident", follow=True,
            )
        )  # fmt: skip
        self._add(
            self.page(
                "cases: search by applicant ID number ¹", f"/admin/residents/case/?q={s.id_number}", CASE_BY_ID_SQL,
                [digest, s.streets], target_ms=100, ids="case", follow=True,
            )
        )  # fmt: skip
        self._add(
            self.page(
                f"residents: name prefix “{s.name_prefix}”", f"/admin/residents/resident/?q={s.name_prefix}",
                RESIDENT_BY_NAME_SQL, [s.name_prefix + "%", s.streets], target_ms=100, ids="resident",
            )
        )  # fmt: skip
        self._add(
            self.page(
                f"residents: commonest surname “{s.surname}”", f"/admin/residents/resident/?q={s.surname}",
                RESIDENT_BY_NAME_SQL, [s.surname + "%", s.streets], target_ms=100, ids="resident",
            )
        )  # fmt: skip
        self._add(self.my_cases())
        self._add(self.sweep())
        if not self.args.no_evidence and not self.args.with_proposed:
            print("app SQL without and with the proposed indexes (raw connection):", flush=True)
            self.evidence()

    def my_cases(self) -> Result:
        """我的申请 as a resident with a child: the page every applicant opens."""
        from django.test import Client
        from django.urls import reverse

        from accounts.models import User
        from bench.common import resident_login_ensure

        user_id, family = resident_login_ensure()
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        url = reverse("cases:case_list")
        try:
            return self.page(
                "我的申请 (a resident and their child)", url, MY_CASES_SQL, [family], target_ms=None,
                ids=rf'href="{re.escape(url)}([A-Z]{{2}}\d+)/"', client=client,
            )  # fmt: skip
        finally:
            client.logout()

    def evidence(self) -> None:
        """The statements for which an index is proposed (PROPOSED) as the app sends them, without and with the
        index (docs/PERFORMANCE.md). Measured here; nothing in the app is changed."""
        runs = max(3, self.args.runs // 3)
        for page, prefix, ddl in PROPOSED:
            sql = next((sql for _, sql in self.queries.get(page, []) if sql.startswith(prefix)), None)
            if sql is None:
                continue
            now = statistics.median(self.measure(self.floor.query(sql), runs=runs))
            with self.floor.experiment([*ddl, "ANALYZE residents_case", "ANALYZE residents_resident"]):
                then = statistics.median(self.measure(self.floor.query(sql), runs=runs))
                self.plans[f"proposed: {page} — its rows with the proposed index"] = self.explain_sql(sql)
            label = f"{page}: its rows"
            self.evidence_rows.append((label, now, then))
            print(f"  {label:<48} app {fmt_ms(now):>8} ms  with the index {fmt_ms(then):>7} ms", flush=True)

    def sweep(self) -> Result:
        from django.utils import timezone

        from cases.reminders import DUE_SOON
        from notifications.models import Notification, Reminder
        from notifications.reminders import sweeps_run

        today = timezone.localdate()

        def clean() -> None:
            keys = Notification.objects.filter(
                dedupe_key__startswith="reminder:case_digest:", dedupe_key__endswith=f":{today.isoformat()}"
            )
            keys.delete()  # with their deliveries
            Reminder.objects.filter(kind="case_digest", due_date=today).delete()

        issued: list[int] = []

        def once() -> None:
            issued.append(sweeps_run(today, only="case_digest")["case_digest"])

        result = Result("reminder sweep case_digest", 10_000)
        start = timezone.make_aware(datetime.datetime.combine(today, datetime.time(7, 0)))
        params = {"start": start, "until": start + DUE_SOON, "pending": list(PENDING)}
        floor_rows = self.floor.rows(DIGEST_SQL, params)
        clean()
        result.queries = self.count_queries(result.name, once)
        result.django, result.floor = timed_pair(
            once, self.floor.query(DIGEST_SQL, params), runs=self.args.sweep_runs, warmup=1,
            budget_s=self.args.budget * 3, cpu=result.cpu, before=clean,
        )  # fmt: skip
        clean()
        result.note = f"{issued[-1]} digests (floor: {len(floor_rows)} caseworkers)"
        self.plans[f"{result.name} — floor SQL"] = self.floor.explain(DIGEST_SQL, params)
        slowest = max(self.queries[result.name], key=lambda q: q[0])
        self.plans[f"{result.name} — slowest ORM query ({slowest[0] * 1000:.1f} ms)"] = self.explain_sql(slowest[1])
        return result

    # --- residence permits: the endorsement and lapse reminders --------------------------------------------

    def permit_reminders(self) -> None:
        """The permit sweeps over the loaded permits: each read against its raw SQL, then the whole issue
        (reminders, notifications, deliveries) on a fresh day, a second run the same day, and a first run."""
        from django.utils import timezone

        from permits.reminders import permit_endorsement_due, permit_lapsed

        today = timezone.localdate()
        self.permit_today = today
        self.permit_counts = permit_counts(self.floor, today)
        print(f"permits on {today}: {self.permit_counts}", flush=True)
        if not self.permit_counts["permits"]:
            raise SystemExit("no permits: run bench/load.py (with --permits) first")
        for sweep, read in (("permit_endorsement_due", permit_endorsement_due), ("permit_lapsed", permit_lapsed)):
            params = {"days": permit_sweep_days(sweep, today), "open": list(CASE_OPEN)}
            self._add_permit(self.permit_read(sweep, read, today, params))
            self.permit_issue(sweep, today, params)

    def permit_read(self, sweep: str, read: Callable, today: datetime.date, params: dict) -> Result:  # type: ignore[type-arg]
        """The sweep function itself (what it reads and the ReminderDue it builds) against the raw SQL."""
        name = f"{sweep}: the read"
        result = Result(name, PERMIT_READ_TARGET_MS)
        result.queries = self.count_queries(name, lambda: read(today))
        due = read(today)
        floor_rows = self.floor.rows(PERMIT_RECIPIENTS_SQL, params)
        ours = sorted((int(d.subject.split(":")[1]), d.recipient_id) for d in due)
        theirs = sorted((row[0], row[3]) for row in floor_rows)
        same = ours == theirs
        permits = len({permit for permit, _ in ours})
        result.note = f"{len(due):,} reminders, {permits:,} permits"
        result.note += "" if same else f" (floor: {len(theirs):,}, different)"
        self.checks.append(f"{name}: sweep rows {'=' if same else '≠'} floor rows ({len(ours)}/{len(theirs)})")
        result.django, result.floor = timed_pair(
            lambda: read(today), self.floor.query(PERMIT_RECIPIENTS_SQL, params), runs=self.args.runs,
            warmup=self.args.warmup, budget_s=self.args.budget, cpu=result.cpu,
        )  # fmt: skip
        self.permit_plans[f"{name} — floor SQL"] = self.floor.explain(PERMIT_RECIPIENTS_SQL, params)
        statements = [(seconds, sql) for seconds, sql in self.queries[name] if "residents_permit" in sql]
        for number, (seconds, sql) in enumerate(statements, start=1):
            label = f"{name} — its permits query {number} of {len(statements)} ({seconds * 1000:.1f} ms)"
            self.permit_plans[label] = self.explain_sql(sql)
        return result

    def permit_issue(self, sweep: str, today: datetime.date, params: dict) -> None:  # type: ignore[type-arg]
        """sweeps_run(today, only=sweep) as beat runs it.

        A fresh day in steady state: yesterday's run has recorded its reminders (the days it shares with today
        through the catch-up), so today's run records those of its newest days only; they are deleted again
        before each timed run. Rows only (CELERY_TASK_ALWAYS_EAGER off: the outbox sweep sends them, as in
        production), and then with the deliveries sent in this process as the outbox sweep's workers would (the
        same work as reminders_issue's sending after commit on the embedded default). Then the same run again
        (nothing new), and a first run with nothing recorded before (every day of the catch-up).
        """
        from django.test import override_settings

        from notifications.reminders import sweeps_run

        kinds = permit_sweep_kinds(sweep, today)
        newest = permit_sweep_newest(sweep, today)
        issued: list[int] = []

        def once() -> None:
            issued.append(sweeps_run(today, only=sweep)[sweep])

        def forget_today() -> None:
            permit_reminders_delete(kinds, newest)

        def forget_all() -> None:
            permit_reminders_delete(kinds, None)

        def once_and_send() -> None:
            once()
            outbox_drain()

        floor = self.floor.query(PERMIT_RECIPIENTS_SQL, params)
        forget_all()
        # Yesterday's run, its messages taken as sent. Every run here leaves sending to the outbox sweep
        # (CELERY_TASK_ALWAYS_EAGER off, as in production); the second row then sends in this process.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            sweeps_run(today - datetime.timedelta(days=1), only=sweep)
        deliveries_mark_sent(kinds)
        variants = [
            (f"{sweep}: issue, fresh day (rows; the outbox sweep sends)", once, False, forget_today,
             self.args.sweep_runs),
            (f"{sweep}: issue, fresh day, then its deliveries sent in-process", once_and_send, True, forget_today,
             self.args.sweep_runs),
            (f"{sweep}: second run the same day", once, False, None, self.args.sweep_runs),
            (f"{sweep}: first run, nothing recorded (rows)", once, False, forget_all,
             max(3, self.args.sweep_runs // 2)),
        ]  # fmt: skip
        for name, run, sends, forget, runs in variants:
            if sweep == "permit_lapsed" and sends:
                continue  # the same sending as above, for a tenth of the rows

            def before(forget: Callable[[], None] | None = forget) -> None:
                if forget:
                    forget()
                outboxes_clear()

            result = Result(name, PERMIT_ISSUE_TARGET_MS)
            with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
                before()
                written_before = permit_rows_written(kinds)
                result.queries = self.count_queries(name, run)
                written = permit_rows_written(kinds, since=written_before)
                result.django, result.floor = timed_pair(
                    run, floor, runs=runs, warmup=1, budget_s=self.args.budget * 3, cpu=result.cpu, before=before,
                )  # fmt: skip
            result.note = (
                f"{issued[-1]:,} reminders recorded; wrote {written['reminders']:,} reminders, "
                f"{written['notifications']:,} notifications, {written['deliveries']:,} deliveries"
                + (f", sent {written['sent']:,}" if sends else "")
            )
            self.permit_writes[name] = written
            self._add_permit(result)
        forget_all()

    def _add_permit(self, result: Result) -> None:
        self.permit_results.append(result)
        self._print(result)

    def _add(self, result: Result) -> None:
        self.results.append(result)
        self._print(result)

    def _print(self, r: Result) -> None:
        ratio = f"{r.ratio:.1f}×" if r.ratio else "—"
        verdict = {True: "pass", False: "FAIL", None: ""}[r.passed]
        print(
            f"{r.name:<44} django {fmt_ms(r.django_ms):>8} ms (cpu {fmt_ms(r.cpu_ms):>6})  "
            f"floor {fmt_ms(r.floor_ms):>7} ms  {ratio:>7}  "
            f"queries {'—' if r.queries is None else r.queries!s:>3}  {verdict}  {r.note}",
            flush=True,
        )


# --- report ----------------------------------------------------------------------------------------------


def report(bench: Bench, args: argparse.Namespace, started: float, load: tuple[float, float, float]) -> str:
    from django.conf import settings

    bare = next(r for r in bench.results if r.name == "bare Django view (session + user)")
    lines = [
        f"Measured {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"DEBUG={settings.DEBUG}; median of {args.runs} runs after {args.warmup} warm-up runs "
        f"(sweep: {args.sweep_runs} runs). Load average {load[0]:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at the end; {time.perf_counter() - started:.0f} s in all."
        + (
            " **With the proposed indexes** built for the run (`--with-proposed`): "
            + "; ".join(s for _, _, ddl in PROPOSED for s in ddl)
            + "."
            if args.with_proposed
            else ""
        ),
        "",
        "Data: "
        + ", ".join(f"{k} {v:,}" for k, v in bench.sample.counts.items())
        + f"; caseworker `{bench.sample.username}` covering streets {bench.sample.streets}.",
        "",
        "| Operation | Django (ms) | Python CPU (ms) | Floor (ms) | Ratio | Target | Result | Queries | Rows |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in bench.results:
        floor = fmt_ms(r.floor_ms) if r.floor else "—"
        ratio = f"{r.ratio:.1f}×" if r.ratio else "—"
        target = f"< {r.target_ms:,.0f} ms" if r.target_ms else "—"
        verdict = {True: "pass", False: "**FAIL**", None: ""}[r.passed]
        lines.append(
            f"| {r.name} | {fmt_ms(r.django_ms)} | {fmt_ms(r.cpu_ms)} | {floor} | {ratio} | {target} | {verdict} "
            f"| {'—' if r.queries is None else r.queries} | {r.note} |"
        )
    lines += [
        "",
        "¹ `GET ?q=<18-digit number>` answers 302 to `?q=idh:<keyed hash>` (no ID number in URLs); the time and "
        "the query count are of both requests.",
        "",
        f"Bare Django view with session and user: {fmt_ms(bare.django_ms)} ms — the part of every console "
        "page that is framework, not query.",
        "",
        "Checks: " + "; ".join(bench.checks) + ".",
        "",
        "Queries per page (each with its time in the captured run):",
        "",
    ]
    main_names = {r.name for r in bench.results}
    for name, queries in bench.queries.items():
        if name.startswith("bare") or name not in main_names:
            continue
        lines.append(f"- {name}: {len(queries)} queries, {sum(t for t, _ in queries) * 1000:.1f} ms in the database")
    if bench.evidence_rows:
        lines += [
            "",
            "Statements for which an index is proposed (docs/PERFORMANCE.md), as the app sends them, without and "
            "with the index (raw connection, median; the index built in a transaction that is rolled back):",
            "",
            "| Statement | Now (ms) | With the index (ms) |",
            "|---|---:|---:|",
        ]
        lines += [f"| {label} | {fmt_ms(now)} | {fmt_ms(then)} |" for label, now, then in bench.evidence_rows]
    lines += ["", "EXPLAIN (ANALYZE) of the key queries, summarised (scans used — execution time):", ""]
    lines += [f"- {name}: {plan_summary(plan)}" for name, plan in bench.plans.items()]
    return "\n".join(lines)


def result_rows(results: list[Result]) -> list[str]:
    lines = [
        "| Operation | Django (ms) | Python CPU (ms) | Floor (ms) | Ratio | Target | Result | Queries | Rows |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in results:
        floor = fmt_ms(r.floor_ms) if r.floor else "—"
        ratio = f"{r.ratio:.1f}×" if r.ratio else "—"
        target = f"< {r.target_ms:,.0f} ms" if r.target_ms else "—"
        verdict = {True: "pass", False: "**FAIL**", None: ""}[r.passed]
        lines.append(
            f"| {r.name} | {fmt_ms(r.django_ms)} | {fmt_ms(r.cpu_ms)} | {floor} | {ratio} | {target} | {verdict} "
            f"| {'—' if r.queries is None else f'{r.queries:,}'} | {r.note} |"
        )
    return lines


def report_permits(bench: Bench, args: argparse.Namespace, started: float, load: tuple[float, float, float]) -> str:
    """The generated block of "Endorsement reminders over 300 000 permits" in docs/PERFORMANCE.md."""
    from django.conf import settings

    lines = [
        f"Measured {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"DEBUG={settings.DEBUG}; the sweeps' day {bench.permit_today}; reads: median of {args.runs} runs after "
        f"{args.warmup} warm-up runs, issues: {args.sweep_runs} runs after one (first runs: "
        f"{max(3, args.sweep_runs // 2)}). Load average {load[0]:.1f} at start, {os.getloadavg()[0]:.1f} at the "
        f"end; {time.perf_counter() - started:.0f} s in all.",
        "",
        "Data: " + ", ".join(f"{k} {v:,}" for k, v in bench.permit_counts.items()) + ".",
        "",
        *result_rows(bench.permit_results),
        "",
        "Floor: the raw SQL of the same recipients (one statement, psycopg2), for the issues too (so their ratio is "
        "what recording and sending cost over the read).",
        "",
        "Checks: " + "; ".join(c for c in bench.checks if c.startswith("permit_")) + ".",
        "",
        "What one run wrote (the captured run of each row):",
        "",
    ]
    for name, written in bench.permit_writes.items():
        lines.append(
            f"- {name}: {written['reminders']:,} reminders, {written['notifications']:,} notifications, "
            f"{written['deliveries']:,} deliveries ({written['sms']:,} SMS, {written['email']:,} e-mail), "
            f"{written['sent']:,} sent in the run"
        )
    lines += ["", "Queries of each (with their time in the captured run):", ""]
    for r in bench.permit_results:
        queries = bench.queries.get(r.name, [])
        lines.append(
            f"- {r.name}: {len(queries):,} queries, {sum(t for t, _ in queries) * 1000:,.1f} ms in the database"
        )
    lines += ["", "EXPLAIN (ANALYZE) of the key queries, summarised (scans used — execution time):", ""]
    lines += [f"- {name}: {plan_summary(plan)}" for name, plan in bench.permit_plans.items()]
    return "\n".join(lines)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 — git from PATH
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=10,
        )  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607 — git from PATH
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        return out.stdout.strip() + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def doc_write(block: str, begin: str = BEGIN, end: str = END) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        text = f"{text.rstrip()}\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{begin}\n{block}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per operation (median reported)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sweep-runs", type=int, default=11)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds at most per measured loop")
    parser.add_argument(
        "--debug", choices=["on", "off"], default="off", help="DEBUG while measuring (off: as production)"
    )
    parser.add_argument(
        "--no-evidence", action="store_true", help="console: skip timing the statements with the proposed index"
    )
    parser.add_argument(
        "--with-proposed", action="store_true", help="build the proposed indexes for the run, drop them at the end"
    )
    parser.add_argument(
        "--part", choices=["all", "console", "permits", "housing", "points", "education"], default="all",
        help="the console pages and the case digest, permit reminders, rental housing, points, school places, or all",
    )  # fmt: skip
    parser.add_argument(
        "--import-runs", type=int, default=3, help="housing: timed imports of the 10 000-row file (0: pages only)"
    )
    parser.add_argument(
        "--import-profile-rows",
        type=int,
        default=1_000,
        help="housing: rows of the import run with every query captured",
    )
    parser.add_argument("--points-runs", type=int, default=5, help="points: timed runs of the ranking, the bulk read")
    parser.add_argument("--publish-runs", type=int, default=3, help="points: timed publications (0: none)")
    parser.add_argument("--education-runs", type=int, default=3, help="education: timed allocation runs")
    parser.add_argument("--write-doc", action="store_true", help="write the results into docs/PERFORMANCE.md")
    parser.add_argument("--plans", type=Path, help="write the full EXPLAIN output to this file")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    started = time.perf_counter()
    django_setup()
    from django.conf import settings

    # Before the first request, so that templates and the query log follow it. ALLOWED_HOSTS (with
    # 'testserver') and the demo keys were read with DEBUG on, as the loader used them.
    settings.DEBUG = args.debug == "on"
    bench_case_type_register()

    bench = Bench(args)
    console, permits = args.part in ("all", "console"), args.part in ("all", "permits")
    housing = HousingBench(bench) if args.part in ("all", "housing") else None
    points = PointsBench(bench) if args.part in ("all", "points") else None
    education = EducationBench(bench) if args.part in ("all", "education") else None
    try:
        if args.with_proposed:
            bench.floor.execute(
                [*PROPOSED_DROP, *(s for _, _, ddl in PROPOSED for s in ddl), "ANALYZE residents_case",
                 "ANALYZE residents_resident"]
            )  # fmt: skip
        if console:
            bench.run()
        if permits:
            bench.permit_reminders()
        if housing:
            housing.run()
        if points:
            points.run()
        if education:
            education.run()
    finally:
        bench.client.logout()
        if args.with_proposed:
            bench.floor.execute([*PROPOSED_DROP, "ANALYZE residents_case", "ANALYZE residents_resident"])
    blocks = []
    if console:
        blocks.append((report(bench, args, started, load), BEGIN, END))
    if permits:
        blocks.append((report_permits(bench, args, started, load), PERMITS_BEGIN, PERMITS_END))
    if housing:
        blocks.append((report_housing(housing, args, started, load), HOUSING_BEGIN, HOUSING_END))
    if points:
        blocks.append((report_points(points, args, started, load), POINTS_BEGIN, POINTS_END))
    if education:
        blocks.append((report_education(education, args, started, load), EDUCATION_BEGIN, EDUCATION_END))
    for block, _, _ in blocks:
        print()
        print(block)
    if args.plans:
        plans = {**bench.plans, **bench.permit_plans, **(housing.plans if housing else {})}
        plans |= points.plans if points else {}
        plans |= education.plans if education else {}
        args.plans.write_text("\n\n".join(f"== {k}\n{v}" for k, v in plans.items()) + "\n", encoding="utf-8")
        print(f"\nplans written to {args.plans}")
    if args.write_doc:
        for block, begin, end in blocks:
            doc_write(block, begin, end)
        print(f"results written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
