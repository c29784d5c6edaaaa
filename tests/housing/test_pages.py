"""The landlord's and the tenant's pages: 我的房屋, registering a property, the property page (declarations to
confirm, move-in by ID number, move-out, capacity), the QR poster, the tenant's declaration a QR code opens,
and 我的租住."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from housing import services
from housing.choices import PropertyStatus, TenancySource, TenancyStatus
from housing.models import OccupancyFlag, Property, Tenancy
from residents.catalogue import SERVICES
from residents.models import Region, ResidenceRegistration, Resident
from residents.pii import id_number_decrypt
from tests.casework import PDF
from tests.factories import ResidentFactory, make_id_number

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026: a move-in today is due on Friday 13 March (2026's official schedule is loaded).
TODAY = datetime.date(2026, 3, 10)
DUE_TODAY = datetime.date(2026, 3, 13)
ADDRESS = "环城西路 18 号 2 幢 302 室"


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
    """The text from the element with this id to the end of its <section>."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


# --- scenes ------------------------------------------------------------------------------------------


def register_property(landlord: User, community: Region, *, max_occupants: int = 3, address: str = ADDRESS) -> Property:
    return services.property_register(
        actor=landlord, address=address, community=community, rooms=2, floor_area="58.5",
        max_occupants=max_occupants, owner_name="李房东", ownership_proof=SimpleUploadedFile("产权证.pdf", PDF),
    )  # fmt: skip


@pytest.fixture
def verified(landlord, tashan_community, caseworker) -> Property:  # type: ignore[no-untyped-def]
    """李房东's flat in 塔山街道, verified by the street's caseworker; room for three."""
    return services.property_verify(actor=caseworker, prop=register_property(landlord, tashan_community))


def id_of(resident: Resident) -> str:
    return id_number_decrypt(resident.id_number_ciphertext)


def move_in(landlord: User, prop: Property, resident: Resident, *, on: datetime.date = TODAY) -> Tenancy:
    return services.tenancy_report_move_in(
        actor=landlord, prop=prop, id_number=id_of(resident), name=resident.name, move_in_date=on
    )


def tenancy_rows(prop: Property, count: int, *, status: str = TenancyStatus.ACTIVE) -> list[Tenancy]:
    """Tenancies written straight to the tables, for pages whose cost must not grow with them. The tenants
    carry a masked number only (no hash): tests.factories.make_id_number shifts birth dates after its 500th
    number, and other tests build on the dates it gives."""
    tenants = Resident.objects.bulk_create(
        Resident(
            name=f"租客{n}", id_number_masked=f"4128**********{n:04d}", community=prop.community, street=prop.street
        )
        for n in range(count)
    )
    return Tenancy.objects.bulk_create(
        Tenancy(
            property=prop,
            tenant=tenant,
            status=status,
            source=TenancySource.LANDLORD,
            move_in_date=TODAY,
            move_in_due_on=DUE_TODAY,
            reported_by=prop.owner,
        )
        for tenant in tenants
    )


def property_rows(owner: User, community: Region, count: int) -> list[Property]:
    """Verified properties written straight to the table (an agency's stock)."""
    return Property.objects.bulk_create(
        Property(
            owner=owner,
            owner_name="某某中介",
            address=f"解放北路 {n} 号 101 室",
            community=community,
            street=community.parent,
            rooms=1,
            floor_area="30",
            max_occupants=2,
            ownership_proof="property-proofs/x.pdf",
            ownership_proof_name="x.pdf",
            status=PropertyStatus.VERIFIED,
        )
        for n in range(1, count + 1)
    )


def property_pages(prop: Property) -> list[str]:
    return [reverse("housing:property", args=[prop.pk]), reverse("housing:poster", args=[prop.pk])]


def move_in_form(resident: Resident | None = None, **changes: str) -> dict[str, str]:
    data = {
        "id_number": id_of(resident) if resident else make_id_number(),
        "name": resident.name if resident else "陈新来",
        "phone": "",
        "move_in_date": TODAY.isoformat(),
        "lease_end_date": "2027-03-09",
    }
    return {**data, **changes}


