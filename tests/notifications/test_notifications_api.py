"""The inbox as the API (/api/v1/notifications/) and as a page (/me/inbox/): one's own messages only,
rendered in the reader's language, read and unread, the header badge, and opening a message."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from cases import services
from notifications.models import Notification
from notifications.services import notify

from ..casework import submitted_case
from ..conftest import api_as

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
INBOX = "/me/inbox/"
DENIED = (401, 403)
CONTEXT = {"case_type": "居住证", "reference": "JZ20250303000001", "due_date": "2025-03-18", "reason": ""}


def send(user: User, key: str, template: str = "case.submitted", link: str = "/me/cases/JZ20250303000001/"):  # type: ignore[no-untyped-def]
    return notify(recipient=user, template=template, context=CONTEXT, dedupe_key=key, link=link)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def badge(page: str) -> str | None:
    """The unread count shown next to 消息 in the header, or None when there is no badge."""
    match = re.search(r'id="nav-inbox">[^<]*(?:<span class="count"[^>]*>(\d+)</span>)?', page)
    assert match, "the header has no inbox link"
    return match.group(1)


# --- the API ------------------------------------------------------------------------------------------


def test_an_anonymous_caller_has_no_inbox(resident_user):
    message = send(resident_user, "a")
    client = api_as(None)

    assert client.get(LIST).status_code in DENIED
    assert client.get(f"{LIST}{message.pk}/").status_code in DENIED
    assert client.post(f"{LIST}{message.pk}/read/").status_code in DENIED
    assert client.get(f"{LIST}unread-count/").status_code in DENIED
    assert client.post(f"{LIST}read-all/").status_code in DENIED
    message.refresh_from_db()
    assert message.read_at is None


def test_the_list_holds_ones_own_messages_rendered_newest_first(resident_user, other_user, caseworker):
    older = send(resident_user, "a")
    newer = send(resident_user, "b", template="case.approved")
    send(other_user, "c")

    response = api_as(resident_user).get(LIST)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]
    assert rows[0]["title"] == "申请已批准"
    assert rows[0]["body"] == "您的居住证申请（JZ20250303000001）已批准。"
    assert rows[1]["template"] == "case.submitted"
    assert rows[1]["link"] == "/me/cases/JZ20250303000001/"
    assert rows[1]["is_read"] is False and rows[1]["read_at"] is None
    assert "count" not in response.json()
    # staff read no one else's inbox either
    assert api_as(caseworker).get(LIST).json()["results"] == []


def test_accept_language_english_renders_the_messages_in_english(resident_user):
    message = send(resident_user, "a")

    rows = api_as(resident_user).get(LIST, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    one = api_as(resident_user).get(f"{LIST}{message.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert rows[0]["title"] == "Application received"
    assert rows[0]["body"].startswith("Your 居住证 application has been received. Reference number: JZ20250303000001.")
    assert one["title"] == "Application received"


@pytest.mark.usefixtures("demo_case_type")
def test_a_case_notification_reaches_the_applicants_inbox(resident, resident_user):
    case = submitted_case(resident)

    [row] = api_as(resident_user).get(LIST).json()["results"]

    assert row["title"] == "申请已受理"
    assert case.reference in row["body"]
    assert row["link"] == f"/me/cases/{case.reference}/"


def test_reading_one_message_and_the_unread_count(resident_user):
    first = send(resident_user, "a")
    send(resident_user, "b")
    client = api_as(resident_user)
    assert client.get(f"{LIST}unread-count/").json() == {"unread": 2}

    response = client.post(f"{LIST}{first.pk}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert response.json()["read_at"] is not None
    assert client.get(f"{LIST}unread-count/").json() == {"unread": 1}
    # reading again changes nothing
    assert client.post(f"{LIST}{first.pk}/read/").json()["read_at"] == response.json()["read_at"]
    assert client.get(f"{LIST}unread-count/").json() == {"unread": 1}


def test_read_all_marks_only_ones_own(resident_user, other_user):
    send(resident_user, "a")
    send(resident_user, "b")
    theirs = send(other_user, "c")

    assert api_as(resident_user).post(f"{LIST}read-all/").json() == {"marked": 2}
    assert api_as(resident_user).post(f"{LIST}read-all/").json() == {"marked": 0}

    assert api_as(resident_user).get(f"{LIST}unread-count/").json() == {"unread": 0}
    assert api_as(other_user).get(f"{LIST}unread-count/").json() == {"unread": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_another_users_message_is_not_found(resident_user, other_user, administrator):
    message = send(resident_user, "a")

    for stranger in (other_user, administrator):
        client = api_as(stranger)
        assert client.get(f"{LIST}{message.pk}/").status_code == 404
        assert client.post(f"{LIST}{message.pk}/read/").status_code == 404
    assert api_as(resident_user).get(f"{LIST}999999/").status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_the_list_is_cursor_paginated(resident_user):
    made = [send(resident_user, f"m{n}") for n in range(5)]
    client = api_as(resident_user)

    page = client.get(LIST, {"page_size": 2}).json()
    seen = [row["id"] for row in page["results"]]
    while page["next"]:
        assert "cursor=" in page["next"]
        page = client.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]

    assert seen == [m.pk for m in reversed(made)]


# --- the inbox page -----------------------------------------------------------------------------------


@pytest.fixture
def browser(client, resident_user):  # type: ignore[no-untyped-def]
    client.force_login(resident_user)
    return client


def test_the_inbox_page_shows_the_messages_and_the_header_badge(browser, resident_user, other_user):
    send(resident_user, "a")
    send(resident_user, "b", template="case.refused")
    send(other_user, "c", template="case.approved")

    response = browser.get(INBOX)

    assert response.status_code == 200
    page = html(response)
    assert "申请已受理" in page
    assert "申请未获批准" in page
    assert "申请已批准" not in page
    assert badge(page) == "2"
    assert badge(html(browser.get("/me/"))) == "2"  # the badge is on every page


def test_the_badge_disappears_once_everything_is_read(browser, resident_user):
    send(resident_user, "a")

    response = browser.post(reverse("notifications:mark_all_read"))

    assert response.status_code == 302
    assert badge(html(browser.get(INBOX))) is None


def test_the_inbox_page_is_in_english_for_an_english_reader(browser, resident_user):
    send(resident_user, "a")

    page = html(browser.get(INBOX, HTTP_ACCEPT_LANGUAGE="en"))

    assert "Application received" in page
    assert "申请已受理" not in page


def test_opening_a_message_marks_it_read_and_goes_to_the_case(browser, resident_user):
    message = send(resident_user, "a")

    response = browser.post(reverse("notifications:open", args=[message.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/me/cases/JZ20250303000001/"
    message.refresh_from_db()
    assert message.read_at is not None
    assert badge(html(browser.get(INBOX))) is None


def test_a_message_pointing_off_site_opens_the_inbox_instead(browser, resident_user):
    message = send(resident_user, "a", link="https://evil.example/phish")

    response = browser.post(reverse("notifications:open", args=[message.pk]))

    assert response["Location"] == INBOX


def test_another_users_message_cannot_be_opened(browser, other_user):
    theirs = send(other_user, "a")

    assert browser.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_needs_a_post_and_a_login(client, resident_user):
    message = send(resident_user, "a")

    response = client.post(reverse("notifications:open", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(resident_user)
    assert client.get(reverse("notifications:open", args=[message.pk])).status_code == 405
    message.refresh_from_db()
    assert message.read_at is None


def test_the_inbox_page_costs_the_same_for_3_or_30_messages(client, resident_user, django_assert_num_queries):
    for n in range(3):
        send(resident_user, f"few-{n}", template="case.submitted" if n % 2 else "case.approved")
    client.force_login(resident_user)
    with CaptureQueriesContext(connection) as few:
        assert client.get(INBOX).status_code == 200

    for n in range(27):
        send(resident_user, f"many-{n}", template="case.refused" if n % 2 else "case.approved")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(INBOX)
    assert len(response.context["messages_"]) == 30


def test_older_messages_are_one_click_away(browser, resident_user):
    made = [send(resident_user, f"m{n}") for n in range(35)]

    first = browser.get(INBOX)
    assert len(first.context["messages_"]) == 30
    assert first.context["next_before"] == made[5].pk

    older = browser.get(INBOX, {"before": first.context["next_before"]})
    assert [n.pk for n, _ in older.context["messages_"]] == [m.pk for m in reversed(made[:5])]
    assert older.context["next_before"] is None


@pytest.mark.usefixtures("demo_case_type")
def test_a_case_message_links_to_the_page_the_applicant_can_open(browser, resident, resident_user):
    case = submitted_case(resident)
    message = Notification.objects.get(recipient=resident_user)

    response = browser.post(reverse("notifications:open", args=[message.pk]), follow=True)

    assert response.status_code == 200
    assert case.reference in html(response)
    assert services.case_recipients(case) == [resident_user]
