"""The rules of 人来申报、人走注销: working-day deadlines, matching tenants, capacity, the QR link, move-out."""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from housing import services, workdays
from housing.choices import PropertyStatus, TenancyStatus
from housing.models import OccupancyFlag, OfficialCalendarYear, Property, Tenancy
from notifications.models import Notification
from residents import selectors as resident_selectors
from residents import services as resident_services
from residents.models import AuditEvent, ResidenceRegistration, Resident
from residents.pii import id_number_decrypt
from tests.casework import PDF, refused
from tests.factories import ResidentFactory, UserFactory, compose_id_number, make_id_number

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date


def deadline(day: datetime.date) -> workdays.Deadline:
    return workdays.working_days_after(day)


def a_property(landlord, community, *, max_occupants: int = 3, verified_by=None) -> Property:  # type: ignore[no-untyped-def]
    prop = services.property_register(
        actor=landlord, address="环城西路 18 号 2 幢 302 室", community=community, rooms=2, floor_area="58.5",
        max_occupants=max_occupants, owner_name="李房东", ownership_proof=SimpleUploadedFile("产权证.pdf", PDF),
    )  # fmt: skip
    if verified_by is not None:
        prop = services.property_verify(actor=verified_by, prop=prop)
    return prop


@pytest.fixture
def verified(landlord, tashan_community, caseworker):  # type: ignore[no-untyped-def]
    return a_property(landlord, tashan_community, verified_by=caseworker)


def id_of(resident: Resident) -> str:
    return id_number_decrypt(resident.id_number_ciphertext)


def move_in(landlord, prop, resident: Resident, *, on: datetime.date | None = None) -> Tenancy:  # type: ignore[no-untyped-def]
    return services.tenancy_report_move_in(
        actor=landlord, prop=prop, id_number=id_of(resident), name=resident.name,
        move_in_date=on or timezone.localdate(),
    )  # fmt: skip


# --- working days ------------------------------------------------------------------------------------


def test_three_working_days_skip_the_weekend():
    assert deadline(D(2026, 3, 12)) == workdays.Deadline(D(2026, 3, 17), estimated=False)  # Thu → Tue


def test_across_the_spring_festival_the_adjusted_saturday_counts_and_the_holiday_does_not():
    # Moved in on Friday 13 February 2026: Saturday 14 February is a working day (调休), 15–23 February the
    # Spring Festival break, so the second and third working days are 24 and 25 February.
    assert deadline(D(2026, 2, 13)) == workdays.Deadline(D(2026, 2, 25), estimated=False)


def test_an_adjusted_working_sunday_counts():
    # 4 January 2026 (a Sunday) is worked; 1–3 January are the New Year holiday.
    assert deadline(D(2025, 12, 31)) == workdays.Deadline(D(2026, 1, 6), estimated=False)


def test_national_day_week_is_skipped():
    # 1–7 October 2026 off; Thursday 8 and Friday 9 October, then Saturday 10 October, worked.
    assert deadline(D(2026, 9, 30)) == workdays.Deadline(D(2026, 10, 10), estimated=False)


def test_a_year_without_a_published_schedule_counts_weekends_only_and_says_so():
    assert deadline(D(2027, 9, 30)) == workdays.Deadline(D(2027, 10, 5), estimated=True)
    # Into the next year from a known one: the part counted in the unknown year makes it an estimate.
    assert deadline(D(2026, 12, 30)).estimated is True
    assert deadline(D(2026, 12, 23)).estimated is False


def test_a_schedule_an_administrator_enters_applies_at_once():
    OfficialCalendarYear.objects.create(
        year=2027, holidays=["2027-10-01", "2027-10-04", "2027-10-05"], adjusted_workdays=["2027-10-09"]
    )
    assert deadline(D(2027, 9, 30)) == workdays.Deadline(D(2027, 10, 8), estimated=False)


# --- properties ---------------------------------------------------------------------------------------


