"""Delivery channels. SMS goes through a pluggable backend named by settings.SMS_BACKEND.

A production backend wraps the carrier's gateway behind the same one-method interface; the console backend
prints, and the memory backend keeps messages in ``sms_outbox`` for tests (like django.core.mail.outbox).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    # Set for outbox deliveries: a gateway that receives the same key twice sends once.
    idempotency_key: str = ""


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints each message: the demo's way to read a verification code."""

    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[SMS → {message.phone}] {message.text}\n")
        sys.stdout.flush()


sms_outbox: list[SmsMessage] = []


class MemorySmsBackend(BaseSmsBackend):
    """Keeps messages in ``notifications.channels.sms_outbox`` so tests can read the code that was sent.

    Like a real gateway, it accepts a message whose idempotency key it has seen before without sending it
    again.
    """

    def send(self, message: SmsMessage) -> None:
        if message.idempotency_key and any(m.idempotency_key == message.idempotency_key for m in sms_outbox):
            return
        sms_outbox.append(message)


def sms_send(*, phone: str, text: str, idempotency_key: str = "") -> None:
    backend: BaseSmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(SmsMessage(phone=phone, text=text, idempotency_key=idempotency_key))


def email_send(*, address: str, subject: str, body: str, idempotency_key: str = "") -> None:
    """Send through Django's mail backend. The Message-ID is derived from the key, so a receiving server
    can recognise a retry of the same delivery."""
    from django.core.mail import EmailMessage

    headers = {"Message-ID": f"<{idempotency_key}@yuean>"} if idempotency_key else {}
    EmailMessage(subject=subject, body=body, to=[address], headers=headers).send(fail_silently=False)
