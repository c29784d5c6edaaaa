from rest_framework import serializers

from ..models import Notification
from ..services import notification_render


class NotificationOutputSerializer(serializers.ModelSerializer):
    """A message rendered in the language of the request (Accept-Language or the site's choice)."""

    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "template", "title", "body", "link", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def _rendered(self, notification: Notification):  # type: ignore[no-untyped-def]
        cache = self.context.setdefault("rendered", {})
        if notification.pk not in cache:
            cache[notification.pk] = notification_render(notification, templates=self.context.get("templates"))
        return cache[notification.pk]

    def get_title(self, notification: Notification) -> str:
        return self._rendered(notification).title

    def get_body(self, notification: Notification) -> str:
        return self._rendered(notification).body

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None
