"""The 变化 column of the console's audit timelines: what an event changed, in words a caseworker reads.

Services store old and new values under their own keys ({"valid_until": "2027-03-31", "late": true},
{"community": 12}). Each key known here has a label and a kind of value; ids of regions, users and permit types
are named with one query per kind for the whole timeline, so a longer history costs no more queries. A key not
listed still shows, under its stored name, so no event's change is hidden by omission.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.db.models import TextChoices
from django.utils import dateformat, timezone
from django.utils.functional import Promise
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from residents.casetypes import OTHER_DOCUMENT, case_type_get, case_types, localized_label
from residents.choices import DeliveryMethod, Education, GuardianRelation, RegistrationBasis, ReplacementReason
from residents.forms import permit_type_name
from residents.models import AuditEvent, PermitType, Region

register = template.Library()

# Kinds of value that name another row or a declared document: resolved in bulk.
REGION, REGIONS, USER, PERMIT_TYPE = "region", "regions", "user", "permit_type"
DOCUMENT, DOCUMENTS = "document", "documents"
# Kinds of value formatted on their own.
TEXT, DATE, DATETIME, YES_NO, CASE_TYPE = "text", "date", "datetime", "yes_no", "case_type"

# key → (label, kind, or the TextChoices whose label the stored value is).
FIELDS: dict[str, tuple[Promise, str | type[TextChoices]]] = {
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
    "community": (_("社区"), REGION),
    "street": (_("街道"), REGION),
    "address": (_("地址"), TEXT),
    "basis": (_("居住事由"), RegistrationBasis),
    "started_on": (_("入住日期"), DATE),
    "ended_on": (_("离开日期"), DATE),
    # cases
    "case_type": (_("业务类型"), CASE_TYPE),
    "reference": (_("受理编号"), TEXT),
    "assigned_to": (_("经办人"), USER),
    "due_at": (_("办结时限"), DATETIME),
    "missing_documents": (_("待补材料"), DOCUMENTS),
    "notice_note": (_("补正说明"), TEXT),
    # residence permits
    "number": (_("居住证号码"), TEXT),
    "permit_type": (_("居住证类型"), PERMIT_TYPE),
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
    # caseworkers
    "streets": (_("负责的街道"), REGIONS),
}

# Per event type, keys that mean something else there than in FIELDS.
EVENT_FIELDS: dict[str, dict[str, tuple[Promise, str | type[TextChoices]]]] = {
    "case.document_uploaded": {"kind": (_("材料"), DOCUMENT), "name": (_("文件名"), TEXT)},
}


def audit_fields_register(event_type: str, fields: dict[str, tuple[Promise, str | type[TextChoices]]]) -> None:
    """Another app's event keys and how to read them (it registers them in its AppConfig.ready, as it does its
    case types: residents knows nothing of the apps built on it)."""
    EVENT_FIELDS[event_type] = {**EVENT_FIELDS.get(event_type, {}), **fields}


# Kept in the row for the record, but nothing a caseworker reads: the status has its own display (kept as it
# always was), the time of submission or notice is the event's own time, a previous registration is the row
# above in the history, and a file's size in bytes says nothing about what was handed in.
HIDDEN = frozenset({"status", "submitted_at", "notice_sent_at", "registration", "size", "guardian"})

# Free text (an address, a note) is cut so one row stays a line or two; the full value is in the records.
TEXT_MAX = 60


@dataclass(frozen=True)
class AuditChange:
    label: str
    old: str | None  # None: the event records no earlier value (show "key: new")
    new: str


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    changes: list[AuditChange]


def _field(event: AuditEvent, key: str) -> tuple[str, str | type[TextChoices]]:
    label, kind = EVENT_FIELDS.get(event.event_type, {}).get(key) or FIELDS.get(key) or (key, TEXT)
    return str(label), kind


def _position(event: AuditEvent, key: str) -> tuple[int, str]:
    """Where a key comes in the cell: the event's own keys, then the order of FIELDS (what a thing is before
    what it became: the permit's number before its dates), then unknown keys by name. The stored order is no
    guide: PostgreSQL keeps a JSON object's keys sorted by length."""
    own = list(EVENT_FIELDS.get(event.event_type, {}))
    if key in own:
        return own.index(key), key
    if key in FIELDS:
        return len(own) + list(FIELDS).index(key), key
    return len(own) + len(FIELDS), key


