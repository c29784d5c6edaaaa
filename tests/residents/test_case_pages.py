"""The applicant's pages: /me/cases/ (own and children's cases) and /me/cases/<reference>/ (status,
checklist, the notice, the timeline, uploading, submitting, resubmitting and withdrawing)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.choices import CaseStatus
from cases.models import Case, CaseDocument

from ..casework import (
    EXE,
    PDF,
    bytes_upload,
    case_row,
    media_files,
    open_case,
    submitted_case,
)
from ..factories import ResidentFactory, guardian_link

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_case_type")]

CASES = "/me/cases/"


def page_of(case: Case, suffix: str = "") -> str:
    return f"/me/cases/{case.reference}/{suffix}"


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def section(page: str, element_id: str) -> str:
    """The text from the element with this id to the end of its <section>."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def browser(client, resident_user):  # type: ignore[no-untyped-def]
    """The applicant's browser, signed in."""
    client.force_login(resident_user)
    return client


@pytest.fixture
def child(resident):  # type: ignore[no-untyped-def]
    kid = ResidentFactory(name="王小明", user=None, birth_date=datetime.date(2016, 5, 1), community=resident.community)
    guardian_link(resident, kid)
    return kid


# --- the status page ----------------------------------------------------------------------------------


def test_the_status_page_shows_reference_status_checklist_and_timeline(browser, resident):
    case = submitted_case(resident)

    response = browser.get(page_of(case))

    assert response.status_code == 200
    page = html(response)
    assert case.reference in section(page, "status-h")
    assert "已受理" in section(page, "status-h")
    assert "办结时限" in page
    docs = section(page, "docs-h")
    for label in ("身份证", "住所证明", "照片"):
        assert label in docs
    assert "id_card.pdf" in docs and "address_proof.pdf" in docs
    timeline = section(page, "timeline-h")
    assert "您创建了申请" in timeline
    assert "您上传了材料《id_card.pdf》" in timeline
    assert "您：状态变为“已受理”" in timeline
    # A submitted case cannot be changed, only withdrawn
    assert 'id="submit-case"' not in page
    assert 'type="file"' not in page
    assert 'id="withdraw-case"' in page


def test_the_page_lists_what_the_notice_asks_for(browser, resident, caseworker):
    case = services.case_request_documents(
        actor=caseworker, case=submitted_case(resident), missing=["id_card", "photo"], note="照片需白底"
    )

    page = html(browser.get(page_of(case)))

    notice = section(page, "documents-notice")
    assert "身份证" in notice
    assert "照片" in notice
    assert "住所证明" not in notice
    assert "照片需白底" in notice
    assert "待补正材料" in page
    assert 'id="resubmit-case"' in page
    assert "工作人员：状态变为“待补正材料”" in section(page, "timeline-h")


def test_a_refused_case_shows_the_reason(browser, resident, caseworker):
    case = services.case_refuse(actor=caseworker, case=submitted_case(resident), reason="居住未满半年")

    page = html(browser.get(page_of(case)))

    assert "居住未满半年" in section(page, "status-h")
    assert 'id="withdraw-case"' not in page


def test_another_resident_gets_not_found_for_the_page_and_its_buttons(client, resident, other_resident, other_user):
    case = open_case(resident)
    client.force_login(other_user)

    assert client.get(page_of(case)).status_code == 404
    for suffix in ("submit/", "withdraw/", "resubmit/"):
        assert client.post(page_of(case, suffix)).status_code == 404
    response = client.post(page_of(case, "documents/"), {"kind": "id_card", "file": bytes_upload("a.pdf", PDF)})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT
    assert not CaseDocument.objects.exists()


