"""The points console: the review queue and page of caseworkers (each item accepted, adjusted or rejected with a
reason, then 完成核定), and the administrators' rounds with the button that publishes a ranking.

Every decision goes through the services; these tests drive the console as a caseworker's browser would and
check what was saved (or that nothing was)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.choices import CaseStatus
from cases.models import Case
from points.casetype import evidence_key
from points.choices import ItemStatus, PointsEvent, RuleSetStatus
from points.models import PointsApplication, PointsItem, PointsRanking, PointsRound, RuleSet
from points.services import points_objection_file, rule_set_succeed
from residents.models import AuditEvent, Resident
from residents.pii import id_number_decrypt
from tests.factories import ResidentFactory, UserFactory, caseworker_for, street

from .scenes import accept_all, close, open_round, permit_holder, publish, submitted, today, verified

pytestmark = pytest.mark.django_db

QUEUE = "/admin/points/pointsapplication/"
ROUNDS = "/admin/points/pointsround/"


# --- the cast and its helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def two_factor_off(settings):  # type: ignore[no-untyped-def]
    """The console's two-factor enrolment has its own tests (tests/residents/test_admin_residents.py)."""
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def round_() -> PointsRound:
    return open_round()


@pytest.fixture
def applicant(resident: Resident) -> Resident:
    return permit_holder(resident)


@pytest.fixture
def case(applicant: Resident, round_: PointsRound) -> Case:
    """王芳's application, submitted: social insurance, penalties and the criminal-record answer wait for review."""
    return submitted(applicant, round_)


@pytest.fixture
def fushan_case(fushan_community, round_: PointsRound) -> Case:  # type: ignore[no-untyped-def]
    """An application from 府山街道, which the caseworker of 塔山街道 does not cover."""
    user = UserFactory(username="fushan_applicant")
    return submitted(permit_holder(ResidentFactory(user=user, name="陈静", community=fushan_community)), round_)


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def console(caseworker) -> Client:  # type: ignore[no-untyped-def]
    return signed_in(caseworker)


def review_url(case: Case) -> str:
    return reverse("admin:points_pointsapplication_review", args=[case.pk])


def verify_url(case: Case, key: str) -> str:
    return reverse("admin:points_pointsapplication_verify", args=[case.pk, key])


def complete_url(case: Case) -> str:
    return reverse("admin:points_pointsapplication_complete", args=[case.pk])


def listed(client: Client, **params: str) -> list[Case]:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return [application.case for application in response.context["cl"].result_list]


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def item(case: Case, key: str) -> PointsItem:
    return PointsItem.objects.get(application__case=case, key=key)


def decisions_recorded(case: Case) -> int:
    return AuditEvent.objects.filter(event_type=PointsEvent.POINTS_ITEM_VERIFIED, object_id=str(case.pk)).count()


# --- the queue: who sees what --------------------------------------------------------------------------------


def test_the_queue_lists_the_applications_of_the_caseworkers_streets(console, case, fushan_case):
    response = console.get(QUEUE)

    assert response.status_code == 200
    assert [a.case for a in response.context["cl"].result_list] == [case]
    page = response.content.decode()
    assert "积分核定" in page
    assert case.reference in page and review_url(case) in page
    assert fushan_case.reference not in page


def test_the_queue_shows_masked_id_numbers_only(console, case, applicant):
    page = console.get(QUEUE).content.decode()

    assert applicant.id_number_masked in page
    assert id_number_decrypt(applicant.id_number_ciphertext) not in page


def test_a_caseworker_of_another_street_sees_nothing_and_gets_404(caseworker_elsewhere, case):
    client = signed_in(caseworker_elsewhere)

    assert listed(client) == []
    assert client.get(review_url(case)).status_code == 404
    answer = client.post(verify_url(case, "social_insurance_years"), {"decision": "accepted", "reason": "看过了"})
    assert answer.status_code == 404
    assert client.post(complete_url(case)).status_code == 404
    assert item(case, "social_insurance_years").status == ItemStatus.PENDING


