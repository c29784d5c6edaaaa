"""The school-enrolment benchmarks of bench/run.py (``--part education``), over the rows of bench/load_education.py.

- The final allocation of a round of 50 000 approved applications, 200 schools and 10 ranked schools each:
  education.services.enrolment_allocation_run end to end (the round locked and read, the families' communities
  and verified points, the allocation, the run and its cut-offs, every result with its reason in two languages
  and its audit row, the notifications to the parents recorded in the outbox, the commit), against its floor:
  the pure allocation (education.allocation.allocate) on the same input. Each phase is timed by wrapping the
  service's internal functions for the run (module attributes patched and put back; nothing in the app is
  changed), every statement is counted and timed, and one more run is profiled (cProfile). Everything a run
  wrote is taken out again after it, the round put back to "open", and the tables written vacuumed, so every run
  starts from the same rows.
- The preview (enrolment_allocation_preview), against the same floor.
- Sending the parents' messages: a sample of the deliveries a run recorded sent in this process, as the outbox's
  workers (or, on the embedded default, the run's own request after commit) send them.
"""

from __future__ import annotations

import contextlib
import cProfile
import datetime
import io
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.load_education import EDU_ADMIN_USERNAME, ROUND_NAME
from kernel.memory import collector_paused

if TYPE_CHECKING:
    from bench.run import Bench, Result

EDUCATION_BEGIN, EDUCATION_END = "<!-- bench:education:begin -->", "<!-- bench:education:end -->"
RUN_TARGET_MS = 60_000  # issue #7: the whole allocation of 50 000 applicants within a minute
# The allocation is run from the admin (an action on the round) in a web request, and docker-compose runs gunicorn
# with its defaults: a sync worker is killed after 30 s.
REQUEST_LIMIT_MS = 30_000
RESULT_TEMPLATES = ("education.result_offered", "education.result_unplaced")
RESULT_REMINDER_KIND = "enrolment_result"
ALLOCATION_EVENT = "education.allocation_run"  # residents.choices.EnrolmentEvent.ENROLMENT_ALLOCATION_RUN
SEND_SAMPLE = 400  # deliveries sent to measure the cost of one
WRITTEN_TABLES = [
    "education_enrolmentresult", "education_allocationcutoff", "education_allocationrun", "residents_auditevent",
    "notifications_reminder", "notifications_notification", "notifications_delivery", "education_enrolmentround",
]  # fmt: skip


@dataclass
class EducationScene:
    round_id: int
    admin_id: int
    counts: dict[str, int] = field(default_factory=dict)


def scene_pick(floor: Any) -> EducationScene:
    """The round of bench/load_education.py and its administrator; what the round holds."""
    round_row = floor.rows(
        "SELECT id FROM education_enrolmentround WHERE name LIKE %s AND previous_id IS NULL ORDER BY id DESC LIMIT 1",
        [ROUND_NAME.split("{")[0] + "%"],
    )
    admin = floor.rows("SELECT id FROM accounts_user WHERE username = %s", [EDU_ADMIN_USERNAME])
    if not round_row or not admin:
        raise SystemExit("no school-enrolment round seeded: run bench/load_education.py first")
    scene = EducationScene(round_row[0][0], admin[0][0])
    names = [
        "residents", "cases", "applications of the round", "approved", "waiting for documents", "withdrawn",
        "preferences of the approved", "schools", "seats", "catchment communities", "guardians",
        "guardians with an eligible verified score",
    ]  # fmt: skip
    counts = floor.rows(
        """SELECT (SELECT count(*) FROM residents_resident), (SELECT count(*) FROM residents_case),
                  count(*), count(*) FILTER (WHERE c.status = 'approved' AND a.is_current),
                  count(*) FILTER (WHERE c.status = 'needs_documents' AND a.is_current),
                  count(*) FILTER (WHERE c.status = 'withdrawn'),
                  (SELECT count(*) FROM education_enrolmentpreference p
                     JOIN education_enrolmentapplication x ON x.case_id = p.application_id
                     JOIN residents_case y ON y.id = x.case_id
                    WHERE x.round_id = %(round)s AND x.is_current AND y.status = 'approved'),
                  (SELECT count(*) FROM education_roundschool WHERE round_id = %(round)s),
                  (SELECT sum(seats) FROM education_roundschool WHERE round_id = %(round)s),
                  (SELECT count(*) FROM education_school_catchment_communities x
                     JOIN education_roundschool s ON s.school_id = x.school_id WHERE s.round_id = %(round)s),
                  count(DISTINCT a.guardian_id),
                  count(DISTINCT a.guardian_id) FILTER (WHERE EXISTS (
                      SELECT 1 FROM points_pointsapplication p JOIN residents_case q ON q.id = p.case_id
                       WHERE q.applicant_id = a.guardian_id AND q.case_type = 'points' AND q.status = 'approved'
                         AND p.eligible AND p.scored_at IS NOT NULL))
             FROM education_enrolmentapplication a JOIN residents_case c ON c.id = a.case_id
            WHERE a.round_id = %(round)s""",
        {"round": scene.round_id},
    )[0]
    scene.counts = dict(zip(names, counts, strict=True))
    return scene


