from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = _("随迁子女入学")

    def ready(self) -> None:
        # The enrolment case type, and the reminder sweeps (admin.py is found by admin.autodiscover).
        from cases.casetypes import case_type_register
        from residents.audit import audit_event_types_register

        from . import reminders  # noqa: F401 — registers the reminder sweeps
        from .casetype import ENROLMENT_CASE_TYPE_DECLARATION
        from .choices import EnrolmentEvent

        case_type_register(ENROLMENT_CASE_TYPE_DECLARATION)
        audit_event_types_register(EnrolmentEvent)
