"""Load demo communities, one account per role, a demo family and the residence-permit journey. Safe to run
again: it changes nothing that is already there. It lives in permits, the highest app it needs; the other
services' demos (seed_housing_demo, seed_points_demo, seed_education_demo) load on top of it.

The permit journey goes through the services, as a resident and the demo caseworker would: 李建国
(demo_resident) registered his residence in March 2024 and holds a permit sent to him by express;
刘晓燕 (demo_newcomer) registered two months ago and sees the day she may apply; 周磊 (demo_applicant) has
an application waiting in the caseworker's queue (我的待办).
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from accounts.services import user_role_grant
from cases import services as cases_services
from cases.casetypes import case_type_get
from cases.models import Case
from permits import selectors
from permits import services as permits_services
from permits.choices import DeliveryMethod
from permits.models import PermitType
from residents import services
from residents.choices import Education, GuardianRelation, RegionKind, RegistrationBasis
from residents.demo import DEMO_DOCUMENT, DEMO_PASSWORD, demo_id_number
from residents.models import Region, ResidenceRegistration, Resident

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
    ("demo_newcomer", Role.RESIDENT, "+8613800000007", False, False, "居民（登记居住两个月，还不能申领居住证）"),
    ("demo_applicant", Role.RESIDENT, "+8613800000008", False, False, "居民（居住证申请等待审核）"),
]


class Command(BaseCommand):
    help = "Load demo data (communities, demo accounts, a demo family). Idempotent."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        # The messages the demo sends (printed by the console SMS and e-mail backends) go out when the
        # transaction commits: before the list of accounts, which stays the last thing on the screen.
        with transaction.atomic():
            self._seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. 演示账户（密码均为 {DEMO_PASSWORD}）："))
        for username, _role, phone, _staff, _su, label in ACCOUNTS:
            self.stdout.write(f"  {username:<16} {phone.removeprefix('+86')}  {label}")
        self.stdout.write("  短信验证码打印在运行服务器的终端中。工作台：http://127.0.0.1:8000/admin/")

    def _seed(self) -> None:
        self._communities()
        users = {row[0]: self._account(*row[:5]) for row in ACCOUNTS}
        admin = users["demo_admin"]
        streets = list(Region.objects.filter(kind=RegionKind.STREET, name__in=["塔山街道", "府山街道"]))
        caseworker = users["demo_caseworker"]
        services.jurisdiction_set(actor=admin, caseworker=caseworker, streets=streets)
        parent = self._family(users["demo_resident"])
        self._permit_holder(parent, caseworker=caseworker)
        self._newcomer(users["demo_newcomer"])
        self._applicant(users["demo_applicant"])

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

    def _family(self, user: User) -> Resident:
        if existing := Resident.objects.filter(user=user).first():
            return existing
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
        return parent

    # --- the residence-permit journey --------------------------------------------------------------------
    # Each step is skipped once the person has anything of it, so a demo account someone has been trying
    # out (a registration moved, an application of their own) is left as they left it.

    def _profile(self, user: User, **profile) -> Resident:  # type: ignore[no-untyped-def]
        if existing := Resident.objects.filter(user=user).first():
            return existing
        return services.resident_profile_create(actor=user, user=user, **profile)

    def _register(self, resident: Resident, *, since: datetime.date) -> None:
        if ResidenceRegistration.objects.filter(resident=resident).exists():
            return
        services.residence_register(
            actor=resident.user, resident=resident, community=resident.community, address=resident.address,
            basis=RegistrationBasis.RENTED, started_on=since,
        )  # fmt: skip

    def _has_permit_case(self, resident: Resident) -> bool:
        return Case.objects.filter(applicant=resident, case_type__in=selectors.PERMIT_APPLICATION_CASE_TYPES).exists()

    def _submitted_application(self, resident: Resident, **delivery: str) -> Case:
        """A first permit application with every required document, submitted by the resident."""
        permit_type = PermitType.objects.filter(key="employment", is_active=True).first()
        permit_type = permit_type or selectors.permit_types_offered().first()
        case = permits_services.permit_application_start(
            actor=resident.user, applicant=resident, permit_type=permit_type, **delivery
        )
        for document in case_type_get(case.case_type).documents_for(case):
            if document.required:
                upload = SimpleUploadedFile(f"{document.key}.pdf", DEMO_DOCUMENT, content_type="application/pdf")
                cases_services.case_document_upload(actor=resident.user, case=case, kind=document.key, upload=upload)
        return cases_services.case_submit(actor=resident.user, case=case)

    def _permit_holder(self, parent: Resident, *, caseworker: User) -> None:
        """李建国: registered since he arrived, his permit approved, sent by express and received today."""
        self._register(parent, since=parent.arrival_date or datetime.date(2024, 3, 1))
        if self._has_permit_case(parent) or selectors.permit_of(resident=parent) is not None:
            return
        case = self._submitted_application(
            parent, delivery_method=DeliveryMethod.EXPRESS, recipient_name=parent.name, recipient_phone=parent.phone,
            delivery_address=f"越城区{parent.address}",
        )  # fmt: skip
        cases_services.case_assign(actor=caseworker, case=case, assignee=caseworker)
        cases_services.case_approve(actor=caseworker, case=case)
        permits_services.permit_dispatch(
            actor=caseworker, case=case, courier="中国邮政 EMS", tracking_number="1186523409871"
        )
        permits_services.permit_deliver(actor=caseworker, case=case)

    def _newcomer(self, user: User) -> None:
        """刘晓燕: came two months ago; the residence page tells her from which day she may apply."""
        since = timezone.localdate() - relativedelta(months=2)
        resident = self._profile(
            user, name="刘晓燕", id_number=demo_id_number("511321", datetime.date(1997, 11, 20), 284),
            phone="+8613800000007", hukou_address="四川省南充市南部县南隆街道", education=Education.JUNIOR,
            community=Region.objects.get(code="330602002001"), address="府山横街 16 号 1 幢 203 室",
            arrival_date=since,
        )  # fmt: skip
        self._register(resident, since=since)

    def _applicant(self, user: User) -> None:
        """周磊: registered ten months ago; his application (collection at the window) awaits a decision."""
        since = timezone.localdate() - relativedelta(months=10)
        resident = self._profile(
            user, name="周磊", id_number=demo_id_number("342222", datetime.date(1990, 7, 15), 135),
            phone="+8613800000008", hukou_address="安徽省宿州市萧县龙城镇", education=Education.SENIOR,
            community=Region.objects.get(code="330602001002"), address="胜利西路 201 号 5 幢 102 室",
            arrival_date=since,
        )  # fmt: skip
        self._register(resident, since=since)
        if not self._has_permit_case(resident):
            self._submitted_application(resident, delivery_method=DeliveryMethod.WINDOW)
