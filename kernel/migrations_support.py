"""Helpers for migrations that move a model between apps without moving its table (docs/adr/0012)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def content_types_move(
    source: str, target: str, models: tuple[str, ...]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """RunPython functions (forward, backward) that give the moved models' ContentType rows the new app label,
    so permissions, admin log entries and audit events that point at them keep pointing at them."""

    def move(apps: Any, schema_editor: Any, frm: str, to: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        audit_event = apps.get_model("residents", "AuditEvent")
        db = schema_editor.connection.alias
        for model in models:
            old = content_type.objects.using(db).filter(app_label=frm, model=model).first()
            if old is None:
                continue  # a new database: post_migrate creates the row under the new label
            new = content_type.objects.using(db).filter(app_label=to, model=model).first()
            if new is None:
                old.app_label = to
                old.save(update_fields=["app_label"])
            else:  # both exist (post_migrate ran between two deploys): keep one, repoint the audit rows
                audit_event.objects.using(db).filter(content_type=old).update(content_type=new)
                old.delete()

    def forward(apps: Any, schema_editor: Any) -> None:
        move(apps, schema_editor, source, target)

    def backward(apps: Any, schema_editor: Any) -> None:
        move(apps, schema_editor, target, source)

    return forward, backward
