"""The caseworker console for residence permits: the permit panel and its buttons on a permit case's page
(make and send the card, or call the applicant to the window; confirm receipt), the endorsement panel, the
read-only permit list with its filters and search, the permit page, and the demo data that shows it all."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases import selectors as cases_selectors
from cases import services as cases_services
from cases.choices import CaseStatus
from cases.models import Case
from notifications.models import Notification
from permits import selectors as permits_selectors
from permits import services as permits_services
from permits.choices import DeliveryMethod
from permits.models import Permit, PermitApplication
from permits.selectors import endorsement_window_open_for
from residents.models import AuditEvent, Resident
from residents.pii import id_number_check_character, id_number_validate

from ..factories import ResidentFactory, caseworker_for, make_id_number, street
from ..permits import WINDOW, days_ago, permit_row, register, registered_long_enough, submitted_application
from .test_case_admin import _FormNesting

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

PERMITS = "/admin/residents/permit/"


@pytest.fixture
def application(resident):  # type: ignore[no-untyped-def]
    """王芳's permit application, delivery by express, submitted."""
    registered_long_enough(resident)
    return submitted_application(resident)


@pytest.fixture
def approved(application, caseworker):  # type: ignore[no-untyped-def]
    return cases_services.case_approve(actor=caseworker, case=application)


@pytest.fixture
def approved_for_the_window(resident, caseworker):  # type: ignore[no-untyped-def]
    registered_long_enough(resident)
    return cases_services.case_approve(actor=caseworker, case=submitted_application(resident, **WINDOW))


