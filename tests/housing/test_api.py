"""The rental-housing API (/api/v1/properties/, /api/v1/tenancies/): who sees what (out of scope is 404), a
property from registration to its QR poster, 人来申报 by ID number (matched or invited), the QR declaration
confirmed by the landlord, 人走注销; refusals as 400 on the field (409 over capacity, with the group-rental
flag) with nothing saved; the ID number never returned; constant queries per page."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.models import User
from housing import services
from housing.choices import HousingEvent, PropertyStatus, TenancyStatus
from housing.models import OccupancyFlag, Property, Tenancy
from notifications.models import Notification
from residents import selectors as resident_selectors
from residents.models import AuditEvent, Resident
from residents.pii import id_number_decrypt

from ..casework import EXE, PDF, media_files
from ..conftest import api_as
from ..factories import ResidentFactory, UserFactory, caseworker_for, make_id_number

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 28)  # a Saturday
FRIDAY = datetime.date(2026, 11, 27)
PROPERTIES = "/api/v1/properties/"
TENANCIES = "/api/v1/tenancies/"
DECLARE = "/api/v1/tenancies/declare/"
ADDRESS = "环城西路 18 号 2 幢 302 室"


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    # 18:00 in Shaoxing: the same calendar day in UTC and local time.
    with time_machine.travel(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def property_url(prop: Property, suffix: str = "") -> str:
    return f"{PROPERTIES}{prop.pk}/{suffix}"


def tenancy_url(tenancy: Tenancy, suffix: str = "") -> str:
    return f"{TENANCIES}{tenancy.pk}/{suffix}"


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


def id_of(resident: Resident) -> str:
    return id_number_decrypt(resident.id_number_ciphertext)


def proof(name: str = "产权证.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def a_property(owner: User, community, *, max_occupants: int = 3, verified_by: User | None = None) -> Property:  # type: ignore[no-untyped-def]
    prop = services.property_register(
        actor=owner, address=ADDRESS, community=community, rooms=2, floor_area="58.5", max_occupants=max_occupants,
        owner_name="李房东", ownership_proof=proof(),
    )  # fmt: skip
    if verified_by is not None:
        prop = services.property_verify(actor=verified_by, prop=prop)
    return prop


def moved_in(owner: User, prop: Property, tenant: Resident, *, on: datetime.date = FRIDAY) -> Tenancy:
    return services.tenancy_report_move_in(
        actor=owner, prop=prop, id_number=id_of(tenant), name=tenant.name, move_in_date=on
    )


def move_in_body(tenant: Resident | None = None, **overrides) -> dict:  # type: ignore[no-untyped-def]
    body = {"move_in_date": FRIDAY.isoformat(), "lease_end_date": "2027-11-26"}
    if tenant is not None:
        body |= {"id_number": id_of(tenant), "name": tenant.name}
    return body | overrides


@pytest.fixture
def other_landlord(db):  # type: ignore[no-untyped-def]
    """Another landlord on the same street, who must see nothing of 李房东's."""
    return UserFactory(username="landlord_zhou", roles=[Role.LANDLORD])


@pytest.fixture
def verified(landlord, tashan_community, caseworker):  # type: ignore[no-untyped-def]
    """李房东's flat, verified by 塔山's caseworker, for three people."""
    return a_property(landlord, tashan_community, verified_by=caseworker)


@pytest.fixture
def tenancy(landlord, verified, resident):  # type: ignore[no-untyped-def]
    """王芳 living in 李房东's flat since Friday, reported by him."""
    return moved_in(landlord, verified, resident)


@pytest.fixture
def declared(verified, other_resident):  # type: ignore[no-untyped-def]
    """赵强 declared from the QR poster that he lives in 李房东's flat; waiting for 李房东."""
    token = services.property_qr_token(verified)
    return services.tenancy_declare(actor=other_resident.user, token=token, move_in_date=FRIDAY)


# --- who sees what ------------------------------------------------------------------------------------


def object_calls(prop: Property, tenancy: Tenancy) -> list[tuple[str, str, dict]]:
    """Every call on one property or one tenancy, each with a body that would otherwise be accepted."""
    return [
        ("get", property_url(prop), {}),
        ("post", property_url(prop, "verify/"), {}),
        ("post", property_url(prop, "reject/"), {"reason": "产权证明看不清"}),
        ("post", property_url(prop, "move-in/"),
         move_in_body(id_number=make_id_number(), name="刘洋", phone="+8613900001111")),
        ("post", property_url(prop, "withdraw-qr/"), {}),
        ("get", tenancy_url(tenancy), {}),
        ("post", tenancy_url(tenancy, "confirm/"), {}),
        ("post", tenancy_url(tenancy, "decline/"), {}),
        ("post", tenancy_url(tenancy, "end/"), {"moved_out_on": TODAY.isoformat()}),
    ]  # fmt: skip


