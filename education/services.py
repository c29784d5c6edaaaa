"""Every write of school enrolment: rounds opened, allocated, published and closed; applications started, their
schools ranked, withdrawn; offers confirmed, declined or lapsed; the further round (补录).

Each service checks who acts first, validates all its input, locks what it changes, saves, records its
AuditEvent and writes its notifications in the same transaction (the outbox sends them after commit). The
caseworker's document check is the generic casework (cases.services.case_approve / case_request_documents
/ case_refuse) on the "school_enrolment" case type (education.casetype).

The allocation reads the approved applications of a round with a handful of set-wide queries, runs the pure
education.allocation module, and saves every result with bulk inserts: its cost grows with the round, its
number of queries does not.
"""

from __future__ import annotations

import datetime
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_administrator
from cases.choices import CASE_PENDING_STATUSES, CaseStatus
from cases.models import Case, CaseDocument
from cases.permissions import acts_for_applicant, may_decide_case
from cases.services import case_open, case_submit, case_transition, case_withdraw
from kernel.errors import DomainError
from kernel.memory import collector_paused
from notifications.services import ReminderDue, notify, reminders_issue
from points import selectors as points_selectors
from residents import selectors as residents_selectors
from residents.models import AuditEvent, ResidenceRegistration, Resident
from residents.services import audit_record

from . import allocation, eligibility
from .casetype import ENROLMENT_CASE_TYPE
from .choices import (
    FURTHER_ROUND_RESULTS,
    SEAT_HOLDING_RESULTS,
    AllocationRunKind,
    CatchmentTier,
    EnrolmentEvent,
    ResultStatus,
    RoundStatus,
)
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
from .reasons import ReasonTexts
from .selectors import round_seats

BULK_BATCH = 2_000
# A further round takes applications for a week, is allocated the day after, and gives a week to confirm.
FURTHER_ROUND_APPLICATION_DAYS = 7
FURTHER_ROUND_CONFIRMATION_DAYS = 7


def _check_administrator(actor: User) -> None:
    if not is_administrator(actor):
        raise DomainError("not_allowed", _("只有管理员可以设置招生轮次和分配学位。"))


def _names(zh: str, en: str) -> dict[str, str]:
    """An administrator's name in both languages, for a message read later in either (en falls back to zh)."""
    return {"zh": zh, "en": en or zh}


def _case_link(reference: str) -> str:
    return reverse("cases:case_detail", args=[reference])


# --- rounds -------------------------------------------------------------------------------------------------


def _round_locked(enrolment_round: EnrolmentRound) -> EnrolmentRound:
    return EnrolmentRound.objects.select_for_update().get(pk=enrolment_round.pk)


def _status_label(status: str) -> str:
    return str(RoundStatus(status).label)


def _check_round_status(enrolment_round: EnrolmentRound, *allowed: str) -> None:
    if enrolment_round.status not in allowed:
        raise DomainError(
            "round_status",
            _("本轮现在是“%(status)s”，不能这样操作。可能已由其他管理员办理，请刷新后查看。")
            % {"status": _status_label(enrolment_round.status)},
            conflict=True,
        )


# The calendar's days in the order they must come (the model's round_calendar_order constraint).
CALENDAR_FIELDS = (
    "applications_open_on", "applications_close_on", "documents_check_end_on", "objections_end_on",
    "preferences_close_on", "allocation_on", "confirmation_end_on",
)  # fmt: skip


def enrolment_round_calendar_check(dates: dict[str, datetime.date | None]) -> None:
    """Refuse a calendar whose days are out of order (each phase ends no earlier than the one before, and the
    allocation comes after preferences close), naming the first day that is wrong."""
    previous_field, previous = None, None
    for name in CALENDAR_FIELDS:
        day = dates.get(name)
        if day is None:
            continue
        strictly = name == "allocation_on"
        if previous is not None and (day < previous or (strictly and day == previous)):
            label = EnrolmentRound._meta.get_field(name).verbose_name
            before = EnrolmentRound._meta.get_field(previous_field).verbose_name
            message = (
                _("“%(field)s”应晚于“%(before)s”（%(date)s）。")
                if strictly
                else _("“%(field)s”不能早于“%(before)s”（%(date)s）。")
            )
            raise DomainError(
                "calendar_order", message % {"field": label, "before": before, "date": previous.isoformat()},
                field=name,
            )  # fmt: skip
        previous_field, previous = name, day


@transaction.atomic
def enrolment_round_open(*, actor: User, enrolment_round: EnrolmentRound, ip: str | None = None) -> EnrolmentRound:
    """Start taking applications (draft → open). The round must offer seats, at schools of its level that are
    taking pupils, and its application window must not have passed."""
    _check_administrator(actor)
    locked = _round_locked(enrolment_round)
    _check_round_status(locked, RoundStatus.DRAFT)
    if timezone.localdate() > locked.applications_close_on:
        raise DomainError(
            "round_window_passed",
            _("报名截止日 %(date)s 已过，请先修改本轮的日程。") % {"date": locked.applications_close_on.isoformat()},
            field="applications_close_on",
        )
    seats = list(RoundSchool.objects.filter(round=locked).select_related("school"))
    if not any(row.seats for row in seats):
        raise DomainError("round_without_seats", _("本轮还没有设置任何学校的学位数。"), field="school_seats")
    wrong = [row.school.name for row in seats if row.school.level != locked.school_level or not row.school.is_active]
    if wrong:
        raise DomainError(
            "round_school_mismatch",
            _("以下学校不属于本轮的学段或已停止招生：%(schools)s。") % {"schools": _("、").join(wrong)},
            field="school_seats",
        )
    locked.status, locked.opened_at = RoundStatus.OPEN, timezone.now()
    locked.save(update_fields=["status", "opened_at"])
    audit_record(
        actor=actor, subject=None, event_type=EnrolmentEvent.ENROLMENT_ROUND_CHANGED, obj=locked,
        old={"status": RoundStatus.DRAFT}, new={"status": RoundStatus.OPEN, "round": locked.pk}, ip=ip,
    )  # fmt: skip
    return locked


