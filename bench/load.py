"""Seed the benchmark database at district scale with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean_bench \\
        .venv/bin/python bench/load.py --residents 1000000 --cases 300000 [--reset]

Creates the database if it is missing and migrates it, then loads communities under the sixteen streets,
caseworkers with their streets, residents (valid ID numbers, encrypted, hashed and masked with
residents.pii) with the logins of some of them, cases, and ``--permits`` residence permits (each with its
delivered application case, its completed years' endorsements and, for some, an endorsement awaiting a
caseworker), each table with one ``COPY ... FROM STDIN`` fed from a generator; then every resident's
residence registration (one INSERT ... SELECT from the residents). Encryption runs in a process pool
(``--workers``). Ends with VACUUM ANALYZE and moves the id sequences past the loaded rows. Deterministic for
a given ``--seed``.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import datetime
import io
import itertools
import json
import multiprocessing
import random
import sys
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # the project root is on the path now
    BENCH_CASE_TYPE,
    BENCH_REFERENCE_PREFIX,
    CASEWORKER_PREFIX,
    INTAKE_USERNAME,
    LOGIN_PREFIX,
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


def copy_text(value: str) -> str:
    """A value in COPY's text format (backslash, tab and newlines escaped)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def ts(value: datetime.datetime | None) -> str:
    return NULL if value is None else value.isoformat(sep=" ")


# --- residents -------------------------------------------------------------------------------------------

RESIDENT_COLUMNS = [
    "id", "name", "id_number_ciphertext", "id_number_hash", "id_number_masked", "gender", "birth_date",
    "hukou_province", "hukou_address", "phone", "education", "community_id", "street_id", "address",
    "arrival_date", "archived_at", "archive_reason", "created_at", "updated_at", "user_id",
]  # fmt: skip
USER_COLUMNS = [
    "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
    "is_active", "date_joined", "phone", "phone_verified", "language",
]  # fmt: skip

# Permit holders: residents registered for long enough (half a year before their first application, which
# was up to three years ago), 4 % of them children applying through a guardian; 3 % of the adult holders
# applied at the window and have no login (no reminder reaches them). Besides holders and guardians, 15 % of
# the other adults have a login. A login's id is USER_ID_BASE + the resident's id, so that a chunk can set
# the resident's user_id without a round trip; its mobile number (unique) is derived from the same id.
HOLDER_REGISTERED_BEFORE = datetime.timedelta(days=3 * 365 + 250)
CHILD_HOLDERS = 0.04
HOLDERS_WITHOUT_LOGIN = 0.03
OTHER_LOGINS = 0.15
USER_ID_BASE = 10_000_000


def login_phone(row_id: int) -> str:
    return f"+86170{row_id:08d}"


class Person(NamedTuple):
    """What the drawing of holders and logins needs to know of a resident of the chunk."""

    row_id: int
    age_days: int
    present: bool  # not archived
    arrival: datetime.date
    community: int
    street: int
    created: datetime.datetime


class Holder(NamedTuple):
    """A permit holder as the permit rows need them."""

    row_id: int
    street: int
    name: str
    phone: str
    address: str
    child: bool
    opened_by: int | None  # the login that applied (the holder's, a child's guardian's), None at the window


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


