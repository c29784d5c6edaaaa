"""The points application as a case (cases.casetypes): its documents, its checks and its transitions, as data.

Documents are the evidence of each declared item that would add points (社保缴纳证明 for the years of social
insurance, the certificate for a skills level…); deductions and veto items are declarations the caseworker
checks against the records, so they need none. Review is item by item (points.services.points_item_verify) and
ends with points.services.points_review_complete, the only way to approve; an objection (异议) brings an approved
or refused application back to review (approved/refused → resubmitted), only through points_objection_file.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy

from cases.casetypes import STANDARD_TRANSITIONS, CasePanel, CaseType, ConsoleLink
from cases.choices import CaseStatus

from . import scoring

POINTS_CASE_TYPE = "points"

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


POINTS_CASE_TYPE_DEFINITION = CaseType(
    key=POINTS_CASE_TYPE,
    label=gettext_lazy("积分申请"),
    reference_prefix="JF",
    documents=(),
    due_in=datetime.timedelta(days=15),
    transitions=POINTS_TRANSITIONS,
    documents_of="points.selectors.points_case_documents",
    check_submit="points.services.points_case_check_submit",
    on_transition="points.services.points_case_on_transition",
    has_own_start=True,
    applicant_panel=CasePanel(template="points/case_panel.html", context="points.views.points_case_panel_context"),
    console_link=ConsoleLink(label=gettext_lazy("逐项核定积分"), url_name="admin:points_pointsapplication_review"),
)
