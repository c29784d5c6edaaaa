"""The console for affordable rental housing (保障性租赁住房): the projects and unit types an administrator
publishes, and the waiting list from which caseworkers offer flats.

Applications themselves are decided in the case console (我的待办: documents, approve, refuse), as every case
is. This waiting list shows the approved applications of the caseworker's streets in their order with each
one's place on the whole list, and offers a flat (housing.affordable.services.housing_application_offer) or
records the move-in; status is never edited here.

Imported from HousingConfig.ready(): admin.autodiscover imports only an app's own `admin` module (housing/admin.py).
"""

from __future__ import annotations

import rules
from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.network import client_ip
from accounts.permissions import is_administrator, is_staff_reviewer
from cases.choices import CaseStatus
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError, form_add_domain_error
from kernel.paginators import EstimatedCountPaginator

from .. import permissions as housing_permissions  # noqa: F401 — the housing console's rules, loaded first
from ..models import HousingApplication, HousingProject, UnitType
from . import selectors, services

# The admin's app index asks for the app-level permission, which housing.permissions grants (loaded above, so
# that its add_perm never meets one of ours); granted here only if it ever stops doing so.
if not rules.perm_exists("housing"):
    rules.add_perm("housing", is_staff_reviewer)
for _model in ("housingproject", "unittype"):
    rules.add_perm(f"housing.view_{_model}", is_staff_reviewer)
    rules.add_perm(f"housing.add_{_model}", is_administrator)
    rules.add_perm(f"housing.change_{_model}", is_administrator)
    rules.add_perm(f"housing.delete_{_model}", is_administrator)
rules.add_perm("housing.view_housingapplication", is_staff_reviewer)


class UnitTypeInline(admin.StackedInline):
    model = UnitType
    extra = 0
    fields = [
        ("name", "name_en"), ("rooms", "floor_area"), ("monthly_rent", "units_total"), "eligibility_zh",
        "eligibility_en", ("is_open", "sort_order"),
    ]  # fmt: skip


@admin.register(HousingProject)
class HousingProjectAdmin(admin.ModelAdmin):
    """Projects and their unit types, as published on /housing/affordable/. Administrators edit them; a unit type
    that has applications cannot be deleted (close it instead: 受理申请 off)."""

    list_display = ["name", "street", "address", "unit_type_count", "is_open", "sort_order"]
    list_editable = ["is_open", "sort_order"]
    list_filter = ["is_open", "street"]
    list_select_related = ["street"]
    search_fields = ["name", "address"]
    fields = [("name", "name_en"), "street", "address", "description", "description_en", ("is_open", "sort_order")]
    inlines = [UnitTypeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HousingProject]:
        return super().get_queryset(request).annotate(unit_type_count=Count("unit_types"))

    @admin.display(description=_("户型数"), ordering="unit_type_count")
    def unit_type_count(self, project: HousingProject) -> int:
        return project.unit_type_count  # type: ignore[attr-defined]


class WaitingFilter(admin.SimpleListFilter):
    """The list shows who is waiting unless asked for the offered, the moved-in, or everything."""

    title = _("轮候状态")
    parameter_name = "waiting"
    WAITING, OFFERED, MOVED_IN, ALL = "waiting", "offered", "moved_in", "all"
    STATUS = {WAITING: CaseStatus.APPROVED, OFFERED: CaseStatus.ISSUED, MOVED_IN: CaseStatus.DELIVERED}

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [
            (self.WAITING, _("轮候中")), (self.OFFERED, _("已分配，待入住")), (self.MOVED_IN, _("已入住")),
            (self.ALL, _("全部（含审核中）")),
        ]  # fmt: skip

    def choices(self, changelist):  # type: ignore[no-untyped-def]
        current = self.value() or self.WAITING
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        value = self.value() or self.WAITING
        if value in self.STATUS:
            return queryset.filter(case__status=self.STATUS[value])
        return queryset