def run_undo(floor: Any, scene: EducationScene) -> None:
    """Take out what an allocation (final or preview) wrote and put the round back to "open": the next run starts
    from the same rows. Then vacuum what was written (each run writes some 300 000 rows)."""
    floor.conn.autocommit = False
    try:
        with floor.conn.cursor() as cursor:
            cursor.execute(
                """DELETE FROM notifications_delivery d USING notifications_notification n
                    WHERE d.notification_id = n.id AND n.template = ANY(%s)""",
                [list(RESULT_TEMPLATES)],
            )
            cursor.execute("DELETE FROM notifications_notification WHERE template = ANY(%s)", [list(RESULT_TEMPLATES)])
            cursor.execute("DELETE FROM notifications_reminder WHERE kind = %s", [RESULT_REMINDER_KIND])
            cursor.execute("DELETE FROM residents_auditevent WHERE event_type = %s", [ALLOCATION_EVENT])
            cursor.execute("DELETE FROM education_enrolmentresult WHERE round_id = %s", [scene.round_id])
            cursor.execute(
                """DELETE FROM education_allocationcutoff c USING education_allocationrun r
                    WHERE c.run_id = r.id AND r.round_id = %s""",
                [scene.round_id],
            )
            cursor.execute("DELETE FROM education_allocationrun WHERE round_id = %s", [scene.round_id])
            cursor.execute(
                """UPDATE education_enrolmentround SET status = 'open', seed = '', allocated_at = NULL,
                          published_at = NULL WHERE id = %s""",
                [scene.round_id],
            )
        floor.conn.commit()
    except BaseException:
        floor.conn.rollback()
        raise
    finally:
        floor.conn.autocommit = True
    floor.execute([f"VACUUM (ANALYZE) {table}" for table in WRITTEN_TABLES])


def written(floor: Any, scene: EducationScene) -> dict[str, Any]:
    """What a final run left: results by status, audit rows, reminders, notifications, deliveries by channel."""
    (results, offered, unplaced, audits, reminders, notifications) = floor.rows(
        """SELECT (SELECT count(*) FROM education_enrolmentresult WHERE round_id = %(round)s),
                  (SELECT count(*) FROM education_enrolmentresult WHERE round_id = %(round)s AND status = 'offered'),
                  (SELECT count(*) FROM education_enrolmentresult WHERE round_id = %(round)s AND status = 'unplaced'),
                  (SELECT count(*) FROM residents_auditevent WHERE event_type = %(event)s),
                  (SELECT count(*) FROM notifications_reminder WHERE kind = %(kind)s),
                  (SELECT count(*) FROM notifications_notification WHERE template = ANY(%(templates)s))""",
        {"round": scene.round_id, "event": ALLOCATION_EVENT, "kind": RESULT_REMINDER_KIND,
         "templates": list(RESULT_TEMPLATES)},
    )[0]  # fmt: skip
    deliveries = dict(
        floor.rows(
            """SELECT d.channel, count(*) FROM notifications_delivery d
                 JOIN notifications_notification n ON n.id = d.notification_id
                WHERE n.template = ANY(%s) GROUP BY d.channel ORDER BY d.channel""",
            [list(RESULT_TEMPLATES)],
        )
    )
    return {
        "results": results, "offered": offered, "unplaced": unplaced, "audit rows": audits, "reminders": reminders,
        "notifications": notifications, "deliveries": deliveries,
    }  # fmt: skip


# --- timing the phases ------------------------------------------------------------------------------------


@dataclass
class Phase:
    label: str
    depth: int
    owner: Any  # the module, class or object whose attribute is wrapped
    name: str
    per_call: bool = False  # called thousands of times: wall time only (process_time costs more than the call)


def phases_of_the_run() -> list[Phase]:
    """What enrolment_allocation_run does, as the functions it calls (the depth is the nesting in the report)."""
    from education import allocation, reasons, services
    from education.models import EnrolmentResult
    from notifications import services as notifications_services
    from notifications.models import Delivery, Notification, Reminder
    from points import selectors as points_selectors
    from residents import selectors as residents_selectors
    from residents.models import AuditEvent

    return [
        Phase("read the round (_round_input): applications, schools, preferences, communities, points", 0, services,
              "_round_input"),
        Phase("the guardians' verified points (points.selectors.resident_points_bulk)", 1, points_selectors,
              "resident_points_bulk"),
        Phase("allocate (_allocate): Applicant values with their tiers, then allocate", 0, services, "_allocate"),
        Phase("education.allocation.allocate (the pure algorithm)", 1, allocation, "allocate"),
        Phase("the run and its cut-offs (_run_record)", 0, services, "_run_record"),
        Phase("results and audit rows (_results_save)", 0, services, "_results_save"),
        Phase("explanations (Allocation.explain, one per application)", 1, allocation.Allocation, "explain",
              per_call=True),
        Phase("reasons in Chinese and English (ReasonTexts, one per application)", 1, reasons.ReasonTexts,
              "__call__", per_call=True),
        Phase("EnrolmentResult bulk_create", 1, EnrolmentResult.objects, "bulk_create"),
        Phase("AuditEvent bulk_create", 1, AuditEvent.objects, "bulk_create"),
        Phase("the parents told (_results_notify)", 0, services, "_results_notify"),
        Phase("who hears (resident_recipients)", 1, residents_selectors, "resident_recipients"),
        Phase("the outbox (notifications.services.reminders_issue)", 1, services, "reminders_issue"),
        Phase("how many were recorded before (_reminders_existing)", 2, notifications_services,
              "_reminders_existing"),
        Phase("Reminder bulk_create", 2, Reminder.objects, "bulk_create"),
        Phase("Notification bulk_create", 2, Notification.objects, "bulk_create"),
        Phase("Delivery bulk_create", 2, Delivery.objects, "bulk_create"),
    ]  # fmt: skip


