"""Every write on residents, caseworkers' streets, cases and their documents, and the audit trail.

Each service validates all of its input before it writes, runs in one transaction, and records its own
AuditEvent. A refusal is a DomainError with the field it belongs to; nothing is saved when one is raised.
"""

from __future__ import annotations

import datetime
import re
import secrets
import uuid
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_caseworker
from accounts.phones import phone_normalize
from notifications.services import bilingual, notify
from yuean.errors import DomainError

from . import selectors
from .casetypes import (
    APPLICANT_TARGETS,
    OTHER_DOCUMENT,
    PRODUCING_TRANSITIONS,
    STAFF_TARGETS,
    CaseType,
    DocumentRequirement,
    case_type_get,
    localized_label,
)
from .choices import (
    AuditEventType,
    CaseStatus,
    DeliveryMethod,
    Education,
    Gender,
    GuardianRelation,
    RegionKind,
    RegistrationBasis,
    ReplacementReason,
)
from .models import (
    SENSITIVE_CHILD_AGE,
    AuditEvent,
    Case,
    CaseDocument,
    GuardianLink,
    Jurisdiction,
    Permit,
    PermitApplication,
    PermitEndorsement,
    PermitType,
    Region,
    ResidenceRegistration,
    Resident,
)
from .permissions import (
    acts_for_applicant,
    can_archive_resident,
    can_reveal_id_number,
    covers_street,
    may_assign_cases_to_others,
    may_decide_case,
)
from .pii import id_number_decrypt, id_number_encrypt, id_number_hash, id_number_mask, id_number_validate
from .uploads import upload_check

ADULT_AGE = 18

# The profile fields a resident edits; the rest are derived or set by staff.
PROFILE_FIELDS = ("name", "phone", "hukou_address", "education", "community", "address", "arrival_date")


def audit_record(**fields: Any) -> AuditEvent:
    """Append one audit row (see audit_event). Called by the service that makes the change, inside its
    transaction."""
    event = audit_event(**fields)
    event.save()
    return event


