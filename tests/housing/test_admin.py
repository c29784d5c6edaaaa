"""The caseworker console for rental housing: the verification queue of one's streets, the property page with
its proof, tenancies and flags, the 核验通过 / 不通过 buttons, the tenancy list with late and overdue reports,
the group-rental flags and their resolution, the administrators' holiday schedules — each scoped to the
streets the caseworker covers (404 beyond), and each list at a cost that does not grow with its rows."""

from __future__ import annotations

import datetime
import itertools
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from housing import services
from housing.admin import OfficialCalendarYearForm
from housing.choices import HousingEvent, PropertyStatus, TenancySource, TenancyStatus
from housing.models import OccupancyFlag, OfficialCalendarYear, Property, Tenancy
from residents.models import AuditEvent, Region
from tests.casework import PDF
from tests.factories import CommunityFactory, ResidentFactory, UserFactory, street

pytestmark = pytest.mark.django_db

PROPERTIES = "/admin/housing/property/"
TENANCIES = "/admin/housing/tenancy/"
FLAGS = "/admin/housing/occupancyflag/"
CALENDARS = "/admin/housing/officialcalendaryear/"
DAY = datetime.timedelta(days=1)
_door = itertools.count(1)


# --- the scene ----------------------------------------------------------------------------------------


def registered(owner, community: Region, *, address: str | None = None) -> Property:  # type: ignore[no-untyped-def]
    """A property registered by its landlord through the service, with its proof on file."""
    return services.property_register(
        actor=owner, address=address or f"环城西路 18 号 {next(_door)} 幢 302 室", community=community, rooms=2,
        floor_area="58.5", max_occupants=3, owner_name="李房东",
        ownership_proof=SimpleUploadedFile("房产证.pdf", PDF, content_type="application/pdf"),
    )  # fmt: skip


def a_row(owner, community: Region, **fields) -> Property:  # type: ignore[no-untyped-def]
    """A property written straight to the table: for lists, where the proof file does not matter."""
    fields.setdefault("status", PropertyStatus.PENDING)
    fields.setdefault("address", f"解放北路 {next(_door)} 号")
    fields.setdefault("max_occupants", 2)
    return Property.objects.create(
        owner=owner, owner_name="李房东", community=community,
        street=community.parent, rooms=2, floor_area="40.00", ownership_proof="p.pdf",
        ownership_proof_name="产权证.pdf", **fields,
    )  # fmt: skip


def a_tenancy(prop: Property, *, status: str = TenancyStatus.ACTIVE, due_on: datetime.date | None = None,
              reported_on: datetime.date | None = None, **fields) -> Tenancy:  # type: ignore[no-untyped-def]  # fmt: skip
    due_on = due_on or timezone.localdate()
    reported_at = None
    if status != TenancyStatus.DECLARED:
        day = reported_on or due_on
        reported_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 30)))
    fields.setdefault("tenant", ResidentFactory(community=prop.community))
    return Tenancy.objects.create(
        property=prop, status=status, move_in_date=due_on - 5 * DAY, move_in_due_on=due_on,
        move_in_reported_at=reported_at, reported_by=prop.owner,
        source=TenancySource.TENANT if status == TenancyStatus.DECLARED else TenancySource.LANDLORD, **fields,
    )  # fmt: skip