class OfferForm(forms.Form):
    unit = forms.CharField(label=_("分配房号"), max_length=60, help_text=_("例如：3 幢 502 室"))
    skip_reason = forms.CharField(
        label=_("跳过前面申请人的理由"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("只有为排在第 1 位以后的申请人分配时才需要填写，会记入办理记录。"),
    )  # fmt: skip


@admin.register(HousingApplication)
class HousingApplicationAdmin(OutOfScopeIs404, admin.ModelAdmin):
    """轮候名单: one unit type's approved applications in their order (filter by 户型), with the place of each."""

    list_display = [
        "place", "reference", "applicant_name", "unit_type", "household_size", "submitted", "status_label",
        "offered_unit", "next_step",
    ]  # fmt: skip
    list_display_links = ["reference"]
    list_filter = [WaitingFilter, "unit_type"]
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 50
    ordering = [F("case__submitted_at").asc(nulls_last=True), "case_id"]
    fields = [
        "case_link", "applicant_name", "unit_type", "household_size", "current_address", "submitted", "status_label",
        "place", "offered_unit", "offered_at", "moved_in_at",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[HousingApplication]:
        return selectors.housing_application_details(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an application is started by the applicant (or at the window) as a case

    def has_change_permission(self, request: HttpRequest, obj: HousingApplication | None = None) -> bool:
        return False  # offers and moving in go through the buttons below, which call the services

    def has_delete_permission(self, request: HttpRequest, obj: HousingApplication | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: HousingApplication | None = None) -> bool:
        return request.user.has_perm("housing.view_housingapplication")

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        title = _("保障性租赁住房轮候名单（先到先得，按受理时间排序）")
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

    @admin.display(description=_("轮候位次"))
    def place(self, detail: HousingApplication) -> str:
        position, total = detail.waiting_position, detail.waiting_total  # type: ignore[attr-defined]
        return _("第 %(position)s 位 / 共 %(total)s 位") % {"position": position, "total": total} if position else "—"

    @admin.display(description=_("受理编号"), ordering="case__reference")
    def reference(self, detail: HousingApplication) -> str:
        return detail.case.reference or "—"

    @admin.display(description=_("申请人"))
    def applicant_name(self, detail: HousingApplication) -> str:
        return f"{detail.case.applicant.name}（{detail.case.applicant.id_number_masked}）"

    @admin.display(description=_("受理时间"), ordering="case__submitted_at")
    def submitted(self, detail: HousingApplication) -> str:
        submitted_at = detail.case.submitted_at
        return timezone.localtime(submitted_at).strftime("%Y-%m-%d %H:%M") if submitted_at else "—"

    @admin.display(description=_("状态"))
    def status_label(self, detail: HousingApplication) -> str:
        return detail.case.get_status_display()

    @admin.display(description=_("申请"))
    def case_link(self, detail: HousingApplication) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[detail.pk]), detail.case.reference
        )

    @admin.display(description=_("下一步"))
    def next_step(self, detail: HousingApplication) -> str:
        if detail.case.status == CaseStatus.APPROVED:
            return format_html(
                '<a class="button" href="{}">{}</a>', reverse("admin:housing_affordable_offer", args=[detail.pk]),
                _("分配房源"),
            )  # fmt: skip
        if detail.case.status == CaseStatus.ISSUED:
            return format_html(
                '<a class="button" href="{}">{}</a>', reverse("admin:housing_affordable_offer", args=[detail.pk]),
                _("登记入住"),
            )  # fmt: skip
        return "—"

    # --- offering a flat, recording the move-in ------------------------------------------------------

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [
            path("<int:pk>/offer/", self.admin_site.admin_view(self.offer_view), name="housing_affordable_offer"),
            *super().get_urls(),
        ]

    def offer_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """分配房源 for a waiting applicant; 登记入住 for one who was offered a flat."""
        try:
            detail = self.get_queryset(request).get(pk=pk)
        except HousingApplication.DoesNotExist as exc:
            raise Http404 from exc
        case = detail.case
        form = OfferForm(request.POST or None)
        if request.method == "POST":
            try:
                if case.status == CaseStatus.ISSUED:
                    services.housing_application_move_in(actor=request.user, case=case, ip=client_ip(request))
                    messages.success(request, _("已登记入住，本件办结。"))
                    return HttpResponseRedirect(reverse("admin:housing_housingapplication_changelist"))
                if form.is_valid():
                    services.housing_application_offer(
                        actor=request.user, case=case, unit=form.cleaned_data["unit"],
                        skip_reason=form.cleaned_data["skip_reason"], ip=client_ip(request),
                    )  # fmt: skip
                    messages.success(request, _("已分配房源，申请人会收到站内消息和短信。"))
                    return HttpResponseRedirect(reverse("admin:housing_housingapplication_changelist"))
            except DomainError as error:
                form_add_domain_error(form, error)
                if case.status == CaseStatus.ISSUED:
                    messages.error(request, str(error.message))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("登记入住") if case.status == CaseStatus.ISSUED else _("分配房源"),
            "detail": detail,
            "case": case,
            "form": form,
        }
        return TemplateResponse(request, "housing/affordable_admin_offer.html", context)
