"""The resident services: create, update, children, archive and the audited reveal of an ID number."""

from __future__ import annotations

import datetime
import json
import threading

import pytest
from django.db import connection
from django.utils import timezone

from kernel.errors import DomainError
from residents import services
from residents.choices import AuditEventType
from residents.models import AuditEvent, GuardianLink, Resident
from residents.pii import id_number_decrypt, id_number_hash

from ..factories import (
    CommunityFactory,
    ResidentFactory,
    UserFactory,
    compose_id_number,
    make_id_number,
    street,
    years_ago,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate

# 浙江 (33), born 1990-01-08, a man; its mask is 3306**********123X.
ID_NUMBER = "33060219900108123X"


def create_profile(user, **overrides):  # type: ignore[no-untyped-def]
    values = {"name": "李娜", "id_number": ID_NUMBER, **overrides}
    return services.resident_profile_create(actor=user, user=user, **values)


def raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return cursor.fetchall()


def refused(call, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def a_child_born(years: int, days: int = 0) -> datetime.date:
    return years_ago(years) - datetime.timedelta(days=days)


# --- creating one's own profile -----------------------------------------------------------------------


def test_creating_a_profile_stores_no_plaintext_id_number_anywhere_in_the_row(tashan_community):
    user = UserFactory()

    create_profile(user, community=tashan_community)

    rows = raw_rows("residents_resident")
    assert len(rows) == 1
    for column in rows[0]:
        assert ID_NUMBER not in str(column)
        assert ID_NUMBER[:17] not in str(column)


def test_creating_a_profile_keeps_the_number_encrypted_hashed_and_masked(tashan_community):
    user = UserFactory()

    resident = create_profile(user, id_number=ID_NUMBER.lower(), community=tashan_community)

    resident.refresh_from_db()
    assert resident.id_number_masked == "3306**********123X"
    assert resident.id_number_hash == id_number_hash(ID_NUMBER)
    assert id_number_decrypt(resident.id_number_ciphertext) == ID_NUMBER


def test_creating_a_profile_derives_gender_birth_date_and_province_from_the_number():
    resident = create_profile(UserFactory())

    assert resident.gender == "male"
    assert resident.birth_date == datetime.date(1990, 1, 8)
    assert resident.hukou_province == "33"
    assert resident.hukou_province_name == "浙江省"


def test_the_profile_lives_on_the_street_of_its_community_and_takes_the_login_phone():
    community = CommunityFactory(parent=street("府山街道"))
    user = UserFactory(phone="+8613912345678")

    resident = create_profile(user, community=community)

    assert resident.street == street("府山街道")
    assert resident.phone == "+8613912345678"
    assert resident.user == user
    assert resident.created_by == user


def test_creating_a_profile_records_an_audit_event_with_the_masked_number_only():
    user = UserFactory()

    resident = create_profile(user, address="解放北路 1 号", ip="10.0.0.7")

    event = AuditEvent.objects.get()
    assert event.event_type == AuditEventType.RESIDENT_CREATED
    assert event.actor == user
    assert event.subject == resident
    assert event.ip_address == "10.0.0.7"
    assert event.new_values["id_number"] == "3306**********123X"
    assert event.new_values["name"] == "李娜"
    values = json.dumps([event.old_values, event.new_values], ensure_ascii=False)
    assert ID_NUMBER not in values
    for column in raw_rows("residents_auditevent")[0]:
        assert ID_NUMBER not in str(column)


def test_a_second_profile_for_the_same_user_is_refused(resident, resident_user):
    error = refused(create_profile, user=resident_user)

    assert error.code == "profile_exists"
    assert Resident.objects.filter(user=resident_user).count() == 1
    assert not AuditEvent.objects.exists()


def test_an_id_number_already_on_file_is_refused_and_nothing_is_saved():
    # Given somebody already registered with the number
    ResidentFactory(plain_id_number=ID_NUMBER)
    newcomer = UserFactory()

    # When another user claims it (typed in lowercase)
    error = refused(create_profile, user=newcomer, id_number=ID_NUMBER.lower())

    # Then the claim is refused as a conflict on the field, and nothing was written
    assert error.code == "id_number_taken"
    assert error.field == "id_number"
    assert error.conflict
    assert ID_NUMBER not in str(error)
    assert not Resident.objects.filter(user=newcomer).exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_profiles_with_one_id_number_yield_exactly_one_resident():
    # Given two users who submit the same ID number at the same instant
    users = [UserFactory(), UserFactory()]
    start = threading.Barrier(len(users), timeout=20)
    outcomes: list[object] = []

    def submit(user) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            outcomes.append(create_profile(user, name=user.username))
        except Exception as exc:  # collected and checked below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then one succeeded and the other was told the number is taken
    created = [o for o in outcomes if isinstance(o, Resident)]
    errors = [o for o in outcomes if not isinstance(o, Resident)]
    assert len(created) == 1, outcomes
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], DomainError), errors[0]
    assert errors[0].code == "id_number_taken"
    assert Resident.objects.filter(id_number_hash=id_number_hash(ID_NUMBER)).count() == 1
    assert AuditEvent.objects.filter(event_type=AuditEventType.RESIDENT_CREATED).count() == 1


