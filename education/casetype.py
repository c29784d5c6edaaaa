"""The case type of a school enrolment application ("school_enrolment"), registered in EducationConfig.ready(),
declared as data (the hooks it names live in education.services and education.views).

The applicant is the child; a guardian opens, submits and withdraws it. Documents, the one-time
missing-documents notice, approval and refusal with reasons are the generic casework (cases.services.case_*)
and its console: that is the caseworker's document check. What is particular to enrolment is here: the
documents asked for, the conditions checked again on submission, that approval and withdrawal belong to the
time before the round is allocated, and the panel the applicant's case page shows.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from cases.casetypes import STANDARD_TRANSITIONS, CasePanel, CaseType, DocumentRequirement
from cases.choices import CaseStatus

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


ENROLMENT_CASE_TYPE_DECLARATION = CaseType(
    key=ENROLMENT_CASE_TYPE,
    label=_("随迁子女入学"),
    reference_prefix="RX",
    documents=ENROLMENT_DOCUMENTS,
    due_in=datetime.timedelta(days=10),
    transitions=ENROLMENT_TRANSITIONS,
    check_submit="education.services.enrolment_case_check_submit",
    on_transition="education.services.enrolment_case_on_transition",
    has_own_start=True,
    applicant_panel=CasePanel(
        template="education/enrolment_case_panel.html", context="education.views.enrolment_case_panel_context"
    ),
)
