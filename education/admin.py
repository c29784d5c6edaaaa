"""The enrolment console: schools and their catchments, rounds with their seats and calendar, the allocation
(preview, run, publish, further round) as actions on a round, the runs and cut-offs read-only, and the queue of
applications.

A round's status is never edited here: every action calls an education.services function, and a refusal is
shown as a message naming the round. Documents are checked in the case console (我的待办, cases.admin),
where each application of the queue links; approving from the queue calls the same service.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.network import client_ip
from accounts.permissions import is_administrator
from cases.choices import CaseStatus
from cases.services import case_approve
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError, form_add_domain_error
from kernel.paginators import EstimatedCountPaginator
from residents.admin_search import PersonSearchMixin
from residents.choices import RegionKind
from residents.models import Jurisdiction, Region

from . import (
    permissions,  # noqa: F401 — registers the console's model permissions
    selectors,
    services,
)
from .choices import ResultStatus, RoundStatus
from .models import (
    AllocationCutoff,
    AllocationRun,
    EnrolmentApplication,
    EnrolmentPreference,
    EnrolmentRound,
    RoundSchool,
    School,
)

# --- schools ------------------------------------------------------------------------------------------------


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    """Schools, with the communities of their catchment (学区). A school that took part in a round cannot be
    deleted: take it out of new rounds by turning 招生中 off."""

    list_display = ["name", "level", "street", "address", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    list_filter = ["level", "is_active", ("street", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["street"]
    search_fields = ["name", "name_en", "address"]
    fields = [("name", "name_en"), ("level", "street"), "address", "catchment_communities", ("is_active", "sort_order")]
    filter_horizontal = ["catchment_communities"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "street":
            kwargs["queryset"] = Region.objects.filter(kind=RegionKind.STREET).order_by("sort_order")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "catchment_communities":
            kwargs["queryset"] = (
                Region.objects.filter(kind=RegionKind.COMMUNITY)
                .select_related("parent")
                .order_by("parent__sort_order", "sort_order", "code")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# --- rounds -------------------------------------------------------------------------------------------------


class RoundSchoolInline(admin.TabularInline):
    """The seats each school opens to migrant children in the round; fixed once the round is allocated."""

    model = RoundSchool
    extra = 0
    fields = ["school", "seats"]

    def get_formset(self, request, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and "school" in formset.form.base_fields:
            # Only schools of the round's level that are taking pupils (the class is made for this request).
            formset.form.base_fields["school"].queryset = School.objects.active().filter(level=obj.school_level)
        return formset

    def _editable(self, request: HttpRequest, obj: EnrolmentRound | None) -> bool:
        return is_administrator(request.user) and (obj is None or obj.status in (RoundStatus.DRAFT, RoundStatus.OPEN))

    def has_add_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:  # type: ignore[override]
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:
        return self._editable(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:
        return request.user.has_perm("education.view_roundschool")


class EnrolmentRoundForm(forms.ModelForm):
    """The round's form: its calendar checked in order, the days shown read-only counted as they stand."""

    class Meta:
        model = EnrolmentRound
        fields = [
            "year", "grade", "name", "name_en", "born_on_or_after", "born_on_or_before", "max_preferences",
            *services.CALENDAR_FIELDS,
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        dates = {name: cleaned.get(name, getattr(self.instance, name, None)) for name in services.CALENDAR_FIELDS}
        try:
            services.enrolment_round_calendar_check(dates)
        except DomainError as error:
            form_add_domain_error(self, error)
        return cleaned


@admin.register(EnrolmentRound)
class EnrolmentRoundAdmin(OutOfScopeIs404, admin.ModelAdmin):
    """招生轮次: the calendar, the age rule, the seats, and the allocation as actions. Status moves only through
    the actions (开始受理 → 试分配 / 正式分配 → 公布录取线 → 开放补录 / 结束本轮)."""

    form = EnrolmentRoundForm
    list_display = ["name", "status", "application_window", "allocation_on", "confirmation_end_on", "runs_link"]
    list_filter = ["status", "year", "grade"]
    list_select_related = ["previous"]
    ordering = ["-year", "grade", "applications_open_on", "id"]
    inlines = [RoundSchoolInline]
    actions = [
        "open_applications", "preview_allocation", "run_allocation", "publish_results", "open_further_round",
        "close_round",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": [("year", "grade"), ("name", "name_en"), "max_preferences"]}),
        (_("年龄要求"), {"fields": [("born_on_or_after", "born_on_or_before")]}),
        (
            _("日程"),
            {
                "fields": [
                    ("applications_open_on", "applications_close_on"),
                    "documents_check_end_on",
                    "objections_end_on",
                    "preferences_close_on",
                    "allocation_on",
                    "confirmation_end_on",
                ]
            },
        ),
        (
            _("状态"),
            {
                "fields": [
                    "status",
                    "previous",
                    "seed",
                    "opened_at",
                    "allocated_at",
                    "published_at",
                    "closed_at",
                    "runs_link",
                ]
            },
        ),
    ]
    readonly_fields = [
        "status", "previous", "seed", "opened_at", "allocated_at", "published_at", "closed_at", "runs_link",
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrolmentRound]:
        return selectors.rounds_visible(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("education")

    def has_view_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:
        return request.user.has_perm("education.view_enrolmentround")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> bool:
        # A draft nobody applied in; a round with applications is history.
        return (
            is_administrator(request.user)
            and obj is not None
            and obj.status == RoundStatus.DRAFT
            and not obj.applications.exists()
        )

    # Once applications are taken the age rule and the grade stay as families read them; once allocated, so does
    # everything the allocation used (the confirmation deadline may still be moved, e.g. extended).
    FIXED_WHEN_OPEN = ("year", "grade", "born_on_or_after", "born_on_or_before")
    FIXED_WHEN_ALLOCATED = (
        "max_preferences", "applications_open_on", "applications_close_on", "documents_check_end_on",
        "objections_end_on", "preferences_close_on", "allocation_on",
    )  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: EnrolmentRound | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != RoundStatus.DRAFT:
            fields += self.FIXED_WHEN_OPEN
        if obj is not None and obj.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
            fields += self.FIXED_WHEN_ALLOCATED
        return fields

    @admin.display(description=_("报名时间"), ordering="applications_open_on")
    def application_window(self, enrolment_round: EnrolmentRound) -> str:
        return f"{enrolment_round.applications_open_on:%Y-%m-%d} – {enrolment_round.applications_close_on:%Y-%m-%d}"

    @admin.display(description=_("分配记录"))
    def runs_link(self, enrolment_round: EnrolmentRound) -> str:
        if enrolment_round.pk is None:
            return "—"
        url = reverse("admin:education_allocationrun_changelist") + f"?round__id__exact={enrolment_round.pk}"
        return format_html('<a href="{}">{}</a>', url, _("查看"))

    # --- the actions: each calls its service --------------------------------------------------------------

    def _each(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound], act) -> None:  # type: ignore[no-untyped-def]
        for enrolment_round in queryset:
            try:
                message = act(enrolment_round)
            except DomainError as error:
                self.message_user(request, format_html("{}：{}", enrolment_round.name, error.message), messages.ERROR)
            else:
                self.message_user(request, format_html("{}：{}", enrolment_round.name, message), messages.SUCCESS)

    def _run_url(self, run: AllocationRun) -> str:
        return reverse("admin:education_allocationrun_change", args=[run.pk])

    @admin.action(description=_("开始受理报名"), permissions=["change"])
    def open_applications(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound]) -> None:
        def act(enrolment_round: EnrolmentRound) -> str:
            opened = services.enrolment_round_open(
                actor=request.user, enrolment_round=enrolment_round, ip=client_ip(request)
            )
            return str(_("已开始受理，%(date)s 起家长可以报名。") % {"date": opened.applications_open_on.isoformat()})

        self._each(request, queryset, act)

    @admin.action(description=_("试分配（不生效）"), permissions=["change"])
    def preview_allocation(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound]) -> None:
        def act(enrolment_round: EnrolmentRound) -> str:
            run = services.enrolment_allocation_preview(
                actor=request.user, enrolment_round=enrolment_round, ip=client_ip(request)
            )
            return format_html(
                '{} <a href="{}">{}</a>',
                _("试分配完成（没有改动任何申请）：%(applicants)s 人参加，%(placed)s 人有学位，"
                  "%(unplaced)s 人没有学位。") % {
                    "applicants": run.applicants, "placed": run.placed, "unplaced": run.unplaced,
                },
                self._run_url(run), _("查看各校学位使用和录取线"),
            )  # fmt: skip

        self._each(request, queryset, act)

    @admin.action(description=_("正式分配学位"), permissions=["change"])
    def run_allocation(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound]) -> None:
        def act(enrolment_round: EnrolmentRound) -> str:
            run = services.enrolment_allocation_run(
                actor=request.user, enrolment_round=enrolment_round, ip=client_ip(request)
            )
            return format_html(
                '{} <a href="{}">{}</a>',
                _("正式分配完成：%(applicants)s 人参加，%(placed)s 人录取，%(unplaced)s 人未录取。"
                  "抽签种子 %(seed)s 已记录，每个家庭都已收到结果和原因。") % {
                    "applicants": run.applicants, "placed": run.placed, "unplaced": run.unplaced, "seed": run.seed,
                },
                self._run_url(run), _("查看录取线"),
            )  # fmt: skip

        self._each(request, queryset, act)

    @admin.action(description=_("公布录取线"), permissions=["change"])
    def publish_results(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound]) -> None:
        def act(enrolment_round: EnrolmentRound) -> str:
            services.enrolment_results_publish(
                actor=request.user, enrolment_round=enrolment_round, ip=client_ip(request)
            )
            return str(_("已公布各校录取线和抽签种子，所有人都可以查看。"))

        self._each(request, queryset, act)

    @admin.action(description=_("开放补录"), permissions=["change"])
    def open_further_round(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound]) -> None:
        def act(enrolment_round: EnrolmentRound) -> str:
            further = services.enrolment_further_round_open(
                actor=request.user, previous=enrolment_round, ip=client_ip(request)
            )
            seats = list(further.school_seats.values_list("seats", flat=True))
            return format_html(
                '{} <a href="{}">{}</a>',
                _("已开放补录“%(name)s”：%(schools)s 所学校共 %(seats)s 个学位，%(date)s 截止报名；"
                  "可以报名的家庭已收到通知。") % {
                    "name": further.name, "schools": len(seats), "seats": sum(seats),
                    "date": further.applications_close_on.isoformat(),
                },
                reverse("admin:education_enrolmentround_change", args=[further.pk]), _("查看或调整日程"),
            )  # fmt: skip

        self._each(request, queryset, act)

    @admin.action(description=_("结束本轮"), permissions=["change"])
    def close_round(self, request: HttpRequest, queryset: QuerySet[EnrolmentRound]) -> None:
        def act(enrolment_round: EnrolmentRound) -> str:
            services.enrolment_round_close(actor=request.user, enrolment_round=enrolment_round, ip=client_ip(request))
            return str(_("本轮已结束，逾期未确认的学位已放弃。"))

        self._each(request, queryset, act)


