"""Writes on notifications. Callers pass a recipient, a kind and already-translated text; this module
imports no domain app (ARCHITECTURE.md: notifications is a service every app calls)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Notification


def notification_create(
    *, recipient: User, kind: str, title: str, body: str = "", link: str = "", dedupe_key: str
) -> Notification:
    """Put a message in the recipient's inbox once; a second call with the same key returns the first."""
    with transaction.atomic():
        notification, _created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={"recipient": recipient, "kind": kind, "title": title, "body": body, "link": link},
        )
    return notification


def notification_mark_read(*, recipient: User, notification_id: int) -> int:
    """Mark one of the recipient's own messages read; returns how many rows changed (0 or 1)."""
    return Notification.objects.filter(id=notification_id, recipient=recipient, read_at__isnull=True).update(
        read_at=timezone.now()
    )
