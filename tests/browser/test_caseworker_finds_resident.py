"""A caseworker signs in to the console, finds a resident of their street and looks up the full ID number."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import Page, expect

from residents.choices import AuditEventType
from residents.models import AuditEvent
from tests.factories import PASSWORD, ResidentFactory, make_id_number

from .helpers import BROWSER_TEST

pytestmark = BROWSER_TEST


def test_caseworker_finds_resident_and_reveals_id_number(  # type: ignore[no-untyped-def]
    page: Page, live_server, settings, caseworker, tashan_community
):
    settings.STAFF_MFA_REQUIRED = False
    id_number = make_id_number(datetime.date(1985, 3, 20))
    resident = ResidentFactory(name="王芳", plain_id_number=id_number, community=tashan_community)
    ResidentFactory(name="赵强", community=tashan_community)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The console sends an anonymous visitor to the allauth login page, not Django's bare admin login.
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)admin(/|%2F)$"))
    form = page.locator("main form")
    form.locator("input[name=login]").fill(caseworker.email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    # The model row 居民 (the app's caption is also called 居民 and leads to the app index instead).
    page.get_by_role("rowheader", name="居民", exact=True).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/admin/residents/resident/$"))

    page.locator("#searchbar").fill("王")
    page.locator("#searchbar").press("Enter")
    results = page.locator("#result_list")
    expect(results).to_contain_text("王芳")
    expect(results).not_to_contain_text("赵强")
    expect(results).to_contain_text(f"{id_number[:4]}**********{id_number[-4:]}")
    assert id_number not in page.content()

    results.get_by_role("link", name="王芳").click()
    expect(page).to_have_url(re.compile(rf"/admin/residents/resident/{resident.pk}/change/(\?.*)?$"))
    expect(page.locator("#content")).to_contain_text(f"{id_number[:4]}**********{id_number[-4:]}")
    assert id_number not in page.content()
    assert not AuditEvent.objects.filter(event_type=AuditEventType.ID_NUMBER_REVEALED).exists()

    page.get_by_role("button", name="查看完整身份证号码").click()
    expect(page).to_have_url(re.compile(rf"/admin/residents/resident/{resident.pk}/reveal/$"))
    expect(page.locator("#revealed-id-number")).to_have_text(id_number)
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.ID_NUMBER_REVEALED, actor=caseworker, subject=resident
        ).count()
        == 1
    )
