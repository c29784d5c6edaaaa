"""The outbox: writing notifications with their deliveries, sending them, and issuing reminders.

Callers pass a recipient, a template key and a context; this module imports no domain app. A request only
writes rows. Sending happens after commit: in-process on the embedded default, otherwise by the Celery
sweep (notifications.tasks.outbox_sweep), so a broker outage delays a message but never loses it.
"""

from __future__ import annotations

import datetime
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.functional import Promise

from accounts.models import User
from accounts.phones import phone_normalize

from .channels import email_send, sms_send
from .choices import Channel, DeliveryStatus
from .models import Delivery, Notification, NotificationTemplate, Reminder

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE = datetime.timedelta(seconds=30)
BACKOFF_CAP = datetime.timedelta(hours=1)
# A worker that claimed a delivery and has not finished within this time is presumed dead.
CLAIM_LEASE = datetime.timedelta(minutes=5)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


LANGUAGES = {"zh": "zh-hans", "en": "en"}


def _language_of(language: str | None) -> str:
    return "en" if (language or "").startswith("en") else "zh"


def bilingual(text: Promise | str | Iterable[Promise | str]) -> dict[str, str]:
    """A context value in both languages, so the message reads right whichever language its reader uses.

    Give a translatable string, or several (joined as a list is in each language). Callers use it for
    labels of their own (a case type, a document) because notifications cannot look them up later.
    """
    items = [text] if isinstance(text, str | Promise) else list(text)
    separators = {"zh": "、", "en": ", "}
    values = {}
    for short, code in LANGUAGES.items():
        with translation.override(code):
            values[short] = separators[short].join(str(item) for item in items)
    return values


def _in_language(value: Any, lang: str) -> Any:
    if isinstance(value, dict) and set(value) == set(LANGUAGES):
        return value[lang]
    return value


def notification_render(
    notification: Notification,
    *,
    language: str | None = None,
    templates: dict[str, NotificationTemplate] | None = None,
) -> RenderedMessage:
    """The message in the given language (the active one by default)."""
    lang = _language_of(language or translation.get_language())
    template = (templates or {}).get(notification.template) or NotificationTemplate.objects.filter(
        key=notification.template
    ).first()
    if template is None:  # a template removed by an administrator: still show something useful
        return RenderedMessage(title=notification.template, body="")
    context = Context({k: _in_language(v, lang) for k, v in notification.context.items()}, autoescape=False)
    title = Template(getattr(template, f"title_{lang}")).render(context)
    body = Template(getattr(template, f"body_{lang}")).render(context)
    return RenderedMessage(title=title.strip(), body=body.strip())


def notification_templates_for(notifications: Iterable[Notification]) -> dict[str, NotificationTemplate]:
    """The templates of a page of notifications, in one query."""
    keys = {n.template for n in notifications}
    return {t.key: t for t in NotificationTemplate.objects.filter(key__in=keys)}


def _deliveries_for(notification: Notification, template: NotificationTemplate | None) -> list[Delivery]:
    if notification.recipient_id is None:
        # A message to a bare phone number exists to be texted: its one delivery is the SMS.
        return [Delivery(notification=notification, channel=Channel.SMS)] if notification.phone else []
    recipient = notification.recipient
    deliveries = []
    if template is not None and template.send_sms and recipient.phone:
        deliveries.append(Delivery(notification=notification, channel=Channel.SMS))
    if template is not None and template.send_email and recipient.email:
        deliveries.append(Delivery(notification=notification, channel=Channel.EMAIL))
    return deliveries


def notify(*, recipient: User, template: str, context: dict[str, Any], dedupe_key: str, link: str = "") -> Notification:
    """Write a message to the recipient's inbox, with its SMS and e-mail deliveries, in the caller's
    transaction. Writing the same dedupe key again returns the first message and sends nothing more."""
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={"recipient": recipient, "template": template, "context": context, "link": link},
        )
        if created:
            tpl = NotificationTemplate.objects.filter(key=template).first()
            deliveries = Delivery.objects.bulk_create(_deliveries_for(notification, tpl))
            _send_after_commit([d.pk for d in deliveries])
    return notification


def sms_invite(*, phone: str, template: str, context: dict[str, Any], dedupe_key: str) -> Notification:
    """Text someone who has no account yet (a tenant a landlord reported, invited to sign up).

    The message is an outbox row addressed to the phone number, with one SMS delivery that is retried, backed
    off and swept like every other; it is rendered in Chinese (the reader has no language setting) and shown
    in no inbox. Writing the same dedupe key again returns the first message and texts nothing more. Sent
    after commit on the embedded default, by the Celery sweep otherwise.
    """
    phone = phone_normalize(phone or "")
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key, defaults={"phone": phone, "template": template, "context": context}
        )
        if created:
            deliveries = Delivery.objects.bulk_create(_deliveries_for(notification, None))
            _send_after_commit([d.pk for d in deliveries])
    return notification


def _send_after_commit(delivery_ids: list[int]) -> None:
    """On the embedded default (tasks in-process) send right after commit; otherwise leave the rows for
    the Celery sweep, so that a request never talks to the broker."""
    if delivery_ids and settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: [delivery_send(delivery_id=i) for i in delivery_ids])


