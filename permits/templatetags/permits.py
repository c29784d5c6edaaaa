"""What other apps' pages show of permits without importing them (the residence page lists the permit types)."""

from django import template
from django.db.models import QuerySet

from permits.models import PermitType
from permits.selectors import permit_types_offered as _offered

register = template.Library()


@register.simple_tag
def permit_types_offered() -> QuerySet[PermitType]:
    """``{% permit_types_offered as permit_types %}``: the permit types open to applications, as published."""
    return _offered()
