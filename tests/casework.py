"""The demonstration case type: a tiny application used to prove the casework engine in tests only.

Real case types (the residence permit first) register themselves in their app's ready().
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from residents import services
from residents.casetypes import CaseType, DocumentRequirement, case_type_register, case_type_unregister
from residents.models import Case, Resident

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
