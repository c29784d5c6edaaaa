from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("居民服务")

    def ready(self) -> None:
        _audit_register()


def _audit_register() -> None:
    """Residents' own events, how their keys read, and the kinds of value every app may name (regions,
    users)."""
    from accounts.models import User

    from .audit import (
        DATE,
        TEXT,
        YES_NO,
        AuditKind,
        audit_event_types_register,
        audit_fields_register,
        audit_kind_register,
    )
    from .choices import AuditEventType, Education, GuardianRelation, RegistrationBasis
    from .models import Region

    audit_event_types_register(AuditEventType)
    audit_kind_register(
        AuditKind("region", lambda pks: dict(Region.objects.filter(pk__in=pks).values_list("pk", "name")))
    )
    audit_kind_register(AuditKind("regions", lambda pks: {}, many=True, of="region"))
    audit_kind_register(AuditKind("user", lambda pks: {user.pk: str(user) for user in User.objects.filter(pk__in=pks)}))
    audit_fields_register(
        {
            # the resident's profile
            "name": (_("姓名"), TEXT),
            "id_number": (_("身份证号"), TEXT),  # services store the masked form only
            "phone": (_("手机号"), TEXT),
            "hukou_address": (_("户籍地址"), TEXT),
            "education": (_("文化程度"), Education),
            "arrival_date": (_("来越日期"), DATE),
            "archived": (_("已归档"), YES_NO),
            "relation": (_("关系"), GuardianRelation),
            "sensitive_minor": (_("未满 14 周岁"), YES_NO),
            # residence registration
            "community": (_("社区"), "region"),
            "street": (_("街道"), "region"),
            "address": (_("地址"), TEXT),
            "basis": (_("居住事由"), RegistrationBasis),
            "started_on": (_("入住日期"), DATE),
            "ended_on": (_("离开日期"), DATE),
            # caseworkers
            "streets": (_("负责的街道"), "regions"),
        }
    )
