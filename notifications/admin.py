from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    show_full_result_count = False
    readonly_fields = ["recipient", "kind", "title", "body", "link", "dedupe_key", "created_at", "read_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
