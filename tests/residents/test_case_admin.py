"""The caseworker console for cases ("我的待办"): the queue of one's streets by deadline, its filters and
search, the case page with documents and timeline, the buttons and bulk actions that call services, and
the cost of the list (constant queries, no table-wide COUNT)."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.casetypes import CaseType, case_type_register, case_type_unregister
from cases.choices import CaseEvent, CaseStatus
from cases.models import Case
from notifications.models import Notification
from notifications.services import notification_render
from residents.models import AuditEvent
from residents.pii import id_number_decrypt

from ..casework import (
    case_row,
    open_case,
    submitted_case,
    team_leader_for,
)
from ..factories import ResidentFactory, caseworker_for, make_id_number, street

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_case_type", "two_factor_off")]

CHANGELIST = "/admin/residents/case/"


def change_url(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def act_url(case: Case, what: str) -> str:
    return reverse("admin:cases_case_act", args=[case.pk, what])


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def listed(client, **params) -> list[Case]:  # type: ignore[no-untyped-def]
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def flash(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def fushan_resident(fushan_community):  # type: ignore[no-untyped-def]
    return ResidentFactory(name="陈静", community=fushan_community)


@pytest.fixture
def case(resident):  # type: ignore[no-untyped-def]
    return submitted_case(resident)


# --- the queue ----------------------------------------------------------------------------------------


def test_the_queue_shows_the_cases_of_the_caseworkers_streets_by_deadline(
    console, resident, other_resident, fushan_resident
):
    now = timezone.now()
    later = case_row(resident, due_at=now + datetime.timedelta(days=10))
    sooner = case_row(other_resident, due_at=now + datetime.timedelta(days=1))
    draft = case_row(resident, status=CaseStatus.DRAFT)
    elsewhere = case_row(fushan_resident, opened_by=resident.user, due_at=now)

    response = console.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [sooner, later]  # what awaits a decision
    assert elsewhere.reference not in html(response)
    assert "我的待办" in html(response)
    assert listed(console, status="all") == [sooner, later, draft]  # no deadline goes last


def test_a_search_looks_through_every_status(console, resident):
    approved = case_row(resident, status=CaseStatus.APPROVED)

    assert listed(console, q=approved.reference) == [approved]


def test_the_queue_shows_masked_id_numbers_only(console, case, resident):
    response = console.get(CHANGELIST)

    assert resident.id_number_masked in html(response)
    assert id_number_decrypt(resident.id_number_ciphertext) not in html(response)


def test_a_health_worker_has_no_case_console(client, health_worker, case):
    client.force_login(health_worker)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(case)).status_code == 404


def test_an_administrator_sees_every_street(client, administrator, case, fushan_resident):
    elsewhere = case_row(fushan_resident, opened_by=administrator)
    client.force_login(administrator)

    assert set(listed(client)) == {case, elsewhere}


# --- filters ------------------------------------------------------------------------------------------


def test_the_type_filter(console, resident):
    case_type_register(CaseType(key="other_type", label="别的业务", reference_prefix="OT"))
    try:
        demo = case_row(resident)
        other = case_row(resident)
        Case.objects.filter(pk=other.pk).update(case_type="other_type")

        assert listed(console, type="demo") == [demo]
        assert listed(console, type="other_type") == [other]
    finally:
        case_type_unregister("other_type")


def test_the_status_filter(console, resident):
    submitted = case_row(resident)
    approved = case_row(resident, status=CaseStatus.APPROVED)

    assert listed(console, status="submitted") == [submitted]
    assert listed(console, status="approved") == [approved]
    assert listed(console) == [submitted]


def test_the_street_filter_offers_and_applies_the_caseworkers_streets(client, resident, fushan_resident):
    both = caseworker_for(street("塔山街道"), street("府山街道"), username="both")
    tashan = case_row(resident)
    fushan = case_row(fushan_resident, opened_by=resident.user)
    client.force_login(both)

    assert listed(client, street=str(street("塔山街道").pk)) == [tashan]
    assert listed(client, street=str(street("府山街道").pk)) == [fushan]
    offered = html(client.get(CHANGELIST))
    assert "塔山街道" in offered
    assert "北海街道" not in offered


def test_the_overdue_filter(console, resident):
    now = timezone.now()
    late = case_row(resident, due_at=now - datetime.timedelta(hours=2))
    soon = case_row(resident, due_at=now + datetime.timedelta(days=1))
    case_row(resident, due_at=now + datetime.timedelta(days=9))
    case_row(resident, status=CaseStatus.APPROVED, due_at=now - datetime.timedelta(days=3))

    assert listed(console, overdue="yes") == [late]
    assert listed(console, overdue="soon") == [soon]


def test_the_queue_filter_mine_and_unassigned(console, caseworker, resident):
    colleague = caseworker_for(street("塔山街道"), username="colleague")
    mine = case_row(resident, assigned_to=caseworker)
    theirs = case_row(resident, assigned_to=colleague)
    nobodys = case_row(resident)

    assert listed(console, queue="mine") == [mine]
    assert listed(console, queue="unassigned") == [nobodys]
    assert set(listed(console)) == {mine, theirs, nobodys}


# --- search -------------------------------------------------------------------------------------------


def test_search_by_reference_in_either_case(console, resident, other_resident):
    wanted = case_row(resident)
    case_row(other_resident)

    assert listed(console, q=wanted.reference) == [wanted]
    assert listed(console, q=wanted.reference.lower()) == [wanted]


def search_posted(client, term: str):  # type: ignore[no-untyped-def]
    """The search box posts; the console answers with the list, never with the number in its URL."""
    response = client.post(reverse("admin:cases_case_search"), {"q": term}, follow=True)
    assert response.status_code == 200
    assert all(term not in url for url, _status in response.redirect_chain)
    return list(response.context["cl"].result_list)


def test_search_by_the_applicants_exact_id_number(console, tashan_community, caseworker):
    number = make_id_number(datetime.date(1988, 8, 8))
    wanted = case_row(ResidentFactory(plain_id_number=number, community=tashan_community), opened_by=caseworker)
    case_row(ResidentFactory(community=tashan_community), opened_by=caseworker)

    assert search_posted(console, number) == [wanted]
    assert search_posted(console, number[:-1] + ("0" if number[-1] != "0" else "1")) == []  # a wrong check digit
    # typed into the address bar, the number is swapped for its hash at once
    response = console.get(CHANGELIST, {"q": number})
    assert response.status_code == 302
    assert number not in response["Location"]


def test_search_by_the_applicants_mobile_number(console, tashan_community, caseworker):
    wanted = case_row(ResidentFactory(phone="+8613812345678", community=tashan_community), opened_by=caseworker)
    case_row(ResidentFactory(community=tashan_community), opened_by=caseworker)

    assert listed(console, q="13812345678") == [wanted]


def test_search_by_the_start_of_the_applicants_name(console, tashan_community, caseworker):
    wang = case_row(ResidentFactory(name="王芳芳", community=tashan_community), opened_by=caseworker)
    case_row(ResidentFactory(name="李王", community=tashan_community), opened_by=caseworker)

    assert listed(console, q="王") == [wang]
    assert listed(console, q="王芳") == [wang]
    assert listed(console, q="芳") == []


def test_search_never_reaches_another_street(console, fushan_resident, caseworker):
    elsewhere = case_row(fushan_resident, opened_by=caseworker)

    assert listed(console, q=elsewhere.reference) == []
    assert listed(console, q="陈") == []


# --- the case page ------------------------------------------------------------------------------------


def test_the_case_page_shows_documents_timeline_and_buttons(console, case, caseworker):
    services.case_assign(actor=caseworker, case=case, assignee=caseworker)

    response = console.get(change_url(case))

    assert response.status_code == 200
    page = html(response)
    for document in case.documents.all():
        assert document.original_name in page
        assert reverse("cases:case_document", args=[document.pk]) in page
    assert "办理记录" in page
    for label in ("新建申请", "上传材料", "申请状态变更", "分派申请"):
        assert label in page
    assert "草稿 → 已受理" in page  # statuses as people read them
    assert 'id="approve-case"' in page
    assert 'id="request-documents-form"' in page
    assert 'id="refuse-form"' in page


class _FormNesting(HTMLParser):
    """Records, for every <form>, the forms open around it, and the forms that buttons name."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.nested: dict[str, list[str]] = {}
        self.ids: set[str] = set()
        self.button_targets: set[str] = set()

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        attrs = dict(attrs)
        if tag == "form":
            action = attrs.get("action") or attrs.get("id") or "?"
            self.nested[action] = list(self.open)
            self.open.append(action)
            if attrs.get("id"):
                self.ids.add(attrs["id"])
        elif tag == "button" and attrs.get("form"):
            self.button_targets.add(attrs["form"])

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "form" and self.open:
            self.open.pop()


