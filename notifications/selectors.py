from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.visible_to(user).order_by("-id")


def notification_unread_count(user: User) -> int:
    # Bounded by one person's inbox (a partial index on unread rows), not a table-wide COUNT.
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()