# --- who may see what -----------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_log_in_from_every_page(client, verified):
    tenancy = tenancy_rows(verified, 1)[0]
    pages = [
        reverse("housing:properties"),
        reverse("housing:property_new"),
        reverse("housing:tenancies"),
        reverse("housing:declared", args=[tenancy.pk]),
        *property_pages(verified),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    for name in ("tenancy_end", "tenancy_confirm", "tenancy_decline"):
        response = client.post(reverse(f"housing:{name}", args=[tenancy.pk]), {"moved_out_on": TODAY.isoformat()})
        assert response["Location"].startswith("/accounts/login/"), name
    client.post(reverse("housing:property_move_in", args=[verified.pk]), move_in_form())
    assert Tenancy.objects.count() == 1 and Tenancy.objects.get().status == TenancyStatus.ACTIVE


def test_a_signed_out_tenant_who_scans_the_poster_logs_in_and_comes_back_to_the_declaration(client, verified):
    declare_url = reverse("housing:declare", args=[services.property_qr_token(verified)])

    response = client.get(declare_url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/housing/declare/")


def test_the_owner_sees_their_property_list_property_page_and_poster(client, landlord, verified):
    client.force_login(landlord)

    listing = client.get(reverse("housing:properties"))
    assert ADDRESS in html(listing)
    for url in property_pages(verified):
        assert client.get(url).status_code == 200, url


def test_another_landlord_gets_404_for_every_page_and_action_of_the_property(client, verified, other_user):
    tenancy = move_in(verified.owner, verified, ResidentFactory())
    client.force_login(other_user)

    assert ADDRESS not in html(client.get(reverse("housing:properties")))
    for url in property_pages(verified):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("housing:property_move_in", args=[verified.pk]), move_in_form()).status_code == 404
    assert client.post(reverse("housing:poster_reissue", args=[verified.pk])).status_code == 404
    moved_out = client.post(reverse("housing:tenancy_end", args=[tenancy.pk]), {"moved_out_on": TODAY.isoformat()})
    assert moved_out.status_code == 404
    assert client.get(reverse("housing:declared", args=[tenancy.pk])).status_code == 404
    tenancy.refresh_from_db()
    verified.refresh_from_db()
    assert tenancy.status == TenancyStatus.ACTIVE and verified.qr_nonce == 1
    assert Tenancy.objects.count() == 1


def test_a_caseworker_of_the_street_sees_the_property_page_read_only(client, verified, caseworker):
    tenancy_rows(verified, 1)
    tenancy_rows(verified, 1, status=TenancyStatus.DECLARED)
    client.force_login(caseworker)

    page = html(client.get(reverse("housing:property", args=[verified.pk])))
    poster = html(client.get(reverse("housing:poster", args=[verified.pk])))

    assert 'id="read-only"' in page and ADDRESS in page
    assert 'id="move-in-form"' not in page
    assert 'id="confirm-' not in page and 'id="move-out-' not in page
    assert 'id="poster-qr"' in poster and 'id="reissue-qr"' not in poster
    # Their own 我的房屋 lists the properties they registered, not the street's.
    assert ADDRESS not in html(client.get(reverse("housing:properties")))


def test_a_caseworker_of_another_street_gets_404(client, verified, caseworker_elsewhere):
    client.force_login(caseworker_elsewhere)

    for url in property_pages(verified):
        assert client.get(url).status_code == 404, url


def test_a_property_awaiting_verification_has_no_poster_and_no_move_in_form(client, landlord, tashan_community):
    prop = register_property(landlord, tashan_community)
    client.force_login(landlord)

    page = html(client.get(reverse("housing:property", args=[prop.pk])))

    assert "等待街道核验" in page
    assert 'id="move-in-form"' not in page and 'id="poster-link"' not in page
    assert client.get(reverse("housing:poster", args=[prop.pk])).status_code == 404


def test_a_rejected_property_shows_the_caseworkers_reason(client, landlord, tashan_community, caseworker):
    prop = register_property(landlord, tashan_community)
    services.property_reject(actor=caseworker, prop=prop, reason="产权证明照片看不清")
    client.force_login(landlord)

    page = html(client.get(reverse("housing:property", args=[prop.pk])))

    assert "街道说明的原因：产权证明照片看不清" in section(page, "property-status")


# --- 我的房屋 ------------------------------------------------------------------------------------------


def test_the_list_shows_status_occupancy_and_declarations_awaiting_the_landlord(client, landlord, verified):
    tenancy_rows(verified, 2)
    tenancy_rows(verified, 1, status=TenancyStatus.DECLARED)
    client.force_login(landlord)

    card = html(client.get(reverse("housing:properties")))

    assert "已核验" in card
    assert "在住 2 / 3 人" in card
    assert "1 条申报待确认" in card


def test_an_agency_pages_through_its_properties_thirty_at_a_time(client, landlord, tashan_community):
    property_rows(landlord, tashan_community, 31)
    client.force_login(landlord)

    first = client.get(reverse("housing:properties"))
    assert len(first.context["properties"]) == 30
    assert first.context["next_before"] is not None
    second = client.get(reverse("housing:properties"), {"before": first.context["next_before"]})
    assert [p.address for p in second.context["properties"]] == ["解放北路 1 号 101 室"]
    assert second.context["next_before"] is None


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_properties(client, landlord, tashan_community, count):
    for prop in property_rows(landlord, tashan_community, count):
        tenancy_rows(prop, 1)
    client.force_login(landlord)
    client.get(reverse("housing:properties"))  # warm the session and the user's groups

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("housing:properties"))

    assert len(response.context["properties"]) == count
    assert len(queries) == LIST_QUERIES, [q["sql"] for q in queries]