@contextlib.contextmanager
def phases_timed(phases: list[Phase], into: dict[str, list[float]]) -> Iterator[None]:
    """Wrap each phase's function for the block; ``into[label]`` receives [wall s, CPU s, calls]."""
    saved = []
    for phase in phases:
        raw = vars(phase.owner).get(phase.name)  # the class's own function, or None for a bound method
        original = getattr(phase.owner, phase.name)
        totals = into.setdefault(phase.label, [0.0, 0.0, 0])

        def wrapper(*args: Any, _original: Any = original, _raw: Any = raw, _totals: list = totals,  # type: ignore[type-arg]
                    _per_call: bool = phase.per_call, _is_class: bool = isinstance(phase.owner, type),
                    **kwargs: Any) -> Any:  # fmt: skip
            call = _raw if _is_class else _original  # on a class, ``args`` starts with the instance
            start = time.perf_counter()
            start_cpu = 0.0 if _per_call else time.process_time()
            try:
                return call(*args, **kwargs)
            finally:
                _totals[0] += time.perf_counter() - start
                if not _per_call:
                    _totals[1] += time.process_time() - start_cpu
                _totals[2] += 1

        setattr(phase.owner, phase.name, wrapper)
        saved.append((phase, raw))
    try:
        yield
    finally:
        for phase, raw in reversed(saved):
            if raw is not None:
                setattr(phase.owner, phase.name, raw)
            else:  # a bound method of an instance (a manager's bulk_create): drop the instance's attribute
                delattr(phase.owner, phase.name)