@transaction.atomic
def enrolment_results_publish(*, actor: User, enrolment_round: EnrolmentRound, ip: str | None = None) -> EnrolmentRound:
    """Publish the round's cut-offs (allocated → published): every school's last admitted tier and points, and
    the lottery seed, for anyone to read and check."""
    _check_administrator(actor)
    locked = _round_locked(enrolment_round)
    _check_round_status(locked, RoundStatus.ALLOCATED)
    locked.status, locked.published_at = RoundStatus.PUBLISHED, timezone.now()
    locked.save(update_fields=["status", "published_at"])
    audit_record(
        actor=actor, subject=None, event_type=EnrolmentEvent.ENROLMENT_RESULT_PUBLISHED, obj=locked,
        new={"round": locked.pk, "seed": locked.seed}, ip=ip,
    )  # fmt: skip
    return locked


@transaction.atomic
def enrolment_round_close(*, actor: User, enrolment_round: EnrolmentRound, ip: str | None = None) -> EnrolmentRound:
    """End the round once its confirmation window has passed; offers still unanswered lapse."""
    _check_administrator(actor)
    locked = _round_locked(enrolment_round)
    _check_round_status(locked, RoundStatus.ALLOCATED, RoundStatus.PUBLISHED)
    today = timezone.localdate()
    if today <= locked.confirmation_end_on:
        raise DomainError(
            "confirmation_not_over",
            _("确认入学到 %(date)s 截止，截止后才能结束本轮。") % {"date": locked.confirmation_end_on.isoformat()},
            conflict=True,
        )
    _offers_lapse(rounds=[locked], actor=actor, today=today)
    previous_status = locked.status
    locked.status, locked.closed_at = RoundStatus.CLOSED, timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor, subject=None, event_type=EnrolmentEvent.ENROLMENT_ROUND_CHANGED, obj=locked,
        old={"status": previous_status}, new={"status": RoundStatus.CLOSED, "round": locked.pk}, ip=ip,
    )  # fmt: skip
    return locked


# --- applications -------------------------------------------------------------------------------------------


def _check_acts_for_child(actor: User, guardian: Resident, child: Resident) -> None:
    """The guardian applies for themselves; a caseworker of the child's street (or an administrator) may do it
    for them at the service window."""
    if guardian.user_id is not None and guardian.user_id == actor.pk:
        return
    if may_decide_case(actor, child):
        return
    raise DomainError("not_allowed", _("您不能为这个孩子提出入学申请。"))


def _previous_application(child: Resident, enrolment_round: EnrolmentRound) -> EnrolmentApplication:
    """In a further round: the child's application in the round it follows, unplaced or declined there."""
    previous = (
        EnrolmentApplication.objects.filter(
            round_id=enrolment_round.previous_id, child=child, result__status__in=FURTHER_ROUND_RESULTS
        )
        .select_related("case")
        .first()
    )
    if previous is None:
        raise DomainError(
            "further_round_not_eligible",
            _("补录只面向上一轮没有录取或放弃了学位的孩子。%(child)s 不在其中。") % {"child": child.name},
            field="child",
        )
    return previous


@transaction.atomic
def enrolment_application_start(
    *,
    actor: User,
    enrolment_round: EnrolmentRound,
    child: Resident,
    guardian: Resident | None = None,
    ip: str | None = None,
) -> Case:
    """Apply for a school place for a child in a round (a draft case whose applicant is the child).

    The guardian (the actor's own record unless a caseworker applies for them at the window) must hold a valid
    residence permit and have the child in their care; the child must be of the round's age; the round must be
    taking applications; and a child has one application per round. In a further round only children unplaced
    or declined in the round before may apply, and their documents, already checked there, carry over: the
    application is submitted and approved at once, and the family only ranks schools.
    """
    if guardian is None:
        guardian = residents_selectors.resident_of_user(user=actor)
        if guardian is None:
            raise DomainError("profile_required", _("请先建立您本人的居民档案，再为孩子申请入学。"), field="guardian")
    _check_acts_for_child(actor, guardian, child)
    child = Resident.objects.select_for_update().get(pk=child.pk)  # two tabs cannot open two applications
    enrolment_round = EnrolmentRound.objects.get(pk=enrolment_round.pk)
    today = timezone.localdate()
    eligibility.check_round_takes_applications(enrolment_round, today)
    eligibility.check_guardian_of(guardian, child)
    eligibility.check_guardian_permit(guardian, today)
    eligibility.check_child_age(enrolment_round, child)
    previous = _previous_application(child, enrolment_round) if enrolment_round.is_further_round else None
    existing = (
        EnrolmentApplication.objects.filter(round=enrolment_round, child=child, is_current=True)
        .select_related("case")
        .first()
    )
    if existing is not None:
        raise DomainError(
            "enrolment_application_exists",
            _("%(child)s 在“%(round)s”已有一件入学申请（受理编号 %(reference)s），不用重复申请。")
            % {"child": child.name, "round": enrolment_round.name, "reference": existing.case.reference},
            field="child", conflict=True,
        )  # fmt: skip
    case = case_open(actor=actor, case_type=ENROLMENT_CASE_TYPE, applicant=child, ip=ip)
    try:
        with transaction.atomic():
            EnrolmentApplication.objects.create(
                case=case, round=enrolment_round, child=child, guardian=guardian, follows=previous
            )
    except IntegrityError as exc:  # the same child's application saved a moment ago by another request
        raise DomainError(
            "enrolment_application_exists", _("刚刚已有一件同一孩子的入学申请提交，请刷新后查看。"), conflict=True
        ) from exc
    audit_record(
        actor=actor, subject=child, event_type=EnrolmentEvent.ENROLMENT_APPLICATION_CHANGED, obj=case,
        new={"round": enrolment_round.pk, "guardian": guardian.pk,
             **({"follows": previous.case.reference} if previous else {})},
        ip=ip,
    )  # fmt: skip
    if previous is not None:
        case = _carry_over_checked_documents(actor=actor, case=case, previous=previous, ip=ip)
    return case