def _names(events: list[AuditEvent]) -> dict[str, dict[Any, str]]:
    """The names of the regions, users, permit types and documents the events refer to: at most one query
    per kind, whatever the number of events."""
    wanted: dict[str, set[Any]] = {REGION: set(), USER: set(), PERMIT_TYPE: set(), DOCUMENT: set()}
    for event in events:
        for values in (event.old_values or {}, event.new_values or {}):
            for key, value in values.items():
                kind = _field(event, key)[1]
                if kind in (REGIONS, DOCUMENTS) and isinstance(value, list):
                    wanted[REGION if kind == REGIONS else DOCUMENT].update(value)
                elif isinstance(kind, str) and kind in wanted and isinstance(value, int | str) and value != "":
                    wanted[kind].add(value)
    names: dict[str, dict[Any, str]] = {REGION: {}, USER: {}, PERMIT_TYPE: {}, DOCUMENT: {}}
    if wanted[REGION]:
        names[REGION] = dict(Region.objects.filter(pk__in=wanted[REGION]).values_list("pk", "name"))
    if wanted[USER]:
        names[USER] = {user.pk: str(user) for user in User.objects.filter(pk__in=wanted[USER])}
    if wanted[PERMIT_TYPE]:
        permit_types = PermitType.objects.filter(key__in=wanted[PERMIT_TYPE])
        names[PERMIT_TYPE] = {permit_type.key: permit_type_name(permit_type) for permit_type in permit_types}
    if wanted[DOCUMENT]:
        names[DOCUMENT] = _document_labels(wanted[DOCUMENT])
    return names


def _document_labels(keys: set[str]) -> dict[str, str]:
    """Labels of document keys: the case types declare most; a permit's proofs are its type's, which an
    administrator writes (one query, only when a permit proof is left)."""
    declared = [OTHER_DOCUMENT, *(document for case_type in case_types() for document in case_type.documents)]
    labels = {document.key: str(document.label) for document in reversed(declared) if document.key in keys}
    if keys - labels.keys():
        for checklist in PermitType.objects.values_list("documents", flat=True):
            for item in checklist or []:
                if item.get("key") in keys and item["key"] not in labels:
                    labels[item["key"]] = str(localized_label(item.get("label_zh", ""), item.get("label_en", "")))
    return labels


def _local_datetime(value: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, "Y-m-d H:i")


def _choice_label(choices: type[TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _case_type_label(value: Any) -> str:
    try:
        return str(case_type_get(value).label)
    except LookupError:  # a case type since retired
        return str(value)


def _readable(value: Any, kind: str | type[TextChoices], names: dict[str, dict[Any, str]]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(kind, type):
        return _choice_label(kind, value)
    formats: dict[str, Callable[[Any], str]] = {
        YES_NO: lambda v: str(_("是")) if v else str(_("否")),
        DATETIME: _local_datetime,
        CASE_TYPE: _case_type_label,
        REGIONS: lambda v: "、".join(names[REGION].get(pk, str(pk)) for pk in v) if isinstance(v, list) else str(v),
        DOCUMENTS: lambda v: "、".join(names[DOCUMENT].get(k, str(k)) for k in v) if isinstance(v, list) else str(v),
    }
    if kind in formats:
        return formats[kind](value)
    if kind in names:
        return names[kind].get(value, str(value)) if isinstance(value, int | str) else str(value)
    if isinstance(value, list):
        value = "、".join(str(item) for item in value)
    return Truncator(str(value)).chars(TEXT_MAX)


def _changes(event: AuditEvent, names: dict[str, dict[Any, str]]) -> list[AuditChange]:
    old, new = event.old_values or {}, event.new_values or {}
    keys = sorted({*old, *new} - HIDDEN, key=lambda key: _position(event, key))
    changes = []
    for key in keys:
        label, kind = _field(event, key)
        changes.append(
            AuditChange(
                label=label,
                old=_readable(old[key], kind, names) if key in old else None,
                new=_readable(new.get(key), kind, names),
            )
        )
    return changes


@register.simple_tag
def audit_rows(timeline: Iterable[AuditEvent]) -> list[AuditRow]:
    """The timeline's events, each with its changes as label / old / new text: ``{% audit_rows timeline as rows %}``."""
    events = list(timeline)
    names = _names(events)
    return [AuditRow(event=event, changes=_changes(event, names)) for event in events]
