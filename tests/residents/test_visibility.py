"""Resident.objects.visible_to: the one rule for who sees which residents (ARCHITECTURE.md "Visibility")."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from residents.models import AuditEvent, Jurisdiction, Resident
from residents.services import audit_record

from ..factories import CommunityFactory, ResidentFactory, guardian_link, street

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(resident, other_resident):  # type: ignore[no-untyped-def]
    """The owner's two children; the younger is also in other_resident's care (two guardians)."""
    elder = ResidentFactory(name="王大宝", birth_date=datetime.date(2014, 3, 1), community=resident.community)
    younger = ResidentFactory(name="王小宝", birth_date=datetime.date(2019, 8, 1), community=resident.community)
    guardian_link(resident, elder)
    guardian_link(resident, younger)
    guardian_link(other_resident, younger, relation="grandparent")
    return elder, younger


@pytest.fixture
def fushan_resident(fushan_community):  # type: ignore[no-untyped-def]
    return ResidentFactory(name="陈静", community=fushan_community)


def visible(user) -> list[Resident]:  # type: ignore[no-untyped-def]
    return list(Resident.objects.visible_to(user).order_by("id"))


def test_an_anonymous_visitor_sees_no_one(resident):
    assert visible(AnonymousUser()) == []


def test_the_owner_sees_themself_and_their_children_only(resident, other_resident, family, fushan_resident):
    elder, younger = family

    assert visible(resident.user) == [resident, elder, younger]


def test_another_resident_sees_neither_the_owner_nor_the_owners_other_child(resident, other_resident, family):
    elder, younger = family

    seen = visible(other_resident.user)

    assert resident not in seen
    assert elder not in seen
    assert seen == [other_resident, younger]


@pytest.mark.parametrize("viewer", ["resident_user", "other_user", "caseworker"])
def test_a_child_with_two_guardians_appears_once(request, family, viewer):
    # Given the younger child is in the care of both the owner and other_resident
    _elder, younger = family
    user = request.getfixturevalue(viewer)

    seen = list(Resident.objects.visible_to(user).values_list("pk", flat=True))

    assert seen.count(younger.pk) == 1
    assert len(seen) == len(set(seen))


def test_a_caseworker_sees_the_residents_of_the_streets_they_cover(
    resident, other_resident, family, fushan_resident, caseworker
):
    elder, younger = family

    assert visible(caseworker) == [resident, other_resident, elder, younger]


def test_a_caseworker_out_of_scope_sees_only_their_own_street(resident, family, fushan_resident, caseworker_elsewhere):
    assert visible(caseworker_elsewhere) == [fushan_resident]


def test_a_caseworker_covering_two_streets_sees_both_once(resident, fushan_resident, caseworker):
    Jurisdiction.objects.create(caseworker=caseworker, street=street("府山街道"))

    assert visible(caseworker) == [resident, fushan_resident]


def test_a_resident_moved_to_another_street_leaves_the_caseworkers_scope(resident, caseworker):
    resident.community = CommunityFactory(parent=street("北海街道"))
    resident.street = resident.community.parent
    resident.save()

    assert visible(caseworker) == []


def test_an_administrator_sees_everyone(resident, other_resident, family, fushan_resident, administrator):
    assert len(visible(administrator)) == Resident.objects.count() == 5


def test_a_health_worker_sees_no_residents(resident, fushan_resident, health_worker):
    assert visible(health_worker) == []


def test_an_inactive_login_sees_nothing_not_even_itself(resident, resident_user):
    resident_user.is_active = False
    resident_user.save()

    assert visible(resident_user) == []


def test_the_timeline_follows_the_resident(resident, other_resident, caseworker, caseworker_elsewhere):
    event = audit_record(actor=caseworker, subject=resident, event_type="resident.updated")

    assert list(AuditEvent.objects.visible_to(resident.user)) == [event]
    assert list(AuditEvent.objects.visible_to(caseworker)) == [event]
    assert list(AuditEvent.objects.visible_to(other_resident.user)) == []
    assert list(AuditEvent.objects.visible_to(caseworker_elsewhere)) == []