def _carry_over_checked_documents(*, actor: User, case: Case, previous: EnrolmentApplication, ip: str | None) -> Case:
    """A further round's application reuses the documents a caseworker approved in the round before (the same
    stored files, new rows), and the published rule approves it: nothing is asked twice."""
    documents = [
        CaseDocument(
            case=case, kind=d.kind, file=d.file.name, original_name=d.original_name, mime_type=d.mime_type,
            size=d.size, sha256=d.sha256, uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at,
        )
        for d in CaseDocument.objects.filter(case_id=previous.case_id)
    ]  # fmt: skip
    CaseDocument.objects.bulk_create(documents)
    case = case_submit(actor=actor, case=case, ip=ip)
    reason = str(_("材料已在上一轮（受理编号 %(reference)s）审核通过。") % {"reference": previous.case.reference})
    return case_transition(actor=actor, case=case, target=CaseStatus.APPROVED, automatic=True, reason=reason, ip=ip)


def _application_locked(application: EnrolmentApplication | Case) -> EnrolmentApplication:
    case_id = application.pk
    try:
        return (
            EnrolmentApplication.objects.select_for_update(of=("self",))
            .select_related("case", "case__applicant", "round")
            .get(pk=case_id)
        )
    except EnrolmentApplication.DoesNotExist as exc:
        raise DomainError("not_an_enrolment_application", _("这不是一件入学申请。")) from exc


def _check_family_or_window(actor: User, case: Case) -> None:
    if not (acts_for_applicant(actor, case) or may_decide_case(actor, case)):
        raise DomainError("not_allowed", _("只有孩子的父母（监护人）可以这样做。"))


@transaction.atomic
def enrolment_preferences_set(
    *,
    actor: User,
    application: EnrolmentApplication | Case,
    schools: Sequence[School],
    ip: str | None = None,
) -> list[EnrolmentPreference]:
    """Rank the schools wanted, most wanted first (replacing the earlier list), until preferences close.

    At most the round's number of choices, each a school with seats in the round, none twice. An empty list is
    allowed (the family may rank later; unranked at the allocation means no seat).
    """
    case = application if isinstance(application, Case) else application.case
    _check_family_or_window(actor, case)
    locked = _application_locked(application)
    enrolment_round = locked.round
    if locked.case.status in (CaseStatus.WITHDRAWN, CaseStatus.REFUSED) or not locked.is_current:
        raise DomainError(
            "application_closed",
            _("这件申请已经“%(status)s”，不能再填报志愿。") % {"status": locked.case.get_status_display()},
            conflict=True,
        )
    today = timezone.localdate()
    if not enrolment_round.accepts_preferences_on(today):
        if enrolment_round.status == RoundStatus.OPEN and today > enrolment_round.preferences_close_on:
            raise DomainError(
                "preferences_closed",
                _("志愿填报已于 %(date)s 截止，不能再修改。")
                % {"date": enrolment_round.preferences_close_on.isoformat()},
                field="schools", conflict=True,
            )  # fmt: skip
        raise DomainError(
            "preferences_closed",
            _("“%(round)s”现在不能填报志愿。") % {"round": enrolment_round.name},
            field="schools", conflict=True,
        )  # fmt: skip
    schools = list(schools)
    if len(schools) > enrolment_round.max_preferences:
        raise DomainError(
            "too_many_preferences",
            _("最多可以填报 %(max)s 个志愿，您选了 %(count)s 个。")
            % {"max": enrolment_round.max_preferences, "count": len(schools)},
            field="schools",
        )
    repeated = [school.name for school, n in Counter(schools).items() if n > 1]
    if repeated:
        raise DomainError(
            "duplicate_preference",
            _("同一所学校只能填一次：%(schools)s。") % {"schools": _("、").join(repeated)},
            field="schools",
        )
    offered = set(round_seats(enrolment_round=enrolment_round).values_list("school_id", flat=True))
    outside = [school.name for school in schools if school.pk not in offered]
    if outside:
        raise DomainError(
            "school_not_in_round",
            _("以下学校本轮没有面向随迁子女的学位，不能填报：%(schools)s。") % {"schools": _("、").join(outside)},
            field="schools",
        )
    before = list(locked.preferences.order_by("rank").values_list("school_id", flat=True))
    after = [school.pk for school in schools]
    if before == after:
        return list(locked.preferences.select_related("school").order_by("rank"))
    locked.preferences.all().delete()
    preferences = EnrolmentPreference.objects.bulk_create(
        [EnrolmentPreference(application=locked, school=school, rank=n) for n, school in enumerate(schools, 1)]
    )
    locked.preferences_changed_at = timezone.now()
    locked.save(update_fields=["preferences_changed_at"])
    audit_record(
        actor=actor, subject=locked.case.applicant, event_type=EnrolmentEvent.ENROLMENT_APPLICATION_CHANGED,
        obj=locked.case, old={"preferences": before}, new={"preferences": after}, ip=ip,
    )  # fmt: skip
    return preferences