def audit_event(
    *,
    actor: User | None,
    subject: Resident | None,
    event_type: str,
    obj: models.Model | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
    ip: str | None = None,
) -> AuditEvent:
    """An audit row, not yet saved: services that change many rows at once write them with bulk_create."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject=subject,
        event_type=event_type,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        old_values=old or {},
        new_values=new or {},
        reason=reason,
        ip_address=ip,
    )


def _audit_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", _("请填写姓名。"), field="name")
    if len(name) > 64:
        raise DomainError("name_too_long", _("姓名最多 64 个字。"), field="name")
    return name


def _clean_community(community: Region | None) -> Region | None:
    if community is not None and community.kind != RegionKind.COMMUNITY:
        raise DomainError("community_invalid", _("请选择一个社区（村），而不是街道或区。"), field="community")
    return community


def _clean_profile(values: dict[str, Any], *, birth_date: datetime.date | None) -> dict[str, Any]:
    """Validate the editable profile fields present in ``values`` and return them normalised."""
    cleaned: dict[str, Any] = {}
    today = timezone.localdate()
    for field, value in values.items():
        if field not in PROFILE_FIELDS:
            raise DomainError("field_not_editable", _("此项不能在这里修改。"), field=field)
        if field == "name":
            value = _clean_name(value)
        elif field == "phone":
            value = phone_normalize(value) if value else ""
        elif field == "education":
            if value and value not in Education.values:
                raise DomainError("education_invalid", _("请选择文化程度。"), field="education")
        elif field == "community":
            value = _clean_community(value)
        elif field == "arrival_date" and value is not None:
            if value > today:
                raise DomainError("arrival_in_future", _("来越日期不能晚于今天。"), field="arrival_date")
            if birth_date is not None and value < birth_date:
                raise DomainError("arrival_before_birth", _("来越日期不能早于出生日期。"), field="arrival_date")
        elif field in ("hukou_address", "address"):
            value = (value or "").strip()
            if len(value) > 200:
                raise DomainError("address_too_long", _("地址最多 200 个字。"), field=field)
        cleaned[field] = value
    return cleaned


def _resident_record_claim(*, actor: User, user: User, id_number: str, ip: str | None) -> Resident | None:
    """A record started by a landlord's report becomes the user's when they prove the phone it was started
    with (a verified login phone) and give its ID number. Anyone else is told the number is taken."""
    facts = id_number_validate(id_number)
    record = (
        Resident.objects.select_for_update()
        .filter(id_number_hash=id_number_hash(facts.normalized), user__isnull=True, archived_at__isnull=True)
        .first()
    )
    if record is None or not (user.phone and user.phone_verified and record.phone == user.phone):
        return None
    record.user = user
    record.save(update_fields=["user", "updated_at"])
    audit_record(
        actor=actor, subject=record, event_type=AuditEventType.RESIDENT_UPDATED, obj=record,
        new={"claimed_by_user": user.pk}, ip=ip,
    )  # fmt: skip
    return record


def _set_id_number(resident: Resident, raw: str) -> None:
    facts = id_number_validate(raw)
    resident.id_number_ciphertext = id_number_encrypt(facts.normalized)
    resident.id_number_hash = id_number_hash(facts.normalized)
    resident.id_number_masked = id_number_mask(facts.normalized)
    resident.birth_date = facts.birth_date
    resident.gender = facts.gender
    resident.hukou_province = facts.province_code


def _id_number_taken() -> DomainError:
    return DomainError(
        "id_number_taken",
        _("该身份证号码已有居民档案。如确系本人或本人子女，请携带身份证到社区服务窗口核实。"),
        field="id_number",
        conflict=True,
    )


def _save_unique(resident: Resident) -> None:
    """Save, turning the ID-number uniqueness violation (two requests racing included) into a DomainError."""
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        if "resident_id_number_unique" in str(exc) or "id_number_hash" in str(exc):
            raise _id_number_taken() from exc
        raise


def _check_id_number_free(raw: str, *, exclude_pk: int | None = None) -> None:
    """The friendly early answer; the unique constraint still decides when two requests race."""
    facts = id_number_validate(raw)
    taken = Resident.objects.filter(id_number_hash=id_number_hash(facts.normalized))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _id_number_taken()


@transaction.atomic
def resident_profile_create(
    *, actor: User, user: User, name: str, id_number: str, ip: str | None = None, **profile: Any
) -> Resident:
    """A signed-in user creates their own resident profile (one per user)."""
    if Resident.objects.filter(user=user).exists():
        raise DomainError("profile_exists", _("您已建立居民档案，请在“我的”页面修改。"), conflict=True)
    if claimed := _resident_record_claim(actor=actor, user=user, id_number=id_number, ip=ip):
        return resident_update(actor=actor, resident=claimed, ip=ip, **{"name": name, **profile})
    resident = Resident(user=user, created_by=actor)
    _set_id_number(resident, id_number)
    cleaned = _clean_profile({"name": name, **profile}, birth_date=resident.birth_date)
    if "phone" not in profile and user.phone:
        cleaned["phone"] = user.phone
    for field, value in cleaned.items():
        setattr(resident, field, value)
    resident.street = resident.community.parent if resident.community else None
    _check_id_number_free(id_number)
    _save_unique(resident)
    audit_record(
        actor=actor,
        subject=resident,
        event_type=AuditEventType.RESIDENT_CREATED,
        obj=resident,
        new={"id_number": resident.id_number_masked, **{k: _audit_value(v) for k, v in cleaned.items()}},
        ip=ip,
    )
    return resident


@transaction.atomic
def resident_record_start(*, actor: User, name: str, id_number: str, phone: str, ip: str | None = None) -> Resident:
    """Start the record of a tenant the portal does not know yet, from a landlord's report; the tenant
    completes it after signing up with this phone number (resident_profile_create claims it)."""
    resident = Resident(created_by=actor)
    _set_id_number(resident, id_number)
    cleaned = _clean_profile({"name": name, "phone": phone}, birth_date=resident.birth_date)
    if not cleaned["phone"]:
        raise DomainError("phone_required", _("新租客还没有居民档案，请填写租客的手机号，我们会短信邀请其完善信息。"),
                          field="phone")  # fmt: skip
    resident.name, resident.phone = cleaned["name"], cleaned["phone"]
    _check_id_number_free(id_number)
    _save_unique(resident)
    audit_record(
        actor=actor, subject=resident, event_type=AuditEventType.RESIDENT_CREATED, obj=resident,
        new={"id_number": resident.id_number_masked, "name": resident.name, "started_by_report": True}, ip=ip,
    )  # fmt: skip
    return resident


@transaction.atomic
def resident_update(
    *, actor: User, resident: Resident, id_number: str | None = None, ip: str | None = None, **changes: Any
) -> Resident:
    """Change profile fields (and, to correct a typo, the ID number); records old and new values."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.is_archived:
        raise DomainError("resident_archived", _("该档案已归档，不能修改。"))
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    if id_number:
        before_hash, before_masked = resident.id_number_hash, resident.id_number_masked
        _set_id_number(resident, id_number)
        if resident.id_number_hash != before_hash:
            _check_id_number_free(id_number, exclude_pk=resident.pk)
            old["id_number"], new["id_number"] = before_masked, resident.id_number_masked
    cleaned = _clean_profile(changes, birth_date=resident.birth_date)
    for field, value in cleaned.items():
        if getattr(resident, field) != value:
            old[field], new[field] = _audit_value(getattr(resident, field)), _audit_value(value)
            setattr(resident, field, value)
    if "community" in cleaned:
        resident.street = resident.community.parent if resident.community else None
    if not new:
        return resident
    _save_unique(resident)
    audit_record(
        actor=actor, subject=resident, event_type=AuditEventType.RESIDENT_UPDATED, obj=resident,
        old=old, new=new, ip=ip,
    )  # fmt: skip
    return resident


@transaction.atomic
def resident_child_add(
    *,
    actor: User,
    guardian: Resident,
    name: str,
    relation: str,
    id_number: str = "",
    birth_date: datetime.date | None = None,
    gender: str = "",
    ip: str | None = None,
) -> Resident:
    """Add a child without a login to the guardian's family.

    A child who has no ID number yet (a newborn not yet registered) is entered with birth date and gender.
    A child whose ID number is already on file is not linked here: attaching oneself as guardian of an
    existing record by typing a number would disclose a minor's data, so that goes through the window.
    """
    if relation not in GuardianRelation.values:
        raise DomainError("relation_invalid", _("请选择与孩子的关系。"), field="relation")
    # Read the guardian afresh and lock it, as resident_update does: a copy loaded before an archive is stale.
    guardian = Resident.objects.select_for_update().get(pk=guardian.pk)
    if guardian.is_archived:
        raise DomainError("resident_archived", _("该档案已归档，不能修改。"))
    child = Resident(created_by=actor, name=_clean_name(name))
    if id_number:
        _set_id_number(child, id_number)
    else:
        if birth_date is None:
            raise DomainError("birth_date_required", _("没有身份证号码时，请填写孩子的出生日期。"), field="birth_date")
        if gender not in Gender.values:
            raise DomainError("gender_required", _("没有身份证号码时，请选择孩子的性别。"), field="gender")
        if birth_date > timezone.localdate():
            raise DomainError("birth_date_future", _("出生日期不能晚于今天。"), field="birth_date")
        child.birth_date, child.gender = birth_date, gender
    age = child.age
    if age is None or age >= ADULT_AGE:
        raise DomainError(
            "child_not_minor",
            _("这里只能添加未满 18 周岁的子女；成年家庭成员请自行注册账户。"),
            field="id_number" if id_number else "birth_date",
        )
    # Children live with the family: they are served by the guardian's community and street.
    child.community, child.street, child.address = guardian.community, guardian.street, guardian.address
    child.hukou_address = guardian.hukou_address
    if id_number:
        _check_id_number_free(id_number)
    _save_unique(child)
    link = GuardianLink.objects.create(guardian=guardian, child=child, relation=relation)
    audit_record(
        actor=actor,
        subject=child,
        event_type=AuditEventType.CHILD_ADDED,
        obj=link,
        new={
            "name": child.name,
            "id_number": child.id_number_masked,
            "guardian": guardian.pk,
            "relation": relation,
            "sensitive_minor": (age < SENSITIVE_CHILD_AGE),
        },
        ip=ip,
    )
    return child


