"""The in-app inbox: a message is written once per dedupe key, and only its recipient reads or marks it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from notifications.models import Delivery, Notification
from notifications.selectors import notification_list, notification_unread_count
from notifications.services import notification_mark_all_read, notification_mark_read, notify

from ..conftest import api_as
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = {"case_type": "居住证", "reference": "JZ-2026-000001", "due_date": "2026-12-15"}


def send(recipient: User, key: str, template: str = "case.submitted") -> Notification:
    return notify(recipient=recipient, template=template, context=CONTEXT, dedupe_key=key, link="/me/")


# --- writing ------------------------------------------------------------------------------------------


def test_a_message_with_a_known_dedupe_key_is_written_once(resident_user):
    first = send(resident_user, "case:1:submitted")
    deliveries = Delivery.objects.count()

    again = send(resident_user, "case:1:submitted")

    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == deliveries  # nothing is queued to be sent twice


def test_messages_with_different_keys_are_all_kept(resident_user):
    send(resident_user, "case:1:submitted")
    send(resident_user, "case:2:submitted")

    assert Notification.objects.filter(recipient=resident_user).count() == 2


def test_the_second_write_does_not_change_the_first_message(resident_user):
    first = send(resident_user, "case:1:submitted")

    notify(recipient=resident_user, template="case.approved", context={}, dedupe_key="case:1:submitted")

    first.refresh_from_db()
    assert first.template == "case.submitted"
    assert first.context == CONTEXT


def test_a_message_queues_sms_and_e_mail_when_the_recipient_has_them(resident_user):
    message = send(resident_user, "case:1:submitted")  # the template goes out by SMS and e-mail

    assert sorted(message.deliveries.values_list("channel", flat=True)) == ["email", "sms"]


def test_no_e_mail_is_queued_for_a_recipient_without_an_address():
    user = UserFactory(email="")

    message = send(user, "case:1:submitted")

    assert list(message.deliveries.values_list("channel", flat=True)) == ["sms"]


# --- reading and marking ------------------------------------------------------------------------------


def test_the_unread_count_counts_only_ones_own_unread_messages(resident_user, other_user):
    send(resident_user, "a")
    send(resident_user, "b")
    send(other_user, "c")

    assert notification_unread_count(resident_user) == 2
    assert notification_unread_count(other_user) == 1


def test_marking_a_message_read_lowers_the_count_once(resident_user):
    message = send(resident_user, "a")
    send(resident_user, "b")

    assert notification_mark_read(recipient=resident_user, notification_id=message.pk) == 1
    assert notification_mark_read(recipient=resident_user, notification_id=message.pk) == 0

    message.refresh_from_db()
    assert message.read_at is not None
    assert notification_unread_count(resident_user) == 1


def test_nobody_can_mark_somebody_elses_message_read(resident_user, other_user, caseworker, administrator):
    message = send(resident_user, "a")

    for stranger in (other_user, caseworker, administrator):
        assert notification_mark_read(recipient=stranger, notification_id=message.pk) == 0

    message.refresh_from_db()
    assert message.read_at is None
    assert notification_unread_count(resident_user) == 1


def test_marking_all_read_touches_only_ones_own_inbox(resident_user, other_user):
    send(resident_user, "a")
    send(resident_user, "b")
    theirs = send(other_user, "c")

    assert notification_mark_all_read(recipient=resident_user) == 2

    assert notification_unread_count(resident_user) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_lists_only_ones_own_messages_newest_first(resident_user, other_user, administrator):
    older = send(resident_user, "a")
    newer = send(resident_user, "b")
    send(other_user, "c")

    assert list(notification_list(user=resident_user)) == [newer, older]
    assert list(notification_list(user=administrator)) == []


def test_an_anonymous_visitor_has_no_inbox(resident_user):
    send(resident_user, "a")

    assert list(notification_list(user=AnonymousUser())) == []
    assert notification_unread_count(AnonymousUser()) == 0


# --- the inbox through the API ------------------------------------------------------------------------


def test_the_api_inbox_shows_ones_own_messages_rendered(resident_user, other_user):
    mine = send(resident_user, "a")
    send(other_user, "b")

    response = api_as(resident_user).get("/api/v1/notifications/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["title"] == "申请已受理"
    assert "JZ-2026-000001" in rows[0]["body"]
    assert rows[0]["is_read"] is False


def test_somebody_elses_message_is_404_through_the_api(resident_user, other_user):
    message = send(resident_user, "a")
    client = api_as(other_user)

    assert client.get(f"/api/v1/notifications/{message.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{message.pk}/read/").status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_reading_and_counting_through_the_api(resident_user):
    message = send(resident_user, "a")
    send(resident_user, "b")
    client = api_as(resident_user)

    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    assert client.post(f"/api/v1/notifications/{message.pk}/read/").json()["is_read"] is True
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_the_api_inbox_needs_a_login():
    assert api_as(None).get("/api/v1/notifications/").status_code == 401


def test_the_inbox_page_costs_the_same_for_3_or_30_messages(resident_user, django_assert_num_queries):
    for n in range(3):
        send(resident_user, f"few-{n}", template="case.submitted" if n % 2 else "case.approved")
    with CaptureQueriesContext(connection) as few:
        assert len(api_as(User.objects.get(pk=resident_user.pk)).get("/api/v1/notifications/").json()["results"]) == 3

    for n in range(27):
        send(resident_user, f"many-{n}", template="case.submitted" if n % 2 else "case.approved")
    with django_assert_num_queries(len(few.captured_queries)):
        response = api_as(User.objects.get(pk=resident_user.pk)).get("/api/v1/notifications/")
        assert len(response.json()["results"]) == 30