def enrolment_application_withdraw(
    *, actor: User, application: EnrolmentApplication | Case, reason: str = "", ip: str | None = None
) -> Case:
    """Withdraw before the allocation (the case type refuses it afterwards: the family declines the offer then).
    The child may apply again in the round while it takes applications."""
    case = application if isinstance(application, Case) else application.case
    return case_withdraw(actor=actor, case=case, reason=reason, ip=ip)


# --- the allocation -----------------------------------------------------------------------------------------


@dataclass
class _Family:
    """What the allocation needs of one application, and the snapshot it keeps."""

    case_id: int
    reference: str
    child_id: int
    guardian_id: int
    preferences: list[int] = field(default_factory=list)
    community_id: int | None = None
    street_id: int | None = None
    points: Decimal = Decimal(0)
    points_reference: str = ""
    rule_set_version: str = ""


@dataclass
class _RoundInput:
    families: dict[str, _Family]  # by case reference (the applicant's ref in the allocation)
    seats: dict[int, int]  # school id → seats
    school_streets: dict[int, int]
    catchments: dict[int, set[int]]  # school id → community ids
    school_names: dict[str, tuple[str, str]]  # school ref → (zh, en)
    awaiting_decision: int
    awaiting_documents: int


def catchment_tier(
    *, community_id: int | None, street_id: int | None, school_street_id: int, catchment: set[int]
) -> int:
    """0 when the family's current residence community is in the school's catchment, 1 when it is in the same
    street as the school, 2 otherwise (no current residence registration included)."""
    if community_id is not None and community_id in catchment:
        return CatchmentTier.CATCHMENT
    if street_id is not None and street_id == school_street_id:
        return CatchmentTier.SAME_STREET
    return CatchmentTier.ELSEWHERE


def _round_input(enrolment_round: EnrolmentRound) -> _RoundInput:
    """The round's approved applications with their schools, the families' current communities and verified
    points, and the schools' seats and catchments: seven queries whatever the size of the round."""
    approved = EnrolmentApplication.objects.filter(
        round=enrolment_round, is_current=True, case__status=CaseStatus.APPROVED
    )
    families: dict[str, _Family] = {}
    by_case: dict[int, _Family] = {}
    for case_id, reference, child_id, guardian_id in approved.values_list(
        "case_id", "case__reference", "child_id", "guardian_id"
    ):
        family = _Family(case_id=case_id, reference=reference, child_id=child_id, guardian_id=guardian_id)
        families[reference] = by_case[case_id] = family
    seat_rows = list(
        RoundSchool.objects.filter(round=enrolment_round).values_list(
            "school_id", "seats", "school__street_id", "school__name", "school__name_en"
        )
    )
    seats = {school_id: n for school_id, n, *_rest in seat_rows}
    for case_id, school_id in (
        EnrolmentPreference.objects.filter(application__in=approved).order_by("application_id", "rank")
    ).values_list("application_id", "school_id"):
        if school_id in seats:  # a school an administrator took out of the round after it was ranked
            by_case[case_id].preferences.append(school_id)
    guardian_ids = {family.guardian_id for family in families.values()}
    communities: dict[int, tuple[int, int]] = {
        resident_id: (community_id, street_id)
        for resident_id, community_id, street_id in ResidenceRegistration.objects.filter(
            ended_on__isnull=True, resident_id__in=Subquery(approved.values("guardian_id"))
        ).values_list("resident_id", "community_id", "street_id")
    }
    scores = points_selectors.resident_points_bulk(sorted(guardian_ids))
    for family in families.values():
        family.community_id, family.street_id = communities.get(family.guardian_id, (None, None))
        score = scores.get(family.guardian_id)
        if score is not None and score.eligible:  # a family without an eligible verified score counts 0
            family.points = Decimal(score.total)
            family.points_reference, family.rule_set_version = score.reference, score.rule_set_version
    catchments: dict[int, set[int]] = defaultdict(set)
    for school_id, region_id in School.catchment_communities.through.objects.filter(
        school_id__in=list(seats)
    ).values_list("school_id", "region_id"):
        catchments[school_id].add(region_id)
    statuses = dict(
        EnrolmentApplication.objects.filter(round=enrolment_round, is_current=True)
        .exclude(case__status=CaseStatus.APPROVED)
        .values("case__status")
        .annotate(n=Count("pk"))
        .values_list("case__status", "n")
    )
    return _RoundInput(
        families=families,
        seats=seats,
        school_streets={school_id: street_id for school_id, _n, street_id, *_rest in seat_rows},
        catchments=catchments,
        school_names={str(school_id): (name, name_en) for school_id, _n, _s, name, name_en in seat_rows},
        awaiting_decision=sum(statuses.get(status, 0) for status in CASE_PENDING_STATUSES),
        awaiting_documents=statuses.get(CaseStatus.NEEDS_DOCUMENTS, 0),
    )


def _allocate(data: _RoundInput, seed: str) -> tuple[allocation.Allocation, float]:
    applicants = [
        allocation.Applicant(
            ref=reference,
            preferences=tuple(str(school_id) for school_id in family.preferences),
            points=family.points,
            tiers={
                str(school_id): catchment_tier(
                    community_id=family.community_id,
                    street_id=family.street_id,
                    school_street_id=data.school_streets[school_id],
                    catchment=data.catchments[school_id],
                )
                for school_id in family.preferences
            },
        )
        for reference, family in data.families.items()
    ]
    schools = [allocation.School(ref=str(school_id), seats=n) for school_id, n in data.seats.items()]
    started = time.perf_counter()
    result = allocation.allocate(applicants, schools, seed)
    return result, time.perf_counter() - started


