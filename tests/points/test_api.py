"""The points API (/api/v1/points/…): the public tables, calculator, rounds and rankings; the applications seen by
the applicant, the caseworker of their street and administrators only (out of scope is 404), started, verified
item by item, completed and contested through the same services as the pages; refusals as 400 on the field (409
for conflicts) with nothing saved; constant queries per page; a clean OpenAPI schema."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case
from points import scoring, services
from points.choices import ItemStatus, RuleSetStatus
from points.models import PointsApplication, PointsItem, PointsObjection, PointsRound
from points.selectors import rule_set_current, rule_set_to_scoring
from residents.models import AuditEvent, Resident
from tests.factories import ResidentFactory, UserFactory

from ..conftest import api_as
from .scenes import (
    SOCIAL_INSURANCE_ONLY,
    accept_all,
    close,
    objection_window_over,
    open_round,
    permit_holder,
    publish,
    start,
    submitted,
    today,
    total_of,
    upload_evidence,
    verified,
)

pytestmark = pytest.mark.django_db

RULE_SETS = "/api/v1/points/rule-sets/"
CALCULATE = "/api/v1/points/calculate/"
PREFILL = "/api/v1/points/calculate/prefill/"
ROUNDS = "/api/v1/points/rounds/"
APPLICATIONS = "/api/v1/points/applications/"
RANKINGS = "/api/v1/points/rankings/"

# The facts of a typical applicant under the published 2026.1 table.
FACTS: dict[str, Any] = {
    "residence_years": "4",
    "social_insurance_years": 6,
    "education": "bachelor",
    "age": 30,
    "employment": True,
    "volunteer_hours": "120",
    "administrative_penalties": 1,
    "criminal_record_5y": False,
}


def url(case: Case, suffix: str = "") -> str:
    return f"{APPLICATIONS}{case.pk}/{suffix}"


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def fresh(user: User) -> User:
    """The same login as a new object, so nothing cached on the instance hides a query."""
    return User.objects.get(pk=user.pk)


def migrant(community, name: str) -> Resident:  # type: ignore[no-untyped-def]
    """Another permit holder on the same street, with a login."""
    return permit_holder(ResidentFactory(user=UserFactory(), name=name, community=community))


def item_rows(case: Case) -> dict[str, PointsItem]:
    return {item.key: item for item in PointsApplication.objects.get(case=case).items.all()}


def points_cases() -> int:
    return Case.objects.filter(case_type="points").count()


def by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in rows}


@pytest.fixture
def holder(resident: Resident) -> Resident:
    """王芳, registered three years ago, holding a valid permit, senior-secondary education."""
    return permit_holder(resident)


@pytest.fixture
def round_open(db) -> PointsRound:  # type: ignore[no-untyped-def]
    return open_round()


@pytest.fixture
def draft(holder: Resident, round_open: PointsRound) -> Case:
    """王芳's draft declaring five years of social insurance."""
    return start(holder, round_open)


@pytest.fixture
def in_review(holder: Resident, round_open: PointsRound) -> Case:
    """王芳's application, submitted with its evidence, waiting for 塔山's caseworker."""
    return submitted(holder, round_open)


# --- rule sets (public) ------------------------------------------------------------------------------------


def test_anyone_reads_the_published_table_with_its_indicators_caps_and_tie_break():
    response = api_as(None).get(RULE_SETS)

    assert response.status_code == 200
    [table] = response.json()["results"]
    assert (table["version"], table["status"]) == ("2026.1", RuleSetStatus.PUBLISHED)
    assert table["category_caps"] == {"bonus": "20"} and table["max_total"] == "150.00"
    assert "连续居住年限长者在前" in table["tie_break_zh"] and table["tie_break_en"]
    indicators = by_key(table["indicators"])
    assert len(indicators) == 11
    insurance = indicators["social_insurance_years"]
    assert (insurance["label_zh"], insurance["category"], insurance["source"]) == (
        "社会保险缴纳年限",
        "basic",
        "declared",
    )
    assert (insurance["unit_zh"], insurance["unit_en"]) == ("年", "years")
    assert insurance["rule"] == {"type": "per_unit", "points": "3", "per": "1", "cap": "30", "whole_units": True}
    assert indicators["criminal_record_5y"]["rule"] == {"type": "veto"}
    assert api_as(None).get(f"{RULE_SETS}{table['id']}/").json()["version"] == "2026.1"