# Session, user, the user's groups (visible_to), the page of properties with their counts, the unread count.
LIST_QUERIES = 5


# --- registering a property ----------------------------------------------------------------------------


def registration_form(community: Region, **changes) -> dict:  # type: ignore[no-untyped-def]
    data = {
        "address": ADDRESS, "community": str(community.pk), "rooms": "2", "floor_area": "58.5", "max_occupants": "3",
        "owner_name": "李房东",
        "ownership_proof": SimpleUploadedFile("产权证.pdf", PDF, content_type="application/pdf"),
    }  # fmt: skip
    return {**data, **changes}


def test_registering_a_property_opens_its_page_waiting_for_the_street(client, landlord, tashan_community):
    client.force_login(landlord)

    response = client.post(reverse("housing:property_new"), registration_form(tashan_community), follow=True)

    prop = Property.objects.get()
    assert response.redirect_chain[-1][0] == reverse("housing:property", args=[prop.pk])
    assert prop.owner == landlord and prop.status == PropertyStatus.PENDING and prop.street == tashan_community.parent
    assert any("等待街道核验" in m for m in flash(response))


def test_a_registration_without_ownership_proof_is_refused_on_its_field_and_nothing_is_saved(
    client, landlord, tashan_community
):
    client.force_login(landlord)
    data = registration_form(tashan_community)
    del data["ownership_proof"]

    response = client.post(reverse("housing:property_new"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["ownership_proof"]
    assert not Property.objects.exists()


def test_a_registration_with_a_short_address_shows_the_services_refusal_and_nothing_is_saved(
    client, landlord, tashan_community
):
    client.force_login(landlord)

    response = client.post(reverse("housing:property_new"), registration_form(tashan_community, address="18号"))

    assert response.status_code == 200
    assert "请填写房屋的详细地址" in response.context["form"].errors["address"][0]
    assert not Property.objects.exists()


def test_a_registration_with_a_program_instead_of_a_proof_is_refused(client, landlord, tashan_community):
    client.force_login(landlord)
    exe = SimpleUploadedFile("产权证.pdf", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")

    response = client.post(reverse("housing:property_new"), registration_form(tashan_community, ownership_proof=exe))

    assert response.status_code == 200
    assert response.context["form"].errors["ownership_proof"]
    assert not Property.objects.exists()


# --- the property page: reporting tenants ---------------------------------------------------------------


def test_the_page_tells_the_landlord_this_reports_deadline(client, landlord, verified):
    client.force_login(landlord)

    page = html(client.get(reverse("housing:property", args=[verified.pk])))

    assert "本次期限：2026-03-13" in section(page, "move-in")
    assert 'id="deadline-estimated"' not in page


def test_in_a_year_without_an_official_schedule_the_deadline_is_said_to_be_an_estimate(client, landlord, verified):
    with at(datetime.date(2027, 6, 1)):
        client.force_login(landlord)
        page = html(client.get(reverse("housing:property", args=[verified.pk])))

    assert "本次期限：2027-06-04" in page
    assert "该年度法定节假日安排尚未公布，期限按周末计算" in section(page, "move-in")


def test_a_move_in_by_id_number_matches_the_resident_the_portal_knows(client, landlord, verified, resident, sms_outbox):
    client.force_login(landlord)
    residents_before = Resident.objects.count()

    response = client.post(
        reverse("housing:property_move_in", args=[verified.pk]), move_in_form(resident, name=resident.name), follow=True
    )

    tenancy = Tenancy.objects.get()
    assert tenancy.tenant == resident and tenancy.status == TenancyStatus.ACTIVE
    assert Resident.objects.count() == residents_before
    assert tenancy.registration.resident == resident and tenancy.registration.address == ADDRESS
    assert any("已申报 王芳 入住" in m for m in flash(response))
    assert f'id="tenancy-{tenancy.pk}"' in html(response)
    assert sms_outbox == []


def test_a_move_in_of_someone_new_starts_their_record_and_invites_them_by_sms(
    client, landlord, verified, sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: texted right after commit
    client.force_login(landlord)
    id_number = make_id_number()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("housing:property_move_in", args=[verified.pk]),
            move_in_form(id_number=id_number, name="陈新来", phone="13800138000"),
        )

    assert response.status_code == 302
    tenancy = Tenancy.objects.get()
    assert tenancy.tenant.name == "陈新来" and tenancy.tenant.user is None
    assert id_of(tenancy.tenant) == id_number
    assert [m.phone for m in sms_outbox] == ["+8613800138000"]
    assert ADDRESS in sms_outbox[0].text
    assert any("发短信" in m for m in flash(response))


def test_someone_new_without_a_phone_number_is_refused_on_the_phone_field(client, landlord, verified):
    client.force_login(landlord)

    response = client.post(reverse("housing:property_move_in", args=[verified.pk]), move_in_form(phone=""))

    assert response.status_code == 200
    assert "手机号" in response.context["move_in_form"].errors["phone"][0]
    assert not Tenancy.objects.exists()
    assert not Resident.objects.exists()


def test_a_wrong_id_number_is_refused_on_its_field(client, landlord, verified):
    client.force_login(landlord)

    response = client.post(
        reverse("housing:property_move_in", args=[verified.pk]), move_in_form(id_number="41282719900101123")
    )

    assert "18 位" in response.context["move_in_form"].errors["id_number"][0]
    assert not Tenancy.objects.exists()


def test_a_move_in_over_capacity_is_refused_with_the_services_message_and_flagged(client, landlord, verified):
    tenancy_rows(verified, 3)
    client.force_login(landlord)

    response = client.post(reverse("housing:property_move_in", args=[verified.pk]), move_in_form(phone="13800138000"))

    assert response.status_code == 200
    page = html(response)
    assert "核定居住 3 人，现已住 3 人，不能再申报入住" in section(page, "move-in")
    assert 'id="full-notice"' in page
    assert Tenancy.objects.count() == 3
    assert OccupancyFlag.objects.get().property == verified


def test_a_landlord_cannot_report_into_a_property_still_waiting_for_verification(client, landlord, tashan_community):
    prop = register_property(landlord, tashan_community)
    client.force_login(landlord)

    response = client.post(reverse("housing:property_move_in", args=[prop.pk]), move_in_form(phone="13800138000"))

    assert "还没有通过核验" in html(response)
    assert not Tenancy.objects.exists()


def test_a_move_out_ends_the_tenancy_and_the_registration_it_opened(client, landlord, verified, resident):
    tenancy = move_in(landlord, verified, resident, on=datetime.date(2026, 3, 2))
    client.force_login(landlord)

    response = client.post(
        reverse("housing:tenancy_end", args=[tenancy.pk]), {"moved_out_on": "2026-03-09"}, follow=True
    )

    tenancy.refresh_from_db()
    registration = ResidenceRegistration.objects.get(pk=tenancy.registration_id)
    assert tenancy.status == TenancyStatus.ENDED and tenancy.moved_out_on == datetime.date(2026, 3, 9)
    assert registration.ended_on == datetime.date(2026, 3, 9)
    assert any("人走注销" in m for m in flash(response))
    ended = html(client.get(reverse("housing:property", args=[verified.pk]), {"list": "ended"}))
    assert f'id="tenancy-{tenancy.pk}"' in ended and "2026-03-09 搬离" in ended


def test_a_move_out_in_the_future_is_refused_and_the_tenant_stays(client, landlord, verified, resident):
    tenancy = move_in(landlord, verified, resident)
    client.force_login(landlord)

    response = client.post(reverse("housing:tenancy_end", args=[tenancy.pk]), {"moved_out_on": "2026-04-01"})

    assert any("不能晚于今天" in m for m in flash(response))
    tenancy.refresh_from_db()
    assert tenancy.status == TenancyStatus.ACTIVE


def test_the_tenants_are_shown_fifty_at_a_time(client, landlord, verified):
    Property.objects.filter(pk=verified.pk).update(max_occupants=200)
    tenancy_rows(verified, 51)
    client.force_login(landlord)

    first = client.get(reverse("housing:property", args=[verified.pk]))
    assert len(first.context["tenants"]) == 50 and 'id="more-tenants"' in html(first)
    second = client.get(reverse("housing:property", args=[verified.pk]), {"before": first.context["next_before"]})
    assert len(second.context["tenants"]) == 1 and 'id="more-tenants"' not in html(second)


@pytest.mark.parametrize("count", [5, 40])
def test_the_property_page_costs_the_same_queries_for_5_or_40_tenancies(client, landlord, verified, count):
    Property.objects.filter(pk=verified.pk).update(max_occupants=200)
    tenancy_rows(verified, count)
    tenancy_rows(verified, count, status=TenancyStatus.DECLARED)
    client.force_login(landlord)
    client.get(reverse("housing:property", args=[verified.pk]))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("housing:property", args=[verified.pk]))

    assert len(response.context["tenants"]) == count and len(response.context["declarations"]) == count
    assert len(queries) == PROPERTY_PAGE_QUERIES, [q["sql"] for q in queries]


# Session, user, unread count, the property with its counts, the user's groups, the tenant ids (tenancy scope)
# for each of the two lists, the declarations, the tenants, the official calendar.
PROPERTY_PAGE_QUERIES = 10


# --- the QR poster ------------------------------------------------------------------------------------


def test_the_poster_encodes_the_absolute_declaration_link_of_the_property(client, landlord, verified):
    client.force_login(landlord)

    response = client.get(reverse("housing:poster", args=[verified.pk]))

    link = response.context["declare_url"]
    assert link.startswith("http://testserver/housing/declare/")
    assert services.property_from_qr_token(link.rstrip("/").rsplit("/", 1)[1]) == verified
    page = html(response)
    poster = page[page.index('id="poster"') : page.index("</article>")]
    assert "<svg" in poster and ADDRESS in poster and "扫码申报入住" in poster
    assert response["Cache-Control"] == "private, no-store"


def test_reissuing_the_qr_code_makes_the_printed_posters_invalid(client, landlord, verified, other_resident):
    printed = services.property_qr_token(verified)
    client.force_login(landlord)

    response = client.post(reverse("housing:poster_reissue", args=[verified.pk]), follow=True)

    assert any("以前打印的二维码已失效" in m for m in flash(response))
    client.force_login(other_resident.user)
    refused = client.get(reverse("housing:declare", args=[printed]))
    assert refused.status_code == 404 and "二维码无效" in html(refused)


# --- the tenant's declaration ----------------------------------------------------------------------------


def test_a_tenant_declares_by_qr_and_the_landlord_confirms_with_one_tap(client, landlord, verified, resident):
    declare_url = reverse("housing:declare", args=[services.property_qr_token(verified)])
    client.force_login(resident.user)

    form = client.get(declare_url)
    assert ADDRESS in section(html(form), "declare-property")
    declared = client.post(declare_url, {"move_in_date": "2026-03-08", "lease_end_date": ""}, follow=True)

    tenancy = Tenancy.objects.get()
    assert declared.redirect_chain[-1][0] == reverse("housing:declared", args=[tenancy.pk])
    assert "已提交，等待房东确认" in html(declared)
    assert tenancy.tenant == resident and tenancy.status == TenancyStatus.DECLARED

    client.force_login(landlord)
    page = html(client.get(reverse("housing:property", args=[verified.pk])))
    assert "王芳" in section(page, "declarations") and "请在 2026-03-11 前确认" in page
    confirmed = client.post(reverse("housing:tenancy_confirm", args=[tenancy.pk]), follow=True)

    tenancy.refresh_from_db()
    assert tenancy.status == TenancyStatus.ACTIVE and tenancy.registration.resident == resident
    assert any("已确认 王芳 入住" in m for m in flash(confirmed))
    client.force_login(resident.user)
    mine = html(client.get(reverse("housing:tenancies")))
    assert ADDRESS in mine and "在住" in mine and "自 2026-03-08 起有效" in mine


def test_the_landlord_says_a_declarer_is_not_their_tenant(client, landlord, verified, resident):
    tenancy = services.tenancy_declare(
        actor=resident.user, token=services.property_qr_token(verified), move_in_date=TODAY
    )
    client.force_login(landlord)

    client.post(reverse("housing:tenancy_decline", args=[tenancy.pk]))

    tenancy.refresh_from_db()
    assert tenancy.status == TenancyStatus.DECLINED and tenancy.registration is None
    client.force_login(resident.user)
    assert "房东表示您不是这处房屋的租客" in html(client.get(reverse("housing:tenancies")))


def test_a_tenant_cannot_confirm_their_own_declaration(client, verified, resident):
    tenancy = services.tenancy_declare(
        actor=resident.user, token=services.property_qr_token(verified), move_in_date=TODAY
    )
    client.force_login(resident.user)

    response = client.post(reverse("housing:tenancy_confirm", args=[tenancy.pk]))

    assert any("只有登记这处房屋的房东或中介可以申报" in m for m in flash(response))
    tenancy.refresh_from_db()
    assert tenancy.status == TenancyStatus.DECLARED


def test_a_forged_qr_link_is_a_clear_404(client, verified, resident):
    forged = services.property_qr_token(verified)[:-4] + "AAAA"
    client.force_login(resident.user)

    response = client.get(reverse("housing:declare", args=[forged]))

    assert response.status_code == 404
    assert "二维码无效，请核对后重新扫码" in section(html(response), "qr-refused")
    assert response["Referrer-Policy"] == "same-origin"


def test_a_qr_link_older_than_a_year_is_expired(client, verified, resident):
    token = services.property_qr_token(verified)
    client.force_login(resident.user)

    with at(TODAY + datetime.timedelta(days=367)):
        response = client.get(reverse("housing:declare", args=[token]))

    assert response.status_code == 404
    assert "这张二维码已过期" in html(response)
    assert not Tenancy.objects.exists()


def test_a_signed_in_user_without_a_profile_is_asked_to_create_one_first(client, verified, other_user):
    declare_url = reverse("housing:declare", args=[services.property_qr_token(verified)])
    client.force_login(other_user)

    response = client.get(declare_url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("residents:profile") + "?next=%2Fhousing%2Fdeclare%2F")


def test_a_declaration_with_a_future_move_in_date_is_refused_on_its_field(client, verified, resident):
    declare_url = reverse("housing:declare", args=[services.property_qr_token(verified)])
    client.force_login(resident.user)

    response = client.post(declare_url, {"move_in_date": "2026-04-01"})

    assert response.status_code == 200
    assert "入住日期不能晚于今天" in response.context["form"].errors["move_in_date"][0]
    assert not Tenancy.objects.exists()


# --- 我的租住 -----------------------------------------------------------------------------------------


def test_my_tenancies_shows_only_my_own(client, landlord, verified, resident, other_resident):
    move_in(landlord, verified, resident)
    move_in(landlord, verified, other_resident)
    client.force_login(other_resident.user)

    response = client.get(reverse("housing:tenancies"))

    assert [t.tenant for t in response.context["tenancies"]] == [other_resident]


def test_the_landlord_does_not_find_their_tenants_among_their_own_tenancies(client, landlord, verified, resident):
    move_in(landlord, verified, resident)
    client.force_login(landlord)

    response = client.get(reverse("housing:tenancies"))

    assert response.context["tenancies"] == []
    assert 'id="no-tenancies"' in html(response)


def test_the_declared_page_is_the_tenants_alone(client, verified, resident, other_user, landlord):
    tenancy = services.tenancy_declare(
        actor=resident.user, token=services.property_qr_token(verified), move_in_date=TODAY
    )
    client.force_login(other_user)
    assert client.get(reverse("housing:declared", args=[tenancy.pk])).status_code == 404
    client.force_login(resident.user)
    assert client.get(reverse("housing:declared", args=[tenancy.pk])).status_code == 200


def test_mine_links_to_my_tenancies_and_the_service_list_to_my_properties(client, resident):
    client.force_login(resident.user)

    assert reverse("housing:tenancies") in html(client.get(reverse("residents:mine")))
    rental = next(s for s in SERVICES if s.key == "rental_report")
    assert rental.url == reverse("housing:properties")
