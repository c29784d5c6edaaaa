"""allauth adapter: phone numbers live on User.phone, codes go out through the SMS channel."""

from __future__ import annotations

import contextlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.utils.translation import gettext as _

from kernel.errors import DomainError
from notifications.channels import sms_send

from .choices import Role
from .models import User
from .phones import phone_normalize
from .services import user_role_grant


class AccountAdapter(DefaultAccountAdapter):
    def phone_form_field(self, **kwargs: Any) -> Any:
        # allauth's field demands E.164 (+8613800138000) before clean_phone runs; people type 13800138000
        # or 138 0013 8000, which clean_phone (phone_normalize) accepts and stores as E.164.
        kwargs.setdefault("validators", [])
        return super().phone_form_field(**kwargs)

    def clean_phone(self, phone: str) -> str:
        try:
            return phone_normalize(phone)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user: User, phone: str) -> None:
        self.set_phone(user, phone, True)

    def _get_login_attempts_cache_key(self, request, **credentials: Any) -> str:  # type: ignore[no-untyped-def]
        # allauth keys failed logins by e-mail or username only, so every phone login would share one empty
        # key and five wrong passwords on any number would lock all phone logins out: key them by the number.
        key = super()._get_login_attempts_cache_key(request, **credentials)
        phone = credentials.get("phone")
        if phone and not credentials.get("email") and not credentials.get("username"):
            with contextlib.suppress(DomainError):
                phone = phone_normalize(phone)
            key += f"phone:{phone}"
        return key

    def get_user_by_phone(self, phone: str) -> User | None:
        # The login form passes the number as typed (13800138000); stored numbers are E.164.
        try:
            phone = phone_normalize(phone)
        except DomainError:
            return None
        return User.objects.filter(phone=phone).order_by("pk").first()

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs: Any) -> None:
        sms_send(
            phone=phone,
            text=_("【越安家】您的验证码是 %(code)s，15 分钟内有效。请勿告诉他人。") % {"code": code},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        sms_send(phone=phone, text=_("【越安家】此手机号尚未注册。如需办理业务，请先注册账户。"))

    def send_account_already_exists_sms(self, phone: str) -> None:
        sms_send(phone=phone, text=_("【越安家】此手机号已注册，请直接登录；忘记密码可用验证码登录。"))

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Everyone who signs up on the public site is a resident; other roles are granted by staff.
            user_role_grant(user=user, role=Role.RESIDENT)
        return user
