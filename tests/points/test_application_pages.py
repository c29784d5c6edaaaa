"""The resident's points pages: the pre-filled calculator and applying from it, changing a draft's declarations,
the case page's points panel, objections, 我的积分, and the public rounds and rankings."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from cases import services as cases_services
from cases.choices import CaseStatus
from cases.models import Case
from points import services
from points.choices import ItemStatus
from points.models import PointsApplication, PointsObjection, PointsRanking, PointsRankingEntry, PointsRound
from points.selectors import rule_set_current
from residents.models import Resident
from tests.casework import pdf
from tests.factories import ResidentFactory, UserFactory

from . import scenes

pytestmark = pytest.mark.django_db

SOCIAL_INSURANCE_FIVE = {"social_insurance_years": "5", "administrative_penalties": "0"}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def case_url(case: Case) -> str:
    return reverse("cases:case_detail", args=[case.reference])


def applications_of(resident: Resident) -> int:
    return Case.objects.filter(applicant=resident, case_type="points").count()


@pytest.fixture
def round_(db) -> PointsRound:  # type: ignore[no-untyped-def]
    return scenes.open_round()


@pytest.fixture
def holder(resident: Resident) -> Resident:
    """The owner, registered three years ago, with a valid permit and senior-secondary education."""
    return scenes.permit_holder(resident, years=3, education="senior")


def age_today(resident: Resident) -> int:
    today = timezone.localdate()
    born = resident.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# --- the calculator, pre-filled ----------------------------------------------------------------------------


def test_the_calculator_is_prefilled_from_the_residents_records(holder: Resident) -> None:
    response = client_for(holder.user).get(reverse("points:calculator"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["residence_years"] == "3"
    assert form.initial["age"] == str(age_today(holder))
    assert form.initial["education"] == "senior"
    html = html_of(response)
    assert 'id="prefilled"' in html
    assert "根据您的居住登记和签注记录" in html
    assert re.search(r'name="residence_years" value="3"', html)
    assert re.search(r'<option value="senior" selected>', html)
    assert 'id="result"' not in html  # nothing is scored until the person presses 计算


def test_the_calculator_says_which_items_the_portal_has_no_record_of(resident: Resident) -> None:
    scenes.permit_holder(resident, education="")
    html = html_of(client_for(resident.user).get(reverse("points:calculator")))
    assert 'id="prefilled-unknown"' in html and "文化程度" in html


def test_an_anonymous_visitor_gets_an_empty_calculator() -> None:
    response = Client().get(reverse("points:calculator"))
    assert response.status_code == 200
    assert not response.context["form"].initial
    assert 'id="prefilled"' not in html_of(response)


def test_a_signed_in_user_without_a_profile_gets_an_empty_calculator(other_user: User) -> None:
    response = client_for(other_user).get(reverse("points:calculator"))
    assert response.status_code == 200
    assert not response.context["form"].initial


def calculate(client: Client, **answers: str):  # type: ignore[no-untyped-def]
    params = {"residence_years": "3", "age": "30", "education": "senior", **answers}
    return client.get(reverse("points:calculator"), params)


def test_the_result_offers_to_apply_in_the_open_round(holder: Resident, round_: PointsRound) -> None:
    response = calculate(client_for(holder.user), social_insurance_years="5", employment="on")
    html = html_of(response)
    assert 'id="apply-points"' in html and "用这些信息申请积分" in html
    assert f'name="round" value="{round_.pk}"' in html
    assert '<input type="hidden" name="social_insurance_years" value="5">' in html
    assert '<input type="hidden" name="employment" value="on">' in html
    assert 'id="apply-evidence"' in html and "社会保险缴纳年限" in html


def test_no_offer_to_apply_when_no_round_is_open(holder: Resident) -> None:
    html = html_of(calculate(client_for(holder.user), social_insurance_years="5"))
    assert 'id="result"' in html
    assert 'id="apply"' not in html


def test_an_anonymous_visitor_is_asked_to_sign_in_to_apply(round_: PointsRound) -> None:
    html = html_of(calculate(Client(), social_insurance_years="5"))
    assert 'id="apply-sign-in"' in html
    assert 'id="apply-points"' not in html


def test_a_resident_without_a_permit_is_told_why_before_applying(resident: Resident, round_: PointsRound) -> None:
    html = html_of(calculate(client_for(resident.user), social_insurance_years="5"))
    assert 'id="apply-blocked"' in html and "积分申请需要持有有效的居住证" in html
    assert 'id="apply-points"' not in html


def test_a_resident_who_applied_is_shown_the_application(holder: Resident, round_: PointsRound) -> None:
    case = scenes.start(holder, round_)
    html = html_of(calculate(client_for(holder.user), social_insurance_years="5"))
    assert 'id="apply-active"' in html and case.reference in html
    assert 'id="apply-points"' not in html


# --- applying ----------------------------------------------------------------------------------------------


def apply(client: Client, round_: PointsRound, **answers: str):  # type: ignore[no-untyped-def]
    data = {"round": str(round_.pk), "residence_years": "3", "age": "30", "education": "senior", **answers}
    return client.post(reverse("points:apply"), data)


def test_applying_from_the_calculator_opens_a_draft_and_the_case_page_submits_it(
    holder: Resident, round_: PointsRound
) -> None:
    client = client_for(holder.user)
    response = apply(client, round_, social_insurance_years="5", administrative_penalties="0")
    case = Case.objects.get(applicant=holder, case_type="points")
    assert response.status_code == 302 and response.url == case_url(case)
    assert case.status == CaseStatus.DRAFT
    declared = dict(PointsApplication.objects.get(case=case).items.values_list("key", "declared"))
    assert declared["social_insurance_years"] == "5"
    assert declared["employment"] is False
    assert declared["residence_years"] is None  # computed on submission, never declared

    page = client.get(case_url(case))
    html = html_of(page)
    assert "请在本页上传材料" in html
    assert 'id="points-application"' in html and 'id="edit-declarations"' in html
    assert 'id="file-evidence_social_insurance_years"' in html

    upload = client.post(
        reverse("cases:case_document_upload", args=[case.reference]),
        {"kind": "evidence_social_insurance_years", "file": pdf("社保缴纳证明.pdf")},
    )
    assert upload.status_code == 302
    submitted = client.post(reverse("cases:case_submit", args=[case.reference]))
    assert submitted.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    items = dict(PointsApplication.objects.get(case=case).items.values_list("key", "status"))
    assert items["residence_years"] == ItemStatus.COMPUTED
    assert items["social_insurance_years"] == ItemStatus.PENDING
    assert items["employment"] == ItemStatus.NOT_DECLARED


def test_applying_without_a_permit_is_refused_on_the_page(resident: Resident, round_: PointsRound) -> None:
    response = apply(client_for(resident.user), round_, social_insurance_years="5")
    assert response.status_code == 200
    html = html_of(response)
    assert 'id="apply-error"' in html and "积分申请需要持有有效的居住证" in html
    assert 'id="result"' in html  # the answers and their score stay on the page
    assert applications_of(resident) == 0


def test_applying_in_a_closed_round_is_refused_on_the_page(holder: Resident, round_: PointsRound) -> None:
    scenes.close(round_)
    response = apply(client_for(holder.user), round_, social_insurance_years="5")
    assert response.status_code == 200
    assert "现在不在申报时间内" in html_of(response)
    assert applications_of(holder) == 0


def test_applying_twice_in_a_round_is_refused_on_the_page(holder: Resident, round_: PointsRound) -> None:
    case = scenes.start(holder, round_)
    response = apply(client_for(holder.user), round_, social_insurance_years="6")
    html = html_of(response)
    assert "每期只能申请一次" in html and case.reference in html
    assert applications_of(holder) == 1


@pytest.mark.parametrize(
    "answers",
    [{"social_insurance_years": "abc"}, {"social_insurance_years": "-2"}, {"skills_certificate": "level_9"}],
)
def test_bad_answers_are_form_errors_and_save_nothing(holder: Resident, round_: PointsRound, answers) -> None:  # type: ignore[no-untyped-def]
    response = apply(client_for(holder.user), round_, **answers)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="error"' in html_of(response)
    assert applications_of(holder) == 0


def test_applying_for_an_unknown_round_goes_to_the_rounds(holder: Resident) -> None:
    response = client_for(holder.user).post(reverse("points:apply"), {"round": "999999", "age": "30"})
    assert response.status_code == 302 and response.url == reverse("points:rounds")
    assert applications_of(holder) == 0


def test_applying_needs_a_signed_in_resident_and_a_post(other_user: User, round_: PointsRound) -> None:
    anonymous = Client().post(reverse("points:apply"), {"round": round_.pk})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    no_profile = client_for(other_user).post(reverse("points:apply"), {"round": round_.pk})
    assert no_profile.status_code == 302 and no_profile.url == reverse("residents:profile")
    assert client_for(other_user).get(reverse("points:apply")).status_code == 405


# --- changing a draft's declarations -----------------------------------------------------------------------


def edit_url(case: Case) -> str:
    return reverse("points:application_edit", args=[case.reference])


def test_the_owner_changes_the_declarations_of_a_draft(holder: Resident, round_: PointsRound) -> None:
    case = scenes.start(holder, round_)
    client = client_for(holder.user)
    page = client.get(edit_url(case))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["social_insurance_years"] == "5"
    assert "residence_years" not in form.fields  # computed on submission
    assert "连续居住年限" in html_of(page)  # … and said so

    response = client.post(
        edit_url(case), {"social_insurance_years": "8", "volunteer_hours": "120", "administrative_penalties": "0"}
    )
    assert response.status_code == 302 and response.url == case_url(case)
    declared = dict(PointsApplication.objects.get(case=case).items.values_list("key", "declared"))
    assert declared["social_insurance_years"] == "8" and declared["volunteer_hours"] == "120"
    checklist = html_of(client.get(case_url(case)))
    assert 'id="file-evidence_volunteer_hours"' in checklist


def test_bad_declarations_are_form_errors(holder: Resident, round_: PointsRound) -> None:
    case = scenes.start(holder, round_)
    response = client_for(holder.user).post(edit_url(case), {"social_insurance_years": "many"})
    assert response.status_code == 200 and response.context["form"].errors
    declared = dict(PointsApplication.objects.get(case=case).items.values_list("key", "declared"))
    assert declared["social_insurance_years"] == "5"


def test_declarations_cannot_change_after_submission(holder: Resident, round_: PointsRound) -> None:
    case = scenes.submitted(holder, round_)
    client = client_for(holder.user)
    response = client.post(edit_url(case), {"social_insurance_years": "9"})
    assert response.status_code == 302 and response.url == case_url(case)
    assert "申请已提交，不能再修改申报内容" in html_of(client.get(case_url(case)))
    declared = dict(PointsApplication.objects.get(case=case).items.values_list("key", "declared"))
    assert declared["social_insurance_years"] == "5"
    assert 'id="edit-declarations"' not in html_of(client.get(case_url(case)))


def test_only_the_applicant_may_change_the_declarations(
    holder: Resident, round_: PointsRound, other_resident: Resident, caseworker: User
) -> None:
    case = scenes.start(holder, round_)
    assert Client().get(edit_url(case)).status_code == 302
    assert client_for(other_resident.user).get(edit_url(case)).status_code == 404
    assert client_for(caseworker).get(edit_url(case)).status_code == 404
    assert client_for(caseworker).post(edit_url(case), {"social_insurance_years": "9"}).status_code == 404
    assert client_for(holder.user).get(reverse("points:application_edit", args=["JF000"])).status_code == 404


# --- the case page's panel ----------------------------------------------------------------------------------


def test_the_panel_of_a_draft_shows_the_declarations(holder: Resident, round_: PointsRound) -> None:
    case = scenes.start(holder, round_)
    html = html_of(client_for(holder.user).get(case_url(case)))
    assert round_.name_zh in html
    assert rule_set_current().version in html
    assert re.search(r'id="points-item-social_insurance_years".*?申报：5 年', html, re.S)
    assert "提交时由系统核算" in html
    assert 'id="points-status-social_insurance_years"' not in html  # no decisions in a draft


def test_the_panel_shows_each_decision_and_the_provisional_total_in_review(
    holder: Resident, round_: PointsRound, caseworker: User
) -> None:
    case = scenes.submitted(holder, round_, {**SOCIAL_INSURANCE_FIVE, "volunteer_hours": "100"})
    services.points_item_verify(
        actor=caseworker, case=case, key="social_insurance_years", decision="adjusted", reason="社保记录只有 4 年",
        value="4",
    )  # fmt: skip
    html = html_of(client_for(holder.user).get(case_url(case)))
    assert re.search(r'id="points-status-social_insurance_years"[^>]*>核定调整<', html)
    assert re.search(r'id="points-status-volunteer_hours"[^>]*>待核定<', html)
    assert re.search(r'id="points-status-residence_years"[^>]*>系统核算<', html)
    assert re.search(r'id="points-status-employment"[^>]*>未申报<', html)
    assert "认定：<strong>4 年</strong>" in html
    assert "核定理由：社保记录只有 4 年" in html
    assert re.search(r'id="points-points-social_insurance_years"[^>]*>12 分<', html)
    assert 'id="points-points-volunteer_hours"' not in html  # pending: no points yet
    assert 'id="points-provisional-total"' in html and "待核定" in html
    assert 'id="points-verified-total"' not in html


def test_the_panel_shows_the_verified_total_breakdown_and_place(
    holder: Resident, round_: PointsRound, caseworker: User, administrator: User
) -> None:
    case = scenes.verified(holder, round_, caseworker)
    total = scenes.total_of(case)
    html = html_of(client_for(holder.user).get(case_url(case)))
    assert f"核定完成，总分 {total.normalize():f} 分" in html
    assert re.search(r'id="points-status-social_insurance_years"[^>]*>核定属实<', html)
    assert "核定理由：与社保缴纳记录一致" in html
    assert re.search(r'id="points-points-social_insurance_years"[^>]*>15 分<', html)
    assert "5 年，每年 3 分" in html  # the stored explanation of the line
    assert "全部申请核定完成后公示排名" in html

    scenes.publish(round_, administrator)
    html = html_of(client_for(holder.user).get(case_url(case)))
    assert re.search(r'id="points-place".*?第 1 名', html, re.S)
    assert 'id="points-ranking-link"' in html
    assert 'id="objection-form"' in html


def test_the_case_page_with_its_panel_is_visible_as_cases_are(
    holder: Resident,
    round_: PointsRound,
    other_resident: Resident,
    caseworker: User,
    caseworker_elsewhere: User,
    administrator: User,
) -> None:
    case = scenes.verified(holder, round_, caseworker)
    scenes.publish(round_, administrator)
    url = case_url(case)
    assert Client().get(url).status_code == 302
    assert client_for(other_resident.user).get(url).status_code == 404
    assert client_for(caseworker_elsewhere).get(url).status_code == 404
    seen_by_caseworker = client_for(caseworker).get(url)
    assert seen_by_caseworker.status_code == 200
    html = html_of(seen_by_caseworker)
    assert 'id="points-application"' in html
    assert 'id="objection-form"' not in html  # the applicant's own form
    assert 'id="objection-form"' in html_of(client_for(holder.user).get(url))


def test_a_points_case_without_a_round_has_no_panel(holder: Resident) -> None:
    case = cases_services.case_open(actor=holder.user, case_type="points", applicant=holder)
    response = client_for(holder.user).get(case_url(case))
    assert response.status_code == 200
    assert 'id="points-application"' not in html_of(response)


# --- objections --------------------------------------------------------------------------------------------


def objection_url(case: Case) -> str:
    return reverse("points:objection", args=[case.reference])


@pytest.fixture
def published(holder: Resident, round_: PointsRound, caseworker: User, administrator: User) -> Case:
    """The owner's application verified (social insurance 5 years) and the ranking published: the window is open."""
    case = scenes.verified(holder, round_, caseworker)
    scenes.publish(round_, administrator)
    return case


