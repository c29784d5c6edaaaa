"""Every read of school enrolment, each through its model family's one visibility rule.

- Schools are public; a round is public once it opens (EnrolmentRound.objects.visible_to); a published round's
  cut-offs are public.
- Applications, their preferences and results follow the case (EnrolmentApplication.objects.visible_to: the
  child's guardians, the caseworkers of the case's street, administrators). Out of scope is DoesNotExist (404).
- Allocation runs (previews included) are the office's (AllocationRun.objects.visible_to).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_administrator
from cases.choices import CaseStatus
from cases.models import Case
from kernel.errors import DomainError
from permits.models import Permit
from points import selectors as points_selectors
from residents.models import GuardianLink, Jurisdiction, Resident

from . import eligibility
from .casetype import ENROLMENT_CASE_TYPE
from .choices import FURTHER_ROUND_RESULTS, AllocationRunKind, ResultStatus, RoundStatus
from .models import (
    AllocationCutoff,
    AllocationRun,
    EnrolmentApplication,
    EnrolmentPreference,
    EnrolmentResult,
    EnrolmentRound,
    RoundSchool,
    School,
)

# --- schools and rounds (public) ----------------------------------------------------------------------------


def schools_public(*, level: str | None = None) -> QuerySet[School]:
    """The schools taking pupils, with their street and catchment communities (public)."""
    schools = (
        School.objects.active()
        .select_related("street")
        .prefetch_related("catchment_communities")
        .order_by("level", "sort_order", "id")
    )
    return schools.filter(level=level) if level else schools


def school_get(pk: int) -> School:
    """A school by id, inactive ones included (public)."""
    return School.objects.select_related("street").get(pk=pk)


def rounds_visible(*, user: User) -> QuerySet[EnrolmentRound]:
    """Rounds the user may see: every round but drafts (administrators see drafts too), newest year first."""
    return EnrolmentRound.objects.visible_to(user).select_related("previous")


def round_get(*, user: User, pk: int) -> EnrolmentRound:
    """One round the user may see; EnrolmentRound.DoesNotExist (a 404) otherwise."""
    return rounds_visible(user=user).get(pk=pk)


def rounds_taking_applications(*, today: datetime.date | None = None) -> QuerySet[EnrolmentRound]:
    """The rounds open for applications today (public)."""
    today = today or timezone.localdate()
    return EnrolmentRound.objects.filter(
        status=RoundStatus.OPEN, applications_open_on__lte=today, applications_close_on__gte=today
    ).order_by("grade", "applications_close_on", "id")


def seats_offered() -> QuerySet[RoundSchool]:
    """Seats a round offers at schools taking pupils, in the schools' order (of any round: callers narrow it)."""
    return (
        RoundSchool.objects.filter(seats__gt=0, school__is_active=True)
        .select_related("school", "school__street")
        .order_by("school__sort_order", "school_id")
    )


def round_seats(*, enrolment_round: EnrolmentRound) -> QuerySet[RoundSchool]:
    """The schools of a round with their seats, for a round already visible to the caller."""
    return seats_offered().filter(round=enrolment_round)


@dataclass(frozen=True)
class TimelineStep:
    """One phase of a round's calendar as parents see it."""

    key: str
    label: Promise
    starts_on: datetime.date | None
    ends_on: datetime.date
    state: str  # "done", "now" or "later"


def round_timeline(*, enrolment_round: EnrolmentRound, today: datetime.date | None = None) -> list[TimelineStep]:
    """The round's calendar as a parent's timeline: each phase with its days and whether it is past, under way
    or to come."""
    today = today or timezone.localdate()
    r = enrolment_round
    day = datetime.timedelta(days=1)
    phases = [
        ("applications", _("网上报名、上传材料"), r.applications_open_on, r.applications_close_on),
        ("documents", _("材料审核"), r.applications_open_on, r.documents_check_end_on),
        ("objections", _("审核结果异议"), r.documents_check_end_on + day, r.objections_end_on),
        ("preferences", _("填报志愿"), r.applications_open_on, r.preferences_close_on),
        ("allocation", _("学位分配"), r.allocation_on, r.allocation_on),
        ("confirmation", _("确认入学"), r.allocation_on, r.confirmation_end_on),
    ]
    steps = []
    for key, label, starts_on, ends_on in phases:
        if starts_on > ends_on:  # a phase the calendar leaves no days for (a further round has no objections)
            continue
        state = "done" if today > ends_on else "now" if today >= starts_on else "later"
        steps.append(TimelineStep(key=key, label=label, starts_on=starts_on, ends_on=ends_on, state=state))
    return steps


