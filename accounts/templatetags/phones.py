from django import template

from accounts.phones import phone_display as _phone_display

register = template.Library()


@register.filter
def phone_display(phone: str) -> str:
    return _phone_display(phone)
