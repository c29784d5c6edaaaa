"""Scenes for school enrolment tests: schools, a round in the middle of its calendar, families of a guardian with a
residence permit and a child of school age, and applications at each step of their way.

The round's calendar is the 2027 one (applications 10–23 May, allocation 27 June, confirmation until 7 July);
the tests travel through it with time_machine. ``family`` writes the scene straight to the tables; applying,
ranking schools, checking documents and allocating go through the services under test.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from accounts.models import User
from cases import services as cases_services
from cases.casetypes import case_type_get
from cases.models import Case
from education import services
from education.choices import RoundStatus
from education.models import EnrolmentApplication, EnrolmentRound, RoundSchool, School
from residents.models import Region, ResidenceRegistration, Resident

from ..casework import pdf
from ..factories import ResidentFactory, UserFactory, guardian_link, street
from ..permits import permit_row

SHAOXING = ZoneInfo("Asia/Shanghai")

APPLICATIONS_OPEN = datetime.date(2027, 5, 10)
DURING_APPLICATIONS = datetime.date(2027, 5, 15)
APPLICATIONS_CLOSE = datetime.date(2027, 5, 23)
DOCUMENTS_CHECK_END = datetime.date(2027, 6, 6)
OBJECTIONS_END = datetime.date(2027, 6, 13)
PREFERENCES_CLOSE = datetime.date(2027, 6, 20)
ALLOCATION_DAY = datetime.date(2027, 6, 27)
CONFIRMATION_END = datetime.date(2027, 7, 7)

CALENDAR = {
    "applications_open_on": APPLICATIONS_OPEN,
    "applications_close_on": APPLICATIONS_CLOSE,
    "documents_check_end_on": DOCUMENTS_CHECK_END,
    "objections_end_on": OBJECTIONS_END,
    "preferences_close_on": PREFERENCES_CLOSE,
    "allocation_on": ALLOCATION_DAY,
    "confirmation_end_on": CONFIRMATION_END,
}
# Grade 1 in 2027: six by 31 August 2027.
BORN_ON_OR_AFTER = datetime.date(2020, 9, 1)
BORN_ON_OR_BEFORE = datetime.date(2021, 8, 31)
SIX_IN_SPRING = datetime.date(2021, 3, 1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """That day at ``hour`` o'clock in Shaoxing."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHAOXING)


def on(day: datetime.date) -> time_machine.travel:
    """Travel to that day (10:00 in Shaoxing), time standing still: ``with on(ALLOCATION_DAY): ...``."""
    return time_machine.travel(at(day), tick=False)


def school(
    name: str, street_name: str = "塔山街道", *, level: str = "primary", catchment: tuple[Region, ...] = (), **fields
) -> School:  # type: ignore[no-untyped-def]
    created = School.objects.create(
        name=name, name_en=fields.pop("name_en", f"{name} (en)"), level=level, street=street(street_name),
        address=fields.pop("address", f"越城区{street_name}某路 1 号"), **fields,
    )  # fmt: skip
    created.catchment_communities.set(catchment)
    return created


def enrolment_round(*, seats: dict[School, int] | None = None, **fields) -> EnrolmentRound:  # type: ignore[no-untyped-def]
    """The 2027 primary grade-1 round, open, with these seats (the migration's example rounds are removed first,
    so this one is the year's first round)."""
    if not fields.get("previous"):
        EnrolmentRound.objects.filter(year=fields.get("year", 2027), grade=fields.get("grade", "primary_1")).delete()
    values = {
        "year": 2027, "grade": "primary_1", "name": "2027 年小学一年级随迁子女入学", "name_en": "2027 primary grade 1",
        "born_on_or_after": BORN_ON_OR_AFTER, "born_on_or_before": BORN_ON_OR_BEFORE, "status": RoundStatus.OPEN,
        **CALENDAR, **fields,
    }  # fmt: skip
    created = EnrolmentRound.objects.create(**values)
    for each, n in (seats or {}).items():
        RoundSchool.objects.create(round=created, school=each, seats=n)
    return created


def family(
    parent_name: str,
    community: Region,
    *,
    child_name: str | None = None,
    born: datetime.date = SIX_IN_SPRING,
    permit: str = "valid",
    registered: bool = True,
) -> tuple[Resident, Resident]:
    """(guardian, child): a guardian with a login living (registered) in ``community``, holding a residence permit
    (``permit`` "valid", "lapsed" or "none"), and a child without a login born on ``born`` in their care."""
    guardian = ResidentFactory(user=UserFactory(), name=parent_name, community=community)
    if registered:
        ResidenceRegistration.objects.create(
            resident=guardian, community=community, street=community.parent, address="某路 8 号 2 幢 301 室",
            basis="rented", started_on=datetime.date(2025, 3, 1), registered_by=guardian.user,
        )  # fmt: skip
    today = timezone.localdate()
    if permit == "valid":
        permit_row(guardian, issued_on=today - datetime.timedelta(days=30))
    elif permit == "lapsed":
        permit_row(guardian, issued_on=today - datetime.timedelta(days=400))
    child = ResidentFactory(user=None, name=child_name or f"{parent_name}的孩子", birth_date=born, community=community)
    guardian_link(guardian, child)
    return guardian, child


def start(guardian: Resident, child: Resident, of: EnrolmentRound, *, actor: User | None = None) -> Case:
    return services.enrolment_application_start(
        actor=actor or guardian.user, enrolment_round=of, child=child, guardian=guardian
    )


def application_of(case: Case) -> EnrolmentApplication:
    return EnrolmentApplication.objects.select_related("case", "round").get(pk=case.pk)


def upload_documents(case: Case, actor: User) -> None:
    for document in case_type_get(case.case_type).documents_for(case):
        cases_services.case_document_upload(
            actor=actor, case=case, kind=document.key, upload=pdf(f"{document.key}.pdf")
        )


def submitted(guardian: Resident, child: Resident, of: EnrolmentRound, *, schools: list[School] = ()) -> Case:  # type: ignore[assignment]
    """An application with its documents and ranked schools, submitted."""
    case = start(guardian, child, of)
    upload_documents(case, guardian.user)
    if schools:
        services.enrolment_preferences_set(actor=guardian.user, application=case, schools=list(schools))
    return cases_services.case_submit(actor=guardian.user, case=case)


def approved(
    guardian: Resident,
    child: Resident,
    of: EnrolmentRound,
    checker: User,
    *,
    schools: list[School] = (),  # type: ignore[assignment]
) -> EnrolmentApplication:
    """An application whose documents a caseworker (``checker``) approved."""
    case = cases_services.case_approve(actor=checker, case=submitted(guardian, child, of, schools=schools))
    return application_of(case)


def points(verified: dict[int, Decimal], guardian: Resident, total: str | int) -> None:
    """Give the guardian's family a verified, eligible score (read by the allocation through points.selectors)."""
    verified[guardian.pk] = Decimal(str(total))


def administrator_user() -> User:
    from accounts.choices import Role

    return UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
