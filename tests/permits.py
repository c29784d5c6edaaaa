"""Scenes for residence-permit tests: a registered migrant, an application, an issued permit.

The services build what the rules under test depend on; ``permit_row`` writes an issued permit straight to
the tables for tests about what happens later (endorsement, reminders, pages) without replaying the years.
"""

from __future__ import annotations

import datetime
import secrets

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import User
from cases import services as cases_services
from cases.casetypes import case_type_get
from cases.choices import CaseStatus
from cases.models import Case
from permits import selectors
from permits import services as permits_services
from permits.choices import DeliveryMethod
from permits.models import Permit, PermitApplication, PermitType
from residents import services
from residents.models import Region, ResidenceRegistration, Resident

from .casework import pdf

EXPRESS = {
    "delivery_method": DeliveryMethod.EXPRESS,
    "recipient_name": "王芳",
    "recipient_phone": "13800138000",
    "delivery_address": "越城区环城西路 18 号 2 幢 302 室",
}
WINDOW = {"delivery_method": DeliveryMethod.WINDOW}


def permit_type(key: str = "employment") -> PermitType:
    """One of the default types loaded by migration 0008 (employment, residence, study, talent)."""
    return PermitType.objects.get(key=key)


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def register(
    resident: Resident, *, since: datetime.date, community: Region | None = None, actor: User | None = None
) -> ResidenceRegistration:
    """Residence registration from ``since`` (in the resident's own community unless another is given)."""
    return services.residence_register(
        actor=actor or resident.user, resident=resident, community=community or resident.community,
        address="环城西路 18 号 2 幢 302 室", basis="rented", started_on=since,
    )  # fmt: skip


def registered_long_enough(resident: Resident) -> ResidenceRegistration:
    """Registered for more than half a year: the residence condition of a permit is met."""
    return register(resident, since=timezone.localdate() - relativedelta(months=7))


def start_application(
    resident: Resident, *, type_key: str = "employment", actor: User | None = None, **delivery: str
) -> Case:
    return permits_services.permit_application_start(
        actor=actor or resident.user, applicant=resident, permit_type=permit_type(type_key), **(delivery or EXPRESS)
    )


def upload_permit_documents(case: Case, *, actor: User | None = None) -> None:
    """Every document the case's checklist requires."""
    actor = actor or case.applicant.user
    declared = case_type_get(case.case_type)
    for document in declared.documents_for(case):
        if document.required:
            cases_services.case_document_upload(
                actor=actor, case=case, kind=document.key, upload=pdf(f"{document.key}.pdf")
            )


def submitted_application(resident: Resident, *, type_key: str = "employment", **delivery: str) -> Case:
    case = start_application(resident, type_key=type_key, **delivery)
    upload_permit_documents(case)
    return cases_services.case_submit(actor=resident.user, case=case)


def permit_row(
    holder: Resident,
    *,
    issued_on: datetime.date,
    valid_until: datetime.date | None = None,
    type_key: str = "employment",
    delivery: str = DeliveryMethod.EXPRESS,
) -> Permit:
    """An issued and delivered permit written to the tables directly (the scene, not the service under test)."""
    case = Case.objects.create(
        case_type=selectors.PERMIT_CASE_TYPE, applicant=holder, opened_by=holder.user or User.objects.first(),
        street=holder.street, status=CaseStatus.DELIVERED, submitted_at=timezone.now(),
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(reference=f"JZ{issued_on:%Y%m%d}{case.pk:07d}")
    kind = permit_type(type_key)
    permit = Permit.objects.create(
        holder=holder, permit_type=kind, application=case, issued_on=issued_on,
        valid_until=valid_until or issued_on + relativedelta(years=1) - datetime.timedelta(days=1),
        verify_token=secrets.token_urlsafe(24),
    )  # fmt: skip
    Permit.objects.filter(pk=permit.pk).update(number=f"330602{issued_on:%Y}{permit.pk:08d}")
    details = {**EXPRESS, "recipient_phone": "+8613800138000"} if delivery == DeliveryMethod.EXPRESS else WINDOW
    PermitApplication.objects.create(case=case, permit_type=kind, permit=permit, **details)
    permit.refresh_from_db()
    return permit
