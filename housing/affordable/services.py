"""The writes of affordable rental housing (保障性租赁住房): starting an application, offering a flat from the
waiting list and recording the move-in, and the affordable-housing case type's hooks (the checks on submission
and on a move the generic casework makes), which casetype.py names by their dotted paths."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case
from cases.permissions import may_decide_case
from cases.services import case_open, case_transition
from kernel.errors import DomainError
from permits.services import permit_require_valid
from residents.models import Resident

from ..models import HousingApplication, HousingProject, UnitType
from .casetype import AFFORDABLE_CASE_TYPE, MAX_HOUSEHOLD_SIZE, UNIT_LABEL_MAX
from .selectors import housing_application_active, housing_application_of_case, housing_waiting_list_position

# --- the case type's hooks ----------------------------------------------------------------------------


def affordable_case_check_submit(case: Case) -> None:
    """Checked again on submission: a permit may have lapsed, or the unit type closed, since the draft."""
    detail = housing_application_of_case(case=case)
    if detail is None:  # opened through the generic /api/v1/cases/, without a unit type
        raise DomainError(
            "unit_type_missing", _("这件申请没有选择户型，请在“保障性租赁住房”页面重新申请。"), field="unit_type"
        )
    _check_unit_type_open(detail.unit_type)
    _check_permit(case.applicant)


def affordable_case_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    """A flat is offered only through housing_application_offer, which records which flat first; any other way
    to "issued" (a generic console button) would leave the applicant told nothing about where to go."""
    offered = HousingApplication.objects.filter(case=case).exclude(offered_unit="")
    if target == CaseStatus.ISSUED and not offered.exists():
        raise DomainError("offer_through_waiting_list", _("请在轮候名单中为申请人分配具体房源。"))


# --- applying -----------------------------------------------------------------------------------------


def _check_unit_type_open(unit_type: UnitType) -> None:
    if not (unit_type.is_open and unit_type.project.is_open):
        raise DomainError(
            "unit_type_closed", _("这个户型暂不受理申请，请选择其他户型。"), field="unit_type", conflict=True
        )


def _check_permit(applicant: Resident) -> None:
    """保障性租赁住房 is for holders of a valid residence permit (the published condition 1)."""
    permit_require_valid(applicant, service=_("申请保障性租赁住房"))


def _clean_household_size(household_size: Any) -> int:
    try:
        size = int(household_size)
    except (TypeError, ValueError) as exc:
        raise DomainError("household_size_invalid", _("请填写家庭人数（数字）。"), field="household_size") from exc
    if not 1 <= size <= MAX_HOUSEHOLD_SIZE:
        raise DomainError(
            "household_size_invalid",
            _("家庭人数应在 1 到 %(max)s 人之间（包括您本人）。") % {"max": MAX_HOUSEHOLD_SIZE},
            field="household_size",
        )
    return size


def _clean_address(address: str) -> str:
    address = (address or "").strip()
    if len(address) > 200:
        raise DomainError("address_too_long", _("地址最多 200 个字。"), field="current_address")
    return address


@transaction.atomic
def housing_application_start(
    *,
    actor: User,
    applicant: Resident,
    unit_type: UnitType,
    household_size: Any,
    current_address: str = "",
    ip: str | None = None,
) -> Case:
    """Start an application for a unit type (a draft). The documents are uploaded and the case submitted on the
    case page; the conditions are checked now, so nobody gathers papers for an application that cannot succeed,
    and again on submission. The applicant's row is locked so two tabs cannot open two applications."""
    if not Resident.objects.visible_to(actor).filter(pk=applicant.pk).exists():
        raise DomainError("not_allowed", _("您不能为这位居民提出申请。"))
    applicant = Resident.objects.select_for_update().get(pk=applicant.pk)
    unit_type = UnitType.objects.select_related("project").get(pk=unit_type.pk)
    _check_unit_type_open(unit_type)
    size = _clean_household_size(household_size)
    address = _clean_address(current_address) or applicant.address
    _check_permit(applicant)
    if active := housing_application_active(applicant=applicant):
        raise DomainError(
            "housing_application_open",
            _("您已有一件保障性租赁住房申请在办理或轮候中（受理编号 %(reference)s）。同一时间只能申请一个户型；"
              "如要改申请其他户型，请先撤回原申请。") % {"reference": active.reference},
            field="unit_type", conflict=True,
        )  # fmt: skip
    case = case_open(actor=actor, case_type=AFFORDABLE_CASE_TYPE, applicant=applicant, ip=ip)
    HousingApplication.objects.create(case=case, unit_type=unit_type, household_size=size, current_address=address)
    return case