@pytest.mark.parametrize("who", ["resident", "other_resident", "caseworker", "caseworker_elsewhere", "administrator"])
def test_everyone_signed_in_reads_the_same_public_information(request, who, round_open):
    user = request.getfixturevalue(who)
    client = api_as(user.user if isinstance(user, Resident) else user)

    assert [table["version"] for table in client.get(RULE_SETS).json()["results"]] == ["2026.1"]
    assert ids(client.get(ROUNDS)) == [round_open.pk]
    assert client.get(RANKINGS).json()["results"] == []
    calculated = client.post(CALCULATE, {"facts": {"social_insurance_years": "2"}}, format="json")
    assert calculated.status_code == 200 and calculated.json()["total"] == "6.00"


def test_drafts_are_never_shown_and_a_replaced_version_stays_readable_as_retired(administrator):
    first = rule_set_current()
    draft = services.rule_set_succeed(actor=administrator, rule_set=first)
    client = api_as(None)

    assert [t["version"] for t in client.get(RULE_SETS).json()["results"]] == ["2026.1"]
    assert client.get(f"{RULE_SETS}{draft.pk}/").status_code == 404

    services.rule_set_publish(actor=administrator, rule_set=draft)

    listed = {t["version"]: t["status"] for t in client.get(RULE_SETS).json()["results"]}
    assert listed == {"2026.2": RuleSetStatus.PUBLISHED, "2026.1": RuleSetStatus.RETIRED}
    assert client.get(RULE_SETS, {"status": "retired"}).json()["results"][0]["version"] == "2026.1"
    assert client.get(f"{RULE_SETS}{draft.pk}/").json()["supersedes_version"] == "2026.1"


def test_the_rule_set_list_costs_the_same_queries_for_one_version_or_many(administrator):
    with CaptureQueriesContext(connection) as one:
        assert api_as(None).get(RULE_SETS).status_code == 200

    for _ in range(3):
        draft = services.rule_set_succeed(actor=administrator, rule_set=rule_set_current())
        services.rule_set_publish(actor=administrator, rule_set=draft)

    with CaptureQueriesContext(connection) as many:
        assert len(api_as(None).get(RULE_SETS).json()["results"]) == 4
    assert len(many) == len(one)


# --- the calculator ----------------------------------------------------------------------------------------


