"""The residence-permit pages: /me/permit/ (where each of the family stands), applying, the permit details on
the case page, the electronic permit with its QR code, endorsing, replacing, and the public verification page."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services as cases_services
from cases.choices import CaseStatus
from cases.models import Case
from permits import selectors
from permits import services as permits_services
from permits import views as permit_views
from permits.choices import DeliveryMethod
from permits.models import Permit, PermitApplication, PermitEndorsement

from ..factories import ResidentFactory, guardian_link
from ..permits import (
    EXPRESS,
    WINDOW,
    permit_row,
    permit_type,
    register,
    registered_long_enough,
    start_application,
    submitted_application,
    upload_permit_documents,
)

pytestmark = pytest.mark.django_db

# 10 March 2026: a permit issued on 1 April 2025 is valid until 31 March 2026, and its endorsement window
# (the month before the anniversary) opened on 1 March.
TODAY = datetime.date(2026, 3, 10)
ISSUED = datetime.date(2025, 4, 1)


def at(day: datetime.date) -> time_machine.travel:
    """Ten in the morning, Shaoxing time, on that day."""
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 2, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with at(TODAY):
        yield


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def section(page: str, element_id: str) -> str:
    """The text from the element with this id to the end of its <section> (or <article>, <fieldset>)."""
    start = page.index(f'id="{element_id}"')
    ends = [page.find(tag, start) for tag in ("</section>", "</article>", "</fieldset>")]
    return page[start : min(e for e in ends if e != -1)]


@pytest.fixture
def child(resident):  # type: ignore[no-untyped-def]
    """The owner's daughter, ten years old, without a login of her own."""
    kid = ResidentFactory(name="王小雨", user=None, birth_date=datetime.date(2016, 5, 1), community=resident.community)
    guardian_link(resident, kid)
    return kid


@pytest.fixture
def permit(resident) -> Permit:  # type: ignore[no-untyped-def]
    """The owner's permit, in its endorsement window today; the owner is registered in the district."""
    registered_long_enough(resident)
    return permit_row(resident, issued_on=ISSUED)


def permit_pages(permit: Permit) -> dict[str, str]:
    return {
        "detail": reverse("permits:permit_detail", args=[permit.number]),
        "qr": reverse("permits:permit_qr", args=[permit.number]),
        "replace": reverse("permits:permit_replace", args=[permit.number]),
    }


