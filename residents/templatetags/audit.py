"""The 变化 column of the console's audit timelines: what an event changed, in words a caseworker reads.

How each key reads is registered by the app that writes it (residents.audit); a key not registered still
shows, under its stored name, so no event's change is hidden by omission. Names of regions, users and the
other kinds are looked up once per kind for the whole timeline.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.db.models import TextChoices
from django.utils import dateformat, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from residents.audit import (
    DATETIME,
    YES_NO,
    FieldKind,
    audit_field,
    audit_kind_of,
    audit_names,
    audit_position,
    audit_values_wanted,
)
from residents.models import AuditEvent

register = template.Library()

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


def _readable(value: Any, kind: FieldKind, names: dict[str, dict[Any, str]]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(kind, type):
        return _choice_label(kind, value)
    separator = "、"
    named = audit_kind_of(kind)
    if named is not None:
        known = names.get(named.of or named.key, {})
        if named.many:
            return separator.join(known.get(v, str(v)) for v in value) if isinstance(value, list) else str(value)
        return known.get(value, str(value)) if isinstance(value, int | str) else str(value)
    formats: dict[str, Callable[[Any], str]] = {
        YES_NO: lambda v: _("是") if v else _("否"),
        DATETIME: _local_datetime,
    }
    if kind in formats:
        return formats[kind](value)
    if isinstance(value, list):
        value = separator.join(str(item) for item in value)
    return Truncator(str(value)).chars(TEXT_MAX)


def _changes(event: AuditEvent, names: dict[str, dict[Any, str]]) -> list[AuditChange]:
    old, new = event.old_values or {}, event.new_values or {}
    keys = sorted({*old, *new} - HIDDEN, key=lambda key: audit_position(event.event_type, key))
    changes = []
    for key in keys:
        label, kind = audit_field(event.event_type, key)
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
    names = audit_names(audit_values_wanted(events))
    return [AuditRow(event=event, changes=_changes(event, names)) for event in events]

