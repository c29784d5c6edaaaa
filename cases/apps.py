from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("申请办理")

    def ready(self) -> None:
        from . import (
            permissions,  # noqa: F401 — registers the console's rules
            reminders,  # noqa: F401 — registers the reminder sweeps
        )

        _audit_register()


def _audit_register() -> None:
    """The case engine's events and how their keys read; case types and documents as kinds of value."""
    from residents.audit import (
        DATETIME,
        TEXT,
        AuditKind,
        audit_event_types_register,
        audit_fields_register,
        audit_kind_register,
    )

    from .casetypes import case_document_labels, case_type_labels
    from .choices import CaseEvent

    audit_event_types_register(CaseEvent)
    audit_kind_register(AuditKind("case_type", case_type_labels))
    audit_kind_register(AuditKind("document", case_document_labels))
    audit_kind_register(AuditKind("documents", case_document_labels, many=True, of="document"))
    audit_fields_register(
        {
            "case_type": (_("业务类型"), "case_type"),
            "reference": (_("受理编号"), TEXT),
            "assigned_to": (_("经办人"), "user"),
            "due_at": (_("办结时限"), DATETIME),
            "missing_documents": (_("待补材料"), "documents"),
            "notice_note": (_("补正说明"), TEXT),
        }
    )
    audit_fields_register(
        {"kind": (_("材料"), "document"), "name": (_("文件名"), TEXT)}, event_type=CaseEvent.CASE_DOCUMENT_UPLOADED
    )