def test_anyone_scores_facts_item_by_item_with_signed_points_and_what_if_lines():
    response = api_as(None).post(CALCULATE, {"facts": FACTS}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    numbers = {"residence_years": Decimal(4), "volunteer_hours": Decimal(120)}
    expected = scoring.score(rule_set_to_scoring(rule_set_current()), {**FACTS, **numbers})
    assert body["rule_set"] == "2026.1" and body["total"] == f"{expected.total:.2f}"
    assert sum(Decimal(item["points"]) for item in body["breakdown"]) == Decimal(body["total"])
    lines = by_key(body["breakdown"])
    assert lines["social_insurance_years"]["points"] == "18.00"
    assert lines["social_insurance_years"]["note_zh"] == "6 年，每年 3 分"
    assert lines["administrative_penalties"]["points"] == "-5.00"  # a deduction is negative
    assert lines["volunteer_hours"]["points"] == "4.00" and "按满 2 个单位计" in lines["volunteer_hours"]["note_zh"]
    assert lines["education"]["value"] == "bachelor" and lines["residence_years"]["value"] == "4"
    assert body["eligible"] is True and body["vetoed_by"] == []
    what_if = by_key(body["what_if"])
    assert what_if["social_insurance_years"]["change"] == "3.00"
    assert what_if["social_insurance_years"]["text_zh"] == "社会保险缴纳年限再多 1 年：+3 分"
    assert what_if["volunteer_hours"]["step"] == "50.000" and what_if["volunteer_hours"]["change"] == "2.00"
    assert "education" not in what_if  # only per-unit items
    assert points_cases() == 0 and not AuditEvent.objects.exists()


def test_caps_are_applied_and_marked():
    facts = {"volunteer_hours": "1000", "skills_certificate": ["level_3", "level_1"], "investment_or_tax": True}

    body = api_as(None).post(CALCULATE, {"facts": facts}, format="json").json()

    lines = by_key(body["breakdown"])
    assert lines["volunteer_hours"]["capped"] and lines["volunteer_hours"]["uncapped_points"] == "40.00"
    assert lines["skills_certificate"]["value"] == ["level_3", "level_1"]
    assert body["subtotals"]["bonus"] == "20.00"  # 6 + 15 + 10, the bonus items together at most 20
    assert lines["investment_or_tax"]["capped"] and "合计上限 20 分" in lines["investment_or_tax"]["note_zh"]
    assert by_key(body["what_if"])["volunteer_hours"]["change"] == "0.00"


def test_a_veto_item_makes_the_score_ineligible_and_says_which():
    body = api_as(None).post(CALCULATE, {"facts": {**FACTS, "criminal_record_5y": True}}, format="json").json()

    assert body["eligible"] is False and body["vetoed_by"] == ["criminal_record_5y"]
    assert "一票否决" in by_key(body["breakdown"])["criminal_record_5y"]["note_zh"]


def test_facts_no_rule_can_score_are_a_400_on_each_key_at_once():
    facts = {"social_insurance_years": "五年", "education": "phd", "employment": "yes", "age": -3, "shoe_size": 42}

    response = api_as(None).post(CALCULATE, {"facts": facts}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "points_fact_invalid"
    assert set(body) == {"code", "social_insurance_years", "education", "employment", "age", "shoe_size"}
    assert "社会保险缴纳年限" in body["social_insurance_years"][0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "facts"), ({"facts": [1, 2]}, "facts"), ({"facts": {}, "rule_set": "1999.9"}, "rule_set")],
    ids=["no facts", "facts not an object", "unknown version"],
)
def test_a_malformed_request_is_a_400_on_its_field(payload, field):
    response = api_as(None).post(CALCULATE, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_retired_version_still_scores_but_a_draft_does_not(administrator):
    first = rule_set_current()
    draft = services.rule_set_succeed(actor=administrator, rule_set=first)
    client = api_as(None)

    assert client.post(CALCULATE, {"rule_set": draft.version, "facts": {}}, format="json").status_code == 400
    services.rule_set_publish(actor=administrator, rule_set=draft)
    response = client.post(CALCULATE, {"rule_set": "2026.1", "facts": FACTS}, format="json")
    assert response.status_code == 200 and response.json()["rule_set"] == "2026.1"
    assert client.post(CALCULATE, {"facts": {}}, format="json").json()["rule_set"] == "2026.2"


def test_a_signed_in_resident_gets_what_the_portal_knows_to_prefill_the_calculator(holder):
    response = api_as(holder.user).get(PREFILL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rule_set"] == "2026.1" and body["on"] == today().isoformat()
    assert body["facts_known"] == {
        "residence_years": "3", "age": "36", "education": "senior", "false_declaration": False,
    }  # fmt: skip


def test_prefill_needs_a_sign_in_and_a_resident_profile(caseworker):
    assert api_as(None).get(PREFILL).status_code == 401

    response = api_as(caseworker).get(PREFILL)

    assert response.status_code == 400 and response.json()["code"] == "resident_profile_missing"


def test_the_calculator_gives_the_score_the_application_is_given(holder, round_open, caseworker):
    client = api_as(holder.user)
    facts = {**client.get(PREFILL).json()["facts_known"], **SOCIAL_INSURANCE_ONLY}
    calculated = client.post(CALCULATE, {"facts": facts}, format="json").json()

    case = verified(holder, round_open, caseworker)

    application = client.get(url(case)).json()
    assert application["total"] == calculated["total"] == f"{total_of(case):.2f}"
    assert [(line["key"], line["points"]) for line in application["breakdown"]] == [
        (line["key"], line["points"]) for line in calculated["breakdown"]
    ]


# --- rounds (public) ---------------------------------------------------------------------------------------


def test_anyone_reads_the_rounds_with_their_calendar_and_what_they_unlock(round_open):
    response = api_as(None).get(ROUNDS)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == round_open.pk and row["is_open"] is True and row["objection_open"] is False
    assert row["opens_on"] == round_open.opens_on.isoformat() and row["quota"] == 100
    assert row["rule_set_version"] == "2026.1" and "随迁子女" in row["unlocks_zh"]
    assert row["ranking_published_on"] is None and row["rankings"] == []
    assert api_as(None).get(f"{ROUNDS}{round_open.pk}/").json()["name_zh"] == round_open.name_zh
    assert api_as(None).get(f"{ROUNDS}999999/").status_code == 404


def test_the_round_shows_its_ranking_and_the_objection_window_once_published(
    holder, round_open, caseworker, administrator
):  # type: ignore[no-untyped-def]
    verified(holder, round_open, caseworker)
    ranking = publish(round_open, administrator)

    row = api_as(None).get(f"{ROUNDS}{round_open.pk}/").json()

    assert row["is_open"] is False and row["objection_open"] is True
    assert row["ranking_published_on"] == today().isoformat()
    assert row["objection_ends_on"] == (today() + datetime.timedelta(days=7)).isoformat()
    assert [(r["id"], r["edition"], r["is_final"]) for r in row["rankings"]] == [(ranking.pk, 1, False)]


def test_the_round_list_costs_the_same_queries_for_one_round_or_many(round_open, holder, caseworker, administrator):
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api_as(None).get(ROUNDS))) == 1

    verified(holder, round_open, caseworker)
    publish(round_open, administrator)
    for year in (2023, 2024, 2025):
        open_round(name_zh=f"{year}年度", opens_on=datetime.date(year, 3, 1), closes_on=datetime.date(year, 3, 31))

    with CaptureQueriesContext(connection) as many:
        assert len(ids(api_as(None).get(ROUNDS))) == 4
    assert len(many) == len(one)


