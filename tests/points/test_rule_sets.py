"""Rule sets as rows: the default from the data migration, publishing, versioning, the admin's read-only view."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kernel.errors import DomainError
from points import scoring
from points.choices import RuleSetStatus
from points.models import Indicator, RuleSet
from points.rulejson import rule_from_json, rule_to_json
from points.selectors import rule_set_current, rule_set_to_scoring
from points.services import rule_set_ensure_editable, rule_set_publish, rule_set_succeed

FACTS = [
    {},
    {"residence_years": 4, "social_insurance_years": Decimal("6.5"), "education": "bachelor", "age": 30},
    {
        "residence_years": 30,
        "social_insurance_years": 20,
        "employment": True,
        "skills_certificate": ["level_3", "level_1"],
        "volunteer_hours": 400,
        "investment_or_tax": True,
        "administrative_penalties": 2,
        "age": 50,
    },
    {"administrative_penalties": 9, "criminal_record_5y": True},
]


@pytest.fixture
def default_row(db) -> RuleSet:
    return RuleSet.objects.get(year=2026, version="2026.1")


def test_every_rule_round_trips_through_json() -> None:
    for indicator in scoring.default_rule_set(2026).indicators:
        assert rule_from_json(rule_to_json(indicator.rule)) == indicator.rule


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"type": "stairs"},
        {"type": "per_unit"},
        {"type": "flat", "points": "-1"},
        {"type": "tiers", "levels": []},
        {"type": "per_unit", "points": "x"},
    ],
)
def test_bad_rule_json_is_a_value_error(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        rule_from_json(bad)


def test_the_migration_publishes_the_default(default_row: RuleSet) -> None:
    assert default_row.status == RuleSetStatus.PUBLISHED
    assert default_row.published_at is not None
    assert rule_set_current(2026) == default_row
    assert rule_set_current(2031) == default_row  # no set for that year: the latest published
    built = rule_set_to_scoring(default_row)
    default = scoring.default_rule_set(2026)
    assert [i.key for i in built.indicators] == [i.key for i in default.indicators]
    assert built.indicators == default.indicators
    assert built.max_total == default.max_total == Decimal(150)
    for facts in FACTS:
        assert scoring.score(built, facts) == scoring.score(default, facts)


def test_the_migration_keeps_the_tie_break(default_row: RuleSet) -> None:
    import datetime

    built, default = rule_set_to_scoring(default_row), scoring.default_rule_set(2026)
    when = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    entries = [
        scoring.Entry("A", {"residence_years": 2, "social_insurance_years": 2}, when),
        scoring.Entry("B", {"residence_years": 5}, when + datetime.timedelta(days=1)),
        scoring.Entry("C", {"residence_years": 2, "social_insurance_years": 2}, when - datetime.timedelta(days=1)),
    ]
    order = [r.entry.ref for r in scoring.rank(entries, built)]
    assert order == [r.entry.ref for r in scoring.rank(entries, default)] == ["B", "C", "A"]


def test_a_published_set_cannot_be_changed(default_row: RuleSet, administrator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        rule_set_ensure_editable(default_row)
    assert caught.value.code == "rule_set_not_editable"
    with pytest.raises(DomainError) as caught:
        rule_set_publish(actor=administrator, rule_set=default_row)
    assert caught.value.code == "rule_set_not_draft"


def test_succeed_copies_into_a_draft(default_row: RuleSet, administrator) -> None:  # type: ignore[no-untyped-def]
    draft = rule_set_succeed(actor=administrator, rule_set=default_row)
    assert (draft.year, draft.version, draft.status, draft.supersedes) == (2026, "2026.2", "draft", default_row)
    assert draft.tie_break_zh == default_row.tie_break_zh and draft.category_caps == default_row.category_caps
    assert rule_set_to_scoring(draft).indicators == rule_set_to_scoring(default_row).indicators
    rule_set_ensure_editable(draft)  # a draft may be edited
    assert rule_set_succeed(actor=administrator, rule_set=default_row).version == "2026.3"
    with pytest.raises(DomainError):
        rule_set_succeed(actor=administrator, rule_set=draft)


def test_publish_retires_the_previous(default_row: RuleSet, administrator) -> None:  # type: ignore[no-untyped-def]
    draft = rule_set_succeed(actor=administrator, rule_set=default_row)
    Indicator.objects.filter(rule_set=draft, key="residence_years").update(
        rule={"type": "per_unit", "points": "3", "cap": "30"}
    )
    rule_set_publish(actor=administrator, rule_set=draft)
    default_row.refresh_from_db()
    draft.refresh_from_db()
    assert default_row.status == RuleSetStatus.RETIRED
    assert draft.status == RuleSetStatus.PUBLISHED and draft.published_at
    assert rule_set_current(2026) == draft
    assert scoring.score(rule_set_to_scoring(draft), {"residence_years": 2}).total == 6
    # The old version still scores as it did: scores keep the version they were made under.
    assert scoring.score(rule_set_to_scoring(default_row), {"residence_years": 2}).total == 4


def test_publishing_an_invalid_set_is_a_domain_error(default_row: RuleSet, administrator) -> None:  # type: ignore[no-untyped-def]
    draft = rule_set_succeed(actor=administrator, rule_set=default_row)
    Indicator.objects.filter(rule_set=draft, key="age").update(
        rule={"type": "bands", "bands": [{"lower": "30", "upper": "20", "points": "5"}]}
    )
    with pytest.raises(DomainError) as caught:
        rule_set_publish(actor=administrator, rule_set=draft)
    assert caught.value.code == "rule_set_invalid"
    draft.refresh_from_db()
    default_row.refresh_from_db()
    assert draft.status == RuleSetStatus.DRAFT and default_row.status == RuleSetStatus.PUBLISHED


def test_admin_shows_a_published_set_read_only(default_row: RuleSet, administrator) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(administrator)
    url = reverse("admin:points_ruleset_change", args=[default_row.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="tie_break_zh"' not in page.content  # no inputs: view only
    response = client.post(url, {"year": 2026, "version": "2026.1", "tie_break_zh": "改了"})
    assert response.status_code == 403
    default_row.refresh_from_db()
    assert default_row.tie_break_zh != "改了"


def test_admin_actions_publish_and_succeed(default_row: RuleSet, administrator) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(administrator)
    changelist = reverse("admin:points_ruleset_changelist")
    client.post(changelist, {"action": "succeed", "_selected_action": [default_row.pk]})
    draft = RuleSet.objects.get(version="2026.2")
    assert draft.status == RuleSetStatus.DRAFT
    page = client.get(reverse("admin:points_ruleset_change", args=[draft.pk]))
    assert b'name="tie_break_zh"' in page.content  # a draft is editable
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    default_row.refresh_from_db()
    assert (draft.status, default_row.status) == (RuleSetStatus.PUBLISHED, RuleSetStatus.RETIRED)


def test_caseworkers_only_read_rule_sets(default_row: RuleSet, caseworker) -> None:  # type: ignore[no-untyped-def]
    assert caseworker.has_perm("points.view_ruleset")
    assert not caseworker.has_perm("points.change_ruleset")
    assert not caseworker.has_perm("points.add_ruleset")
