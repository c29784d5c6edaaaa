"""Seed the benchmark database at district scale with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean_bench \\
        .venv/bin/python bench/load.py --residents 1000000 --cases 300000 [--reset]

Creates the database if it is missing and migrates it, then loads communities under the sixteen streets,
caseworkers with their streets, residents (valid ID numbers, encrypted, hashed and masked with
residents.pii) and cases, each table with one ``COPY ... FROM STDIN`` fed from a generator. Encryption runs
in a process pool (``--workers``). Ends with VACUUM ANALYZE and moves the id sequences past the loaded rows.
Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import io
import itertools
import multiprocessing
import random
import sys
import time
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # the project root is on the path now
    BENCH_CASE_TYPE,
    BENCH_REFERENCE_PREFIX,
    CASEWORKER_PREFIX,
    INTAKE_USERNAME,
    django_setup,
    resident_login_ensure,
)

CHUNK = 5_000  # residents per work unit handed to the pool

# Common surnames, roughly by frequency (the first ones are far more common).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
SURNAME_WEIGHTS = list(itertools.accumulate(1.0 / (rank + 4) for rank in range(len(SURNAMES))))
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉志文辉斌波"
    "宇浩凯鹏飞俊峰林琳晓婷欣怡子涵梓轩雨萱佳琪嘉一诺子墨浩然思远"
)

# Where the district's migrants come from (GB/T 2260 province codes), with rough weights.
HOME_PROVINCES = [
    ("41", 14), ("51", 12), ("34", 11), ("36", 10), ("52", 9), ("43", 8), ("42", 7), ("45", 6), ("53", 6),
    ("50", 5), ("33", 5), ("37", 3), ("61", 2), ("13", 2), ("23", 1), ("62", 1), ("35", 1), ("14", 1),
]  # fmt: skip
PROVINCE_CODES = [code for code, _ in HOME_PROVINCES]
PROVINCE_WEIGHTS = list(itertools.accumulate(weight for _, weight in HOME_PROVINCES))

COMMUNITY_NAMES = [
    "府河", "鲁迅", "仓桥", "迎恩", "蕺山", "环山", "越都", "东街", "西小", "塔山", "百花", "凤凰", "延安", "胜利",
    "解放", "中兴", "投醪", "秋瑾", "王家", "偏门", "南池", "五云", "镜湖", "梅山",
]  # fmt: skip
ROADS = ["解放北", "中兴中", "人民西", "胜利东", "延安", "环城北", "投醪河", "凤林西", "二环北", "越东", "镜湖", "曲屯"]
COUNTIES = ["城关", "新华", "东风", "向阳", "红星", "永安", "太平", "和平", "长乐", "安平"]
EDUCATION = ["primary", "junior", "junior", "junior", "senior", "senior", "associate", "bachelor", "postgraduate"]

# Case statuses and their shares: most decided, about 15% pending (submitted or resubmitted).
CASE_STATUSES = [
    ("approved", 62), ("refused", 9), ("withdrawn", 5), ("draft", 4), ("needs_documents", 5),
    ("submitted", 12), ("resubmitted", 3),
]  # fmt: skip
STATUS_NAMES = [status for status, _ in CASE_STATUSES]
STATUS_WEIGHTS = list(itertools.accumulate(weight for _, weight in CASE_STATUSES))
DUE_IN = datetime.timedelta(days=15)

TZ = datetime.timezone(datetime.timedelta(hours=8))
NULL = "\\N"


# --- streaming COPY --------------------------------------------------------------------------------------


class IteratorFile(io.RawIOBase):
    """A read-only file over an iterator of byte strings, for cursor.copy_expert."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def copy_rows(cursor, table: str, columns: list[str], chunks: Iterable[bytes]) -> None:  # type: ignore[no-untyped-def]
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)"
    cursor.copy_expert(sql, IteratorFile(chunks), 1 << 16)


def ts(value: datetime.datetime | None) -> str:
    return NULL if value is None else value.isoformat(sep=" ")


# --- residents -------------------------------------------------------------------------------------------

RESIDENT_COLUMNS = [
    "id", "name", "id_number_ciphertext", "id_number_hash", "id_number_masked", "gender", "birth_date",
    "hukou_province", "hukou_address", "phone", "education", "community_id", "street_id", "address",
    "arrival_date", "archived_at", "archive_reason", "created_at", "updated_at",
]  # fmt: skip


