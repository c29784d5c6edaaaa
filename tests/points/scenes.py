"""Scenes for points tests: an open round, a permit holder, an application at each stage of its life.

The services build what the rules under test depend on; ``round_closed`` and ``publish`` move a round's calendar
by writing its dates (the scene, not the service under test).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import User
from cases import services as cases_services
from cases.casetypes import case_type_get
from cases.models import Case
from points import services
from points.casetype import evidence_key
from points.choices import ItemStatus
from points.models import PointsApplication, PointsRanking, PointsRound, RuleSet
from points.selectors import rule_set_current
from residents.models import Resident
from tests.casework import pdf
from tests.permits import permit_row, register

# One declared item that adds points, the rest answered "none": what most applicants declare.
SOCIAL_INSURANCE_ONLY: dict[str, Any] = {
    "social_insurance_years": "5",
    "administrative_penalties": "0",
    "criminal_record_5y": False,
}


def today() -> datetime.date:
    return timezone.localdate()


def open_round(*, quota: int | None = 100, rule_set: RuleSet | None = None, **fields: Any) -> PointsRound:
    """A round taking applications today under the published rule set (2026.1 from the data migration)."""
    return PointsRound.objects.create(
        year=today().year,
        name_zh=fields.pop("name_zh", f"{today().year}年度居住证积分申报"),
        name_en=fields.pop("name_en", f"{today().year} residence-permit points round"),
        rule_set=rule_set or rule_set_current(),
        opens_on=fields.pop("opens_on", today() - datetime.timedelta(days=10)),
        closes_on=fields.pop("closes_on", today() + datetime.timedelta(days=20)),
        quota=quota,
        unlocks_zh=fields.pop("unlocks_zh", "随迁子女义务教育阶段入学积分排序。"),
        unlocks_en=fields.pop("unlocks_en", "Ranking for school places of migrant children."),
        **fields,
    )


def permit_holder(resident: Resident, *, years: int = 3, education: str = "senior") -> Resident:
    """A resident registered ``years`` years ago, holding a valid permit, with a birth date and education."""
    register(resident, since=today() - relativedelta(years=years))
    permit_row(resident, issued_on=today() - datetime.timedelta(days=30))
    Resident.objects.filter(pk=resident.pk).update(education=education)
    resident.refresh_from_db()
    return resident


def start(resident: Resident, round: PointsRound, declared: dict[str, Any] | None = None, **kw: Any) -> Case:
    return services.points_application_start(
        actor=kw.pop("actor", None) or resident.user, applicant=resident, round=round,
        declared=SOCIAL_INSURANCE_ONLY if declared is None else declared,
    )  # fmt: skip


def upload_evidence(case: Case, *, actor: User | None = None) -> None:
    actor = actor or case.applicant.user
    for document in case_type_get(case.case_type).documents_for(case):
        if document.required:
            cases_services.case_document_upload(
                actor=actor, case=case, kind=document.key, upload=pdf(f"{document.key}.pdf")
            )


def submitted(resident: Resident, round: PointsRound, declared: dict[str, Any] | None = None) -> Case:
    case = start(resident, round, declared)
    upload_evidence(case)
    return cases_services.case_submit(actor=resident.user, case=case)


def accept_all(case: Case, caseworker: User, *, reason: str = "与社保缴纳记录一致") -> None:
    application = PointsApplication.objects.get(case=case)
    for key in application.items.filter(status=ItemStatus.PENDING).values_list("key", flat=True):
        services.points_item_verify(actor=caseworker, case=case, key=key, decision="accepted", reason=reason)


def verified(resident: Resident, round: PointsRound, caseworker: User, declared: dict[str, Any] | None = None) -> Case:
    """Submitted, every item accepted as declared, review complete (approved)."""
    case = submitted(resident, round, declared)
    accept_all(case, caseworker)
    return services.points_review_complete(actor=caseworker, case=case)


def close(round: PointsRound) -> PointsRound:
    """The application window is over (yesterday was the last day)."""
    PointsRound.objects.filter(pk=round.pk).update(
        opens_on=min(round.opens_on, today() - datetime.timedelta(days=30)),
        closes_on=today() - datetime.timedelta(days=1),
    )
    round.refresh_from_db()
    return round


def publish(round: PointsRound, administrator: User) -> PointsRanking:
    close(round)
    return services.points_ranking_publish(actor=administrator, round=round)


def objection_window_over(round: PointsRound) -> PointsRound:
    PointsRound.objects.filter(pk=round.pk).update(objection_ends_on=today() - datetime.timedelta(days=1))
    round.refresh_from_db()
    return round


def total_of(case: Case) -> Decimal | None:
    return PointsApplication.objects.get(case=case).total


__all__ = ["evidence_key"]
