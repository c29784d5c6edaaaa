"""Every write on rental properties and tenancies. Each validates before it writes, runs in one transaction and
records its AuditEvent; a refusal is a DomainError and nothing is saved (except the group-rental flag, which
is the point of refusing)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User
from accounts.services import user_role_grant
from kernel.errors import DomainError
from kernel.uploads import upload_check
from notifications.services import notify
from residents import services as residents_services
from residents.choices import RegionKind
from residents.models import AuditEvent, Region, Resident
from residents.pii import id_number_hash, id_number_validate
from residents.services import audit_record

from . import workdays
from .choices import HousingEvent, PropertyStatus, TenancySource, TenancyStatus
from .models import OccupancyFlag, Property, Tenancy
from .permissions import may_review_property

# A QR poster stays valid this long; reprinting (or withdrawing) it is one click for the landlord.
QR_MAX_AGE = datetime.timedelta(days=366)
QR_SALT = "housing.property-qr"
MAX_ROOMS = 50
MAX_OCCUPANTS = 200


def _audit(actor: User, event_type: str, obj: Any, *, subject: Resident | None = None, **values: Any) -> AuditEvent:
    return audit_record(actor=actor, subject=subject, event_type=event_type, obj=obj, new=values)


def _tell_owner(prop: Property, *, template: str, key: str, **context: Any) -> None:
    notify(
        recipient=prop.owner, template=template, context={"address": prop.address, **context},
        dedupe_key=f"housing:{template}:{key}", link=reverse("housing:property", args=[prop.pk]),
    )  # fmt: skip


# --- properties ---------------------------------------------------------------------------------------


def _clean_property(
    *, address: str, community: Region | None, rooms: Any, floor_area: Any, max_occupants: Any, owner_name: str
) -> dict[str, Any]:
    address = (address or "").strip()
    if len(address) < 6:
        raise DomainError(
            "address_required", _("请填写房屋的详细地址，例如：某某路 12 号 3 幢 402 室。"), field="address"
        )
    if len(address) > 200:
        raise DomainError("address_too_long", _("地址最多 200 个字。"), field="address")
    if community is None or community.kind != RegionKind.COMMUNITY:
        raise DomainError("community_required", _("请选择房屋所在的社区（村）。"), field="community")
    owner_name = (owner_name or "").strip()
    if not owner_name or len(owner_name) > 64:
        raise DomainError("owner_name_required", _("请填写产权人姓名或单位名称（最多 64 个字）。"), field="owner_name")
    try:
        rooms, max_occupants = int(rooms), int(max_occupants)
    except (TypeError, ValueError) as exc:
        raise DomainError("number_invalid", _("房间数和核定人数请填写整数。"), field="rooms") from exc
    if not 1 <= rooms <= MAX_ROOMS:
        raise DomainError("rooms_invalid", _("房间数应在 1 到 50 之间。"), field="rooms")
    if not 1 <= max_occupants <= MAX_OCCUPANTS:
        raise DomainError("max_occupants_invalid", _("核定居住人数应在 1 到 200 之间。"), field="max_occupants")
    try:
        area = Decimal(str(floor_area)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("floor_area_invalid", _("请填写建筑面积（平方米），例如 58.5。"), field="floor_area") from exc
    if not Decimal("5") <= area <= Decimal("99999"):
        raise DomainError("floor_area_invalid", _("请填写建筑面积（平方米），例如 58.5。"), field="floor_area")
    return {
        "address": address, "community": community, "street": community.parent, "rooms": rooms,
        "floor_area": area, "max_occupants": max_occupants, "owner_name": owner_name,
    }  # fmt: skip


def property_register(
    *,
    actor: User,
    address: str,
    community: Region | None,
    rooms: Any,
    floor_area: Any,
    max_occupants: Any,
    owner_name: str,
    ownership_proof: UploadedFile | None,
) -> Property:
    """A landlord (or agency) registers a rental property with its proof of ownership; a caseworker of its
    street verifies it before tenants can be reported into it."""
    values = _clean_property(
        address=address, community=community, rooms=rooms, floor_area=floor_area, max_occupants=max_occupants,
        owner_name=owner_name,
    )  # fmt: skip
    if ownership_proof is None:
        raise DomainError(
            "ownership_proof_required", _("请上传房产证、购房合同或村（社区）出具的产权证明。"), field="ownership_proof"
        )
    try:
        checked = upload_check(ownership_proof, max_bytes=settings.DOCUMENT_MAX_BYTES)
    except DomainError as error:
        raise DomainError(error.code, error.message, field="ownership_proof") from error
    prop = Property(owner=actor, ownership_proof_name=checked.name, **values)
    prop.ownership_proof.save(f"{uuid.uuid4().hex}.{checked.extension}", ownership_proof, save=False)
    try:
        with transaction.atomic():
            prop.save()
            # Registering a property makes the account a landlord (or agency): its pages and reports open.
            user_role_grant(user=actor, role=Role.LANDLORD)
            _audit(actor, HousingEvent.PROPERTY_REGISTERED, prop, address=prop.address,
                   max_occupants=prop.max_occupants)  # fmt: skip
    except BaseException:
        prop.ownership_proof.delete(save=False)
        raise
    return prop


def _covering_caseworker(actor: User, prop: Property) -> None:
    if not may_review_property(actor, prop):
        raise DomainError("not_allowed", _("您不负责这处房屋所在的街道。"))


@transaction.atomic
def property_verify(*, actor: User, prop: Property) -> Property:
    _covering_caseworker(actor, prop)
    prop = Property.objects.select_for_update().get(pk=prop.pk)
    if prop.status == PropertyStatus.VERIFIED:
        raise DomainError("already_verified", _("这处房屋已核验。"), conflict=True)
    prop.status, prop.verified_by, prop.verified_at, prop.rejection_reason = (
        PropertyStatus.VERIFIED,
        actor,
        timezone.now(),
        "",
    )
    prop.save(update_fields=["status", "verified_by", "verified_at", "rejection_reason"])
    event = _audit(actor, HousingEvent.PROPERTY_VERIFIED, prop, status=prop.status)
    _tell_owner(prop, template="housing.property_verified", key=str(event.pk))
    return prop


@transaction.atomic
def property_reject(*, actor: User, prop: Property, reason: str) -> Property:
    _covering_caseworker(actor, prop)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("请写明未通过的原因，房东会看到。"), field="reason")
    prop = Property.objects.select_for_update().get(pk=prop.pk)
    prop.status, prop.rejection_reason = PropertyStatus.REJECTED, reason[:300]
    prop.save(update_fields=["status", "rejection_reason"])
    event = _audit(actor, HousingEvent.PROPERTY_REJECTED, prop, reason=prop.rejection_reason)
    _tell_owner(prop, template="housing.property_rejected", key=str(event.pk), reason=prop.rejection_reason)
    return prop


def property_qr_token(prop: Property) -> str:
    """The signed token of the property's QR poster (一房一码): the property and its poster version."""
    return signing.TimestampSigner(salt=QR_SALT).sign_object({"p": prop.pk, "n": prop.qr_nonce})