# --- who may see what -----------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_log_in_from_every_page_but_verification(client, permit):
    urls = [
        reverse("permits:permit"),
        reverse("permits:permit_apply"),
        reverse("permits:permit_application_edit", args=[permit.application.reference]),
        *permit_pages(permit).values(),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    endorse = client.post(reverse("permits:permit_endorse", args=[permit.number]))
    assert endorse.status_code == 302 and endorse["Location"].startswith("/accounts/login/")
    assert not PermitEndorsement.objects.exists()

    assert client.get(reverse("permit_verify", args=[permit.verify_token])).status_code == 200


@pytest.mark.parametrize("page", ["detail", "qr", "replace"])
def test_the_holder_sees_their_permit_pages(client, permit, page):
    client.force_login(permit.holder.user)

    assert client.get(permit_pages(permit)[page]).status_code == 200


@pytest.mark.parametrize("page", ["detail", "qr", "replace"])
def test_a_guardian_sees_the_pages_of_their_childs_permit(client, resident, child, page):
    register(child, since=datetime.date(2025, 1, 1), actor=resident.user)
    childs_permit = permit_row(child, issued_on=ISSUED)
    client.force_login(resident.user)

    assert client.get(permit_pages(childs_permit)[page]).status_code == 200


@pytest.mark.parametrize("page", ["detail", "qr"])
def test_a_caseworker_of_the_holders_street_may_look_at_the_permit(client, permit, caseworker, page):
    client.force_login(caseworker)

    assert client.get(permit_pages(permit)[page]).status_code == 200


@pytest.mark.parametrize("page", ["detail", "qr", "replace"])
def test_another_resident_and_a_caseworker_elsewhere_get_not_found(
    client, permit, other_resident, caseworker_elsewhere, health_worker, page
):
    for outsider in (other_resident.user, caseworker_elsewhere, health_worker):
        client.force_login(outsider)
        assert client.get(permit_pages(permit)[page]).status_code == 404, outsider


def test_nobody_else_can_endorse_a_permit_or_edit_an_application(client, permit, other_resident, caseworker_elsewhere):
    for outsider in (other_resident.user, caseworker_elsewhere):
        client.force_login(outsider)
        assert client.post(reverse("permits:permit_endorse", args=[permit.number])).status_code == 404
        edit = reverse("permits:permit_application_edit", args=[permit.application.reference])
        assert client.get(edit).status_code == 404
    assert not PermitEndorsement.objects.exists()


# --- the overview ---------------------------------------------------------------------------------------


def test_the_overview_gives_the_exact_date_from_which_a_newcomer_may_apply(client, resident):
    register(resident, since=datetime.date(2026, 1, 15))
    client.force_login(resident.user)

    page = html(client.get(reverse("permits:permit")))

    eligibility = section(page, f"member-{resident.pk}")
    assert "从 2026-07-15 起可以申领居住证" in eligibility
    # The talent type is exempt from the half-year rule, so the form is offered for it now
    assert "人才类居住证" in eligibility
    assert f'id="apply-{resident.pk}"' in eligibility


def test_the_overview_asks_to_register_residence_first(client, resident):
    client.force_login(resident.user)

    page = html(client.get(reverse("permits:permit")))

    eligibility = section(page, f"member-{resident.pk}")
    assert "需要先在越城区办理居住登记" in eligibility
    assert reverse("residents:residence") in eligibility
    assert f'id="apply-{resident.pk}"' not in eligibility


def test_the_overview_offers_the_form_once_half_a_year_is_complete(client, resident):
    register(resident, since=datetime.date(2025, 9, 10))
    client.force_login(resident.user)

    page = html(client.get(reverse("permits:permit")))

    eligibility = section(page, f"member-{resident.pk}")
    assert "自 2025-09-10 起" in eligibility and "现在可以申领" in eligibility
    assert f"{reverse('permits:permit_apply')}?applicant={resident.pk}" in eligibility


def test_the_overview_shows_an_application_in_progress_with_its_reference(client, resident):
    registered_long_enough(resident)
    case = submitted_application(resident)
    client.force_login(resident.user)

    page = html(client.get(reverse("permits:permit")))

    mine = section(page, f"member-{resident.pk}")
    assert case.reference in mine and "已受理" in mine
    assert reverse("cases:case_detail", args=[case.reference]) in mine
    assert f'id="apply-{resident.pk}"' not in mine


def test_the_overview_shows_a_held_permit_and_the_endorse_button_in_its_window(client, permit):
    client.force_login(permit.holder.user)

    page = html(client.get(reverse("permits:permit")))

    mine = section(page, f"member-{permit.holder.pk}")
    assert reverse("permits:permit_detail", args=[permit.number]) in mine
    assert "有效" in mine and "有效期至 2026-03-31" in mine
    assert "今年的签注请在 2026-03-01 至 2026-03-31 之间办理" in mine
    assert f'id="endorse-{permit.holder.pk}"' in mine


def test_the_overview_lists_each_child_with_their_own_standing(client, resident, child):
    registered_long_enough(resident)
    client.force_login(resident.user)

    page = html(client.get(reverse("permits:permit")))

    childs = section(page, f"member-{child.pk}")
    assert "王小雨" in childs
    assert "孩子还没有居住登记" in childs
    assert "现在可以申领" in section(page, f"member-{resident.pk}")


def test_the_overview_lists_the_permit_types_with_their_documents(client, resident):
    client.force_login(resident.user)

    types = section(html(client.get(reverse("permits:permit"))), "types-h")

    assert "就业类居住证" in types and "劳动合同、营业执照或单位就业证明" in types
    assert "人才类居住证" in types and "不受居住满半年限制" in types


def test_the_overview_reads_as_many_queries_for_four_children_as_for_one(client, resident):
    registered_long_enough(resident)
    client.force_login(resident.user)
    url = reverse("permits:permit")

    def add_child(name: str, with_permit: bool, with_application: bool) -> None:
        kid = ResidentFactory(name=name, user=None, birth_date=datetime.date(2015, 1, 1), community=resident.community)
        guardian_link(resident, kid)
        register(kid, since=datetime.date(2025, 1, 1), actor=resident.user)
        if with_permit:
            permit_row(kid, issued_on=ISSUED)
            permits_services.permit_endorse(actor=resident.user, permit=selectors.permit_of(resident=kid))
        elif with_application:
            start_application(kid, actor=resident.user)

    add_child("王一", with_permit=True, with_application=False)
    with CaptureQueriesContext(connection) as one_child:
        assert client.get(url).status_code == 200
    add_child("王二", with_permit=True, with_application=False)
    add_child("王三", with_permit=False, with_application=True)
    add_child("王四", with_permit=False, with_application=False)

    with CaptureQueriesContext(connection) as four_children:
        page = html(client.get(url))

    assert all(name in page for name in ("王一", "王二", "王三", "王四"))
    assert len(four_children) == len(one_child), (len(one_child), len(four_children))


def test_the_overview_stays_within_its_query_budget(client, resident, child, django_assert_max_num_queries):
    registered_long_enough(resident)
    permit_row(resident, issued_on=ISSUED)
    client.force_login(resident.user)

    with django_assert_max_num_queries(20):
        assert client.get(reverse("permits:permit")).status_code == 200


def test_a_signed_in_user_without_a_profile_is_asked_to_create_one(client, other_user):
    client.force_login(other_user)

    response = client.get(reverse("permits:permit"))

    assert response.status_code == 302 and response["Location"] == reverse("residents:profile")


# --- applying -------------------------------------------------------------------------------------------


def application_form(applicant_pk: int, **changes: object) -> dict[str, object]:
    return {"applicant": applicant_pk, "permit_type": permit_type("employment").pk, **EXPRESS, **changes}


def test_express_delivery_without_an_address_is_refused_on_the_address_field_and_nothing_is_saved(client, resident):
    registered_long_enough(resident)
    client.force_login(resident.user)

    response = client.post(reverse("permits:permit_apply"), application_form(resident.pk, delivery_address=""))

    assert response.status_code == 200
    page = html(response)
    assert 'id="id_delivery_address-error"' in page
    assert "请填写完整的收件地址" in page
    assert not Case.objects.exists()
    assert not PermitApplication.objects.exists()


def test_a_complete_form_opens_a_draft_and_leads_to_its_case_page(client, resident):
    registered_long_enough(resident)
    client.force_login(resident.user)

    response = client.post(reverse("permits:permit_apply"), application_form(resident.pk))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.reference])
    assert case.status == CaseStatus.DRAFT and case.applicant == resident
    detail = case.permit_application
    assert detail.permit_type.key == "employment"
    assert (detail.delivery_method, detail.recipient_phone) == (DeliveryMethod.EXPRESS, "+8613800138000")
    assert detail.delivery_address == EXPRESS["delivery_address"]
    assert any(case.reference in m and "上传材料" in m for m in flash(response))