def resident_chunk(spec: tuple) -> tuple[bytes, bytes, array, list[Holder], list[tuple[int, int]]]:
    """COPY text for one chunk of residents and of their logins, the residents' street ids, the chunk's permit
    holders and the guardian links of the child holders; runs in the pool.

    Everything is drawn from a generator seeded by the chunk, so a chunk is the same whichever process
    makes it. The ID number is encrypted, hashed and masked with residents.pii. Who holds a permit and who
    has a login is drawn afterwards from a second generator, so the residents' own columns are the same as
    without permits (only the login holders' mobile number and user id are set).
    """
    from residents.pii import PROVINCES, id_number_encrypt, id_number_hash, id_number_mask

    first_id, size, seed, communities, now_iso, adult_quota, child_quota = spec
    rng = random.Random(seed)
    now = datetime.datetime.fromisoformat(now_iso)
    today = now.date()
    weights = list(itertools.accumulate(weight for _, _, weight in communities))
    streets = array("I")
    rows: list[list[str]] = []
    people: list[Person] = []
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
        rows.append(
            [
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
                NULL,  # user_id, set below for the residents with a login
            ]
        )
        people.append(Person(row_id, (today - birth).days, archived is None, arrival, community, street, created))

    # Permit holders, logins and guardians, drawn after the residents from a generator of their own.
    pick = random.Random(seed ^ 0x5EED)
    registered_before = today - HOLDER_REGISTERED_BEFORE
    long_stay = [p for p in people if p.present and p.arrival <= registered_before]
    adults = [p for p in long_stay if p.age_days >= 18 * 365]
    children = [p for p in long_stay if 6 * 365 <= p.age_days < 16 * 365]
    adult_holders = pick.sample(adults, min(adult_quota, len(adults)))
    child_holders = pick.sample(children, min(child_quota, len(children)))
    logins = {p.row_id for p in adult_holders if pick.random() >= HOLDERS_WITHOUT_LOGIN}
    # Each child holder's guardian: an adult at least 18 years older, of the same community where there is one.
    grown = [p for p in people if p.present and p.age_days >= 22 * 365]
    links: list[tuple[int, int]] = []
    guardian_of: dict[int, int] = {}
    for child in child_holders:
        older = [p for p in grown if p.age_days >= child.age_days + 18 * 365]
        near = [p for p in older if p.community == child.community] or older
        if near:
            guardian = pick.choice(near)
            guardian_of[child.row_id] = guardian.row_id
            links.append((guardian.row_id, child.row_id))
            logins.add(guardian.row_id)
    logins |= {p.row_id for p in people if p.present and p.age_days >= 18 * 365 and pick.random() < OTHER_LOGINS}

    users = []
    for p in people:
        if p.row_id not in logins:
            continue
        row = rows[p.row_id - first_id]
        row[9] = login_phone(p.row_id)  # the resident's mobile number is the one they sign in with
        row[19] = str(USER_ID_BASE + p.row_id)
        joined = p.created + (now - p.created) * pick.random()
        email = f"{LOGIN_PREFIX}{p.row_id:07d}@mail.bench.yuean.example.cn" if pick.random() < 0.3 else ""
        language = "en" if pick.random() < 0.02 else "zh-hans"
        users.append(
            "\t".join(
                (str(USER_ID_BASE + p.row_id), "!", NULL, "f", f"{LOGIN_PREFIX}{p.row_id:07d}", "", "", email, "f",
                 "t", ts(joined), login_phone(p.row_id), "t", language)
            )
        )  # fmt: skip
    holders = []
    for p in sorted([*adult_holders, *child_holders], key=lambda p: p.row_id):
        row = rows[p.row_id - first_id]
        guardian = guardian_of.get(p.row_id)
        opened_by = USER_ID_BASE + (guardian if guardian else p.row_id) if (guardian or p.row_id in logins) else None
        holders.append(Holder(p.row_id, p.street, row[1], row[9], row[13], p.age_days < 16 * 365, opened_by))
    resident_text = ("\n".join("\t".join(row) for row in rows) + "\n").encode()
    user_text = ("\n".join(users) + "\n").encode() if users else b""
    return resident_text, user_text, streets, holders, links


@dataclass
class Loaded:
    """What the residents' load hands on to the later tables."""

    streets_of: array = field(default_factory=lambda: array("I"))  # each resident's street (index = id - 1)
    holders: list[Holder] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (guardian, child) of the child holders
    logins: int = 0