def _run_record(
    *, actor: User, enrolment_round: EnrolmentRound, kind: str, seed: str, data: _RoundInput,
    result: allocation.Allocation, seconds: float,
) -> AllocationRun:  # fmt: skip
    """Save the run and each school's seat use and cut-off."""
    placed = sum(1 for school in result.assigned.values() if school is not None)
    by_choice: Counter[int] = Counter()
    for reference, family in data.families.items():
        assigned = result.assigned[reference]
        if assigned is not None:
            by_choice[family.preferences.index(int(assigned)) + 1] += 1
    run = AllocationRun.objects.create(
        round=enrolment_round, kind=kind, seed=seed, run_by=actor if actor.is_authenticated else None,
        applicants=len(data.families), placed=placed, unplaced=len(data.families) - placed,
        stats={
            "seats": sum(data.seats.values()),
            "by_choice": {str(rank): n for rank, n in sorted(by_choice.items())},
            "schools_full": sum(1 for cutoff in result.cutoffs.values() if cutoff is not None),
            "awaiting_decision": data.awaiting_decision,
            "awaiting_documents": data.awaiting_documents,
            "allocation_seconds": round(seconds, 3),
        },
    )  # fmt: skip
    cutoffs = []
    for school_id, seats in data.seats.items():
        cutoff = result.cutoffs[str(school_id)]
        cutoffs.append(
            AllocationCutoff(
                run=run, school_id=school_id, seats=seats, seats_used=result.seats_used(str(school_id)),
                is_full=cutoff is not None, last_tier=cutoff.tier if cutoff else None,
                last_points=cutoff.points if cutoff else None, last_lottery=cutoff.lottery_hex if cutoff else "",
            )
        )  # fmt: skip
    AllocationCutoff.objects.bulk_create(cutoffs, batch_size=BULK_BATCH)
    return run


def _new_seed() -> str:
    """The round's lottery seed: 128 random bits from the operating system, recorded and published."""
    return secrets.token_hex(16)


@transaction.atomic
def enrolment_allocation_preview(
    *, actor: User, enrolment_round: EnrolmentRound, ip: str | None = None
) -> AllocationRun:
    """A dry run over the applications approved so far: records a preview run with each school's seat use and
    cut-off, and changes no application, result or round. Its seed is its own; the final run draws another."""
    _check_administrator(actor)
    enrolment_round = EnrolmentRound.objects.get(pk=enrolment_round.pk)
    _check_round_status(enrolment_round, RoundStatus.DRAFT, RoundStatus.OPEN)
    seed = _new_seed()
    with collector_paused():
        data = _round_input(enrolment_round)
        result, seconds = _allocate(data, seed)
        run = _run_record(
            actor=actor, enrolment_round=enrolment_round, kind=AllocationRunKind.PREVIEW, seed=seed, data=data,
            result=result, seconds=seconds,
        )  # fmt: skip
    audit_record(
        actor=actor, subject=None, event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN, obj=run,
        new={"round": enrolment_round.pk, "kind": run.kind, "seed": seed, "applicants": run.applicants,
             "placed": run.placed},
        ip=ip,
    )  # fmt: skip
    return run


@transaction.atomic
def enrolment_allocation_run(*, actor: User, enrolment_round: EnrolmentRound, ip: str | None = None) -> AllocationRun:
    """The final allocation (open → allocated), on or after the round's allocation day.

    Locks the round, draws and records the seed, allocates the approved applications, stores every result with
    its reason in both languages and the family's points and community as counted, and tells each family the
    result and why. Refused while applications still await a caseworker's decision (a family must not lose a
    seat to an unfinished check); applications still waiting for the family's documents take no part.
    """
    _check_administrator(actor)
    locked = _round_locked(enrolment_round)
    _check_round_status(locked, RoundStatus.OPEN)
    today = timezone.localdate()
    if today < locked.allocation_on:
        raise DomainError(
            "allocation_too_early",
            _("本轮的学位分配日是 %(date)s，志愿填报截止前不能正式分配（可以先试分配）。")
            % {"date": locked.allocation_on.isoformat()},
            conflict=True,
        )
    with collector_paused():
        data = _round_input(locked)
        if data.awaiting_decision:
            raise DomainError(
                "applications_awaiting_decision",
                _("还有 %(count)s 件入学申请等待审核，请先办结再正式分配。") % {"count": data.awaiting_decision},
                conflict=True,
            )
        seed = _new_seed()
        result, seconds = _allocate(data, seed)
        run = _run_record(
            actor=actor, enrolment_round=locked, kind=AllocationRunKind.FINAL, seed=seed, data=data, result=result,
            seconds=seconds,
        )  # fmt: skip
        results = _results_save(run=run, enrolment_round=locked, data=data, result=result, actor=actor, ip=ip)
        locked.status, locked.seed, locked.allocated_at = RoundStatus.ALLOCATED, seed, timezone.now()
        locked.save(update_fields=["status", "seed", "allocated_at"])
        audit_record(
            actor=actor, subject=None, event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN, obj=run,
            new={"round": locked.pk, "kind": run.kind, "seed": seed, "applicants": run.applicants,
                 "placed": run.placed},
            ip=ip,
        )  # fmt: skip
        _results_notify(enrolment_round=locked, results=results, data=data)
    return run