@pytest.mark.parametrize("assigned", [False, True], ids=["unassigned", "assigned-to-me"])
def test_each_button_of_the_case_page_posts_its_own_form(console, case, caseworker, assigned):  # type: ignore[no-untyped-def]
    # A <form> inside another is dropped by the browser's parser; its button then submits the outer form
    # (the read-only change form) instead of the action it shows.
    if assigned:
        services.case_assign(actor=caseworker, case=case, assignee=caseworker)
    parser = _FormNesting()
    parser.feed(html(console.get(change_url(case))))

    acts = {action: around for action, around in parser.nested.items() if "/act/" in action}
    expected = {act_url(case, "approve"), act_url(case, "refuse"), act_url(case, "request_documents")}
    if not assigned:
        expected.add(act_url(case, "take"))
    assert set(acts) == expected
    assert all(around == [] for around in acts.values()), acts
    assert parser.button_targets <= parser.ids


def test_the_case_page_of_another_street_is_not_found(client, caseworker_elsewhere, case):
    client.force_login(caseworker_elsewhere)

    assert client.get(change_url(case)).status_code == 404


# --- the buttons --------------------------------------------------------------------------------------


def test_approve_approves_through_the_service(console, case, caseworker, resident_user):
    response = console.post(act_url(case, "approve"))

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert AuditEvent.objects.filter(event_type=CaseEvent.CASE_TRANSITION, actor=caseworker).count() == 1
    assert Notification.objects.filter(recipient=resident_user, template="case.approved").count() == 1
    assert "已批准，申请人会收到通知。" in flash(response)


