from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_administrator
from accounts.phones import phone_mask
from kernel.paginators import EstimatedCountPaginator

from .models import Delivery, Notification, NotificationTemplate


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    """Administrators read and edit the wording of every message, in both languages."""

    list_display = ["key", "description", "title_zh", "send_sms", "send_email", "updated_at"]
    search_fields = ["key", "title_zh", "title_en"]
    readonly_fields = ["key", "updated_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: NotificationTemplate | None = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: NotificationTemplate | None = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a template is used by code; new keys come with the code that sends them

    def has_delete_permission(self, request: HttpRequest, obj: NotificationTemplate | None = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """For administrators tracing whether a message went out; the text itself lives in the templates."""

    list_display = ["created_at", "addressee", "template", "read_at"]
    list_filter = ["template"]
    list_select_related = ["recipient"]
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    fields = ["recipient", "masked_phone", "template", "context", "link", "dedupe_key", "created_at", "read_at"]
    readonly_fields = fields
    inlines = [DeliveryInline]

    @admin.display(description=_("收件人"))
    def addressee(self, obj: Notification) -> str:
        """The user, or for an invitation to someone without an account the number it was texted to (masked)."""
        return str(obj.recipient) if obj.recipient_id else phone_mask(obj.phone)

    @admin.display(description=_("短信号码"))
    def masked_phone(self, obj: Notification) -> str:
        return phone_mask(obj.phone) if obj.phone else "-"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False