def _results_save(
    *, run: AllocationRun, enrolment_round: EnrolmentRound, data: _RoundInput, result: allocation.Allocation,
    actor: User, ip: str | None,
) -> list[EnrolmentResult]:  # fmt: skip
    """Every application's result (with the family's snapshot) and audit row, in bulk inserts."""
    results, events = [], []
    case_type = ContentType.objects.get_for_model(Case)
    now = timezone.now()
    reason_texts = ReasonTexts(data.school_names)
    for reference, family in data.families.items():
        explanation = result.explain(reference)
        assigned = explanation.assigned
        lottery = allocation.lottery_number(result.seed, reference)
        tier = explanation.own_priorities[assigned].tier if assigned is not None else None
        reason = reason_texts(explanation)
        status = ResultStatus.OFFERED if assigned is not None else ResultStatus.UNPLACED
        results.append(
            EnrolmentResult(
                application_id=family.case_id, round=enrolment_round, run=run, status=status,
                school_id=int(assigned) if assigned is not None else None, choice_rank=explanation.choice,
                tier=tier, points=family.points, points_reference=family.points_reference,
                points_rule_set_version=family.rule_set_version, community_id=family.community_id,
                lottery=f"{lottery:064x}", reason_zh=reason["zh"], reason_en=reason["en"], created_at=now,
            )
        )  # fmt: skip
        events.append(
            AuditEvent(
                actor=actor, subject_id=family.child_id, event_type=EnrolmentEvent.ENROLMENT_ALLOCATION_RUN,
                content_type=case_type, object_id=str(family.case_id), ip_address=ip, created_at=now,
                new_values={"run": run.pk, "status": status, "school": assigned, "choice": explanation.choice,
                            "tier": tier, "points": str(family.points)},
                reason=reason["zh"][:500],
            )
        )  # fmt: skip
    EnrolmentResult.objects.bulk_create(results, batch_size=BULK_BATCH)
    AuditEvent.objects.bulk_create(events, batch_size=BULK_BATCH)
    return results


def _results_notify(*, enrolment_round: EnrolmentRound, results: list[EnrolmentResult], data: _RoundInput) -> None:
    """Each family's result and its reason, through the outbox's set-wide path (one message per application and
    parent, recorded once whatever happens to the request)."""
    by_case = {family.case_id: family for family in data.families.values()}
    recipients = residents_selectors.resident_recipients(family.child_id for family in data.families.values())
    names = {int(ref): _names(zh, en) for ref, (zh, en) in data.school_names.items()}
    child_names = dict(Resident.objects.filter(pk__in=[f.child_id for f in by_case.values()]).values_list("pk", "name"))
    round_name = _names(enrolment_round.name, enrolment_round.name_en)
    today = timezone.localdate()
    due = []
    for row in results:
        family = by_case[row.application_id]
        offered = row.status == ResultStatus.OFFERED
        context = {
            "reference": family.reference, "child": child_names.get(family.child_id, ""), "round": round_name,
            "school": names[row.school_id] if offered else "", "reason": {"zh": row.reason_zh, "en": row.reason_en},
            "confirm_by": enrolment_round.confirmation_end_on.isoformat(),
        }  # fmt: skip
        for user_id in recipients.get(family.child_id, []):
            due.append(
                ReminderDue(
                    kind="enrolment_result", subject=f"application:{family.case_id}:user:{user_id}", due_date=today,
                    recipient_id=user_id,
                    template="education.result_offered" if offered else "education.result_unplaced",
                    context=context, link=_case_link(family.reference),
                )
            )  # fmt: skip
    reminders_issue(due)


# --- the family's answer ------------------------------------------------------------------------------------


def _result_locked(application: EnrolmentApplication | Case) -> EnrolmentResult:
    """The result row, locked: two answers at once (two parents, a double tap) are taken one after the other."""
    try:
        return (
            EnrolmentResult.objects.select_for_update(of=("self",))
            .select_related("round", "school", "application__case__applicant")
            .get(application_id=application.pk)
        )
    except EnrolmentResult.DoesNotExist as exc:
        raise DomainError("no_result", _("这件申请还没有录取结果。"), conflict=True) from exc


def _check_can_answer(result: EnrolmentResult, today: datetime.date) -> None:
    if result.status == ResultStatus.CONFIRMED:
        raise DomainError("offer_already_confirmed", _("已经确认入学，不用重复确认。"), conflict=True)
    if result.status != ResultStatus.OFFERED:
        raise DomainError(
            "offer_not_open",
            _("这个录取结果现在是“%(status)s”，不能再确认或放弃。") % {"status": result.get_status_display()},
            conflict=True,
        )
    if not result.round.accepts_confirmations_on(today):
        raise DomainError(
            "confirmation_closed",
            _("确认入学已于 %(date)s 截止。") % {"date": result.round.confirmation_end_on.isoformat()},
            conflict=True,
        )


def _answer(
    *, actor: User, application: EnrolmentApplication | Case, status: str, event_type: str, template: str,
    reason: str, ip: str | None,
) -> EnrolmentResult:  # fmt: skip
    case = application if isinstance(application, Case) else application.case
    _check_family_or_window(actor, case)
    result = _result_locked(application)
    _check_can_answer(result, timezone.localdate())
    result.status, result.responded_at, result.responded_by = status, timezone.now(), actor
    result.save(update_fields=["status", "responded_at", "responded_by"])
    case = result.application.case
    school = result.school
    audit_record(
        actor=actor, subject=case.applicant, event_type=event_type, obj=case,
        old={"status": ResultStatus.OFFERED}, new={"status": status, "school": school.pk}, reason=reason, ip=ip,
    )  # fmt: skip
    context = {
        "reference": case.reference, "child": case.applicant.name, "school": _names(school.name, school.name_en),
        "address": school.address,
    }  # fmt: skip
    user_ids = residents_selectors.resident_recipients([case.applicant_id]).get(case.applicant_id, [])
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        notify(
            recipient=user, template=template, context=context, link=_case_link(case.reference),
            dedupe_key=f"enrolment:{case.pk}:{status}:{user.pk}",
        )  # fmt: skip
    return result