# --- runs and cut-offs (read-only) -------------------------------------------------------------------------


class AllocationCutoffInline(admin.TabularInline):
    model = AllocationCutoff
    extra = 0
    fields = ["school", "seats", "seats_used", "is_full", "last_tier", "last_points", "last_lottery"]
    readonly_fields = fields
    ordering = ["school__sort_order", "school_id"]
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AllocationCutoff]:
        return super().get_queryset(request).select_related("school")

    def has_add_permission(self, request: HttpRequest, obj: AllocationRun | None = None) -> bool:  # type: ignore[override]
        return False

    def has_change_permission(self, request: HttpRequest, obj: AllocationRun | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: AllocationRun | None = None) -> bool:
        return request.user.has_perm("education.view_allocationcutoff")


@admin.register(AllocationRun)
class AllocationRunAdmin(OutOfScopeIs404, admin.ModelAdmin):
    """Every preview and final run of a round, with its seed and figures, and each school's seat use and cut-off."""

    list_display = ["round", "kind", "run_at", "run_by", "applicants", "placed", "unplaced", "seed"]
    list_filter = ["kind", "round"]
    list_select_related = ["round", "run_by"]
    ordering = ["-run_at", "-id"]
    fields = ["round", "kind", "seed", "run_by", "run_at", "applicants", "placed", "unplaced", "figures"]
    readonly_fields = fields
    inlines = [AllocationCutoffInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AllocationRun]:
        return selectors.allocation_runs(user=request.user)

    def has_view_permission(self, request: HttpRequest, obj: AllocationRun | None = None) -> bool:
        return request.user.has_perm("education.view_allocationrun")

    @admin.display(description=_("统计"))
    def figures(self, run: AllocationRun) -> str:
        stats = run.stats or {}
        by_choice = _("、").join(
            str(_("第 %(rank)s 志愿 %(n)s 人") % {"rank": rank, "n": n})
            for rank, n in stats.get("by_choice", {}).items()
        )
        return str(
            _("学位共 %(seats)s 个，录满的学校 %(full)s 所；录取：%(by_choice)s；未参加分配：等待审核 %(pending)s 件、"
              "等待补正材料 %(documents)s 件；分配用时 %(seconds)s 秒。") % {
                "seats": stats.get("seats", 0), "full": stats.get("schools_full", 0), "by_choice": by_choice or "—",
                "pending": stats.get("awaiting_decision", 0), "documents": stats.get("awaiting_documents", 0),
                "seconds": stats.get("allocation_seconds", 0),
            }
        )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are made by the round's actions

    def has_change_permission(self, request: HttpRequest, obj: AllocationRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AllocationRun | None = None) -> bool:
        return False