def test_approving_twice_shows_the_conflict(console, case):
    console.post(act_url(case, "approve"))

    response = console.post(act_url(case, "approve"), follow=True)

    assert "已批准" in html(response)
    assert "不能改为" in html(response)
    assert Notification.objects.filter(template="case.approved").count() == 1


def test_refuse_without_a_reason_shows_an_error_and_changes_nothing(console, case):
    events_before, notes_before = AuditEvent.objects.count(), Notification.objects.count()

    response = console.post(act_url(case, "refuse"), {"reason": "  "}, follow=True)

    assert response.status_code == 200
    assert "不予批准必须写明理由" in html(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert AuditEvent.objects.count() == events_before
    assert Notification.objects.count() == notes_before


def test_refuse_with_a_reason_refuses(console, case):
    console.post(act_url(case, "refuse"), {"reason": "居住未满半年"})

    case.refresh_from_db()
    assert (case.status, case.decision_reason) == (CaseStatus.REFUSED, "居住未满半年")


def test_request_documents_with_several_ticked_items_sends_one_notice(console, case, resident_user):
    response = console.post(
        act_url(case, "request_documents"), {"missing": ["id_card", "photo", "other"], "note": "社保证明"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_DOCUMENTS
    assert case.missing_documents == ["id_card", "photo", "other"]
    [notice] = Notification.objects.filter(recipient=resident_user, template="case.needs_documents")
    body = notification_render(notice, language="zh-hans").body
    assert all(label in body for label in ("身份证", "照片", "其他材料", "社保证明"))
    # the notice form is gone once it has been sent
    assert 'id="request-documents-form"' not in html(console.get(change_url(case)))


def test_request_documents_without_a_tick_shows_an_error(console, case):
    response = console.post(act_url(case, "request_documents"), {"note": "x"}, follow=True)

    assert "请勾选需要补正的材料" in html(response)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_take_assigns_the_case_to_oneself(console, case, caseworker):
    console.post(act_url(case, "take"))

    assert Case.objects.get(pk=case.pk).assigned_to == caseworker


def test_a_button_for_a_case_of_another_street_is_not_found(client, caseworker_elsewhere, case):
    client.force_login(caseworker_elsewhere)

    for what in ("approve", "refuse", "request_documents", "take"):
        assert client.post(act_url(case, what), {"reason": "x", "missing": ["photo"]}).status_code == 404
    case.refresh_from_db()
    assert (case.status, case.assigned_to) == (CaseStatus.SUBMITTED, None)


def test_an_unknown_button_is_not_found_and_a_get_only_shows_the_page(console, case):
    assert console.post(act_url(case, "frobnicate")).status_code == 404
    response = console.get(act_url(case, "approve"))
    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


# --- bulk actions -------------------------------------------------------------------------------------


def offered_actions(client) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.get(CHANGELIST)
    return {name for name, _label in response.context["action_form"].fields["action"].choices if name}


def test_take_selected_assigns_the_ticked_cases_to_oneself(console, caseworker, resident, other_resident):
    ticked = [case_row(resident), case_row(other_resident)]
    untouched = case_row(resident)

    response = console.post(
        CHANGELIST, {"action": "take_selected", "_selected_action": [c.pk for c in ticked], "index": 0}, follow=True
    )

    assert response.status_code == 200
    assert "已由您经办 2 件。" in html(response)
    assert {c.assigned_to_id for c in Case.objects.filter(pk__in=[c.pk for c in ticked])} == {caseworker.pk}
    assert Case.objects.get(pk=untouched.pk).assigned_to is None


def test_approve_selected_reports_each_case_it_could_not_approve(console, resident):
    pending = case_row(resident)
    draft = case_row(resident, status=CaseStatus.DRAFT)

    response = console.post(
        CHANGELIST + "?status=all",
        {"action": "approve_selected", "_selected_action": [pending.pk, draft.pk], "index": 0},
        follow=True,
    )  # fmt: skip

    assert Case.objects.get(pk=pending.pk).status == CaseStatus.APPROVED
    assert Case.objects.get(pk=draft.pk).status == CaseStatus.DRAFT
    assert "已批准 1 件。" in html(response)
    assert draft.reference in html(response)


def test_reassign_selected_is_offered_to_team_leaders_only(client, console, case):
    assert "reassign_selected" not in offered_actions(console)
    assert {"take_selected", "approve_selected"} <= offered_actions(console)

    leader = team_leader_for(street("塔山街道"), username="leader")
    client.force_login(leader)
    assert "reassign_selected" in offered_actions(client)


def test_a_plain_caseworker_cannot_post_the_reassign_action(console, case, caseworker):
    console.post(CHANGELIST, {"action": "reassign_selected", "_selected_action": [case.pk], "index": 0})

    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_a_team_leader_reassigns_the_ticked_cases_to_a_caseworker(client, caseworker, resident, other_resident):
    leader = team_leader_for(street("塔山街道"), username="leader")
    ticked = [case_row(resident), case_row(other_resident)]
    client.force_login(leader)

    # The action first asks to whom
    response = client.post(
        CHANGELIST, {"action": "reassign_selected", "_selected_action": [c.pk for c in ticked], "index": 0}
    )
    assert response.status_code == 200
    assert caseworker.username in html(response)

    # Then moves them all
    response = client.post(
        CHANGELIST,
        {"action": "reassign_selected", "_selected_action": [c.pk for c in ticked], "assignee": caseworker.pk},
        follow=True,
    )
    assert "已分派 2 件。" in html(response)
    assert {c.assigned_to_id for c in Case.objects.all()} == {caseworker.pk}


# --- cost ---------------------------------------------------------------------------------------------


def _fill(n: int, community, caseworker) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        case_row(ResidentFactory(community=community), opened_by=caseworker, assigned_to=caseworker)


def test_the_changelist_query_count_does_not_grow_with_the_rows(
    console, caseworker, tashan_community, django_assert_num_queries
):
    _fill(3, tashan_community, caseworker)
    with CaptureQueriesContext(connection) as few:
        assert len(listed(console)) == 3

    _fill(17, tashan_community, caseworker)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(listed(console)) == 20


def _table_wide_counts(queries: list[dict]) -> list[str]:
    """COUNT queries over the cases table with neither a WHERE nor a LIMIT: a full count."""
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper()
        and '"residents_case"' in q["sql"]
        and " WHERE " not in q["sql"].upper()
        and " LIMIT " not in q["sql"].upper()
    ]


@pytest.mark.parametrize("who", ["caseworker", "administrator"])
def test_the_changelist_never_counts_the_whole_table(who, request, client, resident, fushan_resident):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    for applicant in (resident, fushan_resident, resident):
        case_row(applicant, opened_by=user)
    client.force_login(user)

    for params in ({}, {"status__exact": "submitted"}, {"q": "王"}, {"queue": "mine"}):
        with CaptureQueriesContext(connection) as seen:
            assert client.get(CHANGELIST, params).status_code == 200
        assert _table_wide_counts(seen.captured_queries) == [], params


def test_the_unfiltered_list_asks_the_planners_estimate_and_counts_at_most_a_bounded_slice(
    client, administrator, resident
):
    case_row(resident, opened_by=administrator)
    client.force_login(administrator)

    with CaptureQueriesContext(connection) as seen:
        assert client.get(CHANGELIST, {"status": "all"}).status_code == 200

    sqls = [q["sql"] for q in seen.captured_queries]
    assert any("reltuples" in sql and "residents_case" in sql for sql in sqls)
    counts = [sql for sql in sqls if "COUNT(" in sql.upper() and '"residents_case"' in sql]
    assert counts
    assert all("LIMIT 10001" in sql for sql in counts)


def test_opening_a_draft_case_in_the_console_offers_no_decision(console, resident, caseworker):
    draft = open_case(resident, actor=caseworker)

    page = html(console.get(change_url(draft)))

    assert 'id="approve-case"' not in page
    assert 'id="refuse-form"' not in page
    assert 'id="request-documents-form"' not in page
