"""How a logged-in user is named on the pages (allauth's ACCOUNT_USER_DISPLAY)."""

from django.core.exceptions import ObjectDoesNotExist

from .models import User
from .phones import phone_mask


def user_display(user: User) -> str:
    """The resident's name when they have a profile, else their masked number or e-mail; never the
    generated username, which means nothing to them."""
    try:
        return user.resident.name  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        pass
    if user.phone:
        return phone_mask(user.phone)
    return user.email or user.username