def test_an_administrator_sees_every_street(administrator, case, fushan_case):
    client = signed_in(administrator)

    assert set(listed(client)) == {case, fushan_case}
    assert client.get(review_url(fushan_case)).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_residents_and_strangers_have_no_console(client, who, resident_user, case):  # type: ignore[no-untyped-def]
    if who == "resident":
        client.force_login(resident_user)  # the applicant themself

    for url in (QUEUE, review_url(case)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(verify_url(case, "social_insurance_years"), {"decision": "accepted", "reason": "自己说的"})
    assert response.status_code == 302
    assert item(case, "social_insurance_years").status == ItemStatus.PENDING


def test_a_health_worker_has_no_points_console(health_worker, case):  # type: ignore[no-untyped-def]
    client = signed_in(health_worker)

    assert client.get(QUEUE).status_code == 403
    assert client.get(review_url(case)).status_code == 403


def test_the_admins_own_change_link_leads_to_the_review_page(console, case, caseworker_elsewhere):
    application = PointsApplication.objects.get(case=case)
    url = reverse("admin:points_pointsapplication_change", args=[application.pk])

    response = console.get(url)

    assert response.status_code == 302 and response["Location"] == review_url(case)
    assert signed_in(caseworker_elsewhere).get(url).status_code == 404


# --- the queue: filters, search, cost -------------------------------------------------------------------------


def test_the_queue_shows_what_awaits_review_unless_asked(console, caseworker, case, other_resident, round_):
    done = verified(permit_holder(other_resident), round_, caseworker)

    assert listed(console) == [case]
    assert listed(console, status="approved") == [done]
    assert set(listed(console, status="all")) == {case, done}
    assert listed(console, q=done.reference) == [done]  # a search looks through every status


def test_the_round_filter(console, applicant, other_resident, round_):
    earlier = open_round(name_zh="上一期", opens_on=today() - datetime.timedelta(days=60))
    mine = submitted(applicant, round_)
    theirs = submitted(permit_holder(other_resident), earlier)

    assert listed(console, round__id__exact=str(round_.pk)) == [mine]
    assert listed(console, round__id__exact=str(earlier.pk)) == [theirs]


def test_the_pending_items_filter(console, caseworker, case, other_resident, round_):
    ready = submitted(permit_holder(other_resident), round_)
    accept_all(ready, caseworker)

    assert listed(console, pending_items="yes") == [case]
    assert listed(console, pending_items="no") == [ready]


def test_the_contested_filter(console, caseworker, administrator, applicant, other_resident, round_):
    contested = verified(applicant, round_, caseworker)
    quiet = verified(permit_holder(other_resident), round_, caseworker)
    publish(round_, administrator)
    points_objection_file(
        actor=applicant.user, case=contested, item_keys=["social_insurance_years"], reason="漏算了一年社保"
    )

    assert listed(console, contested="yes", status="all") == [contested]
    assert listed(console, contested="no", status="all") == [quiet]
    assert listed(console) == [contested]  # back in review


def test_the_queue_query_count_does_not_grow_with_its_rows(console, case, round_, tashan_community):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert console.get(QUEUE).status_code == 200
        return len(captured)

    one = queries()
    for n in range(4):
        user = UserFactory(username=f"applicant{n}")
        submitted(permit_holder(ResidentFactory(user=user, community=tashan_community)), round_)
    assert len(listed(console)) == 5
    assert queries() == one


# --- the review page ------------------------------------------------------------------------------------------


def test_the_review_page_shows_the_applicant_items_evidence_and_provisional_total(console, case, applicant):
    response = console.get(review_url(case))

    assert response.status_code == 200
    page = response.content.decode()
    assert applicant.id_number_masked in page
    assert id_number_decrypt(applicant.id_number_ciphertext) not in page
    assert 'id="item-social_insurance_years"' in page
    assert 'id="declared-social_insurance_years">5 年<' in page  # declared by the applicant
    assert 'id="declared-residence_years">3 年<' in page  # computed by the portal
    evidence = case.documents.get(kind=evidence_key("social_insurance_years"))
    assert reverse("cases:case_document", args=[evidence.pk]) in page
    # The pending items count nothing yet: the total is what the portal computed.
    computed = [line for line in response.context["lines"] if line.item.source == "computed"]
    assert response.context["provisional_total"] == str(sum(int(line.points) for line in computed))
    assert response.context["pending_labels"] == ["社会保险缴纳年限", "近三年行政处罚记录", "近五年内有刑事犯罪记录"]
    assert 'id="verify-form-social_insurance_years"' in page
    assert 'type="number"' in page and 'name="value"' in page  # a number for a per-unit item
    assert reverse("admin:cases_case_change", args=[case.pk]) in page  # notices and refusals live there


def test_the_value_input_fits_the_rule(console, case):
    forms = {line.item.key: line.form for line in console.get(review_url(case)).context["lines"]}

    assert forms["social_insurance_years"]["value"].field.widget.input_type == "number"
    level_keys = [key for key, _label in forms["skills_certificate"].fields["value"].choices]
    assert level_keys == ["", "level_5", "level_4", "level_3", "level_2", "level_1"]
    assert [key for key, _label in forms["criminal_record_5y"].fields["value"].choices] == ["", "yes", "no"]
    # Nothing was declared for a skills certificate: the only possible decision is to adjust.
    assert [key for key, _label in forms["skills_certificate"].fields["decision"].choices] == ["adjusted"]


@pytest.mark.parametrize(
    ("decision", "value", "status", "counted"),
    [
        ("accepted", "", ItemStatus.ACCEPTED, "5"),
        ("adjusted", "4.5", ItemStatus.ADJUSTED, "4.5"),
        ("rejected", "", ItemStatus.REJECTED, None),
    ],
)
def test_each_decision_with_a_reason_is_saved(console, case, decision, value, status, counted):  # type: ignore[no-untyped-def]
    response = console.post(
        verify_url(case, "social_insurance_years"),
        {"decision": decision, "value": value, "reason": "核对社保缴纳记录"},
    )

    assert response.status_code == 302
    assert response["Location"] == review_url(case) + "#item-social_insurance_years"  # the decision, as saved
    decided = item(case, "social_insurance_years")
    assert (decided.status, decided.value, decided.reason) == (status, counted, "核对社保缴纳记录")
    assert decisions_recorded(case) == 1
    assert any("社会保险缴纳年限" in message for message in flash(response))


@pytest.mark.parametrize("decision", ["accepted", "adjusted", "rejected"])
def test_a_decision_without_a_reason_is_refused_and_nothing_saved(console, case, decision):  # type: ignore[no-untyped-def]
    response = console.post(
        verify_url(case, "social_insurance_years"), {"decision": decision, "value": "4", "reason": "   "}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "请写明核定理由，申请人会看到它。" in page
    assert 'id="review-not-saved"' in page
    assert item(case, "social_insurance_years").status == ItemStatus.PENDING
    assert decisions_recorded(case) == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("social_insurance_years", "-3", "0"),  # Django's "greater than or equal to 0"
        ("social_insurance_years", "三年", "数字"),
        ("social_insurance_years", "", "选择“调整”时，请填写认定的值。"),
        ("skills_certificate", "level_9", "level_9"),
        ("criminal_record_5y", "maybe", "maybe"),
    ],
)
def test_adjusting_to_a_bad_value_is_refused_clearly_and_nothing_saved(console, case, key, value, message):  # type: ignore[no-untyped-def]
    before = item(case, key)

    response = console.post(verify_url(case, key), {"decision": "adjusted", "value": value, "reason": "按证书核定"})

    assert response.status_code == 200
    failed = response.context["lines"]
    form = next(line.form for line in failed if line.item.key == key)
    assert len(form.errors["value"]) == 1 and message in form.errors["value"][0]
    assert form["value"].value() == value  # what was typed stays, to be corrected
    after = item(case, key)
    assert (after.status, after.value, after.reason) == (before.status, before.value, before.reason)
    assert decisions_recorded(case) == 0


