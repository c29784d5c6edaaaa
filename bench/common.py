"""What the loader and the benchmarks share: Django set-up against the benchmark database, and the names of
the rows the loader creates (its case type, its caseworkers)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/yuean_bench"

BENCH_CASE_TYPE = "bench"
BENCH_REFERENCE_PREFIX = "BX"
CASEWORKER_PREFIX = "bench_cw"
INTAKE_USERNAME = "bench_intake"
# The residents' logins loaded by bench/load.py: bench_u<resident id, 7 digits>.
LOGIN_PREFIX = "bench_u"
# bench/load_housing.py: the letting agency the import runs as, and the landlord of the 2 000-tenancy dormitory.
AGENCY_USERNAME = "bench_agency"
LANDLORD_USERNAME = "bench_landlord"


def django_setup() -> None:
    """Point Django at the benchmark database (DATABASE_URL, 127.0.0.1 by default) and set it up.

    Only PostgreSQL is accepted: the numbers mean nothing on SQLite.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "yuean.settings"
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench: DATABASE_URL must point at PostgreSQL")
    # Messages sent by the reminder sweep stay in memory instead of being printed.
    os.environ.setdefault("YUEAN_SMS_BACKEND", "notifications.channels.MemorySmsBackend")
    os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()


def bench_case_type_register() -> None:
    """The case type of the seeded cases, so that the console can label and filter them."""
    from cases.casetypes import CaseType, case_type_register

    case_type_register(CaseType(key=BENCH_CASE_TYPE, label="基准测试申请", reference_prefix=BENCH_REFERENCE_PREFIX))


RESIDENT_USERNAME = "bench_resident"


def resident_login_ensure() -> tuple[int, list[int]]:
    """A resident with a login and a child in their care, both with cases (for 我的申请); idempotent.

    Returns the user id and the ids of the two residents. Picks an adult applicant and a child applicant
    (under fourteen) of the seeded cases, links the first to the user ``bench_resident`` and the second to
    the first by a GuardianLink.
    """
    from django.db import connection, transaction

    from accounts.models import User
    from residents.models import GuardianLink, Resident

    with transaction.atomic():
        user, created = User.objects.get_or_create(username=RESIDENT_USERNAME)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        guardian = Resident.objects.filter(user=user).first()
        if guardian is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    """SELECT (SELECT c.applicant_id FROM residents_case c
                                 JOIN residents_resident r ON r.id = c.applicant_id
                                WHERE r.user_id IS NULL AND r.birth_date < now() - interval '30 years'
                                  AND r.archived_at IS NULL ORDER BY c.id LIMIT 1),
                              (SELECT c.applicant_id FROM residents_case c
                                 JOIN residents_resident r ON r.id = c.applicant_id
                                WHERE r.birth_date > now() - interval '14 years' AND r.archived_at IS NULL
                                ORDER BY c.id LIMIT 1)"""
                )
                guardian_id, child_id = cursor.fetchone()
            if guardian_id is None or child_id is None:
                raise SystemExit("no seeded cases to attach a resident login to: run bench/load.py first")
            Resident.objects.filter(pk=guardian_id).update(user=user)
            GuardianLink.objects.get_or_create(
                guardian_id=guardian_id, child_id=child_id, defaults={"relation": "parent"}
            )
            guardian = Resident.objects.get(pk=guardian_id)
        children = list(GuardianLink.objects.filter(guardian=guardian).values_list("child_id", flat=True))
    return user.pk, [guardian.pk, *children]


def lap(name: str, since: float) -> float:
    """Print how long a loader's step took since ``since`` and return the time now (the next step's start)."""
    print(f"  {name:<52} {time.perf_counter() - since:8.1f} s", flush=True)
    return time.perf_counter()
