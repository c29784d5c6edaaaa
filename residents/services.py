"""Every write on residents, caseworkers' streets, cases and their documents, and the audit trail.

Each service validates all of its input before it writes, runs in one transaction, and records its own
AuditEvent. A refusal is a DomainError with the field it belongs to; nothing is saved when one is raised.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phones import phone_normalize
from kernel.errors import DomainError

from .audit import audit_event_type_check
from .choices import AuditEventType, Education, Gender, GuardianRelation, RegionKind, RegistrationBasis
from .models import SENSITIVE_CHILD_AGE, AuditEvent, GuardianLink, Jurisdiction, Region, ResidenceRegistration, Resident
from .permissions import can_archive_resident, can_reveal_id_number
from .pii import id_number_decrypt, id_number_encrypt, id_number_hash, id_number_mask, id_number_validate

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
    """An audit row, not yet saved: services that change many rows at once write them with bulk_create.
    An event type no app registered is refused (residents.audit)."""
    audit_event_type_check(event_type)
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


def audit_value(value: Any) -> Any:
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
        new={"id_number": resident.id_number_masked, **{k: audit_value(v) for k, v in cleaned.items()}},
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
            old[field], new[field] = audit_value(getattr(resident, field)), audit_value(value)
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
