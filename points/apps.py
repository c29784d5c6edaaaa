from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("积分")

    def ready(self) -> None:
        from residents.casetypes import case_type_register

        from .casetype import POINTS_CASE_TYPE_DEFINITION

        case_type_register(POINTS_CASE_TYPE_DEFINITION)
        _audit_fields()


def _audit_fields() -> None:
    """How the case's history reads the points events (item decisions, the score, objections)."""
    from residents.templatetags.audit import TEXT, YES_NO, audit_fields_register

    from .choices import ItemStatus

    item = (_("积分项目"), TEXT)
    audit_fields_register(
        "points.item_verified",
        {
            "item": item,
            "decision": (_("核定结果"), ItemStatus),
            "value": (_("认定的值"), TEXT),
            "reason": (_("理由"), TEXT),
        },
    )
    audit_fields_register(
        "points.scored",
        {"total": (_("总分"), TEXT), "eligible": (_("具备积分资格"), YES_NO), "rule_set": (_("积分规则版本"), TEXT)},
    )
    audit_fields_register("points.objection_filed", {"items": (_("异议项目"), TEXT)})
    audit_fields_register(
        "points.application_changed",
        {"declared": (_("申报内容"), TEXT), "rule_set": (_("积分规则版本"), TEXT), "round": (_("申报期"), TEXT)},
    )