def test_collection_at_the_window_needs_no_address(client, resident):
    registered_long_enough(resident)
    client.force_login(resident.user)

    client.post(
        reverse("permits:permit_apply"),
        application_form(resident.pk, delivery_method="window", recipient_name="", delivery_address=""),
    )

    detail = PermitApplication.objects.get()
    assert detail.delivery_method == DeliveryMethod.WINDOW and detail.delivery_address == ""


def test_a_guardian_applies_for_their_child(client, resident, child):
    register(child, since=datetime.date(2025, 1, 1), actor=resident.user)
    client.force_login(resident.user)

    client.post(reverse("permits:permit_apply"), application_form(child.pk))

    case = Case.objects.get()
    assert case.applicant == child and case.opened_by == resident.user


def checked_applicant(page: str) -> int:
    """The applicant whose radio button the page has ticked."""
    (value,) = re.findall(r'<input type="radio" name="applicant" value="(\d+)"[^>]* checked>', page)
    return int(value)


def test_the_form_preselects_the_child_named_in_the_link_and_ignores_strangers(client, resident, child, other_resident):
    client.force_login(resident.user)
    url = reverse("permits:permit_apply")

    for_child = html(client.get(f"{url}?applicant={child.pk}"))
    for_stranger = html(client.get(f"{url}?applicant={other_resident.pk}"))

    assert checked_applicant(for_child) == child.pk
    assert checked_applicant(for_stranger) == resident.pk
    assert "赵强" not in for_stranger