def test_an_objection_within_the_window_reopens_the_items(published: Case, holder: Resident, caseworker: User) -> None:
    client = client_for(holder.user)
    response = client.post(
        objection_url(published), {"item_keys": ["social_insurance_years"], "reason": "我交了 7 年社保，附新证明。"}
    )
    assert response.status_code == 302 and response.url == case_url(published)
    published.refresh_from_db()
    assert published.status == CaseStatus.RESUBMITTED
    html = html_of(client.get(case_url(published)))
    assert "异议已提交" in html
    assert 'id="objections"' in html and "我交了 7 年社保，附新证明。" in html and "复核中" in html
    assert "异议复核中" in html
    assert 'id="objection-form"' not in html  # one objection at a time

    services.points_item_verify(
        actor=caseworker, case=published, key="social_insurance_years", decision="adjusted", reason="补充材料属实",
        value="7",
    )  # fmt: skip
    services.points_review_complete(actor=caseworker, case=published)
    html = html_of(client.get(case_url(published)))
    assert "已复核" in html and "复核结果：" in html and "→" in html


def test_an_objection_needs_items_and_a_reason(published: Case, holder: Resident) -> None:
    client = client_for(holder.user)
    for data in ({"reason": "不对"}, {"item_keys": ["social_insurance_years"], "reason": "  "}, {"item_keys": ["x"]}):
        response = client.post(objection_url(published), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not PointsObjection.objects.exists()
    published.refresh_from_db()
    assert published.status == CaseStatus.APPROVED


def test_no_objection_before_the_ranking_is_published(holder: Resident, round_: PointsRound, caseworker: User) -> None:
    case = scenes.verified(holder, round_, caseworker)
    client = client_for(holder.user)
    page = client.get(objection_url(case))
    assert page.status_code == 200 and 'id="objection-closed"' in html_of(page)
    assert "排名公示后才能提出异议" in html_of(page)
    response = client.post(objection_url(case), {"item_keys": ["social_insurance_years"], "reason": "不对"})
    assert response.status_code == 200 and "排名公示后才能提出异议" in html_of(response)
    assert not PointsObjection.objects.exists()
    assert 'id="objection-form"' not in html_of(client.get(case_url(case)))


def test_no_objection_after_the_window(published: Case, holder: Resident, round_: PointsRound) -> None:
    scenes.objection_window_over(round_)
    client = client_for(holder.user)
    assert 'id="objection-form"' not in html_of(client.get(case_url(published)))
    page = html_of(client.get(objection_url(published)))
    assert "异议期已于" in page and "结束" in page
    response = client.post(objection_url(published), {"item_keys": ["social_insurance_years"], "reason": "不对"})
    assert "异议期已于" in html_of(response)
    assert not PointsObjection.objects.exists()


def test_only_the_applicant_may_object(
    published: Case, other_resident: Resident, caseworker: User, caseworker_elsewhere: User
) -> None:
    data = {"item_keys": ["social_insurance_years"], "reason": "不对"}
    assert Client().post(objection_url(published), data).status_code == 302
    for user in (other_resident.user, caseworker, caseworker_elsewhere):
        assert client_for(user).post(objection_url(published), data).status_code == 404
    assert not PointsObjection.objects.exists()


# --- 我的积分 -------------------------------------------------------------------------------------------------


def test_my_points_lists_my_applications_with_status_and_total(
    holder: Resident, round_: PointsRound, caseworker: User, other_resident: Resident, administrator: User
) -> None:
    case = scenes.verified(holder, round_, caseworker)
    scenes.publish(round_, administrator)
    second = scenes.open_round(name_zh="下一期积分申报")
    draft = scenes.start(holder, second)
    scenes.permit_holder(other_resident)
    theirs = scenes.start(other_resident, second)

    response = client_for(holder.user).get(reverse("points:mine"))
    assert response.status_code == 200
    html = html_of(response)
    assert case.reference in html and draft.reference in html
    assert theirs.reference not in html
    total = scenes.total_of(case).normalize()
    assert re.search(rf'id="total-{case.pk}".*?{total:f} 分', html, re.S)
    assert re.search(rf'id="status-{case.pk}"[^>]*>已核定<', html)
    assert re.search(rf'id="place-{case.pk}".*?第 1 名', html, re.S)
    assert re.search(rf'id="status-{draft.pk}"[^>]*>草稿<', html)
    assert 'id="current-points"' in html


def test_my_points_needs_signing_in_and_is_empty_for_someone_new(other_user: User) -> None:
    assert Client().get(reverse("points:mine")).status_code == 302
    response = client_for(other_user).get(reverse("points:mine"))
    assert response.status_code == 200 and 'id="no-applications"' in html_of(response)


def test_my_points_makes_the_same_queries_for_one_application_or_many(
    holder: Resident, caseworker: User, administrator: User, django_assert_max_num_queries
) -> None:
    first = scenes.open_round(name_zh="第一期")
    scenes.verified(holder, first, caseworker)
    scenes.publish(first, administrator)
    scenes.start(holder, scenes.open_round(name_zh="第二期"))  # and one in the round open now
    client = client_for(holder.user)
    client.get(reverse("points:mine"))  # session and caches warm
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("points:mine"))
    for n in range(3):
        scenes.start(holder, scenes.open_round(name_zh=f"第{n + 3}期"))
    with django_assert_max_num_queries(len(one)):
        html = html_of(client.get(reverse("points:mine")))
    assert html.count('class="panel" id="application-') == 5


