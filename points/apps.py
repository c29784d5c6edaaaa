from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("积分")

    def ready(self) -> None:
        from cases.casetypes import case_type_register

        from .casetype import POINTS_CASE_TYPE_DEFINITION

        case_type_register(POINTS_CASE_TYPE_DEFINITION)
        _audit_fields()


def _audit_fields() -> None:
    """The points events, and how the case's history reads them (item decisions, the score, objections)."""
    from residents.audit import TEXT, YES_NO, audit_event_types_register, audit_fields_register

    from .choices import ItemStatus, PointsEvent

    audit_event_types_register(PointsEvent)

    item = (_("积分项目"), TEXT)
    audit_fields_register(
        {
            "item": item,
            "decision": (_("核定结果"), ItemStatus),
            "value": (_("认定的值"), TEXT),
            "reason": (_("理由"), TEXT),
        },
        event_type="points.item_verified",
    )
    audit_fields_register(
        {"total": (_("总分"), TEXT), "eligible": (_("具备积分资格"), YES_NO), "rule_set": (_("积分规则版本"), TEXT)},
        event_type="points.scored",
    )
    audit_fields_register({"items": (_("异议项目"), TEXT)}, event_type="points.objection_filed")
    audit_fields_register(
        {"declared": (_("申报内容"), TEXT), "rule_set": (_("积分规则版本"), TEXT), "round": (_("申报期"), TEXT)},
        event_type="points.application_changed",
    )