def a_flag(prop: Property) -> OccupancyFlag:
    return OccupancyFlag.objects.create(
        property=prop, street_id=prop.street_id, attempted_by=prop.owner, occupants=prop.max_occupants,
        capacity=prop.max_occupants,
    )  # fmt: skip


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def listed(client: Client, url: str, **params) -> list:  # type: ignore[no-untyped-def]
    response = client.get(url, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_url(prop: Property) -> str:
    return reverse("admin:housing_property_change", args=[prop.pk])


def act(client: Client, prop: Property, what: str, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("admin:housing_property_act", args=[prop.pk, what]), data, follow=True)


def proof_url(prop: Property) -> str:
    return reverse("admin:housing_property_proof", args=[prop.pk])


@pytest.fixture(autouse=True)
def _two_factor_off(settings):  # type: ignore[no-untyped-def]
    settings.STAFF_MFA_REQUIRED = False  # the console's two-factor enrolment has its own tests


@pytest.fixture
def pending(landlord, tashan_community) -> Property:  # type: ignore[no-untyped-def]
    """Waiting for 塔山街道's caseworker."""
    return registered(landlord, tashan_community, address="塔山街道府河街 12 号 3 幢 402 室")


@pytest.fixture
def fushan_property(landlord, fushan_community) -> Property:  # type: ignore[no-untyped-def]
    return registered(landlord, fushan_community, address="府山街道胜利西路 8 号 101 室")


@pytest.fixture
def console(caseworker) -> Client:  # type: ignore[no-untyped-def]
    return browser(caseworker)


# --- the verification queue -----------------------------------------------------------------------------


def test_the_queue_shows_the_pending_properties_of_the_caseworkers_streets_oldest_first(
    console, landlord, tashan_community, fushan_community
):
    first = a_row(landlord, tashan_community)
    second = a_row(UserFactory(), CommunityFactory(parent=street("塔山街道")))
    a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
    a_row(landlord, fushan_community)  # another street

    assert listed(console, PROPERTIES) == [first, second]


def test_all_statuses_are_one_click_away_newest_first(console, landlord, tashan_community):
    older = a_row(landlord, tashan_community)
    verified = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
    rejected = a_row(landlord, tashan_community, status=PropertyStatus.REJECTED, rejection_reason="照片不清")

    assert listed(console, PROPERTIES, status="all") == [rejected, verified, older]
    assert listed(console, PROPERTIES, status="verified") == [verified]


def test_the_street_filter_offers_only_the_streets_covered_and_search_finds_an_address(
    console, caseworker, landlord, tashan_community
):
    wanted = a_row(landlord, tashan_community, address="塔山街道上大路 77 号 5 室")
    a_row(landlord, tashan_community, address="塔山街道下大路 9 号")

    response = console.get(PROPERTIES)
    [street_filter] = [f for f in response.context["cl"].filter_specs if f.parameter_name == "street"]
    assert [name for _, name in street_filter.lookup_choices] == ["塔山街道"]
    assert listed(console, PROPERTIES, q="上大路 77") == [wanted]


def test_an_administrator_sees_every_street(administrator, pending, fushan_property):
    assert set(listed(browser(administrator), PROPERTIES)) == {pending, fushan_property}


def test_a_resident_or_landlord_cannot_open_the_console(resident, landlord, pending):
    for user in (resident.user, landlord):
        for url in (PROPERTIES, change_url(pending), TENANCIES, FLAGS):
            response = browser(user).get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_sign_in(pending):
    response = Client().get(PROPERTIES)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- the property page ----------------------------------------------------------------------------------


def test_the_property_page_shows_the_details_proof_tenancies_and_flags_read_only(console, pending, caseworker):
    prop = services.property_verify(actor=caseworker, prop=pending)
    living = a_tenancy(prop, tenant=ResidentFactory(name="张伟", community=prop.community))
    a_flag(prop)

    response = console.get(change_url(prop))

    assert response.status_code == 200
    page = response.content.decode()
    assert "塔山街道府河街 12 号 3 幢 402 室" in page
    assert f'href="{proof_url(prop)}"' in page
    assert "张伟" in page and living.tenant.id_number_masked in page
    assert "在住 1 人，核定 3 人" in page
    assert "核定 3 人，已住 3 人，又申报 1 人" in page
    assert 'name="_save"' not in page  # nothing is edited in place
    assert "verify-property" not in page  # verified already: no button to press again


def test_a_caseworker_of_another_street_gets_a_404_everywhere(caseworker_elsewhere, pending):
    client = browser(caseworker_elsewhere)

    assert client.get(change_url(pending)).status_code == 404
    assert client.get(reverse("admin:housing_property_history", args=[pending.pk])).status_code == 404
    assert client.post(reverse("admin:housing_property_act", args=[pending.pk, "verify"])).status_code == 404
    assert client.get(proof_url(pending)).status_code == 404
    pending.refresh_from_db()
    assert pending.status == PropertyStatus.PENDING


def test_verifying_from_the_page_calls_the_service_and_says_so(console, caseworker, pending):
    response = act(console, pending, "verify")

    assert "已核验通过，房东可以申报租客了。" in flash(response)
    pending.refresh_from_db()
    assert (pending.status, pending.verified_by) == (PropertyStatus.VERIFIED, caseworker)
    assert AuditEvent.objects.filter(event_type=HousingEvent.PROPERTY_VERIFIED, actor=caseworker).count() == 1

    again = act(console, pending, "verify")
    assert "这处房屋已核验。" in flash(again)


def test_not_passing_needs_a_reason_the_landlord_will_read(console, pending):
    refused = act(console, pending, "reject", reason="  ")
    assert "请写明未通过的原因，房东会看到。" in flash(refused)
    pending.refresh_from_db()
    assert pending.status == PropertyStatus.PENDING

    response = act(console, pending, "reject", reason="产权证明照片看不清，请重新拍照上传。")

    assert "已记录不通过，原因会告知房东。" in flash(response)
    pending.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == (
        PropertyStatus.REJECTED,
        "产权证明照片看不清，请重新拍照上传。",
    )
    page = console.get(change_url(pending)).content.decode()
    assert "产权证明照片看不清" in page
    assert "verify-property" in page  # a mistaken refusal can still be put right
    assert "reject-form" not in page


def test_a_get_to_a_button_changes_nothing(console, pending):
    response = console.get(reverse("admin:housing_property_act", args=[pending.pk, "verify"]))

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PropertyStatus.PENDING


def test_the_bulk_action_verifies_what_the_caseworker_may_and_names_what_was_refused(
    administrator, caseworker, landlord, tashan_community
):
    first, second = a_row(landlord, tashan_community), a_row(landlord, tashan_community)
    services.property_verify(actor=caseworker, prop=second)

    response = browser(caseworker).post(  # from the list of every status (the filter is in the address)
        f"{PROPERTIES}?status=all",
        {"action": "verify_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert f"{second.address}：这处房屋已核验。" in flash(response)
    assert "已核验通过 1 处房屋。" in flash(response)
    first.refresh_from_db()
    assert first.status == PropertyStatus.VERIFIED


# --- the ownership proof ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "caseworker", "administrator"])
def test_the_proof_is_served_to_the_owner_the_streets_caseworker_and_an_administrator(
    who, pending, landlord, caseworker, administrator
):
    user = {"owner": landlord, "caseworker": caseworker, "administrator": administrator}[who]

    response = browser(user).get(proof_url(pending))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"


def test_the_proof_is_a_404_for_anyone_else(pending, resident, caseworker_elsewhere):
    for user in (resident.user, caseworker_elsewhere, UserFactory()):
        assert browser(user).get(proof_url(pending)).status_code == 404
    anonymous = Client().get(proof_url(pending))
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]


# --- tenancies ------------------------------------------------------------------------------------------


def test_the_tenancy_list_shows_late_reports_and_overdue_declarations(console, landlord, tashan_community):
    prop = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
    today = timezone.localdate()
    on_time = a_tenancy(prop, due_on=today - 3 * DAY, reported_on=today - 3 * DAY)
    late = a_tenancy(prop, due_on=today - 6 * DAY, reported_on=today - 5 * DAY)
    overdue = a_tenancy(prop, status=TenancyStatus.DECLARED, due_on=today - DAY)
    waiting = a_tenancy(prop, status=TenancyStatus.DECLARED, due_on=today)
    a_tenancy(a_row(landlord, CommunityFactory(parent=street("府山街道")), status=PropertyStatus.VERIFIED))

    assert set(listed(console, TENANCIES)) == {on_time, late, overdue, waiting}
    assert listed(console, TENANCIES, report="late") == [late]
    assert listed(console, TENANCIES, report="overdue") == [overdue]
    assert set(listed(console, TENANCIES, status="declared")) == {overdue, waiting}
    rows = {t.pk: t for t in listed(console, TENANCIES)}
    admin = console.get(TENANCIES).context["cl"].model_admin
    assert [admin.late(rows[t.pk]) for t in (on_time, late, overdue, waiting)] == [False, True, True, False]


def test_a_deadline_in_a_year_without_an_official_schedule_is_marked_an_estimate(console, landlord, tashan_community):
    prop = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
    known = a_tenancy(prop, due_on=datetime.date(2026, 3, 17))
    guessed = a_tenancy(prop, due_on=datetime.date(2031, 3, 17), reported_on=datetime.date(2031, 3, 17))

    page = console.get(TENANCIES).content.decode()
    assert page.count("该年度法定节假日安排尚未公布，期限按周末计算") == 1
    assert console.get(reverse("admin:housing_tenancy_change", args=[guessed.pk])).status_code == 200
    assert "估算" not in console.get(reverse("admin:housing_tenancy_change", args=[known.pk])).content.decode()


def test_a_tenancy_out_of_scope_is_a_404(caseworker_elsewhere, landlord, tashan_community):
    tenancy = a_tenancy(a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED))

    assert (
        browser(caseworker_elsewhere).get(reverse("admin:housing_tenancy_change", args=[tenancy.pk])).status_code == 404
    )
    assert listed(browser(caseworker_elsewhere), TENANCIES) == []


# --- group-rental flags ----------------------------------------------------------------------------------


def test_the_flags_of_the_street_wait_to_be_handled(console, caseworker_elsewhere, landlord, tashan_community):
    prop = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
    open_flag, handled = a_flag(prop), a_flag(prop)
    OccupancyFlag.objects.filter(pk=handled.pk).update(resolved_at=timezone.now(), resolution="已核实")

    assert listed(console, FLAGS) == [open_flag]
    assert set(listed(console, FLAGS, resolved="all")) == {open_flag, handled}
    assert listed(browser(caseworker_elsewhere), FLAGS, resolved="all") == []
    flag_page = reverse("admin:housing_occupancyflag_change", args=[open_flag.pk])
    assert browser(caseworker_elsewhere).get(flag_page).status_code == 404


def test_marking_flags_handled_asks_for_the_result_then_records_it(console, caseworker, landlord, tashan_community):
    prop = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
    flag = a_flag(prop)
    chosen = {"action": "resolve_selected", "_selected_action": [flag.pk]}

    asked = console.post(FLAGS, chosen)
    assert asked.status_code == 200
    assert "记录处理结果" in asked.content.decode()

    blank = console.post(FLAGS, {**chosen, "resolution": ""})
    assert blank.status_code == 200  # asked again: a result is required
    flag.refresh_from_db()
    assert flag.resolved_at is None

    done = console.post(FLAGS, {**chosen, "resolution": "已上门核实，多住的人已搬离。"}, follow=True)

    assert "已记录 1 条提示的处理结果。" in flash(done)
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert flag.resolution == "已上门核实，多住的人已搬离。"
    event = AuditEvent.objects.get(event_type=HousingEvent.OCCUPANCY_FLAG_RESOLVED)
    assert (event.actor, event.object_id) == (caseworker, str(flag.pk))

    again = console.post(f"{FLAGS}?resolved=all", {**chosen, "resolution": "再处理一次"}, follow=True)
    assert f"{prop.address}：这条提示已经处理过了。" in flash(again)


def test_the_flag_service_refuses_a_caseworker_of_another_street(caseworker_elsewhere, landlord, tashan_community):
    flag = a_flag(a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED))

    with pytest.raises(services.DomainError) as refusal:
        services.occupancy_flag_resolve(actor=caseworker_elsewhere, flag=flag, resolution="已处理")

    assert refusal.value.code == "not_allowed"