def test_someone_not_yet_registered_is_told_on_the_applicant_field(client, resident):
    client.force_login(resident.user)

    page = html(client.post(reverse("permits:permit_apply"), application_form(resident.pk)))

    assert "申领居住证需要先在越城区办理居住登记" in section(page, "applicant-choices")
    assert not Case.objects.exists()


def test_a_newcomer_asking_for_an_employment_permit_is_told_the_date_on_the_type_field(client, resident):
    register(resident, since=datetime.date(2026, 1, 15))
    client.force_login(resident.user)

    page = html(client.post(reverse("permits:permit_apply"), application_form(resident.pk)))

    assert "2026-07-15 起可以申请" in section(page, "permit_type-choices")
    assert 'href="#permit_type-choices"' in section(page, "form-errors")
    assert not Case.objects.exists()


def test_a_second_application_is_refused_above_the_form(client, resident):
    registered_long_enough(resident)
    first = start_application(resident)
    client.force_login(resident.user)

    page = html(client.post(reverse("permits:permit_apply"), application_form(resident.pk)))

    assert first.reference in page and 'class="alert"' in page
    assert Case.objects.count() == 1


# --- the case page --------------------------------------------------------------------------------------


def test_a_draft_shows_the_answers_to_check_before_the_submit_button(client, resident):
    registered_long_enough(resident)
    case = start_application(resident)
    client.force_login(resident.user)

    page = html(client.get(reverse("cases:case_detail", args=[case.reference])))

    review = section(page, "permit-application")
    assert "检查并提交" in review
    assert "就业类居住证" in review and "快递送达" in review and EXPRESS["delivery_address"] in review
    assert reverse("permits:permit_application_edit", args=[case.reference]) in review
    assert page.index('id="permit-application"') < page.index('id="submit-case"')


def test_an_issued_express_permit_shows_the_courier_and_the_tracking_number(client, resident, caseworker):
    registered_long_enough(resident)
    case = submitted_application(resident)
    cases_services.case_approve(actor=caseworker, case=case)
    permits_services.permit_dispatch(actor=caseworker, case=case, courier="中国邮政 EMS", tracking_number="ems1234567")
    client.force_login(resident.user)

    page = html(client.get(reverse("cases:case_detail", args=[case.reference])))

    delivery = section(page, "permit-application")
    assert "中国邮政 EMS" in delivery and "EMS1234567" in delivery
    assert 'id="edit-permit-application"' not in page
    assert reverse("permits:permit_detail", args=[selectors.permit_of(resident=resident).number]) in delivery


def test_a_permit_to_collect_says_where_to_bring_the_id_card(client, resident, caseworker):
    registered_long_enough(resident)
    case = submitted_application(resident, **WINDOW)
    cases_services.case_approve(actor=caseworker, case=case)
    permits_services.permit_dispatch(actor=caseworker, case=case)
    client.force_login(resident.user)

    page = html(client.get(reverse("cases:case_detail", args=[case.reference])))

    assert "请携带身份证到塔山街道新居民服务窗口领取" in section(page, "permit-application")


