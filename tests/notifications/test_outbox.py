"""The outbox: a message and its deliveries are written in the caller's transaction; workers send them after
commit, claim each once, retry with backoff and give up after the last attempt; a broker outage or a worker
killed mid-send delays a message but never loses or doubles it."""

from __future__ import annotations

import contextlib
import datetime
import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases import services as cases_services
from notifications import services
from notifications.channels import BaseSmsBackend, MemorySmsBackend, SmsMessage
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification, NotificationTemplate
from notifications.services import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    deliveries_due,
    delivery_send,
    notify,
)
from yuean import celery_app

from ..casework import PDF, bytes_upload, submitted_case
from ..conftest import api_as
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = {"case_type": "居住证", "reference": "JZ20250303000001", "due_date": "2025-03-18"}
HERE = __name__


def note(user, key: str = "k1", template: str = "case.submitted") -> Notification:  # type: ignore[no-untyped-def]
    return notify(recipient=user, template=template, context=CONTEXT, dedupe_key=key, link="/me/cases/")


def sweep(now: datetime.datetime | None = None) -> int:
    """What the Celery sweep does, in this process: every due delivery handed to delivery_send."""
    return sum(delivery_send(delivery_id=i, now=now) for i in deliveries_due(now=now))


def sms_to(outbox: list[SmsMessage], phone: str) -> list[SmsMessage]:
    return [m for m in outbox if m.phone == phone]


@pytest.fixture
def sms_only(db):  # type: ignore[no-untyped-def]
    return NotificationTemplate.objects.create(
        key="test.sms_only", title_zh="验证", body_zh="编号 {{ reference }}", title_en="Check",
        body_en="Number {{ reference }}", send_sms=True, send_email=False,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _sent_by_the_sweep(settings):  # type: ignore[no-untyped-def]
    # Production: requests only write rows; the Celery sweep sends them.
    settings.CELERY_TASK_ALWAYS_EAGER = False


# --- writing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send_sms", "send_email", "phone", "email", "channels"),
    [
        (True, True, "+8613900000001", "a@example.cn", ["email", "sms"]),
        (True, True, None, "a@example.cn", ["email"]),
        (True, True, "+8613900000001", "", ["sms"]),
        (False, True, "+8613900000001", "a@example.cn", ["email"]),
        (True, False, "+8613900000001", "a@example.cn", ["sms"]),
        (False, False, "+8613900000001", "a@example.cn", []),
    ],
)
def test_notify_writes_the_inbox_row_and_a_delivery_per_channel_the_template_and_recipient_allow(  # type: ignore[no-untyped-def]
    send_sms, send_email, phone, email, channels
):
    NotificationTemplate.objects.create(
        key="test.x", title_zh="标题", body_zh="正文", title_en="Title", body_en="Body",
        send_sms=send_sms, send_email=send_email,
    )  # fmt: skip
    user = UserFactory(phone=phone, email=email)

    message = notify(recipient=user, template="test.x", context={}, dedupe_key="x")

    assert Notification.objects.get() == message
    assert message.recipient == user
    assert sorted(message.deliveries.values_list("channel", flat=True)) == channels
    assert all(d.status == DeliveryStatus.PENDING and d.attempts == 0 for d in message.deliveries.all())


def test_an_unknown_template_still_reaches_the_inbox_without_outside_deliveries(resident_user):
    message = notify(recipient=resident_user, template="no.such.template", context={}, dedupe_key="x")

    assert message.deliveries.count() == 0
    assert services.notification_render(message).title == "no.such.template"


