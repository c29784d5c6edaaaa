"""The administrators' console for points rule sets: edit a draft with its indicators, publish it, copy a
published one into a new version. Published and retired rule sets are read-only; caseworkers only read."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_administrator
from yuean.errors import DomainError

from . import (
    permissions,  # noqa: F401 — registers the console's model permissions
    services,
)
from .models import Indicator, RuleSet


def _editable(obj: RuleSet | None) -> bool:
    return obj is None or obj.is_editable


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["sort_order", "key", "label_zh", "label_en", "category", "source", "unit_zh", "unit_en", "rule"]
    ordering = ["sort_order", "pk"]

    def has_add_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:  # type: ignore[override]
        return is_administrator(request.user) and _editable(obj)

    def has_change_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return is_administrator(request.user) and _editable(obj)

    def has_delete_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return is_administrator(request.user) and _editable(obj)

    def has_view_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return request.user.has_perm("points.view_indicator")


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["version", "year", "status", "published_at", "supersedes"]
    list_filter = ["status", "year"]
    ordering = ["-year", "-created_at"]
    inlines = [IndicatorInline]
    actions = ["publish", "succeed"]
    fields = [
        "year",
        "version",
        "status",
        "published_at",
        "supersedes",
        "category_caps",
        "tie_break_zh",
        "tie_break_en",
        "tie_break_keys",
    ]
    readonly_fields = ["status", "published_at", "supersedes"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        return super().get_queryset(request).select_related("supersedes")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("points.view_ruleset")

    def has_view_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return request.user.has_perm("points.view_ruleset")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        # The changelist asks without an object (actions need it); a published one is view-only.
        return is_administrator(request.user) and _editable(obj)

    def has_delete_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return is_administrator(request.user) and obj is not None and obj.is_editable

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        if change:
            services.rule_set_ensure_editable(obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        services.rule_set_ensure_editable(form.instance)
        super().save_formset(request, form, formset, change)

    @admin.action(description=_("发布"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for rule_set in queryset:
            try:
                services.rule_set_publish(actor=request.user, rule_set=rule_set)  # type: ignore[arg-type]
            except DomainError as error:
                self.message_user(request, f"{rule_set.version}：{error.message}", messages.ERROR)
            else:
                self.message_user(request, _("已发布 %(version)s") % {"version": rule_set.version})

    @admin.action(description=_("复制为新版本"), permissions=["change"])
    def succeed(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for rule_set in queryset:
            try:
                draft = services.rule_set_succeed(actor=request.user, rule_set=rule_set)  # type: ignore[arg-type]
            except DomainError as error:
                self.message_user(request, f"{rule_set.version}：{error.message}", messages.ERROR)
            else:
                self.message_user(request, _("已复制为新版本 %(version)s（草稿）") % {"version": draft.version})
