"""The school-enrolment API: /api/v1/schools/ and /api/v1/enrolment-rounds/ (public; cut-offs and the seed once
published), /api/v1/enrolment-applications/ (the family's own, a caseworker's streets', an administrator's all;
out of scope is 404): applying with the schools ranked, changing them, confirming and declining the seat offered
through the same services as the pages; bad input a 400 on the field with nothing saved, conflicts a 409;
constant queries per page; the schema."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case
from education import services
from education.choices import ResultStatus, RoundStatus
from education.models import EnrolmentPreference, EnrolmentResult

from ..conftest import api_as
from .factories import (
    ALLOCATION_DAY,
    APPLICATIONS_CLOSE,
    CONFIRMATION_END,
    PREFERENCES_CLOSE,
    approved,
    enrolment_round,
    family,
    on,
    points,
    school,
    start,
)

pytestmark = pytest.mark.django_db

SCHOOLS = "/api/v1/schools/"
ROUNDS = "/api/v1/enrolment-rounds/"
APPLICATIONS = "/api/v1/enrolment-applications/"
DAY = datetime.timedelta(days=1)
DURING_CONFIRMATION = ALLOCATION_DAY + DAY


def url(case: Case | Any, suffix: str = "") -> str:
    return f"{APPLICATIONS}{case.pk}/{suffix}"


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


def enrolment_cases() -> int:
    return Case.objects.filter(case_type="school_enrolment").count()


def ranked(case: Case | Any) -> list[int]:
    return list(
        EnrolmentPreference.objects.filter(application_id=case.pk).order_by("rank").values_list("school_id", flat=True)
    )


@pytest.fixture
def allocated(open_round, wang, zhao, tashan_school, chengnan_school, administrator, verified_points):  # type: ignore[no-untyped-def]
    """王芳 (90 points) and 赵强 (80) both rank 塔山 then 城南; allocated, both get 塔山."""
    points(verified_points, wang[0], 90)
    points(verified_points, zhao[0], 80)
    mine = approved(*wang, open_round, administrator, schools=[tashan_school, chengnan_school])
    theirs = approved(*zhao, open_round, administrator, schools=[tashan_school, chengnan_school])
    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=open_round)
    return mine, theirs


def who(name: str, request: pytest.FixtureRequest) -> User | None:
    """The standing cast: the parent is 王芳, the other parent 赵强 (both of 塔山)."""
    if name == "anonymous":
        return None
    if name == "parent":
        return request.getfixturevalue("wang")[0].user
    if name == "other_parent":
        return request.getfixturevalue("zhao")[0].user
    return request.getfixturevalue(name)


# --- schools (public) -----------------------------------------------------------------------------------------


def test_anyone_lists_the_schools_with_their_catchment_and_seats_in_the_open_round(
    open_round, tashan_school, tashan_community, junior_school
):  # type: ignore[no-untyped-def]
    response = api_as(None).get(SCHOOLS)

    rows = {row["name"]: row for row in response.json()["results"]}
    assert response.status_code == 200
    assert {"塔山小学", "府山小学", "城南小学", "稽山中学"} <= set(rows)
    tashan = rows["塔山小学"]
    assert tashan["catchment"] == [{"id": tashan_community.pk, "name": tashan_community.name}]
    assert tashan["seats"] == [
        {"round": open_round.pk, "round_name": open_round.name, "round_status": "open", "seats": 2}
    ]
    assert tashan["street_name"] == "塔山街道" and tashan["level_label"] == "小学"
    assert rows["稽山中学"]["seats"] == []


def test_the_schools_filter_by_level_and_refuse_an_unknown_one(open_round, junior_school):
    assert {row["name"] for row in api_as(None).get(SCHOOLS, {"level": "junior"}).json()["results"]} >= {"稽山中学"}
    assert "塔山小学" not in {row["name"] for row in api_as(None).get(SCHOOLS, {"level": "junior"}).json()["results"]}

    response = api_as(None).get(SCHOOLS, {"level": "college"})

    assert response.status_code == 400 and "level" in response.json()


def test_a_school_no_longer_taking_pupils_leaves_the_list_but_answers_by_id(chengnan_school):
    chengnan_school.is_active = False
    chengnan_school.save()

    assert "城南小学" not in {row["name"] for row in api_as(None).get(SCHOOLS).json()["results"]}
    assert api_as(None).get(f"{SCHOOLS}{chengnan_school.pk}/").json()["is_active"] is False
    assert api_as(None).get(f"{SCHOOLS}999999/").status_code == 404


def test_a_page_of_schools_costs_the_same_queries_for_three_as_for_eight(open_round, tashan_community):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_as(None).get(SCHOOLS).status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        open_round.school_seats.create(school=school(f"新校{n}", catchment=(tashan_community,)), seats=2)
    assert queries() == few


# --- rounds (public once open) ----------------------------------------------------------------------------------


def test_a_round_shows_its_calendar_timeline_schools_and_no_cutoffs_before_publishing(open_round, tashan_school):
    response = api_as(None).get(f"{ROUNDS}{open_round.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert body["max_preferences"] == 5 and body["taking_applications"] is True
    assert body["applications_close_on"] == "2027-05-23" and body["confirmation_end_on"] == "2027-07-07"
    assert {step["key"]: step["state"] for step in body["timeline"]}["applications"] == "now"
    assert {step["key"]: step["state"] for step in body["timeline"]}["allocation"] == "later"
    assert {row["school_name"]: row["seats"] for row in body["schools"]}["塔山小学"] == 2
    assert body["cutoffs"] == [] and body["seed"] is None


@pytest.mark.parametrize(("name", "sees_draft"), [("anonymous", False), ("parent", False), ("administrator", True)])
def test_drafts_are_seen_by_administrators_only(name, sees_draft, request, open_round):
    draft = enrolment_round(year=2028, status=RoundStatus.DRAFT)
    client = api_as(who(name, request))

    listed = ids(client.get(ROUNDS))

    assert open_round.pk in listed
    assert (draft.pk in listed) is sees_draft
    assert client.get(f"{ROUNDS}{draft.pk}/").status_code == (200 if sees_draft else 404)


def test_the_cutoffs_and_the_seed_are_public_once_published(allocated, open_round, administrator, tashan_school):
    with on(DURING_CONFIRMATION):
        before = api_as(None).get(f"{ROUNDS}{open_round.pk}/").json()
        services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
        after = api_as(None).get(f"{ROUNDS}{open_round.pk}/").json()

    open_round.refresh_from_db()
    assert before["cutoffs"] == [] and before["seed"] is None
    assert after["seed"] == open_round.seed
    tashan = {row["school_name"]: row for row in after["cutoffs"]}["塔山小学"]
    assert tashan == {
        "school": tashan_school.pk, "school_name": "塔山小学", "seats": 2, "seats_used": 2, "is_full": True,
        "last_tier": 0, "last_tier_label": "学区内", "last_points": "80.00",
    }  # fmt: skip


def test_the_rounds_filter_by_year_and_status(open_round):
    assert ids(api_as(None).get(ROUNDS, {"year": 2027, "status": "open"})) == [open_round.pk]
    assert ids(api_as(None).get(ROUNDS, {"year": 2026})) == []
    assert api_as(None).get(ROUNDS, {"status": "opened"}).status_code == 400
    assert api_as(None).get(ROUNDS, {"year": "next"}).status_code == 400


def test_a_page_of_rounds_costs_the_same_queries_for_one_as_for_three(allocated, open_round, administrator):
    services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_as(None).get(ROUNDS).status_code == 200
        return len(captured)

    one = queries()
    for grade, year in (("junior_1", 2027), ("primary_1", 2028)):
        later = enrolment_round(year=year, grade=grade)
        later.school_seats.create(school=school(f"{year}{grade}校", level=grade.split("_")[0]), seats=3)
    assert queries() == one


# --- applications: who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees_mine", "sees_theirs"),
    [
        ("parent", True, False),
        ("other_parent", False, True),
        ("caseworker", True, True),
        ("caseworker_elsewhere", False, False),
        ("health_worker", False, False),
        ("administrator", True, True),
    ],
)
def test_applications_are_seen_by_the_family_their_streets_caseworker_and_administrators(
    name, sees_mine, sees_theirs, request, allocated
):  # type: ignore[no-untyped-def]
    mine, theirs = allocated
    client = api_as(who(name, request))

    listed = ids(client.get(APPLICATIONS))

    assert (mine.pk in listed, theirs.pk in listed) == (sees_mine, sees_theirs)
    assert client.get(url(mine)).status_code == (200 if sees_mine else 404)
    if not sees_mine:
        with on(DURING_CONFIRMATION):
            assert client.post(url(mine, "confirm/")).status_code == 404
            assert client.post(url(mine, "decline/")).status_code == 404
            assert client.patch(url(mine), {"preferences": []}, format="json").status_code == 404
        assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.OFFERED


def test_an_anonymous_caller_is_asked_to_sign_in_and_changes_nothing(open_round, wang, tashan_school):
    client = api_as(None)

    assert client.get(APPLICATIONS).status_code in (401, 403)
    response = client.post(APPLICATIONS, {"child": wang[1].pk, "round": open_round.pk}, format="json")
    assert response.status_code in (401, 403)
    assert enrolment_cases() == 0


def test_the_result_is_read_with_its_reason_in_the_callers_language(allocated):
    mine, _theirs = allocated
    client = api_as(mine.guardian.user)

    with on(DURING_CONFIRMATION):
        body = client.get(url(mine)).json()
        english = client.get(url(mine), HTTP_ACCEPT_LANGUAGE="en").json()

    result = body["result"]
    assert result["status"] == "offered" and result["school_name"] == "塔山小学" and result["choice_rank"] == 1
    assert result["reason"] == result["reason_zh"] and "录取到您的第一志愿 塔山小学" in result["reason"]
    assert english["result"]["reason"] == result["reason_en"]
    assert result["points"] == "90.00" and result["tier"] == 0
    assert body["may_answer"] is True and body["may_change_preferences"] is False
    assert [p["school_name"] for p in body["preferences"]] == ["塔山小学", "城南小学"]
    assert body["case_url"] == f"/api/v1/cases/{mine.pk}/"


def test_the_list_filters_by_round_case_status_and_result(allocated, open_round):
    mine, _theirs = allocated
    client = api_as(mine.guardian.user)

    assert ids(client.get(APPLICATIONS, {"round": open_round.pk, "status": "approved", "result": "offered"})) == [
        mine.pk
    ]
    assert ids(client.get(APPLICATIONS, {"result": "confirmed"})) == []
    for bad in ({"status": "done"}, {"result": "won"}, {"round": "first"}):
        response = client.get(APPLICATIONS, bad)
        assert response.status_code == 400 and next(iter(bad)) in response.json()


def test_a_page_of_applications_costs_the_same_queries_for_one_as_for_six(
    open_round, tashan_community, tashan_school, caseworker, administrator
):  # type: ignore[no-untyped-def]
    approved(*family("一家", tashan_community), open_round, administrator, schools=[tashan_school])

    def queries() -> int:
        client = api_as(fresh(caseworker))
        with CaptureQueriesContext(connection) as captured:
            assert len(ids(client.get(APPLICATIONS))) >= 1
        return len(captured)

    one = queries()
    for n in range(5):
        approved(*family(f"家长{n}", tashan_community), open_round, administrator, schools=[tashan_school])
    assert queries() == one


# --- applying ------------------------------------------------------------------------------------------------


def test_a_parent_applies_for_their_child_with_the_schools_ranked(open_round, wang, tashan_school, chengnan_school):
    guardian, child = wang

    response = api_as(guardian.user).post(
        APPLICATIONS,
        {"child": child.pk, "round": open_round.pk, "preferences": [tashan_school.pk, chengnan_school.pk]},
        format="json",
    )

    body = response.json()
    assert response.status_code == 201, body
    assert body["status"] == CaseStatus.DRAFT and body["child"] == child.pk and body["guardian"] == guardian.pk
    assert [p["school"] for p in body["preferences"]] == [tashan_school.pk, chengnan_school.pk]
    assert {item["key"] for item in body["checklist"]} >= {"birth_certificate", "vaccination_certificate"}
    assert body["may_change_preferences"] is True and body["result"] is None
    assert ranked(Case.objects.get(pk=body["id"])) == [tashan_school.pk, chengnan_school.pk]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"child": None}, "child"),
        ({"round": "this one"}, "round"),
        ({"preferences": "塔山小学"}, "preferences"),
        ({"preferences": [1] * 21}, "preferences"),
        ({"preferences": [999999]}, "preferences"),
        ({"round": 999999}, "round"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_saves_nothing(change, field, open_round, wang):
    data = {"child": wang[1].pk, "round": open_round.pk, **change}
    data = {key: value for key, value in data.items() if value is not None}

    response = api_as(wang[0].user).post(APPLICATIONS, data, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert enrolment_cases() == 0


def test_a_school_ranked_twice_is_a_400_on_preferences_and_leaves_no_draft(open_round, wang, tashan_school):
    response = api_as(wang[0].user).post(
        APPLICATIONS,
        {"child": wang[1].pk, "round": open_round.pk, "preferences": [tashan_school.pk, tashan_school.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_preference" and "塔山小学" in response.json()["preferences"][0]
    assert enrolment_cases() == 0


def test_someone_elses_child_is_not_found_and_nothing_is_saved(open_round, wang, zhao):
    response = api_as(wang[0].user).post(APPLICATIONS, {"child": zhao[1].pk, "round": open_round.pk}, format="json")

    assert response.status_code == 400 and "child" in response.json()
    assert enrolment_cases() == 0


def test_a_parent_without_a_valid_permit_is_refused_on_guardian(open_round, tashan_community):
    guardian, child = family("无证家长", tashan_community, permit="none")

    response = api_as(guardian.user).post(APPLICATIONS, {"child": child.pk, "round": open_round.pk}, format="json")

    assert response.status_code == 400 and "guardian" in response.json()
    assert enrolment_cases() == 0


def test_applying_twice_or_after_the_window_is_a_conflict(open_round, wang, zhao):
    start(*wang, open_round)

    twice = api_as(wang[0].user).post(APPLICATIONS, {"child": wang[1].pk, "round": open_round.pk}, format="json")
    with on(APPLICATIONS_CLOSE + DAY):
        late = api_as(zhao[0].user).post(APPLICATIONS, {"child": zhao[1].pk, "round": open_round.pk}, format="json")

    assert twice.status_code == 409 and twice.json()["code"] == "enrolment_application_exists"
    assert late.status_code == 409 and late.json()["code"] == "applications_closed"
    assert enrolment_cases() == 1


def test_a_caseworker_applies_at_the_window_naming_the_parent(open_round, wang, caseworker, tashan_school):
    guardian, child = wang

    response = api_as(caseworker).post(
        APPLICATIONS,
        {"child": child.pk, "round": open_round.pk, "guardian": guardian.pk, "preferences": [tashan_school.pk]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["guardian"] == guardian.pk


# --- changing the schools -----------------------------------------------------------------------------------


def test_the_parent_changes_the_schools_until_preferences_close(open_round, wang, tashan_school, chengnan_school):
    case = start(*wang, open_round)
    client = api_as(wang[0].user)

    response = client.patch(url(case), {"preferences": [chengnan_school.pk, tashan_school.pk]}, format="json")

    assert response.status_code == 200, response.content
    assert [p["school"] for p in response.json()["preferences"]] == [chengnan_school.pk, tashan_school.pk]
    with on(PREFERENCES_CLOSE + DAY):
        late = client.patch(url(case), {"preferences": [tashan_school.pk]}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "preferences_closed" and "preferences" in late.json()
    assert ranked(case) == [chengnan_school.pk, tashan_school.pk]


def test_more_schools_than_the_round_allows_is_a_400_and_changes_nothing(
    open_round, wang, tashan_school, fushan_school, chengnan_school
):  # type: ignore[no-untyped-def]
    open_round.max_preferences = 2
    open_round.save()
    case = start(*wang, open_round)
    services.enrolment_preferences_set(actor=wang[0].user, application=case, schools=[tashan_school])

    response = api_as(wang[0].user).patch(
        url(case), {"preferences": [tashan_school.pk, fushan_school.pk, chengnan_school.pk]}, format="json"
    )

    assert response.status_code == 400 and response.json()["code"] == "too_many_preferences"
    assert "preferences" in response.json()
    assert ranked(case) == [tashan_school.pk]


def test_preferences_must_be_given(open_round, wang):
    case = start(*wang, open_round)

    response = api_as(wang[0].user).patch(url(case), {}, format="json")

    assert response.status_code == 400 and "preferences" in response.json()


# --- answering the offer ------------------------------------------------------------------------------------


def test_the_parent_confirms_and_a_second_confirmation_is_a_conflict(allocated):
    mine, _theirs = allocated
    client = api_as(mine.guardian.user)

    with on(DURING_CONFIRMATION):
        first = client.post(url(mine, "confirm/"))
        second = client.post(url(mine, "confirm/"))

    assert first.status_code == 200 and first.json()["result"]["status"] == "confirmed"
    assert first.json()["may_answer"] is False
    assert second.status_code == 409 and second.json()["code"] == "offer_already_confirmed"


def test_the_parent_declines_with_a_reason(allocated):
    mine, _theirs = allocated

    with on(DURING_CONFIRMATION):
        response = api_as(mine.guardian.user).post(url(mine, "decline/"), {"reason": "回老家上学"}, format="json")

    assert response.status_code == 200 and response.json()["result"]["status"] == "declined"
    assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.DECLINED


def test_a_decline_reason_too_long_is_a_400_and_declines_nothing(allocated):
    mine, _theirs = allocated

    with on(DURING_CONFIRMATION):
        response = api_as(mine.guardian.user).post(url(mine, "decline/"), {"reason": "很" * 201}, format="json")

    assert response.status_code == 400 and "reason" in response.json()
    assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.OFFERED


def test_answering_after_the_window_or_without_an_offer_is_a_conflict(allocated, open_round, wang):
    mine, _theirs = allocated

    with on(CONFIRMATION_END + DAY):
        late = api_as(mine.guardian.user).post(url(mine, "confirm/"))
    draft = start(*family("新家长", wang[0].community), enrolment_round(year=2028))
    early = api_as(draft.applicant.guardian_links.get().guardian.user).post(url(draft, "confirm/"))

    assert late.status_code == 409 and late.json()["code"] == "confirmation_closed"
    assert early.status_code == 409 and early.json()["code"] == "no_result"


# --- the schema ---------------------------------------------------------------------------------------------


def test_the_schema_describes_the_enrolment_api(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    for path in (
        SCHOOLS, f"{SCHOOLS}{{id}}/", ROUNDS, f"{ROUNDS}{{id}}/", APPLICATIONS, f"{APPLICATIONS}{{id}}/",
        f"{APPLICATIONS}{{id}}/confirm/", f"{APPLICATIONS}{{id}}/decline/",
    ):  # fmt: skip
        assert path in schema["paths"], path
    assert "/api/v1/cases/" in schema["paths"][APPLICATIONS]["get"]["description"]
    assert "patch" in schema["paths"][f"{APPLICATIONS}{{id}}/"]
