from django import template

from ..choices import CaseStatus

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """A case status as people read it ("已受理"), not as it is stored ("submitted")."""
    try:
        return str(CaseStatus(value).label)
    except ValueError:
        return value or ""
