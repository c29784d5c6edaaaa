"""Affordable rental housing (保障性租赁住房): the published projects, applying, and the waiting list.

The services and selectors of this part of the housing app live together here. An application is a case of
type "affordable_housing" (cases.casetypes), so documents, submitting, the one-time missing-documents
notice, approval, refusal with reasons and withdrawal are the generic casework (cases.services.case_*) and
its pages; what is particular to housing is here:

- who may apply: a valid residence permit (居住证, read through residents.selectors) and one application at a
  time; the rest of the published conditions (income, no home owned in the district) the caseworker checks from
  the documents;
- the waiting list (轮候名单): the approved applications of one unit type, first come, first served by the day
  the application was submitted (受理时间), then by case number;
- the offer (分配房源): a caseworker gives the first on the list a flat, which moves the case to "issued";
  moving in moves it to "delivered". An approved applicant may leave the list (withdraw), and may turn an offer
  down (withdraw) too.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.casetypes import PRODUCING_TRANSITIONS, CasePanel, CaseType, DocumentRequirement
from cases.choices import CASE_OPEN_STATUSES, CaseStatus
from cases.models import Case
from cases.permissions import may_decide_case
from cases.services import case_open, case_transition
from kernel.errors import DomainError
from permits.services import permit_require_valid
from residents.models import GuardianLink, Resident

from .models import HousingApplication, HousingProject, UnitType

AFFORDABLE_CASE_TYPE = "affordable_housing"
# A household larger than this is a typing mistake, not a family (the largest flats have three rooms).
MAX_HOUSEHOLD_SIZE = 10
UNIT_LABEL_MAX = 60
# Still "in progress" for the one-application rule: from the draft to an offered flat not yet moved into.
ACTIVE_STATUSES = (*CASE_OPEN_STATUSES, CaseStatus.APPROVED, CaseStatus.ISSUED)

# --- the case type ------------------------------------------------------------------------------------

AFFORDABLE_DOCUMENTS = (
    DocumentRequirement("id_card", _("身份证"), help_text=_("申请人身份证正反面；共同申请的家庭成员也请一并上传。")),
    DocumentRequirement(
        "residence_permit", _("居住证或居住证明"),
        help_text=_("越城区签发、在有效期内的居住证（电子居住证截图也可以）。"),
    ),
    DocumentRequirement(
        "income_proof", _("家庭收入证明"), help_text=_("单位出具的上年度收入证明，或个人所得税 App 的纳税记录截图。")
    ),
    DocumentRequirement(
        "no_home_declaration", _("无房承诺书"),
        help_text=_("本人、配偶及未成年子女在越城区没有自有住房的书面承诺，签名后拍照上传。"),
    ),
)  # fmt: skip

# The standard moves, then "issued" (a flat offered) and "delivered" (moved in). An approved applicant may
# still leave the waiting list, and may turn an offer down: both are a withdrawal by the applicant.
AFFORDABLE_TRANSITIONS = {
    **PRODUCING_TRANSITIONS,
    CaseStatus.APPROVED: frozenset({CaseStatus.ISSUED, CaseStatus.WITHDRAWN}),
    CaseStatus.ISSUED: frozenset({CaseStatus.DELIVERED, CaseStatus.WITHDRAWN}),
}


def affordable_case_check_submit(case: Case) -> None:
    """Checked again on submission: a permit may have lapsed, or the unit type closed, since the draft."""
    detail = HousingApplication.objects.select_related("unit_type__project").filter(case=case).first()
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


def affordable_case_panel_context(request: HttpRequest, case: Case) -> dict[str, object] | None:
    """On the applicant's case page: the flat type applied for and, once approved, the place on the list."""
    detail = HousingApplication.objects.select_related("unit_type__project").filter(case=case).first()
    if detail is None:
        return None
    return {"detail": detail, "position": housing_waiting_list_position(case=case)}


AFFORDABLE_HOUSING_CASE_TYPE = CaseType(
    key=AFFORDABLE_CASE_TYPE,
    label=_("保障性租赁住房"),
    reference_prefix="BZ",
    documents=AFFORDABLE_DOCUMENTS,
    due_in=datetime.timedelta(days=15),
    transitions=AFFORDABLE_TRANSITIONS,
    check_submit="housing.affordable.affordable_case_check_submit",
    on_transition="housing.affordable.affordable_case_on_transition",
    has_own_start=True,
    applicant_panel=CasePanel(
        template="housing/affordable_case_panel.html", context="housing.affordable.affordable_case_panel_context"
    ),
)


# --- selectors: projects (public) ---------------------------------------------------------------------


def projects_open() -> QuerySet[HousingProject]:
    """The projects taking applications, each with its open unit types (public: they describe a service)."""
    unit_types = UnitType.objects.filter(is_open=True).order_by("sort_order", "id")
    return (
        HousingProject.objects.filter(is_open=True)
        .select_related("street")
        .prefetch_related(Prefetch("unit_types", queryset=unit_types, to_attr="open_unit_types"))
        .order_by("sort_order", "id")
    )


