"""Residence registration at the window (浙江条例 art. 14): a caseworker registers, changes and deregisters a
resident's address from the resident's page in the console; and the console's audit timelines say what each
event changed (a permit's new year end, the courier, the registered community)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from cases import services as cases_services
from permits import services as permits_services
from permits.models import Permit
from residents import services
from residents.choices import AuditEventType
from residents.models import AuditEvent, ResidenceRegistration, Resident
from residents.templatetags.audit import audit_rows

from ..factories import CommunityFactory, street
from ..permits import (
    WINDOW,
    days_ago,
    permit_row,
    register,
    registered_long_enough,
    submitted_application,
    upload_permit_documents,
)
from .test_case_admin import _FormNesting

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

ADDRESS = "环城西路 18 号 2 幢 302 室"


@pytest.fixture
def registered(resident):  # type: ignore[no-untyped-def]
    """王芳, registered by herself 100 days ago at her community in 塔山街道."""
    return register(resident, since=days_ago(100))


def page_url(resident: Resident) -> str:
    return reverse("admin:residents_resident_change", args=[resident.pk])


def register_url(resident: Resident) -> str:
    return reverse("admin:residents_resident_residence_register", args=[resident.pk])


def end_url(registration: ResidenceRegistration) -> str:
    return reverse("admin:residents_resident_residence_end", args=[registration.resident_id, registration.pk])


def at_the_window(community, *, started_on: datetime.date | None = None, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the caseworker types into the registration form."""
    return {
        "community": str(community.pk) if community else "",
        "address": ADDRESS,
        "basis": "rented",
        "started_on": (started_on or days_ago(3)).isoformat(),
        **changes,
    }