def snapshot() -> tuple:  # type: ignore[type-arg]
    """What a refused call must leave as it was."""
    return (
        list(Property.objects.order_by("pk").values_list("pk", "status", "qr_nonce", "rejection_reason")),
        list(Tenancy.objects.order_by("pk").values_list("pk", "status", "moved_out_on")),
        Resident.objects.count(),
        OccupancyFlag.objects.count(),
    )


def test_an_anonymous_caller_is_asked_to_sign_in_everywhere_and_changes_nothing(verified, declared):
    before = snapshot()
    declaration = {"token": services.property_qr_token(verified), "move_in_date": FRIDAY.isoformat()}
    lists = [("get", PROPERTIES, {}), ("post", PROPERTIES, {}), ("get", TENANCIES, {}), ("post", DECLARE, declaration)]

    for method, url, body in [*lists, *object_calls(verified, declared)]:
        response = getattr(api_as(None), method)(url, body, format="json")
        assert response.status_code == 401, (method, url)

    assert snapshot() == before


def test_the_owner_lists_and_reads_their_property_with_its_occupants_and_qr_link(landlord, verified, tenancy):
    client = api_as(landlord)

    assert ids(client.get(PROPERTIES)) == [verified.pk]
    body = client.get(property_url(verified)).json()
    assert (body["status"], body["status_label"]) == ("verified", "已核验")
    assert (body["address"], body["owner_name"]) == (ADDRESS, "李房东")
    assert (body["community"], body["street"], body["street_name"]) == (
        verified.community_id, verified.street_id, "塔山街道"
    )  # fmt: skip
    assert (body["rooms"], body["floor_area"], body["max_occupants"], body["occupants"]) == (2, "58.50", 3, 1)
    token = services.property_qr_token(verified)
    assert body["qr_url"] == f"http://testserver/housing/declare/{token}/"
    assert client.get(PROPERTIES).json()["results"][0]["qr_url"] == body["qr_url"]


def test_the_owner_reads_the_tenancy_with_the_tenants_id_number_masked(landlord, tenancy, resident):
    client = api_as(landlord)

    assert ids(client.get(TENANCIES)) == [tenancy.pk]
    response = client.get(tenancy_url(tenancy))
    body = response.json()
    assert (body["tenant"], body["tenant_name"]) == (resident.pk, "王芳")
    assert body["tenant_id_number"] == resident.id_number_masked
    assert "*" in body["tenant_id_number"]
    assert id_of(resident) not in response.content.decode()
    assert (body["status"], body["source"]) == ("active", "landlord")
    assert (body["property"], body["property_address"]) == (tenancy.property_id, ADDRESS)
    assert (body["move_in_date"], body["lease_end_date"]) == ("2026-11-27", None)
    # Friday 27 November: Monday, Tuesday, Wednesday.
    assert (body["move_in_due_on"], body["deadline_estimated"]) == ("2026-12-02", False)
    assert tenancy.registration_id is not None
    assert body["registration"] == tenancy.registration_id


def test_another_landlord_sees_nothing_and_gets_not_found_for_every_call(verified, declared, other_landlord):
    client = api_as(other_landlord)
    before = snapshot()

    assert ids(client.get(PROPERTIES)) == []
    assert ids(client.get(TENANCIES)) == []
    for method, url, body in object_calls(verified, declared):
        assert getattr(client, method)(url, body, format="json").status_code == 404, (method, url)
    assert snapshot() == before


def test_the_tenant_sees_their_own_tenancy_but_not_the_property(verified, tenancy, declared, resident_user):
    client = api_as(resident_user)

    assert ids(client.get(PROPERTIES)) == []
    assert client.get(property_url(verified)).status_code == 404
    assert ids(client.get(TENANCIES)) == [tenancy.pk]
    body = client.get(tenancy_url(tenancy)).json()
    assert (body["tenant_name"], body["property_address"]) == ("王芳", ADDRESS)
    assert client.get(tenancy_url(declared)).status_code == 404  # 赵强's, in the same flat