# --- rankings (public) -------------------------------------------------------------------------------------


@pytest.fixture
def ranked(round_open, tashan_community, caseworker, administrator):  # type: ignore[no-untyped-def]
    """Three applicants verified with 2, 8 and 5 years of social insurance; the ranking put up (公示), quota 2."""
    PointsRound.objects.filter(pk=round_open.pk).update(quota=2)
    round_open.refresh_from_db()
    cases = {}
    for name, years in (("李强", "2"), ("张敏", "8"), ("刘洋", "5")):
        cases[name] = verified(
            migrant(tashan_community, name),
            round_open,
            caseworker,
            {**SOCIAL_INSURANCE_ONLY, "social_insurance_years": years},
        )
    return publish(round_open, administrator), cases


def test_before_publication_there_is_no_ranking(round_open):
    assert api_as(None).get(RANKINGS).json()["results"] == []


def test_anyone_reads_a_published_ranking_with_its_tie_break_quota_and_cut_off(ranked):
    ranking, cases = ranked

    [row] = api_as(None).get(RANKINGS).json()["results"]

    assert row["id"] == ranking.pk and row["edition"] == 1 and row["is_final"] is False
    assert (row["quota"], row["entry_count"]) == (2, 3)
    assert row["cutoff"] == f"{total_of(cases['刘洋']):.2f}"
    assert "连续居住年限长者在前" in row["tie_break_zh"] and row["rule_set_version"] == "2026.1"
    assert row["objection_ends_on"] == (today() + datetime.timedelta(days=7)).isoformat()
    assert row["entries_url"] == f"{RANKINGS}{ranking.pk}/entries/"


def test_the_ranking_list_costs_the_same_queries_for_one_ranking_or_many(
    round_open, tashan_community, caseworker, administrator
):  # type: ignore[no-untyped-def]
    verified(migrant(tashan_community, "李强"), round_open, caseworker)
    publish(round_open, administrator)
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api_as(None).get(RANKINGS))) == 1

    for n in range(3):
        later = open_round(name_zh=f"第{n + 2}期")
        verified(migrant(tashan_community, f"居民{n}"), later, caseworker)
        publish(later, administrator)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(api_as(None).get(RANKINGS))) == 4
    assert len(many) == len(one)
    assert ids(api_as(None).get(RANKINGS, {"round": round_open.pk})) == [ids(api_as(None).get(RANKINGS))[-1]]


def test_the_entries_come_in_order_with_masked_names_and_page_by_position(ranked):
    ranking, cases = ranked
    client = api_as(None)

    first = client.get(f"{RANKINGS}{ranking.pk}/entries/", {"page_size": 2}).json()
    rest = client.get(first["next"]).json()

    entries = first["results"] + rest["results"]
    assert [e["position"] for e in entries] == [1, 2, 3]
    assert [e["reference"] for e in entries] == [cases[n].reference for n in ("张敏", "刘洋", "李强")]
    assert [e["masked_name"] for e in entries] == ["张*", "刘*", "李*"]
    assert [e["within_quota"] for e in entries] == [True, True, False]
    assert set(entries[0]) == {"position", "reference", "masked_name", "total", "tied", "within_quota"}
    assert "张敏" not in str(entries)


def test_one_entry_is_found_by_its_reference(ranked):
    ranking, cases = ranked
    entries = f"{RANKINGS}{ranking.pk}/entries/"

    found = api_as(None).get(entries, {"reference": cases["刘洋"].reference.lower()}).json()["results"]

    assert [(e["position"], e["reference"]) for e in found] == [(2, cases["刘洋"].reference)]
    assert api_as(None).get(entries, {"reference": "JF-NOPE"}).json()["results"] == []
    assert api_as(None).get(f"{RANKINGS}999999/entries/").status_code == 404


def test_the_entries_cost_the_same_queries_for_a_short_or_a_long_ranking(
    round_open, tashan_community, caseworker, administrator
):  # type: ignore[no-untyped-def]
    verified(migrant(tashan_community, "李强"), round_open, caseworker)
    short = publish(round_open, administrator)
    with CaptureQueriesContext(connection) as one:
        assert len(api_as(None).get(f"{RANKINGS}{short.pk}/entries/").json()["results"]) == 1

    later = open_round(name_zh="第二期")
    for n in range(4):
        verified(migrant(tashan_community, f"居民{n}"), later, caseworker)
    long = publish(later, administrator)
    with CaptureQueriesContext(connection) as many:
        assert len(api_as(None).get(f"{RANKINGS}{long.pk}/entries/").json()["results"]) == 4
    assert len(many) == len(one)