@pytest.mark.parametrize(
    ("bad", "field", "code"),
    [
        ({"arrival_date": datetime.date.today() + datetime.timedelta(days=2)}, "arrival_date", "arrival_in_future"),
        ({"arrival_date": datetime.date(1989, 12, 31)}, "arrival_date", "arrival_before_birth"),
        ({"phone": "12345"}, "phone", "phone_invalid"),
        ({"name": "   "}, "name", "name_required"),
        ({"education": "kindergarten"}, "education", "education_invalid"),
        ({"id_number": "33060219900108123"}, "id_number", "id_number_length"),
        ({"id_number": "330602199001081230"}, "id_number", "id_number_checksum"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(bad, field, code):
    user = UserFactory()

    error = refused(create_profile, user=user, **bad)

    assert (error.field, error.code) == (field, code)
    assert not Resident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_street_is_refused_where_a_community_is_asked_for():
    error = refused(create_profile, user=UserFactory(), community=street("塔山街道"))

    assert (error.field, error.code) == ("community", "community_invalid")
    assert not Resident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_phone_number_is_stored_in_its_international_form():
    resident = create_profile(UserFactory(), phone="139 1234 5678")

    assert resident.phone == "+8613912345678"


# --- updating -----------------------------------------------------------------------------------------


def test_an_update_records_the_old_and_new_values(resident, resident_user, tashan_community):
    old_address = resident.address
    new_community = CommunityFactory(parent=street("府山街道"))

    services.resident_update(actor=resident_user, resident=resident, address="环城西路 8 号", community=new_community)

    resident.refresh_from_db()
    assert resident.address == "环城西路 8 号"
    assert resident.street == street("府山街道")
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_UPDATED)
    assert event.actor == resident_user
    assert event.subject == resident
    assert event.old_values == {"address": old_address, "community": tashan_community.pk}
    assert event.new_values == {"address": "环城西路 8 号", "community": new_community.pk}


def test_an_update_that_changes_nothing_records_nothing(resident, resident_user):
    services.resident_update(actor=resident_user, resident=resident, name=resident.name)

    assert not AuditEvent.objects.exists()


def test_correcting_the_id_number_re_derives_the_facts_and_audits_masked_values(resident, resident_user):
    corrected = compose_id_number("510104", datetime.date(1992, 7, 9), 246)
    before_masked = resident.id_number_masked

    services.resident_update(actor=resident_user, resident=resident, id_number=corrected)

    resident.refresh_from_db()
    assert resident.birth_date == datetime.date(1992, 7, 9)
    assert resident.gender == "female"
    assert resident.hukou_province == "51"
    assert resident.id_number_hash == id_number_hash(corrected)
    assert id_number_decrypt(resident.id_number_ciphertext) == corrected
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_UPDATED)
    assert event.old_values == {"id_number": before_masked}
    assert event.new_values == {"id_number": resident.id_number_masked}
    assert corrected not in json.dumps(event.new_values)


def test_correcting_to_somebody_elses_id_number_is_refused(resident, resident_user, other_resident):
    taken = id_number_decrypt(other_resident.id_number_ciphertext)
    before = Resident.objects.values().get(pk=resident.pk)

    error = refused(services.resident_update, actor=resident_user, resident=resident, id_number=taken)

    assert error.code == "id_number_taken"
    assert Resident.objects.values().get(pk=resident.pk) == before
    assert not AuditEvent.objects.exists()


def test_a_bad_update_saves_nothing(resident, resident_user):
    before = Resident.objects.values().get(pk=resident.pk)

    error = refused(
        services.resident_update,
        actor=resident_user,
        resident=resident,
        address="新地址",
        arrival_date=TODAY() + datetime.timedelta(days=1),
    )

    assert error.field == "arrival_date"
    assert Resident.objects.values().get(pk=resident.pk) == before
    assert not AuditEvent.objects.exists()


def test_fields_that_are_derived_or_set_by_staff_cannot_be_updated(resident, resident_user):
    error = refused(services.resident_update, actor=resident_user, resident=resident, gender="female")

    assert (error.field, error.code) == ("gender", "field_not_editable")


# --- children -----------------------------------------------------------------------------------------


def test_a_child_with_an_id_number_is_added_with_derived_facts(resident, resident_user):
    birth = a_child_born(6)
    number = compose_id_number("412827", birth, 124)

    child = services.resident_child_add(
        actor=resident_user, guardian=resident, name="王小明", relation="parent", id_number=number
    )

    assert child.birth_date == birth
    assert child.gender == "female"
    assert child.user is None
    assert child.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    assert GuardianLink.objects.filter(guardian=resident, child=child, relation="parent").exists()
    event = AuditEvent.objects.get(event_type=AuditEventType.CHILD_ADDED)
    assert event.subject == child
    assert event.new_values["sensitive_minor"] is True
    assert number not in json.dumps(event.new_values)


def test_a_child_without_an_id_number_is_added_with_birth_date_and_gender(resident, resident_user):
    birth = a_child_born(0, days=40)

    child = services.resident_child_add(
        actor=resident_user, guardian=resident, name="王小宝", relation="parent", birth_date=birth, gender="male"
    )

    assert (child.birth_date, child.gender) == (birth, "male")
    assert child.id_number_hash is None
    assert child.id_number_ciphertext == ""


@pytest.mark.parametrize(
    ("missing", "field"),
    [({"gender": "male"}, "birth_date"), ({"birth_date": datetime.date(2020, 1, 1)}, "gender")],
)
def test_a_child_without_an_id_number_needs_both_birth_date_and_gender(resident, resident_user, missing, field):
    error = refused(
        services.resident_child_add, actor=resident_user, guardian=resident, name="王小宝", relation="parent",
        **missing,
    )  # fmt: skip

    assert error.field == field
    assert not GuardianLink.objects.exists()
    assert Resident.objects.count() == 1


def test_a_child_born_in_the_future_is_refused(resident, resident_user):
    error = refused(
        services.resident_child_add, actor=resident_user, guardian=resident, name="王小宝", relation="parent",
        birth_date=TODAY() + datetime.timedelta(days=1), gender="male",
    )  # fmt: skip

    assert (error.field, error.code) == ("birth_date", "birth_date_future")


@pytest.mark.parametrize("by_id_number", [True, False])
def test_an_adult_cannot_be_added_as_a_child(resident, resident_user, by_id_number):
    eighteen = a_child_born(18)
    details = (
        {"id_number": compose_id_number("412827", eighteen, 124)}
        if by_id_number
        else {"birth_date": eighteen, "gender": "female"}
    )

    error = refused(
        services.resident_child_add, actor=resident_user, guardian=resident, name="王大", relation="parent",
        **details,
    )  # fmt: skip

    assert error.code == "child_not_minor"
    assert error.field == ("id_number" if by_id_number else "birth_date")
    assert Resident.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_a_child_one_day_short_of_eighteen_is_still_a_child(resident, resident_user):
    birth = a_child_born(18) + datetime.timedelta(days=1)

    child = services.resident_child_add(
        actor=resident_user, guardian=resident, name="王二", relation="parent", birth_date=birth, gender="male"
    )

    assert child.age == 17


def test_a_child_whose_id_number_is_already_on_file_is_refused_and_not_linked(resident, resident_user):
    # Given a child already registered by somebody else
    number = make_id_number(a_child_born(8))
    existing = ResidentFactory(plain_id_number=number, birth_date=a_child_born(8))

    # When the resident types that child's number
    error = refused(
        services.resident_child_add, actor=resident_user, guardian=resident, name="某某", relation="parent",
        id_number=number,
    )  # fmt: skip

    # Then nothing links the resident to the existing record
    assert error.code == "id_number_taken"
    assert not GuardianLink.objects.filter(child=existing).exists()
    assert not GuardianLink.objects.exists()
    assert Resident.objects.count() == 2


def test_a_child_lives_with_the_guardian(resident, resident_user):
    resident.address, resident.hukou_address = "胜利西路 5 号", "河南省周口市某村"
    resident.save()

    child = services.resident_child_add(
        actor=resident_user, guardian=resident, name="王小明", relation="grandparent",
        birth_date=a_child_born(3), gender="male",
    )  # fmt: skip

    assert child.community == resident.community
    assert child.street == resident.street == street("塔山街道")
    assert child.address == "胜利西路 5 号"
    assert child.hukou_address == "河南省周口市某村"


def test_an_unknown_relation_is_refused(resident, resident_user):
    error = refused(
        services.resident_child_add, actor=resident_user, guardian=resident, name="王小明", relation="neighbour",
        birth_date=a_child_born(3), gender="male",
    )  # fmt: skip

    assert (error.field, error.code) == ("relation", "relation_invalid")


# --- archiving ----------------------------------------------------------------------------------------


def test_a_caseworker_in_scope_archives_with_a_reason(resident, caseworker):
    services.resident_archive(actor=caseworker, resident=resident, reason="已离开越城区")

    resident.refresh_from_db()
    assert resident.is_archived
    assert resident.archive_reason == "已离开越城区"
    event = AuditEvent.objects.get(event_type=AuditEventType.RESIDENT_ARCHIVED)
    assert (event.actor, event.subject, event.reason) == (caseworker, resident, "已离开越城区")


def test_archiving_needs_a_reason(resident, caseworker):
    error = refused(services.resident_archive, actor=caseworker, resident=resident, reason="   ")

    assert (error.field, error.code) == ("reason", "reason_required")
    resident.refresh_from_db()
    assert not resident.is_archived
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["caseworker_elsewhere", "resident_user", "health_worker", "other_user"])
def test_archiving_needs_permission(request, resident, who):
    actor = request.getfixturevalue(who)

    error = refused(services.resident_archive, actor=actor, resident=resident, reason="搬走了")

    assert error.code == "not_allowed"
    resident.refresh_from_db()
    assert not resident.is_archived
    assert not AuditEvent.objects.exists()


