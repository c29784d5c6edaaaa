"""Every write on a case: opening, the one transition service and its wrappers, assignment and documents.

Each service validates all of its input before it writes, runs in one transaction, and records its own
AuditEvent. A refusal is a DomainError with the field it belongs to; nothing is saved when one is raised.
The case type declares what is particular to it (cases.casetypes); nothing here names a case type.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_caseworker
from kernel.errors import DomainError
from kernel.uploads import upload_check
from notifications.services import bilingual, notify
from residents import selectors as residents_selectors
from residents.models import (
    AuditEvent,
    Jurisdiction,
    Resident,
)
from residents.permissions import covers_street
from residents.services import audit_event, audit_record, audit_value

from .casetypes import (
    APPLICANT_TARGETS,
    OTHER_DOCUMENT,
    STAFF_TARGETS,
    case_type_get,
    hook_resolve,
)
from .choices import CaseEvent, CaseStatus
from .models import Case, CaseDocument
from .permissions import acts_for_applicant, may_assign_cases_to_others, may_decide_case


def case_recipients(case: Case) -> list[User]:
    """Who hears about a case: the applicant, or for a child without a login, the guardians
    (residents.selectors.resident_recipients)."""
    user_ids = residents_selectors.resident_recipients([case.applicant_id]).get(case.applicant_id, [])
    users = User.objects.in_bulk(user_ids)
    return [users[pk] for pk in user_ids if pk in users]



def _case_notify(case: Case, *, template: str, event_id: int, extra: dict[str, Any] | None = None) -> None:
    context = {
        "reference": case.reference,
        "case_type": bilingual(case_type_get(case.case_type).label),
        "applicant": case.applicant.name,
        **(extra or {}),
    }
    link = reverse("cases:case_detail", args=[case.reference])
    for user in case_recipients(case):
        notify(
            recipient=user, template=template, context=context, link=link,
            dedupe_key=f"case:{case.pk}:{template}:{event_id}:{user.pk}",
        )  # fmt: skip



def _status_label(status: str) -> str:
    return str(CaseStatus(status).label)



@transaction.atomic
def case_open(*, actor: User, case_type: str, applicant: Resident, ip: str | None = None) -> Case:
    """Start a draft application for the applicant (oneself, one's child, or at the window by a caseworker)."""
    declared = case_type_get(case_type)
    if not Resident.objects.visible_to(actor).filter(pk=applicant.pk).exists():
        raise DomainError("not_allowed", _("您不能为这位居民提出申请。"))
    if applicant.is_archived:
        raise DomainError("resident_archived", _("该档案已归档，不能修改。"))
    case = Case.objects.create(case_type=declared.key, applicant=applicant, opened_by=actor, street=applicant.street)
    case.reference = f"{declared.reference_prefix}{timezone.localdate():%Y%m%d}{case.pk:07d}"
    case.save(update_fields=["reference"])
    audit_record(
        actor=actor, subject=applicant, event_type=CaseEvent.CASE_OPENED, obj=case,
        new={"case_type": declared.key, "reference": case.reference}, ip=ip,
    )  # fmt: skip
    return case



def case_start(*, actor: User, case_type: str, applicant: Resident, ip: str | None = None) -> Case:
    """Open a case of a type that needs nothing but the case itself (the generic API's create)."""
    try:
        declared = case_type_get(case_type)
    except LookupError as exc:
        raise DomainError("case_type_unknown", _("没有这种业务类型。"), field="case_type") from exc
    if declared.has_own_start:
        raise DomainError("case_type_has_own_start", _("这种业务请从它自己的申请页面或接口办理。"), field="case_type")
    return case_open(actor=actor, case_type=case_type, applicant=applicant, ip=ip)



def case_check_actor(actor: User, case: Case, target: str) -> None:
    """Whether the actor may make this move: staff moves need the case type's decider (by default a caseworker
    of the case's street), applicant moves the applicant, their guardian or such a caseworker at the window.
    A service of a case type's own step (a permit's dispatch) checks this before validating its input."""
    declared = case_type_get(case.case_type)
    if target in STAFF_TARGETS:
        decide = hook_resolve(declared.may_decide) if declared.may_decide is not None else may_decide_case
        if not decide(actor, case):
            raise DomainError("not_allowed", _("您没有办理这件申请的权限（不在您负责的街道）。"))
    # At the window a caseworker may also submit or withdraw on the applicant's behalf.
    elif target in APPLICANT_TARGETS and not (acts_for_applicant(actor, case) or may_decide_case(actor, case)):
        raise DomainError("not_allowed", _("只有申请人本人或其监护人可以这样做。"))



@transaction.atomic
def case_transition(
    *,
    actor: User,
    case: Case,
    target: str,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    notify_extra: dict[str, Any] | None = None,
    notify_template: str = "",
    automatic: bool = False,
    ip: str | None = None,
) -> Case:
    """The one way a case changes status: lock, check the move and the actor, save, audit, notify.

    ``changes`` are further fields set in the same save (deadlines, the notice's list). Two caseworkers
    acting at once are serialised by the row lock; the second finds the move no longer allowed.
    ``automatic`` is a decision a published rule makes without a person (an endorsement while the holder is
    still registered): no caseworker check, no actor in the audit row, and the rule is the reason.
    """
    locked = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    declared = case_type_get(locked.case_type)
    source = locked.status
    # Who may act is checked before what the case allows, so a refusal never tells an outsider its status.
    if not automatic:
        case_check_actor(actor, locked, target)
    if not declared.allows(source, target):
        raise DomainError(
            "transition_not_allowed",
            _("这件申请当前的状态是“%(status)s”，不能改为“%(target)s”。可能已由其他工作人员办理，请刷新后查看。")
            % {"status": _status_label(source), "target": _status_label(target)},
            conflict=True,
        )
    now = timezone.now()
    locked.status = target
    if target in (CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN):
        locked.decided_at = now
        locked.decision_reason = reason
    for field, value in (changes or {}).items():
        setattr(locked, field, value)
    locked.save()
    declared.call("on_transition", case=locked, source=source, target=target, actor=actor)
    event = audit_record(
        actor=None if automatic else actor, subject=locked.applicant, event_type=CaseEvent.CASE_TRANSITION,
        obj=locked, old={"status": source},
        new={"status": target, **{k: audit_value(v) for k, v in (changes or {}).items()}}, reason=reason, ip=ip,
    )  # fmt: skip
    _case_notify(
        locked, template=notify_template or f"case.{target}", event_id=event.pk,
        extra={"reason": reason, **(notify_extra or {})},
    )  # fmt: skip
    return locked



def _case_documents_present(case: Case, *, since: datetime.datetime | None = None) -> set[str]:
    documents = CaseDocument.objects.filter(case=case)
    if since is not None:
        documents = documents.filter(uploaded_at__gte=since)
    return set(documents.values_list("kind", flat=True))



def case_submit(*, actor: User, case: Case, ip: str | None = None) -> Case:
    """Submit a draft: every required document must be there; the receipt carries the reference number."""
    case_check_actor(actor, case, CaseStatus.SUBMITTED)
    declared = case_type_get(case.case_type)
    present = _case_documents_present(case)
    missing = [str(d.label) for d in declared.documents_for(case) if d.required and d.key not in present]
    if missing:
        raise DomainError(
            "documents_missing", _("还缺少以下材料：%(list)s。请上传后再提交。") % {"list": "、".join(missing)},
            field="documents",
        )  # fmt: skip
    declared.call("check_submit", case)
    street = case.applicant.street
    if street is None:
        raise DomainError(
            "no_street",
            _("您的档案还没有填写现居社区，无法确定受理街道。请先完善居民档案。"),
            field="applicant",
        )
    now = timezone.now()
    return case_transition(
        actor=actor, case=case, target=CaseStatus.SUBMITTED, ip=ip,
        changes={"submitted_at": now, "due_at": now + declared.due_in, "street": street},
        notify_extra={"due_date": timezone.localtime(now + declared.due_in).date().isoformat()},
    )  # fmt: skip



def case_request_documents(
    *, actor: User, case: Case, missing: list[str], note: str = "", ip: str | None = None
) -> Case:
    """The one missing-documents notice (条例 art. 9): everything missing, listed at once."""
    case_check_actor(actor, case, CaseStatus.NEEDS_DOCUMENTS)
    declared = case_type_get(case.case_type)
    allowed = declared.document_keys_for(case) | {OTHER_DOCUMENT.key}
    missing = list(dict.fromkeys(missing))  # keep order, drop repeats
    if not missing:
        raise DomainError("missing_required", _("请勾选需要补正的材料。"), field="missing")
    if unknown := [key for key in missing if key not in allowed]:
        raise DomainError(
            "missing_unknown", _("未知的材料类型：%(keys)s。") % {"keys": "、".join(unknown)}, field="missing"
        )
    if OTHER_DOCUMENT.key in missing and not note.strip():
        raise DomainError("note_required", _("勾选“其他材料”时，请写明需要补充什么。"), field="note")
    if case.notice_sent_at is not None:
        raise DomainError("notice_already_sent", _("补正通知只能发一次，这件申请已经发过。"), conflict=True)
    labels = bilingual([(declared.document_for(case, k) or OTHER_DOCUMENT).label for k in missing])
    return case_transition(
        actor=actor, case=case, target=CaseStatus.NEEDS_DOCUMENTS, reason=note.strip(), ip=ip,
        changes={"missing_documents": missing, "notice_note": note.strip(), "notice_sent_at": timezone.now()},
        notify_extra={"missing": labels, "note": note.strip()},
    )  # fmt: skip



def case_resubmit(*, actor: User, case: Case, ip: str | None = None) -> Case:
    """Resubmit after the notice: each listed document must have been uploaded since. The deadline restarts."""
    case_check_actor(actor, case, CaseStatus.RESUBMITTED)
    declared = case_type_get(case.case_type)
    present = _case_documents_present(case, since=case.notice_sent_at)
    still = [
        str((declared.document_for(case, key) or OTHER_DOCUMENT).label)
        for key in case.missing_documents
        if key not in present
    ]
    if still:
        raise DomainError(
            "documents_missing",
            _("还缺少以下补正材料：%(list)s。") % {"list": "、".join(still)},
            field="documents",
        )
    return case_transition(
        actor=actor, case=case, target=CaseStatus.RESUBMITTED, ip=ip,
        changes={"due_at": timezone.now() + declared.due_in},
    )  # fmt: skip



def case_approve(*, actor: User, case: Case, note: str = "", ip: str | None = None) -> Case:
    return case_transition(actor=actor, case=case, target=CaseStatus.APPROVED, reason=note.strip(), ip=ip)



def case_refuse(*, actor: User, case: Case, reason: str, ip: str | None = None) -> Case:
    """Refuse with the reasons the applicant will read (条例 art. 9: a refusal always carries reasons)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("不予批准必须写明理由，申请人会看到。"), field="reason")
    return case_transition(actor=actor, case=case, target=CaseStatus.REFUSED, reason=reason, ip=ip)



def case_withdraw(*, actor: User, case: Case, reason: str = "", ip: str | None = None) -> Case:
    return case_transition(actor=actor, case=case, target=CaseStatus.WITHDRAWN, reason=reason.strip(), ip=ip)



def _check_assignee(case: Case, assignee: User) -> None:
    if not (assignee.is_active and is_caseworker(assignee) and covers_street(assignee, case)):
        raise DomainError(
            "assignee_out_of_scope", _("%(name)s 不负责这件申请所在的街道。") % {"name": assignee.username},
            field="assignee",
        )  # fmt: skip



@transaction.atomic
def case_assign(*, actor: User, case: Case, assignee: User | None, ip: str | None = None) -> Case:
    """Take a case (assignee is oneself), or, as a team leader, give it to a caseworker of its street."""
    try:
        locked = Case.objects.visible_to(actor).select_for_update().get(pk=case.pk)
    except Case.DoesNotExist as exc:
        raise DomainError("case_not_found", _("这件申请不存在或不在您的范围内。")) from exc
    if assignee is not None and assignee.pk == actor.pk:
        _check_assignee(locked, actor)
    elif not may_assign_cases_to_others(actor):
        raise DomainError("not_allowed", _("只有组长或管理员可以把申请分派给别人。"))
    elif assignee is not None:
        _check_assignee(locked, assignee)
    before = locked.assigned_to_id
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to", "updated_at"])
    audit_record(
        actor=actor, subject=locked.applicant, event_type=CaseEvent.CASE_ASSIGNED, obj=locked,
        old={"assigned_to": before}, new={"assigned_to": assignee.pk if assignee else None}, ip=ip,
    )  # fmt: skip
    return locked



@transaction.atomic
def case_reassign_bulk(*, actor: User, case_ids: list[int], assignee: User, ip: str | None = None) -> int:
    """A team leader moves many cases to one caseworker: all or none, one UPDATE and one audit insert."""
    if not may_assign_cases_to_others(actor):
        raise DomainError("not_allowed", _("只有组长或管理员可以批量分派。"))
    cases = list(Case.objects.visible_to(actor).select_for_update().filter(pk__in=case_ids).select_related("applicant"))
    if len(cases) != len(set(case_ids)):
        raise DomainError("case_not_found", _("有申请不存在或不在您的范围内。"))
    covered = set(Jurisdiction.objects.filter(caseworker=assignee).values_list("street_id", flat=True))
    if not (assignee.is_active and is_caseworker(assignee)) or any(c.street_id not in covered for c in cases):
        raise DomainError(
            "assignee_out_of_scope", _("%(name)s 不负责其中一些申请所在的街道。") % {"name": assignee.username},
            field="assignee",
        )  # fmt: skip
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(assigned_to=assignee, updated_at=timezone.now())
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                actor=actor, subject=c.applicant, event_type=CaseEvent.CASE_ASSIGNED, obj=c,
                old={"assigned_to": c.assigned_to_id}, new={"assigned_to": assignee.pk}, ip=ip,
            )
            for c in cases
        ]
    )  # fmt: skip
    return len(cases)



def case_document_upload(
    *, actor: User, case: Case, kind: str, upload: UploadedFile, ip: str | None = None
) -> CaseDocument:
    """Attach a file to a case that is a draft or awaiting documents. Nothing is stored when it is refused."""
    declared = case_type_get(case.case_type)
    if not (acts_for_applicant(actor, case) or may_decide_case(actor, case)):
        raise DomainError("not_allowed", _("只有申请人本人或其监护人可以上传材料。"))
    if case.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS):
        raise DomainError(
            "documents_locked",
            _("这件申请现在是“%(status)s”，不能再上传材料。") % {"status": _status_label(case.status)},
        )
    if kind not in declared.document_keys_for(case) | {OTHER_DOCUMENT.key}:
        raise DomainError("document_kind_invalid", _("请选择材料类型。"), field="kind")
    checked = upload_check(upload, max_bytes=settings.DOCUMENT_MAX_BYTES)
    document = CaseDocument(
        case=case, kind=kind, original_name=checked.name, mime_type=checked.mime_type, size=checked.size,
        sha256=checked.sha256, uploaded_by=actor,
    )  # fmt: skip
    document.file.save(f"{uuid.uuid4().hex}.{checked.extension}", upload, save=False)
    try:
        with transaction.atomic():
            document.save()
            audit_record(
                actor=actor, subject=case.applicant, event_type=CaseEvent.CASE_DOCUMENT_UPLOADED, obj=case,
                new={"kind": kind, "name": checked.name, "size": checked.size}, ip=ip,
            )  # fmt: skip
    except BaseException:
        document.file.delete(save=False)  # no orphan file when the row could not be written
        raise
    return document
