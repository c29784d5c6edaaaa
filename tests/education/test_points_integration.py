"""The allocation reads the families' verified points from the points app itself: scores made by a points review
(not the enrolment tests' stand-in) decide between two families of the same catchment, and are what the result
and the case page record."""

from __future__ import annotations

import pytest

from cases.models import Case
from education import selectors, services
from education.choices import ResultStatus
from education.models import EnrolmentApplication, EnrolmentResult
from points.scoring import format_points

from ..points import scenes as points_scenes
from .factories import ALLOCATION_DAY, approved, enrolment_round, on

pytestmark = [pytest.mark.django_db, pytest.mark.real_points]


def social_insurance(years: int) -> dict[str, object]:
    return {**points_scenes.SOCIAL_INSURANCE_ONLY, "social_insurance_years": str(years)}


@pytest.fixture
def points_round(db):  # type: ignore[no-untyped-def]
    """The year's points round, taking applications under the published rule set."""
    return points_scenes.open_round()


def result_of(application: EnrolmentApplication) -> EnrolmentResult:
    return EnrolmentResult.objects.select_related("school").get(application=application)


def test_the_family_with_more_verified_points_gets_the_one_seat_of_their_catchment_school(
    wang, zhao, tashan_community, tashan_school, points_round, caseworker, administrator
):  # type: ignore[no-untyped-def]
    (wang_parent, wang_child), (zhao_parent, zhao_child) = wang, zhao
    fewer = points_scenes.verified(wang_parent, points_round, caseworker, social_insurance(1))
    more = points_scenes.verified(zhao_parent, points_round, caseworker, social_insurance(8))
    fewer_total, more_total = points_scenes.total_of(fewer), points_scenes.total_of(more)
    assert fewer_total is not None and more_total is not None and more_total > fewer_total
    one_seat = enrolment_round(seats={tashan_school: 1})
    wang_app = approved(wang_parent, wang_child, one_seat, administrator, schools=[tashan_school])
    zhao_app = approved(zhao_parent, zhao_child, one_seat, administrator, schools=[tashan_school])

    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=one_seat)

    admitted, left = result_of(zhao_app), result_of(wang_app)
    assert (admitted.status, admitted.school) == (ResultStatus.OFFERED, tashan_school)
    assert (left.status, left.school) == (ResultStatus.UNPLACED, None)
    assert admitted.community == left.community == tashan_community  # the same tier: the catchment
    assert (admitted.points, admitted.points_reference) == (more_total, more.reference)
    assert (left.points, left.points_reference) == (fewer_total, fewer.reference)
    assert f"最后录取的积分为 {format_points(more_total)}（您家为 {format_points(fewer_total)}）" in left.reason_zh


def test_before_the_allocation_the_case_page_shows_the_guardians_verified_points(
    wang, open_round, points_round, caseworker, administrator
):  # type: ignore[no-untyped-def]
    guardian, child = wang
    score = points_scenes.verified(guardian, points_round, caseworker, social_insurance(5))
    application = approved(guardian, child, open_round, administrator)

    panel = selectors.enrolment_case_panel(case=Case.objects.get(pk=application.pk))

    assert panel is not None and panel.points_now == points_scenes.total_of(score)