@transaction.atomic
def resident_archive(*, actor: User, resident: Resident, reason: str, ip: str | None = None) -> Resident:
    """Archive instead of delete: the record stays for the audit trail and history, with the reason."""
    if not can_archive_resident(actor, resident):
        raise DomainError("not_allowed", _("您没有归档居民档案的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("请填写归档原因。"), field="reason")
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.is_archived:
        raise DomainError("already_archived", _("该档案已归档。"), conflict=True)
    resident.archived_at = timezone.now()
    resident.archive_reason = reason[:200]
    resident.save(update_fields=["archived_at", "archive_reason", "updated_at"])
    audit_record(
        actor=actor, subject=resident, event_type=AuditEventType.RESIDENT_ARCHIVED, obj=resident,
        new={"archived": True}, reason=resident.archive_reason, ip=ip,
    )  # fmt: skip
    return resident


@transaction.atomic
def resident_id_number_reveal(*, actor: User, resident: Resident, ip: str | None = None) -> str:
    """Return the full ID number to a caseworker in scope (or an administrator); record that they saw it."""
    if not can_reveal_id_number(actor, resident):
        raise DomainError("not_allowed", _("您没有查看完整身份证号码的权限。"))
    if not resident.id_number_ciphertext:
        raise DomainError("no_id_number", _("该居民没有登记身份证号码。"))
    plaintext = id_number_decrypt(resident.id_number_ciphertext)
    audit_record(
        actor=actor, subject=resident, event_type=AuditEventType.ID_NUMBER_REVEALED, obj=resident,
        new={"id_number": resident.id_number_masked}, ip=ip,
    )  # fmt: skip
    return plaintext


@transaction.atomic
def jurisdiction_set(*, actor: User, caseworker: User, streets: list[Region]) -> None:
    """Replace the streets a caseworker covers."""
    if any(street.kind != RegionKind.STREET for street in streets):
        raise DomainError("street_invalid", _("辖区只能是街道或镇。"), field="streets")
    before = sorted(Jurisdiction.objects.filter(caseworker=caseworker).values_list("street_id", flat=True))
    Jurisdiction.objects.filter(caseworker=caseworker).exclude(street__in=streets).delete()
    Jurisdiction.objects.bulk_create(
        [Jurisdiction(caseworker=caseworker, street=street) for street in streets], ignore_conflicts=True
    )
    after = sorted(street.pk for street in streets)
    if before != after:
        audit_record(
            actor=actor, subject=None, event_type=AuditEventType.JURISDICTION_CHANGED, obj=caseworker,
            old={"streets": before}, new={"streets": after},
        )  # fmt: skip


# --- cases -------------------------------------------------------------------------------------------


def case_recipients(case: Case) -> list[User]:
    """Who hears about a case: the applicant, or for a child without a login, the guardians."""
    if case.applicant.user_id:
        return [case.applicant.user]
    return list(User.objects.filter(resident__ward_links__child_id=case.applicant_id, is_active=True))


def _case_notify(case: Case, *, template: str, event_id: int, extra: dict[str, Any] | None = None) -> None:
    context = {
        "reference": case.reference,
        "case_type": bilingual(case_type_get(case.case_type).label),
        "applicant": case.applicant.name,
        **(extra or {}),
    }
    link = reverse("residents:case_detail", args=[case.reference])
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
        actor=actor, subject=applicant, event_type=AuditEventType.CASE_OPENED, obj=case,
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


def _case_check_actor(actor: User, case: Case, target: str) -> None:
    declared = case_type_get(case.case_type)
    if target in STAFF_TARGETS:
        decide = declared.may_decide or may_decide_case
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
        _case_check_actor(actor, locked, target)
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
    if declared.on_transition is not None:
        declared.on_transition(case=locked, source=source, target=target, actor=actor)
    event = audit_record(
        actor=None if automatic else actor, subject=locked.applicant, event_type=AuditEventType.CASE_TRANSITION,
        obj=locked, old={"status": source},
        new={"status": target, **{k: _audit_value(v) for k, v in (changes or {}).items()}}, reason=reason, ip=ip,
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
    _case_check_actor(actor, case, CaseStatus.SUBMITTED)
    declared = case_type_get(case.case_type)
    present = _case_documents_present(case)
    missing = [str(d.label) for d in declared.documents_for(case) if d.required and d.key not in present]
    if missing:
        raise DomainError(
            "documents_missing", _("还缺少以下材料：%(list)s。请上传后再提交。") % {"list": "、".join(missing)},
            field="documents",
        )  # fmt: skip
    if declared.check_submit is not None:
        declared.check_submit(case)
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
    _case_check_actor(actor, case, CaseStatus.NEEDS_DOCUMENTS)
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
    _case_check_actor(actor, case, CaseStatus.RESUBMITTED)
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
        actor=actor, subject=locked.applicant, event_type=AuditEventType.CASE_ASSIGNED, obj=locked,
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
                actor=actor, subject=c.applicant, event_type=AuditEventType.CASE_ASSIGNED, obj=c,
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
                actor=actor, subject=case.applicant, event_type=AuditEventType.CASE_DOCUMENT_UPLOADED, obj=case,
                new={"kind": kind, "name": checked.name, "size": checked.size}, ip=ip,
            )  # fmt: skip
    except BaseException:
        document.file.delete(save=False)  # no orphan file when the row could not be written
        raise
    return document


# --- residence registration ---------------------------------------------------------------------------


def _clean_started_on(resident: Resident, started_on: datetime.date | None, current: ResidenceRegistration | None):  # type: ignore[no-untyped-def]
    if started_on is None:
        raise DomainError("started_on_required", _("请填写入住日期。"), field="started_on")
    if started_on > timezone.localdate():
        raise DomainError("started_on_future", _("入住日期不能晚于今天；搬进去以后再登记。"), field="started_on")
    if resident.birth_date and started_on < resident.birth_date:
        raise DomainError("started_on_before_birth", _("入住日期不能早于出生日期。"), field="started_on")
    if current is not None and started_on < current.started_on:
        raise DomainError(
            "started_on_before_current",
            _("新住址的入住日期不能早于现登记住址的入住日期（%(date)s）。") % {"date": current.started_on.isoformat()},
            field="started_on",
        )


@transaction.atomic
def residence_register(
    *,
    actor: User,
    resident: Resident,
    community: Region | None,
    address: str,
    basis: str,
    started_on: datetime.date | None,
    ip: str | None = None,
) -> ResidenceRegistration:
    """Register where the resident lives (by app, or by a caseworker at the window: 浙江条例 art. 14).

    A current registration is ended on the moving day and kept: history is never overwritten. The resident's
    community and street follow the registration, so the right street's caseworkers serve them.
    """
    if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
        raise DomainError("not_allowed", _("您不能为这位居民办理居住登记。"))
    return _residence_register(
        actor=actor, resident=resident, community=community, address=address, basis=basis, started_on=started_on, ip=ip
    )


@transaction.atomic
def residence_register_on_report(
    *,
    actor: User,
    resident: Resident,
    community: Region,
    address: str,
    started_on: datetime.date,
    ip: str | None = None,
) -> ResidenceRegistration:
    """Register a tenant's residence on their landlord's report (浙江条例 arts. 9–11: 人来申报).

    Only housing.services calls this, after checking that the actor reports for a verified property they
    manage: a landlord does not otherwise see the tenant's record.
    """
    return _residence_register(
        actor=actor, resident=resident, community=community, address=address, basis=RegistrationBasis.RENTED,
        started_on=started_on, ip=ip,
    )  # fmt: skip


@transaction.atomic
def residence_end_on_report(
    *, actor: User, registration: ResidenceRegistration, ended_on: datetime.date, ip: str | None = None
) -> ResidenceRegistration:
    """End a tenant's registration on their landlord's move-out report (人走注销); housing.services checks the
    landlord's right. A registration already ended (the tenant deregistered or moved) is left as it is."""
    registration = ResidenceRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.ended_on is not None:
        return registration
    ended_on = max(ended_on, registration.started_on)
    registration.ended_on, registration.end_reason = ended_on, str(_("房东申报搬离（人走注销）"))
    registration.save(update_fields=["ended_on", "end_reason"])
    audit_record(
        actor=actor, subject=registration.resident, event_type=AuditEventType.RESIDENCE_ENDED, obj=registration,
        new={"ended_on": ended_on.isoformat()}, reason=registration.end_reason, ip=ip,
    )  # fmt: skip
    return registration


def _residence_register(
    *,
    actor: User,
    resident: Resident,
    community: Region | None,
    address: str,
    basis: str,
    started_on: datetime.date | None,
    ip: str | None,
) -> ResidenceRegistration:
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.is_archived:
        raise DomainError("resident_archived", _("该档案已归档，不能修改。"))
    community = _clean_community(community)
    if community is None:
        raise DomainError("community_required", _("请选择居住的社区（村）。"), field="community")
    address = (address or "").strip()
    if not address:
        raise DomainError(
            "address_required", _("请填写详细居住地址，例如：某某路 12 号 3 幢 402 室。"), field="address"
        )
    if len(address) > 200:
        raise DomainError("address_too_long", _("地址最多 200 个字。"), field="address")
    if basis not in RegistrationBasis.values:
        raise DomainError("basis_invalid", _("请选择居住事由。"), field="basis")
    current = ResidenceRegistration.objects.select_for_update().filter(resident=resident, ended_on__isnull=True).first()
    _clean_started_on(resident, started_on, current)
    if current is not None:
        current.ended_on, current.end_reason = started_on, str(_("变更居住地址"))
        current.save(update_fields=["ended_on", "end_reason"])
    try:
        with transaction.atomic():
            registration = ResidenceRegistration.objects.create(
                resident=resident, community=community, street=community.parent, address=address, basis=basis,
                started_on=started_on, registered_by=actor,
            )  # fmt: skip
    except IntegrityError as exc:  # another registration for the same person was saved at the same moment
        raise DomainError(
            "registration_conflict", _("刚刚已有一条居住登记提交，请刷新后查看。"), conflict=True
        ) from exc
    resident.community, resident.street, resident.address = community, community.parent, address
    resident.save(update_fields=["community", "street", "address", "updated_at"])
    audit_record(
        actor=actor, subject=resident, event_type=AuditEventType.RESIDENCE_REGISTERED, obj=registration,
        old={
            "community": current.community_id, "address": current.address, "basis": current.basis,
            "started_on": current.started_on.isoformat(),
        } if current else {},
        new={"community": community.pk, "address": address, "basis": basis, "started_on": started_on.isoformat()},
        ip=ip,
    )  # fmt: skip
    return registration


@transaction.atomic
def residence_end(
    *, actor: User, registration: ResidenceRegistration, ended_on: datetime.date | None, reason: str,
    ip: str | None = None,
) -> ResidenceRegistration:  # fmt: skip
    """Deregister (the resident left the district, or the address is no longer theirs)."""
    if not ResidenceRegistration.objects.visible_to(actor).filter(pk=registration.pk).exists():
        raise DomainError("not_allowed", _("您不能注销这条居住登记。"))
    registration = ResidenceRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.ended_on is not None:
        raise DomainError("registration_ended", _("这条居住登记已经注销。"), conflict=True)
    if ended_on is None:
        raise DomainError("ended_on_required", _("请填写离开日期。"), field="ended_on")
    if ended_on > timezone.localdate():
        raise DomainError("ended_on_future", _("离开日期不能晚于今天。"), field="ended_on")
    if ended_on < registration.started_on:
        raise DomainError("ended_on_before_start", _("离开日期不能早于入住日期。"), field="ended_on")
    reason = (reason or "").strip() or str(_("离开现住址"))
    registration.ended_on, registration.end_reason = ended_on, reason[:200]
    registration.save(update_fields=["ended_on", "end_reason"])
    audit_record(
        actor=actor, subject=registration.resident, event_type=AuditEventType.RESIDENCE_ENDED, obj=registration,
        new={"ended_on": ended_on.isoformat()}, reason=registration.end_reason, ip=ip,
    )  # fmt: skip
    return registration


# --- residence permits --------------------------------------------------------------------------------
#
# A permit application, a replacement and an endorsement are cases (residents.casetypes), so the queue,
# the 15-day deadline, the one-time notice and the applicant's status page are the casework engine's. What
# is particular to permits lives in PermitApplication / PermitEndorsement and in the hooks below.

COURIER_MAX = 40
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{6,40}")


def _permit_documents(case: Case) -> tuple[DocumentRequirement, ...]:
    """A permit application's checklist: its permit type's, as it stood when the type was chosen."""
    detail = case.permit_application
    return tuple(
        DocumentRequirement(
            str(item["key"]), localized_label(item.get("label_zh", ""), item.get("label_en", "")),
            required=bool(item.get("required", True)),
        )
        for item in detail.documents or detail.permit_type.documents
    )  # fmt: skip


def _permit_check_eligible(applicant: Resident, permit_type: PermitType, *, exclude_case: Case | None = None) -> None:
    """The conditions of 居住证暂行条例 art. 2, each refused with what to do instead."""
    facts = selectors.permit_eligibility(resident=applicant)
    if facts.permit is not None:
        raise DomainError(
            "permit_held",
            _("已持有居住证（号码 %(number)s），无需重新申领。证件遗失或损坏请申请补领，每年请按时签注。")
            % {"number": facts.permit.number},
            conflict=True,
        )
    if facts.open_application is not None and facts.open_application.pk != getattr(exclude_case, "pk", None):
        raise DomainError(
            "permit_application_open",
            _("已有一件正在办理的居住证申请（受理编号 %(reference)s），请等待结果，或先撤回再重新申请。")
            % {"reference": facts.open_application.reference},
            conflict=True,
        )
    if not facts.registered:
        raise DomainError("not_registered", _("申领居住证需要先在越城区办理居住登记。"), field="applicant")
    if not (facts.residence_met or permit_type.exempt_from_residence_rule):
        raise DomainError(
            "residence_too_short",
            _("居住登记满半年才能申领居住证：从 %(since)s 起连续登记居住，%(date)s 起可以申请。"
              "经认定的引进人才可申领人才类居住证，不受此限制。")
            % {"since": facts.continuous_since.isoformat(), "date": facts.eligible_from.isoformat()},
            field="permit_type",
        )  # fmt: skip


def _permit_check_submit(case: Case) -> None:
    _permit_check_eligible(case.applicant, case.permit_application.permit_type, exclude_case=case)


def _clean_delivery(
    *, delivery_method: str, recipient_name: str = "", recipient_phone: str = "", delivery_address: str = ""
) -> dict[str, str]:
    """Express delivery needs a recipient, a phone the courier can call and an address; collection nothing."""
    if delivery_method not in DeliveryMethod.values:
        raise DomainError(
            "delivery_method_invalid", _("请选择领取方式：快递送达或到窗口领取。"), field="delivery_method"
        )
    if delivery_method == DeliveryMethod.WINDOW:
        return {"delivery_method": delivery_method, "recipient_name": "", "recipient_phone": "", "delivery_address": ""}
    name = (recipient_name or "").strip()
    if not name:
        raise DomainError("recipient_name_required", _("请填写收件人姓名。"), field="recipient_name")
    if len(name) > 64:
        raise DomainError("recipient_name_too_long", _("收件人姓名最多 64 个字。"), field="recipient_name")
    if not (recipient_phone or "").strip():
        raise DomainError("recipient_phone_required", _("请填写收件人手机号，快递员会联系。"), field="recipient_phone")
    try:
        phone = phone_normalize(recipient_phone)
    except DomainError as error:
        raise DomainError(error.code, error.message, field="recipient_phone") from error
    address = (delivery_address or "").strip()
    if len(address) < 6:
        raise DomainError(
            "delivery_address_required", _("请填写完整的收件地址，例如：越城区某某路 12 号 3 幢 402 室。"),
            field="delivery_address",
        )  # fmt: skip
    if len(address) > 200:
        raise DomainError("address_too_long", _("地址最多 200 个字。"), field="delivery_address")
    return {
        "delivery_method": delivery_method, "recipient_name": name, "recipient_phone": phone,
        "delivery_address": address,
    }  # fmt: skip


def _permit_application_audit(
    actor: User, case: Case, old: dict[str, Any], new: dict[str, Any], ip: str | None
) -> None:
    audit_record(
        actor=actor, subject=case.applicant, event_type=AuditEventType.PERMIT_APPLICATION_CHANGED, obj=case,
        old=old, new=new, ip=ip,
    )  # fmt: skip


def permit_require_valid(
    applicant: Resident, *, service: str, today: datetime.date | None = None, field: str = "applicant"
) -> Permit:
    """The applicant's permit when it is valid ``today``; otherwise the DomainError a service shows (services for
    permit holders: affordable housing, points, school places). ``service`` names what is being applied for, as
    the start of a sentence: "申请保障性租赁住房"; ``field`` is the input the error belongs to."""
    permit = selectors.permit_of(resident=applicant)
    if permit is None:
        raise DomainError(
            "residence_permit_required",
            _("%(service)s需要持有有效的居住证。请先申领居住证，领证后再来申请。") % {"service": service},
            field=field,
        )
    if not permit.is_valid_on(timezone.localdate() if today is None else today):
        raise DomainError(
            "residence_permit_lapsed",
            _("您的居住证有效期到 %(date)s，没有按时签注，现在暂停使用。请先办理签注，恢复后再申请。")
            % {"date": permit.valid_until.isoformat()},
            field=field,
        )
    return permit


@transaction.atomic
def permit_application_start(
    *,
    actor: User,
    applicant: Resident,
    permit_type: PermitType,
    delivery_method: str,
    recipient_name: str = "",
    recipient_phone: str = "",
    delivery_address: str = "",
    ip: str | None = None,
) -> Case:
    """Start a residence-permit application (a draft): the type and how the card will reach the applicant.

    The conditions are checked now, so nobody uploads documents for an application that cannot succeed, and
    again at submission. The applicant's row is locked so two tabs cannot open two applications.
    """
    if not Resident.objects.visible_to(actor).filter(pk=applicant.pk).exists():
        raise DomainError("not_allowed", _("您不能为这位居民提出申请。"))
    applicant = Resident.objects.select_for_update().get(pk=applicant.pk)
    if not permit_type.is_active:
        raise DomainError("permit_type_closed", _("这种居住证暂不受理，请选择其他类型。"), field="permit_type")
    delivery = _clean_delivery(
        delivery_method=delivery_method, recipient_name=recipient_name, recipient_phone=recipient_phone,
        delivery_address=delivery_address,
    )  # fmt: skip
    _permit_check_eligible(applicant, permit_type)
    case = case_open(actor=actor, case_type=selectors.PERMIT_CASE_TYPE, applicant=applicant, ip=ip)
    PermitApplication.objects.create(case=case, permit_type=permit_type, documents=permit_type.documents, **delivery)
    _permit_application_audit(
        actor, case, {}, {"permit_type": permit_type.key, "delivery_method": delivery["delivery_method"]}, ip
    )
    return case


@transaction.atomic
def permit_application_update(
    *,
    actor: User,
    case: Case,
    permit_type: PermitType | None = None,
    ip: str | None = None,
    **delivery: str,
) -> Case:
    """Correct an application before a decision: the permit type (while a draft) and the delivery details."""
    if not (acts_for_applicant(actor, case) or may_decide_case(actor, case)):
        raise DomainError("not_allowed", _("只有申请人本人或其监护人可以修改申请。"))
    case = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    detail = PermitApplication.objects.select_related("permit_type").get(case=case)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS):
        raise DomainError(
            "application_locked",
            _("这件申请现在是“%(status)s”，不能再修改。") % {"status": _status_label(case.status)},
        )
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    if permit_type is not None and permit_type.pk != detail.permit_type_id:
        if case.case_type != selectors.PERMIT_CASE_TYPE or case.status != CaseStatus.DRAFT:
            raise DomainError("permit_type_locked", _("提交以后不能再更换居住证类型。"), field="permit_type")
        if not permit_type.is_active:
            raise DomainError("permit_type_closed", _("这种居住证暂不受理，请选择其他类型。"), field="permit_type")
        _permit_check_eligible(case.applicant, permit_type, exclude_case=case)
        old["permit_type"], new["permit_type"] = detail.permit_type.key, permit_type.key
        detail.permit_type, detail.documents = permit_type, permit_type.documents
    if delivery:
        unknown = set(delivery) - {"delivery_method", "recipient_name", "recipient_phone", "delivery_address"}
        if unknown:
            raise DomainError("field_not_editable", _("此项不能在这里修改。"), field=sorted(unknown)[0])
        current = {
            "delivery_method": detail.delivery_method, "recipient_name": detail.recipient_name,
            "recipient_phone": detail.recipient_phone, "delivery_address": detail.delivery_address,
        }  # fmt: skip
        cleaned = _clean_delivery(**{**current, **delivery})
        for field, value in cleaned.items():
            if current[field] != value:
                old[field], new[field] = current[field], value
                setattr(detail, field, value)
    if new:
        detail.save()
        _permit_application_audit(actor, case, old, new, ip)
    return case


def _permit_issue(case: Case, actor: User | None) -> None:
    """Approval of a first application issues the permit: number, day of issue and its first year."""
    detail = PermitApplication.objects.select_for_update().get(case=case)
    today = timezone.localdate()
    permit = Permit(
        holder=case.applicant, permit_type=detail.permit_type, application=case, issued_on=today,
        valid_until=today + relativedelta(years=1) - datetime.timedelta(days=1),
        verify_token=secrets.token_urlsafe(24),
    )  # fmt: skip
    try:
        with transaction.atomic():
            permit.save()
    except IntegrityError as exc:  # the holder got a permit through another application meanwhile
        raise DomainError("permit_held", _("该申请人已持有居住证，不能重复签发。"), conflict=True) from exc
    permit.number = f"{selectors.DISTRICT_CODE}{today:%Y}{permit.pk:08d}"
    permit.save(update_fields=["number"])
    detail.permit = permit
    detail.save(update_fields=["permit"])
    audit_record(
        actor=actor, subject=case.applicant, event_type=AuditEventType.PERMIT_ISSUED, obj=permit,
        new={"number": permit.number, "issued_on": today.isoformat(), "valid_until": permit.valid_until.isoformat(),
             "permit_type": detail.permit_type.key},
    )  # fmt: skip


def _permit_card_replace(case: Case, actor: User | None) -> None:
    """Approval of a replacement makes a new card: same number and validity, a new QR code (the old one, on a
    lost card, stops verifying)."""
    detail = PermitApplication.objects.select_for_update().get(case=case)
    permit = Permit.objects.select_for_update().get(pk=detail.permit_id)
    permit.card_serial += 1
    permit.verify_token = secrets.token_urlsafe(24)
    permit.save(update_fields=["card_serial", "verify_token"])
    audit_record(
        actor=actor, subject=case.applicant, event_type=AuditEventType.PERMIT_CARD_REPLACED, obj=permit,
        new={"card_serial": permit.card_serial, "replacement_reason": detail.replacement_reason},
    )  # fmt: skip


def _permit_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    if target != CaseStatus.APPROVED:
        return
    if case.case_type == selectors.PERMIT_CASE_TYPE:
        _permit_issue(case, actor)
    else:
        _permit_card_replace(case, actor)


def _permit_detail_locked(case: Case) -> PermitApplication:
    try:
        details = PermitApplication.objects.select_for_update(of=("self",)).select_related("case__street")
        return details.get(case=case)
    except PermitApplication.DoesNotExist as exc:
        raise DomainError("not_a_permit_application", _("这不是一件居住证申请。")) from exc


@transaction.atomic
def permit_dispatch(
    *, actor: User, case: Case, courier: str = "", tracking_number: str = "", ip: str | None = None
) -> Case:
    """The card is made: sent by express (courier and tracking number recorded and told to the applicant), or
    ready at the street's service window."""
    # Who may act first, so that someone out of scope learns nothing from the validation of their input.
    _case_check_actor(actor, case, CaseStatus.ISSUED)
    detail = _permit_detail_locked(case)
    changes: dict[str, Any] = {}
    if detail.delivery_method == DeliveryMethod.EXPRESS:
        courier, tracking_number = (courier or "").strip(), (tracking_number or "").strip().upper()
        if not courier:
            raise DomainError("courier_required", _("请填写快递公司。"), field="courier")
        if len(courier) > COURIER_MAX:
            raise DomainError("courier_too_long", _("快递公司名称最多 40 个字。"), field="courier")
        if not TRACKING_NUMBER.fullmatch(tracking_number):
            raise DomainError(
                "tracking_number_invalid", _("请填写正确的快递单号（6 到 40 位字母或数字）。"), field="tracking_number"
            )
        changes = {"courier": courier, "tracking_number": tracking_number}
        template, extra = "permit.dispatched", changes
    else:
        template = "permit.ready_for_collection"
        street = str(detail.case.street or "")
        window = {lang: text % {"street": street} for lang, text in bilingual(_("%(street)s新居民服务窗口")).items()}
        extra = {"window": window}
    case = case_transition(
        actor=actor, case=case, target=CaseStatus.ISSUED, notify_template=template, notify_extra=extra,
        changes={}, ip=ip,
    )  # fmt: skip
    for field, value in {**changes, "dispatched_at": timezone.now()}.items():
        setattr(detail, field, value)
    detail.save()
    audit_record(
        actor=actor, subject=case.applicant, event_type=AuditEventType.PERMIT_DISPATCHED, obj=case,
        new={"delivery_method": detail.delivery_method, **changes}, ip=ip,
    )  # fmt: skip
    return case


@transaction.atomic
def permit_deliver(*, actor: User, case: Case, ip: str | None = None) -> Case:
    """The applicant has the card: the courier's signed receipt, or collection at the window."""
    detail = _permit_detail_locked(case)
    case = case_transition(actor=actor, case=case, target=CaseStatus.DELIVERED, ip=ip)
    detail.delivered_at = timezone.now()
    detail.save(update_fields=["delivered_at"])
    return case


@transaction.atomic
def permit_replacement_start(
    *,
    actor: User,
    permit: Permit,
    reason: str,
    delivery_method: str,
    recipient_name: str = "",
    recipient_phone: str = "",
    delivery_address: str = "",
    ip: str | None = None,
) -> Case:
    """Apply for a new card when the permit is lost (补领) or damaged (换领)."""
    if reason not in ReplacementReason.values:
        raise DomainError("replacement_reason_invalid", _("请选择补领原因：遗失或损坏。"), field="reason")
    if not Permit.objects.visible_to(actor).filter(pk=permit.pk).exists():
        raise DomainError("not_allowed", _("您不能为这张居住证申请补领。"))
    permit = Permit.objects.select_for_update().select_related("holder").get(pk=permit.pk)
    delivery = _clean_delivery(
        delivery_method=delivery_method, recipient_name=recipient_name, recipient_phone=recipient_phone,
        delivery_address=delivery_address,
    )  # fmt: skip
    if open_case := selectors.permit_application_open(
        applicant=permit.holder, case_types=(selectors.PERMIT_REPLACEMENT_CASE_TYPE,)
    ):
        raise DomainError(
            "replacement_open",
            _("已有一件正在办理的补领申请（受理编号 %(reference)s）。") % {"reference": open_case.reference},
            conflict=True,
        )
    case = case_open(actor=actor, case_type=selectors.PERMIT_REPLACEMENT_CASE_TYPE, applicant=permit.holder, ip=ip)
    PermitApplication.objects.create(
        case=case, permit_type_id=permit.permit_type_id, permit=permit, replacement_reason=reason, **delivery
    )
    _permit_application_audit(actor, case, {}, {"number": permit.number, "replacement_reason": reason}, ip)
    return case


@transaction.atomic
def permit_endorse(*, actor: User, permit: Permit, ip: str | None = None) -> Case:
    """Ask for this year's endorsement (签注), from the month before the anniversary on (late included).

    While the holder is still registered in the district the published rule approves it at once; otherwise a
    caseworker decides (an endorsement is refused once the holder no longer qualifies: 条例 art. 10).
    """
    if not Permit.objects.visible_to(actor).filter(pk=permit.pk).exists():
        raise DomainError("not_allowed", _("您不能为这张居住证办理签注。"))
    permit = Permit.objects.select_for_update().select_related("holder").get(pk=permit.pk)
    today = timezone.localdate()
    opens, closes = selectors.endorsement_window(permit)
    if today < opens:
        raise DomainError(
            "endorsement_not_open",
            _("今年的签注请在 %(opens)s 至 %(closes)s 之间办理（有效期届满前一个月内）。")
            % {"opens": opens.isoformat(), "closes": closes.isoformat()},
        )
    if pending := selectors.permit_endorsement_pending(permit=permit):
        raise DomainError(
            "endorsement_pending",
            _("签注申请（受理编号 %(reference)s）正在办理中，请等待结果。") % {"reference": pending.case.reference},
            conflict=True,
        )
    case = case_open(actor=actor, case_type=selectors.PERMIT_ENDORSEMENT_CASE_TYPE, applicant=permit.holder, ip=ip)
    registered = selectors.residence_current(resident=permit.holder) is not None
    PermitEndorsement.objects.create(
        case=case, permit=permit, applied_on=today, year_ending=permit.valid_until, late=today > closes,
        automatic=registered,
    )  # fmt: skip
    case = case_submit(actor=actor, case=case, ip=ip)
    if registered:
        case = case_transition(
            actor=actor, case=case, target=CaseStatus.APPROVED, automatic=True, ip=ip,
            reason=str(_("居住登记有效，系统已自动签注。")),
        )  # fmt: skip
    return case


def _endorsement_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    """An approved endorsement moves the permit's year end; a late one also restores it and restarts the
    continuous-residence count from the day it was asked for (条例 art. 10; 浙江条例 art. 19)."""
    if target != CaseStatus.APPROVED:
        return
    endorsement = PermitEndorsement.objects.select_for_update().get(case=case)
    permit = Permit.objects.select_for_update().get(pk=endorsement.permit_id)
    before = permit.valid_until
    permit.valid_until = selectors.permit_valid_until_after_endorsement(permit, endorsement.applied_on)
    fields = ["valid_until"]
    if endorsement.late:
        permit.continuity_restarted_on = endorsement.applied_on
        fields.append("continuity_restarted_on")
    permit.save(update_fields=fields)
    endorsement.endorsed_on = timezone.localdate()
    endorsement.valid_until_after = permit.valid_until
    endorsement.save(update_fields=["endorsed_on", "valid_until_after"])
    audit_record(
        actor=actor if not endorsement.automatic else None, subject=case.applicant,
        event_type=AuditEventType.PERMIT_ENDORSED, obj=permit,
        old={"valid_until": before.isoformat()},
        new={"valid_until": permit.valid_until.isoformat(), "late": endorsement.late,
             **({"continuity_restarted_on": endorsement.applied_on.isoformat()} if endorsement.late else {})},
    )  # fmt: skip


PERMIT_REPLACEMENT_DOCUMENTS = (
    DocumentRequirement("photo", _("近期免冠证件照（白底）")),
    DocumentRequirement("loss_statement", _("遗失声明或损坏证件照片"), required=False),
)

PERMIT_CASE_TYPES = (
    CaseType(
        key=selectors.PERMIT_CASE_TYPE, label=_("居住证"), reference_prefix="JZ",
        documents_of=_permit_documents, check_submit=_permit_check_submit, has_own_start=True,
        transitions=PRODUCING_TRANSITIONS, on_transition=_permit_on_transition,
    ),
    CaseType(
        key=selectors.PERMIT_REPLACEMENT_CASE_TYPE, label=_("居住证补领、换领"), reference_prefix="BL",
        documents=PERMIT_REPLACEMENT_DOCUMENTS, transitions=PRODUCING_TRANSITIONS, has_own_start=True,
        on_transition=_permit_on_transition,
    ),
    CaseType(
        key=selectors.PERMIT_ENDORSEMENT_CASE_TYPE, label=_("居住证签注"), reference_prefix="QZ", has_own_start=True,
        on_transition=_endorsement_on_transition,
    ),
)  # fmt: skip