# --- applications: who sees what ---------------------------------------------------------------------------


def calls(case: Case) -> list[tuple[str, str, dict[str, Any]]]:
    """Every call on one application, each with a body that would otherwise be taken."""
    return [
        ("get", url(case), {}),
        ("get", url(case, "items/"), {}),
        ("patch", url(case), {"declared": SOCIAL_INSURANCE_ONLY}),
        ("post", url(case, "verify/"), {"key": "social_insurance_years", "decision": "accepted", "reason": "属实"}),
        ("post", url(case, "complete/"), {}),
        ("post", url(case, "objection/"), {"item_keys": ["social_insurance_years"], "reason": "少算了一年"}),
    ]


def test_an_anonymous_caller_is_asked_to_sign_in_and_changes_nothing(in_review, round_open):
    for method, path, body in [*calls(in_review), ("get", APPLICATIONS, {}), ("post", APPLICATIONS, {})]:
        response = getattr(api_as(None), method)(path, body or {"round": round_open.pk}, format="json")
        assert response.status_code == 401, (method, path)

    assert Case.objects.get(pk=in_review.pk).status == CaseStatus.SUBMITTED
    assert not PointsItem.objects.filter(application__case=in_review).exclude(reason="").exists()


def test_another_resident_sees_nothing_of_it(in_review, other_resident):
    client = api_as(other_resident.user)

    assert ids(client.get(APPLICATIONS)) == []
    for method, path, body in calls(in_review):
        assert getattr(client, method)(path, body, format="json").status_code == 404, (method, path)
    assert Case.objects.get(pk=in_review.pk).status == CaseStatus.SUBMITTED


def test_a_caseworker_of_another_street_gets_a_404_and_changes_nothing(in_review, caseworker_elsewhere):
    client = api_as(caseworker_elsewhere)

    assert ids(client.get(APPLICATIONS)) == []
    for method, path, body in calls(in_review):
        assert getattr(client, method)(path, body, format="json").status_code == 404, (method, path)
    assert item_rows(in_review)["social_insurance_years"].status == ItemStatus.PENDING


def test_the_applicant_lists_and_reads_their_application_with_its_items(in_review, holder):
    client = api_as(holder.user)

    assert ids(client.get(APPLICATIONS)) == [in_review.pk]
    body = client.get(url(in_review)).json()
    assert body["reference"].startswith("JF") and body["status"] == CaseStatus.SUBMITTED
    assert body["case_url"] == f"/api/v1/cases/{in_review.pk}/"
    assert body["rule_set_version"] == "2026.1" and body["facts_on"] == today().isoformat()
    assert body["total"] is None and body["breakdown"] == [] and body["ranking"] is None
    items = by_key(body["items"])
    assert items["residence_years"]["status"] == ItemStatus.COMPUTED and items["residence_years"]["value"] == "3"
    assert items["social_insurance_years"]["status"] == ItemStatus.PENDING
    assert items["social_insurance_years"]["declared"] == "5"
    assert items["social_insurance_years"]["label_zh"] == "社会保险缴纳年限"
    assert items["employment"]["status"] == ItemStatus.NOT_DECLARED
    # Only the computed items count yet: 3 years × 2 + senior secondary 10 + aged 36 (15) = 31.
    assert body["provisional_total"] == "31.00"
    assert [item["key"] for item in body["checklist"]][:1] == ["evidence_social_insurance_years"]
    assert by_key(client.get(url(in_review, "items/")).json()) == items


def test_the_caseworker_of_the_street_decides_each_item_and_completes_the_review(in_review, caseworker, holder):
    client = api_as(caseworker)
    assert ids(client.get(APPLICATIONS, {"status": "submitted"})) == [in_review.pk]

    adjusted = client.post(
        url(in_review, "verify/"),
        {"key": "social_insurance_years", "decision": "adjusted", "value": "4", "reason": "社保记录为 4 年"},
        format="json",
    )
    assert adjusted.status_code == 200, adjusted.content
    assert by_key(adjusted.json()["items"])["social_insurance_years"]["value"] == "4"
    for key in ("administrative_penalties", "criminal_record_5y"):
        response = client.post(url(in_review, "verify/"), {"key": key, "decision": "accepted", "reason": "无记录"})
        assert response.status_code == 200, response.content

    done = client.post(url(in_review, "complete/"))

    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == CaseStatus.APPROVED and body["total"] == "43.00" and body["eligible"] is True
    assert body["total"] == body["provisional_total"]
    assert sum(Decimal(line["points"]) for line in body["breakdown"]) == Decimal("43")
    mine = by_key(api_as(holder.user).get(url(in_review)).json()["items"])
    assert mine["social_insurance_years"]["status"] == ItemStatus.ADJUSTED
    assert (
        mine["social_insurance_years"]["reason"] == "社保记录为 4 年"
        and mine["social_insurance_years"]["points"] == "12.00"
    )


