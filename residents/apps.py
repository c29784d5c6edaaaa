from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("居民服务")

    def ready(self) -> None:
        from . import reminders  # noqa: F401 — registers the reminder sweeps
        from .casetypes import case_type_register
        from .services import PERMIT_CASE_TYPES

        for case_type in PERMIT_CASE_TYPES:
            case_type_register(case_type)
