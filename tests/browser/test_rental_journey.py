"""人来申报、人走注销 from a phone: the landlord registers a property and opens its QR poster; a tenant follows the
QR link and declares; the landlord confirms with one tap; the tenant's 我的 page shows the residence registration;
the landlord reports the move-out and the registration ends."""

from __future__ import annotations

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from housing import services
from housing.models import Property, Tenancy
from residents import selectors
from tests.casework import PDF
from tests.factories import PASSWORD, UserFactory

from .helpers import BROWSER_TEST

pytestmark = BROWSER_TEST

ADDRESS = "环山路 66 号 3 幢 502 室"


def _log_in(page: Page, login: str) -> None:
    form = page.locator("main form")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def test_a_landlord_and_a_tenant_report_a_tenancy_in_and_out(  # type: ignore[no-untyped-def]
    page: Page, new_context, live_server, caseworker, resident, resident_user, tashan_community
):
    landlord_user = UserFactory(username="landlord_chen", email="chen@example.cn")

    # The landlord registers the property from their phone, with a photo of the property certificate
    landlord = page
    landlord.goto(live_server.url + "/housing/properties/")
    _log_in(landlord, landlord_user.email)
    expect(landlord).to_have_url(re.compile(r"/housing/properties/$"))
    landlord.locator("#property-new").click()
    landlord.get_by_label("房屋地址").fill(ADDRESS)
    landlord.get_by_label("所在社区（村）").select_option(label=f"塔山街道 · {tashan_community.name}")
    landlord.get_by_label("房间数").fill("3")
    landlord.get_by_label("建筑面积（平方米）").fill("86.5")
    landlord.get_by_label("最多可住几人").fill("4")
    landlord.get_by_label("产权人").fill("陈伟民")
    landlord.get_by_label("产权证明").set_input_files(
        files=[{"name": "不动产权证书.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    landlord.get_by_role("button", name=re.compile("提交|登记")).last.click()
    expect(landlord.locator("#property-address")).to_have_text(ADDRESS)
    expect(landlord.locator("#property-status")).to_contain_text("待核验")
    prop = Property.objects.get(owner=landlord_user)

    # The street's caseworker verifies it (the console has its own tests); the poster opens
    services.property_verify(actor=caseworker, prop=prop)
    landlord.reload()
    expect(landlord.locator("#property-status")).to_contain_text("已核验")
    landlord.locator("#poster-link").click()
    expect(landlord.locator("#poster-address")).to_have_text(ADDRESS)
    expect(landlord.locator("#poster-qr svg")).to_be_visible()

    # The tenant scans it: the QR code holds the declaration link (read from the service, a camera is not here)
    tenant = new_context().new_page()
    tenant.set_default_timeout(10_000)
    tenant.goto(live_server.url + f"/housing/declare/{services.property_qr_token(prop)}/")
    _log_in(tenant, resident_user.email)
    expect(tenant.locator("#declare-property")).to_contain_text(ADDRESS)
    tenant.get_by_label("入住日期").fill(timezone.localdate().isoformat())
    tenant.locator("#declare-submit").click()
    expect(tenant.locator("#declared")).to_contain_text("房东")
    tenancy = Tenancy.objects.get(property=prop, tenant=resident)

    # The landlord confirms with one tap
    landlord.goto(live_server.url + f"/housing/properties/{prop.pk}/")
    expect(landlord.locator(f"#declaration-{tenancy.pk}")).to_contain_text("王芳")
    landlord.locator(f"#confirm-{tenancy.pk}").click()
    expect(landlord.locator(f"#tenancy-{tenancy.pk}")).to_contain_text("王芳")
    expect(landlord.locator("#occupancy")).to_contain_text("1 / 4")

    # The tenant's 我的 page shows the residence registration at the property
    tenant.goto(live_server.url + "/me/")
    registration = tenant.locator("section[aria-labelledby=residence-h]")
    expect(registration).to_contain_text(f"塔山街道 · {tashan_community.name} · {ADDRESS}")

    # The tenant leaves; the landlord reports the move-out, which ends the registration
    landlord.locator(f"#tenancy-{tenancy.pk}").get_by_text("已搬走？办理人走注销").click()
    landlord.locator(f"#move-out-{tenancy.pk}").click()
    expect(landlord.locator(f"#tenancy-{tenancy.pk}")).to_have_count(0)
    expect(landlord.locator("#occupancy")).to_contain_text("0 / 4")
    assert selectors.residence_current(resident=resident) is None
    tenant.reload()
    expect(registration).not_to_contain_text(ADDRESS)
    expect(registration).to_contain_text("还没有办理居住登记")