# --- the official holiday schedules ----------------------------------------------------------------------


def test_only_administrators_manage_the_holiday_schedules(console, administrator):
    assert console.get(CALENDARS).status_code == 403
    assert browser(administrator).get(CALENDARS).status_code == 200
    assert "officialcalendaryear" not in console.get("/admin/").content.decode()


def test_an_administrator_enters_a_year_and_its_dates_are_saved_sorted(administrator):
    response = browser(administrator).post(
        f"{CALENDARS}add/",
        {"year": "2027", "holidays": '["2027-10-02", "2027-10-01", "2027-10-01"]',
         "adjusted_workdays": '["2027-09-26"]', "source": "国办发明电〔2026〕1号"},
    )  # fmt: skip

    assert response.status_code == 302
    saved = OfficialCalendarYear.objects.get(year=2027)
    assert saved.holidays == ["2027-10-01", "2027-10-02"]
    assert saved.adjusted_workdays == ["2027-09-26"]


@pytest.mark.parametrize(
    ("holidays", "adjusted", "field", "message"),
    [
        (["2028-01-01"], [], "holidays", "这些不是 2027 年的日期（格式 YYYY-MM-DD）：2028-01-01"),
        (["2027-02-30"], [], "holidays", "这些不是 2027 年的日期（格式 YYYY-MM-DD）：2027-02-30"),
        (["20270101"], [], "holidays", "这些不是 2027 年的日期（格式 YYYY-MM-DD）：20270101"),
        ([1], [], "holidays", "这些不是 2027 年的日期（格式 YYYY-MM-DD）：1"),
        ("2027-01-01", [], "holidays", "请填写日期列表"),
        ([], ["2027-09-27"], "adjusted_workdays", "调休上班日应是周六或周日，这些是工作日：2027-09-27"),
        (["2027-09-26"], ["2027-09-26"], "adjusted_workdays", "这些日期不能既放假又上班：2027-09-26"),
    ],
)
def test_a_schedule_with_dates_that_are_not_of_that_year_is_refused(holidays, adjusted, field, message):
    form = OfficialCalendarYearForm(
        data={"year": "2027", "holidays": _json(holidays), "adjusted_workdays": _json(adjusted), "source": ""}
    )

    assert not form.is_valid()
    assert any(message in error for error in form.errors[field])


def _json(value) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(value)


# --- cost ---------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_number_of_queries_for_one_row_as_for_twenty(console, landlord, tashan_community):
    def add_rows() -> Property:
        prop = a_row(UserFactory(), CommunityFactory(parent=street("塔山街道")))
        verified = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED)
        a_tenancy(verified, status=TenancyStatus.DECLARED)
        a_flag(verified)
        return prop

    add_rows()
    one = [_queries(console, url) for url in (PROPERTIES, TENANCIES, FLAGS)]
    for _ in range(19):
        add_rows()

    assert [_queries(console, url) for url in (PROPERTIES, TENANCIES, FLAGS)] == one
    assert len(listed(console, TENANCIES)) == 20


def test_the_property_page_costs_the_same_with_one_tenancy_as_with_twenty(console, landlord, tashan_community):
    prop = a_row(landlord, tashan_community, status=PropertyStatus.VERIFIED, max_occupants=30)
    a_tenancy(prop)
    a_flag(prop)
    one = _queries(console, change_url(prop))
    for _ in range(19):
        a_tenancy(prop)
        a_flag(prop)

    assert _queries(console, change_url(prop)) == one
