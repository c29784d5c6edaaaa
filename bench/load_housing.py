"""Seed rental housing on top of bench/load.py's residents, at district scale, with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean_bench .venv/bin/python bench/load_housing.py \\
        [--properties 200000] [--reset] [--no-migrate]

Run after bench/load.py (it needs the residents, their logins and the caseworkers). Loads:

- ``--properties`` rental properties of the residents' logins as landlords (1–3 each; nine in ten verified by
  a caseworker of their street, the rest pending or rejected), with about 1.6 tenancies each (active within
  the capacity, and ended ones). Their tenants' registrations are not touched (the tenancies point at none):
  they are the background the two benchmarks run in, not part of what they measure;
- the letting agency ``bench_agency`` with ``--agency-properties`` verified flats of ``--agency-capacity``
  occupants each and no tenant yet: bench/run.py --part housing imports its 10 000 move-ins into them and
  takes them out again after each run;
- the landlord ``bench_landlord`` with one staff dormitory (员工宿舍) of ``--dormitory-capacity`` places and
  ``--dormitory-tenancies`` tenancies over the last six years, all but ``--dormitory-active`` of them ended:
  the property page with two thousand tenancies.

Deterministic for a given ``--seed``. ``--reset`` empties the housing tables (and only those) first.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import AGENCY_USERNAME, LANDLORD_USERNAME, LOGIN_PREFIX, django_setup, lap  # the root is on the path
from bench.load import NULL, ROADS, TZ, bulk_load, copy_rows, copy_text, sequences_advance, ts

PROPERTY_COLUMNS = [
    "id", "owner_id", "owner_name", "address", "community_id", "street_id", "rooms", "floor_area", "max_occupants",
    "ownership_proof", "ownership_proof_name", "status", "verified_by_id", "verified_at", "rejection_reason",
    "qr_nonce", "created_at",
]  # fmt: skip
TENANCY_COLUMNS = [
    "property_id", "tenant_id", "status", "source", "move_in_date", "lease_end_date", "move_in_due_on",
    "move_in_reported_at", "moved_out_on", "move_out_reported_at", "reported_by_id", "registration_id", "created_at",
]  # fmt: skip
HOUSING_TABLES = ["housing_occupancyflag", "housing_tenancy", "housing_property"]
PROOF = "property-proofs/bench/proof.pdf"  # no file behind it: the benchmarks never open the proof
DORMITORY_ADDRESS = "越东路 88 号 员工宿舍"
REJECTION = "产权证明照片不清晰，请重新上传。"


class Scene:
    """What the rows are drawn from: the landlords' logins, the residents who can be tenants, the places."""

    def __init__(self, seed: int) -> None:
        from django.db import connection

        self.rng = random.Random(seed)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM accounts_user WHERE username LIKE %s ORDER BY id", [LOGIN_PREFIX + "%"])
            self.landlords = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT max(id) FROM residents_resident")
            self.max_resident = cursor.fetchone()[0] or 0
            cursor.execute("SELECT id FROM residents_resident WHERE archived_at IS NOT NULL")
            self.archived = {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT id, parent_id FROM residents_region WHERE kind = 'community' ORDER BY id")
            self.communities = cursor.fetchall()
            cursor.execute("SELECT street_id, min(caseworker_id) FROM residents_jurisdiction GROUP BY street_id")
            self.caseworker_of = dict(cursor.fetchall())
        if not self.landlords or not self.max_resident or not self.communities:
            raise SystemExit("no residents, logins or communities: run bench/load.py first")

    def tenant(self) -> int:
        while True:
            resident = self.rng.randint(1, self.max_resident)
            if resident not in self.archived:
                return resident

    def address(self, number: int) -> str:
        rng = self.rng
        return f"{rng.choice(ROADS)}路 {number % 400 + 1} 号 {rng.randint(1, 30)} 幢 {rng.randint(101, 2402)} 室"


def due_on(day: datetime.date) -> datetime.date:
    """The move-in report's deadline, as the app computes it (official working days)."""
    from housing import workdays

    if not hasattr(due_on, "calendar"):
        due_on.calendar = workdays.calendar_for(range(2018, 2030))  # type: ignore[attr-defined]
        due_on.cache = {}  # type: ignore[attr-defined]
    cache = due_on.cache  # type: ignore[attr-defined]
    if day not in cache:
        cache[day] = workdays.working_days_after(day, calendar=due_on.calendar).due_on  # type: ignore[attr-defined]
    return cache[day]


def tenancy_line(
    prop: int, tenant: int, *, moved_in: datetime.date, moved_out: datetime.date | None, reporter: int,
    lease_days: int | None, source: str,
) -> tuple[datetime.datetime, str]:  # fmt: skip
    """The COPY line of a tenancy, after the time it was reported (the rows are loaded in that order, so that
    their ids follow time as they do in the app: a property's tenancies are spread over the table)."""
    reported = datetime.datetime.combine(due_on(moved_in), datetime.time(10), TZ) - datetime.timedelta(days=1)
    out_reported = (
        datetime.datetime.combine(moved_out, datetime.time(18), TZ) + datetime.timedelta(days=1) if moved_out else None
    )
    lease_end = moved_in + datetime.timedelta(days=lease_days) if lease_days else None
    return reported, "\t".join(
        (
            str(prop), str(tenant), "ended" if moved_out else "active", source, moved_in.isoformat(),
            lease_end.isoformat() if lease_end else NULL, due_on(moved_in).isoformat(), ts(reported),
            moved_out.isoformat() if moved_out else NULL, ts(out_reported), str(reporter), NULL, ts(reported),
        )
    )  # fmt: skip


def property_line(
    pk: int, owner: int, owner_name: str, address: str, community: int, street: int, *, rooms: int, area: float,
    capacity: int, status: str, verifier: int | None, created: datetime.datetime,
) -> str:  # fmt: skip
    verified = created + datetime.timedelta(days=2) if status == "verified" else None
    return "\t".join(
        (
            str(pk), str(owner), copy_text(owner_name), copy_text(address), str(community), str(street), str(rooms),
            f"{area:.2f}", str(capacity), PROOF, "产权证.pdf", status,
            str(verifier) if verifier and status == "verified" else NULL, ts(verified),
            REJECTION if status == "rejected" else "", "1", ts(created),
        )
    )  # fmt: skip


def background(
    scene: Scene, *, count: int, today: datetime.date, now: datetime.datetime
) -> tuple[list[str], list[tuple[datetime.datetime, str]]]:
    """The district's rental properties and their tenancies (the landlords are the residents' logins)."""
    rng = scene.rng
    properties, tenancies = [], []
    pk = 0
    owners = rng.sample(scene.landlords, min(len(scene.landlords), count))
    for owner in owners:
        for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
            pk += 1
            if pk > count:
                return properties, tenancies
            community, street = scene.communities[rng.randrange(len(scene.communities))]
            roll = rng.random()
            status = "verified" if roll < 0.9 else "pending" if roll < 0.97 else "rejected"
            rooms = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            capacity = rooms * rng.choice((1, 2, 2, 2, 3))
            created = now - datetime.timedelta(days=rng.randint(3, 5 * 365))
            properties.append(
                property_line(
                    pk, owner, "业主", scene.address(pk), community, street, rooms=rooms,
                    area=rooms * rng.uniform(18, 35), capacity=capacity, status=status,
                    verifier=scene.caseworker_of.get(street), created=created,
                )
            )  # fmt: skip
            if status != "verified":
                continue
            since = (created + datetime.timedelta(days=3)).date()
            living = rng.randint(0, capacity)
            tenants = set()
            for index in range(living + rng.choice((0, 0, 1, 1, 2))):
                tenant = scene.tenant()
                if tenant in tenants:
                    continue
                tenants.add(tenant)
                moved_in = since + datetime.timedelta(days=rng.randint(0, max(0, (today - since).days)))
                moved_out = None
                if index >= living:  # an earlier tenant, gone
                    moved_out = min(today, moved_in + datetime.timedelta(days=rng.randint(30, 400)))
                tenancies.append(
                    tenancy_line(
                        pk, tenant, moved_in=moved_in, moved_out=moved_out, reporter=owner,
                        lease_days=365 if rng.random() < 0.6 else None, source="landlord",
                    )
                )  # fmt: skip
    return properties, tenancies


def users_ensure() -> tuple[int, int]:
    """The agency's and the dormitory landlord's accounts (landlord role), created once."""
    from django.contrib.auth.models import Group

    from accounts.models import User

    group = Group.objects.get(name="landlord")
    ids = []
    for username, phone in ((AGENCY_USERNAME, "+8613900099001"), (LANDLORD_USERNAME, "+8613900099002")):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"phone": phone, "phone_verified": True, "email": f"{username}@bench.example.cn"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        ids.append(user.pk)
    return ids[0], ids[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--properties", type=int, default=200_000, help="the district's rental properties")
    parser.add_argument("--agency-properties", type=int, default=2_500)
    parser.add_argument("--agency-capacity", type=int, default=4, help="occupants per agency flat")
    parser.add_argument("--dormitory-capacity", type=int, default=40)
    parser.add_argument("--dormitory-tenancies", type=int, default=2_000)
    parser.add_argument("--dormitory-active", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20260505)
    parser.add_argument("--reset", action="store_true", help="empty the housing tables first")
    parser.add_argument("--no-migrate", action="store_true", help="the housing tables exist: do not migrate")
    args = parser.parse_args(argv)

    django_setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()

    t = time.perf_counter()
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
        t = lap("migrate", t)
    with connection.cursor() as cursor:
        if args.reset:
            cursor.execute(f"TRUNCATE {', '.join(HOUSING_TABLES)} RESTART IDENTITY CASCADE")
            t = lap("reset (TRUNCATE housing)", t)
        cursor.execute("SELECT EXISTS (SELECT 1 FROM housing_property)")
        if cursor.fetchone()[0]:
            print("housing is already loaded; run again with --reset to reload", file=sys.stderr)
            return 2

    agency, landlord = users_ensure()
    scene = Scene(args.seed)
    now = timezone.now().astimezone(TZ).replace(microsecond=0)
    today = now.date()
    properties, tenancies = background(scene, count=args.properties, today=today, now=now)
    pk = len(properties)
    t = lap(f"generate {pk:,} properties, {len(tenancies):,} tenancies", t)

    # The agency's flats: verified, in the communities of two neighbouring streets, empty.
    agency_streets = sorted({street for _, street in scene.communities})[:2]
    agency_communities = [(c, s) for c, s in scene.communities if s in agency_streets]
    agency_first = pk + 1
    for index in range(args.agency_properties):
        pk += 1
        community, street = agency_communities[index % len(agency_communities)]
        properties.append(
            property_line(
                pk, agency, "安家房屋租赁有限公司（代管）", f"镜湖新区 {index // 40 + 1} 幢 {index % 40 + 101} 室",
                community, street, rooms=2, area=62.0, capacity=args.agency_capacity, status="verified",
                verifier=scene.caseworker_of.get(street), created=now - datetime.timedelta(days=90),
            )
        )  # fmt: skip

    # The dormitory: turnover over six years, the last few dozen still living there.
    pk += 1
    dormitory = pk
    community, street = scene.communities[0]
    properties.append(
        property_line(
            dormitory, landlord, "越东电子有限公司", DORMITORY_ADDRESS, community, street, rooms=20, area=900.0,
            capacity=args.dormitory_capacity, status="verified", verifier=scene.caseworker_of.get(street),
            created=now - datetime.timedelta(days=6 * 365 + 10),
        )
    )  # fmt: skip
    rng = scene.rng
    dorm_tenants: set[int] = set()
    while len(dorm_tenants) < args.dormitory_tenancies:
        dorm_tenants.add(scene.tenant())
    first_day = today - datetime.timedelta(days=6 * 365)
    span = (today - first_day).days
    living = set(rng.sample(sorted(dorm_tenants), args.dormitory_active))
    for tenant in sorted(dorm_tenants):
        if tenant in living:
            moved_in, moved_out = today - datetime.timedelta(days=rng.randint(5, 300)), None
        else:
            moved_in = first_day + datetime.timedelta(days=rng.randint(0, span - 40))
            moved_out = min(
                today - datetime.timedelta(days=1), moved_in + datetime.timedelta(days=rng.randint(20, 500))
            )
        tenancies.append(
            tenancy_line(
                dormitory, tenant, moved_in=moved_in, moved_out=moved_out, reporter=landlord,
                lease_days=365 if rng.random() < 0.5 else None,
                source=rng.choice(("landlord", "landlord", "tenant", "import")),
            )
        )  # fmt: skip
    t = lap("generate the agency's flats and the dormitory", t)

    def rows(lines: list[str]) -> Iterator[bytes]:
        for start in range(0, len(lines), 10_000):
            yield ("\n".join(lines[start : start + 10_000]) + "\n").encode()

    tenancies.sort()

    def copy(cursor) -> None:  # type: ignore[no-untyped-def]
        copy_rows(cursor, "housing_property", PROPERTY_COLUMNS, rows(properties))
        copy_rows(cursor, "housing_tenancy", TENANCY_COLUMNS, rows([line for _, line in tenancies]))

    bulk_load(["housing_property", "housing_tenancy"], copy, lap=lap, rebuild=True, label="properties + tenancies")
    t = time.perf_counter()
    with connection.cursor() as cursor:
        sequences_advance(cursor, ["housing_property", "housing_tenancy"])
        for table in ("housing_property", "housing_tenancy"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        t = lap("setval, VACUUM ANALYZE", t)
        cursor.execute(
            """SELECT (SELECT count(*) FROM housing_property), (SELECT count(*) FROM housing_tenancy),
                      (SELECT count(*) FROM housing_tenancy WHERE status = 'active')"""
        )
        counts = cursor.fetchone()
    print(f"  {'total':<52} {time.perf_counter() - started:8.1f} s")
    print(
        f"  properties {counts[0]:,}, tenancies {counts[1]:,} ({counts[2]:,} active); agency flats "
        f"{agency_first}–{agency_first + args.agency_properties - 1}; dormitory {dormitory}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
