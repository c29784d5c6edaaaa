"""The parent's enrolment pages: /education/ (the rounds with their timeline, the schools with seats and catchment,
the rule in plain words, the cut-offs once published, the parent's children and whether each may apply), applying
for a child with the schools ranked, changing the schools, confirming or declining the seat offered on the case
page; who may see what (out of scope is 404); refusals shown on the form with nothing saved; the links that lead
here (我的, the reminders)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case
from education import reminders, services
from education.choices import ResultStatus, RoundStatus
from education.models import EnrolmentApplication, EnrolmentPreference, EnrolmentResult, EnrolmentRound
from notifications.models import Notification
from residents.models import Resident

from ..factories import ResidentFactory, guardian_link
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

HOME = "/education/"
APPLY = "/education/apply/"
DAY = datetime.timedelta(days=1)
DURING_CONFIRMATION = ALLOCATION_DAY + DAY


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's words without tags, to read sentences that a tag may split."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(response)))


def case_url(case: Case) -> str:
    return f"/me/cases/{case.reference}/"


def preferences_url(case: Case) -> str:
    return f"/education/applications/{case.reference}/preferences/"


def enrolment_cases() -> int:
    return Case.objects.filter(case_type="school_enrolment").count()


def ranked(case: Case) -> list[str]:
    return list(
        EnrolmentPreference.objects.filter(application_id=case.pk)
        .order_by("rank")
        .values_list("school__name", flat=True)
    )


def apply_form(child: Resident, of: EnrolmentRound, *schools) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {"round": str(of.pk), "child": str(child.pk)}
    for rank, each in enumerate(schools, 1):
        data[f"school_{rank}"] = str(each.pk) if each is not None else ""
    return data


@pytest.fixture
def allocated(open_round, wang, zhao, tashan_school, chengnan_school, administrator, verified_points):  # type: ignore[no-untyped-def]
    """王芳 (90 points) and 赵强 (80) both rank 塔山 then 城南; the round is allocated: both get 塔山 (2 seats)."""
    points(verified_points, wang[0], 90)
    points(verified_points, zhao[0], 80)
    mine = approved(*wang, open_round, administrator, schools=[tashan_school, chengnan_school])
    theirs = approved(*zhao, open_round, administrator, schools=[tashan_school, chengnan_school])
    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=open_round)
    return mine, theirs


# --- /education/ --------------------------------------------------------------------------------------------


def test_anyone_reads_the_round_its_timeline_its_schools_and_the_rule(open_round, tashan_community):
    response = client_for(None).get(HOME)

    html, text = html_of(response), text_of(response)
    assert "2027 年小学一年级随迁子女入学" in html
    assert f'id="round-status-{open_round.pk}">正在报名' in html
    assert "2027-05-23 报名截止" in text
    # The timeline: applications under way, the allocation still to come.
    assert re.search(rf'class="phase-now" id="phase-{open_round.pk}-applications"', html)
    assert re.search(rf'class="phase-later" id="phase-{open_round.pk}-allocation"', html)
    # Each school with its seats and catchment.
    tashan = re.search(rf'id="school-{open_round.pk}-\d+">(.*?)</li>', html, re.S).group(1)
    assert "塔山小学" in tashan and "2 个学位" in tashan and tashan_community.name in tashan
    assert "按分数从高到低依次录取，每人录取到能录取的最靠前的志愿；如实填报志愿对您最有利。" in html
    assert "最多填报 5 所学校" in text
    assert "预防接种证" in html
    assert 'id="sign-in-to-apply"' in html
    assert "已录满" not in html  # no cut-offs before they are published


def test_a_parent_sees_their_children_and_may_apply_for_the_one_of_age(open_round, wang, tashan_community):
    guardian, child = wang
    toddler = ResidentFactory(
        user=None, name="王小弟", birth_date=datetime.date(2023, 5, 1), community=tashan_community
    )
    guardian_link(guardian, toddler)

    html = html_of(client_for(guardian.user).get(HOME))

    assert f'href="{APPLY}?round={open_round.pk}&amp;child={child.pk}"' in html
    assert f'id="apply-{open_round.pk}-{toddler.pk}"' not in html
    assert "还不到入学年龄" in html.split(f'id="why-not-{open_round.pk}-{toddler.pk}"')[1].split("</p>")[0]


def test_a_parent_without_a_valid_permit_is_told_why_before_applying(open_round, tashan_community):
    guardian, child = family("无证家长", tashan_community, permit="none")

    html = html_of(client_for(guardian.user).get(HOME))

    assert f'id="apply-{open_round.pk}-{child.pk}"' not in html
    assert "需要持有有效的居住证" in html


def test_a_child_who_applied_is_shown_with_the_application(open_round, wang):
    case = start(*wang, open_round)

    html = html_of(client_for(wang[0].user).get(HOME))

    assert f'href="{case_url(case)}"' in html
    assert f'id="apply-{open_round.pk}-{wang[1].pk}"' not in html


def test_the_parents_schools_are_marked_with_how_near_they_live(open_round, wang, tashan_school, fushan_school):
    html = html_of(client_for(wang[0].user).get(HOME))

    assert "您家：学区内" in html.split(f'id="tier-{open_round.pk}-{tashan_school.pk}"')[1][:40]
    assert f'id="tier-{open_round.pk}-{fushan_school.pk}">您家：其他区域' in html


def test_a_signed_in_user_without_a_profile_or_children_is_told_what_to_do_first(open_round, other_user, resident):
    assert 'id="no-profile"' in html_of(client_for(other_user).get(HOME))
    assert 'id="no-children"' in html_of(client_for(resident.user).get(HOME))


def test_before_any_round_opens_the_schools_and_the_rule_are_shown(tashan_school):
    EnrolmentRound.objects.update(status=RoundStatus.DRAFT)  # the migration's rounds are drafts

    html = html_of(client_for(None).get(HOME))

    assert 'id="no-rounds"' in html
    assert 'id="schools-all"' in html and "塔山小学" in html
    assert 'id="rule"' in html


def test_the_cut_offs_and_the_seed_are_shown_once_published(allocated, open_round, administrator, tashan_school):
    with on(DURING_CONFIRMATION):
        assert "已录满" not in html_of(client_for(None).get(HOME))
        services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
        html = html_of(client_for(None).get(HOME))

    open_round.refresh_from_db()
    assert "已录满 · 最后录取：学区内，80 分" in html.split(f'id="cutoff-{open_round.pk}-{tashan_school.pk}"')[1][:60]
    assert open_round.seed in html


def test_the_page_costs_the_same_queries_for_three_schools_as_for_eight(open_round, wang, tashan_community):
    user = wang[0].user

    def queries() -> int:
        client = client_for(User.objects.get(pk=user.pk))
        with CaptureQueriesContext(connection) as captured:
            html_of(client.get(HOME))
        return len(captured)

    few = queries()
    for n in range(5):
        extra = school(f"新校{n}", "塔山街道", catchment=(tashan_community,))
        open_round.school_seats.create(school=extra, seats=3)
        family(f"家长{n}", tashan_community)  # other families' children are not this parent's
    assert queries() == few


# --- applying ------------------------------------------------------------------------------------------------


def test_a_parent_applies_for_their_child_with_the_schools_ranked(open_round, wang, tashan_school, chengnan_school):
    guardian, child = wang
    client = client_for(guardian.user)

    form = html_of(client.get(APPLY, {"round": open_round.pk, "child": child.pk}))
    assert f'value="{child.pk}"' in form and "checked" in form.split(f'value="{child.pk}"')[1][:40]
    assert "第 5 志愿" in form and "第 6 志愿" not in form
    assert "塔山小学 · 学区内" in form

    response = client.post(APPLY, apply_form(child, open_round, tashan_school, None, chengnan_school))

    case = Case.objects.get(case_type="school_enrolment", applicant=child)
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert case.status == CaseStatus.DRAFT
    assert ranked(case) == ["塔山小学", "城南小学"]  # an empty choice closes up
    page = html_of(client.get(case_url(case)))
    assert "还没有提交" in page
    assert f'href="{preferences_url(case)}"' in page


def test_a_school_ranked_twice_is_refused_on_the_form_and_nothing_is_saved(open_round, wang, tashan_school):
    guardian, child = wang

    response = client_for(guardian.user).post(APPLY, apply_form(child, open_round, tashan_school, tashan_school))

    html = html_of(response)
    assert 'id="form-errors"' in html and "同一所学校只能填一次：塔山小学" in html
    assert enrolment_cases() == 0 and not EnrolmentApplication.objects.exists()


def test_a_parent_cannot_apply_for_someone_elses_child(open_round, wang, zhao, tashan_school):
    response = client_for(wang[0].user).post(APPLY, apply_form(zhao[1], open_round, tashan_school))

    assert "请从您的子女中选择" in html_of(response)
    assert enrolment_cases() == 0


def test_a_child_not_of_age_is_refused_with_the_reason(open_round, tashan_community):
    guardian, child = family("年轻家长", tashan_community, born=datetime.date(2022, 1, 1))

    response = client_for(guardian.user).post(APPLY, apply_form(child, open_round))

    assert "还不到入学年龄" in html_of(response)
    assert enrolment_cases() == 0


def test_applying_twice_for_a_child_is_refused_and_names_the_first_application(open_round, wang):
    first = start(*wang, open_round)

    response = client_for(wang[0].user).post(APPLY, apply_form(wang[1], open_round))

    assert first.reference in html_of(response)
    assert enrolment_cases() == 1


def test_after_applications_close_the_page_says_so_and_a_late_form_is_refused(open_round, wang):
    with on(APPLICATIONS_CLOSE + DAY):
        client = client_for(wang[0].user)
        assert 'id="no-round"' in html_of(client.get(APPLY))
        assert 'id="round-closed"' in html_of(client.get(APPLY, {"round": open_round.pk}))
        refused = html_of(client.post(APPLY, apply_form(wang[1], open_round)))

    assert "报名已于 2027-05-23 截止" in refused
    assert enrolment_cases() == 0


def test_applying_needs_a_signed_in_parent_with_a_profile(open_round, other_user):
    anonymous = client_for(None).get(APPLY)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    no_profile = client_for(other_user).get(APPLY)
    assert no_profile.status_code == 302 and no_profile["Location"] == "/me/profile/"


def test_an_unknown_round_in_the_link_falls_back_to_the_round_taking_applications(open_round, wang):
    draft = enrolment_round(year=2028, status=RoundStatus.DRAFT)

    html = html_of(client_for(wang[0].user).get(APPLY, {"round": draft.pk}))

    assert f'name="round" value="{open_round.pk}"' in html


# --- changing the schools -----------------------------------------------------------------------------------


def test_the_parent_changes_the_schools_until_preferences_close(open_round, wang, tashan_school, chengnan_school):
    case = start(*wang, open_round)
    client = client_for(wang[0].user)

    response = client.post(preferences_url(case), {"school_1": chengnan_school.pk, "school_2": tashan_school.pk})

    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert ranked(case) == ["城南小学", "塔山小学"]
    form = html_of(client.get(preferences_url(case)))
    assert "selected" in form.split('name="school_1"')[1].split(f'value="{chengnan_school.pk}"')[1][:20]


def test_after_preferences_close_the_schools_stay_as_they_were(open_round, wang, tashan_school, chengnan_school):
    case = start(*wang, open_round)
    services.enrolment_preferences_set(actor=wang[0].user, application=case, schools=[tashan_school])

    with on(PREFERENCES_CLOSE + DAY):
        client = client_for(wang[0].user)
        assert 'id="preferences-closed"' in html_of(client.get(preferences_url(case)))
        refused = html_of(client.post(preferences_url(case), {"school_1": chengnan_school.pk}))

    assert "志愿填报已于 2027-06-20 截止" in refused
    assert ranked(case) == ["塔山小学"]


def test_too_many_schools_are_refused_on_the_form(open_round, wang, tashan_school, fushan_school, chengnan_school):
    open_round.max_preferences = 2
    open_round.save()
    case = start(*wang, open_round)

    response = client_for(wang[0].user).post(
        preferences_url(case),
        {"school_1": tashan_school.pk, "school_2": fushan_school.pk, "school_3": chengnan_school.pk},
    )

    # The form has two selects only: the third is ignored, so two schools are saved.
    assert response.status_code == 302
    assert ranked(case) == ["塔山小学", "府山小学"]


def test_a_school_outside_the_list_is_a_form_error(open_round, wang):
    case = start(*wang, open_round)
    elsewhere = school("外区小学", "府山街道")

    html = html_of(client_for(wang[0].user).post(preferences_url(case), {"school_1": elsewhere.pk}))

    assert 'class="field pref-select field-error"' in html
    assert ranked(case) == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("anonymous", 302), ("other_parent", 404), ("caseworker", 200), ("caseworker_elsewhere", 404),
     ("administrator", 200)],
)  # fmt: skip
def test_the_preferences_page_is_seen_as_the_application_is(name, status, request, open_round, wang, zhao):
    case = start(*wang, open_round)
    users = {"anonymous": None, "other_parent": zhao[0].user}
    user = users[name] if name in users else request.getfixturevalue(name)

    assert client_for(user).get(preferences_url(case)).status_code == status


def test_another_parent_cannot_change_my_childs_schools(open_round, wang, zhao, tashan_school):
    case = start(*wang, open_round)

    response = client_for(zhao[0].user).post(preferences_url(case), {"school_1": tashan_school.pk})

    assert response.status_code == 404
    assert ranked(case) == []


# --- the result on the case page: confirm or decline -------------------------------------------------------


def test_the_case_page_shows_the_result_its_reason_and_the_buttons_within_the_window(allocated):
    mine, _theirs = allocated

    with on(DURING_CONFIRMATION):
        html = html_of(client_for(mine.guardian.user).get(case_url(mine.case)))

    assert "录取到您的第一志愿 塔山小学" in html
    assert 'id="confirm-offer"' in html and 'id="decline-offer"' in html
    assert "放弃后该学位将进入补录" in html
    assert 'id="change-preferences"' not in html  # the schools are fixed once allocated


def test_the_parent_confirms_the_seat_and_cannot_confirm_twice(allocated):
    mine, _theirs = allocated
    confirm = f"/education/applications/{mine.case.reference}/confirm/"

    with on(DURING_CONFIRMATION):
        client = client_for(mine.guardian.user)
        response = client.post(confirm, follow=True)
        again = client.post(confirm, follow=True)

    assert "已确认入学：塔山小学" in html_of(response)
    assert 'id="confirm-offer"' not in html_of(response)
    assert "已经确认入学，不用重复确认" in html_of(again)
    assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.CONFIRMED


def test_the_parent_declines_the_seat_with_a_reason(allocated):
    mine, _theirs = allocated

    with on(DURING_CONFIRMATION):
        response = client_for(mine.guardian.user).post(
            f"/education/applications/{mine.case.reference}/decline/", {"reason": "已回老家上学"}, follow=True
        )

    assert "该学位将进入补录" in html_of(response)
    result = EnrolmentResult.objects.get(pk=mine.pk)
    assert result.status == ResultStatus.DECLINED
    assert Notification.objects.filter(template="education.offer_declined", recipient=mine.guardian.user).exists()


def test_a_decline_reason_too_long_declines_nothing(allocated):
    mine, _theirs = allocated

    with on(DURING_CONFIRMATION):
        response = client_for(mine.guardian.user).post(
            f"/education/applications/{mine.case.reference}/decline/", {"reason": "很" * 201}, follow=True
        )

    assert "最多 200 个字" in html_of(response)
    assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.OFFERED


def test_after_the_window_there_is_nothing_to_confirm(allocated):
    mine, _theirs = allocated

    with on(CONFIRMATION_END + DAY):
        client = client_for(mine.guardian.user)
        page = html_of(client.get(case_url(mine.case)))
        response = client.post(f"/education/applications/{mine.case.reference}/confirm/", follow=True)

    assert 'id="confirm-offer"' not in page and "确认入学已经截止" in page
    assert "确认入学已于 2027-07-07 截止" in html_of(response)
    assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.OFFERED


def test_another_parent_cannot_answer_for_my_child(allocated):
    mine, theirs = allocated

    with on(DURING_CONFIRMATION):
        client = client_for(theirs.guardian.user)
        assert client.post(f"/education/applications/{mine.case.reference}/confirm/").status_code == 404
        assert client.post(f"/education/applications/{mine.case.reference}/decline/").status_code == 404

    assert EnrolmentResult.objects.get(pk=mine.pk).status == ResultStatus.OFFERED


def test_answering_is_a_post(allocated):
    mine, _theirs = allocated

    assert (
        client_for(mine.guardian.user).get(f"/education/applications/{mine.case.reference}/confirm/").status_code == 405
    )


# --- the ways in -----------------------------------------------------------------------------------------------


def test_the_mine_page_leads_to_school_enrolment(resident):
    html = html_of(client_for(resident.user).get("/me/"))

    assert 'id="my-enrolment-link"' in html and f'href="{HOME}"' in html


def test_the_apply_reminder_leads_to_the_apply_page_with_the_child_chosen(open_round, wang):
    with on(APPLICATIONS_CLOSE - datetime.timedelta(days=7)):
        due = reminders.enrolment_apply_due(APPLICATIONS_CLOSE - datetime.timedelta(days=7))

    assert [reminder.link for reminder in due] == [f"{APPLY}?round={open_round.pk}&child={wang[1].pk}"]
    assert reminders.apply_link(round_id=open_round.pk, child_id=wang[1].pk) == due[0].link


def test_the_further_round_notice_leads_to_its_apply_page(allocated, open_round, administrator, zhao, wang):
    mine, _theirs = allocated
    with on(DURING_CONFIRMATION):
        services.enrolment_offer_decline(actor=mine.guardian.user, application=mine)
        services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
        further = services.enrolment_further_round_open(actor=administrator, previous=open_round)

    notice = Notification.objects.get(template="education.further_round_open", recipient=mine.guardian.user)
    assert notice.link == f"{APPLY}?round={further.pk}&child={mine.child_id}"


def test_in_the_further_round_the_declined_family_applies_again_without_new_documents(
    allocated, open_round, administrator, chengnan_school
):  # type: ignore[no-untyped-def]
    mine, _theirs = allocated
    with on(DURING_CONFIRMATION):
        services.enrolment_offer_decline(actor=mine.guardian.user, application=mine)
        services.enrolment_results_publish(actor=administrator, enrolment_round=open_round)
        further = services.enrolment_further_round_open(actor=administrator, previous=open_round)
        response = client_for(mine.guardian.user).post(APPLY, apply_form(mine.child, further, chengnan_school))

    case = Case.objects.get(enrolment_application__round=further)
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert case.status == CaseStatus.APPROVED and ranked(case) == ["城南小学"]
