from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermitsConfig(AppConfig):
    name = "permits"
    verbose_name = _("居住证")

    def ready(self) -> None:
        from cases.casetypes import case_type_register

        from . import (
            permissions,  # noqa: F401 — registers the console's rules
            reminders,  # noqa: F401 — registers the reminder sweeps
        )
        from .casetypes import PERMIT_CASE_TYPES

        for case_type in PERMIT_CASE_TYPES:
            case_type_register(case_type)
        _audit_register()


def _audit_register() -> None:
    """The permit events, how their keys read, and permit types as a kind of value."""
    from residents.audit import (
        DATE,
        TEXT,
        YES_NO,
        AuditKind,
        audit_event_types_register,
        audit_fields_register,
        audit_kind_register,
    )

    from .choices import DeliveryMethod, PermitEvent, ReplacementReason
    from .forms import permit_type_name
    from .models import PermitType

    audit_event_types_register(PermitEvent)
    audit_kind_register(
        AuditKind(
            "permit_type",
            lambda keys: {t.key: permit_type_name(t) for t in PermitType.objects.filter(key__in=keys)},
        )
    )
    audit_fields_register(
        {
            "number": (_("居住证号码"), TEXT),
            "permit_type": (_("居住证类型"), "permit_type"),
            "issued_on": (_("签发日期"), DATE),
            "valid_until": (_("有效期至"), DATE),
            "late": (_("逾期签注"), YES_NO),
            "continuity_restarted_on": (_("连续居住重新起算"), DATE),
            "card_serial": (_("证卡序号"), TEXT),
            "replacement_reason": (_("补领原因"), ReplacementReason),
            "delivery_method": (_("领取方式"), DeliveryMethod),
            "recipient_name": (_("收件人"), TEXT),
            "recipient_phone": (_("收件人电话"), TEXT),
            "delivery_address": (_("收件地址"), TEXT),
            "courier": (_("快递公司"), TEXT),
            "tracking_number": (_("快递单号"), TEXT),
        }
    )