def test_adjusting_a_level_and_a_yes_no_item(console, case):
    console.post(
        verify_url(case, "skills_certificate"), {"decision": "adjusted", "value": "level_3", "reason": "查到高级工证书"}
    )
    console.post(
        verify_url(case, "criminal_record_5y"), {"decision": "adjusted", "value": "no", "reason": "公安记录无犯罪"}
    )

    assert (item(case, "skills_certificate").status, item(case, "skills_certificate").value) == ("adjusted", "level_3")
    assert (item(case, "criminal_record_5y").status, item(case, "criminal_record_5y").value) == ("adjusted", False)
    page = console.get(review_url(case)).content.decode()
    assert 'id="value-skills_certificate">三级 / 高级工<' in page
    assert 'id="points-skills_certificate">8 分<' in page


def test_the_provisional_total_follows_the_decisions(console, case):
    before = int(console.get(review_url(case)).context["provisional_total"])
    console.post(verify_url(case, "social_insurance_years"), {"decision": "accepted", "reason": "与社保记录一致"})

    response = console.get(review_url(case))

    assert int(response.context["provisional_total"]) == before + 15  # 5 years × 3
    assert 'id="points-social_insurance_years">15 分<' in response.content.decode()


def test_a_decided_application_is_shown_without_forms(console, caseworker, case):
    accept_all(case, caseworker)
    console.post(complete_url(case))

    response = console.get(review_url(case))

    assert response.status_code == 200
    assert not response.context["may_review"]
    assert 'id="complete-review"' not in response.content.decode()
    assert all(line.form is None for line in response.context["lines"])


