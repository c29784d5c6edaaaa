from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("居民服务")

    def ready(self) -> None:
        from . import reminders  # noqa: F401 — registers the reminder sweeps
