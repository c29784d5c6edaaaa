"""The points application as a case (residents.casetypes): its documents, its checks and its transitions.

Documents are the evidence of each declared item that would add points (社保缴纳证明 for the years of social
insurance, the certificate for a skills level…); deductions and veto items are declarations the caseworker
checks against the records, so they need none. Review is item by item (points.services.points_item_verify) and
ends with points.services.points_review_complete, the only way to approve; an objection (异议) brings an approved
or refused application back to review (approved/refused → resubmitted), only through points_objection_file.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from residents.casetypes import STANDARD_TRANSITIONS, CaseType, DocumentRequirement, localized_label
from residents.choices import CaseStatus
from residents.models import Case, Resident
from residents.services import permit_require_valid
from yuean.errors import DomainError

from . import scoring
from .choices import ItemStatus
from .models import PointsApplication, PointsRound
from .selectors import POINTS_CASE_TYPE, rule_set_scoring_of

POINTS_TRANSITIONS = {
    **STANDARD_TRANSITIONS,
    CaseStatus.APPROVED: frozenset({CaseStatus.RESUBMITTED}),
    CaseStatus.REFUSED: frozenset({CaseStatus.RESUBMITTED}),
}


def evidence_key(indicator_key: str) -> str:
    return f"evidence_{indicator_key}"


def needs_review(indicator: scoring.Indicator, declared: object) -> bool:
    """A declared line a person must check: anything that would add points, and every deduction and veto
    answer (a "no" is checked against the records too). A basic or bonus line left empty counts nothing."""
    if indicator.category in (scoring.Category.DEDUCTION, scoring.Category.VETO):
        return True
    return declared not in (None, False, "", "0", [], 0)


def needs_evidence(indicator: scoring.Indicator, declared: object) -> bool:
    return indicator.category in (scoring.Category.BASIC, scoring.Category.BONUS) and needs_review(indicator, declared)


def points_applicant_check(applicant: Resident) -> None:
    """Points are for holders of a valid residence permit (居住证积分): checked at start and on submission."""
    permit_require_valid(applicant, service=_("积分申请"))


def points_round_check_open(round: PointsRound, today: datetime.date, *, field: str | None = None) -> None:
    """Applications are started and submitted only within the round's window: checked at both."""
    if not round.is_open_on(today):
        raise DomainError(
            "points_round_closed",
            _("本期积分申报时间为 %(opens)s 至 %(closes)s，现在不在申报时间内。请留意“积分”页面公布的下一期申报时间。")
            % {"opens": round.opens_on.isoformat(), "closes": round.closes_on.isoformat()},
            field=field,
            conflict=True,
        )


def _documents_of(case: Case) -> tuple[DocumentRequirement, ...]:
    detail = PointsApplication.objects.filter(case=case).first()
    if detail is None:
        return ()
    rule_set = rule_set_scoring_of(detail.rule_set_id)
    declared = dict(detail.items.values_list("key", "declared"))
    documents = []
    for indicator in rule_set.indicators:
        if indicator.source == scoring.Source.DECLARED and needs_evidence(indicator, declared.get(indicator.key)):
            label = localized_label(f"{indicator.label_zh}证明材料", f"Evidence: {indicator.label_en}")
            documents.append(DocumentRequirement(evidence_key(indicator.key), label))
    return tuple(documents)


def _check_submit(case: Case) -> None:
    detail = PointsApplication.objects.select_related("round").filter(case=case).first()
    if detail is None:  # opened through the generic /api/v1/cases/, without a round
        raise DomainError("points_round_missing", _("这件申请没有申报期，请在“积分”页面重新申请。"), field="round")
    points_round_check_open(detail.round, timezone.localdate())
    points_applicant_check(case.applicant)


def _on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    from .services import points_items_compute

    detail = PointsApplication.objects.filter(case=case).first()
    if detail is None:
        return
    if target == CaseStatus.SUBMITTED:
        points_items_compute(application=detail, on=timezone.localdate())
    elif target == CaseStatus.APPROVED and (
        detail.scored_at is None or detail.items.filter(status=ItemStatus.PENDING).exists()
    ):
        raise DomainError("points_review_items", _("请逐项核定积分项目后，点击“完成核定”。"), conflict=True)
    elif (
        target == CaseStatus.RESUBMITTED
        and source in (CaseStatus.APPROVED, CaseStatus.REFUSED)
        and not detail.objections.filter(resolved_at__isnull=True).exists()
    ):
        raise DomainError("points_objection_required", _("核定结果只能通过提出异议重新审核。"), conflict=True)


def _applicant_panel(request: HttpRequest, case: Case) -> str:
    from .views import points_case_panel_context

    context = points_case_panel_context(request, case)
    if context is None:
        return ""
    return render_to_string("points/case_panel.html", context, request=request)


def _console_link(case: Case) -> tuple[str, str]:
    return _("逐项核定积分"), reverse("admin:points_pointsapplication_review", args=[case.pk])


POINTS_CASE_TYPE_DEFINITION = CaseType(
    key=POINTS_CASE_TYPE,
    label=gettext_lazy("积分申请"),
    reference_prefix="JF",
    documents=(),
    due_in=datetime.timedelta(days=15),
    transitions=POINTS_TRANSITIONS,
    documents_of=_documents_of,
    check_submit=_check_submit,
    on_transition=_on_transition,
    has_own_start=True,
    applicant_panel=_applicant_panel,
    console_link=_console_link,
)
