from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("出租房屋与住房保障")

    def ready(self) -> None:
        pass
