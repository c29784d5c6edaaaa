"""The case engine's tables: one ``Case`` row per application of any kind, and the documents attached to it.

The tables keep the names they were created with (``residents_case``, ``residents_casedocument``): the models
moved here from residents without moving any data (docs/adr/0012).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.storage import documents_storage
from residents.models import Region, Resident, ResidentScopedQuerySet

from .choices import CASE_PENDING_STATUSES, CaseStatus


class CaseQuerySet(ResidentScopedQuerySet):
    """Applicants (and their guardians) see their cases; caseworkers the cases of their streets."""

    resident_path = "applicant"

    def pending(self) -> CaseQuerySet:
        return self.filter(status__in=CASE_PENDING_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> CaseQuerySet:
        return self.pending().filter(due_at__lt=now or timezone.now())



class Case(models.Model):
    """An application that a caseworker decides: permit, endorsement, points, school place, housing…

    ``case_type`` names its declaration in cases.casetypes (documents, deadline, transitions). Status
    moves only through cases.services.case_transition; the row is locked while it does.
    """

    case_type = models.CharField(_("业务类型"), max_length=40)
    reference = models.CharField(_("受理编号"), max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001
    # Single-column indexes on these keys would duplicate the composite ones below.
    applicant = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="cases", verbose_name=_("申请人"), db_index=False
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    # The applicant's street when the case was submitted: whose caseworkers decide it.
    street = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("街道"),
        db_index=False,
    )
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("经办人"),
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    notice_sent_at = models.DateTimeField(_("补正通知时间"), null=True, blank=True)
    missing_documents = models.JSONField(_("需补正材料"), default=list, blank=True)
    notice_note = models.TextField(_("补正说明"), blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        db_table = "residents_case"  # created in residents, before the move (ADR 0012)
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        indexes = [
            # The console's queue: a street's pending cases by deadline; "mine" by deadline.
            models.Index(fields=["street", "status", "due_at"], name="case_street_queue"),
            models.Index(fields=["assigned_to", "status", "due_at"], name="case_assignee_queue"),
            models.Index(fields=["case_type", "status", "due_at"], name="case_type_queue"),
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["applicant", "-id"], name="case_applicant_newest"),
            # Any status by deadline ("全部" in the console): no sort of a street's whole history.
            models.Index(fields=["due_at", "id"], name="case_due"),
            # The default queue: pending cases by deadline, whatever the street (the street list is short).
            models.Index(
                fields=["due_at", "id"], name="case_pending_due", condition=Q(status__in=CASE_PENDING_STATUSES)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.REFUSED) | ~Q(decision_reason=""),
                name="case_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return bool(self.status in CASE_PENDING_STATUSES and self.due_at and self.due_at < timezone.now())



class CaseDocument(models.Model):
    """A file attached to a case. Stored privately; served only by a view that checks the case's visibility."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents", verbose_name=_("申请"))
    kind = models.CharField(_("材料类型"), max_length=40)
    file = models.FileField(_("文件"), upload_to="documents/%Y/%m/", storage=documents_storage, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    mime_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        db_table = "residents_casedocument"  # created in residents, before the move (ADR 0012)
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        indexes = [models.Index(fields=["case", "kind"], name="case_document_kind")]

    def __str__(self) -> str:
        return self.original_name
