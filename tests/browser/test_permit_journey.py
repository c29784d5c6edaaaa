"""A residence permit from registration to the scan of its QR code: the migrant registers where they live,
applies with express delivery from their phone, the caseworker approves and enters the courier's tracking
number, the migrant opens the electronic permit, and anyone scanning it reads "valid" and a masked name."""

from __future__ import annotations

import re

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.choices import CaseStatus
from cases.models import Case
from permits.models import Permit
from tests.casework import PDF
from tests.factories import PASSWORD

from .helpers import BROWSER_TEST

pytestmark = BROWSER_TEST

REQUIRED_DOCUMENTS = ("id_card", "photo", "address_proof", "employment_proof")  # the employment type's checklist


def _log_in(page: Page, login: str) -> None:
    form = page.locator("main form")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def test_register_apply_approve_send_and_verify_a_permit(  # type: ignore[no-untyped-def]
    page: Page, new_context, live_server, settings, caseworker, resident, resident_user, tashan_community
):
    settings.STAFF_MFA_REQUIRED = False
    moved_in = timezone.localdate() - relativedelta(months=7)

    # The migrant signs in on their phone and registers where they have lived for seven months
    phone = page
    phone.goto(live_server.url + "/accounts/login/")
    _log_in(phone, resident_user.email)
    expect(phone).to_have_url(re.compile(r"/me/$"))
    phone.goto(live_server.url + "/me/residence/")
    phone.get_by_label("居住社区").select_option(label=f"塔山街道 · {tashan_community.name}")
    phone.get_by_label("详细地址").fill("环城西路 18 号 2 幢 302 室")
    phone.get_by_label("居住事由").select_option(label="租住房屋")
    phone.get_by_label("入住日期").fill(moved_in.isoformat())
    phone.locator("#register-residence").click()
    expect(phone.get_by_role("status")).to_contain_text("居住登记已办理")
    expect(phone.locator("#current-registration")).to_contain_text("环城西路 18 号 2 幢 302 室")

    # … learns that half a year has passed and applies, for delivery by express
    phone.locator("#permit-link").click()
    expect(phone).to_have_url(re.compile(r"/me/permit/$"))
    expect(phone.locator("main")).to_contain_text("现在可以申领")
    phone.locator(f"#apply-{resident.pk}").click()
    expect(phone).to_have_url(re.compile(r"/me/permit/apply/"))
    phone.get_by_label("就业类居住证").check()
    phone.get_by_label("快递送达").check()
    phone.get_by_label("收件人", exact=True).fill("王芳")
    phone.get_by_label("收件人手机号").fill("13800138000")
    phone.get_by_label("收件地址").fill("越城区环城西路 18 号 2 幢 302 室")
    phone.locator("#start-application").click()
    expect(phone).to_have_url(re.compile(r"/me/cases/JZ\d{15}/$"))
    case = Case.objects.get(applicant=resident, case_type="permit")

    # … photographs the checklist's documents, checks the answers and submits
    for kind in REQUIRED_DOCUMENTS:
        upload = {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        phone.set_input_files(f"#file-{kind}", files=[upload])
        upload_form = phone.locator("form.upload").filter(has=phone.locator(f"#file-{kind}"))
        upload_form.get_by_role("button", name="上传", exact=True).click()
        expect(phone.get_by_role("status")).to_contain_text("材料已上传。")
    expect(phone.locator("#permit-application")).to_contain_text("检查并提交")
    expect(phone.locator("#answer-delivery")).to_contain_text("快递送达")
    expect(phone.locator("#answer-address")).to_contain_text("越城区环城西路 18 号 2 幢 302 室")
    phone.locator("#submit-case").click()
    expect(phone.get_by_role("status")).to_contain_text(f"申请已提交，受理编号 {case.reference}")
    expect(phone.locator("#case-status")).to_have_text("已受理")

    # The caseworker opens the case in the console and approves it, which issues the permit
    console = new_context().new_page()
    console.set_viewport_size({"width": 1280, "height": 900})
    console.set_default_timeout(10_000)
    console.goto(live_server.url + "/admin/residents/case/")
    _log_in(console, caseworker.email)
    expect(console).to_have_url(re.compile(r"/admin/residents/case/$"))
    console.locator("#result_list").get_by_role("link", name=case.reference).click()
    expect(console.locator("#permit-application")).to_contain_text("快递送达")
    console.locator("#approve-case").click()
    expect(console.locator("ul.messagelist")).to_contain_text("已批准")
    permit = Permit.objects.get(holder=resident)
    expect(console.locator("#permit-link")).to_have_text(permit.number)

    # … hands the card to the courier and enters the tracking number
    dispatch = console.locator("#dispatch-form")
    dispatch.get_by_label("快递公司").fill("中国邮政 EMS")
    dispatch.get_by_label("快递单号").fill("1187654321098")
    dispatch.get_by_role("button", name="制证并寄出").click()
    expect(console.locator("ul.messagelist")).not_to_have_count(0)
    case.refresh_from_db()
    assert case.status == CaseStatus.ISSUED
    expect(console.locator("#permit-application")).to_contain_text("1187654321098")

    # The migrant follows it: the tracking number on the case page, then "delivered" once the courier is done
    phone.reload()
    expect(phone.locator("#case-status")).to_have_text("已制证")
    expect(phone.locator("#tracking-number")).to_have_text("1187654321098")
    console.locator("#deliver-form").get_by_role("button", name="确认已送达").click()
    expect(console.locator("ul.messagelist")).not_to_have_count(0)
    phone.reload()
    expect(phone.locator("#case-status")).to_have_text("已送达")

    # … and opens the electronic permit with its QR code
    phone.goto(live_server.url + "/me/permit/")
    phone.get_by_role("link", name=re.compile("电子居住证")).first.click()
    expect(phone).to_have_url(re.compile(rf"/me/permits/{permit.number}/$"))
    expect(phone.locator("#permit-number")).to_have_text(permit.number)
    expect(phone.locator("#permit-status")).to_contain_text("有效")
    qr = phone.request.get(phone.locator("#permit-qr").get_attribute("src") or "")
    assert qr.ok and qr.headers["content-type"].startswith("image/svg+xml")

    # Someone scanning the code, signed in or not, reads only that it is valid and a masked name
    scanner = new_context().new_page()
    scanner.goto(live_server.url + f"/verify/{permit.verify_token}/")
    expect(scanner.locator("main")).to_contain_text("有效")
    expect(scanner.locator("main")).to_contain_text("王*")
    for secret in (permit.number, "王芳", resident.id_number_masked):
        expect(scanner.locator("body")).not_to_contain_text(secret)
