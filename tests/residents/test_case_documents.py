"""Documents attached to a case: checked by content, stored privately under a random name, nothing left
behind when refused, and served only to those who may see the case."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.choices import CaseEvent, CaseStatus
from cases.models import CaseDocument
from residents.models import AuditEvent

from ..casework import (
    EXE,
    JPEG,
    PDF,
    PNG,
    bytes_upload,
    media_files,
    open_case,
    refused,
    submitted_case,
)
from ..factories import ResidentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_case_type")]


def upload(case, actor, name: str, content: bytes, kind: str = "id_card") -> CaseDocument:  # type: ignore[no-untyped-def]
    return services.case_document_upload(actor=actor, case=case, kind=kind, upload=bytes_upload(name, content))


def unsanitised(name: str, content: bytes = PDF) -> SimpleUploadedFile:
    """An upload whose name reaches the service as the client sent it (Django's own parser would already
    have cut the path off; the service must not rely on that)."""
    file = SimpleUploadedFile("placeholder.pdf", content)
    file._name = name  # bypass UploadedFile's basename() on purpose
    return file


def assert_nothing_stored() -> None:
    assert not CaseDocument.objects.exists()
    assert media_files() == []
    assert not AuditEvent.objects.filter(event_type=CaseEvent.CASE_DOCUMENT_UPLOADED).exists()


# --- accepted -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "mime_type", "extension"),
    [("身份证.pdf", PDF, "application/pdf", "pdf"), ("photo.png", PNG, "image/png", "png"),
     ("IMG_0001.jpeg", JPEG, "image/jpeg", "jpg")],
    ids=["pdf", "png", "jpeg"],
)  # fmt: skip
def test_a_pdf_png_or_jpeg_is_accepted_and_stored_privately_under_a_random_name(  # type: ignore[no-untyped-def]
    name, content, mime_type, extension, resident, resident_user
):
    case = open_case(resident)

    document = upload(case, resident_user, name, content)

    assert document.original_name == name
    assert document.mime_type == mime_type
    assert document.size == len(content)
    assert len(document.sha256) == 64
    [stored] = media_files()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT) / "documents")
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", stored.name)
    assert stored.read_bytes() == content
    assert document.file.name.endswith(stored.name)
    event = AuditEvent.objects.get(event_type=CaseEvent.CASE_DOCUMENT_UPLOADED)
    assert event.new_values == {"kind": "id_card", "name": name, "size": len(content)}


def test_the_same_name_uploaded_twice_is_stored_as_two_files(resident, resident_user):
    case = open_case(resident)

    first = upload(case, resident_user, "scan.pdf", PDF)
    second = upload(case, resident_user, "scan.pdf", PDF + b"%again")

    assert first.file.name != second.file.name
    assert len(media_files()) == 2


# --- refused, with nothing left behind ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.txt", b"just some plain text, not a document", "file_type_invalid"),
        ("x.pdf", EXE, "file_type_invalid"),  # an executable renamed to look like a PDF
        ("picture.png", b"GIF89a" + b"\x00" * 32, "file_type_invalid"),
        ("empty.pdf", b"", "file_empty"),
        ("a\\b.pdf", PDF, "file_name_invalid"),
    ],
    ids=["plain-text", "renamed-executable", "gif-named-png", "empty", "backslash-path"],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(name, content, code, resident, resident_user):  # type: ignore[no-untyped-def]
    case = open_case(resident)

    error = refused(
        services.case_document_upload, actor=resident_user, case=case, kind="id_card",
        upload=bytes_upload(name, content),
    )  # fmt: skip

    assert (error.code, error.field) == (code, "file")
    assert_nothing_stored()


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "a/b.pdf", "a\\b.pdf", "..", "x\x00.pdf"])
def test_a_name_with_a_path_is_refused_even_when_it_reaches_the_service_as_sent(name, resident, resident_user):  # type: ignore[no-untyped-def]
    case = open_case(resident)

    error = refused(
        services.case_document_upload, actor=resident_user, case=case, kind="id_card", upload=unsanitised(name)
    )

    assert error.code == "file_name_invalid"
    assert_nothing_stored()


def test_an_oversized_file_is_refused_and_nothing_is_stored(settings, resident, resident_user):  # type: ignore[no-untyped-def]
    settings.DOCUMENT_MAX_BYTES = 1024
    case = open_case(resident)

    error = refused(
        services.case_document_upload, actor=resident_user, case=case, kind="id_card",
        upload=bytes_upload("big.pdf", PDF + b"0" * 1024),
    )  # fmt: skip

    assert error.code == "file_too_large"
    assert_nothing_stored()
    # exactly at the limit is fine
    assert upload(case, resident_user, "fits.pdf", PDF + b"0" * (1024 - len(PDF))).size == 1024


def test_a_file_whose_row_cannot_be_written_is_removed_again(resident, resident_user):
    case = open_case(resident)

    failing = mock.patch.object(services, "audit_record", side_effect=RuntimeError("database went away"))
    with failing, pytest.raises(RuntimeError):
        upload(case, resident_user, "ok.pdf", PDF)

    assert not CaseDocument.objects.exists()
    assert media_files() == []


@pytest.mark.parametrize("status", [CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED, CaseStatus.APPROVED])
def test_no_upload_once_the_case_is_with_the_caseworker_or_decided(status, resident, resident_user):  # type: ignore[no-untyped-def]
    case = submitted_case(resident)
    type(case).objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    stored_before = media_files()

    error = refused(
        services.case_document_upload, actor=resident_user, case=case, kind="photo", upload=bytes_upload("p.png", PNG)
    )

    assert error.code == "documents_locked"
    assert CaseDocument.objects.filter(kind="photo").count() == 0
    assert media_files() == stored_before


def test_uploads_are_open_again_while_documents_are_requested(resident, resident_user, caseworker):
    case = services.case_request_documents(actor=caseworker, case=submitted_case(resident), missing=["photo"])

    assert upload(case, resident_user, "p.png", PNG, kind="photo").kind == "photo"


def test_an_unknown_kind_of_document_is_refused(resident, resident_user):
    case = open_case(resident)

    error = refused(
        services.case_document_upload, actor=resident_user, case=case, kind="passport",
        upload=bytes_upload("p.pdf", PDF),
    )  # fmt: skip

    assert (error.code, error.field) == ("document_kind_invalid", "kind")
    assert_nothing_stored()


def test_another_resident_or_a_caseworker_elsewhere_cannot_upload(resident, other_user, caseworker_elsewhere):
    case = open_case(resident)

    for outsider in (other_user, caseworker_elsewhere):
        error = refused(
            services.case_document_upload, actor=outsider, case=case, kind="id_card",
            upload=bytes_upload("p.pdf", PDF),
        )  # fmt: skip
        assert error.code == "not_allowed"
    assert_nothing_stored()


# --- the download view --------------------------------------------------------------------------------


@pytest.fixture
def document(resident, resident_user):  # type: ignore[no-untyped-def]
    return upload(open_case(resident), resident_user, "lease-2025.pdf", PDF)


def download_url(document: CaseDocument) -> str:
    return reverse("cases:case_document", args=[document.pk])


def body_of(response) -> bytes:  # type: ignore[no-untyped-def]
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def test_the_owner_downloads_the_file_as_a_private_attachment(client, resident_user, document):
    client.force_login(resident_user)

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "lease-2025.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert body_of(response) == PDF


def test_a_chinese_file_name_is_offered_under_its_own_name(client, resident, resident_user):
    document = upload(open_case(resident), resident_user, "租房合同.pdf", PDF)
    client.force_login(resident_user)

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert "filename*=utf-8''%E7%A7%9F%E6%88%BF%E5%90%88%E5%90%8C.pdf" in response["Content-Disposition"]
    body_of(response)


def test_a_guardian_downloads_a_childs_document(client, resident, resident_user):
    from ..factories import guardian_link

    child = ResidentFactory(user=None, community=resident.community)
    guardian_link(resident, child)
    document = upload(open_case(child, actor=resident_user), resident_user, "birth.pdf", PDF)
    client.force_login(resident_user)

    response = client.get(download_url(document))

    assert response.status_code == 200
    body_of(response)


@pytest.mark.parametrize("who", ["caseworker", "administrator"])
def test_staff_in_scope_download_the_file(who, request, client, document):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert body_of(response) == PDF


@pytest.mark.parametrize("who", ["other_user", "caseworker_elsewhere", "health_worker"])
def test_anyone_else_gets_not_found(who, request, client, document):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))

    response = client.get(download_url(document))

    assert response.status_code == 404


def test_a_document_that_does_not_exist_is_not_found(client, resident_user):
    client.force_login(resident_user)

    assert client.get(reverse("cases:case_document", args=[999999])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, document):
    response = client.get(download_url(document))

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [download_url(document)]