def test_a_property_waits_for_the_street_to_verify_it_before_tenants_can_be_reported(
    landlord, tashan_community, resident, caseworker, caseworker_elsewhere
):
    prop = a_property(landlord, tashan_community)
    assert prop.status == PropertyStatus.PENDING
    assert refused(move_in, landlord=landlord, prop=prop, resident=resident).code == "property_not_verified"
    assert refused(services.property_verify, actor=caseworker_elsewhere, prop=prop).code == "not_allowed"
    assert services.property_verify(actor=caseworker, prop=prop).status == PropertyStatus.VERIFIED


def test_a_property_without_its_ownership_proof_is_not_registered(landlord, tashan_community):
    error = refused(
        services.property_register, actor=landlord, address="环城西路 18 号 2 幢 302 室", community=tashan_community,
        rooms=2, floor_area="58.5", max_occupants=3, owner_name="李房东", ownership_proof=None,
    )  # fmt: skip
    assert (error.code, error.field) == ("ownership_proof_required", "ownership_proof")
    assert not Property.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("rooms", "0", "rooms_invalid"), ("max_occupants", "500", "max_occupants_invalid"),
     ("floor_area", "abc", "floor_area_invalid"), ("address", "短", "address_required")],
)  # fmt: skip
def test_bad_property_details_are_refused_with_nothing_saved(landlord, tashan_community, field, value, code):
    details = {
        "address": "环城西路 18 号 2 幢 302 室",
        "rooms": 2,
        "floor_area": "58.5",
        "max_occupants": 3,
        field: value,
    }
    error = refused(
        services.property_register, actor=landlord, community=tashan_community, owner_name="李房东",
        ownership_proof=SimpleUploadedFile("产权证.pdf", PDF), **details,
    )  # fmt: skip
    assert error.code == code
    assert not Property.objects.exists()


def test_a_refusal_of_verification_carries_its_reason(landlord, tashan_community, caseworker):
    prop = a_property(landlord, tashan_community)
    assert refused(services.property_reject, actor=caseworker, prop=prop, reason=" ").code == "reason_required"
    assert services.property_reject(actor=caseworker, prop=prop, reason="产权证模糊").rejection_reason == "产权证模糊"


# --- move-in ------------------------------------------------------------------------------------------


def test_an_existing_resident_is_matched_by_id_number_and_registered_at_the_property(landlord, verified, resident):
    tenancy = move_in(landlord, verified, resident, on=timezone.localdate() - datetime.timedelta(days=1))

    assert tenancy.tenant == resident
    assert Resident.objects.count() == 1
    current = resident_selectors.residence_current(resident=resident)
    assert (current.address, current.community, current.started_on) == (
        verified.address, verified.community, tenancy.move_in_date,
    )  # fmt: skip
    assert tenancy.registration == current
    event = AuditEvent.objects.get(event_type="housing.move_in")
    assert (event.subject, event.new_values["record_started"], event.new_values["late"]) == (resident, False, False)


