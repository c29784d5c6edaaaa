from django.db.models import QuerySet

from accounts.models import User

from .models import Notification


def notifications_visible_to(user: User) -> QuerySet[Notification]:
    """A user sees their own inbox and nobody else's, staff included."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def notification_unread_count(user: User) -> int:
    # Bounded by one person's inbox (indexed on recipient), not a table-wide COUNT.
    return notifications_visible_to(user).filter(read_at__isnull=True).count()
