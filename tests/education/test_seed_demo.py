"""The school-enrolment demo loads on top of the other demos, and loading it again changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from education.choices import RoundStatus
from education.models import EnrolmentRound, School
from education.selectors import enrolment_children_standing
from residents.models import Resident

pytestmark = pytest.mark.django_db


def test_the_enrolment_demo_opens_a_round_the_demo_parent_can_apply_to():
    call_command("seed_demo", stdout=StringIO())
    for _ in range(2):
        call_command("seed_education_demo", stdout=StringIO())

    opened = EnrolmentRound.objects.get(status=RoundStatus.OPEN)
    assert opened.grade == "primary_1"
    assert not School.objects.filter(catchment_communities__isnull=True, street__children__isnull=False).exists()
    parent = Resident.objects.get(user__username="demo_resident")
    assert parent.ward_links.filter(child__name="李小乐").count() == 1
    standing = {row.child.name: row for row in enrolment_children_standing(guardian=parent, rounds=[opened])}
    assert standing["李小乐"].may_apply, standing["李小乐"].why_not
    assert not standing["李小雨"].may_apply  # seven: too old for grade 1
