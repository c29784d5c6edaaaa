"""The pages of affordable rental housing (保障性租赁住房): the public list of projects and unit types, the form
that starts an application, and 我的排队 — the applicant's place on the waiting list; and the panel the
applicant's case page shows of an application (the case type's CasePanel names its context function here).

Documents, submitting and withdrawing happen on the generic case page (cases:case_detail), as for every
application; these pages only start the case and say where it stands. Their routes are in housing/urls.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.network import client_ip
from cases.models import Case
from cases.views import case_draft_opened
from kernel.errors import DomainError, form_add_domain_error
from residents import selectors as residents_selectors

from . import selectors, services
from .forms import AffordableApplyForm


def affordable_projects(request: HttpRequest) -> HttpResponse:
    """保障性租赁住房 (public): the open projects with each unit type's rent, size, number of flats and
    conditions; for a signed-in resident, the application they already have."""
    resident = residents_selectors.resident_of_user(user=request.user)
    active = selectors.housing_application_active(applicant=resident) if resident else None
    context = {"projects": selectors.projects_open(), "active": active}
    return render(request, "housing/affordable_projects.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def affordable_apply(request: HttpRequest) -> HttpResponse:
    """The form that opens a draft application; documents are uploaded and it is submitted on the case page."""
    resident = residents_selectors.resident_of_user(user=request.user)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再申请保障性租赁住房。"))
        return redirect("residents:profile")
    if request.method == "POST":
        form = AffordableApplyForm(request.POST)
        if form.is_valid():
            try:
                case = services.housing_application_start(
                    actor=request.user, applicant=resident, ip=client_ip(request), **form.cleaned_data
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                return case_draft_opened(request, case)
    else:
        requested = request.GET.get("unit_type", "")
        form = AffordableApplyForm(
            initial={"unit_type": int(requested) if requested.isdigit() else None, "current_address": resident.address}
        )
    context = {"form": form, "active": selectors.housing_application_active(applicant=resident)}
    return render(request, "housing/affordable_apply.html", context)


@dataclass(frozen=True)
class QueueEntry:
    """One application as 我的排队 shows it."""

    case: Case
    position: int | None
    total: int | None

    @property
    def unit_type_label(self) -> str:
        """The unit type in the reader's language (the project is the panel's heading)."""
        unit_type = self.case.housing_application.unit_type
        english = (translation.get_language() or "").startswith("en")
        return (unit_type.name_en or unit_type.name) if english else unit_type.name


@login_required
def affordable_mine(request: HttpRequest) -> HttpResponse:
    """我的排队: one's own (and one's children's) applications, where each stands, and the place on the list."""
    cases = list(selectors.housing_applications_of_family(user=request.user)[:20])
    entries = [QueueEntry(case, case.waiting_position, case.waiting_total) for case in cases]  # type: ignore[attr-defined]
    return render(request, "housing/affordable_mine.html", {"entries": entries})


def affordable_case_panel_context(request: HttpRequest, case: Case) -> dict[str, object] | None:
    """On the applicant's case page: the flat type applied for and, once approved, the place on the list."""
    detail = selectors.housing_application_of_case(case=case)
    if detail is None:
        return None
    return {"detail": detail, "position": selectors.housing_waiting_list_position(case=case)}
