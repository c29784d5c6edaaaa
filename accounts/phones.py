"""Mobile numbers: one normal form (E.164) for storage, lookup and sending."""

import phonenumbers
from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError


def phone_normalize(raw: str) -> str:
    """Return the number in E.164 form; a bare 11-digit number is read as a mainland China mobile."""
    try:
        parsed = phonenumbers.parse(raw.strip(), "CN")
    except phonenumbers.NumberParseException as exc:
        raise DomainError("phone_invalid", _("请输入有效的手机号码，例如 13800138000。"), field="phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise DomainError("phone_invalid", _("请输入有效的手机号码，例如 13800138000。"), field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(phone: str) -> str:
    """How a number is shown to people: a mainland number without +86, others as stored."""
    return phone.removeprefix("+86") if phone else ""


def phone_mask(phone: str) -> str:
    """138****8000: enough to recognise one's own number, not enough to call it."""
    digits = phone.removeprefix("+86")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
