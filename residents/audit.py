"""The registry of audit event types, and of how their stored keys read in a timeline.

``AuditEvent.event_type`` is a plain string, not a database choice list: each app declares its events as
``TextChoices`` in its own ``choices.py`` and registers them in its ``AppConfig.ready`` with
``audit_event_types_register``, so a new event needs no migration of residents. A service that writes an
unregistered type is refused (``audit_event_type_check``): a typo never reaches the append-only table.

Services store old and new values under their own keys ({"valid_until": "2027-03-31"}, {"community": 12}).
An app says how its keys read (a label and a kind of value) with ``audit_fields_register``, and how a kind
of its own is named (a permit type's key, a case type) with ``audit_kind_register``: given every value of
that kind in a timeline, a function answers their names at once, so a longer history costs no more queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils.functional import Promise

# Kinds of value formatted on their own.
TEXT, DATE, DATETIME, YES_NO = "text", "date", "datetime", "yes_no"

# A field: its label, and its kind (a registered kind's name, one of the above, or the TextChoices whose
# label the stored value is).
FieldKind = str | type[TextChoices]
FieldSpec = tuple[Promise | str, FieldKind]


@dataclass(frozen=True)
class AuditKind:
    """A kind of stored value that names something: ``names`` answers the display names of a set of values
    (ids, keys) in one go. ``many``: the stored value is a list of such values."""

    key: str
    names: Callable[[set[Any]], dict[Any, str]]
    many: bool = False
    # The kind whose names a list kind uses (REGIONS lists REGION ids); defaults to its own.
    of: str | None = None


_EVENT_TYPES: dict[str, Promise | str] = {}
FIELDS: dict[str, FieldSpec] = {}
EVENT_FIELDS: dict[str, dict[str, FieldSpec]] = {}
KINDS: dict[str, AuditKind] = {}


def audit_event_types_register(choices: type[TextChoices]) -> None:
    """Register an app's events (its TextChoices of "app.event" values and their labels)."""
    for value, label in zip(choices.values, choices.labels, strict=True):
        _EVENT_TYPES[value] = label


def audit_event_type_check(event_type: str) -> None:
    if event_type not in _EVENT_TYPES:
        raise ValueError(f"Unknown audit event type {event_type!r}: declare it in the app's choices and register it.")


def audit_event_type_label(event_type: str) -> str:
    """The event's label in the active language; an event type since retired shows its stored name."""
    label = _EVENT_TYPES.get(event_type)
    return str(label) if label is not None else event_type


def audit_event_types() -> list[tuple[str, str]]:
    """Every registered (value, label), for filters."""
    return [(value, str(label)) for value, label in _EVENT_TYPES.items()]


def audit_fields_register(fields: dict[str, FieldSpec], *, event_type: str | None = None) -> None:
    """How an app's keys read. With ``event_type``, keys that mean something else in that event than in
    general (an upload's "kind" is a document, not a kind of anything else)."""
    if event_type is None:
        FIELDS.update(fields)
    else:
        EVENT_FIELDS[event_type] = {**EVENT_FIELDS.get(event_type, {}), **fields}


def audit_kind_register(kind: AuditKind) -> None:
    KINDS[kind.key] = kind


def audit_field(event_type: str, key: str) -> tuple[str, FieldKind]:
    label, kind = EVENT_FIELDS.get(event_type, {}).get(key) or FIELDS.get(key) or (key, TEXT)
    return str(label), kind


def audit_position(event_type: str, key: str) -> tuple[int, str]:
    """Where a key comes in the cell: the event's own keys, then the order the fields were registered in
    (what a thing is before what it became), then unknown keys by name. The stored order is no guide:
    PostgreSQL keeps a JSON object's keys sorted by length."""
    own = list(EVENT_FIELDS.get(event_type, {}))
    if key in own:
        return own.index(key), key
    if key in FIELDS:
        return len(own) + list(FIELDS).index(key), key
    return len(own) + len(FIELDS), key


def audit_names(values_by_kind: dict[str, set[Any]]) -> dict[str, dict[Any, str]]:
    """The names of the values of each named kind: one call (at most one query) per kind."""
    return {kind: KINDS[kind].names(values) if values else {} for kind, values in values_by_kind.items()}


def audit_kind_of(kind: FieldKind) -> AuditKind | None:
    return KINDS.get(kind) if isinstance(kind, str) else None


def audit_values_wanted(events: Iterable[Any]) -> dict[str, set[Any]]:
    """Every value of a named kind in the events, grouped by the kind that names it."""
    wanted: dict[str, set[Any]] = {}
    for event in events:
        for values in (event.old_values or {}, event.new_values or {}):
            for key, value in values.items():
                kind = audit_kind_of(audit_field(event.event_type, key)[1])
                if kind is None:
                    continue
                bucket = wanted.setdefault(kind.of or kind.key, set())
                if kind.many and isinstance(value, list):
                    bucket.update(v for v in value if isinstance(v, int | str))
                elif not kind.many and isinstance(value, int | str) and value != "":
                    bucket.add(value)
    return wanted