@transaction.atomic
def enrolment_offer_confirm(
    *, actor: User, application: EnrolmentApplication | Case, ip: str | None = None
) -> EnrolmentResult:
    """The family takes the seat offered, within the confirmation window."""
    return _answer(
        actor=actor, application=application, status=ResultStatus.CONFIRMED,
        event_type=EnrolmentEvent.ENROLMENT_OFFER_CONFIRMED, template="education.offer_confirmed", reason="", ip=ip,
    )  # fmt: skip


@transaction.atomic
def enrolment_offer_decline(
    *, actor: User, application: EnrolmentApplication | Case, reason: str = "", ip: str | None = None
) -> EnrolmentResult:
    """The family turns the seat down, within the confirmation window: the seat goes to the further round, and
    the child may apply there."""
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise DomainError("reason_too_long", _("原因最多 200 个字。"), field="reason")
    return _answer(
        actor=actor, application=application, status=ResultStatus.DECLINED,
        event_type=EnrolmentEvent.ENROLMENT_OFFER_DECLINED, template="education.offer_declined", reason=reason, ip=ip,
    )  # fmt: skip


def _offers_lapse(*, rounds: Sequence[EnrolmentRound], actor: User | None, today: datetime.date) -> int:
    """Offers of these rounds still unanswered after their confirmation window: lapsed, audited and told, set-wide.
    The rows are locked first, so an answer being saved at this moment is either in before or refused after."""
    ended = [r for r in rounds if r.confirmation_end_on < today]
    if not ended:
        return 0
    rows = list(
        EnrolmentResult.objects.select_for_update(of=("self",))
        .filter(round__in=ended, status=ResultStatus.OFFERED)
        .order_by("application_id")
        .values_list(
            "application_id", "application__child_id", "application__case__reference", "round_id", "school_id",
            "school__name", "school__name_en",
        )
    )  # fmt: skip
    if not rows:
        return 0
    now = timezone.now()
    EnrolmentResult.objects.filter(application_id__in=[row[0] for row in rows], status=ResultStatus.OFFERED).update(
        status=ResultStatus.LAPSED, responded_at=now
    )
    case_type = ContentType.objects.get_for_model(Case)
    reason = str(_("确认入学截止时没有确认，学位已自动放弃。"))
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if actor is not None and actor.is_authenticated else None, subject_id=child_id,
                event_type=EnrolmentEvent.ENROLMENT_OFFER_LAPSED, content_type=case_type, object_id=str(case_id),
                old_values={"status": ResultStatus.OFFERED}, new_values={"status": ResultStatus.LAPSED,
                                                                          "school": school_id},
                reason=reason, created_at=now,
            )
            for case_id, child_id, _reference, _round, school_id, *_names_ in rows
        ],
        batch_size=BULK_BATCH,
    )  # fmt: skip
    ends = {r.pk: r.confirmation_end_on for r in ended}
    recipients = residents_selectors.resident_recipients(row[1] for row in rows)
    reminders_issue(
        [
            ReminderDue(
                kind="enrolment_offer_lapsed", subject=f"application:{case_id}:user:{user_id}",
                due_date=ends[round_id], recipient_id=user_id, template="education.offer_lapsed",
                context={"reference": reference, "school": _names(name, name_en),
                         "confirm_by": ends[round_id].isoformat()},
                link=_case_link(reference),
            )
            for case_id, child_id, reference, round_id, _school, name, name_en in rows
            for user_id in recipients.get(child_id, [])
        ]
    )  # fmt: skip
    return len(rows)


@transaction.atomic
def enrolment_offers_lapse(*, today: datetime.date | None = None) -> int:
    """Every allocated round's offers left unanswered after its confirmation window (the daily task)."""
    today = today or timezone.localdate()
    rounds = list(
        EnrolmentRound.objects.filter(
            status__in=[RoundStatus.ALLOCATED, RoundStatus.PUBLISHED], confirmation_end_on__lt=today
        )
    )
    return _offers_lapse(rounds=rounds, actor=None, today=today)


# --- the further round (补录) --------------------------------------------------------------------------------


def seats_left(enrolment_round: EnrolmentRound) -> dict[int, int]:
    """Each school's seats the round has not given: its seats, less those confirmed and those still offered
    (declined and lapsed offers, and seats nobody was given, are free again)."""
    held = dict(
        EnrolmentResult.objects.filter(round=enrolment_round, status__in=SEAT_HOLDING_RESULTS)
        .values("school_id")
        .annotate(n=Count("pk"))
        .values_list("school_id", "n")
    )
    return {
        school_id: max(seats - held.get(school_id, 0), 0)
        for school_id, seats in RoundSchool.objects.filter(round=enrolment_round).values_list("school_id", "seats")
    }


