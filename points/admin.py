"""The points console.

Administrators: rule sets (edit a draft with its indicators, publish it, copy a published one into a new version;
published and retired ones are read-only) and application rounds (积分申报期: dates, quota, the published rule set
they use; read-only once the ranking is published), with the button that publishes a round's ranking (公示排名,
then 公布最终排名) through points.services.points_ranking_publish.

Caseworkers: the review console (积分核定) — the queue of the points applications of their streets, and a review
page per application where each item is accepted, adjusted or rejected with a reason
(points.services.points_item_verify) and the review is completed (points.services.points_review_complete).
Status is never edited here; the generic case actions (one-time missing-documents notice, refusal with a reason)
stay on the case console (cases.admin), which the review page links to.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.network import client_ip
from accounts.permissions import is_administrator
from cases import selectors as cases_selectors
from cases.admin import StatusFilter
from cases.choices import CASE_PENDING_STATUSES, CaseStatus
from cases.models import Case, CaseDocument
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError, form_add_domain_error
from kernel.paginators import EstimatedCountPaginator
from residents.admin import StreetFilter
from residents.admin_search import PersonSearchMixin

from . import (
    permissions,  # noqa: F401 — registers the console's model permissions
    scoring,
    selectors,
    services,
)
from .casetype import evidence_key
from .choices import IndicatorSource, ItemDecision, ItemStatus, PointsEvent, RuleSetStatus
from .models import Indicator, PointsApplication, PointsItem, PointsObjection, PointsRanking, PointsRound, RuleSet

# A reference number: the case type's two-letter prefix, the date and the case number (JF202611280000123).
REFERENCE = re.compile(r"[A-Za-z]{2}\d{15}")


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


# --- what the console shows of a points fact ----------------------------------------------------------------


def _en() -> bool:
    return (get_language() or "").startswith("en")


def _pick(zh: str, en: str) -> str:
    return en if _en() and en else zh


def _signed(points: Decimal) -> str:
    return scoring.format_points(points, signed=points < 0)


def fact_text(indicator: scoring.Indicator, stored: Any) -> str:
    """A stored fact (points.rulejson) as a caseworker reads it: "5 年", "本科", "是"; "—" when there is none."""
    if stored is None or stored == "" or stored == []:
        return "—"
    rule = indicator.rule
    if isinstance(rule, scoring.PerUnit | scoring.Bands):
        try:
            amount = Decimal(str(stored))
        except ArithmeticError:
            return str(stored)
        text = "0" if amount == 0 else f"{amount.normalize():f}"
        return f"{text} {_pick(indicator.unit_zh, indicator.unit_en)}".strip()
    if isinstance(rule, scoring.Tiers):
        labels = {level.key: _pick(level.label_zh, level.label_en) for level in rule.levels}
        keys = [stored] if isinstance(stored, str) else list(stored)
        return _("、").join(labels.get(key, str(key)) for key in keys)
    if isinstance(stored, bool):
        return gettext("是") if stored else gettext("否")
    return str(stored)


def _item_status_label(status: str | None) -> str:
    try:
        return str(ItemStatus(status).label)
    except ValueError:
        return status or "—"


# --- rounds (积分申报期) ----------------------------------------------------------------------------------


def round_stage(round: PointsRound, today: datetime.date) -> str:
    """Where a round stands in its calendar, in a few words."""
    if round.final_published_on is not None:
        return gettext("已公布最终排名（%(date)s）") % {"date": round.final_published_on.isoformat()}
    if round.ranking_published_on is not None:
        if round.objection_open_on(today):
            return gettext("排名公示中，异议期到 %(date)s") % {"date": round.objection_ends_on.isoformat()}  # type: ignore[union-attr]
        return gettext("异议期已结束，待公布最终排名")
    if today < round.opens_on:
        return gettext("未开始")
    if today <= round.closes_on:
        return gettext("申报中")
    return gettext("申报已截止，全部核定后可公示排名")


def ranking_published_message(round: PointsRound, ranking: PointsRanking) -> str:
    """What the administrator is told after publishing: which edition, how many, until when, the cut-off."""
    values = {
        "round": round.name_zh,
        "edition": ranking.edition,
        "count": ranking.entry_count,
        "ends": round.objection_ends_on.isoformat() if round.objection_ends_on else "—",
    }
    if ranking.is_final:
        message = gettext("%(round)s：已公布最终排名（第 %(edition)s 版），共 %(count)s 人上榜。") % values
    else:
        message = (
            gettext("%(round)s：已公示排名（第 %(edition)s 版），共 %(count)s 人上榜，异议期到 %(ends)s。") % values
        )
    if ranking.cutoff is not None:
        message += gettext("名额内分数线 %(cutoff)s 分。") % {"cutoff": scoring.format_points(ranking.cutoff)}
    return message + gettext("上榜的申请人会收到通知。")


class PointsRoundForm(forms.ModelForm):
    """A round as an administrator sets it up: a published rule set, dates in order, a quota of at least one (or
    none). A round whose ranking is published is not changed: the row is locked while the form is checked (the
    admin's change view is one transaction), so a ranking published meanwhile is seen and the save refused."""

    class Meta:
        model = PointsRound
        fields = [
            "year", "name_zh", "name_en", "rule_set", "opens_on", "closes_on", "quota", "objection_days",
            "unlocks_zh", "unlocks_en",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "rule_set" in self.fields:
            usable = Q(status=RuleSetStatus.PUBLISHED)
            if self.instance.pk:  # the round's own set stays selectable after a successor retired it
                usable |= Q(pk=self.instance.rule_set_id)
            self.fields["rule_set"].queryset = RuleSet.objects.filter(usable).order_by("-year", "-published_at")
            self.fields["rule_set"].help_text = _("只能选择已发布的积分规则。本期有人申请后不能更换。")

    def clean_quota(self) -> int | None:
        quota = self.cleaned_data.get("quota")
        if quota == 0:
            raise forms.ValidationError(_("名额至少为 1；不限名额请留空。"))
        return quota

    def clean_objection_days(self) -> int | None:
        days = self.cleaned_data.get("objection_days")
        if days is not None and days < 1:
            raise forms.ValidationError(_("异议期至少 1 天。"))
        return days

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk:
            published_on = (
                PointsRound.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("ranking_published_on", flat=True)
                .first()
            )
            if published_on is not None:
                raise forms.ValidationError(_("本期排名已经公示，申报期不能再修改。"), code="round_published")
            rule_set = cleaned.get("rule_set")
            if (
                rule_set is not None
                and rule_set.pk != self.instance.rule_set_id
                and self.instance.applications.exists()
            ):
                self.add_error("rule_set", _("本期已有积分申请，不能更换积分规则（已有的申请按原规则核定）。"))
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", _("申报截止日期不能早于开始日期。"))
        return cleaned


@admin.register(PointsRound)
class PointsRoundAdmin(admin.ModelAdmin):
    """Administrators create and edit rounds and publish their rankings; caseworkers read them. The round's
    page shows where it stands, its applications counted by status, and its published rankings."""

    form = PointsRoundForm
    list_display = ["name_zh", "year", "rule_set", "opens_on", "closes_on", "quota", "stage"]
    list_filter = ["year"]
    list_select_related = ["rule_set"]
    ordering = ["-opens_on", "-id"]
    actions = ["publish_ranking"]
    readonly_fields = ["ranking_published_on", "objection_ends_on", "final_published_on"]

    def get_fieldsets(self, request: HttpRequest, obj: PointsRound | None = None):  # type: ignore[no-untyped-def]
        fieldsets = [
            (None, {"fields": ["year", "name_zh", "name_en", "rule_set"]}),
            (_("申报时间、名额与异议期"), {"fields": ["opens_on", "closes_on", "quota", "objection_days"]}),
            (_("可享受的服务（公开）"), {"fields": ["unlocks_zh", "unlocks_en"]}),
        ]
        if obj is not None:
            fieldsets.append((_("排名"), {"fields": self.readonly_fields}))
        return fieldsets

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("points.view_pointsround")

    def has_view_permission(self, request: HttpRequest, obj: PointsRound | None = None) -> bool:
        return request.user.has_perm("points.view_pointsround")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("points.add_pointsround")

    def has_change_permission(self, request: HttpRequest, obj: PointsRound | None = None) -> bool:
        # Once the ranking is published the round is what it was published under: view only.
        return request.user.has_perm("points.change_pointsround") and (obj is None or obj.ranking_published_on is None)

    def has_delete_permission(self, request: HttpRequest, obj: PointsRound | None = None) -> bool:
        # A round with applications or rankings is protected by its foreign keys; the admin names them.
        return (
            request.user.has_perm("points.delete_pointsround") and obj is not None and obj.ranking_published_on is None
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("points.publish_pointsranking")

    @admin.display(description=_("进度"))
    def stage(self, round: PointsRound) -> str:
        return round_stage(round, timezone.localdate())

    # --- publishing ---------------------------------------------------------------------------------------

    def _publish(self, request: HttpRequest, round: PointsRound) -> bool:
        try:
            ranking = services.points_ranking_publish(actor=request.user, round=round, ip=client_ip(request))  # type: ignore[arg-type]
        except DomainError as error:
            self.message_user(request, f"{round.name_zh}：{error.message}", messages.ERROR)
            return False
        round.refresh_from_db()
        self.message_user(request, ranking_published_message(round, ranking), messages.SUCCESS)
        return True

    @admin.action(description=_("公示排名 / 公布最终排名"), permissions=["publish"])
    def publish_ranking(self, request: HttpRequest, queryset: QuerySet[PointsRound]) -> None:
        for round in queryset.order_by("opens_on", "pk"):
            self._publish(request, round)

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [
            path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="points_pointsround_publish"),
            *super().get_urls(),
        ]

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The 公示排名 / 公布最终排名 button of a round's page."""
        change_url = reverse("admin:points_pointsround_change", args=[pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not self.has_publish_permission(request):
            raise PermissionDenied
        round = PointsRound.objects.filter(pk=pk).first()
        if round is None:
            raise Http404
        self._publish(request, round)
        return HttpResponseRedirect(change_url)

    # --- the round's page ---------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        round = self.get_object(request, object_id)
        if round is not None:
            extra_context = {**(extra_context or {}), **self._round_context(request, round)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _round_context(self, request: HttpRequest, round: PointsRound) -> dict[str, Any]:
        # The applications the user may see, counted by status in one grouped query.
        counted = dict(
            selectors.points_applications(user=request.user)  # type: ignore[arg-type]
            .filter(points_application__round=round)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        status_counts = [(status, label, counted[status]) for status, label in CaseStatus.choices if status in counted]
        rankings = list(selectors.points_rankings_published().filter(round=round).order_by("-edition"))
        latest = rankings[0] if rankings else None
        entries = list(selectors.points_ranking_entries(ranking=latest)[:50]) if latest else []
        queue = reverse("admin:points_pointsapplication_changelist")
        return {
            "round": round,
            "stage": round_stage(round, timezone.localdate()),
            "status_counts": status_counts,
            "status_total": sum(counted.values()),
            "rankings": rankings,
            "latest_ranking": latest,
            "entries": entries,
            "public_ranking_url": reverse("points:ranking", args=[round.pk]),
            "queue_url": f"{queue}?round__id__exact={round.pk}&status=all",
            "queue_search_url": f"{queue}?q=",
            "may_publish": self.has_publish_permission(request) and round.final_published_on is None,
            "publish_label": _("公布最终排名") if round.ranking_published_on else _("发布公示排名"),
            "sees_all": is_administrator(request.user),
        }


# --- the review console (积分核定) --------------------------------------------------------------------------

REVIEWABLE_STATUSES = (
    CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.NEEDS_DOCUMENTS, CaseStatus.RESUBMITTED, CaseStatus.APPROVED,
    CaseStatus.REFUSED, CaseStatus.WITHDRAWN,
)  # fmt: skip


class ReviewStatusFilter(StatusFilter):
    """The queue shows what awaits review unless asked for something else; a search looks through every status."""

    status_path = "case__status"
    pending_label = _("待核定（已受理、已补正、异议复核）")
    statuses = REVIEWABLE_STATUSES


class PendingItemsFilter(admin.SimpleListFilter):
    title = _("待核定项目")
    parameter_name = "pending_items"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("yes", _("还有待核定的项目")), ("no", _("全部项目已核定"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "yes":
            return queryset.filter(pending_items__gt=0)
        if self.value() == "no":
            return queryset.filter(pending_items=0)
        return queryset


class ContestedFilter(admin.SimpleListFilter):
    title = _("异议")
    parameter_name = "contested"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("yes", _("有异议待复核")), ("no", _("没有待复核的异议"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "yes":
            return queryset.filter(open_objection=True)
        if self.value() == "no":
            return queryset.filter(open_objection=False)
        return queryset


class ReviewStreetFilter(StreetFilter):
    """The console's street filter (only the streets the caseworker covers), through the application's case."""

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(case__street_id=self.value()) if self.value() else queryset


YES, NO = "yes", "no"


def decision_value_field(indicator: scoring.Indicator) -> forms.Field:
    """The input for an adjusted value, fitting the rule: a number, a level, or yes/no."""
    rule = indicator.rule
    unit = _pick(indicator.unit_zh, indicator.unit_en)
    label = gettext("认定的值（%(unit)s）") % {"unit": unit} if unit else gettext("认定的值")
    help_text = gettext("选择“调整”时填写。")
    if isinstance(rule, scoring.PerUnit | scoring.Bands):
        return forms.DecimalField(
            label=label, required=False, min_value=Decimal(0), max_value=scoring.MAX_AMOUNT, max_digits=12,
            decimal_places=3, help_text=help_text,
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
        )  # fmt: skip
    if isinstance(rule, scoring.Tiers):
        levels = [(level.key, _pick(level.label_zh, level.label_en)) for level in rule.levels]
        return forms.ChoiceField(
            label=label, required=False, choices=[("", gettext("请选择")), *levels], help_text=help_text
        )
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", gettext("请选择")), (YES, gettext("是")), (NO, gettext("否"))],
        help_text=help_text,
    )


class ItemDecisionForm(forms.Form):
    """One item's decision: 属实 (as declared), 调整 (to a value typed here) or 不予认定, with the reason the
    applicant will read. Ids carry the item's key, so that every item's form can sit on one page."""

    decision = forms.ChoiceField(label=_("核定结果"), widget=forms.RadioSelect, choices=ItemDecision.choices)
    reason = forms.CharField(
        label=_("核定理由"),
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("申请人会看到这段话，请写明依据，例如“与社保缴纳记录一致”。"),
        error_messages={"required": _("请写明核定理由，申请人会看到它。")},
    )

    def __init__(self, *args: Any, item: PointsItem, indicator: scoring.Indicator, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{item.key}_%s")
        super().__init__(*args, **kwargs)
        self.item, self.indicator = item, indicator
        self.fields["value"] = decision_value_field(indicator)
        self.order_fields(["decision", "value", "reason"])
        choices = list(ItemDecision.choices)
        if item.source == IndicatorSource.COMPUTED:
            choices[0] = (ItemDecision.ACCEPT, gettext("属实，按系统核算值计分"))
        if item.status == ItemStatus.NOT_DECLARED:  # nothing declared to accept or reject
            choices = [c for c in choices if c[0] == ItemDecision.ADJUST]
        self.fields["decision"].choices = choices
        if not self.is_bound:
            if item.status in ItemDecision.values:
                self.initial["decision"] = item.status
            shown = item.value if item.status == ItemStatus.ADJUSTED else item.declared
            self.initial["value"] = self._as_input(shown)

    def _as_input(self, stored: Any) -> Any:
        if stored is None:
            return None
        if isinstance(stored, bool):
            return YES if stored else NO
        if isinstance(stored, list):  # several certificates: the highest counts
            return stored[-1] if stored else None
        return stored

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        value_failed = "value" in self.errors  # a value typed but invalid says so already
        if cleaned.get("decision") == ItemDecision.ADJUST and cleaned.get("value") in (None, "") and not value_failed:
            self.add_error("value", _("选择“调整”时，请填写认定的值。"))
        return cleaned

    def value_fact(self) -> scoring.Fact:
        """The adjusted value as a scoring fact (None unless the decision is 调整)."""
        if self.cleaned_data.get("decision") != ItemDecision.ADJUST:
            return None
        value = self.cleaned_data.get("value")
        if value in (YES, NO):
            return value == YES
        return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ReviewLine:
    """One item as the review page shows it."""

    item: PointsItem
    label: str
    category: str
    source: str
    declared: str
    value: str
    points: str | None  # None while the item waits for a decision
    note: str
    evidence: list[CaseDocument]
    evidence_expected: bool
    decided_by: User | None
    before_objection: str | None
    form: ItemDecisionForm | None
    form_open: bool


@dataclass(frozen=True)
class PreviousDecision:
    """An item's decision as it was before an objection: "核定属实，5 年，15 分；理由：…"."""

    label: str
    summary: str


@dataclass(frozen=True)
class ObjectionView:
    objection: PointsObjection
    items: str
    previous: list[PreviousDecision]
    previous_total: str | None


@dataclass(frozen=True)
class DecisionEvent:
    at: datetime.datetime
    actor: User | None
    label: str
    change: str
    reason: str


@admin.register(PointsApplication)
class PointsApplicationAdmin(OutOfScopeIs404, PersonSearchMixin, admin.ModelAdmin):
    """积分核定: the points applications of the caseworker's streets (every street for an administrator), by
    deadline, and the review page of each. Nothing is edited as a model here: the review page's forms call the
    services, which check the caseworker's streets and the case's status again."""

    resident_path = "case__applicant"

    list_display = [
        "reference", "applicant_name", "round", "status_label", "due", "pending_count", "contested", "total_points",
        "street", "assigned_to",
    ]  # fmt: skip
    list_display_links = None
    list_filter = [ReviewStatusFilter, "round", PendingItemsFilter, ContestedFilter, ReviewStreetFilter]
    search_fields = ["case__reference"]  # replaced by get_search_results
    search_help_text = _("输入受理编号、申请人完整身份证号码，或申请人姓名（可只输入开头）")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    list_per_page = 50
    ordering = [F("case__due_at").asc(nulls_last=True), "case_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PointsApplication]:
        visible = selectors.points_applications(user=request.user)  # type: ignore[arg-type]
        pending = (
            PointsItem.objects.filter(application=OuterRef("pk"), status=ItemStatus.PENDING)
            .order_by()
            .values("application")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            PointsApplication.objects.filter(case__in=visible)
            .select_related("case", "case__applicant", "case__street", "case__assigned_to", "round")
            .annotate(
                pending_items=Coalesce(Subquery(pending, output_field=IntegerField()), 0),
                open_objection=Exists(
                    PointsObjection.objects.filter(application=OuterRef("pk"), resolved_at__isnull=True)
                ),
            )
        )

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        term = search_term.strip()
        if REFERENCE.fullmatch(term):
            return queryset.filter(case__reference=term.upper()), False
        return super().get_search_results(request, queryset, term)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("points.view_pointsapplication")

    def has_view_permission(self, request: HttpRequest, obj: PointsApplication | None = None) -> bool:
        return request.user.has_perm("points.view_pointsapplication")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an application is started by the applicant (or at the window) as a case

    def has_change_permission(self, request: HttpRequest, obj: PointsApplication | None = None) -> bool:
        return False  # decisions go through the review page's forms, which call the services

    def has_delete_permission(self, request: HttpRequest, obj: PointsApplication | None = None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        return super().changelist_view(request, {**(extra_context or {}), "title": _("积分核定")})

    # --- the queue's columns ------------------------------------------------------------------------------

    @admin.display(description=_("受理编号"), ordering="case__reference")
    def reference(self, application: PointsApplication) -> str:
        case = application.case
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:points_pointsapplication_review", args=[case.pk]), case.reference
        )

    @admin.display(description=_("申请人"))
    def applicant_name(self, application: PointsApplication) -> str:
        applicant = application.case.applicant
        return f"{applicant.name}（{applicant.id_number_masked}）"

    @admin.display(description=_("状态"), ordering="case__status")
    def status_label(self, application: PointsApplication) -> str:
        return application.case.get_status_display()

    @admin.display(description=_("办结时限"), ordering="case__due_at")
    def due(self, application: PointsApplication) -> str:
        due_at = application.case.due_at
        return timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M") if due_at else "—"

    @admin.display(description=_("待核定项目"), ordering="pending_items")
    def pending_count(self, application: PointsApplication) -> int:
        return application.pending_items  # type: ignore[attr-defined]

    @admin.display(description=_("有异议"), boolean=True, ordering="open_objection")
    def contested(self, application: PointsApplication) -> bool:
        return application.open_objection  # type: ignore[attr-defined]

    @admin.display(description=_("核定总分"), ordering="total")
    def total_points(self, application: PointsApplication) -> str:
        return "—" if application.total is None else scoring.format_points(application.total)

    @admin.display(description=_("街道"))
    def street(self, application: PointsApplication) -> str:
        return str(application.case.street or "—")

    @admin.display(description=_("经办人"))
    def assigned_to(self, application: PointsApplication) -> str:
        return str(application.case.assigned_to or "—")

    # --- the review page ------------------------------------------------------------------------------------

    def get_urls(self):  # type: ignore[no-untyped-def]
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/review/", view(self.review_view), name="points_pointsapplication_review"),
            path("<int:pk>/review/items/<slug:key>/", view(self.verify_view), name="points_pointsapplication_verify"),
            path("<int:pk>/review/complete/", view(self.complete_view), name="points_pointsapplication_complete"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        """The admin's own link to an application (history, recent actions) leads to its review page."""
        try:
            pk = int(object_id)
        except ValueError as exc:
            raise Http404 from exc
        case_id = self.get_queryset(request).filter(pk=pk).values_list("case_id", flat=True).first()
        if case_id is None:
            raise Http404
        return HttpResponseRedirect(reverse("admin:points_pointsapplication_review", args=[case_id]))

    def _case_or_404(self, request: HttpRequest, pk: int) -> Case:
        """The case (with its points application) if the user may see it: out of scope is a 404."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return selectors.points_application_get(user=request.user, pk=pk)  # type: ignore[arg-type]
        except Case.DoesNotExist as exc:
            raise Http404 from exc

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._review_response(request, self._case_or_404(request, pk))

    def verify_view(self, request: HttpRequest, pk: int, key: str) -> HttpResponse:
        """One item's form: the decision is the service's (points_item_verify); a refusal is shown on the form,
        with what was typed, and nothing is saved."""
        review_url = reverse("admin:points_pointsapplication_review", args=[pk])
        if request.method != "POST":
            return HttpResponseRedirect(review_url)
        case = self._case_or_404(request, pk)
        application = case.points_application
        item = application.items.filter(key=key).first()
        if item is None:
            raise Http404
        indicator = selectors.rule_set_scoring_of(application.rule_set_id).indicator(key)
        form = ItemDecisionForm(request.POST, item=item, indicator=indicator)
        if form.is_valid():
            try:
                decided = services.points_item_verify(
                    actor=request.user, case=case, key=key, decision=form.cleaned_data["decision"],  # type: ignore[arg-type]
                    reason=form.cleaned_data["reason"], value=form.value_fact(), ip=client_ip(request),
                )  # fmt: skip
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                label = _pick(indicator.label_zh, indicator.label_en)
                if decided.status == ItemStatus.ADJUSTED:
                    done = gettext("已核定“%(item)s”：调整为 %(value)s。") % {
                        "item": label,
                        "value": fact_text(indicator, decided.value),
                    }
                else:
                    done = gettext("已核定“%(item)s”：%(decision)s。") % {
                        "item": label,
                        "decision": _item_status_label(decided.status),
                    }
                messages.success(request, done)
                # Back to the item just decided: its new status, value, points and reason confirm the decision.
                return HttpResponseRedirect(f"{review_url}#item-{key}")
        return self._review_response(request, case, bound={key: form})

    def complete_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """完成核定: the service fixes the score (or refuses when an item is still pending, naming it)."""
        review_url = reverse("admin:points_pointsapplication_review", args=[pk])
        if request.method != "POST":
            return HttpResponseRedirect(review_url)
        case = self._case_or_404(request, pk)
        try:
            done = services.points_review_complete(actor=request.user, case=case, ip=client_ip(request))  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, str(error.message))  # shown at the top, right above the summary
            return HttpResponseRedirect(review_url)
        application = PointsApplication.objects.get(case=done)
        if done.status == CaseStatus.APPROVED:
            messages.success(
                request,
                gettext("核定完成：总分 %(total)s 分，已通知申请人。")
                % {"total": scoring.format_points(application.total or 0)},
            )
        else:
            messages.warning(request, gettext("核定完成：%(reason)s 已通知申请人。") % {"reason": done.decision_reason})
        return HttpResponseRedirect(review_url)

    def _review_response(
        self, request: HttpRequest, case: Case, *, bound: dict[str, ItemDecisionForm] | None = None
    ) -> TemplateResponse:
        application = case.points_application
        table = selectors.rule_set_scoring_of(application.rule_set_id)
        items = selectors.points_items_of(application)
        score = selectors.points_application_score(application, items)
        in_review = case.status in CASE_PENDING_STATUSES
        may_review = in_review and request.user.has_perm("points.review_pointsapplication", case)
        checklist = cases_selectors.case_document_checklist(case=case)
        evidence = {entry.key: entry.uploaded for entry in checklist}
        expected = {entry.key for entry in checklist}
        deciders = User.objects.in_bulk({item.decided_by_id for item in items if item.decided_by_id})
        objections = list(application.objections.select_related("filed_by").order_by("-filed_at"))
        open_objection = next((o for o in objections if o.resolved_at is None), None)
        by_key = {line.key: line for line in score.breakdown}
        bound = bound or {}
        lines = []
        for item in items:
            indicator = table.indicator(item.key)
            line = by_key[item.key]
            pending = item.status == ItemStatus.PENDING
            form = bound.get(item.key) or (ItemDecisionForm(item=item, indicator=indicator) if may_review else None)
            before = None
            if open_objection is not None and item.key in open_objection.previous:
                before = self._previous(indicator, open_objection.previous[item.key])
            lines.append(
                ReviewLine(
                    item=item,
                    label=_pick(indicator.label_zh, indicator.label_en),
                    category=_pick(*scoring.CATEGORY_LABELS[indicator.category]),
                    source=str(IndicatorSource(item.source).label),
                    declared=fact_text(indicator, item.declared),
                    value="—" if pending else fact_text(indicator, item.value),
                    points=None if pending else _signed(line.points),
                    note="" if pending else _pick(line.note, line.note_en),
                    evidence=evidence.get(evidence_key(item.key), []),
                    evidence_expected=evidence_key(item.key) in expected,
                    decided_by=deciders.get(item.decided_by_id) if item.decided_by_id else None,
                    before_objection=before,
                    form=form,
                    form_open=pending or item.key in bound,
                )
            )
        pending_labels = [line.label for line in lines if line.item.status == ItemStatus.PENDING]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("积分核定 %(reference)s") % {"reference": case.reference},
            "case": case,
            "applicant": case.applicant,
            "application": application,
            "round": application.round,
            "lines": lines,
            "score": score,
            "provisional_total": scoring.format_points(score.total),
            "verified_total": None if application.total is None else scoring.format_points(application.total),
            "vetoed_by": [_pick(table.indicator(k).label_zh, table.indicator(k).label_en) for k in score.vetoed_by],
            "pending_labels": pending_labels,
            "in_review": in_review,
            "may_review": may_review,
            "failed": bool(bound),
            "open_objection": open_objection,
            "checklist": checklist,
            "objections": [self._objection_view(table, objection) for objection in objections],
            "history": self._decision_history(case, table),
            "case_console_url": reverse("admin:cases_case_change", args=[case.pk]),
            "queue_url": reverse("admin:points_pointsapplication_changelist"),
            "max_total": None if table.max_total is None else scoring.format_points(table.max_total),
        }
        return TemplateResponse(request, "admin/points/pointsapplication/review.html", context)

    # --- objections and earlier decisions -------------------------------------------------------------------

    @staticmethod
    def _previous(indicator: scoring.Indicator, before: dict[str, Any]) -> str:
        """An item's decision as an objection kept it (points.services.points_objection_file), in one line."""
        raw_points = before.get("points")
        try:
            points = _signed(Decimal(raw_points)) if raw_points not in (None, "None") else "—"
        except ArithmeticError:
            points = "—"
        summary = gettext("%(status)s，%(value)s，%(points)s 分") % {
            "status": _item_status_label(before.get("status")),
            "value": fact_text(indicator, before.get("value")),
            "points": points,
        }
        if reason := before.get("reason"):
            summary += gettext("；理由：%(reason)s") % {"reason": reason}
        return summary

    def _objection_view(self, table: scoring.RuleSet, objection: PointsObjection) -> ObjectionView:
        labels, previous = [], []
        for key in objection.item_keys:
            try:
                indicator = table.indicator(key)
            except ValueError:
                labels.append(key)
                continue
            label = _pick(indicator.label_zh, indicator.label_en)
            labels.append(label)
            if key in objection.previous:
                previous.append(PreviousDecision(label, self._previous(indicator, objection.previous[key])))
        total = None if objection.previous_total is None else scoring.format_points(objection.previous_total)
        return ObjectionView(objection, _("、").join(labels), previous, total)

    @staticmethod
    def _decision_history(case: Case, table: scoring.RuleSet) -> list[DecisionEvent]:
        """Every decision on an item so far (the audit rows the service wrote), oldest first."""
        events = cases_selectors.case_timeline(case=case).filter(event_type=PointsEvent.POINTS_ITEM_VERIFIED)
        history = []
        for event in events:
            key = event.new_values.get("item_key", "")
            try:
                indicator: scoring.Indicator | None = table.indicator(key)
            except ValueError:
                indicator = None
            label = _pick(indicator.label_zh, indicator.label_en) if indicator else key
            old_status, new_status = event.old_values.get("decision"), event.new_values.get("decision")
            change = _item_status_label(new_status)
            if indicator is not None and new_status in (ItemStatus.ACCEPTED, ItemStatus.ADJUSTED):
                change += gettext("（%(value)s）") % {"value": fact_text(indicator, event.new_values.get("value"))}
            if old_status and old_status != ItemStatus.PENDING:
                change = f"{_item_status_label(old_status)} → {change}"
            history.append(DecisionEvent(event.created_at, event.actor, label, change, event.reason))
        return history
