"""Writes on logins and roles."""

from django.contrib.auth.models import Group

from .models import User


def user_role_grant(*, user: User, role: str) -> None:
    """Put the user in the Group of the role (idempotent)."""
    user.groups.add(Group.objects.get(name=role))
    if hasattr(user, "_role_names"):
        del user._role_names


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language the user chose on the site, for the messages sent to them."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