# --- completing the review ---------------------------------------------------------------------------------------


def test_completing_with_items_pending_is_refused_with_their_names(console, case):
    console.post(verify_url(case, "social_insurance_years"), {"decision": "accepted", "reason": "与社保记录一致"})

    response = console.post(complete_url(case), follow=True)

    assert response.status_code == 200
    assert "还有项目没有核定：近三年行政处罚记录、近五年内有刑事犯罪记录。" in flash(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert PointsApplication.objects.get(case=case).total is None


def test_completing_once_every_item_is_decided_fixes_the_score(console, case):
    for key, reason in [
        ("social_insurance_years", "与社保记录一致"),
        ("administrative_penalties", "未查到处罚记录"),
        ("criminal_record_5y", "公安记录无犯罪"),
    ]:
        assert console.post(verify_url(case, key), {"decision": "accepted", "reason": reason}).status_code == 302
    shown = console.get(review_url(case)).context["provisional_total"]

    response = console.post(complete_url(case), follow=True)

    assert f"核定完成：总分 {shown} 分，已通知申请人。" in flash(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert PointsApplication.objects.get(case=case).total == int(shown)
    assert f'id="verified-total">{shown} 分' in response.content.decode()


def test_a_veto_found_in_review_refuses_the_application(console, case, caseworker):
    accept_all(case, caseworker)
    console.post(verify_url(case, "criminal_record_5y"), {"decision": "adjusted", "value": "yes", "reason": "公安通报"})
    assert 'id="review-veto"' in console.get(review_url(case)).content.decode()

    response = console.post(complete_url(case), follow=True)

    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED
    assert any("一票否决" in message for message in flash(response))


def test_the_review_page_shows_an_objection_with_the_previous_decisions(
    console, caseworker, administrator, applicant, round_
):
    case = verified(applicant, round_, caseworker)
    publish(round_, administrator)
    points_objection_file(
        actor=applicant.user, case=case, item_keys=["social_insurance_years"], reason="还有一年在外地缴纳"
    )

    response = console.get(review_url(case))

    page = response.content.decode()
    assert "还有一年在外地缴纳" in page
    previous_total = PointsApplication.objects.get(case=case).total
    assert "原总分" in page and f"{previous_total:.0f} 分" in page
    assert "核定属实，5 年，15 分；理由：与社保缴纳记录一致" in page  # the decision before the objection
    assert response.context["pending_labels"] == ["社会保险缴纳年限"]
    history = response.context["history"]
    assert [event.label for event in history][:1] == ["社会保险缴纳年限"]


# --- rounds and publishing ---------------------------------------------------------------------------------------


def round_form(rule_set: RuleSet, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "year": today().year,
        "name_zh": "下半年积分申报",
        "name_en": "",
        "rule_set": rule_set.pk,
        "opens_on": today().isoformat(),
        "closes_on": (today() + datetime.timedelta(days=30)).isoformat(),
        "quota": "200",
        "objection_days": "7",
        "unlocks_zh": "随迁子女入学积分排序。",
        "unlocks_en": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def published_set() -> RuleSet:
    return RuleSet.objects.get(status=RuleSetStatus.PUBLISHED, version="2026.1")


def test_an_administrator_creates_a_round_with_a_published_rule_set(administrator, published_set):
    client = signed_in(administrator)
    draft = rule_set_succeed(actor=administrator, rule_set=published_set)

    offered = client.get(f"{ROUNDS}add/").context["adminform"].form.fields["rule_set"].queryset
    assert published_set in offered and draft not in offered
    refused = client.post(f"{ROUNDS}add/", round_form(draft))
    assert refused.status_code == 200 and not PointsRound.objects.exists()

    response = client.post(f"{ROUNDS}add/", round_form(published_set))

    assert response.status_code == 302
    assert PointsRound.objects.get().rule_set == published_set


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"closes_on": (today() - datetime.timedelta(days=1)).isoformat()},
            "closes_on",
            "申报截止日期不能早于开始日期。",
        ),
        ({"quota": "0"}, "quota", "名额至少为 1；不限名额请留空。"),
        ({"objection_days": "0"}, "objection_days", "异议期至少 1 天。"),
    ],
)
def test_a_round_with_bad_dates_or_numbers_is_refused(administrator, published_set, overrides, field, message):  # type: ignore[no-untyped-def]
    response = signed_in(administrator).post(f"{ROUNDS}add/", round_form(published_set, **overrides))

    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field]
    assert not PointsRound.objects.exists()