def cutoffs_published(*, enrolment_round: EnrolmentRound) -> QuerySet[AllocationCutoff]:
    """The final run's cut-offs once the round's results are published (public); none before. The round's status
    is read in the same query, so a stale copy of the round never shows what is not yet public."""
    return (
        AllocationCutoff.objects.filter(
            run__round=enrolment_round,
            run__kind=AllocationRunKind.FINAL,
            run__round__status__in=(RoundStatus.PUBLISHED, RoundStatus.CLOSED),
        )
        .select_related("school")
        .order_by("school__sort_order", "school_id")
    )


# --- allocation runs (the office's) --------------------------------------------------------------------------


def allocation_runs(*, user: User, enrolment_round: EnrolmentRound | None = None) -> QuerySet[AllocationRun]:
    runs = AllocationRun.objects.visible_to(user).select_related("round", "run_by")
    return runs.filter(round=enrolment_round) if enrolment_round is not None else runs


def allocation_run_get(*, user: User, pk: int) -> AllocationRun:
    return allocation_runs(user=user).get(pk=pk)


def allocation_run_cutoffs(*, run: AllocationRun) -> QuerySet[AllocationCutoff]:
    """A run's cut-offs, for a run already visible to the caller."""
    return run.cutoffs.select_related("school").order_by("school__sort_order", "school_id")


# --- applications, preferences, results (the case's visibility) --------------------------------------------


def _preferences_prefetch() -> Prefetch:
    return Prefetch("preferences", queryset=EnrolmentPreference.objects.select_related("school").order_by("rank"))


def enrolment_applications(*, user: User) -> QuerySet[EnrolmentApplication]:
    """The applications the user may see, with their case, child, guardian, round, ranked schools and result: a
    page of them costs three queries whatever its length."""
    return (
        EnrolmentApplication.objects.visible_to(user)
        .select_related(
            "case", "case__street", "child", "guardian", "round", "result", "result__school",
        )
        .prefetch_related(_preferences_prefetch())
    )  # fmt: skip


def enrolment_application_get(*, user: User, pk: int) -> EnrolmentApplication:
    """One application (by its case's id) the user may see; EnrolmentApplication.DoesNotExist (a 404) otherwise."""
    return enrolment_applications(user=user).get(pk=pk)


def enrolment_application_by_reference(*, user: User, reference: str) -> EnrolmentApplication:
    return enrolment_applications(user=user).get(case__reference=reference)


def enrolment_applications_of_family(*, user: User) -> QuerySet[EnrolmentApplication]:
    """The applications of the user's own children (and their own, for an applicant with a login), newest first."""
    own = Resident.objects.filter(user=user).values_list("id", flat=True)
    children = GuardianLink.objects.filter(guardian__user=user).values_list("child_id", flat=True)
    return enrolment_applications(user=user).filter(child_id__in=list(own.union(children))).order_by("-case_id")


def enrolment_application_current(*, child: Resident, enrolment_round: EnrolmentRound) -> EnrolmentApplication | None:
    """The child's current application in the round, if any (for a child the caller may already see)."""
    return (
        EnrolmentApplication.objects.filter(child=child, round=enrolment_round, is_current=True)
        .select_related("case")
        .first()
    )


def enrolment_preferences(*, application: EnrolmentApplication) -> list[EnrolmentPreference]:
    """The application's ranked schools, first choice first (for an application already visible)."""
    return list(application.preferences.select_related("school").order_by("rank"))


def enrolment_results(*, user: User, enrolment_round: EnrolmentRound | None = None) -> QuerySet[EnrolmentResult]:
    """The results the user may see (the application's visibility)."""
    results = EnrolmentResult.objects.visible_to(user).select_related(
        "application__case", "application__child", "school", "round"
    )
    return results.filter(round=enrolment_round) if enrolment_round is not None else results


def enrolment_result_get(*, user: User, pk: int) -> EnrolmentResult:
    """The result of one application (by its case's id) the user may see; DoesNotExist (a 404) otherwise."""
    return enrolment_results(user=user).get(pk=pk)


def enrolment_queue(*, user: User) -> QuerySet[EnrolmentApplication]:
    """The console's list of applications: those the user may see, with what a row shows, oldest case first."""
    return (
        EnrolmentApplication.objects.visible_to(user)
        .filter(case__case_type=ENROLMENT_CASE_TYPE)
        .select_related("case", "case__street", "child", "guardian", "round", "result", "result__school")
    )


# --- the case page's panel -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentCasePanel:
    """What the applicant's case page shows of an enrolment application."""

    application: EnrolmentApplication
    preferences: list[EnrolmentPreference]
    result: EnrolmentResult | None
    timeline: list[TimelineStep]
    may_rank: bool
    may_answer: bool
    left_out: bool  # the round was allocated without this application (not approved in time)
    # Before the allocation: the guardian's latest verified points as they would count today (None: none yet).
    points_now: Decimal | None

    @property
    def reason(self) -> str:
        from django.utils import translation

        if self.result is None:
            return ""
        english = (translation.get_language() or "").startswith("en")
        return self.result.reason_en if english and self.result.reason_en else self.result.reason_zh