# ID numbers are distinct by construction, so that chunks can be made independently: the 4-digit area code
# (digits 3-6) and the 3-digit sequence code (15-17) together encode the row's index; province and birth date
# are drawn at random. Room for AREAS * 1000 residents.
AREAS = 99 * 99


def id_number_for(index: int, rng: random.Random, today: datetime.date) -> str:
    """A valid 18-character ID number (GB 11643 check character), distinct for every ``index``."""
    from residents.pii import id_number_check_character

    province = PROVINCE_CODES[bisect.bisect(PROVINCE_WEIGHTS, rng.random() * PROVINCE_WEIGHTS[-1])]
    area = (index // 1000 * 7919 + 13) % AREAS  # a permutation of the areas (7919 is prime to 99 * 99)
    sequence = (index % 1000) * 337 % 1000  # a permutation of 000-999
    roll = rng.random()
    age = rng.randint(0, 17) if roll < 0.2 else rng.randint(18, 60) if roll < 0.95 else rng.randint(61, 85)
    birth = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
    first17 = f"{province}{area // 99 + 1:02d}{area % 99 + 1:02d}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)


def resident_chunk(spec: tuple[int, int, int, list[tuple[int, int, float]], str]) -> tuple[bytes, array]:
    """COPY text for one chunk of residents, and their street ids; runs in the pool.

    Everything is drawn from a generator seeded by the chunk, so a chunk is the same whichever process
    makes it. The ID number is encrypted, hashed and masked with residents.pii.
    """
    from residents.pii import PROVINCES, id_number_encrypt, id_number_hash, id_number_mask

    first_id, size, seed, communities, now_iso = spec
    rng = random.Random(seed)
    now = datetime.datetime.fromisoformat(now_iso)
    today = now.date()
    weights = list(itertools.accumulate(weight for _, _, weight in communities))
    streets = array("I")
    lines = []
    for row_id in range(first_id, first_id + size):
        number = id_number_for(row_id - 1, rng, today)
        community, street, _ = communities[bisect.bisect(weights, rng.random() * weights[-1])]
        streets.append(street)
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        surname = SURNAMES[bisect.bisect(SURNAME_WEIGHTS, rng.random() * SURNAME_WEIGHTS[-1])]
        given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
        adult = (today - birth).days >= 16 * 365
        phone = f"+861{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}" if adult else ""
        created = now - datetime.timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
        arrival = max(birth, created.date() - datetime.timedelta(days=rng.randint(0, 3650)))
        archived = created + datetime.timedelta(days=rng.randint(1, 300)) if rng.random() < 0.02 else None
        archived = archived if archived is None or archived < now else None
        lines.append(
            "\t".join(
                (
                    str(row_id),
                    surname + given,
                    id_number_encrypt(number),
                    id_number_hash(number),
                    id_number_mask(number),
                    "male" if int(number[16]) % 2 else "female",
                    birth.isoformat(),
                    number[:2],
                    f"{PROVINCES[number[:2]]}{rng.choice(COUNTIES)}县{rng.choice(COUNTIES)}镇",
                    phone,
                    rng.choice(EDUCATION) if adult else "primary",
                    str(community),
                    str(street),
                    f"{rng.choice(ROADS)}路 {rng.randint(1, 400)} 号 {rng.randint(1, 30)}幢{rng.randint(101, 2402)}室",
                    arrival.isoformat(),
                    ts(archived),
                    "迁出越城区" if archived else "",
                    ts(created),
                    ts(created),
                )
            )
        )
    return ("\n".join(lines) + "\n").encode(), streets


def residents_load(cursor, *, count: int, first_id: int, communities: list[tuple[int, int, float]],  # type: ignore[no-untyped-def]
                   seed: int, pool, now: datetime.datetime) -> array:  # fmt: skip
    """COPY ``count`` residents; returns each resident's street id (index = id - first_id) for the cases."""
    if first_id - 1 + count > AREAS * 1000:
        raise SystemExit(f"at most {AREAS * 1000:,} residents")
    specs = [
        (first_id + start, min(CHUNK, count - start), seed * 1_000_003 + start, communities, now.isoformat())
        for start in range(0, count, CHUNK)
    ]
    streets_of = array("I")

    def chunks() -> Iterator[bytes]:
        results = pool.imap(resident_chunk, specs) if pool is not None else map(resident_chunk, specs)
        for text, streets in results:
            streets_of.extend(streets)
            yield text

    copy_rows(cursor, "residents_resident", RESIDENT_COLUMNS, chunks())
    return streets_of


# --- cases -----------------------------------------------------------------------------------------------

CASE_COLUMNS = [
    "id", "case_type", "reference", "status", "submitted_at", "due_at", "notice_sent_at", "missing_documents",
    "notice_note", "decided_at", "decision_reason", "created_at", "updated_at", "applicant_id", "assigned_to_id",
    "opened_by_id", "street_id",
]  # fmt: skip


def case_rows(*, count: int, first_id: int, residents_first_id: int, streets_of: array,  # type: ignore[no-untyped-def]
              caseworkers_of: dict[int, list[int]], opened_by: int, seed: int, now: datetime.datetime,
              ) -> Iterator[bytes]:  # fmt: skip
    rng = random.Random(seed + 7)
    day_s = 86400
    lines: list[str] = []
    for offset in range(count):
        case_id = first_id + offset
        index = rng.randrange(len(streets_of))
        street = streets_of[index]
        status = STATUS_NAMES[bisect.bisect(STATUS_WEIGHTS, rng.random() * STATUS_WEIGHTS[-1])]
        submitted = due = notice = decided = None
        missing, note, reason = "[]", "", ""
        assignee = None
        if status in ("submitted", "resubmitted"):
            # Deadlines from twenty days ago to fifteen days ahead.
            due = now + datetime.timedelta(seconds=rng.randint(-20 * day_s, 15 * day_s))
            submitted = due - DUE_IN
            created = submitted - datetime.timedelta(seconds=rng.randint(0, 3 * day_s))
            if rng.random() < 0.7:
                assignee = rng.choice(caseworkers_of[street])
            if status == "resubmitted":
                notice = submitted + datetime.timedelta(seconds=rng.randint(day_s // 2, 3 * day_s))
                missing, note = '["other"]', "请补交居住证明。"
        elif status == "needs_documents":
            submitted = now - datetime.timedelta(seconds=rng.randint(1 * day_s, 40 * day_s))
            due, notice = submitted + DUE_IN, submitted + datetime.timedelta(seconds=rng.randint(3600, 3 * day_s))
            created = submitted - datetime.timedelta(seconds=rng.randint(0, 3 * day_s))
            missing, note, assignee = '["other"]', "请补交居住证明。", rng.choice(caseworkers_of[street])
        elif status == "draft":
            created = now - datetime.timedelta(seconds=rng.randint(0, 30 * day_s))
        else:  # decided or withdrawn, over the last two years
            submitted = now - datetime.timedelta(seconds=rng.randint(16 * day_s, 730 * day_s))
            due = submitted + DUE_IN
            created = submitted - datetime.timedelta(seconds=rng.randint(0, 3 * day_s))
            decided = submitted + datetime.timedelta(seconds=rng.randint(day_s // 4, 14 * day_s))
            assignee = rng.choice(caseworkers_of[street]) if status != "withdrawn" else None
            reason = "不符合申领条件：在本区居住未满半年。" if status == "refused" else ""
        updated = decided or notice or submitted or created
        lines.append(
            "\t".join(
                (
                    str(case_id), BENCH_CASE_TYPE, f"{BENCH_REFERENCE_PREFIX}{created:%Y%m%d}{case_id:07d}", status,
                    ts(submitted), ts(due), ts(notice), missing, note, ts(decided), reason, ts(created), ts(updated),
                    str(residents_first_id + index), NULL if assignee is None else str(assignee), str(opened_by),
                    str(street),
                )
            )
        )  # fmt: skip
        if len(lines) == CHUNK:
            yield ("\n".join(lines) + "\n").encode()
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode()


# --- fixtures made with the ORM (a few hundred rows) ----------------------------------------------------


def communities_ensure(per_street: int) -> list[tuple[int, int, float]]:
    """``per_street`` communities under every street; returns (community id, street id, weight).

    The city-centre streets (the first eight) are weighted as more populous than the outer ones.
    """
    from residents.choices import RegionKind
    from residents.models import Region

    rows = []
    for street in Region.objects.filter(kind=RegionKind.STREET).order_by("sort_order"):
        street_weight = 2.0 if street.sort_order <= 8 else 1.0
        for index in range(1, per_street + 1):
            community, _ = Region.objects.get_or_create(
                code=f"{street.code}{index:03d}",
                defaults={"name": f"{COMMUNITY_NAMES[(street.sort_order + index) % len(COMMUNITY_NAMES)]}社区",
                          "kind": RegionKind.COMMUNITY, "parent": street, "sort_order": index},
            )  # fmt: skip
            rows.append((community.pk, street.pk, street_weight / (1 + index % 5)))
    return rows


def caseworkers_ensure(extra_pairs: int) -> dict[int, list[int]]:
    """One caseworker per street, plus ``extra_pairs`` covering two neighbouring streets each.

    Returns the caseworker ids of every street.
    """
    from django.contrib.auth.models import Group

    from accounts.models import User
    from residents.choices import RegionKind
    from residents.models import Jurisdiction, Region

    group = Group.objects.get(name="caseworker")
    streets = list(Region.objects.filter(kind=RegionKind.STREET).order_by("sort_order"))
    covers = [[street] for street in streets]
    covers += [[streets[(2 * i) % len(streets)], streets[(2 * i + 1) % len(streets)]] for i in range(extra_pairs)]
    of_street: dict[int, list[int]] = {street.pk: [] for street in streets}
    for number, cover in enumerate(covers, start=1):
        user, created = User.objects.get_or_create(
            username=f"{CASEWORKER_PREFIX}{number:03d}",
            defaults={"is_staff": True, "email": f"{CASEWORKER_PREFIX}{number:03d}@bench.yuean.example.cn",
                      "phone": f"+86139000{number:05d}", "phone_verified": True},
        )  # fmt: skip
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        Jurisdiction.objects.bulk_create(
            [Jurisdiction(caseworker=user, street=street) for street in cover], ignore_conflicts=True
        )
        for street in cover:
            of_street[street.pk].append(user.pk)
    return of_street


def intake_user() -> int:
    from accounts.models import User

    user, created = User.objects.get_or_create(username=INTAKE_USERNAME, defaults={"is_active": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user.pk


# --- database --------------------------------------------------------------------------------------------


def database_ensure() -> None:
    """Create the database named in DATABASE_URL when it does not exist (connecting to 'postgres')."""
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    name = params.pop("dbname", None) or params.pop("database")
    params["dbname"] = "postgres"
    server = psycopg2.connect(**params)
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")
    finally:
        server.close()


def secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The table's indexes that back no constraint (primary key and unique constraints stay), with their DDL."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname""",
        [table],
    )
    return cursor.fetchall()


def foreign_keys_check(cursor, table: str) -> None:  # type: ignore[no-untyped-def]
    """One anti-join per foreign key: the set-based equivalent of the row triggers skipped during COPY."""
    cursor.execute(
        """SELECT c.conname, a.attname, c.confrelid::regclass::text, af.attname FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.conrelid = %s::regclass AND c.contype = 'f'""",
        [table],
    )
    for name, column, target, target_column in cursor.fetchall():
        cursor.execute(
            f"SELECT count(*) FROM {table} x WHERE x.{column} IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {target} y WHERE y.{target_column} = x.{column})"
        )
        (broken,) = cursor.fetchone()
        if broken:
            raise RuntimeError(f"{broken} rows of {table} break {name}")


def bulk_load(table: str, copy, *, lap, rebuild: bool) -> None:  # type: ignore[no-untyped-def]
    """COPY into ``table`` in one transaction, the usual way of bulk loading PostgreSQL.

    With ``rebuild``, indexes that back no constraint are dropped first and built again after (one sort
    each instead of a million insertions), and the foreign-key row triggers are skipped
    (session_replication_role, superuser only) in favour of one anti-join per key. A failure rolls all of
    it back, indexes included.
    """
    from django.db import connection, transaction

    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        skip_triggers = rebuild and cursor.fetchone()[0]
        indexes = secondary_indexes(cursor, table) if rebuild else []
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if skip_triggers:
            cursor.execute("SET LOCAL session_replication_role = replica")
        copy(cursor)
        t = lap(f"{table} COPY", t)
        if skip_triggers:
            cursor.execute("SET LOCAL session_replication_role = origin")
            foreign_keys_check(cursor, table)
            t = lap(f"{table} foreign keys", t)
        for _, ddl in indexes:
            cursor.execute(ddl)
        if indexes:
            t = lap(f"{table} {len(indexes)} indexes", t)
    lap(f"{table} commit", t)


RESET_TABLES = [
    "residents_casedocument", "residents_case", "residents_auditevent", "residents_guardianlink",
    "residents_resident",
]  # fmt: skip


def sequences_advance(cursor, tables: list[str]) -> None:  # type: ignore[no-untyped-def]
    for table in tables:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
            [table],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--communities-per-street", type=int, default=20)
    parser.add_argument("--caseworker-pairs", type=int, default=8, help="caseworkers covering two streets")
    parser.add_argument("--workers", type=int, default=2, help="processes encrypting ID numbers (1: in-process)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--reset", action="store_true", help="TRUNCATE residents, cases and audit first")
    parser.add_argument(
        "--keep-indexes", action="store_true", help="COPY into the indexed table with its triggers (slower)"
    )
    args = parser.parse_args(argv)

    django_setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str, since: float) -> float:
        timings[name] = time.perf_counter() - since
        print(f"  {name:<36} {timings[name]:8.1f} s", flush=True)
        return time.perf_counter()

    t = time.perf_counter()
    database_ensure()
    call_command("migrate", interactive=False, verbosity=0)
    t = lap("create/migrate", t)

    with connection.cursor() as cursor:
        if args.reset:
            # CASCADE: also empties tables added later that point at residents or cases (a new table with a
            # foreign key to them would otherwise make the TRUNCATE fail); PostgreSQL names them in a NOTICE.
            cursor.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")
            t = lap("reset (TRUNCATE)", t)
        cursor.execute("SELECT EXISTS (SELECT 1 FROM residents_resident), EXISTS (SELECT 1 FROM residents_case)")
        if any(cursor.fetchone()):
            print("residents or cases are already loaded; run again with --reset to reload", file=sys.stderr)
            return 2

    communities = communities_ensure(args.communities_per_street)
    caseworkers_of = caseworkers_ensure(args.caseworker_pairs)
    opened_by = intake_user()
    t = lap("communities, caseworkers", t)

    now = timezone.now().astimezone(TZ).replace(microsecond=0)
    connection.close()  # fork the encryption workers before opening the connection that COPYs
    pool = multiprocessing.get_context("fork").Pool(args.workers) if args.workers > 1 else None
    streets_of = array("I")
    try:

        def residents(cursor) -> None:  # type: ignore[no-untyped-def]
            streets_of.extend(
                residents_load(
                    cursor, count=args.residents, first_id=1, communities=communities, seed=args.seed, pool=pool,
                    now=now,
                )
            )  # fmt: skip

        bulk_load("residents_resident", residents, lap=lap, rebuild=not args.keep_indexes)
    finally:
        if pool is not None:
            pool.close()
            pool.join()

    def cases(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(
            cursor, "residents_case", CASE_COLUMNS,
            case_rows(count=args.cases, first_id=1, residents_first_id=1, streets_of=streets_of,
                      caseworkers_of=caseworkers_of, opened_by=opened_by, seed=args.seed, now=now),
        )  # fmt: skip

    bulk_load("residents_case", cases, lap=lap, rebuild=not args.keep_indexes)
    t = time.perf_counter()

    resident_login_ensure()
    with connection.cursor() as cursor:
        sequences_advance(cursor, ["residents_resident", "residents_case", "residents_region"])
        cursor.execute("VACUUM (ANALYZE) residents_resident")
        cursor.execute("VACUUM (ANALYZE) residents_case")
        cursor.execute("ANALYZE")
        t = lap("setval, VACUUM ANALYZE", t)
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('residents_resident')),"
            " pg_size_pretty(pg_total_relation_size('residents_case'))"
        )
        resident_size, case_size = cursor.fetchone()
    total = time.perf_counter() - started
    print(f"  {'total':<36} {total:8.1f} s")
    print(f"  sizes: residents {resident_size}, cases {case_size} (with indexes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