def unit_types_open() -> QuerySet[UnitType]:
    """Every unit type open to applications, in the order the projects list them."""
    return (
        UnitType.objects.filter(is_open=True, project__is_open=True)
        .select_related("project", "project__street")
        .order_by("project__sort_order", "project_id", "sort_order", "id")
    )


def unit_type_get(pk: int) -> UnitType:
    """A unit type by id, closed ones included (so that applying for one is told it is closed)."""
    return UnitType.objects.select_related("project").get(pk=pk)


# --- selectors: applications and the waiting list ----------------------------------------------------


def _waiting_annotations(rows: QuerySet, *, case: str = "", unit_type: str = "housing_application__unit_type"):  # type: ignore[no-untyped-def]
    """Each row's place on its unit type's waiting list and the list's length (None when not waiting).

    ``rows`` are Cases (the default paths) or HousingApplications (``case="case__"``, ``unit_type="unit_type"``).
    Two correlated counts in the same query as the rows, so a list page costs one query whatever its length;
    each count reads one unit type's approved applications through the (unit_type, …) index.
    """
    waiting = HousingApplication.objects.filter(unit_type=OuterRef(unit_type), case__status=CaseStatus.APPROVED)
    ahead_or_self = waiting.filter(
        Q(case__submitted_at__lt=OuterRef(f"{case}submitted_at"))
        | Q(case__submitted_at=OuterRef(f"{case}submitted_at"), case_id__lte=OuterRef(f"{case}id" if case else "pk"))
    )

    def count(of: QuerySet[HousingApplication]) -> Coalesce:
        counted = of.order_by().values("unit_type").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    def when_waiting(value: Any) -> SqlCase:
        waiting_now = When(**{f"{case}status": CaseStatus.APPROVED}, then=value)
        return SqlCase(waiting_now, default=None, output_field=IntegerField())

    return rows.annotate(
        waiting_position=when_waiting(count(ahead_or_self)), waiting_total=when_waiting(count(waiting))
    )


def housing_applications(*, user: User) -> QuerySet[Case]:
    """Affordable-housing applications the user may see (Case.visible_to: the applicant and their guardians, the
    caseworkers of the applicant's street, administrators), with their details and waiting-list places."""
    cases = (
        Case.objects.visible_to(user)
        # Only cases started by housing_application_start (a case opened bare has no unit type to wait for).
        .filter(case_type=AFFORDABLE_CASE_TYPE, housing_application__isnull=False)
        .select_related("applicant", "street", "housing_application__unit_type__project")
    )
    return _waiting_annotations(cases)


def housing_application_get(*, user: User, pk: int) -> Case:
    """One application the user may see; Case.DoesNotExist (a 404) otherwise."""
    return housing_applications(user=user).get(pk=pk)


def housing_applications_of_family(*, user: User) -> QuerySet[Case]:
    """The user's own applications and their children's, newest first (我的排队)."""
    own = Resident.objects.filter(user=user).values_list("id", flat=True)
    children = GuardianLink.objects.filter(guardian__user=user).values_list("child_id", flat=True)
    return housing_applications(user=user).filter(applicant_id__in=list(own.union(children))).order_by("-id")


def housing_application_active(*, applicant: Resident) -> Case | None:
    """The applicant's application still in progress (draft to an offered flat), if any."""
    return (
        Case.objects.filter(applicant=applicant, case_type=AFFORDABLE_CASE_TYPE, status__in=ACTIVE_STATUSES)
        .order_by("-id")
        .first()
    )


def housing_waiting_list_position(*, case: Case) -> tuple[int, int] | None:
    """(place, length) of the case on its unit type's waiting list — (3, 17) is "第 3 位，共 17 位" — or None
    when the case is not waiting (not yet approved, or already offered a flat). Read for a case the caller
    already may see."""
    row = _waiting_annotations(Case.objects.filter(pk=case.pk)).values_list("waiting_position", "waiting_total").first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def housing_application_details(*, user: User) -> QuerySet[HousingApplication]:
    """The details of the applications the user may see (the waiting-list console), with their places."""
    visible = Case.objects.visible_to(user).filter(case_type=AFFORDABLE_CASE_TYPE)
    rows = HousingApplication.objects.filter(case__in=visible).select_related(
        "case", "case__applicant", "case__street", "unit_type", "unit_type__project"
    )
    return _waiting_annotations(rows, case="case__", unit_type="unit_type")


def housing_waiting_list(*, user: User, unit_type: UnitType) -> QuerySet[Case]:
    """A unit type's waiting list in its order (first come, first served), as far as the user may see it: a
    caseworker sees the applicants of their streets, with each one's place on the whole list."""
    return (
        housing_applications(user=user)
        .filter(status=CaseStatus.APPROVED, housing_application__unit_type=unit_type)
        .order_by("submitted_at", "id")
    )


# --- services -----------------------------------------------------------------------------------------


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
