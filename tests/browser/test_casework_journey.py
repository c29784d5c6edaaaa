"""A case from notice to approval: the caseworker sends the one-time missing-documents notice from the
console, the resident reads it in the inbox, uploads the files and resubmits, and the caseworker approves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cases.choices import CaseStatus
from cases.models import Case
from tests.casework import PDF, submitted_case
from tests.factories import PASSWORD

from .helpers import BROWSER_TEST

pytestmark = [*BROWSER_TEST, pytest.mark.usefixtures("demo_case_type")]


def _log_in(page: Page, url: str, login: str) -> None:
    """Through the allauth login page, as everyone (staff included) signs in."""
    form = page.locator("main form")
    expect(form.locator("input[name=login]")).to_be_visible()
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    del url


def test_a_notice_answered_and_approved(  # type: ignore[no-untyped-def]
    page: Page, new_context, live_server, settings, caseworker, resident, resident_user
):
    settings.STAFF_MFA_REQUIRED = False
    case = submitted_case(resident)
    console = page
    console.set_viewport_size({"width": 1280, "height": 900})

    # The caseworker signs in to the console and opens the case from the 申请 queue
    console.goto(live_server.url + "/admin/")
    expect(console).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)admin(/|%2F)$"))
    _log_in(console, live_server.url, caseworker.email)
    expect(console).to_have_url(re.compile(r"/admin/$"))
    console.get_by_role("rowheader", name="申请", exact=True).get_by_role("link").first.click()
    expect(console).to_have_url(re.compile(r"/admin/residents/case/$"))
    expect(console.locator("#result_list")).to_contain_text("王芳")
    console.locator("#result_list").get_by_role("link", name=case.reference).click()
    expect(console).to_have_url(re.compile(rf"/admin/residents/case/{case.pk}/change/$"))

    # … ticks the two documents that are missing and sends the one notice
    notice_form = console.locator("#request-documents-form")
    notice_form.get_by_label("身份证").check()
    notice_form.get_by_label("照片").check()
    notice_form.get_by_role("button", name="发送补正通知").click()
    expect(console.locator("ul.messagelist")).to_contain_text("补正通知已发送")
    expect(console.locator("#request-documents-form")).to_have_count(0)  # once only
    case.refresh_from_db()
    assert (case.status, case.missing_documents) == (CaseStatus.NEEDS_DOCUMENTS, ["id_card", "photo"])

    # The resident, on their phone, signs in and finds the notice among their messages
    phone = new_context().new_page()
    phone.set_default_timeout(10_000)
    phone.goto(live_server.url + "/accounts/login/")
    _log_in(phone, live_server.url, resident_user.email)
    expect(phone).to_have_url(re.compile(r"/me/$"))
    phone.get_by_role("navigation").get_by_role("link", name=re.compile("^消息")).click()
    expect(phone).to_have_url(re.compile(r"/me/inbox/$"))
    notice = phone.locator("#inbox li").first
    expect(notice).to_contain_text("请补正申请材料")
    expect(notice).to_contain_text("身份证、照片")

    # … opens the case, uploads both files, and resubmits
    notice.get_by_role("button", name="查看详情").click()
    expect(phone).to_have_url(re.compile(rf"/me/cases/{case.reference}/$"))
    expect(phone.locator("#documents-notice")).to_contain_text("身份证")
    expect(phone.locator("#documents-notice")).to_contain_text("照片")
    for kind, name in (("id_card", "身份证-新.pdf"), ("photo", "照片.pdf")):
        phone.set_input_files(f"#file-{kind}", files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}])
        upload_form = phone.locator("form.upload").filter(has=phone.locator(f"#file-{kind}"))
        upload_form.get_by_role("button", name="上传", exact=True).click()
        expect(phone.get_by_role("status")).to_contain_text("材料已上传。")
        expect(phone.locator("section[aria-labelledby=docs-h]")).to_contain_text(name)
    phone.get_by_role("button", name="提交补正材料").click()
    expect(phone.get_by_role("status")).to_contain_text(f"补正材料已提交，受理编号 {case.reference}。")
    expect(phone.locator("#case-status")).to_have_text("已补正")

    # The caseworker approves
    console.reload()
    console.get_by_role("button", name="批准", exact=True).click()
    expect(console.locator("ul.messagelist")).to_contain_text("已批准，申请人会收到通知。")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED

    # The resident hears of it in the inbox
    phone.get_by_role("navigation").get_by_role("link", name=re.compile("^消息")).click()
    expect(phone.locator("#inbox li").first).to_contain_text("申请已批准")
    expect(phone.locator("#inbox li").first).to_contain_text(case.reference)
    assert Case.objects.get(pk=case.pk).documents.filter(kind__in=["id_card", "photo"]).count() == 3