def enrolment_case_panel(*, case: Case, today: datetime.date | None = None) -> EnrolmentCasePanel | None:
    """The panel of a case already visible to the caller; None for a case without enrolment details."""
    application = (
        EnrolmentApplication.objects.select_related("round", "guardian", "child", "result", "result__school")
        .filter(pk=case.pk)
        .first()
    )
    if application is None:
        return None
    today = today or timezone.localdate()
    enrolment_round = application.round
    result = getattr(application, "result", None)
    allocated = enrolment_round.status not in (RoundStatus.DRAFT, RoundStatus.OPEN)
    points_now = None
    if not allocated and application.is_current:
        score = points_selectors.resident_points_current(application.guardian)
        if score is not None:
            points_now = Decimal(score.total) if score.eligible else Decimal(0)
    return EnrolmentCasePanel(
        application=application,
        preferences=enrolment_preferences(application=application),
        result=result,
        timeline=round_timeline(enrolment_round=enrolment_round, today=today),
        may_rank=application.is_current
        and case.status not in (CaseStatus.WITHDRAWN, CaseStatus.REFUSED)
        and enrolment_round.accepts_preferences_on(today),
        may_answer=result is not None
        and result.status == ResultStatus.OFFERED
        and enrolment_round.accepts_confirmations_on(today),
        left_out=allocated and result is None and application.is_current,
        points_now=points_now,
    )


# --- eligible families ---------------------------------------------------------------------------------------


def families_eligible_not_applied(*, enrolment_round: EnrolmentRound, today: datetime.date) -> QuerySet[GuardianLink]:
    """Guardian–child pairs who could apply in the round today and have not: the guardian holds a permit valid
    today, the child is of the round's age (or, in a further round, was unplaced or declined in the round
    before), and the child has no current application in the round. Neither is archived.

    Unscoped: the reminder sweep's read. Pages and the API use enrolment_eligible_not_applied."""
    valid_permit = Permit.objects.filter(holder_id=OuterRef("guardian_id"), valid_until__gte=today)
    applied = EnrolmentApplication.objects.filter(round=enrolment_round, child_id=OuterRef("child_id"), is_current=True)
    links = GuardianLink.objects.filter(
        Exists(valid_permit),
        guardian__archived_at__isnull=True,
        child__archived_at__isnull=True,
        child__birth_date__gte=enrolment_round.born_on_or_after,
        child__birth_date__lte=enrolment_round.born_on_or_before,
    ).exclude(Exists(applied))
    if enrolment_round.is_further_round:
        earlier = EnrolmentResult.objects.filter(
            round_id=enrolment_round.previous_id, application__child_id=OuterRef("child_id"),
            status__in=FURTHER_ROUND_RESULTS,
        )  # fmt: skip
        links = links.filter(Exists(earlier))
    return links


def enrolment_eligible_not_applied(
    *, user: User, enrolment_round: EnrolmentRound, today: datetime.date | None = None
) -> QuerySet[GuardianLink]:
    """The families who may apply in the round and have not (GuardianLink rows: guardian and child), as far as
    the user may see them: a parent their own children (the children they can apply for), a caseworker the
    families of the streets they cover, an administrator all."""
    today = today or timezone.localdate()
    links = families_eligible_not_applied(enrolment_round=enrolment_round, today=today).select_related(
        "guardian", "child", "guardian__street"
    )
    if not user.is_authenticated or not user.is_active:
        return links.none()
    if is_administrator(user):
        return links
    scope = Q(guardian__user=user)
    streets = list(Jurisdiction.objects.filter(caseworker=user).values_list("street_id", flat=True))
    if streets:
        scope |= Q(guardian__street_id__in=streets)
    return links.filter(scope)


def enrolment_children_eligible(*, guardian: Resident, enrolment_round: EnrolmentRound) -> QuerySet[Resident]:
    """The guardian's children who may apply in the round today (the "apply" page's choice)."""
    links = families_eligible_not_applied(enrolment_round=enrolment_round, today=timezone.localdate()).filter(
        guardian=guardian
    )
    return Resident.objects.filter(pk__in=links.values("child_id")).order_by("birth_date", "id")


def enrolment_may_act_for(*, user: User, application: EnrolmentApplication) -> bool:
    """Whether the user is the child's guardian (or the child) — who confirms, declines and ranks."""
    if not user.is_authenticated:
        return False
    if application.child.user_id == user.pk:
        return True
    return GuardianLink.objects.filter(child_id=application.child_id, guardian__user=user).exists()


# --- added for the pages and API ---


