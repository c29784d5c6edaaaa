"""The points demo loads on top of seed_demo, and loading it again changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from points.models import PointsApplication, PointsRanking, PointsRound
from points.selectors import points_round_open, resident_points_current
from residents.models import Resident

pytestmark = pytest.mark.django_db


def test_the_points_demo_gives_the_demo_resident_a_verified_score_and_leaves_a_round_open():
    call_command("seed_demo", stdout=StringIO())
    for _ in range(2):
        call_command("seed_points_demo", stdout=StringIO())

    parent = Resident.objects.get(user__username="demo_resident")
    score = resident_points_current(parent)
    assert score is not None and score.eligible and score.total > 0
    assert PointsRound.objects.count() == 2 and PointsApplication.objects.count() == 1
    assert list(PointsRanking.objects.order_by("edition").values_list("is_final", flat=True)) == [False, True]
    assert points_round_open() is not None
