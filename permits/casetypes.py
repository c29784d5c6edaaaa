"""The permit family's case types: a first application (居住证), a replacement card (补领、换领) and the yearly
endorsement (签注), registered in PermitsConfig.ready().

Declared as data: the hooks are named by their dotted paths (cases.casetypes), so this module imports neither
the services nor the views that carry them out.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.casetypes import PRODUCING_TRANSITIONS, CaseAction, CasePanel, CaseType, DocumentRequirement

from .selectors import PERMIT_CASE_TYPE, PERMIT_ENDORSEMENT_CASE_TYPE, PERMIT_REPLACEMENT_CASE_TYPE

PERMIT_REPLACEMENT_DOCUMENTS = (
    DocumentRequirement("photo", _("近期免冠证件照（白底）")),
    DocumentRequirement("loss_statement", _("遗失声明或损坏证件照片"), required=False),
)

# What the applicant's case page shows of a permit application or a replacement: the answers (a review
# before submitting, so below the documents on a draft), then how the card arrives.
PERMIT_APPLICANT_PANEL = CasePanel(
    template="permits/permit_case_panel.html", context="permits.views.permit_case_panel_context", draft_below=True
)
# The console's case page: the details above the buttons, and the card's way to the applicant after them.
PERMIT_CONSOLE_PANEL = CasePanel(
    template="admin/permits/case_details.html", context="permits.admin.permit_case_console_context"
)
PERMIT_CONSOLE_ACTIONS = CasePanel(
    template="admin/permits/case_actions.html", context="permits.admin.permit_case_console_context"
)
PERMIT_ACTIONS = (
    CaseAction(
        key="dispatch", label=_("制证并寄出 / 通知领取"), run="permits.admin.permit_dispatch_from_console",
        keep_fields=("courier", "tracking_number"),
    ),
    CaseAction(key="deliver", label=_("确认已送达 / 已领取"), run="permits.admin.permit_deliver_from_console"),
)  # fmt: skip

PERMIT_CASE_TYPES = (
    CaseType(
        key=PERMIT_CASE_TYPE, label=_("居住证"), reference_prefix="JZ",
        documents_of="permits.selectors.permit_case_documents",
        document_labels="permits.selectors.permit_document_labels",
        check_submit="permits.services.permit_case_check_submit", has_own_start=True,
        transitions=PRODUCING_TRANSITIONS, on_transition="permits.services.permit_case_on_transition",
        applicant_panel=PERMIT_APPLICANT_PANEL, console_panel=PERMIT_CONSOLE_PANEL,
        console_actions=PERMIT_CONSOLE_ACTIONS, actions=PERMIT_ACTIONS,
    ),
    CaseType(
        key=PERMIT_REPLACEMENT_CASE_TYPE, label=_("居住证补领、换领"), reference_prefix="BL",
        documents=PERMIT_REPLACEMENT_DOCUMENTS, transitions=PRODUCING_TRANSITIONS, has_own_start=True,
        on_transition="permits.services.permit_case_on_transition",
        applicant_panel=PERMIT_APPLICANT_PANEL, console_panel=PERMIT_CONSOLE_PANEL,
        console_actions=PERMIT_CONSOLE_ACTIONS, actions=PERMIT_ACTIONS,
    ),
    CaseType(
        key=PERMIT_ENDORSEMENT_CASE_TYPE, label=_("居住证签注"), reference_prefix="QZ", has_own_start=True,
        on_transition="permits.services.permit_endorsement_on_transition", console_panel=PERMIT_CONSOLE_PANEL,
        # Not offered on its page; posted anyway, the service answers that this is no permit application.
        actions=PERMIT_ACTIONS,
    ),
)  # fmt: skip
