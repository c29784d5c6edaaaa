"""Every read on residence permits goes through Permit.objects.visible_to(user) (or, for their applications,
Case.objects.visible_to(user)); the public verification reads one permit by its secret token."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from cases.casetypes import DocumentRequirement, localized_label
from cases.choices import CASE_OPEN_STATUSES
from cases.models import Case
from cases.selectors import case_list
from residents.models import AuditEvent, GuardianLink, ResidenceRegistration, Resident
from residents.selectors import permit_eligible_from, residence_continuous_since, residence_history

from .models import Permit, PermitEndorsement, PermitType


def permit_type_get(key: str) -> PermitType:
    """A permit type by its key, closed ones included (so that applying for one is told it is closed)."""
    return PermitType.objects.get(key=key)



def permit_types_offered() -> QuerySet[PermitType]:
    """The permit types open to applications, as published (public: they describe services, not people)."""
    return PermitType.objects.filter(is_active=True)



# The case types of the permit family (declared in residents.services, registered in apps.ready).
PERMIT_CASE_TYPE = "permit"



PERMIT_REPLACEMENT_CASE_TYPE = "permit_replacement"



PERMIT_ENDORSEMENT_CASE_TYPE = "permit_endorsement"



PERMIT_APPLICATION_CASE_TYPES = (PERMIT_CASE_TYPE, PERMIT_REPLACEMENT_CASE_TYPE)



# 居住证暂行条例 art. 10: endorsement in the month before each anniversary of issue.
ENDORSEMENT_WINDOW_MONTHS = 1



# Reminders this many days before the endorsement window closes.
ENDORSEMENT_REMINDER_DAYS = (30, 7)



# Yuecheng District's administrative division code opens every permit number.
DISTRICT_CODE = "330602"



def permit_list(*, user: User) -> QuerySet[Permit]:
    return Permit.objects.visible_to(user).select_related("holder", "holder__street", "permit_type")



def permit_get(*, user: User, pk: int) -> Permit:
    """A permit the user may see; Permit.DoesNotExist (a 404) otherwise."""
    return permit_list(user=user).get(pk=pk)



def permit_get_by_number(*, user: User, number: str) -> Permit:
    return permit_list(user=user).get(number=number)



def permits_of_family(*, user: User) -> list[Permit]:
    """The user's own permit and their children's (what "我的" shows, staff or not)."""
    own = Resident.objects.filter(user=user).values_list("id", flat=True)
    children = GuardianLink.objects.filter(guardian__user=user).values_list("child_id", flat=True)
    return list(permit_list(user=user).filter(holder_id__in=list(own.union(children))).order_by("holder__birth_date"))



def permit_of(*, resident: Resident) -> Permit | None:
    return Permit.objects.select_related("permit_type").filter(holder=resident).first()



def permit_by_token(token: str) -> Permit | None:
    """The permit a QR code points at (public verification): None for an unknown or superseded card."""
    if not token or len(token) > 64:
        return None
    return Permit.objects.select_related("holder").filter(verify_token=token).first()



def permit_applications(*, user: User) -> QuerySet[Case]:
    """Permit applications and replacements the user may see, with their details."""
    return (
        case_list(user=user)
        .filter(case_type__in=PERMIT_APPLICATION_CASE_TYPES)
        .select_related("permit_application", "permit_application__permit_type", "permit_application__permit")
    )



def permit_application_get(*, user: User, pk: int) -> Case:
    return permit_applications(user=user).get(pk=pk)



def permit_application_open(*, applicant: Resident, case_types: tuple[str, ...] = (PERMIT_CASE_TYPE,)) -> Case | None:
    """The applicant's permit application still in progress (draft to decision), if any."""
    return (
        Case.objects.filter(applicant=applicant, case_type__in=case_types, status__in=CASE_OPEN_STATUSES)
        .order_by("-id")
        .first()
    )



def permit_endorsements(*, permit: Permit) -> list[PermitEndorsement]:
    """A permit's endorsements, newest first. Read only for a permit the caller already may see."""
    return list(permit.endorsements.select_related("case").order_by("-applied_on", "-case_id"))



def permit_endorsement_pending(*, permit: Permit) -> PermitEndorsement | None:
    return (
        PermitEndorsement.objects.select_related("case")
        .filter(permit=permit, case__status__in=CASE_OPEN_STATUSES)
        .first()
    )