def property_from_qr_token(token: str) -> Property:
    """The verified property a QR token names; a forged, expired or withdrawn token is refused."""
    try:
        data = signing.TimestampSigner(salt=QR_SALT).unsign_object(token, max_age=QR_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError("qr_expired", _("这张二维码已过期，请房东在“我的房屋”重新打印。")) from exc
    except signing.BadSignature as exc:
        raise DomainError("qr_invalid", _("二维码无效，请核对后重新扫码。")) from exc
    prop = Property.objects.select_related("community", "street").filter(pk=data.get("p")).first()
    if prop is None or prop.qr_nonce != data.get("n") or prop.status != PropertyStatus.VERIFIED:
        raise DomainError("qr_invalid", _("二维码无效，请核对后重新扫码。"))
    return prop


@transaction.atomic
def property_qr_withdraw(*, actor: User, prop: Property) -> Property:
    """Withdraw every printed poster of the property (e.g. one was photographed and misused)."""
    if prop.owner_id != actor.pk:
        raise DomainError("not_allowed", _("只有登记这处房屋的账户可以这样做。"))
    Property.objects.filter(pk=prop.pk).update(qr_nonce=prop.qr_nonce + 1)
    prop.refresh_from_db()
    return prop


# --- tenancies ----------------------------------------------------------------------------------------


class _OverCapacity(Exception):
    def __init__(self, prop: Property, occupants: int) -> None:
        self.prop, self.occupants = prop, occupants


def _clean_dates(move_in_date: datetime.date | None, lease_end_date: datetime.date | None) -> None:
    today = timezone.localdate()
    if move_in_date is None:
        raise DomainError("move_in_date_required", _("请填写入住日期。"), field="move_in_date")
    if move_in_date > today:
        raise DomainError("move_in_in_future", _("入住日期不能晚于今天；租客住进来以后再申报。"), field="move_in_date")
    if move_in_date < today - datetime.timedelta(days=366):
        raise DomainError("move_in_too_old", _("入住日期超过一年，请到社区服务窗口补办。"), field="move_in_date")
    if lease_end_date is not None and lease_end_date <= move_in_date:
        raise DomainError("lease_end_invalid", _("租约到期日应晚于入住日期。"), field="lease_end_date")


def _open_tenancies(prop: Property, tenant: Resident):  # type: ignore[no-untyped-def]
    return Tenancy.objects.filter(
        property=prop, tenant=tenant, status__in=[TenancyStatus.ACTIVE, TenancyStatus.DECLARED]
    )


def _managed_verified_property(actor: User, prop: Property) -> Property:
    """Lock the property (serialises reports racing for its last place) and check the reporter manages it."""
    locked = Property.objects.select_for_update().select_related("community", "street").get(pk=prop.pk)
    if locked.owner_id != actor.pk:
        raise DomainError("not_allowed", _("只有登记这处房屋的房东或中介可以申报。"))
    if locked.status != PropertyStatus.VERIFIED:
        raise DomainError("property_not_verified", _("这处房屋还没有通过核验，核验后才能申报租客。"))
    return locked


def _check_capacity(prop: Property, *, adding: int = 1) -> None:
    occupants = Tenancy.objects.filter(property=prop, status=TenancyStatus.ACTIVE).count()
    if occupants + adding > prop.max_occupants:
        raise _OverCapacity(prop, occupants)


def _flag_over_capacity(actor: User, error: _OverCapacity) -> DomainError:
    """Record the refused report for the street's caseworkers (its own transaction: it must outlive the
    refusal) and return the refusal the reporter reads."""
    with transaction.atomic():
        flag = OccupancyFlag.objects.create(
            property=error.prop, street_id=error.prop.street_id, attempted_by=actor, occupants=error.occupants,
            capacity=error.prop.max_occupants,
        )  # fmt: skip
        _audit(actor, HousingEvent.OVER_CAPACITY, flag, occupants=error.occupants, capacity=error.prop.max_occupants)
    return DomainError(
        "over_capacity",
        _("这处房屋核定居住 %(capacity)s 人，现已住 %(occupants)s 人，不能再申报入住。如有人已搬走，请先办理人走注销。")
        % {"capacity": error.prop.max_occupants, "occupants": error.occupants},
        field="property",
        conflict=True,
    )


def _tenant_for(actor: User, *, id_number: str, name: str, phone: str) -> tuple[Resident, bool]:
    """The resident with this ID number (matched through the keyed hash), or a record started for them."""
    facts = id_number_validate(id_number)
    existing = Resident.objects.filter(id_number_hash=id_number_hash(facts.normalized)).first()
    if existing is not None:
        # A mistyped number that happens to be someone else's must not register that person at the address.
        if "".join(name.split()) != "".join(existing.name.split()):
            raise DomainError(
                "name_mismatch", _("身份证号码和姓名对不上，请核对租客的身份证后重新填写。"), field="name"
            )
        if existing.is_archived:
            raise DomainError("resident_archived", _("该居民档案已归档，请到社区服务窗口办理。"), field="id_number")
        return existing, False
    return residents_services.resident_record_start(actor=actor, name=name, id_number=id_number, phone=phone), True


def _activate(actor: User, tenancy: Tenancy, prop: Property, ip: str | None) -> Tenancy:
    """The tenant's residence registration follows the tenancy (浙江条例 art. 9)."""
    tenancy.registration = residents_services.residence_register_on_report(
        actor=actor, resident=tenancy.tenant, community=prop.community, address=prop.address,
        started_on=tenancy.move_in_date, ip=ip,
    )  # fmt: skip
    tenancy.status = TenancyStatus.ACTIVE
    tenancy.move_in_reported_at = timezone.now()
    tenancy.save()
    return tenancy


def tenancy_report_move_in(
    *,
    actor: User,
    prop: Property,
    id_number: str,
    name: str,
    move_in_date: datetime.date | None,
    phone: str = "",
    lease_end_date: datetime.date | None = None,
    source: str = TenancySource.LANDLORD,
    calendar: workdays.WorkingCalendar | None = None,
    ip: str | None = None,
) -> Tenancy:
    """人来申报: the landlord reports a tenant by ID number and move-in date. An existing resident is matched
    through the keyed hash, and only when the name given is theirs; otherwise a record is started and the tenant
    invited by SMS. The property's capacity is checked under its row lock, so two reports racing for the last
    place cannot both succeed. ``calendar`` spares a bulk import reading the holiday schedule for every row."""
    try:
        return _report_move_in(
            actor=actor, prop=prop, id_number=id_number, name=name, move_in_date=move_in_date, phone=phone,
            lease_end_date=lease_end_date, source=source, calendar=calendar, ip=ip,
        )  # fmt: skip
    except _OverCapacity as error:
        raise _flag_over_capacity(actor, error) from None


@transaction.atomic
def _report_move_in(
    *, actor: User, prop: Property, id_number: str, name: str, move_in_date: datetime.date | None, phone: str,
    lease_end_date: datetime.date | None, source: str, calendar: workdays.WorkingCalendar | None, ip: str | None,
) -> Tenancy:  # fmt: skip
    _clean_dates(move_in_date, lease_end_date)
    prop = _managed_verified_property(actor, prop)
    tenant, started = _tenant_for(actor, id_number=id_number, name=name, phone=phone)
    if _open_tenancies(prop, tenant).exists():
        raise DomainError("tenancy_exists", _("这位租客已登记住在这处房屋。"), field="id_number", conflict=True)
    _check_capacity(prop)
    assert move_in_date is not None
    tenancy = Tenancy(
        property=prop, tenant=tenant, source=source, move_in_date=move_in_date, lease_end_date=lease_end_date,
        move_in_due_on=workdays.working_days_after(move_in_date, calendar=calendar).due_on, reported_by=actor,
    )  # fmt: skip
    _activate(actor, tenancy, prop, ip)
    audit_record(
        actor=actor, subject=tenant, event_type=HousingEvent.MOVE_IN_REPORTED, obj=tenancy,
        new={"property": prop.pk, "move_in_date": move_in_date.isoformat(), "source": source,
             "late": timezone.localdate() > tenancy.move_in_due_on, "record_started": started},
        ip=ip,
    )  # fmt: skip
    if started:
        tenant_invite(tenancy=tenancy)
    return tenancy


def tenant_invite(*, tenancy: Tenancy) -> None:
    """Invite a tenant whose record a landlord started to sign up with their phone and complete it.

    Called inside the report's transaction: the invitation is an outbox row written with the tenancy
    (docs/adr/0008), so it is rolled back with a failed report and survives a crash right after the commit;
    only the sending waits for the commit (notifications.services.sms_invite)."""
    from notifications.services import sms_invite

    sms_invite(
        phone=tenancy.tenant.phone, template="housing.tenant_invited",
        context={"address": tenancy.property.address, "name": tenancy.tenant.name},
        dedupe_key=f"housing:invite:{tenancy.pk}",
    )  # fmt: skip


@transaction.atomic
def tenancy_declare(
    *, actor: User, token: str, move_in_date: datetime.date | None, lease_end_date: datetime.date | None = None,
    ip: str | None = None,
) -> Tenancy:  # fmt: skip
    """A tenant scans the property's QR code and declares they live there; the landlord confirms it."""
    prop = property_from_qr_token(token)
    tenant = Resident.objects.filter(user=actor).first()
    if tenant is None:
        raise DomainError("profile_required", _("请先建立您本人的居民档案，再扫码申报。"))
    _clean_dates(move_in_date, lease_end_date)
    assert move_in_date is not None
    if _open_tenancies(prop, tenant).exists():
        raise DomainError("tenancy_exists", _("您已申报住在这处房屋，请等待房东确认。"), conflict=True)
    try:
        with transaction.atomic():
            tenancy = Tenancy.objects.create(
                property=prop, tenant=tenant, status=TenancyStatus.DECLARED, source=TenancySource.TENANT,
                move_in_date=move_in_date, lease_end_date=lease_end_date,
                move_in_due_on=workdays.working_days_after(move_in_date).due_on, reported_by=actor,
            )  # fmt: skip
    except IntegrityError as exc:
        raise DomainError("tenancy_exists", _("您已申报住在这处房屋，请等待房东确认。"), conflict=True) from exc
    audit_record(
        actor=actor, subject=tenant, event_type=HousingEvent.MOVE_IN_REPORTED, obj=tenancy,
        new={"property": prop.pk, "move_in_date": move_in_date.isoformat(), "source": TenancySource.TENANT}, ip=ip,
    )  # fmt: skip
    _tell_owner(
        prop, template="housing.declaration_received", key=str(tenancy.pk), tenant=tenant.name,
        move_in_date=move_in_date.isoformat(), due_on=tenancy.move_in_due_on.isoformat(),
    )  # fmt: skip
    return tenancy


def tenancy_confirm(*, actor: User, tenancy: Tenancy, ip: str | None = None) -> Tenancy:
    """The landlord confirms a tenant's declaration with one tap: the tenancy and the registration begin."""
    try:
        return _confirm(actor=actor, tenancy=tenancy, ip=ip)
    except _OverCapacity as error:
        raise _flag_over_capacity(actor, error) from None


@transaction.atomic
def _confirm(*, actor: User, tenancy: Tenancy, ip: str | None) -> Tenancy:
    prop = _managed_verified_property(actor, tenancy.property)
    tenancy = Tenancy.objects.select_for_update().select_related("tenant").get(pk=tenancy.pk)
    if tenancy.status != TenancyStatus.DECLARED:
        raise DomainError("not_declared", _("这条申报已经处理过了。"), conflict=True)
    _check_capacity(prop)
    _activate(actor, tenancy, prop, ip)
    audit_record(
        actor=actor, subject=tenancy.tenant, event_type=HousingEvent.MOVE_IN_CONFIRMED, obj=tenancy,
        new={"property": prop.pk, "late": timezone.localdate() > tenancy.move_in_due_on}, ip=ip,
    )  # fmt: skip
    return tenancy


@transaction.atomic
def tenancy_decline(*, actor: User, tenancy: Tenancy, ip: str | None = None) -> Tenancy:
    """The landlord says the declarer does not live there."""
    _managed_verified_property(actor, tenancy.property)
    tenancy = Tenancy.objects.select_for_update().get(pk=tenancy.pk)
    if tenancy.status != TenancyStatus.DECLARED:
        raise DomainError("not_declared", _("这条申报已经处理过了。"), conflict=True)
    tenancy.status = TenancyStatus.DECLINED
    tenancy.save(update_fields=["status"])
    audit_record(
        actor=actor, subject=tenancy.tenant, event_type=HousingEvent.MOVE_IN_DECLINED, obj=tenancy,
        new={"status": tenancy.status}, ip=ip,
    )  # fmt: skip
    return tenancy


@transaction.atomic
def tenancy_end(*, actor: User, tenancy: Tenancy, moved_out_on: datetime.date | None, ip: str | None = None) -> Tenancy:
    """人走注销: the landlord reports the tenant gone; the tenancy and the residence registration it opened end."""
    prop = Property.objects.select_for_update().get(pk=tenancy.property_id)
    if prop.owner_id != actor.pk:
        raise DomainError("not_allowed", _("只有登记这处房屋的房东或中介可以申报。"))
    tenancy = (
        Tenancy.objects.select_for_update(of=("self",)).select_related("tenant", "registration").get(pk=tenancy.pk)
    )
    if tenancy.status != TenancyStatus.ACTIVE:
        raise DomainError("tenancy_not_active", _("这位租客已经办理了人走注销。"), conflict=True)
    today = timezone.localdate()
    if moved_out_on is None:
        raise DomainError("moved_out_on_required", _("请填写搬离日期。"), field="moved_out_on")
    if moved_out_on > today:
        raise DomainError("moved_out_in_future", _("搬离日期不能晚于今天。"), field="moved_out_on")
    if moved_out_on < tenancy.move_in_date:
        raise DomainError("moved_out_before_in", _("搬离日期不能早于入住日期。"), field="moved_out_on")
    tenancy.status, tenancy.moved_out_on = TenancyStatus.ENDED, moved_out_on
    tenancy.move_out_reported_at = timezone.now()
    tenancy.save(update_fields=["status", "moved_out_on", "move_out_reported_at"])
    if tenancy.registration is not None:
        residents_services.residence_end_on_report(
            actor=actor, registration=tenancy.registration, ended_on=moved_out_on, ip=ip
        )
    due = workdays.working_days_after(moved_out_on).due_on
    audit_record(
        actor=actor, subject=tenancy.tenant, event_type=HousingEvent.MOVE_OUT_REPORTED, obj=tenancy,
        new={"moved_out_on": moved_out_on.isoformat(), "late": today > due}, ip=ip,
    )  # fmt: skip
    return tenancy


# --- occupancy flags (console) ------------------------------------------------------------------------


@transaction.atomic
def occupancy_flag_resolve(
    *, actor: User, flag: OccupancyFlag, resolution: str, ip: str | None = None
) -> OccupancyFlag:
    """A caseworker of the street records what the visit found (a group rental stopped, a miscount, the
    capacity to correct…). Resolved once: a second caseworker acting on a stale page is told it was done."""
    _covering_caseworker(actor, flag.property)  # the flag's street is its property's
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(
            "resolution_required", _("请写明处理结果，例如：已上门核实，多住的人已搬离。"), field="resolution"
        )
    flag = OccupancyFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise DomainError("already_resolved", _("这条提示已经处理过了。"), conflict=True)
    flag.resolved_at, flag.resolution = timezone.now(), resolution[:300]
    flag.save(update_fields=["resolved_at", "resolution"])
    audit_record(
        actor=actor, subject=None, event_type=HousingEvent.OCCUPANCY_FLAG_RESOLVED, obj=flag,
        new={"property": flag.property_id, "resolution": flag.resolution}, ip=ip,
    )  # fmt: skip
    return flag