def test_other_case_types_show_no_permit_panel(client, resident, demo_case_type):
    from ..casework import open_case

    case = open_case(resident)
    client.force_login(resident.user)

    assert 'id="permit-application"' not in html(client.get(reverse("cases:case_detail", args=[case.reference])))


# --- correcting an application --------------------------------------------------------------------------


def test_a_draft_can_change_its_type_and_delivery(client, resident):
    registered_long_enough(resident)
    case = start_application(resident)
    client.force_login(resident.user)

    response = client.post(
        reverse("permits:permit_application_edit", args=[case.reference]),
        {"permit_type": permit_type("residence").pk, **WINDOW},
    )

    assert response["Location"] == reverse("cases:case_detail", args=[case.reference])
    detail = PermitApplication.objects.get(case=case)
    assert detail.permit_type.key == "residence" and detail.delivery_method == DeliveryMethod.WINDOW


def test_a_bad_phone_on_the_edit_page_is_shown_on_its_field_and_nothing_changes(client, resident):
    registered_long_enough(resident)
    case = start_application(resident)
    client.force_login(resident.user)

    page = html(
        client.post(
            reverse("permits:permit_application_edit", args=[case.reference]),
            {"permit_type": permit_type("residence").pk, **EXPRESS, "recipient_phone": "12345"},
        )
    )

    assert 'id="id_recipient_phone-error"' in page
    detail = PermitApplication.objects.get(case=case)
    assert detail.permit_type.key == "employment" and detail.recipient_phone == "+8613800138000"


def test_after_a_notice_only_the_delivery_can_change(client, resident, caseworker):
    registered_long_enough(resident)
    case = cases_services.case_request_documents(
        actor=caseworker, case=submitted_application(resident), missing=["photo"]
    )
    client.force_login(resident.user)
    url = reverse("permits:permit_application_edit", args=[case.reference])

    assert 'name="permit_type"' not in html(client.get(url))
    client.post(url, {"permit_type": permit_type("residence").pk, **WINDOW})

    detail = PermitApplication.objects.get(case=case)
    assert detail.permit_type.key == "employment" and detail.delivery_method == DeliveryMethod.WINDOW


def test_a_submitted_application_cannot_be_edited(client, resident):
    registered_long_enough(resident)
    case = submitted_application(resident)
    client.force_login(resident.user)

    response = client.get(reverse("permits:permit_application_edit", args=[case.reference]))

    assert response["Location"] == reverse("cases:case_detail", args=[case.reference])
    assert any("不能再修改" in m for m in flash(response))


# --- the electronic permit ------------------------------------------------------------------------------


def test_the_permit_page_shows_the_card(client, permit):
    client.force_login(permit.holder.user)

    page = html(client.get(reverse("permits:permit_detail", args=[permit.number])))

    card = section(page, "permit-card")
    holder = permit.holder
    assert holder.name in card and holder.id_number_masked in card
    assert permit.number in card and "就业类居住证" in card
    assert "2025-04-01" in card and "2026-03-31" in card and "有效" in card
    assert reverse("permits:permit_qr", args=[permit.number]) in card
    assert 'id="permit-card-serial"' not in card


def test_a_replacement_card_shows_its_serial(client, permit):
    Permit.objects.filter(pk=permit.pk).update(card_serial=2)
    client.force_login(permit.holder.user)

    page = html(client.get(reverse("permits:permit_detail", args=[permit.number])))

    assert "第 2 张" in section(page, "permit-card")