def messages_of(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page as a caseworker reads it: no tags, spaces collapsed."""
    return " ".join(strip_tags(response.content.decode()).split())


def timeline_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The rows of the page's audit timeline, a row as "time event actor change… reason" in words."""
    html = response.content.decode()
    table = html[html.index('class="audit-timeline"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]  # the first is the heading
    return [" ".join(strip_tags(re.sub(r"</(td|div)>", " ", row)).split()) for row in rows]


def row_of(rows: list[str], event: str) -> str:
    [row] = [row for row in rows if f" {event} " in row]
    return row


def registrations_of(resident: Resident) -> list[ResidenceRegistration]:
    return list(ResidenceRegistration.objects.filter(resident=resident).order_by("started_on", "id"))


# --- registering, changing, deregistering -------------------------------------------------------------


def test_a_caseworker_registers_a_resident_of_their_street_at_the_window(console, resident, caseworker):
    response = console.post(register_url(resident), at_the_window(resident.community, started_on=days_ago(3)))

    assert response.status_code == 302
    assert response.url == page_url(resident)
    [registration] = registrations_of(resident)
    assert (registration.community, registration.address, registration.basis) == (resident.community, ADDRESS, "rented")
    assert registration.started_on == days_ago(3)
    assert registration.ended_on is None
    assert registration.registered_by == caseworker
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert "王芳" in text and ADDRESS in text
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENCE_REGISTERED, subject=resident)
    assert event.actor == caseworker


def test_the_resident_page_shows_the_current_registration_its_history_and_both_forms(console, registered):
    moved = services.residence_register(
        actor=registered.resident.user, resident=registered.resident, community=registered.community,
        address="解放北路 1 号", basis="employer", started_on=days_ago(20),
    )  # fmt: skip

    response = console.get(page_url(registered.resident))

    assert response.status_code == 200
    page = text_of(response)
    assert f"现登记住址：塔山街道 · {moved.community.name}，解放北路 1 号" in page
    assert f"连续居住自 {days_ago(100).isoformat()} 起" in page  # the move kept the stretch unbroken
    assert [r.pk for r in response.context["residence_history"]] == [moved.pk, registered.pk]
    assert f"{days_ago(100).isoformat()} {days_ago(20).isoformat()}" in page  # the old one, ended on the move
    assert "变更居住地址" in page and "注销居住登记" in page
    html = response.content.decode()
    assert f'action="{register_url(registered.resident)}"' in html
    assert f'action="{end_url(moved)}"' in html


def test_the_panels_inputs_and_buttons_post_their_own_forms_not_the_change_form(console, registered):
    # The panel sits inside the admin's read-only change form; a <form> there would be dropped by the browser.
    html = console.get(page_url(registered.resident)).content.decode()
    parser = _FormNesting()
    parser.feed(html)

    assert parser.nested[register_url(registered.resident)] == []
    assert parser.nested[end_url(registered)] == []
    assert {"residence-register-form", "residence-end-form"} <= parser.button_targets <= parser.ids
    for field in ("community", "address", "basis", "started_on"):
        assert f'name="{field}"' in html
    assert html.count('form="residence-register-form"') == 5  # four inputs and the button
    assert html.count('form="residence-end-form"') == 3  # two inputs and the button


def test_changing_the_address_keeps_the_history_and_ends_the_old_registration_on_the_moving_day(
    console, registered, caseworker
):
    new_community = CommunityFactory(parent=street("塔山街道"), name="府河社区")

    response = console.post(
        register_url(registered.resident),
        at_the_window(new_community, started_on=days_ago(5), address="府河街 8 号"),
    )

    assert response.status_code == 302
    old, new = registrations_of(registered.resident)
    assert old.pk == registered.pk
    assert (old.ended_on, old.end_reason) == (days_ago(5), "变更居住地址")
    assert (new.community, new.address, new.started_on, new.ended_on) == (
        new_community,
        "府河街 8 号",
        days_ago(5),
        None,
    )
    resident = Resident.objects.get(pk=registered.resident_id)
    assert (resident.community, resident.address) == (new_community, "府河街 8 号")


def test_a_caseworker_deregisters_the_current_registration(console, registered, caseworker):
    response = console.post(end_url(registered), {"ended_on": days_ago(1).isoformat(), "reason": "回老家"})

    assert response.status_code == 302
    assert response.url == page_url(registered.resident)
    registered.refresh_from_db()
    assert (registered.ended_on, registered.end_reason) == (days_ago(1), "回老家")
    assert messages_of(response) == [("success", f"已注销居住登记（离开日期 {days_ago(1).isoformat()}）。")]
    assert AuditEvent.objects.get(event_type=AuditEventType.RESIDENCE_ENDED).actor == caseworker
    page = console.get(page_url(registered.resident))
    assert "现在没有有效的居住登记。" in text_of(page)
    assert 'id="residence-end-form"' not in page.content.decode()


# --- refusals: a message, the form as typed, nothing saved ---------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"community": ""}, "请选择居住的社区（村）。"),
        ({"address": "  "}, "请填写详细居住地址，例如：某某路 12 号 3 幢 402 室。"),
        ({"basis": ""}, "请选择居住事由。"),
        ({"started_on": ""}, "请填写入住日期。"),
        (
            {"started_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
            "入住日期不能晚于今天；搬进去以后再登记。",
        ),
    ],
    ids=["no-community", "no-address", "no-basis", "no-date", "future-date"],
)
def test_bad_input_is_refused_with_the_services_message_and_nothing_is_saved(console, resident, typed, message):
    response = console.post(register_url(resident), {**at_the_window(resident.community), **typed})

    assert response.status_code == 200  # the page again, with what was typed
    assert messages_of(response) == [("error", message)]
    assert registrations_of(resident) == []
    assert not AuditEvent.objects.filter(event_type=AuditEventType.RESIDENCE_REGISTERED).exists()
    form = response.context["registration_form"]
    assert form.is_bound and form.errors
    if "address" not in typed:
        assert ADDRESS in response.content.decode()  # not to be typed again


def test_a_date_that_is_not_a_date_is_refused_by_the_form(console, resident):
    response = console.post(register_url(resident), at_the_window(resident.community) | {"started_on": "3月1日"})

    assert response.status_code == 200
    [(level, text)] = messages_of(response)
    assert level == "error" and text.startswith("入住日期：")
    assert registrations_of(resident) == []


def test_a_change_dated_before_the_current_registration_leaves_both_untouched(console, registered):
    response = console.post(
        register_url(registered.resident), at_the_window(registered.community, started_on=days_ago(200))
    )

    assert response.status_code == 200
    [(level, text)] = messages_of(response)
    assert level == "error" and days_ago(100).isoformat() in text
    assert registrations_of(registered.resident) == [registered]
    registered.refresh_from_db()
    assert registered.ended_on is None


@pytest.mark.parametrize(
    ("ended_on", "message"),
    [
        (None, "请填写离开日期。"),
        (timezone.localdate() + datetime.timedelta(days=1), "离开日期不能晚于今天。"),
        (days_ago(101), "离开日期不能早于入住日期。"),
    ],
    ids=["no-date", "future-date", "before-moving-in"],
)
def test_a_bad_deregistration_is_refused_and_the_registration_stays_current(console, registered, ended_on, message):
    response = console.post(end_url(registered), {"ended_on": ended_on.isoformat() if ended_on else "", "reason": ""})

    assert response.status_code == 200
    assert messages_of(response) == [("error", message)]
    registered.refresh_from_db()
    assert registered.ended_on is None
    assert not AuditEvent.objects.filter(event_type=AuditEventType.RESIDENCE_ENDED).exists()


def test_a_page_left_open_cannot_end_the_registration_made_since(console, registered):
    newer = register(registered.resident, since=days_ago(2))  # someone registered the move meanwhile

    response = console.post(end_url(registered), {"ended_on": days_ago(1).isoformat()})

    assert response.status_code == 200
    assert messages_of(response) == [("error", "这条居住登记已经注销。")]
    newer.refresh_from_db()
    assert newer.ended_on is None


def test_an_archived_residents_registration_is_refused_and_the_page_offers_no_form(console, registered, caseworker):
    services.resident_archive(actor=caseworker, resident=registered.resident, reason="已离开越城区")

    page = console.get(page_url(registered.resident))
    response = console.post(register_url(registered.resident), at_the_window(registered.community))

    assert "档案已归档，不能办理居住登记。" in text_of(page)
    assert 'id="residence-register-form"' not in page.content.decode()
    assert messages_of(response) == [("error", "该档案已归档，不能修改。")]
    assert registrations_of(registered.resident) == [registered]


# --- who may -------------------------------------------------------------------------------------------


def test_a_caseworker_of_another_street_finds_neither_the_page_nor_the_post_urls(
    client, caseworker_elsewhere, registered
):
    client.force_login(caseworker_elsewhere)
    resident = registered.resident

    assert client.get(page_url(resident)).status_code == 404
    assert client.post(register_url(resident), at_the_window(resident.community)).status_code == 404
    assert client.post(end_url(registered), {"ended_on": days_ago(1).isoformat()}).status_code == 404
    assert registrations_of(resident) == [registered]
    registered.refresh_from_db()
    assert registered.ended_on is None


def test_a_registration_of_another_resident_is_not_found_under_this_residents_url(console, registered, other_resident):
    other = register(other_resident, since=days_ago(50))
    url = reverse("admin:residents_resident_residence_end", args=[registered.resident_id, other.pk])

    assert console.post(url, {"ended_on": days_ago(1).isoformat()}).status_code == 404
    other.refresh_from_db()
    assert other.ended_on is None


def test_after_registering_a_move_to_another_street_the_caseworker_loses_sight_of_the_resident(
    console, client, registered, fushan_community, caseworker_elsewhere
):
    resident = registered.resident

    response = console.post(register_url(resident), at_the_window(fushan_community))

    assert response.status_code == 302
    assert response.url == reverse("admin:residents_resident_changelist")
    assert ("info", "王芳 已迁入府山街道，不在您负责的街道，今后由该街道办理。") in messages_of(response)
    assert console.get(page_url(resident)).status_code == 404
    [current] = [r for r in registrations_of(resident) if r.is_current]
    assert console.post(end_url(current), {"ended_on": days_ago(1).isoformat()}).status_code == 404
    client.force_login(caseworker_elsewhere)
    assert client.get(page_url(resident)).status_code == 200  # 府山's caseworker serves her now


def test_a_resident_cannot_reach_the_console(client, resident_user, registered):
    client.force_login(resident_user)
    login = reverse("admin:login")

    for response in (
        client.get(page_url(registered.resident)),
        client.post(register_url(registered.resident), at_the_window(registered.community)),
        client.post(end_url(registered), {"ended_on": days_ago(1).isoformat()}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(login)
    assert registrations_of(registered.resident) == [registered]
    registered.refresh_from_db()
    assert registered.ended_on is None


# --- the audit timelines say what changed ---------------------------------------------------------------


def test_the_permit_page_shows_what_an_endorsement_changed(console, resident):
    register(resident, since=days_ago(800))
    permit = permit_row(resident, issued_on=days_ago(360))
    year_end = permit.valid_until
    permits_services.permit_endorse(actor=resident.user, permit=permit)  # approved at once: she is registered
    permit.refresh_from_db()

    rows = timeline_of(console.get(reverse("admin:permits_permit_change", args=[permit.pk])))

    endorsed = row_of(rows, "居住证签注")
    assert f"有效期至：{year_end.isoformat()} → {permit.valid_until.isoformat()} 逾期签注：否" in endorsed


def test_a_late_endorsement_shows_the_restart_of_continuous_residence(console, resident):
    register(resident, since=days_ago(800))
    permit = permit_row(resident, issued_on=days_ago(400))  # its year ended 36 days ago
    permits_services.permit_endorse(actor=resident.user, permit=permit)

    rows = timeline_of(console.get(reverse("admin:permits_permit_change", args=[permit.pk])))

    endorsed = row_of(rows, "居住证签注")
    assert f"逾期签注：是 连续居住重新起算：{timezone.localdate().isoformat()}" in endorsed


def test_the_timelines_show_the_issue_the_dispatch_and_a_new_card(console, resident, caseworker):
    registered_long_enough(resident)
    case = cases_services.case_approve(actor=caseworker, case=submitted_application(resident))
    permits_services.permit_dispatch(
        actor=caseworker, case=case, courier="中国邮政 EMS", tracking_number="1186523409871"
    )
    permit = Permit.objects.get(holder=resident)
    replacement = permits_services.permit_replacement_start(actor=resident.user, permit=permit, reason="lost", **WINDOW)
    upload_permit_documents(replacement)
    cases_services.case_submit(actor=resident.user, case=replacement)
    cases_services.case_approve(actor=caseworker, case=replacement)
    permit.refresh_from_db()

    case_rows = timeline_of(console.get(reverse("admin:cases_case_change", args=[case.pk])))
    permit_rows = timeline_of(console.get(reverse("admin:permits_permit_change", args=[permit.pk])))

    assert any(row.endswith("已批准 → 已制证") for row in case_rows)  # a case's status reads as it always has
    dispatched = row_of(case_rows, "寄出或通知领取居住证")
    assert "领取方式：快递送达 快递公司：中国邮政 EMS 快递单号：1186523409871" in dispatched
    issued = row_of(permit_rows, "签发居住证")
    assert f"居住证号码：{permit.number} 居住证类型：就业类居住证 签发日期：" in issued
    assert f"有效期至：{permit.valid_until.isoformat()}" in issued
    assert f"证卡序号：{permit.card_serial} 补领原因：遗失" in row_of(permit_rows, "补领、换领居住证")


def test_the_resident_page_names_the_registered_community_and_the_reason_for_living_there(console, registered):
    rows = timeline_of(console.get(page_url(registered.resident)))

    assert row_of(rows, "居住登记").endswith(
        f"居住登记 resident 社区：{registered.community.name} 地址：{ADDRESS} 居住事由：租住房屋 "
        f"入住日期：{days_ago(100).isoformat()}"
    )


def test_the_resident_page_costs_the_same_queries_with_a_long_registration_history(console, registered):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert console.get(page_url(registered.resident)).status_code == 200
        return len(captured)

    before = queries()
    for days in (80, 60, 40, 20):
        register(registered.resident, since=days_ago(days), community=CommunityFactory(parent=street("塔山街道")))

    assert queries() == before


def test_a_key_the_console_does_not_know_still_shows_under_its_stored_name(registered):
    # Another app's service may record keys of its own: its change is shown, not silently dropped.
    event = AuditEvent.objects.create(
        subject=registered.resident, event_type=AuditEventType.RESIDENT_UPDATED,
        old_values={"shoe_size": 41}, new_values={"shoe_size": 42, "registration": 7},
    )  # fmt: skip

    [row] = audit_rows([event])

    assert [(change.label, change.old, change.new) for change in row.changes] == [("shoe_size", "41", "42")]
