"""Who sees what of school enrolment, selector by selector: the anonymous visitor, the parent (their own
children's applications only), another parent, a caseworker of the family's street and one of another street,
a health worker, an administrator. Out of scope is "does not exist" (a 404), never a 403. And the applicant's
case page with its enrolment panel."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from education import selectors, services
from education.choices import RoundStatus
from education.models import AllocationRun, EnrolmentApplication, EnrolmentResult, EnrolmentRound

from .factories import ALLOCATION_DAY, DURING_APPLICATIONS, approved, enrolment_round, family, on, points, start

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


@pytest.fixture
def scene(open_round, wang, zhao, tashan_school, chengnan_school, administrator):  # type: ignore[no-untyped-def]
    """王芳's application (approved, ranking 塔山 then 城南) and 赵强's, both of 塔山, allocated."""
    mine = approved(*wang, open_round, administrator, schools=[tashan_school, chengnan_school])
    theirs = approved(*zhao, open_round, administrator, schools=[tashan_school])
    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=open_round)
    return mine, theirs


def who(name: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The standing cast by name: the parent is 王芳 (the owner), the other parent 赵强."""
    if name == "anonymous":
        return ANONYMOUS
    if name == "parent":
        return request.getfixturevalue("wang")[0].user
    if name == "other_parent":
        return request.getfixturevalue("zhao")[0].user
    return request.getfixturevalue(name)


# --- public reads -------------------------------------------------------------------------------------


def test_the_schools_taking_pupils_are_public_and_need_no_user(tashan_school, chengnan_school):
    chengnan_school.is_active = False
    chengnan_school.save()

    assert tashan_school in selectors.schools_public(level="primary")
    assert tashan_school not in selectors.schools_public(level="junior")
    assert chengnan_school not in selectors.schools_public()
    assert selectors.school_get(chengnan_school.pk) == chengnan_school  # closed schools still answer by id


@pytest.mark.parametrize(
    ("name", "sees_draft"),
    [("anonymous", False), ("parent", False), ("caseworker", False), ("administrator", True)],
)
def test_a_round_is_public_once_open_and_a_draft_only_to_administrators(name, sees_draft, request, open_round):
    draft = enrolment_round(year=2028, status=RoundStatus.DRAFT)
    user = who(name, request)

    visible = set(selectors.rounds_visible(user=user))

    assert open_round in visible
    assert (draft in visible) is sees_draft
    if not sees_draft:
        with pytest.raises(EnrolmentRound.DoesNotExist):
            selectors.round_get(user=user, pk=draft.pk)


def test_the_rounds_taking_applications_today(open_round):
    assert list(selectors.rounds_taking_applications(today=DURING_APPLICATIONS)) == [open_round]
    assert not selectors.rounds_taking_applications(today=open_round.applications_close_on.replace(day=24)).exists()


def test_the_cut_offs_are_public_once_published_and_not_before(scene, open_round, administrator):
    assert not selectors.cutoffs_published(enrolment_round=open_round).exists()

    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)

    assert selectors.cutoffs_published(enrolment_round=open_round).count() == 3


def test_the_parents_timeline_marks_what_is_past_under_way_and_to_come(open_round):
    steps = {step.key: step.state for step in selectors.round_timeline(enrolment_round=open_round)}

    assert steps == {
        "applications": "now", "documents": "now", "objections": "later", "preferences": "now",
        "allocation": "later", "confirmation": "later",
    }  # fmt: skip
    with on(ALLOCATION_DAY):
        later = {step.key: step.state for step in selectors.round_timeline(enrolment_round=open_round)}
    assert later["applications"] == "done" and later["allocation"] == "now" and later["confirmation"] == "now"


# --- applications and results: the case's visibility -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees_mine", "sees_theirs"),
    [
        ("anonymous", False, False),
        ("parent", True, False),
        ("other_parent", False, True),
        ("caseworker", True, True),
        ("caseworker_elsewhere", False, False),
        ("health_worker", False, False),
        ("administrator", True, True),
    ],
)
def test_applications_and_results_are_seen_by_the_family_their_streets_caseworkers_and_administrators(
    name, sees_mine, sees_theirs, request, scene
):  # type: ignore[no-untyped-def]
    mine, theirs = scene
    user = who(name, request)

    for selector in (selectors.enrolment_applications, selectors.enrolment_queue):
        visible = set(selector(user=user).values_list("pk", flat=True))
        assert (mine.pk in visible, theirs.pk in visible) == (sees_mine, sees_theirs)
    results = set(selectors.enrolment_results(user=user).values_list("pk", flat=True))
    assert (mine.pk in results, theirs.pk in results) == (sees_mine, sees_theirs)
    if not sees_mine:
        with pytest.raises(EnrolmentApplication.DoesNotExist):
            selectors.enrolment_application_get(user=user, pk=mine.pk)
        with pytest.raises(EnrolmentApplication.DoesNotExist):
            selectors.enrolment_application_by_reference(user=user, reference=mine.case.reference)
        with pytest.raises(EnrolmentResult.DoesNotExist):
            selectors.enrolment_result_get(user=user, pk=mine.pk)
    else:
        assert selectors.enrolment_application_get(user=user, pk=mine.pk) == mine
        assert selectors.enrolment_result_get(user=user, pk=mine.pk).application_id == mine.pk