def test_the_points_table_links_to_my_points_and_the_rounds(resident: Resident) -> None:
    html = html_of(client_for(resident.user).get(reverse("points:table")))
    assert reverse("points:mine") in html and reverse("points:rounds") in html
    assert reverse("points:mine") not in html_of(Client().get(reverse("points:table")))


# --- rounds and rankings ----------------------------------------------------------------------------------


def test_the_rounds_are_public_with_their_calendar_and_what_they_unlock(round_: PointsRound) -> None:
    earlier = scenes.open_round(
        name_zh="上一期积分申报", opens_on=timezone.localdate() - datetime.timedelta(days=400),
        closes_on=timezone.localdate() - datetime.timedelta(days=370), unlocks_zh="公共租赁住房轮候加分。",
    )  # fmt: skip
    response = Client().get(reverse("points:rounds"))
    assert response.status_code == 200
    html = html_of(response)
    assert round_.name_zh in html and earlier.name_zh in html
    assert "随迁子女义务教育阶段入学积分排序。" in html and "公共租赁住房轮候加分。" in html
    assert re.search(rf'id="round-stage-{round_.pk}"[^>]*>正在接受申请<', html)
    assert re.search(rf'id="round-stage-{earlier.pk}"[^>]*>申报已截止，正在核定<', html)
    assert re.search(rf"{round_.opens_on:%Y-%m-%d}</span> 至 <span[^>]*>{round_.closes_on:%Y-%m-%d}", html)
    assert "100 名" in html