def test_the_rule_set_of_a_round_with_applications_cannot_be_changed(administrator, published_set, case, round_):
    other = rule_set_succeed(actor=administrator, rule_set=published_set)
    RuleSet.objects.filter(pk=other.pk).update(status=RuleSetStatus.PUBLISHED, year=published_set.year + 1)

    response = signed_in(administrator).post(f"{ROUNDS}{round_.pk}/change/", round_form(other))

    assert response.status_code == 200
    assert "本期已有积分申请" in " ".join(response.context["adminform"].form.errors["rule_set"])
    round_.refresh_from_db()
    assert round_.rule_set == published_set


def test_caseworkers_read_rounds_but_neither_change_nor_publish_them(console, round_, case):
    response = console.get(f"{ROUNDS}{round_.pk}/change/")

    assert response.status_code == 200
    assert 'id="publish-ranking"' not in response.content.decode()
    assert console.get(f"{ROUNDS}add/").status_code == 403
    close(round_)
    assert console.post(reverse("admin:points_pointsround_publish", args=[round_.pk])).status_code == 403
    assert not PointsRanking.objects.exists()


def test_the_round_page_counts_its_applications_by_status_in_one_query(administrator, caseworker, case, round_):
    verified(permit_holder(ResidentFactory(user=UserFactory(), community=case.applicant.community)), round_, caseworker)
    client = signed_in(administrator)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{ROUNDS}{round_.pk}/change/")

    page = response.content.decode()
    assert 'id="count-submitted">1<' in page and 'id="count-approved">1<' in page
    assert 'id="count-total"><strong>2<' in page
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"] and "residents_case" in q["sql"]]
    assert len(grouped) == 1


def test_publishing_before_the_round_closes_is_refused_with_the_reason(administrator, caseworker, case, round_):
    response = signed_in(administrator).post(reverse("admin:points_pointsround_publish", args=[round_.pk]), follow=True)

    assert any("申报截止" in message and "后才能公示排名" in message for message in flash(response))
    assert not PointsRanking.objects.exists()