def permit_anniversary(permit: Permit, years: int) -> datetime.date:
    return permit.issued_on + relativedelta(years=years)



def endorsement_window(permit: Permit) -> tuple[datetime.date, datetime.date]:
    """The days on which this year's endorsement is on time: the month before the anniversary."""
    return endorsement_window_opens(permit.valid_until), permit.valid_until



def endorsement_window_opens(valid_until: datetime.date) -> datetime.date:
    return valid_until + datetime.timedelta(days=1) - relativedelta(months=ENDORSEMENT_WINDOW_MONTHS)



def endorsement_window_open_for(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days on which the permits whose endorsement window is open today end their year.

    The window is endorsement_window (the month before the year ends). It opens later the later the
    year ends, so these permits are one run of valid_until days, starting today: found by walking forward, so
    the filter and the portal never disagree about a month's last days.
    """
    last = today
    while endorsement_window_opens(last + datetime.timedelta(days=1)) <= today:
        last += datetime.timedelta(days=1)
    return today, last



def endorsement_first_reminder_on(valid_until: datetime.date) -> datetime.date:
    """The first reminder goes 30 days before the year ends, but never before the window opens (a calendar
    month is shorter than 30 days in February): nobody is told to do what they would be refused."""
    thirty_days_before = valid_until - datetime.timedelta(days=ENDORSEMENT_REMINDER_DAYS[0])
    return max(thirty_days_before, endorsement_window_opens(valid_until))



@dataclass(frozen=True)
class EndorsementStanding:
    """This year's endorsement as the holder sees it: the window, whether it is open or missed, and a request
    already on its way."""

    opens: datetime.date
    closes: datetime.date
    today: datetime.date
    pending: Case | None

    @property
    def is_open(self) -> bool:
        return self.opens <= self.today <= self.closes

    @property
    def is_late(self) -> bool:
        """The year ended without an endorsement: the permit is suspended until a late one restores it."""
        return self.today > self.closes

    @property
    def can_endorse(self) -> bool:
        return (self.is_open or self.is_late) and self.pending is None



def endorsement_standing(permit: Permit, *, today: datetime.date, pending: Case | None) -> EndorsementStanding:
    opens, closes = endorsement_window(permit)
    return EndorsementStanding(opens=opens, closes=closes, today=today, pending=pending)



def permit_valid_until_after_endorsement(permit: Permit, applied_on: datetime.date) -> datetime.date:
    """Where an endorsement asked for on ``applied_on`` moves the permit's year end.

    On time, to the next anniversary; late, to the first anniversary whose own endorsement window has not
    yet opened that day, so the holder is not asked to endorse twice in a row. Anniversaries stay those of
    the day of issue (29 February falls on 28 February in other years).
    """
    years = 1
    while True:
        anniversary = permit_anniversary(permit, years)
        opens = anniversary - relativedelta(months=ENDORSEMENT_WINDOW_MONTHS)
        if anniversary > permit.valid_until + datetime.timedelta(days=1) and opens > applied_on:
            return anniversary - datetime.timedelta(days=1)
        years += 1



def residence_counted_from(*, resident: Resident) -> datetime.date | None:
    """Since when the resident's residence counts as continuous (points, school places read this).

    Registration decides, except that a late endorsement restarts the count from its day (条例 art. 10).
    """
    since = residence_continuous_since(residence_history(resident=resident))
    if since is None:
        return None
    restarted = Permit.objects.filter(holder=resident).values_list("continuity_restarted_on", flat=True).first()
    return max(since, restarted) if restarted else since



@dataclass(frozen=True)
class PermitEligibility:
    """What a resident may apply for today, and when they will qualify if not yet."""

    registered: bool
    continuous_since: datetime.date | None
    eligible_from: datetime.date | None  # the half-year residence condition is met from this day
    residence_met: bool
    permit: Permit | None
    open_application: Case | None

    def allows(self, permit_type: PermitType) -> bool:
        return (
            permit_type.is_active
            and self.registered
            and self.permit is None
            and self.open_application is None
            and (self.residence_met or permit_type.exempt_from_residence_rule)
        )



def permit_eligibility(*, resident: Resident, today: datetime.date | None = None) -> PermitEligibility:
    return permit_eligibility_of(residents=[resident], today=today)[resident.pk]



def permit_eligibility_of(
    *, residents: list[Resident], today: datetime.date | None = None
) -> dict[int, PermitEligibility]:
    """permit_eligibility for several people (a family) in three queries, whatever their number.
    Read only for residents the caller already may see."""
    today = today or timezone.localdate()
    ids = [resident.pk for resident in residents]
    histories: dict[int, list[ResidenceRegistration]] = {pk: [] for pk in ids}
    for registration in ResidenceRegistration.objects.filter(resident_id__in=ids).order_by("-started_on", "-id"):
        histories[registration.resident_id].append(registration)
    permits = {p.holder_id: p for p in Permit.objects.select_related("permit_type").filter(holder_id__in=ids)}
    applications: dict[int, Case] = {}
    open_cases = Case.objects.filter(
        applicant_id__in=ids, case_type=PERMIT_CASE_TYPE, status__in=CASE_OPEN_STATUSES
    ).order_by("-id")
    for case in open_cases:
        applications.setdefault(case.applicant_id, case)  # the newest
    facts = {}
    for pk in ids:
        history = histories[pk]
        eligible_from = permit_eligible_from(history)
        facts[pk] = PermitEligibility(
            registered=bool(history and history[0].is_current),
            continuous_since=residence_continuous_since(history),
            eligible_from=eligible_from,
            residence_met=eligible_from is not None and today >= eligible_from,
            permit=permits.get(pk),
            open_application=applications.get(pk),
        )
    return facts



@dataclass(frozen=True)
class PermitRecipientRow:
    permit_id: int
    number: str
    valid_until: datetime.date
    recipient_id: int



def permit_holders_to_tell(
    *, valid_until_in: list[datetime.date], skip_pending_endorsement: bool
) -> list[PermitRecipientRow]:
    """Who to tell about the permits whose year ends on one of these days: the holder, or for a child without
    a login, each guardian. Two queries whatever the number of permits (the sweeps' read)."""
    permits = Permit.objects.filter(valid_until__in=valid_until_in)
    if skip_pending_endorsement:
        # NOT EXISTS, not NOT IN: PostgreSQL turns it into an anti-join on the few permits due instead of
        # hashing every endorsement (docs/PERFORMANCE.md, endorsement reminders).
        pending = PermitEndorsement.objects.filter(permit=OuterRef("pk"), case__status__in=CASE_OPEN_STATUSES)
        permits = permits.exclude(Exists(pending))
    permits = permits.filter(holder__archived_at__isnull=True).exclude(holder__user__is_active=False)
    rows = list(permits.values_list("id", "number", "valid_until", "holder_id", "holder__user_id"))
    children = [holder_id for *_, holder_id, user_id in rows if user_id is None]
    guardians: dict[int, list[int]] = {}
    for child_id, user_id in GuardianLink.objects.filter(
        child_id__in=children, guardian__user__isnull=False, guardian__user__is_active=True
    ).values_list("child_id", "guardian__user_id"):
        guardians.setdefault(child_id, []).append(user_id)
    return [
        PermitRecipientRow(permit_id=pk, number=number, valid_until=until, recipient_id=recipient)
        for pk, number, until, holder_id, user_id in rows
        for recipient in ([user_id] if user_id is not None else guardians.get(holder_id, []))
    ]



def permit_timeline(*, permit: Permit) -> QuerySet[AuditEvent]:
    """What happened to the permit itself (issue, endorsements, new cards), oldest first; its cases keep their
    own timelines. Read only for a permit the caller already may see."""
    return (
        AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(Permit), object_id=str(permit.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def permit_case_documents(case: Case) -> tuple[DocumentRequirement, ...]:
    """A permit application's checklist: its permit type's, as it stood when the type was chosen."""
    detail = case.permit_application
    return tuple(
        DocumentRequirement(
            str(item["key"]), localized_label(item.get("label_zh", ""), item.get("label_en", "")),
            required=bool(item.get("required", True)),
        )
        for item in detail.documents or detail.permit_type.documents
    )  # fmt: skip


def permit_document_labels(keys: set[str]) -> dict[str, str]:
    """Labels of permit-type proofs among ``keys`` (administrators write them, in both languages): one query."""
    labels: dict[str, str] = {}
    for checklist in PermitType.objects.values_list("documents", flat=True):
        for item in checklist or []:
            if item.get("key") in keys and item["key"] not in labels:
                labels[item["key"]] = str(localized_label(item.get("label_zh", ""), item.get("label_en", "")))
    return labels
