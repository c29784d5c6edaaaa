"""The pages of school enrolment (随迁子女入学) a parent uses.

Public: /education/ — the year's rounds with their calendar as a timeline, the schools taking pupils with their
seats and catchment, the published rule in plain words and, once published, each school's cut-off. Signed in,
the same page lists the parent's children: applied (with where the application stands), may apply, or why not.

Applying opens a draft case (education.casetype) with the schools ranked; documents are uploaded and it is
submitted on the generic case page (cases:case_detail), whose enrolment panel links back here to change the
schools (until preferences close) and to confirm or decline a seat offered (within the confirmation window).
Every change is an education.services call; a refusal is shown on the form, nothing half-saved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.network import client_ip
from cases.choices import CaseStatus
from cases.models import Case
from cases.views import case_draft_opened
from kernel.errors import DomainError, form_add_domain_error
from residents import selectors as residents_selectors
from residents.models import Resident

from . import selectors, services
from .casetype import ENROLMENT_DOCUMENTS
from .choices import CatchmentTier, RoundStatus
from .forms import DeclineForm, EnrolmentApplyForm, PreferencesForm, school_name
from .models import AllocationCutoff, EnrolmentApplication, EnrolmentRound, RoundSchool, School
from .selectors import ChildStanding, TimelineStep


def _pick(zh: str, en: str) -> str:
    return en if en and (get_language() or "").startswith("en") else zh


# --- where a family lives, as the allocation counts it ---------------------------------------------------


@dataclass(frozen=True)
class FamilyHome:
    """The guardian's current residence registration (community and street), which decides their catchment tier."""

    community_id: int
    street_id: int

    def tier(self, school: School) -> int:
        return services.catchment_tier(
            community_id=self.community_id, street_id=self.street_id, school_street_id=school.street_id,
            catchment={community.pk for community in school.catchment_communities.all()},
        )  # fmt: skip


def _family_home(guardian: Resident | None) -> FamilyHome | None:
    """None without a current residence registration (the allocation then counts the family as living elsewhere;
    the pages say nothing rather than guess)."""
    registration = residents_selectors.residence_current(resident=guardian) if guardian is not None else None
    if registration is None:
        return None
    return FamilyHome(community_id=registration.community_id, street_id=registration.street_id)


def _seat_rows(enrolment_round: EnrolmentRound) -> list[RoundSchool]:
    """The round's schools with seats, their streets and catchments: two queries whatever the number of schools."""
    rows = selectors.round_seats(enrolment_round=enrolment_round)
    return list(rows.prefetch_related("school__catchment_communities"))


# --- the public page -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolRow:
    """A school in a round, as the page lists it."""

    school: School
    seats: int | None
    cutoff: AllocationCutoff | None = None
    # How near the signed-in family lives to it (CatchmentTier), when they have a registered residence.
    tier: int | None = None

    @property
    def name(self) -> str:
        return school_name(self.school)

    @property
    def catchment(self) -> str:
        return _("、").join(community.name for community in self.school.catchment_communities.all())

    @property
    def tier_label(self) -> str:
        return str(CatchmentTier(self.tier).label) if self.tier is not None else ""


