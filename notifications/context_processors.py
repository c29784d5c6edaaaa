from django.http import HttpRequest

from .selectors import notification_unread_count


def unread(request: HttpRequest) -> dict[str, object]:
    """The unread count for the header badge, computed only when a template asks for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    return {"unread_count": lambda: notification_unread_count(user)}
