"""The reads of affordable rental housing (保障性租赁住房): the published projects and unit types (public), and the
applications a user may see with each one's place on its unit type's waiting list (first come, first served by
the day the application was submitted, then by case number)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case
from residents.models import GuardianLink, Resident

from ..models import HousingApplication, HousingProject, UnitType
from .casetype import ACTIVE_STATUSES, AFFORDABLE_CASE_TYPE

# --- projects (public) --------------------------------------------------------------------------------


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


# --- applications and the waiting list ----------------------------------------------------------------


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


def housing_application_of_case(*, case: Case) -> HousingApplication | None:
    """What housing adds to the case (the unit type with its project), or None for a case opened bare through
    the generic /api/v1/cases/. Read for a case the caller already may see."""
    return HousingApplication.objects.select_related("unit_type__project").filter(case=case).first()


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