def residents_load(cursor, *, count: int, first_id: int, communities: list[tuple[int, int, float]],  # type: ignore[no-untyped-def]
                   seed: int, pool, now: datetime.datetime, permits: int, loaded: Loaded) -> None:  # fmt: skip
    """COPY ``count`` residents, then their logins (accounts_user) in the same transaction.

    ``permits`` residents are picked as permit holders, spread over the chunks in proportion to their size
    (a share of them children with a guardian); ``loaded`` receives the street ids, the holders and the links.
    """
    if first_id - 1 + count > AREAS * 1000:
        raise SystemExit(f"at most {AREAS * 1000:,} residents")

    def quota(upto: int, share: float) -> int:
        return round(upto * permits * share / count)

    specs = []
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        children = quota(stop, CHILD_HOLDERS) - quota(start, CHILD_HOLDERS)
        adults = max(quota(stop, 1.0) - quota(start, 1.0) - children, 0)
        specs.append(
            (first_id + start, stop - start, seed * 1_000_003 + start, communities, now.isoformat(), adults, children)
        )
    users: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        results = pool.imap(resident_chunk, specs) if pool is not None else map(resident_chunk, specs)
        for text, user_text, streets, holders, links in results:
            loaded.streets_of.extend(streets)
            loaded.holders.extend(holders)
            loaded.links.extend(links)
            users.append(user_text)
            yield text

    copy_rows(cursor, "residents_resident", RESIDENT_COLUMNS, chunks())
    loaded.logins = sum(text.count(b"\n") for text in users)
    copy_rows(cursor, "accounts_user", USER_COLUMNS, users)


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


# --- residence permits -----------------------------------------------------------------------------------

PERMIT_COLUMNS = [
    "id", "number", "issued_on", "valid_until", "continuity_restarted_on", "card_serial", "verify_token",
    "created_at", "application_id", "holder_id", "permit_type_id",
]  # fmt: skip
APPLICATION_COLUMNS = [
    "case_id", "replacement_reason", "delivery_method", "recipient_name", "recipient_phone", "delivery_address",
    "courier", "tracking_number", "dispatched_at", "delivered_at", "permit_id", "permit_type_id", "documents",
]  # fmt: skip
ENDORSEMENT_COLUMNS = [
    "case_id", "applied_on", "year_ending", "late", "endorsed_on", "valid_until_after", "automatic", "permit_id",
]  # fmt: skip
GUARDIAN_LINK_COLUMNS = ["relation", "created_at", "child_id", "guardian_id"]

# Of the permits, 3 % lapsed: their year ended in the last 60 days without an endorsement (suspended). The
# others end evenly over the next 365 days. Of those whose endorsement window is open (the month before the
# year ends) 8 % have asked for it and wait for a caseworker, and so do 15 % of the lapsed ones (late): their
# holders' registrations have ended, so the endorsement was not automatic.
LAPSED = 0.03
LAPSED_DAYS = 60
PENDING_IN_WINDOW = 0.08
PENDING_LAPSED = 0.15
ADULT_PERMIT_TYPES = [("employment", 70), ("residence", 20), ("study", 6), ("talent", 4)]
EXPRESS = 0.6
COURIERS = [("顺丰速运", "SF", 12), ("中国邮政 EMS", "EA", 9), ("中通快递", "78", 11)]
ENDORSEMENT_CASE_TYPE = "permit_endorsement"


@dataclass
class PermitFamily:
    """The rows of the permits, as COPY text blocks per table, and what they came to."""

    cases: list[bytes] = field(default_factory=list)
    permits: list[bytes] = field(default_factory=list)
    applications: list[bytes] = field(default_factory=list)
    endorsements: list[bytes] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def at(day: datetime.date, seconds: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=TZ) + datetime.timedelta(seconds=seconds)