def test_the_endorse_button_appears_when_the_window_opens_and_stays_once_it_has_passed(client, permit):
    client.force_login(permit.holder.user)
    url = reverse("permits:permit_detail", args=[permit.number])

    with at(datetime.date(2026, 2, 28)):
        before = html(client.get(url))
    with at(datetime.date(2026, 3, 1)):
        opening_day = html(client.get(url))
    with at(datetime.date(2026, 4, 2)):
        client.force_login(permit.holder.user)  # three weeks on, the first session has expired
        late = html(client.get(url))

    assert 'id="endorse"' not in before and "下次签注：2026-03-01 至 2026-03-31" in before
    assert 'id="endorse"' in opening_day and "办理签注" in opening_day
    assert 'id="endorse"' in late and "补办签注" in late
    assert "已中止（未按时签注）" in section(late, "permit-card")


def test_endorsing_in_the_window_while_registered_is_approved_at_once(client, permit):
    client.force_login(permit.holder.user)

    response = client.post(reverse("permits:permit_endorse", args=[permit.number]))

    assert response["Location"] == reverse("permits:permit_detail", args=[permit.number])
    assert "签注成功，有效期至 2027-03-31。" in flash(response)
    permit.refresh_from_db()
    assert permit.valid_until == datetime.date(2027, 3, 31)


def test_endorsing_without_a_current_registration_goes_to_a_caseworker(client, resident):
    holder_permit = permit_row(resident, issued_on=ISSUED)
    client.force_login(resident.user)

    response = client.post(reverse("permits:permit_endorse", args=[holder_permit.number]))

    case = Case.objects.get(case_type=selectors.PERMIT_ENDORSEMENT_CASE_TYPE)
    assert case.status == CaseStatus.SUBMITTED
    assert f"已提交，受理编号 {case.reference}，工作人员会在 15 日内办理。" in flash(response)
    page = html(client.get(reverse("permits:permit_detail", args=[holder_permit.number])))
    assert case.reference in section(page, "endorsement-pending")
    assert 'id="endorse"' not in page


def test_endorsing_before_the_window_is_refused_with_the_dates(client, permit):
    client.force_login(permit.holder.user)

    with at(datetime.date(2026, 2, 1)):
        response = client.post(reverse("permits:permit_endorse", args=[permit.number]))

    assert any("2026-03-01 至 2026-03-31" in m for m in flash(response))
    assert not PermitEndorsement.objects.exists()