def test_the_tenant_cannot_report_their_own_move_out_nor_confirm_a_declaration(tenancy, resident_user):
    client = api_as(resident_user)

    response = client.post(tenancy_url(tenancy, "end/"), {"moved_out_on": TODAY.isoformat()}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert Tenancy.objects.get(pk=tenancy.pk).status == TenancyStatus.ACTIVE


def test_a_caseworker_in_scope_sees_the_street_and_verifies_a_property(landlord, tashan_community, caseworker, tenancy):  # type: ignore[no-untyped-def]
    pending = a_property(landlord, tashan_community)
    client = api_as(caseworker)

    assert ids(client.get(PROPERTIES)) == [pending.pk, tenancy.property_id]
    assert ids(client.get(PROPERTIES, {"status": "pending"})) == [pending.pk]
    assert client.get(property_url(tenancy.property)).json()["qr_url"] is None  # the poster is the owner's
    assert ids(client.get(TENANCIES)) == [tenancy.pk]
    assert client.get(tenancy_url(tenancy)).json()["tenant_id_number"] == tenancy.tenant.id_number_masked

    response = client.post(property_url(pending, "verify/"))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verified"
    pending.refresh_from_db()
    assert (pending.status, pending.verified_by) == (PropertyStatus.VERIFIED, caseworker)


def test_a_caseworker_cannot_report_a_move_in_for_the_landlord(verified, caseworker, other_resident):
    response = api_as(caseworker).post(property_url(verified, "move-in/"), move_in_body(other_resident), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert not Tenancy.objects.exists()


def test_a_caseworker_out_of_scope_sees_nothing_and_gets_not_found_for_every_call(
    verified, declared, caseworker_elsewhere
):  # type: ignore[no-untyped-def]
    client = api_as(caseworker_elsewhere)
    before = snapshot()

    assert ids(client.get(PROPERTIES)) == []
    assert ids(client.get(TENANCIES)) == []
    for method, url, body in object_calls(verified, declared):
        assert getattr(client, method)(url, body, format="json").status_code == 404, (method, url)
    assert snapshot() == before


def test_an_administrator_sees_every_property_and_tenancy(tenancy, fushan_community, other_landlord, administrator):
    fushan = a_property(other_landlord, fushan_community)
    client = api_as(administrator)

    assert ids(client.get(PROPERTIES)) == [fushan.pk, tenancy.property_id]
    assert ids(client.get(TENANCIES)) == [tenancy.pk]


def test_a_non_numeric_id_is_not_found(landlord):
    client = api_as(landlord)

    assert client.get(f"{PROPERTIES}abc/").status_code == 404
    assert client.get(f"{TENANCIES}abc/").status_code == 404


# --- properties ---------------------------------------------------------------------------------------


def test_a_landlord_registers_a_property_and_gets_its_qr_link_once_verified(landlord, tashan_community, caseworker):
    client = api_as(landlord)

    response = client.post(
        PROPERTIES,
        {"address": ADDRESS, "community": tashan_community.pk, "owner_name": "李房东", "rooms": 2,
         "floor_area": "58.5", "max_occupants": 3, "ownership_proof": proof()},
        format="multipart",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["occupants"], body["qr_url"]) == ("pending", 0, None)
    assert (body["community"], body["street"]) == (tashan_community.pk, tashan_community.parent_id)
    prop = Property.objects.get(pk=body["id"])
    assert (prop.owner, prop.ownership_proof_name) == (landlord, "产权证.pdf")
    assert AuditEvent.objects.filter(event_type=HousingEvent.PROPERTY_REGISTERED, object_id=str(prop.pk)).exists()

    api_as(caseworker).post(property_url(prop, "verify/"))

    token = services.property_qr_token(prop)
    assert client.get(property_url(prop)).json()["qr_url"] == f"http://testserver/housing/declare/{token}/"


def test_registering_with_bad_input_is_a_400_on_each_field_and_saves_nothing(landlord, tashan_community):
    response = api_as(landlord).post(
        PROPERTIES, {"address": ADDRESS, "community": tashan_community.pk, "rooms": "两间", "max_occupants": 3},
        format="multipart",
    )  # fmt: skip

    assert response.status_code == 400
    assert set(response.json()) == {"owner_name", "rooms", "floor_area", "ownership_proof"}
    assert not Property.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"address": "塔山"}, "address", "address_required"),
        ({"max_occupants": 0}, "max_occupants", "max_occupants_invalid"),
        ({"floor_area": "0.5"}, "floor_area", "floor_area_invalid"),
    ],
)
def test_a_property_the_rules_refuse_is_a_400_on_the_field_and_saves_nothing(
    landlord, tashan_community, change, field, code
):  # type: ignore[no-untyped-def]
    body = {"address": ADDRESS, "community": tashan_community.pk, "owner_name": "李房东", "rooms": 2,
            "floor_area": "58.5", "max_occupants": 3, "ownership_proof": proof()} | change  # fmt: skip

    response = api_as(landlord).post(PROPERTIES, body, format="multipart")

    assert response.status_code == 400
    assert (field, response.json()["code"]) == (next(iter(response.json())), code)
    assert not Property.objects.exists()
    assert media_files() == []