def test_an_unpublished_ranking_says_so(round_: PointsRound) -> None:
    response = Client().get(reverse("points:ranking", args=[round_.pk]))
    assert response.status_code == 200 and 'id="no-ranking"' in html_of(response)
    assert Client().get(reverse("points:ranking", args=[999999])).status_code == 404


def test_the_published_ranking_is_public_and_masked(
    holder: Resident, other_resident: Resident, round_: PointsRound, caseworker: User, administrator: User
) -> None:
    mine = scenes.verified(holder, round_, caseworker)
    scenes.permit_holder(other_resident)
    theirs = scenes.verified(other_resident, round_, caseworker)
    scenes.publish(round_, administrator)
    response = Client().get(reverse("points:ranking", args=[round_.pk]))
    assert response.status_code == 200
    html = html_of(response)
    assert "王*" in html and "赵*" in html
    assert holder.name not in html and other_resident.name not in html
    assert holder.id_number_masked not in html
    assert mine.reference in html and theirs.reference in html
    assert html.count('class="badge">同分<') == 2  # both declared the same
    assert "连续居住年限长者在前" in html  # the tie-break
    assert 'id="ranking-quota"' in html and "100 名" in html
    assert "上榜人数少于名额，全部入围" in html
    round_.refresh_from_db()
    assert f'id="objection-deadline"><strong>{round_.objection_ends_on:%Y-%m-%d}' in html