@contextlib.contextmanager
def statements_timed(kinds: Counter[str], waited: Counter[str], slowest: list[tuple[float, str, Any]],
                     commits: list[float]) -> Iterator[None]:  # fmt: skip
    """Count and time every statement of the block by kind, keep the slowest SELECTs, time the commits."""
    from django.db import connection

    from bench.housing import commits_timed, query_kind

    def timed_execute(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - start
            kind = query_kind(sql)
            kinds[kind] += 1
            waited[kind] += seconds
            if kind.startswith("SELECT") and not many:
                slowest.append((seconds, sql, params))
                slowest.sort(key=lambda item: item[0], reverse=True)
                del slowest[5:]

    with connection.execute_wrapper(timed_execute), commits_timed(connection, commits):
        yield


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one call."""
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000


def recipients_joined(enrolment_round: Any) -> dict[int, list[int]]:
    """resident_recipients for the children of a round's approved applications, proposed in docs/PERFORMANCE.md:
    the same two reads, each joined to the round's applications instead of sent 50 000 ids."""
    from cases.choices import CaseStatus
    from education.models import EnrolmentApplication
    from residents.models import GuardianLink, Resident

    children = EnrolmentApplication.objects.filter(
        round=enrolment_round, is_current=True, case__status=CaseStatus.APPROVED
    ).values("child_id")
    recipients: dict[int, list[int]] = {}
    for child_id, user_id in Resident.objects.filter(
        pk__in=children, user__isnull=False, user__is_active=True
    ).values_list("pk", "user_id"):
        recipients[child_id] = [user_id]
    for child_id, user_id in (
        GuardianLink.objects.filter(child_id__in=children, guardian__user__isnull=False, guardian__user__is_active=True)
        .exclude(child__user__is_active=True)
        .order_by("id")
        .values_list("child_id", "guardian__user_id")
    ):
        recipients.setdefault(child_id, []).append(user_id)
    return recipients


def unnest_insert(model: Any, fields: list[Any], rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """Insert ``rows`` (one value per field, in ``fields`` order) with one statement: an array per column, each
    cast to its column's type, unnested side by side. JSON values are sent as text and cast."""
    import json

    from django.db import connection, models

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped""",
            [table],
        )
        types = dict(cursor.fetchall())
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
        arrays = []
        for f, values in zip(fields, columns, strict=True):
            if isinstance(f, models.JSONField):
                values = tuple(None if v is None else json.dumps(v, ensure_ascii=False) for v in values)
            arrays.append(list(values))
        casts = ", ".join(
            f"%s::{'text' if isinstance(f, models.JSONField) else types[f.column]}[]" for f in fields
        )  # fmt: skip
        selected = ", ".join(
            f"u.{f.column}::jsonb" if isinstance(f, models.JSONField) else f"u.{f.column}" for f in fields
        )
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(f.column for f in fields)}) "
            f"SELECT {selected} FROM unnest({casts}) AS u ({', '.join(f.column for f in fields)})",
            arrays,
        )


INSERT_WAYS = ("bulk_create", "unnest", "COPY")
INSERT_WAYS_LABELS = {"unnest": "one INSERT … SELECT FROM unnest", "COPY": "COPY"}
NULL_TEXT = "\\N"  # NULL in COPY's text format


def insert_fields(model: Any) -> list[Any]:
    return [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]


def copy_insert(model: Any, fields: list[Any], rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """Insert ``rows`` with COPY … FROM STDIN (text format), as bench/load.py loads."""
    import json

    from django.db import connection, models

    from bench.load import IteratorFile, copy_text

    def text(f: Any, value: Any) -> str:
        if value is None:
            return NULL_TEXT
        if isinstance(f, models.JSONField):
            return copy_text(json.dumps(value, ensure_ascii=False))
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        return copy_text(str(value))

    def blocks() -> Iterator[bytes]:
        for start in range(0, len(rows), 5_000):
            yield "".join(
                "\t".join(text(f, v) for f, v in zip(fields, row, strict=True)) + "\n"
                for row in rows[start : start + 5_000]
            ).encode()

    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {model._meta.db_table} ({', '.join(f.column for f in fields)}) FROM STDIN WITH (FORMAT text)",
            IteratorFile(blocks()),
            1 << 16,
        )


def copy_bulk_create(model: Any) -> Callable[..., list[Any]]:
    """A stand-in for ``model.objects.bulk_create`` that writes the instances with COPY (primary keys not read
    back: the run does not use those of its results and audit rows)."""

    def bulk_create(objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        fields = insert_fields(model)
        copy_insert(model, fields, [tuple(getattr(obj, f.attname) for f in fields) for obj in objs])
        return objs

    return bulk_create


def insert_rows(way: str, model: Any, fields: list[Any], rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """The rows (one value per field) inserted one of INSERT_WAYS; bulk_create makes the model instances first, as
    the service does."""
    if way == "bulk_create":
        model.objects.bulk_create(
            [model(**{f.attname: v for f, v in zip(fields, row, strict=True)}) for row in rows], batch_size=2_000
        )
    elif way == "unnest":
        unnest_insert(model, fields, rows)
    else:
        copy_insert(model, fields, rows)


def inserts_same(captured: dict[str, list[Any]]) -> str:
    """Insert the captured rows each way (in a transaction rolled back) and compare what the table then holds."""
    from django.db import connection, transaction

    from education.models import EnrolmentResult
    from residents.models import AuditEvent

    class Rollback(Exception):
        pass

    verdicts = []
    for label, model in (("EnrolmentResult", EnrolmentResult), ("AuditEvent", AuditEvent)):
        fields = insert_fields(model)
        rows = [tuple(getattr(obj, f.attname) for f in fields) for obj in captured[label]]
        columns = ", ".join(f"{f.column}::text" for f in fields)
        read = f"SELECT {columns} FROM {model._meta.db_table} ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
        tables = []
        for way in INSERT_WAYS:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {model._meta.db_table}")  # only the rows of the way tried
                    insert_rows(way, model, fields, rows)
                    cursor.execute(read)
                    tables.append(cursor.fetchall())
                    raise Rollback
            except Rollback:
                pass
        same = all(table == tables[0] for table in tables[1:])
        verdicts.append(f"{label} {'=' if same else '≠'} ({'/'.join(f'{len(t):,}' for t in tables)})")
    return "rows inserted by unnest and by COPY = by bulk_create: " + ", ".join(verdicts)


# --- the benchmark ------------------------------------------------------------------------------------------


class EducationBench:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.args = bench.args
        self.floor = bench.floor
        self.scene = scene_pick(self.floor)
        self.results: list[Result] = []
        self.checks: list[str] = []
        self.plans: dict[str, str] = {}
        self.written: dict[str, Any] = {}
        self.pure_ms: list[float] = []
        self.inputs_ms: list[float] = []
        self.phases: list[dict[str, list[float]]] = []  # per timed run
        self.statements: dict[str, Any] = {}
        self.profile: list[tuple[str, int, float, float]] = []
        self.profile_total_s = 0.0
        self.variants: list[tuple[str, float, float, float, float]] = []
        self.sending: dict[str, float] = {}
        self.preview_phases: dict[str, list[float]] = {}

    def run(self) -> None:
        print(f"education: {self.scene.counts}", flush=True)
        run_undo(self.floor, self.scene)  # whatever a run stopped half-way left
        try:
            self.check_and_pure()
            self.run_bench()
            self.preview_bench()
            self.variants_bench()
            self.recipients_bench()
            self.inserts_bench()
            self.profile_run()
            self.sending_bench()
        finally:
            run_undo(self.floor, self.scene)

    def _round(self) -> Any:
        from education.models import EnrolmentRound

        return EnrolmentRound.objects.get(pk=self.scene.round_id)

    def _service(self, *, preview: bool = False) -> Callable[[], Any]:
        from django.test import override_settings

        from accounts.models import User
        from education import services

        actor = User.objects.get(pk=self.scene.admin_id)

        def final() -> Any:
            # As in production: the deliveries are left to the outbox sweep (CELERY_TASK_ALWAYS_EAGER off); the
            # cost of sending them is measured on its own (sending_bench).
            with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
                return services.enrolment_allocation_run(actor=actor, enrolment_round=self._round())

        def dry() -> Any:
            return services.enrolment_allocation_preview(actor=actor, enrolment_round=self._round())

        return dry if preview else final

    # --- the check, and the pure allocation on the same input ---

    def check_and_pure(self) -> None:
        """One final run (not timed): what it wrote, and that its results are the pure allocation's for the same
        seed and input. Then the pure allocation timed on that input."""
        from education import services

        run = self._service()()
        self.written = written(self.floor, self.scene)
        enrolment_round = self._round()
        data = services._round_input(enrolment_round)
        result, _seconds = services._allocate(data, enrolment_round.seed)
        saved = dict(
            self.floor.rows(
                """SELECT c.reference, r.school_id FROM education_enrolmentresult r
                     JOIN residents_case c ON c.id = r.application_id WHERE r.round_id = %s""",
                [self.scene.round_id],
            )
        )
        pure = {ref: (int(school) if school is not None else None) for ref, school in result.assigned.items()}
        w = self.written
        channels = ", ".join(f"{n:,} {channel}" for channel, n in w["deliveries"].items())
        self.checks.append(
            f"final run: {run.applicants:,} applicants, {run.placed:,} placed, {run.unplaced:,} unplaced; "
            f"{w['results']:,} results ({w['offered']:,} offered, {w['unplaced']:,} unplaced), {w['audit rows']:,} "
            f"audit rows, {w['reminders']:,} reminders, {w['notifications']:,} notifications, deliveries {channels}; "
            f"the results saved {'=' if saved == pure else '≠'} the pure allocation's for the same seed and input "
            f"({len(saved):,}/{len(pure):,})"
        )
        print(f"  {self.checks[-1]}", flush=True)
        by_choice = run.stats.get("by_choice", {})
        self.checks.append(
            "placed by choice: "
            + ", ".join(f"{rank}: {n:,}" for rank, n in by_choice.items())
            + f"; {run.stats.get('schools_full', 0)} schools full; {run.stats.get('seats', 0):,} seats"
        )
        run_undo(self.floor, self.scene)

        # The floor: allocate alone on the same input; beside it, _allocate (the Applicant values built first).
        seed = enrolment_round.seed
        for _ in range(max(self.args.education_runs, 3)):
            start = time.perf_counter()
            _result, pure_s = services._allocate(data, seed)
            self.inputs_ms.append((time.perf_counter() - start) * 1000)
            self.pure_ms.append(pure_s * 1000)
        print(
            f"  pure allocate: median {statistics.median(self.pure_ms):,.0f} ms; with the inputs built "
            f"{statistics.median(self.inputs_ms):,.0f} ms",
            flush=True,
        )

    # --- the final run, end to end ---

    def run_bench(self) -> None:
        from bench.run import Result

        result = Result("enrolment_allocation_run, end to end", RUN_TARGET_MS)
        service = self._service()
        runs = []
        for _ in range(self.args.education_runs):
            phases: dict[str, list[float]] = {}
            kinds: Counter[str] = Counter()
            waited: Counter[str] = Counter()
            slowest: list[tuple[float, str, Any]] = []
            commits: list[float] = []
            with phases_timed(phases_of_the_run(), phases), statements_timed(kinds, waited, slowest, commits):
                wall, cpu = clock(service)
            run_undo(self.floor, self.scene)
            result.django.append(wall)
            result.cpu.append(cpu)
            result.floor.append(self.pure_ms[len(result.floor) % len(self.pure_ms)])
            phases["commit"] = [sum(commits), 0.0, len(commits)]
            self.phases.append(phases)
            runs.append((wall, kinds, waited, slowest, commits, cpu))
            print(f"  run: {wall / 1000:.1f} s (CPU {cpu / 1000:.1f} s), {sum(kinds.values())} statements", flush=True)
        # The statements of the median run.
        wall, kinds, waited, slowest, commits, cpu = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        result.queries = sum(kinds.values())
        self.statements = {
            "count": sum(kinds.values()), "wall_s": wall / 1000, "cpu_s": cpu / 1000,
            "db_s": sum(waited.values()) + sum(commits), "commit_s": sum(commits),
            "kinds": [(kind, kinds[kind], seconds) for kind, seconds in waited.most_common()],
        }  # fmt: skip
        explained = 0
        for seconds, sql, params in slowest:
            table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else "?"
            if table in WRITTEN_TABLES or explained == 3:  # a table written is empty again by now: no plan of it
                continue
            explained += 1
            self.plans[f"final run — {table} ({seconds * 1000:,.0f} ms in the run)"] = self.floor.explain(sql, params)
        result.note = (
            f"{self.scene.counts['approved']:,} applicants, {self.scene.counts['schools']} schools; floor: allocate "
            "alone"
        )
        self._add(result)

    def preview_bench(self) -> None:
        from bench.run import Result

        result = Result("enrolment_allocation_preview (dry run)", None)
        service = self._service(preview=True)
        phases = phases_of_the_run()[:5]  # the preview reads, allocates and records the run: nothing after
        for index in range(self.args.education_runs):
            kinds: Counter[str] = Counter()
            waited: Counter[str] = Counter()
            timed_phases: dict[str, list[float]] = {}
            with phases_timed(phases, timed_phases), statements_timed(kinds, waited, [], []):
                wall, cpu = clock(service)
            run_undo(self.floor, self.scene)
            result.django.append(wall)
            result.cpu.append(cpu)
            result.floor.append(self.pure_ms[index % len(self.pure_ms)])
            result.queries = sum(kinds.values())
            for label, values in timed_phases.items():
                self.preview_phases.setdefault(label, []).append(values[0])
        result.note = "read, allocate, the run and cut-offs; floor: allocate alone"
        self._add(result)

    # --- what a change would give, measured on the run itself ---

    def variants_bench(self) -> None:
        """The whole run as it is, with Python's cyclic garbage collector paused, and with the collector paused and
        the results and audit rows written by COPY (the two bulk_create calls of _results_save replaced for the
        run: the model instances are still made), alternating."""
        from education.models import EnrolmentResult
        from residents.models import AuditEvent

        service = self._service()

        def paused() -> None:
            with collector_paused():
                service()

        def paused_copy() -> None:
            managers = [EnrolmentResult.objects, AuditEvent.objects]
            for manager in managers:
                manager.bulk_create = copy_bulk_create(manager.model)  # type: ignore[method-assign]
            try:
                with collector_paused():
                    service()
            finally:
                for manager in managers:
                    del manager.bulk_create

        ways = [("as it is", service), ("collector paused", paused), ("collector paused, COPY", paused_copy)]
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in ways}
        for _ in range(max(2, self.args.education_runs // 2 + 1)):
            for label, fn in ways:
                samples[label].append(clock(fn))
                run_undo(self.floor, self.scene)
        now = samples["as it is"]
        for label, text in (
            ("collector paused", "enrolment_allocation_run → the collector paused for the run"),
            (
                "collector paused, COPY",
                "enrolment_allocation_run → the collector paused, results and audit rows by COPY",
            ),
        ):
            then = samples[label]
            row = (
                text,
                statistics.median(s[0] for s in now), statistics.median(s[1] for s in now),
                statistics.median(s[0] for s in then), statistics.median(s[1] for s in then),
            )  # fmt: skip
            self.variants.append(row)
            print(f"  {row[0]}: {row[1]:,.0f} → {row[3]:,.0f} ms (CPU {row[2]:,.0f} → {row[4]:,.0f})", flush=True)

    def recipients_bench(self) -> None:
        """Who hears about each result, as the run asks it (resident_recipients over the 50 000 children's ids, two
        IN lists of 50 000 parameters) and as proposed in docs/PERFORMANCE.md (the same two reads joined to the
        round's approved applications: no list of ids sent), alternating; both must give the same recipients."""
        from education.services import _round_input
        from residents.selectors import resident_recipients

        enrolment_round = self._round()
        children = [family.child_id for family in _round_input(enrolment_round).families.values()]
        ours, theirs = resident_recipients(children), recipients_joined(enrolment_round)
        self.checks.append(
            f"recipients read by a join: {'=' if ours == theirs else '≠'} resident_recipients' ({len(theirs):,} "
            f"children, {sum(len(users) for users in theirs.values()):,} recipients)"
        )
        now, then = [], []
        for _ in range(max(3, self.args.education_runs)):
            now.append(clock(lambda: resident_recipients(children)))
            then.append(clock(lambda: recipients_joined(enrolment_round)))
        row = (
            "resident_recipients(50 000 child ids) → the same reads joined to the round's applications",
            statistics.median(s[0] for s in now), statistics.median(s[1] for s in now),
            statistics.median(s[0] for s in then), statistics.median(s[1] for s in then),
        )  # fmt: skip
        self.variants.append(row)
        print(f"  {row[0]}: {row[1]:,.0f} → {row[3]:,.0f} ms (CPU {row[2]:,.0f} → {row[4]:,.0f})", flush=True)

    def inserts_bench(self) -> None:
        """The rows _results_save writes (the run's results and audit rows, captured from one run), inserted as the
        service does (model instances, bulk_create in batches of 2 000) and as proposed in docs/PERFORMANCE.md (one
        INSERT … SELECT FROM unnest of one array per column; COPY), each in a transaction rolled back (the table
        vacuumed after, untimed), alternating."""
        from django.db import transaction

        from education.models import EnrolmentResult
        from residents.models import AuditEvent

        captured = self._captured_rows()

        class Rollback(Exception):
            pass

        def rolled_back(fn: Callable[[], object], table: str) -> tuple[float, float]:
            timing = (0.0, 0.0)
            try:
                with transaction.atomic():
                    timing = clock(fn)
                    raise Rollback
            except Rollback:
                pass
            self.floor.execute([f"VACUUM {table}"])  # the next attempt meets no dead rows of this one
            return timing

        for label, model in (("EnrolmentResult", EnrolmentResult), ("AuditEvent", AuditEvent)):
            fields = insert_fields(model)
            rows = [tuple(getattr(obj, f.attname) for f in fields) for obj in captured[label]]
            ways = {way: (lambda way=way, model=model, fields=fields, rows=rows: insert_rows(way, model, fields, rows))
                    for way in INSERT_WAYS}  # fmt: skip
            samples: dict[str, list[tuple[float, float]]] = {way: [] for way in INSERT_WAYS}
            for _ in range(max(3, self.args.education_runs)):
                for way, fn in ways.items():
                    samples[way].append(rolled_back(fn, model._meta.db_table))
            now = samples["bulk_create"]
            for way in INSERT_WAYS[1:]:
                then = samples[way]
                row = (
                    f"{len(rows):,} {label} rows: bulk_create of model instances → {INSERT_WAYS_LABELS[way]}",
                    statistics.median(s[0] for s in now), statistics.median(s[1] for s in now),
                    statistics.median(s[0] for s in then), statistics.median(s[1] for s in then),
                )  # fmt: skip
                self.variants.append(row)
                print(f"  {row[0]}: {row[1]:,.0f} → {row[3]:,.0f} ms (CPU {row[2]:,.0f} → {row[4]:,.0f})", flush=True)
        self.checks.append(inserts_same(captured))

    def _captured_rows(self) -> dict[str, list[Any]]:
        """The results and audit rows one run gives to bulk_create (the run then taken out again)."""
        from education.models import EnrolmentResult
        from residents.models import AuditEvent

        captured: dict[str, list[Any]] = {}
        managers = [("EnrolmentResult", EnrolmentResult.objects), ("AuditEvent", AuditEvent.objects)]
        originals = {label: manager.bulk_create for label, manager in managers}
        for label, manager in managers:

            def capture(objs: Any, *args: Any, _label: str = label, **kwargs: Any) -> Any:
                objs = list(objs)
                if len(objs) > 1:  # the per-application rows, not the run's own audit row
                    captured[_label] = objs
                return originals[_label](objs, *args, **kwargs)

            manager.bulk_create = capture  # type: ignore[method-assign]
        try:
            self._service()()
        finally:
            for _label, manager in managers:
                del manager.bulk_create
        run_undo(self.floor, self.scene)
        return captured

    def profile_run(self) -> None:
        """One more run under cProfile: the functions with the most time of their own."""
        service = self._service()
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        service()
        profiler.disable()
        self.profile_total_s = time.perf_counter() - start
        stats = pstats.Stats(profiler, stream=io.StringIO())
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
        for (filename, line, function), (_primitive, calls, own, cumulative, _callers) in rows[:15]:
            where = filename.split("/site-packages/")[-1].split("/work/main/")[-1].split("/lib/python3.11/")[-1]
            self.profile.append((f"{where}:{line} {function}", calls, own, cumulative))
        run_undo(self.floor, self.scene)

    # --- sending the messages ---

    def sending_bench(self) -> None:
        """A run's deliveries recorded, then a sample of them sent here one by one (as the outbox's workers do, or
        on the embedded default the run's own process after commit): the cost of one, and of all of them."""
        from bench.run import outboxes_clear
        from notifications.models import Delivery
        from notifications.services import delivery_send

        self._service()()
        pending = Delivery.objects.filter(notification__template__in=RESULT_TEMPLATES, status="pending")
        total = pending.count()
        every = list(pending.order_by("id").values_list("id", flat=True))
        ids = every[:: max(total // SEND_SAMPLE, 1)][:SEND_SAMPLE]  # spread over the run's (SMS and e-mail)
        outboxes_clear()
        wall, cpu = clock(lambda: [delivery_send(delivery_id=i) for i in ids])
        sent = Delivery.objects.filter(pk__in=ids, status="sent").count()
        outboxes_clear()
        run_undo(self.floor, self.scene)
        self.sending = {"sample": len(ids), "sent": sent, "ms_each": wall / len(ids), "cpu_each": cpu / len(ids),
                        "deliveries": total}  # fmt: skip
        print(
            f"  sending: {sent}/{len(ids)} sent, {wall / len(ids):.1f} ms each (CPU {cpu / len(ids):.1f}); "
            f"{total:,} deliveries ≈ {total * wall / len(ids) / 1000:,.0f} s",
            flush=True,
        )

    def _add(self, result: Result) -> None:
        self.results.append(result)
        self.bench._print(result)


def phase_rows(education: EducationBench) -> list[str]:
    """The phases of the final run, median over the timed runs, nested as the service calls them."""
    from bench.run import fmt_ms

    runs = education.phases
    whole = education.results[0].django_ms if education.results else 0
    lines = ["| Phase | Wall (ms) | Python CPU (ms) | Share | Calls |", "|---|---:|---:|---:|---:|"]
    labels = [(p.label, p.depth, p.per_call) for p in phases_of_the_run()] + [("commit", 0, True)]
    for label, depth, per_call in labels:
        values = [run[label] for run in runs if label in run]
        if not values:
            continue
        wall = statistics.median(v[0] for v in values) * 1000
        cpu = "—" if per_call else fmt_ms(statistics.median(v[1] for v in values) * 1000)
        calls = int(statistics.median(v[2] for v in values))
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth + ("of which " if depth else "")
        share = f"{wall / whole:.0%}" if whole else "—"
        lines.append(f"| {indent}{label} | {fmt_ms(wall)} | {cpu} | {share} | {calls:,} |")
    return lines


def report_education(education: EducationBench, args: Any, started: float, load: tuple[float, float, float]) -> str:
    """The generated block of the school-enrolment section of docs/PERFORMANCE.md."""
    import os
    import platform

    from django.conf import settings

    from bench.run import fmt_ms, git_commit, plan_summary, result_rows

    s = education.statements
    sending = education.sending
    pure = statistics.median(education.pure_ms)
    lines = [
        f"Measured {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"DEBUG={settings.DEBUG}; {args.education_runs} runs of each after one (median), the tables written "
        f"vacuumed between runs. Load average {load[0]:.1f} at start, {os.getloadavg()[0]:.1f} at the end; "
        f"{time.perf_counter() - started:.0f} s in all.",
        "",
        "Data: " + ", ".join(f"{k} {v:,}" for k, v in education.scene.counts.items()) + ".",
        "",
        *result_rows(education.results),
        "",
        f"Floor: education.allocation.allocate alone on the same input (the round's Applicant and School values, "
        f"built beforehand): {fmt_ms(pure)} ms (median of {len(education.pure_ms)}); with the Applicant values and "
        f"their tiers built from the rows read (`_allocate`) {fmt_ms(statistics.median(education.inputs_ms))} ms. "
        "Targets: the whole run under 60 s (issue #7); the run is started from the admin in a web request, which "
        f"gunicorn's default sync worker ends at {REQUEST_LIMIT_MS // 1000} s.",
        "",
        "Checks: " + "; ".join(education.checks) + ".",
        "",
        "Where the final run's time goes (median of the timed runs; each phase is the service's own function, "
        "wrapped for the run; a phase called once per application is timed by wall clock only):",
        "",
        *phase_rows(education),
    ]
    if s:
        lines += [
            "",
            f"Statements of the final run (the median run): {s['count']:,}; {s['wall_s']:.1f} s in all, of which "
            f"{s['db_s']:.1f} s waiting for the database (the commit {s['commit_s']:.2f} s) and {s['cpu_s']:.1f} s "
            "of Python CPU (they overlap: the driver's own work counts in both). By time:",
            "",
            "| Statement | Count | Seconds |",
            "|---|---:|---:|",
            *[f"| `{kind}` | {count:,} | {seconds:.2f} |" for kind, count, seconds in s["kinds"] if seconds >= 0.005],
        ]
    if education.preview_phases:
        lines += ["", "The preview's phases (median): " + "; ".join(
            f"{label} {fmt_ms(statistics.median(values) * 1000)} ms"
            for label, values in education.preview_phases.items()
        ) + "."]  # fmt: skip
    if education.variants:
        lines += [
            "",
            "Changes measured on copies in bench/education.py (alternating with the app's code; the app unchanged):",
            "",
            "| Change | Now (ms) | CPU (ms) | With it (ms) | CPU (ms) |",
            "|---|---:|---:|---:|---:|",
            *[f"| {label} | {fmt_ms(a)} | {fmt_ms(b)} | {fmt_ms(c)} | {fmt_ms(d)} |"
              for label, a, b, c, d in education.variants],
        ]  # fmt: skip
    if sending:
        lines += [
            "",
            f"Sending: {sending['sent']:,} of a sample of {sending['sample']:,} deliveries sent one by one with "
            f"`delivery_send` (the in-memory SMS and e-mail backends), {sending['ms_each']:.1f} ms each (CPU "
            f"{sending['cpu_each']:.1f} ms): the run's {sending['deliveries']:,} deliveries would take about "
            f"{sending['deliveries'] * sending['ms_each'] / 1000:,.0f} s in one process.",
        ]
    if education.profile:
        lines += [
            "",
            f"cProfile of one final run ({education.profile_total_s:.1f} s under the profiler, which inflates small "
            "functions), by time of their own:",
            "",
            "| Function | Calls | Own (s) | With callees (s) |",
            "|---|---:|---:|---:|",
            *[f"| `{where}` | {calls:,} | {own:.2f} | {cum:.2f} |" for where, calls, own, cum in education.profile],
        ]
    if education.plans:
        lines += ["", "EXPLAIN (ANALYZE) of the slowest reads of the final run, summarised (scans used — time):", ""]
        lines += [f"- {name}: {plan_summary(plan)}" for name, plan in education.plans.items()]
    return "\n".join(lines)
