"""Every read on cases goes through Case.objects.visible_to(user)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from accounts.models import User
from residents.models import AuditEvent, GuardianLink, Resident

from .casetypes import OTHER_DOCUMENT, case_type_get
from .models import Case, CaseDocument


def case_list(*, user: User) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("applicant", "street", "assigned_to")



def case_list_of_family(*, user: User) -> QuerySet[Case]:
    """The user's own applications and their children's, newest first (what "我的申请" lists, staff or not)."""
    own = Resident.objects.filter(user=user).values_list("id", flat=True)
    children = GuardianLink.objects.filter(guardian__user=user).values_list("child_id", flat=True)
    return case_list(user=user).filter(applicant_id__in=list(own.union(children))).order_by("-id")



def case_get(*, user: User, reference: str) -> Case:
    """A case the user may see, by its reference number; Case.DoesNotExist (a 404) otherwise."""
    return case_list(user=user).get(reference=reference)



def case_get_by_id(*, user: User, pk: int) -> Case:
    return case_list(user=user).get(pk=pk)



def case_timeline(*, case: Case) -> QuerySet[AuditEvent]:
    """What happened to the case, oldest first. Read only for a case the caller already may see."""
    return (
        AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(Case), object_id=str(case.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )



def case_documents(*, case: Case) -> QuerySet[CaseDocument]:
    return case.documents.order_by("kind", "uploaded_at")



def case_document_get(*, user: User, pk: int) -> CaseDocument:
    """A document whose case the user may see; CaseDocument.DoesNotExist (a 404) otherwise."""
    return CaseDocument.objects.select_related("case").get(pk=pk, case__in=Case.objects.visible_to(user))



@dataclass(frozen=True)
class DocumentChecklistItem:
    key: str
    label: str
    required: bool
    help_text: str
    requested: bool  # listed in the missing-documents notice
    uploaded: list[CaseDocument]



def case_document_checklist(*, case: Case) -> list[DocumentChecklistItem]:
    """The declared documents with what has been uploaded for each, plus any "other" files."""
    declared = case_type_get(case.case_type)
    uploaded: dict[str, list[CaseDocument]] = {}
    for document in case_documents(case=case):
        uploaded.setdefault(document.kind, []).append(document)
    items = [*declared.documents_for(case), OTHER_DOCUMENT]
    return [
        DocumentChecklistItem(
            key=d.key, label=str(d.label), required=d.required, help_text=str(d.help_text),
            requested=d.key in (case.missing_documents or []), uploaded=uploaded.get(d.key, []),
        )
        for d in items
        if d.key != OTHER_DOCUMENT.key or uploaded.get(d.key) or OTHER_DOCUMENT.key in (case.missing_documents or [])
    ]  # fmt: skip
