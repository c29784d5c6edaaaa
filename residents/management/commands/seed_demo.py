"""Load demo communities, one account per role and a demo family. Safe to run again: it changes nothing
that is already there."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.choices import Role
from accounts.models import User
from accounts.services import user_role_grant
from residents import services
from residents.choices import Education, GuardianRelation, RegionKind
from residents.models import Region, Resident
from residents.pii import id_number_check_character

DEMO_PASSWORD = "yuean-demo-2026"  # noqa: S105 — printed for the demo on purpose

# Demo communities (two or three per street); real ones are loaded by the administrator.
COMMUNITY_NAMES = ["府河", "鲁迅", "仓桥", "迎恩", "蕺山", "环山"]

ACCOUNTS = [
    # username, role, phone, staff, superuser, label
    ("demo_resident", Role.RESIDENT, "+8613800000001", False, False, "居民"),
    ("demo_landlord", Role.LANDLORD, "+8613800000002", False, False, "房东 / 中介"),
    ("demo_employer", Role.EMPLOYER, "+8613800000003", False, False, "用人单位"),
    ("demo_caseworker", Role.CASEWORKER, "+8613800000004", True, False, "专管员（塔山街道、府山街道）"),
    ("demo_health", Role.HEALTH_WORKER, "+8613800000005", True, False, "卫生健康工作人员"),
    ("demo_admin", Role.ADMINISTRATOR, "+8613800000006", True, True, "管理员"),
]


def demo_id_number(prefix6: str, birth: datetime.date, sequence: int) -> str:
    first17 = f"{prefix6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)


class Command(BaseCommand):
    help = "Load demo data (communities, demo accounts, a demo family). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        self._communities()
        users = {row[0]: self._account(*row[:5]) for row in ACCOUNTS}
        admin = users["demo_admin"]
        streets = list(Region.objects.filter(kind=RegionKind.STREET, name__in=["塔山街道", "府山街道"]))
        services.jurisdiction_set(actor=admin, caseworker=users["demo_caseworker"], streets=streets)
        self._family(users["demo_resident"])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. 演示账户（密码均为 {DEMO_PASSWORD}）："))
        for username, _role, phone, _staff, _su, label in ACCOUNTS:
            self.stdout.write(f"  {username:<16} {phone.removeprefix('+86')}  {label}")
        self.stdout.write("  短信验证码打印在运行服务器的终端中。工作台：http://127.0.0.1:8000/admin/")

    def _communities(self) -> None:
        for street in Region.objects.filter(kind=RegionKind.STREET).order_by("sort_order"):
            count = 3 if street.sort_order <= 2 else 2
            for index in range(count):
                name = COMMUNITY_NAMES[(street.sort_order + index) % len(COMMUNITY_NAMES)]
                Region.objects.get_or_create(
                    code=f"{street.code}{index + 1:03d}",
                    defaults={"name": f"{name}社区", "kind": RegionKind.COMMUNITY, "parent": street,
                              "sort_order": index + 1},
                )  # fmt: skip

    def _account(self, username: str, role: str, phone: str, staff: bool, superuser: bool) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"phone": phone, "phone_verified": True, "email": f"{username}@demo.yuean.example.cn",
                      "is_staff": staff, "is_superuser": superuser},
        )  # fmt: skip
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user_role_grant(user=user, role=role)
        return user

    def _family(self, user: User) -> None:
        if Resident.objects.filter(user=user).exists():
            return
        community = Region.objects.get(code="330602001001")
        parent = services.resident_profile_create(
            actor=user, user=user, name="李建国",
            id_number=demo_id_number("412827", datetime.date(1988, 5, 12), 351),
            phone="+8613800000001", hukou_address="河南省驻马店市平舆县东皇街道", education=Education.SENIOR,
            community=community, address="解放北路 88 号 2 幢 301 室", arrival_date=datetime.date(2024, 3, 1),
        )  # fmt: skip
        services.resident_child_add(
            actor=user, guardian=parent, name="李小雨", relation=GuardianRelation.PARENT,
            id_number=demo_id_number("412827", datetime.date(2019, 9, 3), 262),
        )  # fmt: skip
