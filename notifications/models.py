from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.phones import phone_mask

from .choices import Channel, DeliveryStatus


class NotificationTemplate(models.Model):
    """The wording of one kind of message, in Chinese and English, with {{ placeholders }} (Django syntax).

    Loaded with a default set by a data migration; an administrator reads and edits them in the admin.
    ``channels`` says which outside channels carry the message besides the in-app inbox.
    """

    key = models.CharField(_("标识"), max_length=64, unique=True)
    description = models.CharField(_("用途"), max_length=200, blank=True)
    title_zh = models.CharField(_("标题（中文）"), max_length=200)
    body_zh = models.TextField(_("正文（中文）"))
    title_en = models.CharField(_("标题（英文）"), max_length=200)
    body_en = models.TextField(_("正文（英文）"))
    send_sms = models.BooleanField(_("发送短信"), default=False)
    send_email = models.BooleanField(_("发送电子邮件"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user) -> NotificationQuerySet:  # type: ignore[no-untyped-def]
        """A user sees their own inbox and nobody else's, staff included. A message to a bare phone number
        (no recipient) is in nobody's inbox: whoever signs up with that number later did not get it as a user."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)


class Notification(models.Model):
    """One message to one user: their in-app inbox row and the outbox record for its deliveries.

    Written in the same transaction as the change that causes it; ``dedupe_key`` makes writing it twice
    (a retried request, two workers running one sweep) a no-op. The text is rendered from its template in
    the reader's language when it is shown or sent.

    A message to a phone with no account yet (an invitation to sign up) has ``phone`` instead of a
    recipient: it is only an outbox record for its SMS delivery, rendered in Chinese, and no inbox shows it.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("收件人"),
    )
    phone = models.CharField(_("短信号码"), max_length=20, blank=True, help_text=_("没有账户的收件人（E.164 格式）"))
    template = models.CharField(_("模板"), max_length=64)
    context = models.JSONField(_("内容参数"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notif_recipient_newest"),
            models.Index(fields=["recipient"], name="notif_recipient_unread", condition=models.Q(read_at__isnull=True)),
        ]
        constraints = [
            # Every message goes somewhere: a user's inbox, or (an invitation) a bare phone number.
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(phone=""), name="notification_has_addressee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_id or phone_mask(self.phone)}"


class Delivery(models.Model):
    """Sending one notification through one outside channel. A worker claims a pending row with a
    conditional update, sends, and marks it sent; on failure it is retried later with backoff, and after
    the last attempt marked failed. A row left in "sending" by a worker that died is taken up again by
    the sweeper once its lease has run out."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("消息")
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}"

    @property
    def idempotency_key(self) -> str:
        """Passed to the channel so that a gateway receiving a retry of the same delivery sends it once."""
        return f"yuean-delivery-{self.pk}"


class Reminder(models.Model):
    """A reminder that a scheduled sweep found due. Unique on (kind, subject, due date): a sweep run twice,
    or on two workers at once, records — and so sends — each reminder once."""

    kind = models.CharField(_("类型"), max_length=64)
    subject = models.CharField(_("对象"), max_length=100)
    due_date = models.DateField(_("日期"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("收件人")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject", "due_date"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.due_date}"