def test_the_ranking_search_finds_a_reference(published: Case, round_: PointsRound) -> None:
    url = reverse("points:ranking", args=[round_.pk])
    found = html_of(Client().get(url, {"ref": published.reference.lower()}))
    assert 'id="ranking-found"' in found and "第 <strong>1</strong> 名" in found
    missing = html_of(Client().get(url, {"ref": "JF00000000"}))
    assert 'id="ranking-not-found"' in missing


def ranking_rows(round_: PointsRound, applicant: Resident, count: int, *, quota: int) -> PointsRanking:
    """A published ranking of ``count`` places written straight to the tables (the scene for paging)."""
    now = timezone.now()
    cases = Case.objects.bulk_create(
        Case(case_type="points", applicant=applicant, opened_by=applicant.user, street=applicant.street,
             status=CaseStatus.APPROVED, reference=f"JF{round_.pk:04d}{n:07d}", submitted_at=now)
        for n in range(count)
    )  # fmt: skip
    applications = PointsApplication.objects.bulk_create(
        PointsApplication(case=case, round=round_, rule_set=round_.rule_set, total=Decimal(100), scored_at=now)
        for case in cases
    )
    ranking = PointsRanking.objects.create(
        round=round_, edition=1, rule_set_version=round_.rule_set.version, tie_break_zh="总分相同的，提交早者在前。",
        quota=quota, cutoff=Decimal(400 - quota + 1) / 4, entry_count=count,
    )  # fmt: skip
    PointsRankingEntry.objects.bulk_create(
        PointsRankingEntry(
            ranking=ranking, position=n + 1, application=application, reference=application.case.reference,
            masked_name="张*", total=Decimal(400 - n) / 4, tied=False, within_quota=n < quota,
        )
        for n, application in enumerate(applications)
    )  # fmt: skip
    PointsRound.objects.filter(pk=round_.pk).update(
        ranking_published_on=timezone.localdate(), objection_ends_on=timezone.localdate() + datetime.timedelta(days=7)
    )
    return ranking