def test_an_administrator_sees_every_application_and_may_review(in_review, administrator):
    client = api_as(administrator)

    assert in_review.pk in ids(client.get(APPLICATIONS))
    response = client.post(
        url(in_review, "verify/"), {"key": "criminal_record_5y", "decision": "accepted", "reason": "无记录"}
    )
    assert response.status_code == 200, response.content


def test_the_applicant_cannot_verify_their_own_items_nor_complete_the_review(in_review, holder):
    client = api_as(holder.user)

    verify = client.post(
        url(in_review, "verify/"), {"key": "social_insurance_years", "decision": "accepted", "reason": "是真的"}
    )
    complete = client.post(url(in_review, "complete/"))

    assert (verify.status_code, verify.json()["code"]) == (400, "not_allowed")
    assert (complete.status_code, complete.json()["code"]) == (400, "not_allowed")
    assert item_rows(in_review)["social_insurance_years"].status == ItemStatus.PENDING


def test_the_list_costs_the_same_queries_for_one_application_or_many(
    in_review, tashan_community, round_open, caseworker
):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api_as(fresh(caseworker)).get(APPLICATIONS))) == 1

    for n in range(4):
        submitted(migrant(tashan_community, f"居民{n}"), round_open)

    with CaptureQueriesContext(connection) as many:
        assert len(ids(api_as(fresh(caseworker)).get(APPLICATIONS, {"round": round_open.pk}))) == 5
    assert len(many) == len(one)


# --- applications: starting and declaring ------------------------------------------------------------------