def rounds_of_the_year() -> list[EnrolmentRound]:
    """The rounds the public enrolment page shows: those of the latest year any round has opened in (drafts never),
    each grade's first round before its further round. Earlier years are history."""
    public = EnrolmentRound.objects.exclude(status=RoundStatus.DRAFT)
    latest = public.order_by("-year").values_list("year", flat=True).first()
    if latest is None:
        return []
    return list(public.filter(year=latest).select_related("previous").order_by("grade", "applications_open_on", "id"))


def cutoffs_published_by_round(*, rounds: list[EnrolmentRound]) -> dict[int, list[AllocationCutoff]]:
    """cutoffs_published for several rounds in one query: round id → its published cut-offs (none before)."""
    by_round: dict[int, list[AllocationCutoff]] = {r.pk: [] for r in rounds}
    cutoffs = AllocationCutoff.objects.filter(
        run__round__in=list(rounds),
        run__kind=AllocationRunKind.FINAL,
        run__round__status__in=(RoundStatus.PUBLISHED, RoundStatus.CLOSED),
    ).select_related("school", "run")
    for cutoff in cutoffs.order_by("school__sort_order", "school_id"):
        by_round[cutoff.run.round_id].append(cutoff)
    return by_round


@dataclass(frozen=True)
class ChildStanding:
    """One of a guardian's children in a round, as the enrolment page shows them: the application already made,
    or whether the child may apply today and, if not, why (in words a parent can act on)."""

    child: Resident
    enrolment_round: EnrolmentRound
    application: EnrolmentApplication | None
    may_apply: bool
    why_not: str


def enrolment_children_standing(
    *, guardian: Resident, rounds: list[EnrolmentRound], today: datetime.date | None = None
) -> list[ChildStanding]:
    """Each of the guardian's children in each round: their current application, or — while the round takes
    applications — whether they may apply and why not (no valid permit, too young, too old, not unplaced in the
    round a further round follows). A few queries per round, whatever the number of children."""
    today = today or timezone.localdate()
    children = list(
        Resident.objects.filter(guardian_links__guardian=guardian, archived_at__isnull=True).order_by(
            "birth_date", "id"
        )
    )
    if not children or not rounds:
        return []
    applications = {
        (application.round_id, application.child_id): application
        for application in EnrolmentApplication.objects.filter(
            round__in=list(rounds), child__in=children, is_current=True
        ).select_related("case", "result", "result__school")
    }
    try:
        eligibility.check_guardian_permit(guardian, today)
        permit_problem = ""
    except DomainError as error:
        permit_problem = str(error.message)
    standings = []
    for enrolment_round in rounds:
        taking = enrolment_round.accepts_applications_on(today)
        eligible: set[int] = set()
        if taking:
            may = enrolment_children_eligible(guardian=guardian, enrolment_round=enrolment_round)
            eligible = set(may.values_list("pk", flat=True))
        for child in children:
            application = applications.get((enrolment_round.pk, child.pk))
            if application is None and not taking:
                continue  # nothing to say about a child in a round they did not apply in and can no longer
            why_not = ""
            if application is None and child.pk not in eligible:
                why_not = permit_problem
                if not why_not:
                    try:
                        eligibility.check_child_age(enrolment_round, child)
                    except DomainError as error:
                        why_not = str(error.message)
                if not why_not and enrolment_round.is_further_round:
                    why_not = str(_("补录只面向上一轮没有录取或放弃了学位的孩子。"))
                why_not = why_not or str(_("暂时不能在网上申请，请到街道新居民服务窗口咨询。"))
            standings.append(
                ChildStanding(
                    child=child, enrolment_round=enrolment_round, application=application,
                    may_apply=application is None and child.pk in eligible, why_not=why_not,
                )
            )  # fmt: skip
    return standings


def schools_with_seats(*, level: str | None = None, active_only: bool = True) -> QuerySet[School]:
    """Schools (public) with their street, catchment communities and, as ``seats_now``, their seats in the rounds
    under way (open, allocated or published): three queries for a page of any length."""
    schools = School.objects.active() if active_only else School.objects.all()
    seats_now = (
        RoundSchool.objects.filter(
            round__status__in=(RoundStatus.OPEN, RoundStatus.ALLOCATED, RoundStatus.PUBLISHED), seats__gt=0
        )
        .select_related("round")
        .order_by("round_id")
    )
    schools = schools.select_related("street").prefetch_related(
        "catchment_communities", Prefetch("round_seats", queryset=seats_now, to_attr="seats_now")
    )
    return schools.filter(level=level) if level else schools


def schools_in_bulk(ids: list[int]) -> dict[int, School]:
    """The schools with these ids (public), by id; unknown ids are absent."""
    return School.objects.in_bulk(ids)