def test_my_family_list_has_my_childrens_applications_only_even_for_a_caseworker(scene, wang, caseworker):
    mine, _theirs = scene

    assert list(selectors.enrolment_applications_of_family(user=wang[0].user)) == [mine]
    assert list(selectors.enrolment_applications_of_family(user=caseworker)) == []


def test_a_page_of_applications_costs_the_same_queries_for_one_as_for_six(
    open_round, tashan_community, tashan_school, caseworker, administrator
):  # type: ignore[no-untyped-def]
    approved(*family("一家", tashan_community), open_round, administrator, schools=[tashan_school])

    def queries() -> int:
        fresh = User.objects.get(pk=caseworker.pk)  # nothing cached on the instance (its roles) hides a query
        with CaptureQueriesContext(connection) as captured:
            for application in selectors.enrolment_applications(user=fresh):
                _ = [p.school.name for p in application.preferences.all()]
                _ = (application.child.name, application.guardian.name, application.round.name, application.case.street)
        return len(captured)

    one = queries()
    for n in range(5):
        approved(*family(f"家长{n}", tashan_community), open_round, administrator, schools=[tashan_school])
    assert queries() == one


# --- runs: the office's --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("anonymous", False),
        ("parent", False),
        ("other_parent", False),
        ("caseworker", True),
        ("caseworker_elsewhere", True),
        ("health_worker", False),
        ("administrator", True),
    ],
)
def test_allocation_runs_are_seen_by_the_office_only(name, sees, request, scene):
    user = who(name, request)
    final = AllocationRun.objects.get()

    assert selectors.allocation_runs(user=user).exists() is sees
    if not sees:
        with pytest.raises(AllocationRun.DoesNotExist):
            selectors.allocation_run_get(user=user, pk=final.pk)


# --- eligible families who have not applied ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("anonymous", set()),
        ("parent", {"王小雨"}),
        ("other_parent", {"赵小明"}),
        ("caseworker", {"王小雨", "赵小明"}),
        ("caseworker_elsewhere", {"府山的孩子"}),
        ("health_worker", set()),
        ("administrator", {"王小雨", "赵小明", "府山的孩子"}),
    ],
)
def test_the_families_who_may_apply_and_have_not(name, expected, request, open_round, wang, zhao, fushan_community):
    family("府山", fushan_community, child_name="府山的孩子")
    user = who(name, request)

    links = selectors.enrolment_eligible_not_applied(user=user, enrolment_round=open_round)

    assert {link.child.name for link in links} == expected


def test_a_child_who_applied_is_no_longer_among_them(open_round, wang):
    start(*wang, open_round)

    assert not selectors.enrolment_children_eligible(guardian=wang[0], enrolment_round=open_round).exists()


# --- the applicant's case page ----------------------------------------------------------------------------


def page(user, case):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.get(f"/me/cases/{case.reference}/")


def test_the_case_page_shows_the_round_the_schools_ranked_and_the_timeline(open_round, wang, tashan_school):
    guardian, child = wang
    case = start(guardian, child, open_round)
    services.enrolment_preferences_set(actor=guardian.user, application=case, schools=[tashan_school])

    response = page(guardian.user, case)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="enrolment-application"' in html and "塔山小学" in html
    assert "2027 年小学一年级随迁子女入学" in html
    assert 'id="enrolment-timeline"' in html and 'aria-current="step"' in html
    assert "预防接种证" in html


def test_before_the_allocation_the_case_page_shows_the_points_that_would_count(open_round, wang, zhao, verified_points):
    points(verified_points, wang[0], "87.50")
    mine, theirs = start(*wang, open_round), start(*zhao, open_round)

    assert "87.5" in page(wang[0].user, mine).content.decode()
    assert "分配时按 0 分计算" in page(zhao[0].user, theirs).content.decode()


def test_the_case_page_shows_the_result_with_its_reason_and_the_day_to_confirm_by(scene, wang):
    mine, _theirs = scene

    with on(ALLOCATION_DAY):
        html = page(wang[0].user, mine.case).content.decode()

    assert 'id="enrolment-result"' in html
    assert "录取到您的第一志愿 塔山小学" in html
    assert "2027-07-07" in html


def test_another_parent_gets_a_not_found(scene, zhao):
    mine, _theirs = scene

    assert page(zhao[0].user, mine.case).status_code == 404
