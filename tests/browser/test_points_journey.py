"""Points from the calculator to the breakdown: anyone tries the public calculator; a permit holder signs in,
finds it filled in from their records, applies with one declared item (years of social insurance), uploads the
evidence and submits; a caseworker verifies each item in the console and completes the review; the resident
reads each decision, its reason and the points it gives."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from cases.choices import CaseStatus
from cases.models import Case
from points.models import PointsApplication
from tests.casework import PDF
from tests.factories import PASSWORD
from tests.points import scenes

from .helpers import BROWSER_TEST

pytestmark = BROWSER_TEST


def _log_in(page: Page, login: str) -> None:
    form = page.locator("main form")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def test_calculate_apply_verify_and_read_the_breakdown(  # type: ignore[no-untyped-def]
    page: Page, new_context, live_server, settings, caseworker, resident, resident_user
):
    settings.STAFF_MFA_REQUIRED = False
    scenes.open_round()
    scenes.permit_holder(resident, years=3, education="senior")

    # Someone not signed in tries the calculator: three years here, five years of social insurance
    visitor = new_context().new_page()
    visitor.goto(live_server.url + "/points/")
    visitor.locator("#to-calculator").click()
    expect(visitor).to_have_url(re.compile(r"/points/calculator/$"))
    visitor.get_by_label("连续居住年限（年）").fill("3")
    visitor.get_by_label("社会保险缴纳年限（年）").fill("5")
    visitor.get_by_role("button", name="计算").click()
    expect(visitor.locator("#result-h")).to_have_text("合计 21 分")
    expect(visitor.locator("#what-if-social_insurance_years")).to_have_text("再多 1 年：+3 分")
    expect(visitor.locator("#apply-sign-in")).to_be_visible()  # a round is open: sign in to apply

    # The permit holder signs in on their phone and finds the calculator filled in from their records
    phone = page
    phone.goto(live_server.url + "/accounts/login/")
    _log_in(phone, resident_user.email)
    expect(phone).to_have_url(re.compile(r"/me/$"))
    phone.goto(live_server.url + "/points/calculator/")
    expect(phone.locator("#prefilled")).to_contain_text("根据您的居住登记和签注记录")
    expect(phone.locator("#prefilled-residence_years")).to_contain_text("3 年")
    expect(phone.get_by_label("连续居住年限（年）")).to_have_value("3")
    expect(phone.get_by_label("文化程度")).to_have_value("senior")

    # … declares five years of social insurance, sees the score and applies with these answers
    phone.get_by_label("社会保险缴纳年限（年）").fill("5")
    phone.get_by_role("button", name="计算").click()
    expect(phone.locator("#item-social_insurance_years")).to_contain_text("15")
    expect(phone.locator("#apply-evidence")).to_contain_text("社会保险缴纳年限")
    phone.get_by_role("button", name="用这些信息申请积分").click()
    expect(phone).to_have_url(re.compile(r"/me/cases/JF\d{15}/$"))
    case = Case.objects.get(applicant=resident, case_type="points")
    expect(phone.locator("#case-status")).to_have_text("草稿")
    expect(phone.locator("#points-item-social_insurance_years")).to_contain_text("申报：5 年")

    # … photographs the social-insurance record and submits
    upload = {"name": "社保缴纳证明.pdf", "mimeType": "application/pdf", "buffer": PDF}
    phone.set_input_files("#file-evidence_social_insurance_years", files=[upload])
    phone.locator("form.upload").get_by_role("button", name="上传", exact=True).click()
    expect(phone.get_by_role("status")).to_contain_text("材料已上传。")
    phone.locator("#submit-case").click()
    expect(phone.get_by_role("status")).to_contain_text(f"申请已提交，受理编号 {case.reference}")
    expect(phone.locator("#case-status")).to_have_text("已受理")
    expect(phone.locator("#points-status-residence_years")).to_have_text("系统核算")
    expect(phone.locator("#points-status-social_insurance_years")).to_have_text("待核定")

    # The caseworker opens the application in the points review console and verifies each item with a reason
    console = new_context().new_page()
    console.set_viewport_size({"width": 1280, "height": 900})
    console.set_default_timeout(10_000)
    console.goto(live_server.url + "/admin/points/pointsapplication/")
    _log_in(console, caseworker.email)
    expect(console).to_have_url(re.compile(r"/admin/points/pointsapplication/$"))
    console.locator("#result_list").get_by_role("link", name=case.reference).click()
    expect(console.locator("#review-reference")).to_have_text(case.reference)
    expect(console.locator("#evidence-social_insurance_years")).to_contain_text("社保缴纳证明.pdf")
    pending = list(
        PointsApplication.objects.get(case=case).items.filter(status="pending").values_list("key", flat=True)
    )
    assert "social_insurance_years" in pending
    for key in pending:
        form = console.locator(f"#verify-form-{key}")
        form.locator(f"#id_{key}_decision_0").check()  # 属实
        form.locator(f"#id_{key}_reason").fill("与社保缴纳记录一致")
        form.locator(f"#verify-{key}").click()
        expect(console.locator(f"#status-{key}")).to_have_text("核定属实")

    # … the resident sees each decision as it is made, then the caseworker completes the review
    phone.reload()
    expect(phone.locator("#points-status-social_insurance_years")).to_have_text("核定属实")
    expect(phone.locator("#points-reason-social_insurance_years")).to_contain_text("与社保缴纳记录一致")
    console.locator("#complete-review").click()
    expect(console.locator("ul.messagelist")).to_contain_text("核定完成")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    total = scenes.total_of(case)
    assert total is not None

    # The resident reads the verified total and the breakdown, item by item
    phone.reload()
    expect(phone.locator("#case-status")).to_have_text("已批准")
    expect(phone.locator("#points-verified-total")).to_have_text(f"{total.normalize():f} 分")
    expect(phone.locator("#points-points-social_insurance_years")).to_have_text("15 分")
    expect(phone.locator("#points-item-social_insurance_years")).to_contain_text("5 年，每年 3 分")
    expect(phone.locator("#points-points-residence_years")).to_have_text("6 分")
    expect(phone.locator("#points-status-employment")).to_have_text("未申报")
    expect(phone.locator("#points-place-note")).to_contain_text("公示排名")

    # … and finds it again under 我的积分
    phone.goto(live_server.url + "/points/mine/")
    expect(phone.locator(f"#total-{case.pk}")).to_contain_text(f"{total.normalize():f} 分")
    expect(phone.locator(f"#status-{case.pk}")).to_have_text("已核定")
