"""The case type of a school enrolment application ("school_enrolment"), registered in EducationConfig.ready().

The applicant is the child; a guardian opens, submits and withdraws it. Documents, the one-time
missing-documents notice, approval and refusal with reasons are the generic casework (residents.services.case_*)
and its console: that is the caseworker's document check. What is particular to enrolment is here: the
documents asked for, the conditions checked again on submission, that approval and withdrawal belong to the
time before the round is allocated, and the panel the applicant's case page shows.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from residents.casetypes import STANDARD_TRANSITIONS, CaseType, DocumentRequirement
from residents.choices import CaseStatus
from residents.models import Case
from yuean.errors import DomainError

from . import eligibility
from .choices import RoundStatus
from .models import EnrolmentApplication

ENROLMENT_CASE_TYPE = "school_enrolment"

ENROLMENT_DOCUMENTS = (
    DocumentRequirement(
        "birth_certificate", _("孩子的出生医学证明或户口簿"),
        help_text=_("出生医学证明，或户口簿上户主页和孩子本人页，拍照上传即可。"),
    ),
    DocumentRequirement(
        "guardian_residence_permit", _("父母（监护人）的居住证"),
        help_text=_("越城区签发、在有效期内的居住证正反面（电子居住证截图也可以）。"),
    ),
    DocumentRequirement(
        "address_proof", _("居住地址证明"),
        help_text=_("租房合同、房产证，或单位出具的住宿证明，地址要和居住登记一致。"),
    ),
    DocumentRequirement(
        "vaccination_certificate", _("预防接种证"),
        help_text=_("孩子的预防接种证（小本子）记录页。疫苗没有打全的，社区卫生服务中心会帮您补种。"),
    ),
)  # fmt: skip

# The standard moves, and an approved application may still be withdrawn until the round is allocated (the
# family moved away): afterwards the family answers the result instead (confirm or decline).
ENROLMENT_TRANSITIONS = {**STANDARD_TRANSITIONS, CaseStatus.APPROVED: frozenset({CaseStatus.WITHDRAWN})}


def _detail(case: Case) -> EnrolmentApplication | None:
    return EnrolmentApplication.objects.select_related("round", "guardian", "child").filter(case=case).first()


def _check_submit(case: Case) -> None:
    """Checked again on submission: the window may have closed, or the guardian's permit lapsed, since the draft."""
    detail = _detail(case)
    if detail is None:  # opened through the generic /api/v1/cases/, without a round
        raise DomainError(
            "round_missing", _("这件申请没有选择招生轮次，请在“随迁子女入学”页面重新申请。"), field="round"
        )
    today = timezone.localdate()
    eligibility.check_round_takes_applications(detail.round, today)
    eligibility.check_guardian_of(detail.guardian, detail.child)
    eligibility.check_guardian_permit(detail.guardian, today)
    eligibility.check_child_age(detail.round, detail.child)


def _on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    """Approval takes the child into the round's allocation and withdrawal takes them out, so both belong to the
    time before the allocation; a refused or withdrawn application stops counting, so the child may apply again."""
    detail = EnrolmentApplication.objects.select_related("round").select_for_update(of=("self",)).get(case=case)
    allocated = detail.round.status not in (RoundStatus.DRAFT, RoundStatus.OPEN)
    if target == CaseStatus.APPROVED and allocated:
        raise DomainError(
            "round_allocated", _("本轮学位已经分配，不能再批准新的申请。请告知家长参加补录。"), conflict=True
        )
    if target == CaseStatus.WITHDRAWN and source == CaseStatus.APPROVED and allocated:
        raise DomainError("round_allocated", _("本轮学位已经分配，请在录取结果中选择“放弃学位”。"), conflict=True)
    if target in (CaseStatus.WITHDRAWN, CaseStatus.REFUSED) and detail.is_current:
        detail.is_current = False
        detail.save(update_fields=["is_current"])


def _applicant_panel(request: HttpRequest, case: Case) -> str:
    """On the applicant's case page: the round, the schools ranked and, once allocated, the result and why."""
    from . import selectors  # selectors import this module's constant

    panel = selectors.enrolment_case_panel(case=case, today=timezone.localdate())
    if panel is None:
        return ""
    return render_to_string("education/enrolment_case_panel.html", {"case": case, "panel": panel}, request=request)


ENROLMENT_CASE_TYPE_DECLARATION = CaseType(
    key=ENROLMENT_CASE_TYPE,
    label=_("随迁子女入学"),
    reference_prefix="RX",
    documents=ENROLMENT_DOCUMENTS,
    due_in=datetime.timedelta(days=10),
    transitions=ENROLMENT_TRANSITIONS,
    check_submit=_check_submit,
    on_transition=_on_transition,
    has_own_start=True,
    applicant_panel=_applicant_panel,
)
