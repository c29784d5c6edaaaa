"""The affordable-housing case type ("affordable_housing"), registered in HousingConfig.ready(): its documents,
its transitions and the limits an application keeps to.

Declared as data: the hooks and the panel are named by their dotted paths (cases.casetypes), so this module
imports neither the services nor the views that carry them out.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from cases.casetypes import PRODUCING_TRANSITIONS, CasePanel, CaseType, DocumentRequirement
from cases.choices import CASE_OPEN_STATUSES, CaseStatus

AFFORDABLE_CASE_TYPE = "affordable_housing"
# A household larger than this is a typing mistake, not a family (the largest flats have three rooms).
MAX_HOUSEHOLD_SIZE = 10
UNIT_LABEL_MAX = 60
# Still "in progress" for the one-application rule: from the draft to an offered flat not yet moved into.
ACTIVE_STATUSES = (*CASE_OPEN_STATUSES, CaseStatus.APPROVED, CaseStatus.ISSUED)

AFFORDABLE_DOCUMENTS = (
    DocumentRequirement("id_card", _("身份证"), help_text=_("申请人身份证正反面；共同申请的家庭成员也请一并上传。")),
    DocumentRequirement(
        "residence_permit", _("居住证或居住证明"),
        help_text=_("越城区签发、在有效期内的居住证（电子居住证截图也可以）。"),
    ),
    DocumentRequirement(
        "income_proof", _("家庭收入证明"), help_text=_("单位出具的上年度收入证明，或个人所得税 App 的纳税记录截图。")
    ),
    DocumentRequirement(
        "no_home_declaration", _("无房承诺书"),
        help_text=_("本人、配偶及未成年子女在越城区没有自有住房的书面承诺，签名后拍照上传。"),
    ),
)  # fmt: skip

# The standard moves, then "issued" (a flat offered) and "delivered" (moved in). An approved applicant may
# still leave the waiting list, and may turn an offer down: both are a withdrawal by the applicant.
AFFORDABLE_TRANSITIONS = {
    **PRODUCING_TRANSITIONS,
    CaseStatus.APPROVED: frozenset({CaseStatus.ISSUED, CaseStatus.WITHDRAWN}),
    CaseStatus.ISSUED: frozenset({CaseStatus.DELIVERED, CaseStatus.WITHDRAWN}),
}

AFFORDABLE_HOUSING_CASE_TYPE = CaseType(
    key=AFFORDABLE_CASE_TYPE,
    label=_("保障性租赁住房"),
    reference_prefix="BZ",
    documents=AFFORDABLE_DOCUMENTS,
    due_in=datetime.timedelta(days=15),
    transitions=AFFORDABLE_TRANSITIONS,
    check_submit="housing.affordable.services.affordable_case_check_submit",
    on_transition="housing.affordable.services.affordable_case_on_transition",
    has_own_start=True,
    applicant_panel=CasePanel(
        template="housing/affordable_case_panel.html",
        context="housing.affordable.views.affordable_case_panel_context",
    ),
)