def test_an_unknown_reference_is_not_found(browser):
    assert browser.get("/me/cases/DM000/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, resident):
    case = open_case(resident)

    response = client.get(page_of(case))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- uploading and the buttons ------------------------------------------------------------------------


def test_the_upload_form_posts_a_file(browser, resident):
    case = open_case(resident)

    response = browser.post(page_of(case, "documents/"), {"kind": "id_card", "file": bytes_upload("身份证.pdf", PDF)})

    assert response.status_code == 302
    assert response["Location"] == page_of(case)
    assert "材料已上传。" in flash(response)
    [document] = CaseDocument.objects.all()
    assert (document.kind, document.original_name) == ("id_card", "身份证.pdf")
    assert "身份证.pdf" in html(browser.get(page_of(case)))


def test_a_refused_upload_shows_why_and_stores_nothing(browser, resident):
    case = open_case(resident)

    response = browser.post(
        page_of(case, "documents/"), {"kind": "id_card", "file": bytes_upload("x.pdf", EXE)}, follow=True
    )

    assert "只能上传 PDF、JPG 或 PNG 文件" in html(response)
    assert not CaseDocument.objects.exists()
    assert media_files() == []


def test_an_upload_without_a_file_asks_for_one(browser, resident):
    case = open_case(resident)

    response = browser.post(page_of(case, "documents/"), {"kind": "id_card"}, follow=True)

    assert "请选择要上传的文件。" in html(response)
    assert not CaseDocument.objects.exists()


def test_the_submit_button_submits_and_gives_the_reference(browser, resident, resident_user):
    case = open_case(resident)
    page = html(browser.get(page_of(case)))
    assert 'id="submit-case"' in page
    for kind in ("id_card", "address_proof"):
        browser.post(page_of(case, "documents/"), {"kind": kind, "file": bytes_upload(f"{kind}.pdf", PDF)})

    response = browser.post(page_of(case, "submit/"), follow=True)

    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    assert f"申请已提交，受理编号 {case.reference}。" in html(response)


def test_submitting_without_the_documents_says_what_is_missing(browser, resident):
    case = open_case(resident)

    response = browser.post(page_of(case, "submit/"), follow=True)

    assert "还缺少以下材料：身份证、住所证明。" in html(response)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_the_resubmit_button_sends_the_missing_documents_back(browser, resident, caseworker):
    case = services.case_request_documents(actor=caseworker, case=submitted_case(resident), missing=["photo"])

    too_soon = browser.post(page_of(case, "resubmit/"), follow=True)
    assert "还缺少以下补正材料：照片。" in html(too_soon)

    browser.post(page_of(case, "documents/"), {"kind": "photo", "file": bytes_upload("photo.pdf", PDF)})
    response = browser.post(page_of(case, "resubmit/"), follow=True)

    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESUBMITTED
    assert f"补正材料已提交，受理编号 {case.reference}。" in html(response)


def test_the_withdraw_button_withdraws_with_the_reason(browser, resident):
    case = submitted_case(resident)

    response = browser.post(page_of(case, "withdraw/"), {"reason": "已回老家"}, follow=True)

    case.refresh_from_db()
    assert (case.status, case.decision_reason) == (CaseStatus.WITHDRAWN, "已回老家")
    assert "申请已撤回。" in html(response)


def test_withdrawing_a_decided_case_explains_why_not(browser, resident, caseworker):
    case = services.case_approve(actor=caseworker, case=submitted_case(resident))

    response = browser.post(page_of(case, "withdraw/"), follow=True)

    assert "不能改为“已撤回”" in html(response)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_the_buttons_answer_only_to_post(browser, resident):
    case = open_case(resident)

    for suffix in ("submit/", "resubmit/", "withdraw/", "documents/"):
        assert browser.get(page_of(case, suffix)).status_code == 405


def test_a_guardian_uses_the_childs_page(browser, child, resident_user):
    case = open_case(child, actor=resident_user)
    for kind in ("id_card", "address_proof"):
        browser.post(page_of(case, "documents/"), {"kind": kind, "file": bytes_upload(f"{kind}.pdf", PDF)})

    browser.post(page_of(case, "submit/"))

    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    assert "王小明" in html(browser.get(page_of(case)))


# --- the list -----------------------------------------------------------------------------------------


def test_the_list_shows_own_and_childrens_cases_only(
    browser, resident, resident_user, child, other_resident, caseworker
):
    own = submitted_case(resident)
    childs = open_case(child, actor=resident_user)
    others = open_case(other_resident)

    response = browser.get(CASES)

    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [childs.pk, own.pk]
    assert others.reference not in html(response)


def test_a_caseworkers_own_list_holds_no_cases_of_their_street(client, resident, caseworker):
    submitted_case(resident)
    client.force_login(caseworker)

    response = client.get(CASES)

    assert list(response.context["cases"]) == []
    assert "您还没有申请" in html(response)


def test_the_list_costs_the_same_for_3_or_20_cases(browser, resident, resident_user, django_assert_num_queries):
    for _ in range(3):
        case_row(resident)
    with CaptureQueriesContext(connection) as few:
        assert len(browser.get(CASES).context["cases"]) == 3

    for _ in range(17):
        case_row(resident)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(browser.get(CASES).context["cases"]) == 20