def test_an_ownership_proof_that_is_not_a_document_is_refused_and_not_kept(landlord, tashan_community):
    body = {"address": ADDRESS, "community": tashan_community.pk, "owner_name": "李房东", "rooms": 2,
            "floor_area": "58.5", "max_occupants": 3, "ownership_proof": proof(content=EXE)}  # fmt: skip

    response = api_as(landlord).post(PROPERTIES, body, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "file_type_invalid"
    assert not Property.objects.exists()
    assert media_files() == []


def test_a_caseworker_rejects_a_property_with_a_reason_the_landlord_reads(landlord, tashan_community, caseworker):
    prop = a_property(landlord, tashan_community)
    client = api_as(caseworker)

    without_reason = client.post(property_url(prop, "reject/"), {"reason": ""}, format="json")
    assert without_reason.status_code == 400
    assert "reason" in without_reason.json()
    assert Property.objects.get(pk=prop.pk).status == PropertyStatus.PENDING

    client.post(property_url(prop, "reject/"), {"reason": "产权证明看不清，请重新上传"}, format="json")

    body = api_as(landlord).get(property_url(prop)).json()
    assert (body["status"], body["rejection_reason"]) == ("rejected", "产权证明看不清，请重新上传")


def test_the_owner_cannot_verify_their_own_property(landlord, tashan_community):
    prop = a_property(landlord, tashan_community)

    response = api_as(landlord).post(property_url(prop, "verify/"))

    assert response.status_code == 400
    assert Property.objects.get(pk=prop.pk).status == PropertyStatus.PENDING


def test_withdrawing_the_qr_posters_gives_a_new_link_and_refuses_the_old_one(landlord, verified, other_user):
    client = api_as(landlord)
    old_token = services.property_qr_token(verified)

    response = client.post(property_url(verified, "withdraw-qr/"))

    assert response.status_code == 200
    new_url = response.json()["qr_url"]
    assert old_token not in new_url
    verified.refresh_from_db()
    assert new_url.endswith(f"/housing/declare/{services.property_qr_token(verified)}/")
    ResidentFactory(user=other_user, community=verified.community)
    declared = api_as(other_user).post(DECLARE, {"token": old_token, "move_in_date": FRIDAY.isoformat()}, format="json")
    assert declared.status_code == 400
    assert declared.json()["code"] == "qr_invalid"


def test_a_caseworker_cannot_withdraw_the_owners_posters(verified, caseworker):
    response = api_as(caseworker).post(property_url(verified, "withdraw-qr/"))

    assert response.status_code == 400
    assert Property.objects.get(pk=verified.pk).qr_nonce == verified.qr_nonce


# --- 人来申报 ------------------------------------------------------------------------------------------


def test_a_move_in_of_a_known_resident_matches_them_and_registers_their_residence(landlord, verified, resident):
    response = api_as(landlord).post(property_url(verified, "move-in/"), move_in_body(resident), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["tenant"], body["tenant_name"], body["status"]) == (resident.pk, "王芳", "active")
    assert body["tenant_id_number"] == resident.id_number_masked
    assert (body["move_in_due_on"], body["deadline_estimated"]) == ("2026-12-02", False)
    assert body["lease_end_date"] == "2027-11-26"
    assert "id_number" not in body
    assert id_of(resident) not in response.content.decode()
    assert Resident.objects.filter(id_number_hash=resident.id_number_hash).count() == 1
    registration = resident_selectors.residence_current(resident=resident)
    assert (registration.pk, registration.address) == (body["registration"], ADDRESS)


def test_a_move_in_of_someone_new_starts_their_record_and_invites_them_by_sms(
    landlord, verified, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    id_number = make_id_number(datetime.date(1995, 3, 8))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(landlord).post(
            property_url(verified, "move-in/"),
            move_in_body(id_number=id_number, name="刘洋", phone="13900001111"),
            format="json",
        )  # fmt: skip

    assert response.status_code == 201, response.content
    tenant = Resident.objects.get(pk=response.json()["tenant"])
    assert (tenant.name, tenant.user, id_of(tenant)) == ("刘洋", None, id_number)
    invitation = Notification.objects.get(dedupe_key=f"housing:invite:{response.json()['id']}")
    assert (invitation.template, invitation.phone) == ("housing.tenant_invited", "+8613900001111")


def test_a_move_in_reported_in_the_last_days_of_the_known_calendar_says_its_deadline_is_an_estimate(
    landlord, verified, resident, time_machine
):  # type: ignore[no-untyped-def]
    time_machine.move_to(datetime.datetime(2026, 12, 31, 10, 0, tzinfo=datetime.UTC), tick=False)

    response = api_as(landlord).post(
        property_url(verified, "move-in/"), move_in_body(resident, move_in_date="2026-12-30"), format="json"
    )

    assert response.status_code == 201, response.content
    # 2027's official schedule is not published yet: its days were counted as weekends only.
    assert response.json()["deadline_estimated"] is True
    assert api_as(landlord).get(TENANCIES).json()["results"][0]["deadline_estimated"] is True


def with_wrong_check_character(id_number: str) -> str:
    """The same number with its last character mistyped."""
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "41282719900101001"}, "id_number"),  # 17 characters
        ({"id_number": with_wrong_check_character(make_id_number())}, "id_number"),
        ({"move_in_date": "2026-12-01"}, "move_in_date"),  # not yet
        ({"move_in_date": "27/11/2026"}, "move_in_date"),
        ({"lease_end_date": "2026-11-01"}, "lease_end_date"),  # before the move-in
        ({"name": ""}, "name"),
        ({"phone": ""}, "phone"),  # someone new: the SMS invitation needs their phone
    ],
)
def test_a_move_in_with_bad_input_is_a_400_on_the_field_and_saves_nothing(landlord, verified, change, field):  # type: ignore[no-untyped-def]
    body = move_in_body(id_number=make_id_number(), name="刘洋", phone="13900001111") | change
    before = snapshot()

    response = api_as(landlord).post(property_url(verified, "move-in/"), body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_move_in_without_an_id_number_or_date_names_both_fields(landlord, verified):
    response = api_as(landlord).post(property_url(verified, "move-in/"), {"name": "刘洋"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"id_number", "move_in_date"}
    assert not Tenancy.objects.exists()


def test_a_move_in_into_a_property_not_yet_verified_is_refused(landlord, tashan_community, resident):
    pending = a_property(landlord, tashan_community)

    response = api_as(landlord).post(property_url(pending, "move-in/"), move_in_body(resident), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "property_not_verified"
    assert not Tenancy.objects.exists()


def test_reporting_the_same_tenant_twice_is_a_conflict(landlord, tenancy, resident):
    response = api_as(landlord).post(property_url(tenancy.property, "move-in/"), move_in_body(resident), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "tenancy_exists"
    assert "id_number" in response.json()
    assert Tenancy.objects.count() == 1


def test_a_move_in_over_capacity_is_a_409_and_flags_a_possible_group_rental(
    landlord, tashan_community, caseworker, resident, other_resident
):  # type: ignore[no-untyped-def]
    prop = a_property(landlord, tashan_community, max_occupants=1, verified_by=caseworker)
    moved_in(landlord, prop, resident)

    response = api_as(landlord).post(property_url(prop, "move-in/"), move_in_body(other_resident), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "over_capacity"
    assert "核定居住 1 人，现已住 1 人" in body["property"][0]
    assert not Tenancy.objects.filter(tenant=other_resident).exists()
    assert resident_selectors.residence_current(resident=other_resident) is None
    flag = OccupancyFlag.objects.get()
    assert (flag.property, flag.street, flag.attempted_by, flag.occupants, flag.capacity) == (
        prop, prop.street, landlord, 1, 1
    )  # fmt: skip


def test_two_reports_for_the_last_place_one_after_the_other_the_second_is_a_409(
    landlord, tashan_community, caseworker, resident
):  # type: ignore[no-untyped-def]
    prop = a_property(landlord, tashan_community, max_occupants=2, verified_by=caseworker)
    moved_in(landlord, prop, resident)
    newcomers = [ResidentFactory(community=tashan_community) for _ in range(2)]
    client = api_as(landlord)

    first, second = (client.post(property_url(prop, "move-in/"), move_in_body(n), format="json") for n in newcomers)

    assert (first.status_code, second.status_code) == (201, 409)
    assert Tenancy.objects.filter(property=prop, status=TenancyStatus.ACTIVE).count() == 2
    assert client.get(property_url(prop)).json()["occupants"] == 2
    assert OccupancyFlag.objects.filter(property=prop).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reports_racing_for_the_last_place_through_the_api_cannot_both_succeed(tashan_community):
    # Real threads, each with its own connection: the property's row lock serialises the capacity check.
    landlord = UserFactory(roles=[Role.LANDLORD])
    prop = a_property(landlord, tashan_community, max_occupants=1, verified_by=caseworker_for(tashan_community.parent))
    newcomers = [ResidentFactory(community=tashan_community) for _ in range(2)]
    barrier, statuses = threading.Barrier(2, timeout=20), []

    def report(tenant: Resident) -> None:
        try:
            client = api_as(landlord)
            barrier.wait()
            response = client.post(property_url(prop, "move-in/"), move_in_body(tenant), format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(tenant,)) for tenant in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409]
    assert Tenancy.objects.filter(property=prop, status=TenancyStatus.ACTIVE).count() == 1
    assert OccupancyFlag.objects.filter(property=prop).count() == 1


# --- the QR declaration and the landlord's answer -----------------------------------------------------


def test_a_tenant_declares_from_the_qr_link_and_the_landlord_confirms_with_one_tap(
    landlord, verified, other_resident, other_user
):  # type: ignore[no-untyped-def]
    qr_url = api_as(landlord).get(property_url(verified)).json()["qr_url"]
    token = qr_url.rstrip("/").rsplit("/", 1)[1]

    response = api_as(other_user).post(
        DECLARE, {"token": token, "move_in_date": FRIDAY.isoformat(), "lease_end_date": None}, format="json"
    )

    assert response.status_code == 201, response.content
    declared = response.json()
    assert (declared["status"], declared["source"], declared["tenant"]) == ("declared", "tenant", other_resident.pk)
    assert declared["registration"] is None
    assert ids(api_as(landlord).get(TENANCIES, {"status": "declared"})) == [declared["id"]]

    confirmed = api_as(landlord).post(f"{TENANCIES}{declared['id']}/confirm/")

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "active"
    assert resident_selectors.residence_current(resident=other_resident).pk == confirmed.json()["registration"]
    assert api_as(other_user).get(f"{TENANCIES}{declared['id']}/").json()["status"] == "active"


def test_the_landlord_declines_a_declaration_of_someone_who_does_not_live_there(landlord, declared, other_resident):
    response = api_as(landlord).post(tenancy_url(declared, "decline/"))

    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert resident_selectors.residence_current(resident=other_resident) is None
    again = api_as(landlord).post(tenancy_url(declared, "confirm/"))
    assert (again.status_code, again.json()["code"]) == (409, "not_declared")


def test_the_declarer_cannot_confirm_their_own_declaration(declared, other_user):
    response = api_as(other_user).post(tenancy_url(declared, "confirm/"))

    assert response.status_code == 400
    assert Tenancy.objects.get(pk=declared.pk).status == TenancyStatus.DECLARED


def test_a_forged_qr_token_is_refused_and_saves_nothing(verified, other_resident, other_user):
    forged = services.property_qr_token(verified)[:-2] + "xx"

    response = api_as(other_user).post(DECLARE, {"token": forged, "move_in_date": FRIDAY.isoformat()}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "qr_invalid"
    assert not Tenancy.objects.exists()


def test_declaring_without_a_resident_profile_asks_for_one_first(verified):
    stranger = UserFactory()

    response = api_as(stranger).post(
        DECLARE, {"token": services.property_qr_token(verified), "move_in_date": FRIDAY.isoformat()}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "profile_required"
    assert not Tenancy.objects.exists()


def test_declaring_without_a_move_in_date_is_a_400_on_the_field(verified, other_resident, other_user):
    response = api_as(other_user).post(DECLARE, {"token": services.property_qr_token(verified)}, format="json")

    assert response.status_code == 400
    assert "move_in_date" in response.json()
    assert not Tenancy.objects.exists()


# --- 人走注销 ------------------------------------------------------------------------------------------


def test_the_move_out_ends_the_tenancy_and_the_residence_registration(landlord, tenancy, resident):
    response = api_as(landlord).post(tenancy_url(tenancy, "end/"), {"moved_out_on": TODAY.isoformat()}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["moved_out_on"]) == ("ended", "2026-11-28")
    assert resident_selectors.residence_current(resident=resident) is None
    assert api_as(landlord).get(property_url(tenancy.property)).json()["occupants"] == 0
    again = api_as(landlord).post(tenancy_url(tenancy, "end/"), {"moved_out_on": TODAY.isoformat()}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "tenancy_not_active")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, None),
        ({"moved_out_on": "2026-12-05"}, "moved_out_in_future"),
        ({"moved_out_on": "2026-11-20"}, "moved_out_before_in"),
    ],
)
def test_a_move_out_with_a_missing_or_impossible_date_is_a_400_and_changes_nothing(
    landlord, tenancy, resident, body, code
):  # type: ignore[no-untyped-def]
    response = api_as(landlord).post(tenancy_url(tenancy, "end/"), body, format="json")

    assert response.status_code == 400
    assert "moved_out_on" in response.json()
    assert response.json().get("code") == code
    assert Tenancy.objects.get(pk=tenancy.pk).status == TenancyStatus.ACTIVE
    assert resident_selectors.residence_current(resident=resident) is not None


# --- lists --------------------------------------------------------------------------------------------


def test_the_tenancy_list_filters_by_status_and_property(landlord, tashan_community, caseworker, tenancy, declared):
    second = a_property(landlord, tashan_community, verified_by=caseworker)
    elsewhere = moved_in(landlord, second, ResidentFactory(community=tashan_community))
    client = api_as(landlord)

    assert ids(client.get(TENANCIES)) == [elsewhere.pk, declared.pk, tenancy.pk]
    assert ids(client.get(TENANCIES, {"status": "active"})) == [elsewhere.pk, tenancy.pk]
    assert ids(client.get(TENANCIES, {"property": tenancy.property_id})) == [declared.pk, tenancy.pk]
    assert ids(client.get(TENANCIES, {"property": second.pk, "status": "declared"})) == []


def test_an_unknown_filter_value_is_a_400_not_an_empty_list(landlord, tenancy):
    client = api_as(landlord)

    assert set(client.get(TENANCIES, {"status": "living"}).json()) == {"status"}
    assert set(client.get(TENANCIES, {"property": "flat-3"}).json()) == {"property"}
    assert client.get(PROPERTIES, {"status": "ok"}).status_code == 400


def properties_with_tenants(owner: User, community, caseworker: User, count: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(count):
        prop = a_property(owner, community, verified_by=caseworker)
        moved_in(owner, prop, ResidentFactory(community=community))


@pytest.mark.parametrize("url", [PROPERTIES, TENANCIES])
@pytest.mark.parametrize("who", ["landlord", "caseworker"])
def test_a_page_costs_the_same_queries_for_1_or_10_rows(
    url, who, request, landlord, tashan_community, caseworker, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    reader = request.getfixturevalue(who)
    properties_with_tenants(landlord, tashan_community, caseworker, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api_as(fresh(reader)).get(url))) == 1

    properties_with_tenants(landlord, tashan_community, caseworker, 9)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(ids(api_as(fresh(reader)).get(url))) == 10


def test_the_schema_describes_the_housing_endpoints(client):
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]

    for path in (
        "/api/v1/properties/", "/api/v1/properties/{id}/", "/api/v1/properties/{id}/verify/",
        "/api/v1/properties/{id}/reject/", "/api/v1/properties/{id}/move-in/", "/api/v1/properties/{id}/withdraw-qr/",
        "/api/v1/tenancies/", "/api/v1/tenancies/{id}/", "/api/v1/tenancies/{id}/confirm/",
        "/api/v1/tenancies/{id}/decline/", "/api/v1/tenancies/{id}/end/", "/api/v1/tenancies/declare/",
    ):  # fmt: skip
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/properties/"]["post"]["requestBody"]["content"]
    move_in = paths["/api/v1/properties/{id}/move-in/"]["post"]
    assert "201" in move_in["responses"]
