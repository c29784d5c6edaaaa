from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Administrators manage logins and roles (groups) here; caseworkers' streets are under 专管员."""

    list_display = ["username", "phone", "email", "is_staff", "is_active", "last_login"]
    search_fields = ["username", "phone", "email"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("手机号"), {"fields": ("phone", "phone_verified")}),
    )
