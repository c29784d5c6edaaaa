"""The enrolment console: administrators configure schools and rounds and drive the allocation through the
round's actions (open, preview, run, publish, further round, close), each calling its service and saying what
it did or why not; runs and cut-offs are read-only; caseworkers read the configuration, and see and approve the
applications of their streets only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.choices import CaseStatus
from cases.models import Case
from education import services
from education.choices import AllocationRunKind, RoundStatus
from education.models import AllocationRun, EnrolmentRound

from .factories import (
    ALLOCATION_DAY,
    CONFIRMATION_END,
    administrator_user,
    approved,
    enrolment_round,
    family,
    on,
    submitted,
)

pytestmark = pytest.mark.django_db

ROUNDS = "/admin/education/enrolmentround/"
SCHOOLS = "/admin/education/school/"
RUNS = "/admin/education/allocationrun/"
APPLICATIONS = "/admin/education/enrolmentapplication/"


def console(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def act(user, action: str, *rounds: EnrolmentRound) -> list[str]:  # type: ignore[no-untyped-def]
    """Run a round action from the list as ``user`` (signed in at the current, perhaps travelled, time: a session
    from weeks before has expired); the messages it left."""
    response = console(user).post(
        ROUNDS, {"action": action, "_selected_action": [r.pk for r in rounds], "index": 0}, follow=True
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def with_applications(open_round, wang, zhao, tashan_school, chengnan_school, administrator):  # type: ignore[no-untyped-def]
    return [
        approved(*wang, open_round, administrator, schools=[tashan_school]),
        approved(*zhao, open_round, administrator, schools=[tashan_school, chengnan_school]),
    ]


def test_the_administrator_sees_every_page_of_the_console(open_round, with_applications, administrator):
    client = console(administrator)
    services.enrolment_allocation_preview(actor=administrator, enrolment_round=open_round)
    run = AllocationRun.objects.get()

    for url in (
        ROUNDS, f"{ROUNDS}{open_round.pk}/change/", f"{ROUNDS}add/", SCHOOLS, f"{SCHOOLS}add/", RUNS,
        f"{RUNS}{run.pk}/change/", APPLICATIONS, f"{APPLICATIONS}{with_applications[0].pk}/change/",
    ):  # fmt: skip
        assert client.get(url).status_code == 200, url
    page = client.get(f"{RUNS}{run.pk}/change/").content.decode()
    assert "塔山小学" in page and run.seed in page


def test_opening_a_draft_round_from_the_console(tashan_school):
    admin = administrator_user()
    draft = enrolment_round(status=RoundStatus.DRAFT, seats={tashan_school: 30})
    empty = enrolment_round(year=2028, status=RoundStatus.DRAFT)

    said = act(admin, "open_applications", draft, empty)

    assert EnrolmentRound.objects.get(pk=draft.pk).status == RoundStatus.OPEN
    assert EnrolmentRound.objects.get(pk=empty.pk).status == RoundStatus.DRAFT
    assert any("已开始受理" in m for m in said)
    assert any("还没有设置任何学校的学位数" in m for m in said)


def test_a_round_of_the_wrong_level_does_not_open(tashan_school, junior_school):
    draft = enrolment_round(status=RoundStatus.DRAFT, seats={tashan_school: 30, junior_school: 10})

    said = act(administrator_user(), "open_applications", draft)

    assert any("稽山中学" in m for m in said)
    assert EnrolmentRound.objects.get(pk=draft.pk).status == RoundStatus.DRAFT


def test_preview_run_publish_further_round_and_close_from_the_console(open_round, with_applications, administrator):
    said = act(administrator, "preview_allocation", open_round)
    assert any("试分配完成" in m and "2 人参加" in m for m in said)
    assert EnrolmentRound.objects.get(pk=open_round.pk).status == RoundStatus.OPEN

    said = act(administrator, "run_allocation", open_round)
    assert any("学位分配日是 2027-06-27" in m for m in said)  # too early: refused, and said why
    with on(ALLOCATION_DAY):
        said = act(administrator, "run_allocation", open_round)
    final = AllocationRun.objects.get(kind=AllocationRunKind.FINAL)
    assert any("正式分配完成" in m and final.seed in m for m in said)

    with on(ALLOCATION_DAY):
        said = act(administrator, "publish_results", open_round)
        assert any("已公布" in m for m in said)
        said = act(administrator, "open_further_round", open_round)
    assert any("已开放补录" in m for m in said)
    assert EnrolmentRound.objects.filter(previous=open_round, status=RoundStatus.OPEN).exists()

    with on(CONFIRMATION_END + datetime.timedelta(days=1)):
        said = act(administrator, "close_round", open_round)
    assert any("本轮已结束" in m for m in said)
    assert EnrolmentRound.objects.get(pk=open_round.pk).status == RoundStatus.CLOSED


def test_a_caseworker_reads_the_configuration_but_runs_nothing(open_round, with_applications, caseworker):
    client = console(caseworker)

    assert client.get(ROUNDS).status_code == 200
    assert client.get(SCHOOLS).status_code == 200
    assert "preview_allocation" not in client.get(ROUNDS).content.decode()
    with on(ALLOCATION_DAY):
        response = console(caseworker).post(
            ROUNDS, {"action": "run_allocation", "_selected_action": [open_round.pk], "index": 0}
        )
    assert response.status_code == 200  # the list again, the action not offered to a caseworker
    assert EnrolmentRound.objects.get(pk=open_round.pk).status == RoundStatus.OPEN
    assert client.post(f"{SCHOOLS}add/", {"name": "私设小学"}).status_code == 403


def test_a_health_worker_has_no_enrolment_console(open_round, health_worker):
    client = console(health_worker)

    for url in (ROUNDS, SCHOOLS, RUNS, APPLICATIONS):
        assert client.get(url).status_code == 403, url


def test_the_queue_shows_a_caseworker_the_applications_of_their_streets(
    open_round, wang, fushan_community, tashan_school, caseworker, caseworker_elsewhere
):  # type: ignore[no-untyped-def]
    mine = submitted(*wang, open_round, schools=[tashan_school])
    elsewhere = submitted(*family("府山家长", fushan_community), open_round)

    page = console(caseworker).get(APPLICATIONS).content.decode()
    assert mine.reference in page and elsewhere.reference not in page
    assert "1. 塔山小学" in page
    assert console(caseworker).get(f"{APPLICATIONS}{elsewhere.pk}/change/").status_code == 404
    assert elsewhere.reference in console(caseworker_elsewhere).get(APPLICATIONS).content.decode()


def test_every_page_of_a_row_out_of_scope_is_a_404(open_round, fushan_community, tashan_school, caseworker):
    elsewhere = submitted(*family("府山家长", fushan_community), open_round)
    draft = enrolment_round(year=2028, status=RoundStatus.DRAFT, seats={tashan_school: 30})  # administrators' only

    for row in (f"{APPLICATIONS}{elsewhere.pk}", f"{ROUNDS}{draft.pk}"):
        for page in ("change", "history", "delete"):
            assert console(caseworker).get(f"{row}/{page}/").status_code == 404, (row, page)


def test_the_queue_approves_the_selected_applications_through_the_case_service(
    open_round, wang, fushan_community, caseworker
):  # type: ignore[no-untyped-def]
    mine = submitted(*wang, open_round)
    response = console(caseworker).post(
        APPLICATIONS, {"action": "approve_selected", "_selected_action": [mine.pk], "index": 0}, follow=True
    )

    assert Case.objects.get(pk=mine.pk).status == CaseStatus.APPROVED
    assert any("已批准 1 件" in str(m) for m in get_messages(response.wsgi_request))


def test_the_queue_costs_the_same_queries_for_one_application_as_for_six(
    open_round, tashan_community, tashan_school, caseworker
):  # type: ignore[no-untyped-def]
    submitted(*family("一家", tashan_community), open_round, schools=[tashan_school])
    client = console(caseworker)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(APPLICATIONS).status_code == 200
        return len(captured)

    one = queries()
    for n in range(5):
        submitted(*family(f"家长{n}", tashan_community), open_round, schools=[tashan_school])
    assert queries() == one


def test_a_calendar_out_of_order_is_an_error_on_the_form_not_a_crash(open_round, with_applications, administrator):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    with on(ALLOCATION_DAY):
        services.enrolment_allocation_run(actor=administrator, enrolment_round=open_round)
    allocated = EnrolmentRound.objects.get(pk=open_round.pk)
    request = RequestFactory().get("/")
    request.user = administrator
    form_class = site._registry[EnrolmentRound].get_form(request, allocated)
    data = {"name": allocated.name, "name_en": allocated.name_en, "confirmation_end_on": "2027-06-20"}

    form = form_class(data, instance=allocated)

    assert set(form.fields) == {"name", "name_en", "confirmation_end_on"}  # the rest is fixed once allocated
    assert not form.is_valid()
    assert "学位分配日" in form.errors["confirmation_end_on"][0]
