"""The public points pages: the table and the calculator, for anyone, without signing in."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from points import scoring
from points.models import Indicator, RuleSet
from points.selectors import rule_set_current, rule_set_to_scoring

pytestmark = pytest.mark.django_db


def test_the_table_is_public() -> None:
    response = Client().get(reverse("points:table"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("连续居住年限", "社会保险缴纳年限", "文化程度", "年龄", "一票否决指标", "加分指标"):
        assert label in html
    assert "每年 3 分" in html and "本项最高 30 分" in html
    assert "本类合计最高 20 分" in html  # the bonus cap
    assert "连续居住年限长者在前" in html  # the tie-break
    assert 'id="set-by-district"' in html
    assert "满分 150 分" in html


def test_the_catalogue_links_to_the_table() -> None:
    html = Client().get(reverse("home")).content.decode()
    assert reverse("points:table") in html


def test_the_table_query_count_does_not_grow_with_indicators() -> None:
    client = Client()
    with CaptureQueriesContext(connection) as before:
        assert client.get(reverse("points:table")).status_code == 200
    rule_set = RuleSet.objects.get(year=2026, status="published")
    Indicator.objects.bulk_create(
        Indicator(
            rule_set=rule_set,
            key=f"extra_{n}",
            label_zh=f"附加{n}",
            category="bonus",
            source="declared",
            rule={"type": "flat", "points": "1"},
            sort_order=200 + n,
        )
        for n in range(5)
    )
    with CaptureQueriesContext(connection) as after:
        response = client.get(reverse("points:table"))
    assert "附加4" in response.content.decode()
    assert len(after) == len(before)


def test_the_calculator_form_is_public() -> None:
    response = Client().get(reverse("points:calculator"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="residence_years"' in html and 'type="number"' in html
    assert '<select name="education"' in html
    assert 'type="checkbox" name="employment"' in html
    assert 'id="result"' not in html


def test_the_calculator_breakdown_equals_the_score() -> None:
    params = {
        "residence_years": "4",
        "social_insurance_years": "6",
        "education": "bachelor",
        "age": "30",
        "employment": "on",
        "skills_certificate": "level_3",
        "volunteer_hours": "120",
        "investment_or_tax": "",
        "administrative_penalties": "1",
    }
    response = Client().get(reverse("points:calculator"), params)
    assert response.status_code == 200
    expected = scoring.score(
        rule_set_to_scoring(rule_set_current()),
        {
            "residence_years": Decimal(4),
            "social_insurance_years": Decimal(6),
            "education": "bachelor",
            "age": Decimal(30),
            "employment": True,
            "skills_certificate": "level_3",
            "volunteer_hours": Decimal(120),
            "investment_or_tax": False,
            "administrative_penalties": Decimal(1),
            # An unticked box is an answer: "no".
            "criminal_record_5y": False,
            "false_declaration": False,
        },
    )
    result = response.context["result"]
    for got, want in zip(result.breakdown, expected.breakdown, strict=True):
        assert got == want, (got, want)
    assert result == expected
    assert expected.total == 8 + 18 + 35 + 20 + 10 + 8 + 4 - 5
    html = response.content.decode()
    assert f"合计 {scoring.format_points(expected.total)} 分" in html
    for item in expected.breakdown:
        assert f'data-points="{item.points}"' in html
    assert "再多 1 年：+3 分" in html  # social insurance
    assert "再多 1 年：+2 分" in html  # residence
    assert "再多 50 小时：+2 分" in html  # volunteer hours (120 → 170 h: 2 → 3 units)
    assert "再多 1 次：-5 分" in html  # one more penalty


def test_the_calculator_shows_a_veto() -> None:
    response = Client().get(reverse("points:calculator"), {"residence_years": "3", "criminal_record_5y": "on"})
    assert response.status_code == 200
    assert response.context["result"].eligible is False
    assert 'id="vetoed"' in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"residence_years": "abc"},
        {"residence_years": "-1"},
        {"age": "1e9"},
        {"education": "doctorate"},
        {"residence_years": "NaN"},
    ],
)
def test_bad_input_is_a_form_error(params) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("points:calculator"), params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "result" not in response.context
    assert 'class="error"' in response.content.decode()


def test_no_rule_set_published() -> None:
    RuleSet.objects.update(status="retired")
    for name in ("points:table", "points:calculator"):
        response = Client().get(reverse(name), {"age": "30"})
        assert response.status_code == 200
        assert 'id="no-rule-set"' in response.content.decode()


def test_the_table_links_to_the_rounds_for_everyone() -> None:
    html = Client().get(reverse("points:table")).content.decode()
    assert reverse("points:rounds") in html


def test_the_rounds_page_says_when_none_is_published() -> None:
    response = Client().get(reverse("points:rounds"))
    assert response.status_code == 200
    assert 'id="no-rounds"' in response.content.decode()


def test_the_calculators_yes_no_items_are_tick_boxes_with_their_label() -> None:
    html = Client().get(reverse("points:calculator")).content.decode()
    assert re.search(r'<div class="field field-check">\s*<label for="id_employment"><input type="checkbox"', html)
