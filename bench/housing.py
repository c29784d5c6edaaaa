"""The rental-housing benchmarks of bench/run.py (``--part housing``), over the rows of bench/load_housing.py.

- Importing 10 000 move-ins from a file: an agency's CSV of existing residents into its verified flats,
  through housing.imports.tenancies_import end to end (reading the file, then every row through
  tenancy_report_move_in), against its floor: the same file parsed and hashed in Python, COPYed into a
  temporary table and written with set-based SQL (the same tenancies and registrations, the tenants'
  previous registrations ended and their address moved). After each run everything it wrote is taken out
  again (bench_housing_import keeps the tenants' state from before the first run), so every run starts
  from the same rows. A profile of one run gives the queries per row and the database's share.
- The landlord page with 2 000 tenancies: the dormitory's /housing/properties/<id>/ (and its ended-tenancies
  tab) as its landlord, against the raw SQL of the rows the page lists.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.common import AGENCY_USERNAME, LANDLORD_USERNAME

if TYPE_CHECKING:
    from bench.run import Bench, Result

HOUSING_BEGIN, HOUSING_END = "<!-- bench:housing:begin -->", "<!-- bench:housing:end -->"
IMPORT_ROWS = 10_000
IMPORT_TARGET_MS = 60_000  # the brief's bar for the per-row service path: a minute for 10 000 rows
PAGE_TARGET_MS = 300  # as the console pages
SNAPSHOT = "bench_housing_import"
HEADER = ["房屋编号", "身份证号", "姓名", "手机号", "入住日期", "租约到期日"]


@dataclass
class HousingScene:
    agency_id: int
    landlord_id: int
    dormitory_id: int
    flats: list[tuple[int, int]]  # the agency's flats: (id, capacity)
    counts: dict[str, int] = field(default_factory=dict)


def scene_pick(floor: Any) -> HousingScene:
    rows = floor.rows(
        """SELECT (SELECT id FROM accounts_user WHERE username = %s),
                  (SELECT id FROM accounts_user WHERE username = %s)""",
        [AGENCY_USERNAME, LANDLORD_USERNAME],
    )
    agency_id, landlord_id = rows[0]
    if agency_id is None or landlord_id is None:
        raise SystemExit("no housing seeded: run bench/load_housing.py first")
    flats = floor.rows(
        "SELECT id, max_occupants FROM housing_property WHERE owner_id = %s AND status = 'verified' ORDER BY id",
        [agency_id],
    )
    dormitory = floor.rows("SELECT id FROM housing_property WHERE owner_id = %s ORDER BY id LIMIT 1", [landlord_id])
    if sum(capacity for _, capacity in flats) < IMPORT_ROWS or not dormitory:
        raise SystemExit("the agency's flats hold fewer than 10 000 tenants: run bench/load_housing.py --reset")
    names = ["residents", "rental properties", "tenancies", "active tenancies", "agency flats", "dormitory tenancies",
             "dormitory tenancies active"]  # fmt: skip
    counts = floor.rows(
        """SELECT (SELECT count(*) FROM residents_resident), (SELECT count(*) FROM housing_property),
                  (SELECT count(*) FROM housing_tenancy),
                  (SELECT count(*) FROM housing_tenancy WHERE status = 'active'),
                  %s, (SELECT count(*) FROM housing_tenancy WHERE property_id = %s),
                  (SELECT count(*) FROM housing_tenancy WHERE property_id = %s AND status = 'active')""",
        [len(flats), dormitory[0][0], dormitory[0][0]],
    )[0]
    return HousingScene(agency_id, landlord_id, dormitory[0][0], flats, dict(zip(names, counts, strict=True)))


# --- the file and its tenants -----------------------------------------------------------------------------


def snapshot_ensure(floor: Any, today: datetime.date) -> None:
    """The 10 000 tenants and their state before any run (address, current registration), chosen once: adults
    not archived, registered for two months at least (the move-in dates of the file are later), living in no
    rental property yet; spread over the table (every 25th resident)."""
    floor.execute(
        [
            f"""CREATE TABLE IF NOT EXISTS {SNAPSHOT} (line integer PRIMARY KEY, resident_id bigint NOT NULL UNIQUE,
                community_id bigint, street_id bigint, address varchar(200) NOT NULL,
                updated_at timestamptz NOT NULL, registration_id bigint NOT NULL)"""
        ]
    )
    # Filled once, before the first import ever: afterwards it is what every run goes back to.
    if floor.rows(f"SELECT count(*) FROM {SNAPSHOT}")[0][0]:
        return
    floor.rows(
        f"""INSERT INTO {SNAPSHOT}
            SELECT row_number() OVER (ORDER BY r.id), r.id, r.community_id, r.street_id, r.address, r.updated_at, g.id
              FROM residents_resident r
              JOIN residents_residenceregistration g ON g.resident_id = r.id AND g.ended_on IS NULL
             WHERE r.id %% 25 = 7 AND r.archived_at IS NULL AND r.birth_date <= %(adult)s
               AND g.started_on <= %(settled)s
               AND NOT EXISTS (SELECT 1 FROM housing_tenancy t WHERE t.tenant_id = r.id
                                AND t.status IN ('active', 'declared'))
             ORDER BY r.id LIMIT %(rows)s RETURNING 1""",
        {"adult": today - datetime.timedelta(days=18 * 366), "settled": today - datetime.timedelta(days=60),
         "rows": IMPORT_ROWS},
    )  # fmt: skip


def import_file(floor: Any, scene: HousingScene, today: datetime.date) -> bytes:
    """The agency's CSV: each tenant with their ID number in clear (decrypted here, as the agency has it from
    the tenant's card), their name, a move-in date in the last three weeks, a lease end for half of them."""
    from residents.pii import id_number_decrypt

    tenants = floor.rows(
        f"""SELECT s.line, r.id_number_ciphertext, r.name FROM {SNAPSHOT} s
              JOIN residents_resident r ON r.id = s.resident_id ORDER BY s.line"""
    )
    places = [flat for flat, capacity in scene.flats for _ in range(capacity)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for line, ciphertext, name in tenants:
        moved_in = today - datetime.timedelta(days=line % 21)
        lease_end = (moved_in + datetime.timedelta(days=365)).isoformat() if line % 2 else ""
        writer.writerow([places[line - 1], id_number_decrypt(ciphertext), name, "", moved_in.isoformat(), lease_end])
    return buffer.getvalue().encode("utf-8")


def import_undo(floor: Any, scene: HousingScene) -> None:
    """Take out what an import (the app's or the floor's) wrote, and give the tenants back their address and
    registration: the next run starts from the same rows."""
    params = {"agency": scene.agency_id}
    floor.conn.autocommit = False
    try:
        with floor.conn.cursor() as cursor:
            cursor.execute(
                """DELETE FROM housing_tenancy t USING housing_property p
                    WHERE t.property_id = p.id AND p.owner_id = %(agency)s""",
                params,
            )
            cursor.execute("DELETE FROM housing_occupancyflag WHERE attempted_by_id = %(agency)s", params)
            cursor.execute(
                f"""DELETE FROM residents_residenceregistration g USING {SNAPSHOT} s
                     WHERE g.resident_id = s.resident_id AND g.registered_by_id = %(agency)s""",
                params,
            )
            cursor.execute(
                f"""UPDATE residents_residenceregistration g SET ended_on = NULL, end_reason = ''
                      FROM {SNAPSHOT} s WHERE g.id = s.registration_id AND g.ended_on IS NOT NULL"""
            )
            cursor.execute(
                f"""UPDATE residents_resident r SET community_id = s.community_id, street_id = s.street_id,
                           address = s.address, updated_at = s.updated_at
                      FROM {SNAPSHOT} s WHERE r.id = s.resident_id
                       AND (r.address, r.community_id) IS DISTINCT FROM (s.address, s.community_id)"""
            )
            cursor.execute("DELETE FROM residents_auditevent WHERE actor_id = %(agency)s", params)
        floor.conn.commit()
    except BaseException:
        floor.conn.rollback()
        raise
    finally:
        floor.conn.autocommit = True
    floor.execute(["ANALYZE housing_tenancy"])


def import_written(floor: Any, scene: HousingScene) -> list[tuple]:  # type: ignore[type-arg]
    """What an import left: (tenant, flat, move-in, lease end, registration's address and start), sorted."""
    return floor.rows(
        """SELECT t.tenant_id, t.property_id, t.move_in_date, t.lease_end_date, t.status, g.address, g.started_on,
                  r.address = g.address
             FROM housing_tenancy t JOIN housing_property p ON p.id = t.property_id
             JOIN residents_residenceregistration g ON g.id = t.registration_id
             JOIN residents_resident r ON r.id = t.tenant_id
            WHERE p.owner_id = %s ORDER BY t.tenant_id""",
        [scene.agency_id],
    )


# The floor: what the import writes, set-based, from a temporary table COPYed from the file.
FLOOR_STATEMENTS = [
    """CREATE TEMPORARY TABLE import_matched ON COMMIT DROP AS
       SELECT i.*, r.id AS resident_id FROM import_rows i JOIN residents_resident r ON r.id_number_hash = i.id_hash""",
    """UPDATE residents_residenceregistration g SET ended_on = m.move_in, end_reason = '变更居住地址'
         FROM import_matched m WHERE g.resident_id = m.resident_id AND g.ended_on IS NULL""",
    """INSERT INTO residents_residenceregistration (resident_id, community_id, street_id, address, basis, started_on,
              ended_on, end_reason, registered_by_id, registered_at)
       SELECT m.resident_id, p.community_id, p.street_id, p.address, 'rented', m.move_in, NULL, '', %(agency)s, now()
         FROM import_matched m JOIN housing_property p ON p.id = m.property_id""",
    """INSERT INTO housing_tenancy (property_id, tenant_id, status, source, move_in_date, lease_end_date,
              move_in_due_on, move_in_reported_at, reported_by_id, registration_id, created_at)
       SELECT m.property_id, m.resident_id, 'active', 'import', m.move_in, m.lease_end, m.due_on, now(), %(agency)s,
              g.id, now()
         FROM import_matched m
         JOIN residents_residenceregistration g ON g.resident_id = m.resident_id AND g.ended_on IS NULL""",
    """UPDATE residents_resident r SET community_id = p.community_id, street_id = p.street_id, address = p.address,
              updated_at = now()
         FROM import_matched m JOIN housing_property p ON p.id = m.property_id WHERE r.id = m.resident_id""",
]


def import_floor(floor: Any, content: bytes, scene: HousingScene) -> int:
    """The same file loaded the way a bulk loader would: parse and hash in Python, COPY, five statements."""
    from bench.load import NULL, IteratorFile
    from housing import workdays
    from residents.pii import id_number_hash

    calendar = workdays.calendar_for(range(2020, 2030))
    due: dict[str, str] = {}
    lines = []
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    next(reader)
    for flat, number, _name, _phone, moved_in, lease_end in reader:
        if moved_in not in due:
            due[moved_in] = workdays.working_days_after(
                datetime.date.fromisoformat(moved_in), calendar=calendar
            ).due_on.isoformat()
        row = (id_number_hash(number.upper()), flat, moved_in, lease_end or NULL, due[moved_in])
        lines.append("\t".join(row))
    floor.conn.autocommit = False
    try:
        with floor.conn.cursor() as cursor:
            cursor.execute(
                """CREATE TEMPORARY TABLE import_rows (id_hash varchar(64), property_id bigint, move_in date,
                   lease_end date, due_on date) ON COMMIT DROP"""
            )
            cursor.copy_expert(
                "COPY import_rows FROM STDIN WITH (FORMAT text)", IteratorFile([("\n".join(lines) + "\n").encode()])
            )
            for statement in FLOOR_STATEMENTS:
                cursor.execute(statement, {"agency": scene.agency_id})
        floor.conn.commit()
    except BaseException:
        floor.conn.rollback()
        raise
    finally:
        floor.conn.autocommit = True
    return len(lines)


def import_profile(content: bytes, scene: HousingScene, rows: int) -> dict[str, Any]:
    """One import of the file's first ``rows`` rows with every statement counted and timed (an execute
    wrapper: the query log rounds each to the millisecond): how many a row, of which kinds, and how much of
    the time went to waiting for the database (commits included)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from accounts.models import User
    from housing.imports import tenancies_import

    text = content.decode("utf-8").split("\r\n")
    part = ("\r\n".join(text[: rows + 1]) + "\r\n").encode()
    agency = User.objects.get(pk=scene.agency_id)
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
    start, start_cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed_execute), commits_timed(connection, commits):
        result = tenancies_import(actor=agency, upload=SimpleUploadedFile("bench.csv", part))
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    queries = sum(kinds.values())
    return {
        "rows": rows, "accepted": result.accepted, "queries": queries, "per_row": queries / rows,
        "kinds": [(kind, count, waited[kind]) for kind, count in kinds.most_common()], "wall_s": wall,
        "cpu_s": cpu, "db_s": sum(waited.values()) + sum(commits), "commits": len(commits),
        "commit_s": sum(commits),
    }  # fmt: skip


@contextlib.contextmanager
def commits_timed(connection: Any, into: list[float]) -> Iterator[None]:
    """Time the connection's commits (not statements: the execute wrapper does not see them) for the block."""
    original = connection._commit  # Django's own hook around the driver's commit

    def commit() -> None:
        start = time.perf_counter()
        try:
            original()
        finally:
            into.append(time.perf_counter() - start)

    connection._commit = commit
    try:
        yield
    finally:
        connection._commit = original


def query_kind(sql: str) -> str:
    """SAVEPOINT, RELEASE, or the statement and its table ("SELECT housing_property FOR UPDATE")."""
    head = sql.lstrip().split(None, 1)[0].upper()
    if head in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return head
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
    lock = " FOR UPDATE" if "FOR UPDATE" in sql else ""
    return f"{head} {table.group(1) if table else '?'}{lock}"


# --- the benchmark ------------------------------------------------------------------------------------------


class HousingBench:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.args = bench.args
        self.floor = bench.floor
        self.scene = scene_pick(self.floor)
        self.results: list[Result] = []
        self.checks: list[str] = []
        self.profile: dict[str, Any] = {}
        self.plans: dict[str, str] = {}
        self.page_queries: dict[str, list[tuple[float, str]]] = {}

    def run(self) -> None:
        print(f"housing: {self.scene.counts}", flush=True)
        if self.args.import_runs:
            self.import_bench()
        self.page_bench()

    # --- the import ---

    def import_bench(self) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.utils import timezone

        from accounts.models import User
        from bench.run import Result
        from housing.imports import tenancies_import

        today = timezone.localdate()
        scene = self.scene
        snapshot_ensure(self.floor, today)
        import_undo(self.floor, scene)  # whatever a run stopped half-way left
        content = import_file(self.floor, scene, today)
        agency = User.objects.get(pk=scene.agency_id)
        print(f"import: {IMPORT_ROWS:,} rows, {len(content) / 1024:,.0f} KB of CSV", flush=True)

        outcomes: list[Any] = []

        def service() -> None:
            outcomes.append(tenancies_import(actor=agency, upload=SimpleUploadedFile("入住名单.csv", content)))

        def floor() -> None:
            outcomes.append(import_floor(self.floor, content, scene))

        def undo() -> None:
            import_undo(self.floor, scene)

        result = Result(f"import {IMPORT_ROWS:,} move-ins from a CSV (tenancies_import)", IMPORT_TARGET_MS)
        # One run of each first, to check that both write the same rows; then the timed runs.
        service()
        app_rows = import_written(self.floor, scene)
        undo()
        floor()
        floor_rows = import_written(self.floor, scene)
        undo()
        app = outcomes[0]
        same = [row[:7] for row in app_rows] == [row[:7] for row in floor_rows] and all(r[7] for r in app_rows)
        self.checks.append(
            f"import: {app.accepted:,} accepted, {len(app.errors)} refused; the app's tenancies and registrations "
            f"{'=' if same else '≠'} the floor's ({len(app_rows):,}/{len(floor_rows):,})"
        )
        for _ in range(self.args.import_runs):
            undo()
            start, start_cpu = time.perf_counter(), time.process_time()
            service()
            result.django.append((time.perf_counter() - start) * 1000)
            result.cpu.append((time.process_time() - start_cpu) * 1000)
            undo()
            start = time.perf_counter()
            floor()
            result.floor.append((time.perf_counter() - start) * 1000)
            print(f"  run: app {result.django[-1] / 1000:.1f} s, floor {result.floor[-1]:.0f} ms", flush=True)
        undo()
        rate = IMPORT_ROWS / (result.django_ms / 1000) if result.django_ms else 0
        floor_rate = IMPORT_ROWS / (result.floor_ms / 1000) if result.floor_ms else 0
        result.note = f"{rate:,.0f} rows/s (floor {floor_rate:,.0f} rows/s)"
        self.bench._print(result)
        self.results.append(result)

        # The same with a commit after every row, as the import first did (COMMIT_EVERY = 1), once.
        from housing import imports

        per_row = Result(f"import {IMPORT_ROWS:,} move-ins, a commit after every row (once)", IMPORT_TARGET_MS)
        per_row.floor = result.floor
        grouped = imports.COMMIT_EVERY
        imports.COMMIT_EVERY = 1
        try:
            start, start_cpu = time.perf_counter(), time.process_time()
            service()
            per_row.django.append((time.perf_counter() - start) * 1000)
            per_row.cpu.append((time.process_time() - start_cpu) * 1000)
        finally:
            imports.COMMIT_EVERY = grouped
            undo()
        per_row.note = f"{IMPORT_ROWS / (per_row.django_ms / 1000):,.0f} rows/s"
        self.bench._print(per_row)
        self.results.append(per_row)

        profile_rows = min(IMPORT_ROWS, self.args.import_profile_rows)
        self.profile = import_profile(content, scene, profile_rows)
        undo()
        p = self.profile
        print(
            f"  profile of {profile_rows:,} rows: {p['queries']:,} queries ({p['per_row']:.1f} a row), "
            f"{p['db_s']:.1f} s waiting for the database of {p['wall_s']:.1f} s (cpu {p['cpu_s']:.1f} s)",
            flush=True,
        )

    # --- the landlord page ---

    def page_bench(self) -> None:
        """The dormitory's page (living there, then the moved-out tab) as its landlord, and for comparison the
        page of an ordinary flat as its owner; then the same with the proposed index built, and dropped again."""
        from django.test import Client
        from django.urls import NoReverseMatch, reverse

        from accounts.models import User

        scene = self.scene
        try:
            reverse("housing:property", args=[scene.dormitory_id])
        except NoReverseMatch:
            self.checks.append("landlord page: housing:property is not routed yet, not measured")
            return
        # An ordinary flat: verified, two people living there, one gone (the commonest kind of page).
        flat, owner = self.floor.rows(
            """SELECT p.id, p.owner_id FROM housing_property p WHERE p.status = 'verified' AND p.owner_id <> %s
                AND (SELECT count(*) FROM housing_tenancy t WHERE t.property_id = p.id AND t.status = 'active') = 2
                AND (SELECT count(*) FROM housing_tenancy t WHERE t.property_id = p.id AND t.status = 'ended') = 1
                ORDER BY p.id LIMIT 1""",
            [scene.agency_id],
        )[0]
        pages = [
            ("landlord page, 2 000 tenancies: living there", scene.landlord_id, scene.dormitory_id, "",
             TENANCIES_ACTIVE_SQL),
            ("landlord page, 2 000 tenancies: moved-out tab", scene.landlord_id, scene.dormitory_id, "?list=ended",
             TENANCIES_ENDED_SQL),
            ("landlord page, a flat with 2 tenants", owner, flat, "", TENANCIES_ACTIVE_SQL),
        ]  # fmt: skip
        clients: dict[int, Client] = {}
        for user_id in {user_id for _, user_id, *_ in pages}:
            clients[user_id] = Client()
            clients[user_id].force_login(User.objects.get(pk=user_id))
        try:
            self._bare_view(clients[scene.landlord_id])
            for name, user_id, prop, suffix, sql in pages:
                url = reverse("housing:property", args=[prop]) + suffix
                self._add_page(name, url, sql, prop, clients[user_id])
            self.floor.execute([*PROPOSED_PAGE_INDEX, "ANALYZE housing_tenancy"])
            try:
                for name, user_id, prop, suffix, sql in pages:
                    url = reverse("housing:property", args=[prop]) + suffix
                    self._add_page(f"{name}, with the proposed index", url, sql, prop, clients[user_id])
            finally:
                self.floor.execute([*PROPOSED_PAGE_INDEX_DROP, "ANALYZE housing_tenancy"])
        finally:
            for client in clients.values():
                client.logout()

    def _bare_view(self, client: Any) -> None:
        """The framework's own share of a page: a view that only loads the session and the user."""
        from django.test import override_settings

        from bench.run import Result

        result = Result("bare Django view (session + user)", None)
        with override_settings(ROOT_URLCONF="bench.floor_urls"):
            once = self.bench.get("/bench/bare-user/", client=client)
            result.queries = self.bench.count_queries(result.name, once)
            self.bench.queries.pop(result.name, None)
            result.django = self.bench.measure(once, cpu=result.cpu)
        self.results.append(result)
        self.bench._print(result)

    def _add_page(self, name: str, url: str, sql: str, prop: int, client: Any) -> None:
        from housing.views import TENANCIES_PER_PAGE

        bench = self.bench
        params = {"property": prop, "limit": TENANCIES_PER_PAGE}
        result = bench.page(name, url, sql, params, target_ms=PAGE_TARGET_MS, ids=r'id="tenancy-(\d+)"', client=client)
        # bench.page keeps its plans and queries with the console's: move them to this part's report.
        for key in [k for k in bench.plans if k.startswith(name)]:
            self.plans[key] = bench.plans.pop(key)
        self.page_queries[name] = bench.queries.pop(name, [])
        self.checks.append(bench.checks.pop())
        self.results.append(result)
        bench._print(result)


# The index proposed for the property page's keyset pages (docs/PERFORMANCE.md): the tenancies of one property
# in one status, newest first, read as one index range instead of the table's primary key backwards.
PROPOSED_PAGE_INDEX = ["CREATE INDEX bench_proposed_tenancy_page ON housing_tenancy (property_id, status, id)"]
PROPOSED_PAGE_INDEX_DROP = ["DROP INDEX IF EXISTS bench_proposed_tenancy_page"]


# The rows the property page lists, in its order (newest report first, a page of housing.views.TENANCIES_PER_PAGE),
# by raw SQL: the tenancies with their tenant's name and masked ID number.
TENANCIES_ACTIVE_SQL = """SELECT t.id, t.move_in_date, t.lease_end_date, t.status, t.source, r.name, r.id_number_masked
    FROM housing_tenancy t JOIN residents_resident r ON r.id = t.tenant_id
    WHERE t.property_id = %(property)s AND t.status = 'active' ORDER BY t.id DESC LIMIT %(limit)s"""
TENANCIES_ENDED_SQL = """SELECT t.id, t.move_in_date, t.moved_out_on, t.status, t.source, r.name, r.id_number_masked
    FROM housing_tenancy t JOIN residents_resident r ON r.id = t.tenant_id
    WHERE t.property_id = %(property)s AND t.status = 'ended' ORDER BY t.id DESC LIMIT %(limit)s"""


def report_housing(housing: HousingBench, args: Any, started: float, load: tuple[float, float, float]) -> str:
    """The generated block of the housing section of docs/PERFORMANCE.md."""
    import os
    import platform

    from django.conf import settings

    from bench.run import git_commit, plan_summary, result_rows

    p = housing.profile
    lines = [
        f"Measured {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit {git_commit()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"DEBUG={settings.DEBUG}; the import: {args.import_runs} runs after one (median), each alternating with "
        f"its floor; the pages: median of {args.runs} runs after {args.warmup}. Load average {load[0]:.1f} at "
        f"start, {os.getloadavg()[0]:.1f} at the end; {time.perf_counter() - started:.0f} s in all.",
        "",
        "Data: " + ", ".join(f"{k} {v:,}" for k, v in housing.scene.counts.items()) + ".",
        "",
        *result_rows(housing.results),
        "",
        "Floor of the import: the same file parsed and hashed in Python, COPYed into a temporary table, then five "
        "set-based statements (end the tenants' registrations, insert the new ones, insert the tenancies, move the "
        "residents' address) in one transaction; no audit rows, no per-row checks. Floor of the pages: the raw SQL "
        "of the rows listed.",
        "",
        "Checks: " + "; ".join(housing.checks) + ".",
    ]
    if p:
        per_row_ms = p["wall_s"] * 1000 / p["rows"]
        lines += [
            "",
            f"Profile of one import of {p['rows']:,} rows ({p['accepted']:,} accepted): {p['queries']:,} statements, "
            f"**{p['per_row']:.1f} a row**, and {p['commits']} commits ({p['rows'] // max(p['commits'], 1)} rows "
            f"each); {per_row_ms:.1f} ms a row in all, of which {p['db_s'] * 1000 / p['rows']:.1f} ms waiting for "
            f"the database (commits {p['commit_s'] * 1000 / p['rows']:.2f} ms) and {p['cpu_s'] * 1000 / p['rows']:.1f} "
            "ms of Python CPU (the two overlap: the driver's own work counts in both; the CPU is the ORM building and "
            "reading the statements, for the most part). A row's statements:",
            "",
            "| Statement | Per row | ms per row |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| `{kind}` | {count / p['rows']:.2f} | {seconds * 1000 / p['rows']:.2f} |"
            for kind, count, seconds in p["kinds"]
            if count >= p["rows"] // 10
        ]
    if housing.page_queries:
        lines += ["", "Queries per page (each with its time in the captured run):", ""]
        for name, queries in housing.page_queries.items():
            lines.append(
                f"- {name}: {len(queries)} queries, {sum(t for t, _ in queries) * 1000:.1f} ms in the database"
            )
    if housing.plans:
        lines += ["", "EXPLAIN (ANALYZE) of the key queries, summarised (scans used — execution time):", ""]
        lines += [f"- {name}: {plan_summary(plan)}" for name, plan in housing.plans.items()]
    return "\n".join(lines)
