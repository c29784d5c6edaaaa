"""Loading default message wordings from a data migration (each app ships the wording of its own messages).

Works on the historical model the migration passes in, so it stays valid as NotificationTemplate changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import migrations

# key, description, title_zh, body_zh, title_en, body_en, send_sms, send_email
TemplateRow = tuple[str, str, str, str, str, str, bool, bool]


def templates_load_operation(rows: Sequence[TemplateRow]) -> migrations.RunPython:
    """A RunPython that adds the missing templates (an administrator's edits are kept) and, reversed, removes them."""

    def load(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
        for key, description, title_zh, body_zh, title_en, body_en, sms, email in rows:
            NotificationTemplate.objects.get_or_create(
                key=key,
                defaults={
                    "description": description, "title_zh": title_zh, "body_zh": body_zh, "title_en": title_en,
                    "body_en": body_en, "send_sms": sms, "send_email": email,
                },
            )  # fmt: skip

    def unload(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        keys = [row[0] for row in rows]
        apps.get_model("notifications", "NotificationTemplate").objects.filter(key__in=keys).delete()

    return migrations.RunPython(load, unload)
