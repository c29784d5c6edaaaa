from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. The person behind it, if a resident, is a residents.Resident linked to it (Resident is not
    User: children and tenants reported by a landlord have records but no login).

    The mobile number is the main way residents sign in; allauth reads and writes it through
    accounts.adapters.AccountAdapter. It is stored in E.164 form (+8613800138000).
    """

    phone = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("手机号已验证"), default=False)
    # The language messages are written in (the inbox, SMS, e-mail); follows the site's language switch.
    language = models.CharField(
        _("消息语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.username

    def has_role(self, role: str) -> bool:
        """Whether the user belongs to the Group of that role; cached per instance with the group list."""
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True)) if self.pk else set()
        return role in self._role_names
