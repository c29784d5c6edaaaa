from accounts.models import User

from .models import Notification


def notification_unread_count(user: User) -> int:
    # Bounded by one person's inbox (indexed on recipient), not a table-wide COUNT.
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()
