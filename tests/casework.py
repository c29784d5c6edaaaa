"""The demonstration case type: a tiny application used to prove the casework engine in tests only.

Real case types (the residence permit first) register themselves in their app's ready().
"""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from cases import services
from cases.casetypes import CaseType, DocumentRequirement, case_type_register, case_type_unregister
from cases.choices import CaseStatus
from cases.models import Case
from kernel.errors import DomainError
from residents.models import Region, Resident

from .factories import caseworker_for

DEMO = CaseType(
    key="demo",
    label="演示业务",
    reference_prefix="DM",
    documents=(
        DocumentRequirement("id_card", "身份证"),
        DocumentRequirement("address_proof", "住所证明"),
        DocumentRequirement("photo", "照片", required=False),
    ),
    due_in=datetime.timedelta(days=15),
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


def pdf(name: str = "证明.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def demo_case_type():  # type: ignore[no-untyped-def]
    case_type_register(DEMO)
    yield DEMO
    case_type_unregister(DEMO.key)


def open_case(applicant: Resident, *, actor=None) -> Case:  # type: ignore[no-untyped-def]
    return services.case_open(actor=actor or applicant.user, case_type=DEMO.key, applicant=applicant)


def submitted_case(applicant: Resident, *, actor=None) -> Case:  # type: ignore[no-untyped-def]
    """A demo case with its required documents, submitted."""
    actor = actor or applicant.user
    case = open_case(applicant, actor=actor)
    for kind in ("id_card", "address_proof"):
        services.case_document_upload(actor=actor, case=case, kind=kind, upload=pdf(f"{kind}.pdf"))
    return services.case_submit(actor=actor, case=case)


def bytes_upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, io.BytesIO(content).getvalue())


# --- setting the scene without the services -----------------------------------------------------------


def case_row(
    applicant: Resident,
    *,
    status: str = CaseStatus.SUBMITTED,
    due_at: datetime.datetime | None = None,
    street: Region | None = None,
    assigned_to: User | None = None,
    opened_by: User | None = None,
) -> Case:
    """A demo case written straight to the table (no documents, no audit, no notification): for lists and
    sweeps that need many rows, not for testing the services that move cases."""
    now = timezone.now()
    case = Case.objects.create(
        case_type=DEMO.key,
        applicant=applicant,
        opened_by=opened_by or applicant.user,
        street=street or applicant.street,
        status=status,
        assigned_to=assigned_to,
        submitted_at=now if status != CaseStatus.DRAFT else None,
        due_at=due_at if due_at is not None else (now + DEMO.due_in if status != CaseStatus.DRAFT else None),
    )
    Case.objects.filter(pk=case.pk).update(reference=f"DM{now:%Y%m%d}{case.pk:07d}")
    case.refresh_from_db()
    return case


def set_status(case: Case, status: str, **fields) -> Case:  # type: ignore[no-untyped-def]
    """Put a case in a status directly (the scene for a test), bypassing the transition service."""
    if status == CaseStatus.REFUSED:
        fields.setdefault("decision_reason", "不符合条件")  # the table refuses a refusal without one
    Case.objects.filter(pk=case.pk).update(status=status, **fields)
    case.refresh_from_db()
    return case


def team_leader_for(*streets: Region, **kwargs) -> User:  # type: ignore[no-untyped-def]
    """A caseworker of these streets who also leads the team (may give cases to others)."""
    user = caseworker_for(*streets, **kwargs)
    user.groups.add(Group.objects.get(name=Role.TEAM_LEADER))
    if hasattr(user, "_role_names"):
        del user._role_names
    return user


def refused(call, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    """The DomainError a service call raises (the test fails when it raises none)."""
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def media_files() -> list[Path]:
    """Every file under MEDIA_ROOT (a temporary folder per test)."""
    root = Path(settings.MEDIA_ROOT)
    return [Path(folder) / name for folder, _dirs, names in os.walk(root) for name in names]