def notification_mark_read(*, recipient: User, notification_id: int) -> int:
    """Mark one of the recipient's own messages read; returns how many rows changed (0 or 1)."""
    return (
        Notification.objects.visible_to(recipient)
        .filter(id=notification_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def notification_mark_all_read(*, recipient: User) -> int:
    return Notification.objects.visible_to(recipient).filter(read_at__isnull=True).update(read_at=timezone.now())


def _backoff(attempts: int) -> datetime.timedelta:
    """Exponential backoff with up to 50% jitter, so that retries after an outage do not all arrive at once."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return delay * (1 + random.random() / 2)


def delivery_send(*, delivery_id: int, now: datetime.datetime | None = None) -> bool:
    """Claim one due delivery and send it. Returns True when this call sent it.

    The claim is a conditional update: of two workers given the same row, one changes it and the other
    finds nothing to do.
    """
    now = now or timezone.now()
    claimed = Delivery.objects.filter(id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("notification__recipient").get(id=delivery_id)
    notification, recipient = delivery.notification, delivery.notification.recipient
    # A message to a bare phone number has no reader's setting: Chinese, the district's language.
    language = recipient.language if recipient is not None else LANGUAGES["zh"]
    phone = recipient.phone if recipient is not None else notification.phone
    email = recipient.email if recipient is not None else ""
    try:
        message = notification_render(notification, language=language)
        if delivery.channel == Channel.SMS:
            if not phone:
                raise ValueError("recipient has no mobile number")
            brand = "[Yuean] {}: {}" if _language_of(language) == "en" else "【越安家】{}：{}"
            sms_send(
                phone=phone,
                text=brand.format(message.title, message.body),
                idempotency_key=delivery.idempotency_key,
            )
        else:
            if not email:
                raise ValueError("recipient has no e-mail address")
            email_send(
                address=email,
                subject=message.title,
                body=message.body,
                idempotency_key=delivery.idempotency_key,
            )
    except Exception as exc:  # any channel failure is retried; the row records why
        last = delivery.attempts >= MAX_ATTEMPTS
        Delivery.objects.filter(id=delivery_id, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.FAILED if last else DeliveryStatus.PENDING,
            next_attempt_at=now + _backoff(delivery.attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        logger.warning("delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, type(exc).__name__)
        return False
    Delivery.objects.filter(id=delivery_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def deliveries_due(*, now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Release deliveries whose worker died (lease expired), then list those due now."""
    now = now or timezone.now()
    Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now
    )
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


@dataclass(frozen=True)
class ReminderDue:
    """One reminder a sweep found due: who gets it, about what, for which date, and its message."""

    kind: str
    subject: str
    due_date: datetime.date
    recipient_id: int
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    link: str = ""

    @property
    def dedupe_key(self) -> str:
        return f"reminder:{self.kind}:{self.subject}:{self.due_date.isoformat()}"


@transaction.atomic
def reminders_issue(due: list[ReminderDue]) -> int:
    """Record reminders and their notifications and deliveries in a few set-wide statements.

    Idempotent: every insert skips rows that exist (unique constraints decide, also between two workers),
    so running a sweep again sends nothing twice. Returns the number of reminders newly recorded.
    """
    if not due:
        return 0
    keys = [(d.kind, d.subject, d.due_date) for d in due]
    existing_before = _reminders_existing(keys)
    Reminder.objects.bulk_create(
        [Reminder(kind=d.kind, subject=d.subject, due_date=d.due_date, recipient_id=d.recipient_id) for d in due],
        ignore_conflicts=True,
        batch_size=1000,
    )
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=d.recipient_id, template=d.template, context=d.context, link=d.link,
                dedupe_key=d.dedupe_key,
            )
            for d in due
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )  # fmt: skip
    templates = {t.key: t for t in NotificationTemplate.objects.filter(key__in={d.template for d in due})}
    fresh = (
        Notification.objects.filter(dedupe_key__in=[d.dedupe_key for d in due], deliveries__isnull=True)
        .select_related("recipient")
        .only("id", "template", "recipient__phone", "recipient__email")
    )
    fresh = list(fresh)
    deliveries = [x for n in fresh for x in _deliveries_for(n, templates.get(n.template))]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
    # ignore_conflicts leaves the objects without primary keys: read back the ids of what was inserted.
    if deliveries and settings.CELERY_TASK_ALWAYS_EAGER:
        _send_after_commit(
            list(
                Delivery.objects.filter(
                    notification_id__in=[n.pk for n in fresh], status=DeliveryStatus.PENDING
                ).values_list("id", flat=True)
            )
        )
    return len(due) - existing_before


def _reminders_existing(keys: list[tuple[str, str, datetime.date]]) -> int:
    """How many of these reminders were recorded before; one query per (kind, date), which is one per sweep."""
    groups: dict[tuple[str, datetime.date], list[str]] = {}
    for kind, subject, due_date in keys:
        groups.setdefault((kind, due_date), []).append(subject)
    return sum(
        Reminder.objects.filter(kind=kind, due_date=due_date, subject__in=subjects).count()
        for (kind, due_date), subjects in groups.items()
    )
