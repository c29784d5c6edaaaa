from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("出租房屋与住房保障")

    def ready(self) -> None:
        # Affordable rental housing: its case type, and its admin (admin.autodiscover imports only `admin`
        # modules, and housing/admin.py belongs to the rental-property console).
        from cases.casetypes import case_type_register
        from residents.audit import audit_event_types_register

        from . import reminders  # noqa: F401 — registers the reminder sweeps
        from .affordable import admin as affordable_admin  # noqa: F401 — registers the project and waiting-list admins
        from .affordable.casetype import AFFORDABLE_HOUSING_CASE_TYPE
        from .choices import HousingEvent

        case_type_register(AFFORDABLE_HOUSING_CASE_TYPE)
        audit_event_types_register(HousingEvent)