def test_a_tenant_unknown_to_the_portal_gets_a_record_and_an_sms_invitation(
    landlord, verified, sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    id_number = compose_id_number("342401", D(1995, 5, 5), 517)
    with django_capture_on_commit_callbacks(execute=True):
        tenancy = services.tenancy_report_move_in(
            actor=landlord, prop=verified, id_number=id_number, name="赵小军", phone="13912345678",
            move_in_date=timezone.localdate(),
        )  # fmt: skip

    tenant = tenancy.tenant
    assert (tenant.name, tenant.user, tenant.phone, tenant.birth_date) == (
        "赵小军",
        None,
        "+8613912345678",
        D(1995, 5, 5),
    )
    assert resident_selectors.residence_current(resident=tenant).address == verified.address
    assert [m.phone for m in sms_outbox] == ["+8613912345678"]
    assert verified.address in sms_outbox[0].text


def test_the_invitation_is_in_the_outbox_before_the_move_in_commits(
    landlord, verified, django_capture_on_commit_callbacks
):
    # The outbox row is written with the tenancy, so a process that dies right after the commit (the
    # after-commit callbacks never run) still leaves the invitation for the sweep to send.
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        tenancy = services.tenancy_report_move_in(
            actor=landlord, prop=verified, id_number=make_id_number(), name="赵小军", phone="13912345678",
            move_in_date=timezone.localdate(),
        )  # fmt: skip
        written_before_commit = Notification.objects.filter(dedupe_key=f"housing:invite:{tenancy.pk}").first()

    assert written_before_commit is not None
    assert (written_before_commit.template, written_before_commit.phone) == ("housing.tenant_invited", "+8613912345678")
    assert written_before_commit.deliveries.count() == 1


def test_a_move_in_that_is_rolled_back_leaves_no_invitation(
    landlord, verified, sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    class LaterStepFailed(Exception):
        """Something after the report, in the same transaction, fails (a bulk import's next step, say)."""

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(LaterStepFailed), transaction.atomic():
        services.tenancy_report_move_in(
            actor=landlord, prop=verified, id_number=make_id_number(), name="赵小军", phone="13912345678",
            move_in_date=timezone.localdate(),
        )  # fmt: skip
        raise LaterStepFailed

    assert not Tenancy.objects.exists()
    assert not Notification.objects.filter(template="housing.tenant_invited").exists()
    assert sms_outbox == []


def test_a_new_tenant_without_a_phone_is_refused_and_nothing_is_saved(landlord, verified):
    error = refused(
        services.tenancy_report_move_in, actor=landlord, prop=verified, id_number=make_id_number(), name="赵小军",
        phone="", move_in_date=timezone.localdate(),
    )  # fmt: skip
    assert (error.code, error.field) == ("phone_required", "phone")
    assert not Resident.objects.exists() and not Tenancy.objects.exists()


def test_the_invited_tenant_who_signs_up_with_that_phone_takes_over_the_record(landlord, verified):
    id_number = compose_id_number("342401", D(1995, 5, 5), 517)
    tenancy = services.tenancy_report_move_in(
        actor=landlord, prop=verified, id_number=id_number, name="赵小军", phone="13912345678",
        move_in_date=timezone.localdate(),
    )  # fmt: skip
    stranger = UserFactory(phone="+8613800000000", phone_verified=True)
    assert (
        refused(
            resident_services.resident_profile_create, actor=stranger, user=stranger, name="赵小军", id_number=id_number
        ).code
        == "id_number_taken"
    )

    tenant_user = UserFactory(phone="+8613912345678", phone_verified=True)
    claimed = resident_services.resident_profile_create(
        actor=tenant_user, user=tenant_user, name="赵小军", id_number=id_number, education="junior"
    )
    assert claimed.pk == tenancy.tenant_id
    assert (claimed.user, claimed.education) == (tenant_user, "junior")


def test_a_bad_id_number_or_a_future_date_is_refused_with_nothing_saved(landlord, verified, resident):
    bad = refused(
        services.tenancy_report_move_in, actor=landlord, prop=verified, id_number="330602199001011234", name="某人",
        phone="13912345678", move_in_date=timezone.localdate(),
    )  # fmt: skip
    assert bad.field == "id_number"
    future = refused(move_in, landlord=landlord, prop=verified, resident=resident,
                     on=timezone.localdate() + datetime.timedelta(days=1))  # fmt: skip
    assert (future.code, future.field) == ("move_in_in_future", "move_in_date")
    assert not Tenancy.objects.exists() and not ResidenceRegistration.objects.exists()


def test_only_the_account_that_registered_the_property_reports_into_it(verified, resident):
    other_landlord = UserFactory()
    assert refused(move_in, landlord=other_landlord, prop=verified, resident=resident).code == "not_allowed"


def test_the_same_tenant_is_not_reported_twice(landlord, verified, resident):
    move_in(landlord, verified, resident)
    assert refused(move_in, landlord=landlord, prop=verified, resident=resident).code == "tenancy_exists"


def test_a_report_after_three_working_days_is_recorded_as_late(landlord, verified, resident, time_machine):
    time_machine.move_to(datetime.datetime(2026, 2, 26, 10, tzinfo=SHANGHAI), tick=False)
    tenancy = move_in(landlord, verified, resident, on=D(2026, 2, 13))
    assert tenancy.move_in_due_on == D(2026, 2, 25)
    assert AuditEvent.objects.get(event_type="housing.move_in").new_values["late"] is True


# --- capacity -----------------------------------------------------------------------------------------


def test_a_full_property_refuses_one_more_tenant_and_flags_a_possible_group_rental(
    landlord, tashan_community, caseworker, resident, other_resident
):
    prop = a_property(landlord, tashan_community, max_occupants=1, verified_by=caseworker)
    move_in(landlord, prop, resident)

    error = refused(move_in, landlord=landlord, prop=prop, resident=other_resident)

    assert (error.code, error.conflict) == ("over_capacity", True)
    assert "核定居住 1 人" in str(error.message)
    assert Tenancy.objects.filter(property=prop).count() == 1
    assert resident_selectors.residence_current(resident=other_resident) is None
    flag = OccupancyFlag.objects.get()
    assert (flag.property, flag.street, flag.occupants, flag.capacity) == (prop, prop.street, 1, 1)


def test_a_move_out_frees_the_place(landlord, tashan_community, caseworker, resident, other_resident):
    prop = a_property(landlord, tashan_community, max_occupants=1, verified_by=caseworker)
    tenancy = move_in(landlord, prop, resident)
    services.tenancy_end(actor=landlord, tenancy=tenancy, moved_out_on=timezone.localdate())
    assert move_in(landlord, prop, other_resident).status == TenancyStatus.ACTIVE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reports_racing_for_the_last_place_cannot_both_succeed(tashan_community):
    # Real threads, each with its own connection: the property's row lock serialises the capacity check.
    landlord, caseworker_user = UserFactory(), None
    from tests.factories import caseworker_for

    caseworker_user = caseworker_for(tashan_community.parent)
    prop = a_property(landlord, tashan_community, max_occupants=1, verified_by=caseworker_user)
    tenants = [ResidentFactory(community=tashan_community) for _ in range(2)]
    barrier, outcomes = threading.Barrier(2), []

    def attempt(tenant: Resident) -> None:
        try:
            barrier.wait()
            move_in(landlord, prop, tenant)
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(getattr(error, "code", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(t,)) for t in tenants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok", "over_capacity"]
    assert Tenancy.objects.filter(property=prop, status=TenancyStatus.ACTIVE).count() == 1
    assert OccupancyFlag.objects.count() == 1


# --- QR declaration -----------------------------------------------------------------------------------


def test_a_tenant_declares_by_qr_and_the_landlord_confirms_with_one_tap(landlord, verified, resident):
    token = services.property_qr_token(verified)
    tenancy = services.tenancy_declare(actor=resident.user, token=token, move_in_date=timezone.localdate())
    assert (tenancy.status, tenancy.source) == (TenancyStatus.DECLARED, "tenant")
    assert resident_selectors.residence_current(resident=resident) is None  # not before the landlord confirms

    services.tenancy_confirm(actor=landlord, tenancy=tenancy)

    tenancy.refresh_from_db()
    assert tenancy.status == TenancyStatus.ACTIVE
    assert resident_selectors.residence_current(resident=resident).address == verified.address
    assert refused(services.tenancy_confirm, actor=landlord, tenancy=tenancy).code == "not_declared"


def test_a_forged_an_expired_or_a_withdrawn_qr_link_is_refused(landlord, verified, resident, time_machine):
    token = services.property_qr_token(verified)
    assert refused(services.property_from_qr_token, token=token[:-2] + "xx").code == "qr_invalid"

    time_machine.move_to(timezone.now() + datetime.timedelta(days=367))
    assert refused(services.property_from_qr_token, token=token).code == "qr_expired"

    time_machine.move_to(timezone.now() - datetime.timedelta(days=367))
    services.property_qr_withdraw(actor=landlord, prop=verified)
    assert refused(services.property_from_qr_token, token=token).code == "qr_invalid"
    assert services.property_from_qr_token(services.property_qr_token(Property.objects.get(pk=verified.pk)))


def test_a_declared_tenant_the_landlord_does_not_know_is_declined(landlord, verified, resident):
    tenancy = services.tenancy_declare(
        actor=resident.user, token=services.property_qr_token(verified), move_in_date=timezone.localdate()
    )
    assert services.tenancy_decline(actor=landlord, tenancy=tenancy).status == TenancyStatus.DECLINED
    assert resident_selectors.residence_current(resident=resident) is None


# --- move-out -----------------------------------------------------------------------------------------


def test_move_out_closes_the_tenancy_and_the_registration_it_opened(landlord, verified, resident):
    tenancy = move_in(landlord, verified, resident, on=timezone.localdate() - datetime.timedelta(days=30))

    services.tenancy_end(actor=landlord, tenancy=tenancy, moved_out_on=timezone.localdate())

    tenancy.refresh_from_db()
    assert (tenancy.status, tenancy.moved_out_on) == (TenancyStatus.ENDED, timezone.localdate())
    registration = ResidenceRegistration.objects.get(pk=tenancy.registration_id)
    assert registration.ended_on == timezone.localdate()
    assert resident_selectors.residence_current(resident=resident) is None
    assert refused(services.tenancy_end, actor=landlord, tenancy=tenancy, moved_out_on=timezone.localdate()).code == (
        "tenancy_not_active"
    )


def test_move_out_before_move_in_or_in_the_future_is_refused(landlord, verified, resident):
    tenancy = move_in(landlord, verified, resident, on=timezone.localdate() - datetime.timedelta(days=3))
    before = refused(services.tenancy_end, actor=landlord, tenancy=tenancy,
                     moved_out_on=timezone.localdate() - datetime.timedelta(days=4))  # fmt: skip
    future = refused(services.tenancy_end, actor=landlord, tenancy=tenancy,
                     moved_out_on=timezone.localdate() + datetime.timedelta(days=1))  # fmt: skip
    assert (before.code, future.code) == ("moved_out_before_in", "moved_out_in_future")
    assert Tenancy.objects.get(pk=tenancy.pk).status == TenancyStatus.ACTIVE


def test_a_registration_the_tenant_already_changed_is_left_alone_by_the_move_out(landlord, verified, resident):
    tenancy = move_in(landlord, verified, resident, on=timezone.localdate() - datetime.timedelta(days=30))
    moved = resident_services.residence_register(
        actor=resident.user, resident=resident, community=verified.community, address="解放北路 1 号",
        basis="rented", started_on=timezone.localdate() - datetime.timedelta(days=2),
    )  # fmt: skip

    services.tenancy_end(actor=landlord, tenancy=tenancy, moved_out_on=timezone.localdate())

    assert resident_selectors.residence_current(resident=resident) == moved


# --- what the landlord hears ---------------------------------------------------------------------------


def test_the_landlord_hears_of_the_verification_and_of_each_declaration(landlord, verified, resident, caseworker):
    from notifications.models import Notification

    assert Notification.objects.get(recipient=landlord, template="housing.property_verified").context == {
        "address": verified.address
    }
    tenancy = services.tenancy_declare(
        actor=resident.user, token=services.property_qr_token(verified), move_in_date=timezone.localdate()
    )
    declared = Notification.objects.get(recipient=landlord, template="housing.declaration_received")
    assert declared.context["tenant"] == "王芳"
    assert declared.context["due_on"] == tenancy.move_in_due_on.isoformat()


def test_a_refused_verification_tells_the_landlord_why(landlord, tashan_community, caseworker):
    from notifications.models import Notification

    prop = a_property(landlord, tashan_community)
    services.property_reject(actor=caseworker, prop=prop, reason="产权证照片看不清")
    assert Notification.objects.get(recipient=landlord, template="housing.property_rejected").context["reason"] == (
        "产权证照片看不清"
    )


def test_an_id_number_that_belongs_to_someone_else_by_name_is_refused(landlord, verified, resident):
    error = refused(
        services.tenancy_report_move_in, actor=landlord, prop=verified, id_number=id_of(resident), name="王小芳",
        move_in_date=timezone.localdate(),
    )  # fmt: skip
    assert (error.code, error.field) == ("name_mismatch", "name")
    assert not Tenancy.objects.exists()
    assert resident_selectors.residence_current(resident=resident) is None
