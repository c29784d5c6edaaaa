"""The enrolment tests' standing scene: the middle of the 2027 application window, three schools, an open round,
and verified points read through a stand-in for points.selectors (the points app is tested on its own; a test
marked ``real_points`` reads the points app's own verified scores instead)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from points import selectors as points_selectors

# points.views takes resident_points_current by name when first imported: imported here, before any test puts the
# stand-in below in place, it keeps the real one (first imported during a test, it would keep the stand-in for the
# rest of the run, and the points tests after this suite would read no scores).
from points import views as _points_views  # noqa: F401

from .factories import DURING_APPLICATIONS, at, enrolment_round, family, school


@pytest.fixture(autouse=True)
def _during_applications():  # type: ignore[no-untyped-def]
    with time_machine.travel(at(DURING_APPLICATIONS), tick=False):
        yield


@pytest.fixture
def ineligible_families() -> set[int]:
    """Guardian ids whose verified score a veto item made ineligible (it counts 0)."""
    return set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_points: read verified points through points.selectors, no stand-in")


@pytest.fixture(autouse=True)
def verified_points(request, monkeypatch, ineligible_families) -> dict[int, Decimal]:  # type: ignore[no-untyped-def]
    """guardian id → verified total; a family absent from it has no verified score. Under ``real_points`` nothing
    is replaced: the scores are the points app's own."""
    scores: dict[int, Decimal] = {}
    if request.node.get_closest_marker("real_points"):
        return scores

    def bulk(resident_ids):  # type: ignore[no-untyped-def]
        return {
            pk: points_selectors.VerifiedScore(
                total=scores[pk], eligible=pk not in ineligible_families, rule_set_version="2027.1",
                reference=f"JF{pk:07d}", scored_at=timezone.now(),
            )
            for pk in resident_ids
            if pk in scores
        }  # fmt: skip

    def current(resident):  # type: ignore[no-untyped-def]
        return bulk([resident.pk]).get(resident.pk)

    monkeypatch.setattr(points_selectors, "resident_points_bulk", bulk)
    monkeypatch.setattr(points_selectors, "resident_points_current", current)
    return scores


@pytest.fixture
def tashan_school(tashan_community):  # type: ignore[no-untyped-def]
    """塔山小学: its catchment is the owner's community."""
    return school("塔山小学", "塔山街道", catchment=(tashan_community,), name_en="Tashan Primary School")


@pytest.fixture
def fushan_school(fushan_community):  # type: ignore[no-untyped-def]
    return school("府山小学", "府山街道", catchment=(fushan_community,), name_en="Fushan Primary School")


@pytest.fixture
def chengnan_school(db):  # type: ignore[no-untyped-def]
    return school("城南小学", "城南街道", name_en="Chengnan Primary School")


@pytest.fixture
def junior_school(db):  # type: ignore[no-untyped-def]
    return school("稽山中学", "稽山街道", level="junior")


@pytest.fixture
def open_round(tashan_school, fushan_school, chengnan_school):  # type: ignore[no-untyped-def]
    """The 2027 round, taking applications, with 2 seats at 塔山, 2 at 府山 and 1 at 城南."""
    return enrolment_round(seats={tashan_school: 2, fushan_school: 2, chengnan_school: 1})


@pytest.fixture
def wang(tashan_community):  # type: ignore[no-untyped-def]
    """(guardian, child): 王芳 of 塔山 with a valid permit, and her daughter 王小雨, six this spring."""
    return family("王芳", tashan_community, child_name="王小雨")


@pytest.fixture
def zhao(tashan_community):  # type: ignore[no-untyped-def]
    """(guardian, child): 赵强, another family of 塔山."""
    return family("赵强", tashan_community, child_name="赵小明")