def test_nothing_is_written_when_the_callers_transaction_rolls_back(resident_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        note(resident_user)
        assert Notification.objects.count() == 1
        raise RuntimeError("the change that caused the message failed")

    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.usefixtures("demo_case_type")
def test_a_failed_case_transition_leaves_no_message(resident, resident_user, caseworker):
    case = submitted_case(resident)
    before = Notification.objects.count()

    failing = mock.patch.object(cases_services, "audit_record", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        cases_services.case_approve(actor=caseworker, case=case)

    assert Notification.objects.count() == before
    case.refresh_from_db()
    assert case.status == "submitted"


def test_the_same_dedupe_key_twice_writes_and_sends_once(resident_user, sms_outbox):
    first = note(resident_user)
    second = note(resident_user)

    assert second.pk == first.pk
    assert Delivery.objects.count() == 2
    assert sweep() == 2
    assert len(sms_outbox) == 1
    assert len(mail.outbox) == 1


# --- sending ------------------------------------------------------------------------------------------


def test_nothing_is_sent_until_the_sweep_runs(resident_user, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note(resident_user)

    assert callbacks == []  # the request never hands anything to the broker
    assert sms_outbox == []
    assert mail.outbox == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}

    assert sweep() == 2

    [sms] = sms_outbox
    assert sms.phone == resident_user.phone
    assert sms.text == (
        "【越安家】申请已受理：您的居住证申请已受理，受理编号 JZ20250303000001。我们将在 2025-03-18 前办结，"
        "可随时在“我的申请”中查看进度。"
    )
    [email] = mail.outbox
    assert email.to == [resident_user.email]
    assert email.subject == "申请已受理"
    assert "JZ20250303000001" in email.body
    assert email.extra_headers["Message-ID"].startswith("<yuean-delivery-")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert all(d.sent_at is not None for d in Delivery.objects.all())


def test_the_embedded_default_sends_right_after_commit(  # type: ignore[no-untyped-def]
    settings, resident_user, sms_outbox, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    with django_capture_on_commit_callbacks(execute=True):
        note(resident_user)
        assert sms_outbox == []  # not before the commit

    assert len(sms_outbox) == 1
    assert len(mail.outbox) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_the_send_notifications_command_sends_what_is_due(resident_user, sms_outbox, capsys):
    note(resident_user)

    call_command("send_notifications")

    assert "sent 2" in capsys.readouterr().out
    assert len(sms_outbox) == 1


def test_a_message_goes_out_in_the_recipients_language(sms_outbox):
    user = UserFactory(language="en")
    note(user)

    sweep()

    assert sms_outbox[0].text.startswith("[Yuean] Application received: Your 居住证 application has been received.")
    assert mail.outbox[0].subject == "Application received"
    assert "Reference number: JZ20250303000001" in mail.outbox[0].body


def test_the_claim_is_atomic_so_a_delivery_is_sent_once(resident_user, sms_outbox, sms_only):
    message = note(resident_user, template="test.sms_only")
    [delivery] = message.deliveries.all()

    assert delivery_send(delivery_id=delivery.pk) is True
    assert delivery_send(delivery_id=delivery.pk) is False

    assert len(sms_outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)


def test_two_workers_given_the_same_row_send_it_once(resident_user, sms_outbox, sms_only):
    [delivery] = note(resident_user, template="test.sms_only").deliveries.all()
    claims = []

    # The second worker's claim arrives while the first is sending: its conditional update finds nothing.
    class SlowGateway(BaseSmsBackend):
        def send(self, message: SmsMessage) -> None:
            claims.append(delivery_send(delivery_id=delivery.pk))
            MemorySmsBackend().send(message)

    with mock.patch("notifications.channels.import_string", return_value=SlowGateway):
        assert delivery_send(delivery_id=delivery.pk) is True

    assert claims == [False]
    assert len(sms_outbox) == 1


def test_a_delivery_not_yet_due_is_not_claimed(resident_user, sms_only):
    [delivery] = note(resident_user, template="test.sms_only").deliveries.all()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() + datetime.timedelta(minutes=1))

    assert delivery_send(delivery_id=delivery.pk) is False
    assert deliveries_due() == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


# --- failures and retries -----------------------------------------------------------------------------


class GatewayDown(BaseSmsBackend):
    def send(self, message: SmsMessage) -> None:
        raise ConnectionError("gateway unreachable")


def test_a_failed_send_is_retried_later_with_backoff(settings, resident_user, sms_only, sms_outbox):
    settings.SMS_BACKEND = f"{HERE}.GatewayDown"
    [delivery] = note(resident_user, template="test.sms_only").deliveries.all()
    now = timezone.now()

    assert delivery_send(delivery_id=delivery.pk, now=now) is False

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert now + BACKOFF_BASE <= delivery.next_attempt_at <= now + BACKOFF_BASE * 1.5
    assert delivery.last_error == "ConnectionError: gateway unreachable"
    assert deliveries_due(now=now) == []  # not again at once

    settings.SMS_BACKEND = "notifications.channels.MemorySmsBackend"
    assert sweep(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(sms_outbox) == 1


@pytest.mark.parametrize("attempts", range(1, 12))
def test_the_backoff_doubles_up_to_a_cap_with_at_most_half_again_of_jitter(attempts):
    expected = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)

    with mock.patch("notifications.services.random.random", return_value=0.0):
        assert services._backoff(attempts) == expected
    with mock.patch("notifications.services.random.random", return_value=0.999999):
        assert expected < services._backoff(attempts) < expected * 1.5
    for _ in range(20):
        assert expected <= services._backoff(attempts) <= expected * 1.5


def test_after_the_last_attempt_a_delivery_is_marked_failed(settings, resident_user, sms_only):
    settings.SMS_BACKEND = f"{HERE}.GatewayDown"
    [delivery] = note(resident_user, template="test.sms_only").deliveries.all()
    now = timezone.now()

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliveries_due(now=now) == [delivery.pk]
        assert delivery_send(delivery_id=delivery.pk, now=now) is False
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        now = delivery.next_attempt_at

    assert delivery.status == DeliveryStatus.FAILED
    assert deliveries_due(now=now + datetime.timedelta(days=30)) == []
    assert delivery_send(delivery_id=delivery.pk, now=now + datetime.timedelta(days=30)) is False


def test_a_recipient_who_lost_their_number_fails_the_sms_and_keeps_the_email(resident_user):
    message = note(resident_user)
    type(resident_user).objects.filter(pk=resident_user.pk).update(phone=None)

    assert sweep() == 1  # the e-mail

    sms = message.deliveries.get(channel=Channel.SMS)
    assert sms.status == DeliveryStatus.PENDING
    assert "no mobile number" in sms.last_error
    assert len(mail.outbox) == 1


# --- fault: the broker is unreachable -----------------------------------------------------------------


@contextlib.contextmanager
def celery_conf(**values):  # type: ignore[no-untyped-def]
    """Change the Celery app's own configuration (read from the settings once, at start-up) for a while."""
    before = {key: celery_app.conf[key] for key in values}
    celery_app.conf.update(values)
    try:
        yield
    finally:
        celery_app.conf.update(before)


@pytest.fixture
def broker_down(settings):  # type: ignore[no-untyped-def]
    """Nothing listens on port 1: any attempt to reach the broker would fail (or hang and time out)."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with (
        celery_conf(broker_url="redis://127.0.0.1:1/0", task_always_eager=False),
        mock.patch("notifications.tasks.delivery_send.delay", side_effect=AssertionError("request used broker")),
    ):
        yield


@pytest.mark.usefixtures("demo_case_type")
def test_a_submission_succeeds_while_the_broker_is_down_and_its_messages_wait(
    broker_down, resident, resident_user, django_capture_on_commit_callbacks, sms_outbox
):
    client = api_as(resident_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/cases/", {"case_type": "demo", "applicant": resident.pk}, format="json")
        assert response.status_code == 201
        case_url = f"/api/v1/cases/{response.json()['id']}/"
        for kind in ("id_card", "address_proof"):
            response = client.post(
                case_url + "documents/", {"kind": kind, "file": bytes_upload("a.pdf", PDF)}, format="multipart"
            )
            assert response.status_code == 201
        response = client.post(case_url + "submit/")

    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    receipt = Notification.objects.get(recipient=resident_user, template="case.submitted")
    assert sorted(d.channel for d in receipt.deliveries.all()) == ["email", "sms"]
    assert set(receipt.deliveries.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert sms_outbox == []


def wait_until(condition, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("demo_case_type")
def test_when_the_broker_is_back_the_celery_sweep_sends_each_message_once(
    settings, resident, resident_user, caseworker, sms_outbox
):
    from notifications.tasks import outbox_sweep

    # Given an application submitted and approved through the API while the broker was down (committed for
    # real: this test runs outside a wrapping transaction, so on-commit hooks fire and a worker thread sees
    # the rows)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with celery_conf(broker_url="redis://127.0.0.1:1/0", task_always_eager=False):
        applicant, staff = api_as(resident_user), api_as(caseworker)
        response = applicant.post("/api/v1/cases/", {"case_type": "demo", "applicant": resident.pk}, format="json")
        assert response.status_code == 201
        case_url = f"/api/v1/cases/{response.json()['id']}/"
        for kind in ("id_card", "address_proof"):
            upload = {"kind": kind, "file": bytes_upload("a.pdf", PDF)}
            assert applicant.post(case_url + "documents/", upload, format="multipart").status_code == 201
        assert applicant.post(case_url + "submit/").status_code == 200
        assert staff.post(case_url + "approve/").status_code == 200
    deliveries = list(Delivery.objects.all())
    assert len(deliveries) == 4  # receipt and approval, each by SMS and e-mail
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    assert sms_outbox == []

    # When the broker is back (the test Redis) and a real Celery worker runs the sweep — twice, as beat would
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    with (
        celery_conf(broker_url=settings.REDIS_URL, task_always_eager=False),
        start_worker(celery_app, perform_ping_check=False, shutdown_timeout=20),
    ):
        outbox_sweep.delay()
        assert wait_until(lambda: not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists())
        outbox_sweep.delay()
        time.sleep(1.0)

    # Then every delivery is sent, exactly once
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert len(sms_to(sms_outbox, resident_user.phone)) == 2
    assert len(mail.outbox) == 2
    assert sorted(m.subject for m in mail.outbox) == ["申请已受理", "申请已批准"]


# --- fault: a worker killed mid-send ------------------------------------------------------------------


class DiesAfterSending(BaseSmsBackend):
    """The gateway took the message, then the worker was killed before it could record that."""

    def send(self, message: SmsMessage) -> None:
        MemorySmsBackend().send(message)
        raise SystemExit("worker killed")


class DiesBeforeSending(BaseSmsBackend):
    """The worker was killed on its way to the gateway."""

    def send(self, message: SmsMessage) -> None:
        raise SystemExit("worker killed")


@pytest.mark.parametrize("backend", ["DiesAfterSending", "DiesBeforeSending"])
def test_a_worker_killed_mid_send_leaves_the_row_to_the_sweep_after_its_lease(  # type: ignore[no-untyped-def]
    backend, settings, resident_user, sms_only, sms_outbox
):
    settings.SMS_BACKEND = f"{HERE}.{backend}"
    [delivery] = note(resident_user, template="test.sms_only").deliveries.all()
    claimed_at = timezone.now()

    # The worker dies mid-send: the row stays claimed
    with pytest.raises(SystemExit):
        delivery_send(delivery_id=delivery.pk, now=claimed_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENDING, 1)

    # Before the lease runs out, the sweep leaves it alone (the worker may only be slow)
    assert deliveries_due(now=claimed_at + CLAIM_LEASE - datetime.timedelta(seconds=1)) == []
    assert delivery_send(delivery_id=delivery.pk, now=claimed_at + CLAIM_LEASE) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING

    # After it, the sweep releases the row and a live worker sends it
    settings.SMS_BACKEND = "notifications.channels.MemorySmsBackend"
    later = claimed_at + CLAIM_LEASE + datetime.timedelta(seconds=1)
    assert deliveries_due(now=later) == [delivery.pk]
    assert delivery_send(delivery_id=delivery.pk, now=later) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)

    # Either way the phone got the message exactly once (the gateway knows the idempotency key)
    assert [m.idempotency_key for m in sms_to(sms_outbox, resident_user.phone)] == [delivery.idempotency_key]
    assert deliveries_due(now=later + CLAIM_LEASE * 2) == []


def test_labels_given_in_both_languages_are_read_in_the_readers_language():
    chinese, english = UserFactory(language="zh-hans"), UserFactory(language="en")
    labels = [gettext_lazy("居住证"), gettext_lazy("其他材料")]
    context = {"case_type": services.bilingual(labels), "reference": "DM20250303000001"}
    for user in (chinese, english):
        notify(recipient=user, template="case.withdrawn", context=context, dedupe_key=f"both:{user.pk}")

    rendered = {
        n.recipient_id: services.notification_render(n, language=n.recipient.language)
        for n in Notification.objects.select_related("recipient")
    }

    assert "居住证、其他材料" in rendered[chinese.pk].body
    assert "Residence permit, Other documents" in rendered[english.pk].body
