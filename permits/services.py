"""Every write on residence permits: applications, issue, dispatch and delivery, replacement, endorsement.

A permit application, a replacement and an endorsement are cases (cases.casetypes), so the queue, the 15-day
deadline, the one-time notice and the applicant's status page are the case engine's. What is particular to
permits lives in PermitApplication / PermitEndorsement and in the hooks below, which permits.casetypes names.
"""

from __future__ import annotations

import datetime
import re
import secrets
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phones import phone_normalize
from cases.choices import CaseStatus
from cases.models import Case
from cases.permissions import acts_for_applicant, may_decide_case
from cases.services import case_check_actor, case_open, case_submit, case_transition
from kernel.errors import DomainError
from notifications.services import bilingual
from residents import selectors as residents_selectors
from residents.models import (
    Resident,
)
from residents.services import audit_record

from . import selectors
from .choices import DeliveryMethod, PermitEvent, ReplacementReason
from .models import Permit, PermitApplication, PermitEndorsement, PermitType

COURIER_MAX = 40



TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{6,40}")



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



def permit_case_check_submit(case: Case) -> None:
    """On submission the conditions are checked again: the residence, a permit got meanwhile, another application."""
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
        actor=actor, subject=case.applicant, event_type=PermitEvent.PERMIT_APPLICATION_CHANGED, obj=case,
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
            _("这件申请现在是“%(status)s”，不能再修改。") % {"status": CaseStatus(case.status).label},
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
        actor=actor, subject=case.applicant, event_type=PermitEvent.PERMIT_ISSUED, obj=permit,
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
        actor=actor, subject=case.applicant, event_type=PermitEvent.PERMIT_CARD_REPLACED, obj=permit,
        new={"card_serial": permit.card_serial, "replacement_reason": detail.replacement_reason},
    )  # fmt: skip



def permit_case_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    """Approval issues the permit (a first application) or a new card (a replacement)."""
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
    case_check_actor(actor, case, CaseStatus.ISSUED)
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
        actor=actor, subject=case.applicant, event_type=PermitEvent.PERMIT_DISPATCHED, obj=case,
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
    registered = residents_selectors.residence_current(resident=permit.holder) is not None
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



def permit_endorsement_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
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
        event_type=PermitEvent.PERMIT_ENDORSED, obj=permit,
        old={"valid_until": before.isoformat()},
        new={"valid_until": permit.valid_until.isoformat(), "late": endorsement.late,
             **({"continuity_restarted_on": endorsement.applied_on.isoformat()} if endorsement.late else {})},
    )  # fmt: skip
