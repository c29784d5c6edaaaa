"""A newcomer on a phone: signs up with a mobile number, confirms the SMS code, builds a profile, adds a child."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import Page, expect

from residents.models import Resident
from tests.factories import PASSWORD, make_id_number

from .helpers import BROWSER_TEST, sms_code

pytestmark = BROWSER_TEST

PHONE = "13912345678"  # typed as people say it; stored as E.164
PHONE_E164 = "+8613912345678"


def _sign_up(page: Page, base_url: str, sms_outbox) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("新居民公共服务清单")
    page.get_by_role("navigation").get_by_role("link", name="注册", exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    form = page.locator("main form")
    # A mobile number or an e-mail address, and a password twice; no user name.
    expect(form.locator("input[name=phone]")).to_be_visible()
    expect(form.locator("input[name=email]")).to_be_visible()
    expect(form.locator("input[name=password1]")).to_be_visible()
    expect(form.locator("input[name=password2]")).to_be_visible()
    expect(form.locator("input[name=username]")).to_have_count(0)

    form.locator("input[name=phone]").fill(PHONE)
    form.locator("input[name=password1]").fill(PASSWORD)
    form.locator("input[name=password2]").fill(PASSWORD)
    form.get_by_role("button", name="注册").click()

    # The phone is verified before anything else: the code arrives by SMS.
    expect(page).to_have_url(re.compile(r"/accounts/phone/verify/$"))
    page.locator("main form input[name=code]").fill(sms_code(sms_outbox, PHONE_E164))
    page.locator("main form").first.get_by_role("button", name="确认").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的")


def _fill_profile(page: Page, *, id_number: str, community_label: str) -> None:
    page.get_by_label("姓名").fill("陈秀英")
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_label("户籍地址").fill("河南省驻马店市平舆县东皇街道")
    page.get_by_label("文化程度").select_option(label="初中")
    page.get_by_label("现居社区").select_option(label=community_label)
    page.get_by_label("现居地址").fill("解放北路 88 号 2 幢 301 室")
    page.get_by_label("来越日期").fill("2024-03-01")
    page.get_by_role("button", name="保存").click()


def test_newcomer_signs_up_builds_profile_and_adds_child(page: Page, live_server, sms_outbox, tashan_community):  # type: ignore[no-untyped-def]
    _sign_up(page, live_server.url, sms_outbox)

    page.get_by_role("link", name="建立居民档案").first.click()
    expect(page).to_have_url(re.compile(r"/me/profile/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("建立居民档案")

    # A mistyped number (wrong check character) is refused with the reason, and nothing is saved.
    id_number = make_id_number(datetime.date(1992, 7, 15), male=False)
    wrong = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    community_label = f"塔山街道 · {tashan_community.name}"
    _fill_profile(page, id_number=wrong, community_label=community_label)
    expect(page.locator("#id_id_number-error")).to_have_text("身份证号码校验位不正确，请逐位核对，可能有一位输错。")
    expect(page).to_have_url(re.compile(r"/me/profile/$"))
    assert not Resident.objects.exists()

    _fill_profile(page, id_number=id_number, community_label=community_label)

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("status")).to_contain_text("居民档案已建立。")
    expect(page.locator("#my-name")).to_have_text("陈秀英")
    masked = f"{id_number[:4]}**********{id_number[-4:]}"
    expect(page.locator("#my-id-number")).to_have_text(masked)
    assert id_number not in page.content()
    facts = page.locator("dl.facts")
    # Gender, birth date and hukou province come from the ID number.
    expect(facts).to_contain_text("女")
    birth = datetime.datetime.strptime(id_number[6:14], "%Y%m%d").date()  # the factory may shift the day
    expect(facts).to_contain_text(f"{birth:%Y-%m-%d}")
    expect(facts).to_contain_text("河南")
    expect(facts).to_contain_text(tashan_community.name)
    expect(facts).to_contain_text("2024-03-01")
    resident = Resident.objects.get()
    assert (resident.name, resident.gender, resident.birth_date) == ("陈秀英", "female", birth)
    assert resident.user.phone == PHONE_E164

    # A child, with an ID number of their own.
    page.get_by_role("link", name="添加子女").click()
    expect(page).to_have_url(re.compile(r"/me/children/add/$"))
    child_id = make_id_number(datetime.date(2018, 9, 1))
    page.get_by_label("孩子姓名").fill("陈小明")
    page.get_by_label("您与孩子的关系").select_option(label="父母")
    page.get_by_label("孩子的身份证号码").fill(child_id)
    page.get_by_role("button", name="添加").click()

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("status")).to_contain_text("已添加子女。")
    children = page.locator("#children")
    expect(children).to_contain_text("陈小明")
    expect(children).to_contain_text("男")
    expect(children).to_contain_text(f"{child_id[6:10]}-{child_id[10:12]}-{child_id[12:14]}")
    assert child_id not in page.content()
    assert Resident.objects.filter(name="陈小明", guardian_links__guardian=resident).exists()

    # Signing out and back in with the number as typed, and the password.
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.get_by_role("navigation").get_by_role("link", name="登录", exact=True).click()
    form = page.locator("main form")
    form.locator("input[name=login]").fill(PHONE)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator("#my-name")).to_have_text("陈秀英")


def test_language_switches_to_english_from_the_footer(page: Page, live_server):  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    footer = page.locator("footer")
    footer.get_by_label("语言").select_option("en")
    footer.get_by_role("button", name="切换").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Django's own catalogue is translated whether or not the portal's English strings exist yet.
    page.goto(live_server.url + "/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main form input[name=password]")).to_have_attribute("placeholder", "Password")


def test_editing_the_profile_keeps_the_arrival_date(page: Page, live_server, resident, resident_user):  # type: ignore[no-untyped-def]
    resident.arrival_date = datetime.date(2024, 3, 1)
    resident.save(update_fields=["arrival_date"])
    page.goto(live_server.url + "/accounts/login/?next=/me/profile/")
    form = page.locator("main form")
    form.locator("input[name=login]").fill(resident_user.email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/profile/$"))

    # The resident only corrects the address and saves.
    page.get_by_label("现居地址").fill("解放北路 90 号")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(r"/me/$"))
    resident.refresh_from_db()
    assert resident.address == "解放北路 90 号"
    assert resident.arrival_date == datetime.date(2024, 3, 1)