def permit_family(*, holders: list[Holder], first_case_id: int, permit_types: dict[str, tuple[int, list]],  # type: ignore[no-untyped-def]
                  caseworkers_of: dict[int, list[int]], intake: int, seed: int, now: datetime.datetime,
                  ) -> PermitFamily:  # fmt: skip
    """For each holder: the permit Case (delivered), its PermitApplication and the Permit, the approved
    endorsements of the years already completed, and for some an endorsement awaiting a caseworker.

    ``valid_until`` is the day before an anniversary of ``issued_on``, as the services keep it: a permit issued
    k years ago (k = 1 to 3) and endorsed every year since ends its year on the coming anniversary.
    """
    from dateutil.relativedelta import relativedelta

    rng = random.Random(seed + 11)
    today = now.date()
    day_s = 86400
    family = PermitFamily()
    # The type's checklist as it stood when the holder applied (PermitApplication.documents), as COPY text.
    checklists = {
        key: copy_text(json.dumps(documents, ensure_ascii=False)) for key, (_, documents) in permit_types.items()
    }
    type_ids = {key: pk for key, (pk, _) in permit_types.items()}
    counts = dict.fromkeys(
        ["permits", "lapsed", "children", "express", "endorsements approved", "endorsements pending"], 0
    )
    type_names = [key for key, _ in ADULT_PERMIT_TYPES]
    type_weights = list(itertools.accumulate(weight for _, weight in ADULT_PERMIT_TYPES))
    cases: list[str] = []
    permits: list[str] = []
    applications: list[str] = []
    endorsements: list[str] = []
    case_id = first_case_id

    def case_line(case_type: str, reference: str, status: str, submitted: datetime.datetime,
                  decided: datetime.datetime | None, created: datetime.datetime, updated: datetime.datetime,
                  holder: Holder, assignee: int | None) -> str:  # fmt: skip
        return "\t".join(
            (
                str(case_id), case_type, reference, status, ts(submitted), ts(submitted + DUE_IN), NULL, "[]", "",
                ts(decided), "", ts(created), ts(updated), str(holder.row_id),
                NULL if assignee is None else str(assignee), str(holder.opened_by or intake), str(holder.street),
            )
        )  # fmt: skip

    def flush() -> None:
        for lines, blocks in ((cases, family.cases), (permits, family.permits),
                              (applications, family.applications), (endorsements, family.endorsements)):  # fmt: skip
            if lines:
                blocks.append(("\n".join(lines) + "\n").encode())
                lines.clear()

    for permit_id, holder in enumerate(holders, start=1):
        lapsed = rng.random() < LAPSED
        if lapsed:
            year_end = today - datetime.timedelta(days=rng.randint(1, LAPSED_DAYS))
            years = rng.randint(1, 2)
        else:
            year_end = today + datetime.timedelta(days=rng.randrange(365))
            years = rng.randint(1, 3)
        issued_on = year_end + datetime.timedelta(days=1) - relativedelta(years=years)
        valid_until = issued_on + relativedelta(years=years) - datetime.timedelta(days=1)
        drawn = type_names[bisect.bisect(type_weights, rng.random() * type_weights[-1])]
        permit_type = "study" if holder.child else drawn
        assignee = rng.choice(caseworkers_of[holder.street])
        # The application: opened 8 to 25 days before the day of issue, decided that day, then sent or collected.
        created = at(issued_on - datetime.timedelta(days=rng.randint(8, 25)), rng.randint(8 * 3600, 20 * 3600))
        submitted = created + datetime.timedelta(seconds=rng.randint(60, 2 * day_s))
        decided = min(at(issued_on, rng.randint(9 * 3600, 17 * 3600)), now - datetime.timedelta(hours=2))
        express = not holder.child and rng.random() < EXPRESS
        dispatched = min(decided + datetime.timedelta(seconds=rng.randint(day_s // 2, 3 * day_s)),
                         now - datetime.timedelta(hours=1))  # fmt: skip
        transit = rng.randint(day_s // 2, (4 if express else 14) * day_s)
        delivered = min(dispatched + datetime.timedelta(seconds=transit), now)
        cases.append(
            case_line("permit", f"JZ{created:%Y%m%d}{case_id:07d}", "delivered", submitted, decided, created,
                      delivered, holder, assignee)
        )  # fmt: skip
        if express:
            courier, prefix, digits = rng.choice(COURIERS)
            delivery = ("express", holder.name, holder.phone, f"浙江省绍兴市越城区{holder.address}", courier,
                        f"{prefix}{rng.randrange(10**digits):0{digits}d}")  # fmt: skip
            counts["express"] += 1
        else:
            delivery = ("window", "", "", "", "", "")
        applications.append(
            "\t".join((str(case_id), "", *delivery, ts(dispatched), ts(delivered), str(permit_id),
                       str(type_ids[permit_type]), checklists[permit_type]))
        )  # fmt: skip
        # The QR code's token: 24 random bytes, URL-safe, as secrets.token_urlsafe(24) makes them.
        token = base64.urlsafe_b64encode(rng.getrandbits(192).to_bytes(24, "big")).decode().rstrip("=")
        permits.append(
            "\t".join((str(permit_id), f"330602{issued_on:%Y}{permit_id:08d}", issued_on.isoformat(),
                       valid_until.isoformat(), NULL, "1", token, ts(decided), str(case_id), str(holder.row_id),
                       str(type_ids[permit_type])))
        )  # fmt: skip
        case_id += 1
        # The endorsements of the years completed: asked for in the month before each anniversary, automatic.
        for year in range(1, years):
            ending = issued_on + relativedelta(years=year) - datetime.timedelta(days=1)
            applied_on = ending - datetime.timedelta(days=rng.randrange(30))
            asked = at(applied_on, rng.randint(7 * 3600, 23 * 3600))
            after = issued_on + relativedelta(years=year + 1) - datetime.timedelta(days=1)
            cases.append(
                case_line(ENDORSEMENT_CASE_TYPE, f"QZ{asked:%Y%m%d}{case_id:07d}", "approved", asked,
                          asked + datetime.timedelta(seconds=1), asked, asked + datetime.timedelta(seconds=1), holder,
                          None)
            )  # fmt: skip
            endorsements.append(
                "\t".join((str(case_id), applied_on.isoformat(), ending.isoformat(), "f", applied_on.isoformat(),
                           after.isoformat(), "t", str(permit_id)))
            )  # fmt: skip
            case_id += 1
            counts["endorsements approved"] += 1
        # This year's endorsement, asked for and waiting for a caseworker.
        window_opens = valid_until + datetime.timedelta(days=1) - relativedelta(months=1)
        if lapsed:
            pending, first_day = rng.random() < PENDING_LAPSED, valid_until + datetime.timedelta(days=1)
        else:
            pending, first_day = window_opens <= today and rng.random() < PENDING_IN_WINDOW, window_opens
        if pending:
            applied_on = today - datetime.timedelta(days=rng.randint(0, min(14, (today - first_day).days)))
            asked = min(at(applied_on, rng.randint(7 * 3600, 23 * 3600)), now - datetime.timedelta(minutes=5))
            assignee = rng.choice(caseworkers_of[holder.street]) if rng.random() < 0.7 else None
            cases.append(
                case_line(ENDORSEMENT_CASE_TYPE, f"QZ{asked:%Y%m%d}{case_id:07d}", "submitted", asked, None, asked,
                          asked, holder, assignee)
            )  # fmt: skip
            endorsements.append(
                "\t".join((str(case_id), applied_on.isoformat(), valid_until.isoformat(), "t" if lapsed else "f",
                           NULL, NULL, "f", str(permit_id)))
            )  # fmt: skip
            case_id += 1
            counts["endorsements pending"] += 1
        counts["permits"] += 1
        counts["lapsed"] += lapsed
        counts["children"] += holder.child
        if permit_id % CHUNK == 0:
            flush()
    flush()
    counts["cases"] = case_id - first_case_id
    family.counts = counts
    return family


def registrations_insert(cursor, *, registered_by: int) -> None:  # type: ignore[no-untyped-def]
    """Every resident's residence registration, copied from the resident's own community, street, address and
    arrival date by one INSERT ... SELECT (the same data, so consistent by construction, without a round trip
    of a million rows). Current, except for the archived residents (ended when archived) and the holders
    whose endorsement waits for a caseworker (ended a week before they asked: the landlord reported them
    gone, which is why the endorsement was not automatic)."""
    cursor.execute(
        """INSERT INTO residents_residenceregistration
                  (resident_id, community_id, street_id, address, basis, started_on, ended_on, end_reason,
                   registered_by_id, registered_at)
           SELECT r.id, r.community_id, r.street_id, r.address,
                  (ARRAY['rented', 'rented', 'rented', 'rented', 'rented', 'rented', 'employer', 'employer', 'own',
                         'relative'])[r.id %% 10 + 1],
                  r.arrival_date,
                  CASE WHEN r.archived_at IS NOT NULL
                       THEN greatest((r.archived_at AT TIME ZONE 'Asia/Shanghai')::date, r.arrival_date)
                       ELSE gone.ended_on END,
                  CASE WHEN r.archived_at IS NOT NULL THEN r.archive_reason
                       WHEN gone.ended_on IS NOT NULL THEN '房东申报已搬离' ELSE '' END,
                  %s, r.created_at
             FROM residents_resident r
             LEFT JOIN (SELECT p.holder_id, min(e.applied_on) - 7 AS ended_on
                          FROM residents_permitendorsement e
                          JOIN residents_permit p ON p.id = e.permit_id
                          JOIN residents_case c ON c.id = e.case_id
                         WHERE c.status IN ('submitted', 'resubmitted') GROUP BY p.holder_id) gone
                    ON gone.holder_id = r.id
            ORDER BY r.id""",
        [registered_by],
    )


def guardian_link_rows(links: list[tuple[int, int]], now: datetime.datetime) -> Iterator[bytes]:
    lines = [f"parent\t{ts(now)}\t{child}\t{guardian}" for guardian, child in links]
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


def permit_types_ids() -> dict[str, tuple[int, list]]:  # type: ignore[type-arg]
    """The default permit types (migration 0008) by key: their id and their document checklist."""
    from permits.models import PermitType

    ids = {key: (pk, documents) for key, pk, documents in PermitType.objects.values_list("key", "id", "documents")}
    missing = {key for key, _ in ADULT_PERMIT_TYPES} - set(ids)
    if missing:
        raise SystemExit(f"permit types missing: {sorted(missing)} (migrate residents)")
    return ids


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


def bulk_load(tables: str | list[str], copy, *, lap, rebuild: bool, label: str = "") -> None:  # type: ignore[no-untyped-def]
    """COPY into ``tables`` in one transaction, the usual way of bulk loading PostgreSQL.

    With ``rebuild``, indexes that back no constraint are dropped first and built again after (one sort
    each instead of a million insertions), and the foreign-key row triggers are skipped
    (session_replication_role, superuser only) in favour of one anti-join per key, once every table is
    loaded (tables loaded together may point at each other). A failure rolls all of it back, indexes included.
    """
    from django.db import connection, transaction

    tables = [tables] if isinstance(tables, str) else tables
    label = label or " + ".join(tables)
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        skip_triggers = rebuild and cursor.fetchone()[0]
        indexes = [index for table in tables for index in secondary_indexes(cursor, table)] if rebuild else []
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if skip_triggers:
            cursor.execute("SET LOCAL session_replication_role = replica")
        copy(cursor)
        t = lap(f"{label} COPY", t)
        if skip_triggers:
            cursor.execute("SET LOCAL session_replication_role = origin")
            for table in tables:
                foreign_keys_check(cursor, table)
            t = lap(f"{label} foreign keys", t)
        for _, ddl in indexes:
            cursor.execute(ddl)
        if indexes:
            t = lap(f"{label} {len(indexes)} indexes", t)
    lap(f"{label} commit", t)


# accounts_user too: the residents' logins are loaded; the loader's own users (caseworkers, intake,
# bench_resident) are made again, and CASCADE empties what points at users (notifications, reminders, sessions).
RESET_TABLES = [
    "residents_casedocument", "residents_case", "residents_auditevent", "residents_guardianlink",
    "residents_resident", "accounts_user",
]  # fmt: skip
VACUUMED = [
    "residents_resident", "residents_case", "accounts_user", "residents_permit", "residents_permitapplication",
    "residents_permitendorsement", "residents_residenceregistration",
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
    parser.add_argument("--permits", type=int, default=300_000, help="residents holding a residence permit")
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
        print(f"  {name:<52} {timings[name]:8.1f} s", flush=True)
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
    permit_types = permit_types_ids()
    connection.close()  # fork the encryption workers before opening the connection that COPYs
    pool = multiprocessing.get_context("fork").Pool(args.workers) if args.workers > 1 else None
    loaded = Loaded()
    try:

        def residents(cursor) -> None:  # type: ignore[no-untyped-def]
            residents_load(
                cursor, count=args.residents, first_id=1, communities=communities, seed=args.seed, pool=pool,
                now=now, permits=args.permits, loaded=loaded,
            )  # fmt: skip

        # The logins in the same transaction: residents point at them, and the foreign keys are checked once
        # both are in.
        bulk_load(
            ["residents_resident", "accounts_user"], residents, lap=lap, rebuild=not args.keep_indexes,
            label="residents + logins",
        )  # fmt: skip
    finally:
        if pool is not None:
            pool.close()
            pool.join()

    t = time.perf_counter()
    family = permit_family(
        holders=loaded.holders, first_case_id=args.cases + 1, permit_types=permit_types,
        caseworkers_of=caseworkers_of, intake=opened_by, seed=args.seed, now=now,
    )  # fmt: skip
    t = lap("permits: generate", t)

    def cases(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(
            cursor, "residents_case", CASE_COLUMNS,
            itertools.chain(
                case_rows(count=args.cases, first_id=1, residents_first_id=1, streets_of=loaded.streets_of,
                          caseworkers_of=caseworkers_of, opened_by=opened_by, seed=args.seed, now=now),
                family.cases,
            ),
        )  # fmt: skip

    bulk_load("residents_case", cases, lap=lap, rebuild=not args.keep_indexes)

    def permits(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(cursor, "residents_permit", PERMIT_COLUMNS, family.permits)
        copy_rows(cursor, "residents_permitapplication", APPLICATION_COLUMNS, family.applications)
        copy_rows(cursor, "residents_permitendorsement", ENDORSEMENT_COLUMNS, family.endorsements)

    bulk_load(
        ["residents_permit", "residents_permitapplication", "residents_permitendorsement"], permits, lap=lap,
        rebuild=not args.keep_indexes, label="permits, applications, endorsements",
    )  # fmt: skip

    def registrations(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(cursor, "residents_guardianlink", GUARDIAN_LINK_COLUMNS, guardian_link_rows(loaded.links, now))
        registrations_insert(cursor, registered_by=opened_by)

    bulk_load(
        ["residents_guardianlink", "residents_residenceregistration"], registrations, lap=lap,
        rebuild=not args.keep_indexes, label="guardian links, registrations",
    )  # fmt: skip
    t = time.perf_counter()

    with connection.cursor() as cursor:
        sequences_advance(cursor, ["accounts_user"])
    resident_login_ensure()
    with connection.cursor() as cursor:
        sequences_advance(
            cursor, ["residents_resident", "residents_case", "residents_region", "accounts_user", "residents_permit"]
        )
        for table in VACUUMED:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
        t = lap("setval, VACUUM ANALYZE", t)
        cursor.execute(
            "SELECT " + ", ".join(f"pg_size_pretty(pg_total_relation_size('{table}'))" for table in VACUUMED)
        )
        sizes = dict(zip(VACUUMED, cursor.fetchone(), strict=True))
    total = time.perf_counter() - started
    print(f"  {'total':<52} {total:8.1f} s")
    print("  sizes (with indexes): " + ", ".join(f"{table.split('_', 1)[1]} {size}" for table, size in sizes.items()))
    print(
        f"  logins {loaded.logins:,}; guardian links {len(loaded.links):,}; "
        + ", ".join(f"{name} {count:,}" for name, count in family.counts.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