def test_an_administrator_may_archive_anyone(resident, administrator):
    services.resident_archive(actor=administrator, resident=resident, reason="重复档案")

    resident.refresh_from_db()
    assert resident.is_archived


def test_an_archived_record_cannot_be_updated_or_archived_again(resident, resident_user, caseworker):
    services.resident_archive(actor=caseworker, resident=resident, reason="已离开越城区")

    assert (
        refused(services.resident_update, actor=resident_user, resident=resident, address="新地址").code
        == "resident_archived"
    )
    assert (
        refused(services.resident_archive, actor=caseworker, resident=resident, reason="再次").code
        == "already_archived"
    )
    assert refused(
        services.resident_child_add, actor=resident_user, guardian=resident, name="王小明", relation="parent",
        birth_date=a_child_born(3), gender="male",
    ).code == "resident_archived"  # fmt: skip
    assert AuditEvent.objects.count() == 1


# --- revealing the full ID number ---------------------------------------------------------------------


def test_a_caseworker_in_scope_sees_the_full_number_and_the_disclosure_is_recorded(resident, caseworker):
    plaintext = id_number_decrypt(resident.id_number_ciphertext)

    shown = services.resident_id_number_reveal(actor=caseworker, resident=resident, ip="10.1.2.3")

    assert shown == plaintext
    event = AuditEvent.objects.get()
    assert event.event_type == AuditEventType.ID_NUMBER_REVEALED
    assert (event.actor, event.subject, event.ip_address) == (caseworker, resident, "10.1.2.3")
    assert plaintext not in json.dumps(event.new_values)


def test_an_administrator_may_reveal(resident, administrator):
    assert services.resident_id_number_reveal(actor=administrator, resident=resident)
    assert AuditEvent.objects.filter(event_type=AuditEventType.ID_NUMBER_REVEALED, actor=administrator).exists()


@pytest.mark.parametrize("who", ["caseworker_elsewhere", "resident_user", "health_worker", "other_user"])
def test_nobody_else_may_reveal_and_no_event_is_written(request, resident, who):
    actor = request.getfixturevalue(who)
    plaintext = id_number_decrypt(resident.id_number_ciphertext)

    error = refused(services.resident_id_number_reveal, actor=actor, resident=resident)

    assert error.code == "not_allowed"
    assert plaintext not in str(error)
    assert not AuditEvent.objects.exists()


def test_there_is_nothing_to_reveal_for_a_child_without_a_number(resident, caseworker):
    child = ResidentFactory(
        id_number_ciphertext="", id_number_hash=None, id_number_masked="", community=resident.community
    )

    error = refused(services.resident_id_number_reveal, actor=caseworker, resident=child)

    assert error.code == "no_id_number"
    assert not AuditEvent.objects.exists()