def test_the_ranking_pages_by_position(resident: Resident, round_: PointsRound) -> None:
    ranking_rows(round_, resident, 250, quota=120)
    url = reverse("points:ranking", args=[round_.pk])
    first = Client().get(url)
    assert [row.entry.position for row in first.context["rows"]] == list(range(1, 101))
    assert first.context["next_after"] == 100
    second = Client().get(url, {"after": "100"})
    assert [row.entry.position for row in second.context["rows"]] == list(range(101, 201))
    html = html_of(second)
    assert 'id="quota-line"' in html  # after place 120
    assert 'id="ranking-first"' in html
    last = Client().get(url, {"after": "200"})
    assert [row.entry.position for row in last.context["rows"]][-1] == 250
    assert last.context["next_after"] is None
    assert Client().get(url, {"after": "-5"}).context["after"] == 0
    assert Client().get(url, {"after": "99999999999999"}).context["after"] == 0


def test_the_ranking_makes_the_same_queries_for_ten_places_or_a_full_page(
    resident: Resident, round_: PointsRound, django_assert_max_num_queries
) -> None:
    small = scenes.open_round(name_zh="小")
    ranking_rows(small, resident, 10, quota=5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as ten:
        client.get(reverse("points:ranking", args=[small.pk]), {"ref": "JF1"})
    ranking_rows(round_, ResidentFactory(user=UserFactory()), 150, quota=100)
    with django_assert_max_num_queries(len(ten)):
        response = client.get(reverse("points:ranking", args=[round_.pk]), {"ref": "JF1"})
    assert len(response.context["rows"]) == 100


# --- the calculator and the application agree --------------------------------------------------------------

DECLARED_FACTS = st.fixed_dictionaries(
    {
        "social_insurance_years": st.integers(min_value=0, max_value=14),
        "employment": st.booleans(),
        "skills_certificate": st.sampled_from(["", "level_5", "level_3", "level_1"]),
        "volunteer_hours": st.integers(min_value=0, max_value=400),
        "investment_or_tax": st.booleans(),
        "administrative_penalties": st.integers(min_value=0, max_value=3),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=DECLARED_FACTS)
def test_the_calculator_and_an_application_give_the_same_total(
    answers: dict[str, object], round_: PointsRound, caseworker: User, tashan_community
) -> None:  # type: ignore[no-untyped-def]
    applicant = scenes.permit_holder(
        ResidentFactory(user=UserFactory(), community=tashan_community), years=2, education="associate"
    )
    client = client_for(applicant.user)
    prefilled = client.get(reverse("points:calculator")).context["form"].initial
    params = {key: value for key, value in prefilled.items() if value not in (None, False)}
    for key, value in answers.items():
        if value is True:
            params[key] = "on"
        elif value not in (False, ""):
            params[key] = str(value)
    calculated = client.get(reverse("points:calculator"), params).context["result"].total

    response = client.post(reverse("points:apply"), {"round": round_.pk, **params})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    case = Case.objects.get(applicant=applicant, case_type="points")
    scenes.upload_evidence(case)
    cases_services.case_submit(actor=applicant.user, case=case)
    scenes.accept_all(case, caseworker)
    services.points_review_complete(actor=caseworker, case=case)
    assert scenes.total_of(case) == calculated