def case_url(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def act_url(case: Case, what: str) -> str:
    return reverse("admin:cases_case_act", args=[case.pk, what])


def permit_url(permit: Permit) -> str:
    return reverse("admin:permits_permit_change", args=[permit.pk])


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def detail_of(case: Case) -> PermitApplication:
    return PermitApplication.objects.get(case=case)


def status_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


def listed(client, **params) -> list[Permit]:  # type: ignore[no-untyped-def]
    response = client.get(PERMITS, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def zh_date(day: datetime.date) -> str:
    """A date as the console's fields show it in Chinese."""
    return f"{day.year}年{day.month}月{day.day}日"


def holder_in(community, name: str = "") -> Resident:  # type: ignore[no-untyped-def]
    return ResidentFactory(community=community, **({"name": name} if name else {}))


# --- the permit case page -----------------------------------------------------------------------------


def test_the_case_page_of_a_permit_application_shows_its_details_and_deadline(console, application):
    page = html(console.get(case_url(application)))

    assert 'id="permit-application"' in page
    for shown in ("就业类居住证", "快递送达", "王芳", "越城区环城西路 18 号 2 幢 302 室", "批准后签发"):
        assert shown in page
    assert "13800138000" in page
    assert "+8613800138000" not in page  # the phone as people dial it
    assert "办结时限" in page  # the 15-day deadline of every case, counted from acceptance
    due = timezone.localtime(Case.objects.get(pk=application.pk).due_at).date()
    assert due == timezone.localdate() + datetime.timedelta(days=15)
    assert zh_date(due) in page
    assert f"{due:%Y-%m-%d}" in page  # and beside the status, above the buttons
    assert 'id="dispatch-form"' not in page  # nothing to send before approval


def test_the_case_page_of_a_replacement_names_the_reason_and_the_permit_it_replaces(console, resident):
    permit = permit_row(resident, issued_on=days_ago(30))
    replacement = permits_services.permit_replacement_start(
        actor=resident.user, permit=permit, reason="damaged", **WINDOW
    )

    page = html(console.get(case_url(replacement)))

    assert "补领原因" in page
    assert "损坏" in page
    assert "补领的居住证" in page
    assert f'href="{permit_url(permit)}"' in page
    assert "到服务窗口领取" in page


def test_approving_from_the_case_page_issues_the_permit_it_then_links_to(console, application):
    console.post(act_url(application, "approve"))

    permit = Permit.objects.get(holder=application.applicant)
    page = html(console.get(case_url(application)))
    assert f'href="{permit_url(permit)}"' in page
    assert permit.number in page


def test_an_approved_express_application_offers_the_send_form_as_a_form_of_its_own(console, approved):
    parser = _FormNesting()
    page = html(console.get(case_url(approved)))
    parser.feed(page)

    assert "制证并寄出" in page
    assert 'name="courier"' in page
    assert 'name="tracking_number"' in page
    assert parser.nested[act_url(approved, "dispatch")] == []  # not inside the read-only change form
    assert "通知领取" not in page


def test_sending_without_a_tracking_number_shows_the_error_and_changes_nothing(console, approved, resident_user):
    events_before = AuditEvent.objects.count()

    response = console.post(
        act_url(approved, "dispatch"), {"courier": "中国邮政 EMS", "tracking_number": ""}, follow=True
    )

    assert "请填写正确的快递单号" in html(response)
    assert 'value="中国邮政 EMS"' in html(response)  # what was typed comes back, to be completed
    assert status_of(approved) == CaseStatus.APPROVED
    detail = detail_of(approved)
    assert (detail.courier, detail.tracking_number, detail.dispatched_at) == ("", "", None)
    assert AuditEvent.objects.count() == events_before
    assert not Notification.objects.filter(recipient=resident_user, template="permit.dispatched").exists()


def test_sending_by_express_records_the_courier_and_tells_the_applicant(console, approved, resident_user):
    response = console.post(act_url(approved, "dispatch"), {"courier": "顺丰速运", "tracking_number": "sf1234567890"})

    assert response.status_code == 302
    assert response["Location"] == case_url(approved)
    assert "已登记寄出，快递单号已通知申请人。" in flash(response)
    assert status_of(approved) == CaseStatus.ISSUED
    detail = detail_of(approved)
    assert (detail.courier, detail.tracking_number) == ("顺丰速运", "SF1234567890")
    assert detail.dispatched_at is not None
    [sent] = Notification.objects.filter(recipient=resident_user, template="permit.dispatched")
    assert sent.context["tracking_number"] == "SF1234567890"
    page = html(console.get(case_url(approved)))
    assert "SF1234567890" in page
    assert 'id="dispatch-form"' not in page
    assert "确认已送达" in page


def test_a_window_application_is_called_to_the_window_and_then_confirmed_collected(
    console, approved_for_the_window, resident_user
):
    case = approved_for_the_window
    page = html(console.get(case_url(case)))
    assert "通知领取" in page
    assert 'name="tracking_number"' not in page

    response = console.post(act_url(case, "dispatch"))

    assert "已通知申请人到窗口领取。" in flash(response)
    assert status_of(case) == CaseStatus.ISSUED
    assert Notification.objects.filter(recipient=resident_user, template="permit.ready_for_collection").count() == 1
    assert not Notification.objects.filter(template="permit.dispatched").exists()
    assert "确认已领取" in html(console.get(case_url(case)))


def test_confirming_receipt_delivers_the_case(console, approved):
    console.post(act_url(approved, "dispatch"), {"courier": "中国邮政 EMS", "tracking_number": "1186523409871"})

    response = console.post(act_url(approved, "deliver"))

    assert "已确认申请人拿到居住证，本件办结。" in flash(response)
    assert status_of(approved) == CaseStatus.DELIVERED
    assert detail_of(approved).delivered_at is not None
    page = html(console.get(case_url(approved)))
    assert 'id="deliver-form"' not in page


def test_confirming_receipt_before_the_card_is_sent_is_refused(console, approved):
    response = console.post(act_url(approved, "deliver"), follow=True)

    assert "不能改为" in html(response)
    assert status_of(approved) == CaseStatus.APPROVED
    assert detail_of(approved).delivered_at is None


def test_the_send_button_on_a_case_that_is_no_permit_application_is_refused(console, resident):
    # Not registered any more: the late endorsement waits for a caseworker's decision.
    permit = permit_row(resident, issued_on=days_ago(380))
    endorsement = permits_services.permit_endorse(actor=resident.user, permit=permit)

    response = console.post(
        act_url(endorsement, "dispatch"), {"courier": "x", "tracking_number": "12345678"}, follow=True
    )

    assert "这不是一件居住证申请。" in html(response)
    assert status_of(endorsement) == CaseStatus.SUBMITTED


def test_the_case_page_of_an_endorsement_shows_the_permit_and_whether_it_is_late(console, resident):
    register(resident, since=days_ago(800))
    permit = permit_row(resident, issued_on=days_ago(375))  # its year ended ten days ago
    endorsement = permits_services.permit_endorse(actor=resident.user, permit=permit)

    page = html(console.get(case_url(endorsement)))

    assert 'id="permit-endorsement"' in page
    assert f'href="{permit_url(permit)}"' in page
    assert permit.number in page
    assert permit.valid_until.isoformat() in page  # the year it extends
    assert "是：签注后连续居住从申请日重新起算" in page
    assert timezone.localdate().isoformat() in page  # applied today
    assert 'id="permit-application"' not in page


# --- out of scope -------------------------------------------------------------------------------------


def test_a_caseworker_of_another_street_finds_neither_the_case_nor_the_permit_nor_the_buttons(
    client, caseworker_elsewhere, approved
):
    permit = Permit.objects.get(holder=approved.applicant)
    client.force_login(caseworker_elsewhere)

    assert client.get(case_url(approved)).status_code == 404
    assert client.get(permit_url(permit)).status_code == 404
    assert client.get(reverse("admin:permits_permit_history", args=[permit.pk])).status_code == 404
    for what in ("dispatch", "deliver"):
        assert (
            client.post(act_url(approved, what), {"courier": "顺丰速运", "tracking_number": "SF1234567890"}).status_code
            == 404
        )
    assert status_of(approved) == CaseStatus.APPROVED
    assert detail_of(approved).courier == ""
    assert listed(client) == []


def test_a_health_worker_has_no_permit_console(client, health_worker, resident):
    permit = permit_row(resident, issued_on=days_ago(30))
    client.force_login(health_worker)

    assert client.get(PERMITS).status_code == 403
    assert client.get(permit_url(permit)).status_code == 404


# --- the permit list ----------------------------------------------------------------------------------


def test_the_list_shows_the_permits_of_the_caseworkers_streets_only(
    console, resident, other_resident, fushan_community
):
    mine = permit_row(resident, issued_on=days_ago(30))
    neighbours = permit_row(other_resident, issued_on=days_ago(60))
    permit_row(holder_in(fushan_community), issued_on=days_ago(10))

    response = console.get(PERMITS)

    assert list(response.context["cl"].result_list) == [neighbours, mine]  # newest first
    page = html(response)
    assert "王芳（" + resident.id_number_masked + "）" in page
    for shown in (mine.number, "就业类居住证", mine.valid_until.isoformat(), '<td class="field-validity">有效</td>'):
        assert shown in page


def test_an_administrator_sees_every_street(client, administrator, resident, fushan_community):
    here = permit_row(resident, issued_on=days_ago(30))
    there = permit_row(holder_in(fushan_community), issued_on=days_ago(10))
    client.force_login(administrator)

    assert set(listed(client)) == {here, there}


def test_the_list_and_the_page_never_show_the_qr_codes_token(console, resident):
    permit = permit_row(resident, issued_on=days_ago(30))

    for url in (PERMITS, permit_url(permit), PERMITS + "?validity=valid"):
        response = console.get(url)
        assert response.status_code == 200
        assert permit.verify_token not in html(response)


def test_the_list_offers_no_add_change_or_delete(console, resident):
    permit = permit_row(resident, issued_on=days_ago(30))

    assert console.get(PERMITS + "add/").status_code == 403
    assert console.get(reverse("admin:permits_permit_delete", args=[permit.pk])).status_code == 403
    page = html(console.get(permit_url(permit)))
    assert 'name="_save"' not in page
    assert console.post(permit_url(permit), {"valid_until": "2099-01-01"}).status_code == 403
    assert Permit.objects.get(pk=permit.pk).valid_until == permit.valid_until


def test_the_validity_filter(console, tashan_community):
    valid = permit_row(holder_in(tashan_community), issued_on=days_ago(100))
    due = permit_row(holder_in(tashan_community), issued_on=days_ago(360))  # its year ends in a few days
    lapsed = permit_row(holder_in(tashan_community), issued_on=days_ago(400))

    assert set(listed(console, validity="valid")) == {valid, due}
    assert listed(console, validity="lapsed") == [lapsed]
    assert listed(console, validity="endorsement") == [due]
    assert '<td class="field-validity">已中止</td>' in html(console.get(PERMITS, {"validity": "lapsed"}))


def test_the_endorsement_filter_agrees_with_the_portals_window_on_every_day_of_a_year():
    start = datetime.date(2027, 1, 1)
    for today in (start + datetime.timedelta(days=n) for n in range(366)):
        first, last = endorsement_window_open_for(today)
        for valid_until in (today + datetime.timedelta(days=n) for n in range(-3, 40)):
            opens, closes = permits_selectors.endorsement_window(Permit(valid_until=valid_until))
            assert (first <= valid_until <= last) == (opens <= today <= closes), (today, valid_until)


def test_the_permit_type_filter(console, tashan_community):
    employment = permit_row(holder_in(tashan_community), issued_on=days_ago(30))
    study = permit_row(holder_in(tashan_community), issued_on=days_ago(30), type_key="study")

    assert listed(console, permit_type__id__exact=str(study.permit_type_id)) == [study]
    assert listed(console, permit_type__id__exact=str(employment.permit_type_id)) == [employment]


def test_the_street_filter_follows_the_holder_and_offers_the_caseworkers_streets(
    client, tashan_community, fushan_community
):
    both = caseworker_for(street("塔山街道"), street("府山街道"), username="both")
    tashan = permit_row(holder_in(tashan_community), issued_on=days_ago(30))
    fushan = permit_row(holder_in(fushan_community), issued_on=days_ago(30))
    client.force_login(both)

    assert listed(client, street=str(street("塔山街道").pk)) == [tashan]
    assert listed(client, street=str(street("府山街道").pk)) == [fushan]
    offered = html(client.get(PERMITS))
    assert "府山街道" in offered
    assert "北海街道" not in offered


# --- search -------------------------------------------------------------------------------------------


def search_posted(client, term: str) -> list[Permit]:  # type: ignore[no-untyped-def]
    response = client.post(reverse("admin:permits_permit_search"), {"q": term}, follow=True)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_search_by_the_exact_permit_number(console, resident, other_resident):
    wanted = permit_row(resident, issued_on=days_ago(30))
    permit_row(other_resident, issued_on=days_ago(30))

    assert listed(console, q=wanted.number) == [wanted]
    assert search_posted(console, wanted.number) == [wanted]
    assert listed(console, q=wanted.number[:-1]) == []  # exact only


def test_a_permit_number_that_reads_as_an_id_number_is_searched_as_the_permit(console, resident):
    # Once the serial passes a million a permit number can pass the ID number's checks: the permit wins.
    permit = permit_row(resident, issued_on=days_ago(30))
    first17 = next(
        f"33060220250101{n}" for n in range(100, 200) if id_number_check_character(f"33060220250101{n}") != "X"
    )
    number = first17 + id_number_check_character(first17)  # serial 01010nnn of 2025, and a born-2025-01-01 ID
    id_number_validate(number)
    Permit.objects.filter(pk=permit.pk).update(number=number)

    assert search_posted(console, number) == [permit]


def test_search_by_the_holders_exact_id_number_keeps_it_out_of_the_address(console, tashan_community):
    number = make_id_number(datetime.date(1991, 3, 4))
    wanted = permit_row(ResidentFactory(plain_id_number=number, community=tashan_community), issued_on=days_ago(9))
    permit_row(holder_in(tashan_community), issued_on=days_ago(9))

    response = console.post(reverse("admin:permits_permit_search"), {"q": number}, follow=True)

    assert list(response.context["cl"].result_list) == [wanted]
    assert all(number not in url for url, _status in response.redirect_chain)


def test_search_by_the_start_of_the_holders_name(console, tashan_community, fushan_community):
    wang = permit_row(holder_in(tashan_community, "王小明"), issued_on=days_ago(9))
    permit_row(holder_in(tashan_community, "李王"), issued_on=days_ago(9))
    permit_row(holder_in(fushan_community, "王大明"), issued_on=days_ago(9))  # another street

    assert listed(console, q="王") == [wang]


# --- the permit page ----------------------------------------------------------------------------------


def test_the_permit_page_shows_its_fields_endorsements_applications_and_history(console, approved, caseworker):
    permit = Permit.objects.get(holder=approved.applicant)
    with_card_lost = permits_services.permit_replacement_start(
        actor=approved.applicant.user, permit=permit, reason="lost", **WINDOW
    )

    response = console.get(permit_url(permit))

    assert response.status_code == 200
    page = html(response)
    for shown in (permit.number, "王芳", approved.applicant.id_number_masked, "就业类居住证", "有效"):
        assert shown in page
    assert f'href="{case_url(approved)}"' in page
    assert f'href="{case_url(with_card_lost)}"' in page
    assert "补领、换领（遗失）" in page
    assert "还没有签注记录" in page
    assert "居住证记录" in page
    assert "签发居住证" in page  # the audit row of the issue
    assert reverse("admin:residents_resident_change", args=[approved.applicant.pk]) in page


def test_the_permit_page_lists_its_endorsements_with_links_to_their_cases(console, resident):
    register(resident, since=days_ago(800))
    permit = permit_row(resident, issued_on=days_ago(360))
    endorsement = permits_services.permit_endorse(actor=resident.user, permit=permit)  # approved automatically

    page = html(console.get(permit_url(permit)))

    assert f'href="{case_url(endorsement)}"' in page
    assert "居住证签注" in page  # the audit row of the endorsement
    assert "（自动）" in page


# --- cost ---------------------------------------------------------------------------------------------


def _fill(n: int, community) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        permit_row(holder_in(community), issued_on=days_ago(30))


def test_the_permit_list_query_count_does_not_grow_with_the_rows(console, tashan_community, django_assert_num_queries):
    _fill(10, tashan_community)
    with CaptureQueriesContext(connection) as few:
        assert len(listed(console)) == 10

    _fill(20, tashan_community)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(listed(console, validity="valid")) == 25  # one page; the filter costs no query
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(listed(console)) == 25


def test_the_permit_list_never_counts_the_whole_table(client, administrator, resident):
    permit_row(resident, issued_on=days_ago(30))
    client.force_login(administrator)

    with CaptureQueriesContext(connection) as seen:
        assert client.get(PERMITS).status_code == 200

    counts = [
        q["sql"] for q in seen.captured_queries if "COUNT(" in q["sql"].upper() and "residents_permit" in q["sql"]
    ]
    assert all("LIMIT 10001" in sql for sql in counts), counts


# --- the demo -----------------------------------------------------------------------------------------


def test_the_demo_data_loads_twice_and_shows_the_permit_journey():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    holder = Resident.objects.get(user__username="demo_resident")
    [permit] = Permit.objects.all()
    assert permit.holder == holder and permit.is_valid
    [issued] = Case.objects.filter(applicant=holder, case_type="permit")
    assert issued.status == CaseStatus.DELIVERED
    assert detail_of(issued).delivery_method == DeliveryMethod.EXPRESS
    assert detail_of(issued).tracking_number
    assert permits_selectors.residence_counted_from(resident=holder) < timezone.localdate() - relativedelta(months=6)

    newcomer = Resident.objects.get(user__username="demo_newcomer")
    facts = permits_selectors.permit_eligibility(resident=newcomer)
    assert facts.registered and not facts.residence_met
    assert facts.eligible_from > timezone.localdate()  # the page shows the day she may apply

    queue = cases_selectors.case_list(user=User.objects.get(username="demo_caseworker"))
    [waiting] = queue.filter(status__in=(CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED))
    assert waiting.applicant.user.username == "demo_applicant"
    assert waiting.case_type == "permit"
    assert Resident.objects.filter(user__username__startswith="demo_").count() == 3
