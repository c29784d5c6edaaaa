"""Demo data of points, on top of seed_demo's accounts: this year's first round, closed, with 李建国's application
verified and the final ranking published; and a second round taking applications now, in which he (or anyone
with a permit) can try applying. Idempotent (run after seed_demo; `make run` does)."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases import services as cases_services
from cases.casetypes import case_type_get
from points import services
from points.choices import ItemStatus
from points.models import PointsApplication, PointsRound
from points.selectors import rule_set_current
from residents.demo import DEMO_DOCUMENT
from residents.models import Resident

UNLOCKS_ZH = "随迁子女义务教育阶段公办学校入学积分排序；保障性租赁住房轮候加分。"
UNLOCKS_EN = "Ranking for public-school places of migrant children; priority on the affordable-housing waiting list."


class Command(BaseCommand):
    help = "Load the points demo (after seed_demo). Idempotent."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            caseworker = User.objects.get(username="demo_caseworker")
            admin = User.objects.get(username="demo_admin")
            parent = Resident.objects.get(user__username="demo_resident")
        except (User.DoesNotExist, Resident.DoesNotExist) as exc:
            raise CommandError("Run seed_demo first.") from exc
        with transaction.atomic():
            self._seed(parent, caseworker, admin)
        self.stdout.write(self.style.SUCCESS("Points demo ready: /points/ (demo_resident has a verified score)."))

    def _round(self, name_zh: str, name_en: str, opens_on: datetime.date, closes_on: datetime.date) -> PointsRound:
        if existing := PointsRound.objects.filter(name_zh=name_zh).first():
            return existing
        return PointsRound.objects.create(
            year=opens_on.year, name_zh=name_zh, name_en=name_en, rule_set=rule_set_current(),
            opens_on=opens_on, closes_on=closes_on, quota=200, unlocks_zh=UNLOCKS_ZH, unlocks_en=UNLOCKS_EN,
        )  # fmt: skip

    def _seed(self, parent: Resident, caseworker: User, admin: User) -> None:
        today = timezone.localdate()
        days = datetime.timedelta
        first = self._round(
            f"{today.year}年度第一期居住证积分申报", f"{today.year} points round 1", today - days(90), today + days(1)
        )
        self._round(
            f"{today.year}年度第二期居住证积分申报", f"{today.year} points round 2", today - days(5), today + days(40)
        )
        if first.ranking_published_on is None and not PointsApplication.objects.filter(round=first).exists():
            self._verified_application(parent, first, caseworker)
            # The round's calendar moves on: applications closed, the ranking published, the objection window over.
            PointsRound.objects.filter(pk=first.pk).update(closes_on=today - datetime.timedelta(days=30))
            first.refresh_from_db()
            services.points_ranking_publish(actor=admin, round=first)
            PointsRound.objects.filter(pk=first.pk).update(objection_ends_on=today - datetime.timedelta(days=1))
            first.refresh_from_db()
            services.points_ranking_publish(actor=admin, round=first)

    def _verified_application(self, parent: Resident, round: PointsRound, caseworker: User) -> None:
        declared = {"social_insurance_years": "4", "skills_certificate": "level_4", "volunteer_hours": "60",
                    "administrative_penalties": "0", "criminal_record_5y": False}  # fmt: skip
        case = services.points_application_start(actor=parent.user, applicant=parent, round=round, declared=declared)
        for document in case_type_get(case.case_type).documents_for(case):
            upload = SimpleUploadedFile(f"{document.key}.pdf", DEMO_DOCUMENT, content_type="application/pdf")
            cases_services.case_document_upload(actor=parent.user, case=case, kind=document.key, upload=upload)
        case = cases_services.case_submit(actor=parent.user, case=case)
        reasons = {
            "social_insurance_years": ("adjusted", "3", "社保缴纳记录显示在本区连续缴纳 3 年 2 个月，按整年计 3 年。"),
            "skills_certificate": ("accepted", None, "职业技能等级证书（四级/中级工）经查询属实。"),
            "volunteer_hours": ("accepted", None, "“志愿浙江”记录志愿服务 60 小时。"),
            "administrative_penalties": ("accepted", None, "经查询近三年无行政处罚记录。"),
            "criminal_record_5y": ("accepted", None, "经查询近五年无刑事犯罪记录。"),
        }
        application = PointsApplication.objects.get(case=case)
        for key in application.items.filter(status=ItemStatus.PENDING).values_list("key", flat=True):
            decision, value, reason = reasons.get(key, ("accepted", None, "核对属实。"))
            services.points_item_verify(
                actor=caseworker, case=case, key=key, decision=decision, value=value, reason=reason
            )
        services.points_review_complete(actor=caseworker, case=case)