def test_publishing_while_reviews_are_unfinished_is_refused(administrator, case, round_):
    close(round_)

    response = signed_in(administrator).post(reverse("admin:points_pointsround_publish", args=[round_.pk]), follow=True)

    assert "还有 1 件申请没有核定完，全部核定后才能公示排名。" in " ".join(flash(response))
    assert not PointsRanking.objects.exists()


def test_publishing_from_the_round_page_then_the_final_ranking(administrator, caseworker, case, round_):
    accept_all(case, caseworker)
    signed_in(caseworker).post(complete_url(case))
    close(round_)
    client = signed_in(administrator)
    page_before = client.get(f"{ROUNDS}{round_.pk}/change/").content.decode()
    assert 'id="publish-ranking">发布公示排名<' in page_before

    response = client.post(reverse("admin:points_pointsround_publish", args=[round_.pk]), follow=True)

    ranking = PointsRanking.objects.get()
    assert (ranking.edition, ranking.is_final, ranking.entry_count) == (1, False, 1)
    round_.refresh_from_db()
    assert any("已公示排名（第 1 版），共 1 人上榜，异议期到" in message for message in flash(response))
    page = response.content.decode()
    assert 'id="ranking-1"' in page and case.reference in page
    assert 'id="publish-ranking">公布最终排名<' in page
    # Published: the round is read-only now.
    assert 'name="_save"' not in page
    changed = client.post(f"{ROUNDS}{round_.pk}/change/", round_form(round_.rule_set, quota="5"))
    assert changed.status_code == 403
    round_.refresh_from_db()
    assert round_.quota == 100

    too_early = client.post(reverse("admin:points_pointsround_publish", args=[round_.pk]), follow=True)
    assert any("异议期到" in message and "之后才能公布最终排名" in message for message in flash(too_early))
    PointsRound.objects.filter(pk=round_.pk).update(objection_ends_on=today() - datetime.timedelta(days=1))

    final = client.post(reverse("admin:points_pointsround_publish", args=[round_.pk]), follow=True)

    assert any("已公布最终排名（第 2 版）" in message for message in flash(final))
    assert PointsRanking.objects.filter(is_final=True).count() == 1
    assert 'id="publish-ranking"' not in final.content.decode()


def test_publishing_through_the_list_action(administrator, caseworker, case, round_):
    accept_all(case, caseworker)
    signed_in(caseworker).post(complete_url(case))
    close(round_)
    not_closed = open_round(name_zh="还在申报的一期")

    response = signed_in(administrator).post(
        ROUNDS, {"action": "publish_ranking", "_selected_action": [round_.pk, not_closed.pk]}, follow=True
    )

    messages = flash(response)
    assert any(message.startswith(f"{round_.name_zh}：已公示排名") for message in messages)
    assert any(message.startswith("还在申报的一期：申报截止") for message in messages)
    assert list(PointsRanking.objects.values_list("round", flat=True)) == [round_.pk]


def test_a_caseworker_is_not_offered_the_publish_action(console, round_):
    response = console.get(ROUNDS)

    assert response.status_code == 200
    assert "publish_ranking" not in response.content.decode()


def test_another_street_caseworker_sees_only_their_streets_counts(round_, case):
    fushan = caseworker_for(street("府山街道"), username="fushan_only")

    page = signed_in(fushan).get(f"{ROUNDS}{round_.pk}/change/").content.decode()

    assert 'id="count-total"><strong>0<' in page
    assert "本期您负责街道的申请" in page


def test_the_generic_case_page_sends_the_caseworker_to_the_item_review_instead_of_approving(console, case):
    page = console.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert review_url(case) in page and 'id="own-console"' in page
    assert 'id="approve-case"' not in page


def test_the_case_history_reads_an_item_decision_in_words(console, case, caseworker):
    from points.services import points_item_verify

    points_item_verify(actor=caseworker, case=case, key="social_insurance_years", decision="adjusted", value="4",
                       reason="社保记录为 4 年")  # fmt: skip
    page = console.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "核定结果" in page and "核定调整" in page and "社会保险缴纳年限" in page
