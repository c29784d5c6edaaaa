"""A school place from the application to the confirmation: a parent holding a residence permit finds 随迁子女入学
under 我的, applies for her daughter and ranks two schools, uploads the four documents and submits; a caseworker
approves the documents in the console; when the calendar reaches the allocation day the administrator runs the
allocation from the console and publishes the cut-offs; the parent reads the result with its reason, confirms the
seat, and finds the published cut-off on the public page.

The round's calendar is built around today (the live server answers from another thread, so the clock is not
moved): applications are open when the parent applies, and the test then moves the round's days so that today is
the allocation day, as an administrator may while a round is open.

Set YUEAN_SCREENSHOTS to a directory to keep a 390 px and a 1280 px screenshot of every page along the way.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.choices import CaseStatus
from cases.models import Case
from education.choices import ResultStatus, RoundStatus
from education.models import EnrolmentResult, EnrolmentRound
from tests.casework import PDF
from tests.education.factories import enrolment_round, family, school
from tests.factories import PASSWORD, years_ago

from .helpers import BROWSER_TEST

pytestmark = BROWSER_TEST

DOCUMENTS = ("birth_certificate", "guardian_residence_permit", "address_proof", "vaccination_certificate")
DAY = datetime.timedelta(days=1)


def _log_in(page: Page, login: str) -> None:
    form = page.locator("main form")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def _shot(page: Page, name: str) -> None:
    """Keep the page at a phone's and a desk's width when YUEAN_SCREENSHOTS names a directory."""
    directory = os.environ.get("YUEAN_SCREENSHOTS")
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 390, "height": 844}
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{directory}/enrolment-{name}-{width}.png", full_page=True)
        # … and screen by screen, to read a long page at its real size.
        height = page.evaluate("document.documentElement.scrollHeight")
        for n, top in enumerate(range(0, height, 900)):
            clip = {"x": 0, "y": top, "width": width, "height": min(900, height - top)}
            page.screenshot(path=f"{directory}/enrolment-{name}-{width}-{n}.png", full_page=True, clip=clip)
    page.set_viewport_size(size)


def _round_taking_applications(tashan, chengnan, born: datetime.date) -> EnrolmentRound:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return enrolment_round(
        seats={tashan: 2, chengnan: 1},
        born_on_or_after=born - datetime.timedelta(days=180), born_on_or_before=born + datetime.timedelta(days=180),
        applications_open_on=today - 3 * DAY, applications_close_on=today + 7 * DAY,
        documents_check_end_on=today + 10 * DAY, objections_end_on=today + 12 * DAY,
        preferences_close_on=today + 14 * DAY, allocation_on=today + 20 * DAY, confirmation_end_on=today + 30 * DAY,
    )  # fmt: skip


def _calendar_reaches_the_allocation_day(enrolment_round: EnrolmentRound) -> None:
    today = timezone.localdate()
    EnrolmentRound.objects.filter(pk=enrolment_round.pk).update(
        applications_open_on=today - 20 * DAY, applications_close_on=today - 10 * DAY,
        documents_check_end_on=today - 5 * DAY, objections_end_on=today - 3 * DAY,
        preferences_close_on=today - DAY, allocation_on=today, confirmation_end_on=today + 10 * DAY,
    )  # fmt: skip


def _run_action(console: Page, enrolment_round: EnrolmentRound, label: str) -> None:
    console.locator(f"input[name=_selected_action][value='{enrolment_round.pk}']").check()
    console.locator("select[name=action]").select_option(label=label)
    console.locator("button[name=index]").click()


def test_apply_rank_check_allocate_and_confirm_a_school_place(  # type: ignore[no-untyped-def]
    page: Page, new_context, live_server, settings, caseworker, administrator, tashan_community
):
    settings.STAFF_MFA_REQUIRED = False
    guardian, child = family("王芳", tashan_community, child_name="王小雨", born=years_ago(6))
    tashan = school("塔山小学", "塔山街道", catchment=(tashan_community,))
    chengnan = school("城南小学", "城南街道")
    enrolment_round = _round_taking_applications(tashan, chengnan, child.birth_date)

    # The parent signs in on her phone and finds school enrolment under 我的
    phone = page
    phone.goto(live_server.url + "/accounts/login/")
    _log_in(phone, guardian.user.email)
    expect(phone).to_have_url(re.compile(r"/me/$"))
    phone.locator("#my-enrolment-link").click()
    expect(phone).to_have_url(re.compile(r"/education/$"))
    expect(phone.locator(f"#phase-{enrolment_round.pk}-applications")).to_have_class("phase-now")
    expect(phone.locator(f"#school-{enrolment_round.pk}-{tashan.pk}")).to_contain_text("2 个学位")
    expect(phone.locator(f"#tier-{enrolment_round.pk}-{tashan.pk}")).to_have_text("您家：学区内")
    expect(phone.locator("#rule")).to_contain_text("如实填报志愿对您最有利")
    _shot(phone, "home")

    # … applies for her daughter, ranking 塔山 first and 城南 second
    phone.locator(f"#apply-{enrolment_round.pk}-{child.pk}").click()
    expect(phone).to_have_url(re.compile(r"/education/apply/\?"))
    expect(phone.get_by_label("王小雨")).to_be_checked()
    phone.get_by_label("第 1 志愿").select_option(label="塔山小学 · 学区内")
    phone.get_by_label("第 2 志愿").select_option(label="塔山小学 · 学区内")  # a slip of the thumb
    phone.locator("#start-application").click()
    expect(phone.locator("#form-errors")).to_contain_text("同一所学校只能填一次：塔山小学")
    assert not Case.objects.filter(applicant=child).exists()
    _shot(phone, "apply-error")
    phone.get_by_label("第 2 志愿").select_option(label="城南小学")
    _shot(phone, "apply")
    phone.locator("#start-application").click()
    expect(phone).to_have_url(re.compile(r"/me/cases/RX\d{15}/$"))
    case = Case.objects.get(applicant=child, case_type="school_enrolment")
    expect(phone.locator("#case-status")).to_have_text("草稿")
    expect(phone.locator("#enrolment-preferences")).to_contain_text("塔山小学")
    expect(phone.locator("#enrolment-preferences li").nth(1)).to_have_text("城南小学")

    # … thinks again about the order on the preferences page, and keeps it
    phone.locator("#change-preferences").click()
    expect(phone).to_have_url(re.compile(rf"/education/applications/{case.reference}/preferences/$"))
    expect(phone.get_by_label("第 1 志愿")).to_have_value(str(tashan.pk))
    _shot(phone, "preferences")
    phone.locator("#save-preferences").click()
    expect(phone.get_by_role("status")).to_contain_text("志愿已保存")

    # … photographs the four documents and submits
    for kind in DOCUMENTS:
        upload = {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        phone.set_input_files(f"#file-{kind}", files=[upload])
        upload_form = phone.locator("form.upload").filter(has=phone.locator(f"#file-{kind}"))
        upload_form.get_by_role("button", name="上传", exact=True).click()
        expect(phone.get_by_role("status")).to_contain_text("材料已上传。")
    _shot(phone, "case-draft")
    phone.locator("#submit-case").click()
    expect(phone.get_by_role("status")).to_contain_text(f"申请已提交，受理编号 {case.reference}")
    expect(phone.locator("#case-status")).to_have_text("已受理")

    # The caseworker finds it among the enrolment applications and approves the documents
    console = new_context().new_page()
    console.set_viewport_size({"width": 1280, "height": 900})
    console.set_default_timeout(10_000)
    console.goto(live_server.url + "/admin/education/enrolmentapplication/")
    _log_in(console, caseworker.email)
    expect(console).to_have_url(re.compile(r"/admin/education/enrolmentapplication/$"))
    expect(console.locator("#result_list")).to_contain_text("1. 塔山小学；2. 城南小学")
    console.locator("#result_list").get_by_role("link", name=case.reference).click()
    expect(console).to_have_url(re.compile(rf"/admin/residents/case/{case.pk}/change/$"))
    console.get_by_role("button", name="批准", exact=True).click()
    expect(console.locator("ul.messagelist")).to_contain_text("已批准")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED

    # The calendar reaches the allocation day; the administrator runs the allocation and publishes the cut-offs
    _calendar_reaches_the_allocation_day(enrolment_round)
    office = new_context().new_page()
    office.set_viewport_size({"width": 1280, "height": 900})
    office.set_default_timeout(10_000)
    office.goto(live_server.url + "/admin/education/enrolmentround/")
    _log_in(office, administrator.email)
    expect(office).to_have_url(re.compile(r"/admin/education/enrolmentround/$"))
    _run_action(office, enrolment_round, "正式分配学位")
    expect(office.locator("ul.messagelist")).to_contain_text("正式分配完成：1 人参加，1 人录取")
    _run_action(office, enrolment_round, "公布录取线")
    expect(office.locator("ul.messagelist")).to_contain_text("已公布各校录取线")
    enrolment_round.refresh_from_db()
    assert enrolment_round.status == RoundStatus.PUBLISHED

    # The parent reads the result and its reason on the case page, and confirms within the window
    phone.reload()
    expect(phone.locator("#enrolment-result-status")).to_have_text("已录取，待确认")
    expect(phone.locator("#enrolment-school")).to_have_text("塔山小学")
    expect(phone.locator("#enrolment-reason")).to_contain_text("录取到您的第一志愿 塔山小学")
    expect(phone.locator("#decline-offer-box")).to_contain_text("放弃后该学位将进入补录")
    _shot(phone, "case-offered")
    phone.locator("#confirm-offer").click()
    expect(phone.get_by_role("status")).to_contain_text("已确认入学：塔山小学")
    expect(phone.locator("#enrolment-result-status")).to_have_text("已确认入学")
    expect(phone.locator("#confirm-offer")).to_have_count(0)
    assert EnrolmentResult.objects.get(pk=case.pk).status == ResultStatus.CONFIRMED
    _shot(phone, "case-confirmed")

    # … and finds the published cut-offs and the lottery seed on the public page
    phone.locator("#enrolment-cutoffs-link").click()
    expect(phone).to_have_url(re.compile(rf"/education/#round-{enrolment_round.pk}$"))
    expect(phone.locator(f"#cutoff-{enrolment_round.pk}-{tashan.pk}")).to_contain_text("录取 1 人")
    expect(phone.locator(f"#cutoffs-note-{enrolment_round.pk}")).to_contain_text(enrolment_round.seed)
    expect(phone.locator(f"#child-{enrolment_round.pk}-{child.pk}")).to_contain_text("已确认入学")
    _shot(phone, "home-published")
