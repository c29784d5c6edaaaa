from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """allauth's login form, with the field named for what people type into it."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("手机号或电子邮箱")
        login.widget.attrs.update({"placeholder": _("例如 13800138000"), "autocomplete": "username"})


class SignupContactForm(forms.Form):
    """Base of allauth's signup forms, the web page's and the mobile API's alike (ACCOUNT_SIGNUP_FORM_CLASS).

    A resident signs up with a mobile number or an e-mail address: both are optional in
    ACCOUNT_SIGNUP_FIELDS, and this requires at least one.
    """

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if not self.errors and not cleaned.get("phone") and not cleaned.get("email"):
            raise forms.ValidationError(
                _("请填写手机号或电子邮箱，至少一项，用于登录和接收办理进度。"), code="contact_required"
            )
        return cleaned

    def signup(self, request, user) -> None:  # type: ignore[no-untyped-def]
        """allauth calls this after saving the user; the role is granted by the adapter's save_user."""