@transaction.atomic
def enrolment_further_round_open(*, actor: User, previous: EnrolmentRound, ip: str | None = None) -> EnrolmentRound:
    """Open the further round (补录) of a published round: the seats left at each school (seats − confirmed −
    still offered), for the children unplaced there or whose family declined. It takes applications for a
    week from today, is allocated the day after, and gives a week to confirm; an administrator may move the
    dates. The families who may apply are told.
    """
    _check_administrator(actor)
    previous = _round_locked(previous)
    _check_round_status(previous, RoundStatus.PUBLISHED, RoundStatus.CLOSED)
    if EnrolmentRound.objects.filter(previous=previous).exists():
        raise DomainError("further_round_exists", _("这一轮已经开过补录。"), conflict=True)
    today = timezone.localdate()
    _offers_lapse(rounds=[previous], actor=actor, today=today)
    left = {school_id: n for school_id, n in seats_left(previous).items() if n > 0}
    if not left:
        raise DomainError("no_seats_left", _("各校学位都已录满，没有可以补录的学位。"), conflict=True)
    closes = today + datetime.timedelta(days=FURTHER_ROUND_APPLICATION_DAYS - 1)
    allocation_on = closes + datetime.timedelta(days=1)
    with translation.override("zh-hans"):
        name = str(_("%(name)s（补录）") % {"name": previous.name})
    further = EnrolmentRound.objects.create(
        year=previous.year, grade=previous.grade, name=name[:100],
        name_en=f"{previous.name_en or previous.name} (further round)"[:150],
        born_on_or_after=previous.born_on_or_after, born_on_or_before=previous.born_on_or_before,
        max_preferences=previous.max_preferences, applications_open_on=today, applications_close_on=closes,
        documents_check_end_on=closes, objections_end_on=closes, preferences_close_on=closes,
        allocation_on=allocation_on,
        confirmation_end_on=allocation_on + datetime.timedelta(days=FURTHER_ROUND_CONFIRMATION_DAYS - 1),
        status=RoundStatus.OPEN, opened_at=timezone.now(), previous=previous,
    )  # fmt: skip
    RoundSchool.objects.bulk_create([RoundSchool(round=further, school_id=s, seats=n) for s, n in left.items()])
    audit_record(
        actor=actor, subject=None, event_type=EnrolmentEvent.ENROLMENT_ROUND_CHANGED, obj=further,
        new={"status": RoundStatus.OPEN, "round": further.pk, "previous": previous.pk, "seats": sum(left.values())},
        ip=ip,
    )  # fmt: skip
    _further_round_notify(further=further, previous=previous)
    return further


def apply_link(*, round_id: int, child_id: int) -> str:
    """Where a family applies: the apply page, with the round and the child already chosen."""
    return f"{reverse('education:apply')}?{urlencode({'round': round_id, 'child': child_id})}"


def _further_round_notify(*, further: EnrolmentRound, previous: EnrolmentRound) -> None:
    rows = list(
        EnrolmentResult.objects.filter(round=previous, status__in=FURTHER_ROUND_RESULTS)
        .order_by("application_id")
        .values_list(
            "application_id", "application__child_id", "application__child__name", "application__case__reference"
        )
    )
    recipients = residents_selectors.resident_recipients(row[1] for row in rows)
    round_name = _names(further.name, further.name_en)
    reminders_issue(
        [
            ReminderDue(
                kind="enrolment_further_round", subject=f"application:{case_id}:user:{user_id}",
                due_date=further.applications_close_on, recipient_id=user_id, template="education.further_round_open",
                context={"child": child_name, "round": round_name, "reference": reference,
                         "closes": further.applications_close_on.isoformat()},
                link=apply_link(round_id=further.pk, child_id=child_id),
            )
            for case_id, child_id, child_name, reference in rows
            for user_id in recipients.get(child_id, [])
        ]
    )  # fmt: skip


# --- added for the pages and API ---


@transaction.atomic
def enrolment_application_apply(
    *,
    actor: User,
    enrolment_round: EnrolmentRound,
    child: Resident,
    schools: Sequence[School] = (),
    guardian: Resident | None = None,
    ip: str | None = None,
) -> Case:
    """Start an application and rank its schools in one step (the apply page, POST /api/v1/enrolment-applications/):
    both are saved or neither, so a wrong list of schools never leaves a draft behind."""
    case = enrolment_application_start(
        actor=actor, enrolment_round=enrolment_round, child=child, guardian=guardian, ip=ip
    )
    if schools:
        enrolment_preferences_set(actor=actor, application=case, schools=schools, ip=ip)
    return case


# --- the case type's hooks (education.casetype names them) ----------------------------------------------


def _enrolment_detail(case: Case) -> EnrolmentApplication | None:
    return EnrolmentApplication.objects.select_related("round", "guardian", "child").filter(case=case).first()


def enrolment_case_check_submit(case: Case) -> None:
    """Checked again on submission: the window may have closed, or the guardian's permit lapsed, since the draft."""
    detail = _enrolment_detail(case)
    if detail is None:  # opened through the generic /api/v1/cases/, without a round
        raise DomainError(
            "round_missing", _("这件申请没有选择招生轮次，请在“随迁子女入学”页面重新申请。"), field="round"
        )
    today = timezone.localdate()
    eligibility.check_round_takes_applications(detail.round, today)
    eligibility.check_guardian_of(detail.guardian, detail.child)
    eligibility.check_guardian_permit(detail.guardian, today)
    eligibility.check_child_age(detail.round, detail.child)


def enrolment_case_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    """Approval takes the child into the round's allocation and withdrawal takes them out, so both belong to the
    time before the allocation; a refused or withdrawn application stops counting, so the child may apply again."""
    detail = EnrolmentApplication.objects.select_related("round").select_for_update(of=("self",)).get(case=case)
    allocated = detail.round.status not in (RoundStatus.DRAFT, RoundStatus.OPEN)
    if target == CaseStatus.APPROVED and allocated:
        raise DomainError(
            "round_allocated", _("本轮学位已经分配，不能再批准新的申请。请告知家长参加补录。"), conflict=True
        )
    if target == CaseStatus.WITHDRAWN and source == CaseStatus.APPROVED and allocated:
        raise DomainError("round_allocated", _("本轮学位已经分配，请在录取结果中选择“放弃学位”。"), conflict=True)
    if target in (CaseStatus.WITHDRAWN, CaseStatus.REFUSED) and detail.is_current:
        detail.is_current = False
        detail.save(update_fields=["is_current"])