# --- the application queue -----------------------------------------------------------------------------------


class CaseStatusFilter(admin.SimpleListFilter):
    title = _("审核状态")
    parameter_name = "case_status"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return CaseStatus.choices

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(case__status=self.value()) if self.value() else queryset


class ResultStatusFilter(admin.SimpleListFilter):
    title = _("录取结果")
    parameter_name = "result"
    NONE = "none"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [(self.NONE, _("尚无结果")), *ResultStatus.choices]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == self.NONE:
            return queryset.filter(result__isnull=True)
        return queryset.filter(result__status=self.value()) if self.value() else queryset


class StreetFilter(admin.SimpleListFilter):
    """The case's street, among those the caseworker covers."""

    title = _("街道")
    parameter_name = "street"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        streets = Region.objects.filter(kind=RegionKind.STREET).order_by("sort_order")
        if not is_administrator(request.user):
            streets = streets.filter(pk__in=Jurisdiction.objects.filter(caseworker=request.user).values("street_id"))
        return [(str(street.pk), street.name) for street in streets]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(case__street_id=self.value()) if self.value() else queryset


@admin.register(EnrolmentApplication)
class EnrolmentApplicationAdmin(OutOfScopeIs404, PersonSearchMixin, admin.ModelAdmin):
    """入学申请: a round's applications of the caseworker's streets, with the schools ranked and the result.
    The document check is on each case's page in 我的待办 (the reference links there)."""

    resident_path = "child"

    list_display = [
        "reference", "child_name", "guardian_name", "case_status", "due", "preference_list", "result_status",
        "result_school",
    ]  # fmt: skip
    list_filter = ["round", CaseStatusFilter, ResultStatusFilter, StreetFilter]
    search_fields = ["case__reference"]  # replaced by PersonSearchMixin.get_search_results
    search_help_text = _("输入孩子的姓名（可只输入开头）、完整身份证号码，或受理编号")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 50
    ordering = [F("case__due_at").asc(nulls_last=True), "case_id"]
    actions = ["approve_selected"]
    fields = [
        "reference", "child_name", "guardian_name", "round", "case_status", "preference_list", "result_status",
        "result_school", "result_reason", "result_points", "result_community",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrolmentApplication]:
        preferences = EnrolmentPreference.objects.select_related("school").order_by("rank")
        return selectors.enrolment_queue(user=request.user).prefetch_related(
            Prefetch("preferences", queryset=preferences)
        )

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        from cases.admin import REFERENCE

        term = search_term.strip()
        if REFERENCE.fullmatch(term):
            return queryset.filter(case__reference=term.upper()), False
        return super().get_search_results(request, queryset, term)

    def has_view_permission(self, request: HttpRequest, obj: EnrolmentApplication | None = None) -> bool:
        return request.user.has_perm("education.view_enrolmentapplication")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a parent applies (or a caseworker at the window, through the service)

    def has_change_permission(self, request: HttpRequest, obj: EnrolmentApplication | None = None) -> bool:
        return False  # decisions are the case console's; the action below calls the same service

    def has_delete_permission(self, request: HttpRequest, obj: EnrolmentApplication | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        # Django offers actions only with the change permission; ours check in their services.
        actions = {}
        for name in self.actions:
            func, action_name, description = self.get_action(name)
            actions[action_name] = (func, action_name, description)
        return actions

    @admin.display(description=_("受理编号"), ordering="case__reference")
    def reference(self, application: EnrolmentApplication) -> str:
        url = reverse("admin:cases_case_change", args=[application.pk])
        return format_html('<a href="{}">{}</a>', url, application.case.reference or "—")

    @admin.display(description=_("孩子"))
    def child_name(self, application: EnrolmentApplication) -> str:
        return f"{application.child.name}（{application.child.id_number_masked or '—'}）"

    @admin.display(description=_("监护人"))
    def guardian_name(self, application: EnrolmentApplication) -> str:
        return application.guardian.name

    @admin.display(description=_("审核状态"), ordering="case__status")
    def case_status(self, application: EnrolmentApplication) -> str:
        return application.case.get_status_display()

    @admin.display(description=_("办结时限"), ordering="case__due_at")
    def due(self, application: EnrolmentApplication) -> str:
        due_at = application.case.due_at
        return timezone.localtime(due_at).strftime("%Y-%m-%d") if due_at else "—"

    @admin.display(description=_("志愿"))
    def preference_list(self, application: EnrolmentApplication) -> str:
        names = [f"{p.rank}. {p.school.name}" for p in application.preferences.all()]
        return "；".join(names) or "—"

    def _result(self, application: EnrolmentApplication) -> Any:
        return getattr(application, "result", None)

    @admin.display(description=_("录取结果"))
    def result_status(self, application: EnrolmentApplication) -> str:
        result = self._result(application)
        return result.get_status_display() if result else "—"

    @admin.display(description=_("录取学校"))
    def result_school(self, application: EnrolmentApplication) -> str:
        result = self._result(application)
        return result.school.name if result and result.school else "—"

    @admin.display(description=_("结果说明"))
    def result_reason(self, application: EnrolmentApplication) -> str:
        result = self._result(application)
        return result.reason_zh if result else "—"

    @admin.display(description=_("分配时积分"))
    def result_points(self, application: EnrolmentApplication) -> str:
        result = self._result(application)
        return str(result.points) if result else "—"

    @admin.display(description=_("分配时居住社区"))
    def result_community(self, application: EnrolmentApplication) -> str:
        result = self._result(application)
        return str(result.community) if result and result.community else "—"

    @admin.action(description=_("批准所选申请（材料齐全）"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[EnrolmentApplication]) -> None:
        ok = 0
        for application in queryset:
            try:
                case_approve(actor=request.user, case=application.case, ip=client_ip(request))
                ok += 1
            except DomainError as error:
                self.message_user(request, f"{application.case.reference}：{error.message}", messages.ERROR)
        if ok:
            self.message_user(request, _("已批准 %(n)s 件。") % {"n": ok}, messages.SUCCESS)
