from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    """The statuses every case moves through (ARCHITECTURE.md "Cases")."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已受理")
    NEEDS_DOCUMENTS = "needs_documents", _("待补正材料")
    RESUBMITTED = "resubmitted", _("已补正")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")
    ISSUED = "issued", _("已制证")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")



# Awaiting a caseworker's decision: what the queue shows and the deadline counts for.
CASE_PENDING_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED)



# Still open from the applicant's side: they may withdraw.
CASE_OPEN_STATUSES = (CaseStatus.DRAFT, *CASE_PENDING_STATUSES, CaseStatus.NEEDS_DOCUMENTS)


class CaseEvent(models.TextChoices):
    """The audit events of the case engine (every case type writes them)."""

    CASE_OPENED = "case.opened", _("新建申请")
    CASE_TRANSITION = "case.transition", _("申请状态变更")
    CASE_ASSIGNED = "case.assigned", _("分派申请")
    CASE_DOCUMENT_UPLOADED = "case.document_uploaded", _("上传材料")