def test_a_permit_holder_starts_a_draft_through_the_api(holder, round_open):
    response = api_as(holder.user).post(
        APPLICATIONS, {"round": round_open.pk, "declared": {**SOCIAL_INSURANCE_ONLY, "employment": True}}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == CaseStatus.DRAFT and body["round"] == round_open.pk
    assert by_key(body["items"])["employment"]["declared"] is True
    assert {item["key"] for item in body["checklist"]} >= {"evidence_social_insurance_years", "evidence_employment"}
    assert Case.objects.get(pk=body["id"]).applicant == holder


def test_the_draft_is_corrected_with_patch(draft, holder):
    response = api_as(holder.user).patch(
        url(draft), {"declared": {**SOCIAL_INSURANCE_ONLY, "social_insurance_years": "7"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert by_key(response.json()["items"])["social_insurance_years"]["declared"] == "7"
    assert item_rows(draft)["social_insurance_years"].declared == "7"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"declared": SOCIAL_INSURANCE_ONLY}, "round"),
        ({"round": 999999, "declared": SOCIAL_INSURANCE_ONLY}, "round"),
        ({"round": "本期", "declared": SOCIAL_INSURANCE_ONLY}, "round"),
        ({"round": "ROUND", "declared": "五年社保"}, "declared"),
        ({"round": "ROUND", "declared": {"social_insurance_years": "五年"}}, "social_insurance_years"),
        ({"round": "ROUND", "declared": {"shoe_size": 42}}, "shoe_size"),
        ({"round": "ROUND", "declared": {"employment": "yes"}}, "employment"),
    ],
    ids=["no round", "unknown round", "round not a number", "declared not an object", "not a number",
         "unknown item", "not yes or no"],
)  # fmt: skip
def test_bad_input_when_starting_is_a_400_on_its_field_and_saves_nothing(holder, round_open, payload, field):
    payload = {key: round_open.pk if value == "ROUND" else value for key, value in payload.items()}

    response = api_as(holder.user).post(APPLICATIONS, payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert points_cases() == 0 and not PointsApplication.objects.exists()


def test_applying_without_a_permit_is_a_400_on_the_applicant(resident, round_open):
    response = api_as(resident.user).post(APPLICATIONS, {"round": round_open.pk, "declared": {}}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "residence_permit_required" and "applicant" in response.json()
    assert points_cases() == 0


def test_nobody_applies_for_a_neighbour(holder, other_resident, round_open):
    response = api_as(other_resident.user).post(
        APPLICATIONS, {"round": round_open.pk, "applicant": holder.pk, "declared": {}}, format="json"
    )

    assert response.status_code == 400 and "applicant" in response.json()
    assert points_cases() == 0


def test_a_second_application_in_the_round_is_a_409(draft, holder, round_open):
    response = api_as(holder.user).post(APPLICATIONS, {"round": round_open.pk, "declared": {}}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "points_application_exists" and "round" in response.json()
    assert points_cases() == 1


def test_a_closed_round_takes_no_application_a_409(holder, round_open):
    close(round_open)

    response = api_as(holder.user).post(APPLICATIONS, {"round": round_open.pk, "declared": {}}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "points_round_closed"
    assert points_cases() == 0


def test_a_submitted_application_can_no_longer_be_declared_a_409(in_review, holder):
    response = api_as(holder.user).patch(url(in_review), {"declared": {"social_insurance_years": "9"}}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "points_not_editable"
    assert item_rows(in_review)["social_insurance_years"].declared == "5"


def test_a_bad_correction_is_a_400_on_its_item_and_keeps_the_declaration(draft, holder):
    client = api_as(holder.user)

    assert client.patch(url(draft), {}, format="json").status_code == 400
    response = client.patch(url(draft), {"declared": {"volunteer_hours": "-1"}}, format="json")

    assert response.status_code == 400 and "volunteer_hours" in response.json()
    assert item_rows(draft)["social_insurance_years"].declared == "5"


def test_submitting_through_the_generic_case_endpoint_computes_the_items(draft, holder):
    upload_evidence(draft)

    response = api_as(holder.user).post(f"/api/v1/cases/{draft.pk}/submit/")

    assert response.status_code == 200, response.content
    items = by_key(api_as(holder.user).get(url(draft, "items/")).json())
    assert items["age"]["status"] == ItemStatus.COMPUTED and items["age"]["value"] == "36"


# --- applications: review --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"key": "social_insurance_years", "decision": "accepted"}, "reason", "reason_required"),
        ({"key": "social_insurance_years", "decision": "accepted", "reason": "  "}, "reason", "reason_required"),
        ({"key": "shoe_size", "decision": "accepted", "reason": "属实"}, "key", "points_item_unknown"),
        ({"key": "social_insurance_years", "decision": "maybe", "reason": "属实"}, "decision", None),
        ({"key": "social_insurance_years", "decision": "adjusted", "value": "四年", "reason": "按记录"}, "value",
         "points_fact_invalid"),
        ({"key": "employment", "decision": "accepted", "reason": "属实"}, "key", "points_item_not_declared"),
        ({"decision": "accepted", "reason": "属实"}, "key", None),
    ],
    ids=["no reason", "blank reason", "unknown item", "unknown decision", "bad adjustment", "not declared",
         "no key"],
)  # fmt: skip
def test_a_bad_decision_is_a_400_on_its_field_and_changes_nothing(in_review, caseworker, payload, field, code):
    before = AuditEvent.objects.count()

    response = api_as(caseworker).post(url(in_review, "verify/"), payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    if code:
        assert response.json()["code"] == code
    assert {item.status for item in item_rows(in_review).values() if item.source == "declared"} <= {
        ItemStatus.PENDING, ItemStatus.NOT_DECLARED,
    }  # fmt: skip
    assert AuditEvent.objects.count() == before


def test_completing_with_items_pending_is_a_409(in_review, caseworker):
    response = api_as(caseworker).post(url(in_review, "complete/"))

    assert response.status_code == 409 and response.json()["code"] == "points_items_pending"
    assert Case.objects.get(pk=in_review.pk).status == CaseStatus.SUBMITTED


def test_a_draft_is_not_in_review_a_409(draft, caseworker):
    response = api_as(caseworker).post(
        url(draft, "verify/"), {"key": "social_insurance_years", "decision": "accepted", "reason": "属实"}
    )

    assert response.status_code == 409 and response.json()["code"] == "points_not_in_review"


def test_a_veto_found_true_refuses_the_application_naming_it(in_review, caseworker, holder):
    client = api_as(caseworker)
    accept_all(in_review, caseworker)
    client.post(
        url(in_review, "verify/"),
        {"key": "criminal_record_5y", "decision": "adjusted", "value": True, "reason": "公安记录显示 2023 年判决"},
        format="json",
    )

    body = client.post(url(in_review, "complete/")).json()

    assert body["status"] == CaseStatus.REFUSED and body["eligible"] is False
    assert "近五年内有刑事犯罪记录" in body["decision_reason"]


# --- objections and the ranking position ---------------------------------------------------------------------


@pytest.fixture
def put_up(holder, round_open, caseworker, administrator):  # type: ignore[no-untyped-def]
    """王芳's application verified and the round's ranking put up (公示): the objection window is open."""
    case = verified(holder, round_open, caseworker)
    ranking = publish(round_open, administrator)
    return case, ranking


def test_the_applicant_sees_their_place_in_the_published_ranking(put_up, holder):
    case, ranking = put_up

    body = api_as(holder.user).get(url(case)).json()

    assert body["ranking"] == {
        "ranking": ranking.pk, "edition": 1, "is_final": False, "position": 1, "total": body["total"],
        "tied": False, "within_quota": True, "cutoff": None, "entry_count": 1,
    }  # fmt: skip
    assert body["objection_ends_on"] == (today() + datetime.timedelta(days=7)).isoformat()


def test_an_objection_reopens_review_of_the_items_contested(put_up, holder, caseworker):
    case, _ranking = put_up
    client = api_as(holder.user)

    response = client.post(
        url(case, "objection/"),
        {"item_keys": ["social_insurance_years"], "reason": "我缴了 6 年，附新证明"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == CaseStatus.RESUBMITTED
    items = by_key(body["items"])
    assert (
        items["social_insurance_years"]["status"] == ItemStatus.PENDING and items["social_insurance_years"]["contested"]
    )
    assert items["age"]["contested"] is False
    [objection] = body["objections"]
    assert objection["item_keys"] == ["social_insurance_years"] and objection["resolved_at"] is None

    reviewer = api_as(caseworker)
    reviewer.post(
        url(case, "verify/"),
        {"key": "social_insurance_years", "decision": "adjusted", "value": "6", "reason": "补充证明属实"},
        format="json",
    )
    done = reviewer.post(url(case, "complete/")).json()
    assert done["status"] == CaseStatus.APPROVED and done["objections"][0]["resolved_at"] is not None
    assert "→" in done["objections"][0]["outcome"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"item_keys": [], "reason": "不对"}, "item_keys"), ({"item_keys": ["social_insurance_years"]}, "reason"),
     ({"item_keys": ["shoe_size"], "reason": "不对"}, "item_keys"), ({"reason": "不对"}, "item_keys")],
    ids=["no items", "no reason", "unknown item", "items missing"],
)  # fmt: skip
def test_a_bad_objection_is_a_400_on_its_field_and_saves_nothing(put_up, holder, payload, field):
    case, _ranking = put_up

    response = api_as(holder.user).post(url(case, "objection/"), payload, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not PointsObjection.objects.exists()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_only_the_applicant_objects(put_up, caseworker):
    case, _ranking = put_up

    response = api_as(caseworker).post(url(case, "objection/"), {"item_keys": ["age"], "reason": "不对"}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "not_allowed"
    assert not PointsObjection.objects.exists()


def test_an_objection_outside_the_window_is_a_409(put_up, holder, round_open):
    case, _ranking = put_up
    objection_window_over(round_open)

    response = api_as(holder.user).post(
        url(case, "objection/"), {"item_keys": ["social_insurance_years"], "reason": "晚了"}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "points_objection_closed"
    assert not PointsObjection.objects.exists()


def test_an_objection_before_any_ranking_is_a_409(holder, round_open, caseworker):
    case = verified(holder, round_open, caseworker)

    response = api_as(holder.user).post(
        url(case, "objection/"), {"item_keys": ["age"], "reason": "不对"}, format="json"
    )

    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED


def test_a_withdrawn_application_is_withdrawn_through_the_generic_case_endpoint(draft, holder):
    response = api_as(holder.user).post(f"/api/v1/cases/{draft.pk}/withdraw/", {"reason": "不申请了"})

    assert response.status_code == 200
    assert api_as(holder.user).get(url(draft)).json()["status"] == CaseStatus.WITHDRAWN


# --- the schema -----------------------------------------------------------------------------------------


def test_the_schema_describes_the_points_api(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    for path in (
        RULE_SETS, f"{RULE_SETS}{{id}}/", CALCULATE, PREFILL, ROUNDS, f"{ROUNDS}{{id}}/", APPLICATIONS,
        f"{APPLICATIONS}{{id}}/", f"{APPLICATIONS}{{id}}/items/", f"{APPLICATIONS}{{id}}/verify/",
        f"{APPLICATIONS}{{id}}/complete/", f"{APPLICATIONS}{{id}}/objection/", RANKINGS, f"{RANKINGS}{{id}}/entries/",
    ):  # fmt: skip
        assert path in schema["paths"], path
    assert "/api/v1/cases/" in schema["paths"][APPLICATIONS]["get"]["description"]


def test_the_schema_is_generated_without_warnings(tmp_path):
    # --fail-on-warn turns any warning of drf-spectacular (an unguessable field, a clashing name) into an error.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