def test_endorsing_from_the_overview_returns_there_but_never_to_another_site(client, permit):
    client.force_login(permit.holder.user)
    url = reverse("permits:permit_endorse", args=[permit.number])

    back_home = client.post(url, {"next": reverse("permits:permit")})
    assert back_home["Location"] == reverse("permits:permit")

    with at(datetime.date(2027, 3, 5)):
        client.force_login(permit.holder.user)
        elsewhere = client.post(url, {"next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("permits:permit_detail", args=[permit.number])


def test_a_late_endorsement_is_marked_and_says_from_when_residence_counts_again(client, permit):
    with at(datetime.date(2026, 4, 10)):
        client.force_login(permit.holder.user)
        client.post(reverse("permits:permit_endorse", args=[permit.number]))
        page = html(client.get(reverse("permits:permit_detail", args=[permit.number])))

    history = section(page, "endorsement")
    assert "逾期补办" in history
    assert "连续居住时间从 2026-04-10 起重新计算" in history
    assert "有效" in section(page, "permit-card")


def test_the_permit_page_links_to_replacement_or_to_the_replacement_in_progress(client, permit):
    client.force_login(permit.holder.user)
    url = reverse("permits:permit_detail", args=[permit.number])

    assert reverse("permits:permit_replace", args=[permit.number]) in html(client.get(url))
    case = permits_services.permit_replacement_start(actor=permit.holder.user, permit=permit, reason="lost", **WINDOW)
    page = html(client.get(url))
    assert case.reference in section(page, "replacement-open")


# --- the QR code ----------------------------------------------------------------------------------------


def test_the_qr_code_is_an_uncached_svg_of_the_verification_address(client, permit, monkeypatch):
    encoded: list[str] = []
    make = permit_views.qrcode.make
    monkeypatch.setattr(permit_views.qrcode, "make", lambda data, **kw: encoded.append(data) or make(data, **kw))
    client.force_login(permit.holder.user)

    response = client.get(reverse("permits:permit_qr", args=[permit.number]))

    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.decode().lstrip().startswith(("<svg", "<?xml"))
    assert encoded == [f"http://testserver/verify/{permit.verify_token}/"]


# --- replacement ----------------------------------------------------------------------------------------


def test_a_lost_card_replacement_opens_a_case_and_leads_to_it(client, permit):
    client.force_login(permit.holder.user)

    response = client.post(reverse("permits:permit_replace", args=[permit.number]), {"reason": "lost", **EXPRESS})

    case = Case.objects.get(case_type=selectors.PERMIT_REPLACEMENT_CASE_TYPE)
    assert response["Location"] == reverse("cases:case_detail", args=[case.reference])
    assert case.permit_application.permit == permit and case.permit_application.replacement_reason == "lost"
    page = html(client.get(response["Location"]))
    assert "近期免冠证件照" in page and "遗失" in section(page, "permit-application")


def test_a_replacement_without_a_reason_or_a_phone_saves_nothing(client, permit):
    client.force_login(permit.holder.user)
    url = reverse("permits:permit_replace", args=[permit.number])

    no_reason = html(client.post(url, {**EXPRESS}))
    no_phone = html(client.post(url, {"reason": "damaged", **EXPRESS, "recipient_phone": ""}))

    assert 'id="reason-choices"' in no_reason and 'class="error"' in section(no_reason, "reason-choices")
    assert 'id="id_recipient_phone-error"' in no_phone
    assert not Case.objects.filter(case_type=selectors.PERMIT_REPLACEMENT_CASE_TYPE).exists()


# --- public verification --------------------------------------------------------------------------------


def test_verification_says_valid_and_the_masked_name_and_nothing_else(client, permit):
    response = client.get(reverse("permit_verify", args=[permit.verify_token]))

    assert response.status_code == 200
    page = html(response)
    result = section(page, "verify-result")
    assert "有效" in result and "无效" not in result
    assert "王*" in result
    for secret in (
        permit.number, permit.holder.id_number_masked, permit.holder.name, "就业类居住证",
        permit.valid_until.isoformat(), permit.issued_on.isoformat(), "2026", "2025",
    ):  # fmt: skip
        assert secret not in page, secret
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "same-origin"


def test_verification_of_a_suspended_permit_says_invalid(client, permit):
    with at(datetime.date(2026, 4, 2)):
        response = client.get(reverse("permit_verify", args=[permit.verify_token]))

    result = section(html(response), "verify-result")
    assert "无效" in result and "王*" in result


def test_an_unknown_or_replaced_code_cannot_be_verified(client, permit, caseworker):
    old_token = permit.verify_token
    case = permits_services.permit_replacement_start(actor=permit.holder.user, permit=permit, reason="lost", **WINDOW)
    upload_permit_documents(case)
    cases_services.case_submit(actor=permit.holder.user, case=case)
    cases_services.case_approve(actor=caseworker, case=case)

    for token in (old_token, "not-a-token"):
        response = client.get(reverse("permit_verify", args=[token]))
        assert response.status_code == 404
        page = html(response)
        assert "可能已补领换证或二维码有误" in page and "王*" not in page
        assert response["Cache-Control"] == "no-store"
    permit.refresh_from_db()
    assert client.get(reverse("permit_verify", args=[permit.verify_token])).status_code == 200


# --- where the pages are linked from --------------------------------------------------------------------


def test_the_service_list_and_my_page_lead_to_the_permit_page(client, resident):
    client.force_login(resident.user)

    assert f'href="{reverse("permits:permit")}"' in html(client.get(reverse("home")))
    assert f'href="{reverse("permits:permit")}"' in section(html(client.get(reverse("residents:mine"))), "my-permit")
    assert f'href="{reverse("permits:permit")}"' in html(client.get(reverse("residents:residence")))