@dataclass(frozen=True)
class RoundBlock:
    """One round on the page: its calendar, its schools and the signed-in parent's children in it."""

    round: EnrolmentRound
    timeline: list[TimelineStep]
    schools: list[SchoolRow]
    taking_applications: bool
    published: bool
    children: list[ChildStanding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return _pick(self.round.name, self.round.name_en)

    @property
    def stage(self) -> str:
        """Where the round stands, in a parent's words."""
        enrolment_round = self.round
        if self.taking_applications:
            return _("正在报名")
        if enrolment_round.status == RoundStatus.OPEN:
            if timezone.localdate() < enrolment_round.applications_open_on:
                return _("%(date)s 开始报名") % {"date": enrolment_round.applications_open_on.isoformat()}
            return _("报名已截止，等待分配学位")
        return {
            RoundStatus.ALLOCATED: _("学位已分配"),
            RoundStatus.PUBLISHED: _("录取结果已公布"),
            RoundStatus.CLOSED: _("本轮已结束"),
        }.get(enrolment_round.status, enrolment_round.get_status_display())


def enrolment_home(request: HttpRequest) -> HttpResponse:
    """随迁子女入学 (public): the year's rounds, schools, rule and cut-offs; a signed-in parent's children."""
    today = timezone.localdate()
    rounds = selectors.rounds_of_the_year()
    resident = residents_selectors.resident_of_user(user=request.user)
    home = _family_home(resident)
    cutoffs = selectors.cutoffs_published_by_round(rounds=rounds)
    standings: dict[int, list[ChildStanding]] = defaultdict(list)
    if resident is not None:
        for standing in selectors.enrolment_children_standing(guardian=resident, rounds=rounds, today=today):
            standings[standing.enrolment_round.pk].append(standing)
    blocks = []
    for enrolment_round in rounds:
        by_school = {cutoff.school_id: cutoff for cutoff in cutoffs[enrolment_round.pk]}
        schools = [
            SchoolRow(
                school=row.school, seats=row.seats, cutoff=by_school.get(row.school_id),
                tier=home.tier(row.school) if home is not None else None,
            )
            for row in _seat_rows(enrolment_round)
        ]  # fmt: skip
        blocks.append(
            RoundBlock(
                round=enrolment_round,
                timeline=selectors.round_timeline(enrolment_round=enrolment_round, today=today),
                schools=schools,
                taking_applications=enrolment_round.accepts_applications_on(today),
                published=enrolment_round.status in (RoundStatus.PUBLISHED, RoundStatus.CLOSED),
                children=standings.get(enrolment_round.pk, []),
            )
        )
    # Without a round this year the schools are still worth knowing.
    schools = [] if rounds else [SchoolRow(school=school, seats=None) for school in selectors.schools_public()]
    context = {
        "blocks": blocks,
        "resident": resident,
        "has_children": resident is not None and residents_selectors.resident_children(guardian=resident).exists(),
        "schools": schools,
        "max_preferences": max((block.round.max_preferences for block in blocks), default=None),
        "documents": ENROLMENT_DOCUMENTS,
    }
    return render(request, "education/home.html", context)


# --- applying --------------------------------------------------------------------------------------------


def _requested_round(request: HttpRequest, taking: list[EnrolmentRound]) -> EnrolmentRound | None:
    """The round the form is for: the one asked for (in the form or the link) if the user may see it, else the
    first taking applications."""
    requested = (request.POST.get("round") or request.GET.get("round") or "").strip()
    if requested.isdigit():
        try:
            return selectors.round_get(user=request.user, pk=int(requested))
        except EnrolmentRound.DoesNotExist:
            pass
    return taking[0] if taking else None


def _initial_child(request: HttpRequest, standings: list[ChildStanding]) -> int | None:
    may_apply = [standing.child.pk for standing in standings if standing.may_apply]
    requested = request.GET.get("child", "")
    if requested.isdigit() and int(requested) in may_apply:
        return int(requested)
    return may_apply[0] if len(may_apply) == 1 else None


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_apply(request: HttpRequest) -> HttpResponse:
    """为孩子申请入学: the child, then the schools ranked. Opens a draft case; documents and submitting are on
    the case page."""
    resident = residents_selectors.resident_of_user(user=request.user)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再为孩子申请入学。"))
        return redirect("residents:profile")
    today = timezone.localdate()
    taking = list(selectors.rounds_taking_applications(today=today))
    enrolment_round = _requested_round(request, taking)
    if enrolment_round is None:
        return render(request, "education/apply.html", {"enrolment_round": None, "taking": taking})
    standings = selectors.enrolment_children_standing(guardian=resident, rounds=[enrolment_round], today=today)
    seat_rows = _seat_rows(enrolment_round)
    home = _family_home(resident)
    tiers = {row.school_id: home.tier(row.school) for row in seat_rows} if home is not None else {}
    form_options = {
        "children": residents_selectors.resident_children(guardian=resident),
        "schools": [row.school for row in seat_rows],
        "max_preferences": enrolment_round.max_preferences,
        "tiers": tiers,
    }
    if request.method == "POST":
        form = EnrolmentApplyForm(request.POST, **form_options)
        if form.is_valid():
            try:
                case = services.enrolment_application_apply(
                    actor=request.user, enrolment_round=enrolment_round, child=form.cleaned_data["child"],
                    schools=form.ranked_schools(), guardian=resident, ip=client_ip(request),
                )  # fmt: skip
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                if case.status == CaseStatus.DRAFT:
                    return case_draft_opened(request, case)
                # A further round's application carries the documents checked in the round before.
                message = _("补录申请已受理（受理编号 %(ref)s）。材料沿用上一轮的审核结果，不用再上传。")
                messages.success(request, message % {"ref": case.reference})
                return redirect("cases:case_detail", case.reference)
    else:
        form = EnrolmentApplyForm(initial={"child": _initial_child(request, standings)}, **form_options)
    context = {
        "enrolment_round": enrolment_round,
        "round_name": _pick(enrolment_round.name, enrolment_round.name_en),
        "taking": taking,
        "taking_applications": enrolment_round.accepts_applications_on(today),
        "form": form,
        "standings": standings,
        "may_apply_ids": [standing.child.pk for standing in standings if standing.may_apply],
        "schools": [SchoolRow(school=row.school, seats=row.seats, tier=tiers.get(row.school_id)) for row in seat_rows],
    }
    return render(request, "education/apply.html", context)


# --- after applying: the schools ranked, the answer to an offer ------------------------------------------


def _application_or_404(request: HttpRequest, reference: str) -> EnrolmentApplication:
    try:
        return selectors.enrolment_application_by_reference(user=request.user, reference=reference)
    except EnrolmentApplication.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_preferences(request: HttpRequest, reference: str) -> HttpResponse:
    """修改志愿: rank the schools again, until preferences close."""
    application = _application_or_404(request, reference)
    enrolment_round = application.round
    seat_rows = _seat_rows(enrolment_round)
    home = _family_home(application.guardian)
    tiers = {row.school_id: home.tier(row.school) for row in seat_rows} if home is not None else {}
    options = {"schools": [row.school for row in seat_rows], "max_preferences": enrolment_round.max_preferences}
    if request.method == "POST":
        form = PreferencesForm(request.POST, tiers=tiers, **options)
        if form.is_valid():
            try:
                services.enrolment_preferences_set(
                    actor=request.user, application=application, schools=form.ranked_schools(), ip=client_ip(request)
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("志愿已保存。%(date)s 前还可以修改。") % {
                    "date": enrolment_round.preferences_close_on.isoformat()
                })  # fmt: skip
                return redirect("cases:case_detail", reference)
    else:
        ranked = {f"school_{p.rank}": p.school_id for p in application.preferences.all()}
        form = PreferencesForm(initial=ranked, tiers=tiers, **options)
    panel = selectors.enrolment_case_panel(case=application.case)
    context = {
        "application": application,
        "case": application.case,
        "round_name": _pick(enrolment_round.name, enrolment_round.name_en),
        "enrolment_round": enrolment_round,
        "may_rank": panel is not None and panel.may_rank,
        "form": form,
        "schools": [SchoolRow(school=row.school, seats=row.seats, tier=tiers.get(row.school_id)) for row in seat_rows],
    }
    return render(request, "education/preferences.html", context)


@login_required
@require_POST
def enrolment_offer_confirm(request: HttpRequest, reference: str) -> HttpResponse:
    """确认入学: take the seat offered."""
    application = _application_or_404(request, reference)
    try:
        result = services.enrolment_offer_confirm(actor=request.user, application=application, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("已确认入学：%(school)s。报到时间请留意学校通知。") % {"school": school_name(result.school)}
        )
    return redirect("cases:case_detail", reference)


@login_required
@require_POST
def enrolment_offer_decline(request: HttpRequest, reference: str) -> HttpResponse:
    """放弃学位, after the panel said what it means (the seat goes to the further round)."""
    application = _application_or_404(request, reference)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("放弃原因最多 200 个字，请改短一些。"))
        return redirect("cases:case_detail", reference)
    try:
        result = services.enrolment_offer_decline(
            actor=request.user, application=application, reason=form.cleaned_data["reason"], ip=client_ip(request)
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("已放弃 %(school)s 的学位，该学位将进入补录。开放补录时我们会通知您，孩子可以参加补录。")
            % {"school": school_name(result.school)},
        )
    return redirect("cases:case_detail", reference)


def enrolment_case_panel_context(request: HttpRequest, case: Case) -> dict[str, object] | None:
    """On the applicant's case page: the round, the schools ranked and, once allocated, the result and why."""
    panel = selectors.enrolment_case_panel(case=case, today=timezone.localdate())
    return {"panel": panel} if panel is not None else None