# --- the offer and moving in --------------------------------------------------------------------------


def _label(zh: str, en: str) -> dict[str, str]:
    """An administrator's name in both languages, for a message read later in either (en falls back to zh)."""
    return {"zh": zh, "en": en or zh}


@transaction.atomic
def housing_application_offer(
    *, actor: User, case: Case, unit: str, skip_reason: str = "", ip: str | None = None
) -> Case:
    """Offer a flat (分配房源) to an applicant on the waiting list: the case becomes "issued" and the applicant is
    told where to sign the lease.

    First come, first served: the offer goes to the first on the unit type's list. Passing over someone ahead
    (they cannot be reached, they asked to wait) needs a reason, which the audit trail keeps. A flat already
    offered to someone who has not yet moved in or turned it down cannot be offered again.
    """
    # Who may act first, so that someone out of scope learns nothing from the validation of their input.
    if not may_decide_case(actor, case):
        raise DomainError("not_allowed", _("您没有办理这件申请的权限（不在您负责的街道）。"))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    detail = HousingApplication.objects.select_for_update().select_related("unit_type").get(case=locked)
    # Offers in one project are made one at a time: two caseworkers cannot give the same flat to two families.
    project = HousingProject.objects.select_for_update().get(pk=detail.unit_type.project_id)
    if locked.status != CaseStatus.APPROVED:
        raise DomainError(
            "not_waiting",
            _("这件申请不在轮候名单上（当前状态：%(status)s）。") % {"status": locked.get_status_display()},
            conflict=True,
        )
    unit = " ".join((unit or "").split())
    if not unit:
        raise DomainError("unit_required", _("请填写分配的房号，例如：3 幢 502 室。"), field="unit")
    if len(unit) > UNIT_LABEL_MAX:
        raise DomainError("unit_too_long", _("房号最多 60 个字。"), field="unit")
    skip_reason = (skip_reason or "").strip()
    place = housing_waiting_list_position(case=locked)
    if place is not None and place[0] > 1 and not skip_reason:
        raise DomainError(
            "not_first_in_line",
            _("按先到先得，应先为轮候第 1 位分配；这位申请人排在第 %(position)s 位。如确需跳过前面的申请人"
              "（例如联系不上、本人要求暂缓），请写明理由。") % {"position": place[0]},
            field="skip_reason",
        )  # fmt: skip
    taken = HousingApplication.objects.filter(
        unit_type__project=project, offered_unit=unit, case__status=CaseStatus.ISSUED
    ).exclude(case=locked)
    if taken.exists():
        raise DomainError(
            "unit_already_offered", _("%(unit)s 已分配给其他申请人，正等待签约入住。") % {"unit": unit},
            field="unit", conflict=True,
        )  # fmt: skip
    # Recorded before the move, so that the case type's guard sees which flat it is.
    detail.offered_unit, detail.offered_at = unit, timezone.now()
    detail.save(update_fields=["offered_unit", "offered_at"])
    unit_type = detail.unit_type
    reason = str(_("分配房源：%(project)s %(unit_type)s %(unit)s") % {
        "project": project.name, "unit_type": unit_type.name, "unit": unit,
    })  # fmt: skip
    if skip_reason:
        reason += str(_("（跳过排在前面的申请人，理由：%(reason)s）") % {"reason": skip_reason})
    return case_transition(
        actor=actor, case=locked, target=CaseStatus.ISSUED, reason=reason, ip=ip,
        notify_template="housing.unit_offered",
        notify_extra={
            "project": _label(project.name, project.name_en), "unit_type": _label(unit_type.name, unit_type.name_en),
            "unit": unit, "address": project.address,
        },
    )  # fmt: skip


@transaction.atomic
def housing_application_move_in(*, actor: User, case: Case, ip: str | None = None) -> Case:
    """The family has signed the lease and moved in: the case becomes "delivered"."""
    case = case_transition(
        actor=actor, case=case, target=CaseStatus.DELIVERED, ip=ip, notify_template="housing.moved_in",
        notify_extra=_move_in_context(case),
    )  # fmt: skip
    HousingApplication.objects.filter(case=case).update(moved_in_at=timezone.now())
    return case


def _move_in_context(case: Case) -> dict[str, Any]:
    detail = HousingApplication.objects.select_related("unit_type__project").get(case=case)
    project = detail.unit_type.project
    return {"project": _label(project.name, project.name_en), "unit": detail.offered_unit}
