"""An SMS invitation to a phone with no account yet: an outbox row addressed to the number, with one SMS
delivery that is retried, backed off and swept like every other, written once per dedupe key, rendered in
Chinese and shown in nobody's inbox."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from kernel.errors import DomainError
from notifications.channels import BaseSmsBackend, SmsMessage
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification
from notifications.selectors import notification_list, notification_unread_count
from notifications.services import MAX_ATTEMPTS, deliveries_due, delivery_send, sms_invite

from ..conftest import api_as
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+8613812345678"
CONTEXT = {"name": "李明", "address": "塔山街道府河街 12 号 3 幢 402 室"}
INVITE_TEXT = (
    "【越安家】越安家邀请：李明您好，房东已为您申报入住 塔山街道府河街 12 号 3 幢 402 室，并办理了居住登记。"
    "请用本手机号注册越安家，完善居民档案，即可在线办理居住证等服务。"
)


def invite(phone: str = PHONE, key: str = "housing:invite:1") -> Notification:
    return sms_invite(phone=phone, template="housing.tenant_invited", context=CONTEXT, dedupe_key=key)


def sweep(now: datetime.datetime | None = None) -> int:
    return sum(delivery_send(delivery_id=i, now=now) for i in deliveries_due(now=now))


@pytest.fixture(autouse=True)
def _sent_by_the_sweep(settings):  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False


class FlakyGateway(BaseSmsBackend):
    """A carrier gateway that is down."""

    def send(self, message: SmsMessage) -> None:
        raise ConnectionError("gateway unreachable")


def test_an_invitation_is_an_outbox_row_for_the_phone_with_one_sms_delivery():
    message = invite()

    assert message.recipient is None
    assert message.phone == PHONE
    assert message.template == "housing.tenant_invited"
    [delivery] = message.deliveries.all()
    assert delivery.channel == Channel.SMS
    assert delivery.status == DeliveryStatus.PENDING


def test_a_bare_mainland_number_is_stored_in_the_one_normal_form():
    assert invite(phone="138 1234 5678").phone == PHONE


def test_a_number_that_is_no_phone_is_refused_and_nothing_is_written():
    with pytest.raises(DomainError) as refusal:
        invite(phone="12345")

    assert refusal.value.code == "phone_invalid"
    assert not Notification.objects.exists()


def test_the_sweep_texts_the_invitation_in_chinese_even_when_the_request_was_in_english(sms_outbox):
    with translation.override("en"):
        invite()
        assert sweep() == 1

    [sms] = sms_outbox
    assert sms.phone == PHONE
    assert sms.text == INVITE_TEXT
    assert sms.idempotency_key.startswith("yuean-delivery-")
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_the_same_dedupe_key_twice_writes_and_texts_once(sms_outbox):
    first = invite()
    second = invite()

    assert second.pk == first.pk
    assert Delivery.objects.count() == 1
    assert sweep() == 1
    assert sweep() == 0
    assert len(sms_outbox) == 1


def test_the_embedded_default_texts_right_after_commit_and_not_before(  # type: ignore[no-untyped-def]
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    with django_capture_on_commit_callbacks(execute=True):
        invite()
        assert sms_outbox == []

    assert [m.text for m in sms_outbox] == [INVITE_TEXT]
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_nothing_is_written_when_the_callers_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        invite()
        raise RuntimeError("the report that caused the invitation failed")

    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()


def test_a_gateway_outage_is_retried_with_backoff_and_given_up_after_the_last_attempt(settings, sms_outbox):
    settings.SMS_BACKEND = f"{__name__}.FlakyGateway"
    invite()
    now = timezone.now()

    assert sweep(now) == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at > now
    assert delivery.last_error == "ConnectionError: gateway unreachable"
    assert sweep(now) == 0  # not due again before its backoff has passed
    assert Delivery.objects.get().attempts == 1

    for _ in range(MAX_ATTEMPTS - 1):
        now += datetime.timedelta(hours=2)
        sweep(now)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert sms_outbox == []


def test_a_delivery_left_sending_by_a_dead_worker_is_texted_by_the_sweep(sms_outbox):
    invite()
    claimed_long_ago = timezone.now() - datetime.timedelta(hours=1)
    Delivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=claimed_long_ago, attempts=1)

    assert sweep() == 1
    assert [m.phone for m in sms_outbox] == [PHONE]


def test_an_invitation_is_in_nobodys_inbox_not_even_of_a_user_who_later_signs_up_with_that_number():
    invite()
    user = UserFactory(phone=PHONE)
    administrator = UserFactory(is_staff=True, is_superuser=True)

    for someone in (user, administrator):
        assert not notification_list(user=someone).exists()
        assert notification_unread_count(someone) == 0
    response = api_as(user).get("/api/v1/notifications/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_message_without_a_recipient_or_a_phone_cannot_be_written():
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(template="housing.tenant_invited", dedupe_key="nobody")
