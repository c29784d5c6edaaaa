"""Delivery channels. SMS goes through a pluggable backend named by settings.SMS_BACKEND.

A production backend wraps the carrier's gateway behind the same one-method interface; the console backend
prints, and the memory backend keeps messages in ``sms_outbox`` for tests (like django.core.mail.outbox).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


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
    """Keeps messages in ``notifications.channels.sms_outbox`` so tests can read the code that was sent."""

    def send(self, message: SmsMessage) -> None:
        sms_outbox.append(message)


def sms_send(*, phone: str, text: str) -> None:
    backend: BaseSmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(SmsMessage(phone=phone, text=text))
