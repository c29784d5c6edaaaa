"""The caseworker console for rental housing: the properties of one's streets to verify (核验), their tenancies
with late and overdue reports, the possible group rentals to visit, and — for administrators — the official
holiday schedules the three-working-day deadlines are counted in.

Every list starts from housing.selectors (the models' visible_to): a row out of scope is a 404. Nothing is
edited in place; the buttons and actions call services, and a service's refusal is shown as a message.
"""

from __future__ import annotations

import datetime
import mimetypes
import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import F, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.network import client_ip
from accounts.permissions import is_administrator
from accounts.phones import phone_mask
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError
from kernel.paginators import EstimatedCountPaginator
from residents.admin import StreetFilter

from . import (
    permissions,  # noqa: F401 — registers the console's model permissions
    selectors,
    services,
    workdays,
)
from .choices import PropertyStatus, TenancyStatus
from .models import OccupancyFlag, OfficialCalendarYear, Property, Tenancy

# How many of a property's tenancies and flags its page shows (the newest; the lists have the rest).
PROPERTY_PAGE_ROWS = 50
ESTIMATED_NOTE = _("该年度法定节假日安排尚未公布，期限按周末计算")


def _estimated_deadlines(tenancies: list[Tenancy]) -> None:
    """Mark each tenancy whose deadline was counted over a year without an official schedule (weekends only),
    reading the schedules once for the whole page."""
    calendar = selectors.deadline_calendar(tenancies)
    for tenancy in tenancies:
        tenancy.deadline_estimated = workdays.working_days_after(tenancy.move_in_date, calendar=calendar).estimated


def _reported_late(tenancy: Tenancy) -> bool:
    """Reported after the deadline, or a declaration still unconfirmed after it (浙江条例 art. 34)."""
    if tenancy.move_in_reported_at is not None:
        return timezone.localdate(tenancy.move_in_reported_at) > tenancy.move_in_due_on
    return tenancy.status == TenancyStatus.DECLARED and timezone.localdate() > tenancy.move_in_due_on


# --- filters ------------------------------------------------------------------------------------------


class DefaultingFilter(admin.SimpleListFilter):
    """A filter with a default choice (the work to do), and "全部" to see everything."""

    default = ""
    ALL = "all"

    def choices(self, changelist):  # type: ignore[no-untyped-def]
        current = self.value() or self.default
        for value, label in self.lookup_choices:
            yield {
                "selected": current == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def current(self) -> str:
        return self.value() or self.default


class PropertyStatusFilter(DefaultingFilter):
    """The queue opens on the properties waiting for verification, the oldest first."""

    title = _("状态")
    parameter_name = "status"
    default = PropertyStatus.PENDING

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [*PropertyStatus.choices, (self.ALL, _("全部"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        value = self.current()
        return queryset.filter(status=value) if value in PropertyStatus.values else queryset


class PropertyStreetFilter(StreetFilter):
    """Only the streets the caseworker covers are offered (a tenancy's street is its property's)."""

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(property__street_id=self.value()) if self.value() else queryset


class ReportFilter(admin.SimpleListFilter):
    """Late reports (人来申报 after the three working days) and declarations still unconfirmed after them."""

    title = _("申报情况")
    parameter_name = "report"
    OVERDUE, LATE = "overdue", "late"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [(self.OVERDUE, _("超期未确认的租客申报")), (self.LATE, _("逾期申报"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == self.OVERDUE:
            return queryset.filter(status=TenancyStatus.DECLARED, move_in_due_on__lt=timezone.localdate())
        if self.value() == self.LATE:
            # The reporting day in Beijing time (USE_TZ: __date converts in the current time zone).
            return queryset.filter(move_in_reported_at__date__gt=F("move_in_due_on"))
        return queryset


class FlagStatusFilter(DefaultingFilter):
    title = _("处理情况")
    parameter_name = "resolved"
    default = "no"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("no", _("待处理")), ("yes", _("已处理")), (self.ALL, _("全部"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        value = self.current()
        if value == "no":
            return queryset.filter(resolved_at__isnull=True)
        if value == "yes":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


# --- forms --------------------------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("不通过的原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
        help_text=_("房东会收到这段话，请写明缺什么、怎么补，例如：产权证明照片看不清，请重新拍照上传。"),
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("处理结果"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：已上门核实，多住的人已搬离；或：核定人数登记有误，已请房东更正。"),
    )


# --- properties ---------------------------------------------------------------------------------------


def property_proof_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a property's ownership proof to whoever may see the property — its owner, a caseworker of its
    street, an administrator — and a 404 to anyone else. Never cached, never shown inline.

    Not behind the admin's staff check, so that the landlord can open their own proof from the same link.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        prop = selectors.property_list(user=request.user).get(pk=pk)
    except Property.DoesNotExist as exc:
        raise Http404 from exc
    if not prop.ownership_proof:
        raise Http404
    content_type = mimetypes.guess_type(prop.ownership_proof_name)[0] or "application/octet-stream"
    response = FileResponse(
        prop.ownership_proof.open("rb"), as_attachment=True, filename=prop.ownership_proof_name,
        content_type=content_type,
    )  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@admin.register(Property)
class PropertyAdmin(OutOfScopeIs404, admin.ModelAdmin):
    list_display = ["address", "status", "owner_name", "street", "community", "max_occupants", "created_at"]
    list_filter = [PropertyStatusFilter, StreetFilter]
    list_select_related = ["street", "community"]
    search_fields = ["address"]
    search_help_text = _("输入房屋地址中的几个字，例如路名、小区名或门牌号")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    list_per_page = 50
    actions = ["verify_selected"]
    # The facts the proof is checked against are in the review panel above these (change_form.html).
    fields = ["owner_account", "community", "street", "created_at", "verified_by", "verified_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Property]:
        return selectors.property_list(user=request.user)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # The verification queue is first come, first served; any other list shows the newest first.
        status = request.GET.get(PropertyStatusFilter.parameter_name) or PropertyStatusFilter.default
        return ["id"] if status == PropertyStatus.PENDING else ["-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # landlords register their properties themselves, with the ownership proof

    def has_change_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False  # read-only; the buttons call services

    def has_delete_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False

    @admin.display(description=_("登记账户"))
    def owner_account(self, prop: Property) -> str:
        owner = prop.owner
        return f"{owner.username}（{phone_mask(owner.phone)}）" if owner.phone else owner.username

    @admin.display(description=_("产权证明"))
    def proof(self, prop: Property) -> str:
        if not prop.ownership_proof:
            return "—"
        return format_html(
            '<a href="{}" id="ownership-proof">{}</a>',
            reverse("admin:housing_property_proof", args=[prop.pk]),
            prop.ownership_proof_name,
        )

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        return super().changelist_view(request, {**(extra_context or {}), "title": _("出租房屋核验")})

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        prop = self._property_or_404(request, object_id)
        tenancies = list(
            selectors.tenancy_list(user=request.user).filter(property=prop).order_by("-id")[: PROPERTY_PAGE_ROWS + 1]
        )
        more_tenancies, tenancies = len(tenancies) > PROPERTY_PAGE_ROWS, tenancies[:PROPERTY_PAGE_ROWS]
        _estimated_deadlines(tenancies)
        for tenancy in tenancies:
            tenancy.reported_late = _reported_late(tenancy)
        extra_context = {
            **(extra_context or {}),
            "property": prop,
            "tenancies": tenancies,
            "more_tenancies": more_tenancies,
            "any_estimated": any(t.deadline_estimated for t in tenancies),
            "living": prop.occupant_count,
            "flags": list(selectors.occupancy_flags(user=request.user).filter(property=prop)[:PROPERTY_PAGE_ROWS]),
            "reject_form": RejectForm(),
            "may_verify": prop.status != PropertyStatus.VERIFIED,
            "may_reject": prop.status == PropertyStatus.PENDING,
            "estimated_note": ESTIMATED_NOTE,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _property_or_404(self, request: HttpRequest, pk: Any) -> Property:
        try:
            return selectors.property_list_with_occupancy(user=request.user).get(pk=int(pk))
        except (Property.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [
            path("<int:pk>/act/<str:what>/", self.admin_site.admin_view(self.act_view), name="housing_property_act"),
            path("<int:pk>/proof/", property_proof_download, name="housing_property_proof"),
            *super().get_urls(),
        ]

    def act_view(self, request: HttpRequest, pk: int, what: str) -> HttpResponse:
        """The page's two buttons: 核验通过, and 不通过 with the reason the landlord will read."""
        if request.method != "POST":
            return redirect("admin:housing_property_change", pk)
        prop = self._property_or_404(request, pk)
        try:
            if what == "verify":
                services.property_verify(actor=request.user, prop=prop)
                done = _("已核验通过，房东可以申报租客了。")
            elif what == "reject":
                services.property_reject(actor=request.user, prop=prop, reason=request.POST.get("reason", ""))
                done = _("已记录不通过，原因会告知房东。")
            else:
                raise Http404
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(reverse("admin:housing_property_change", args=[pk]))

    @admin.action(description=_("核验通过所选房屋"))
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Property]) -> None:
        verified = 0
        for prop in queryset:
            try:
                services.property_verify(actor=request.user, prop=prop)
                verified += 1
            except DomainError as error:
                self.message_user(request, f"{prop.address}：{error.message}", messages.ERROR)
        if verified:
            self.message_user(request, _("已核验通过 %(n)s 处房屋。") % {"n": verified}, messages.SUCCESS)


# --- tenancies ----------------------------------------------------------------------------------------


@admin.register(Tenancy)
class TenancyAdmin(OutOfScopeIs404, admin.ModelAdmin):
    """Read-only: landlords and tenants report; the console sees who lives where and which reports were late."""

    # What a caseworker looks for first — the status, the deadline and whether it was kept — comes first; the
    # street and the way it was reported are filters.
    list_display = [
        "tenant_label", "property_link", "status", "due", "late", "reported_on", "move_in_date", "lease_end_date",
        "moved_out_on",
    ]  # fmt: skip
    list_filter = ["status", ReportFilter, PropertyStreetFilter, "source"]
    search_fields = ["property__address"]
    search_help_text = _("输入房屋地址中的几个字")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 50
    fields = [
        "tenant_label", "property_link", "street", "status", "source", "move_in_date", "lease_end_date", "due",
        "move_in_reported_at", "late", "moved_out_on", "move_out_reported_at", "reported_by", "registration",
        "created_at",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenancy]:
        return selectors.tenancy_list(user=request.user)

    def get_changelist_instance(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        _estimated_deadlines(rows)
        changelist.result_list = rows
        return changelist

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Tenancy | None:
        tenancy = super().get_object(request, object_id, from_field)
        if tenancy is not None:
            _estimated_deadlines([tenancy])
        return tenancy

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Tenancy | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Tenancy | None = None) -> bool:
        return False

    @admin.display(description=_("租客"), ordering="tenant__name")
    def tenant_label(self, tenancy: Tenancy) -> str:
        return f"{tenancy.tenant.name}（{tenancy.tenant.id_number_masked}）"

    @admin.display(description=_("房屋"))
    def property_link(self, tenancy: Tenancy) -> str:
        url = reverse("admin:housing_property_change", args=[tenancy.property_id])
        return format_html('<a href="{}">{}</a>', url, tenancy.property.address)

    @admin.display(description=_("街道"))
    def street(self, tenancy: Tenancy) -> str:
        return tenancy.property.street.name

    @admin.display(description=_("人来申报期限"), ordering="move_in_due_on")
    def due(self, tenancy: Tenancy) -> str:
        if getattr(tenancy, "deadline_estimated", False):
            return format_html('{} <small title="{}">（{}）</small>', tenancy.move_in_due_on, ESTIMATED_NOTE, _("估算"))
        return str(tenancy.move_in_due_on)

    @admin.display(description=_("申报日期"), ordering="move_in_reported_at")
    def reported_on(self, tenancy: Tenancy) -> str:
        return str(timezone.localdate(tenancy.move_in_reported_at)) if tenancy.move_in_reported_at else "—"

    @admin.display(description=_("逾期"), boolean=True)
    def late(self, tenancy: Tenancy) -> bool:
        return _reported_late(tenancy)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        context = {"title": _("租住登记"), "estimated_note": ESTIMATED_NOTE, **(extra_context or {})}
        return super().changelist_view(request, context)


# --- possible group rentals ---------------------------------------------------------------------------


@admin.register(OccupancyFlag)
class OccupancyFlagAdmin(OutOfScopeIs404, admin.ModelAdmin):
    """The refused over-capacity reports of one's streets: a visit to make, then its result recorded."""

    list_display = ["created_at", "property_link", "street", "counts", "reporter", "resolved", "resolution"]
    list_filter = [FlagStatusFilter, StreetFilter]
    search_fields = ["property__address"]
    search_help_text = _("输入房屋地址中的几个字")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 50
    actions = ["resolve_selected"]
    fields = ["property_link", "street", "counts", "reporter", "created_at", "resolved_at", "resolution"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OccupancyFlag]:
        return selectors.occupancy_flags(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OccupancyFlag | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OccupancyFlag | None = None) -> bool:
        return False

    @admin.display(description=_("房屋"))
    def property_link(self, flag: OccupancyFlag) -> str:
        url = reverse("admin:housing_property_change", args=[flag.property_id])
        return format_html('<a href="{}">{}</a>', url, flag.property.address)

    @admin.display(description=_("人数"))
    def counts(self, flag: OccupancyFlag) -> str:
        return str(
            _("已住 %(occupants)s / 核定 %(capacity)s 人") % {"capacity": flag.capacity, "occupants": flag.occupants}
        )

    @admin.display(description=_("申报账户"))
    def reporter(self, flag: OccupancyFlag) -> str:
        return flag.attempted_by.username

    @admin.display(description=_("已处理"), boolean=True)
    def resolved(self, flag: OccupancyFlag) -> bool:
        return flag.resolved_at is not None

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        return super().changelist_view(request, {**(extra_context or {}), "title": _("疑似群租提示")})

    @admin.action(description=_("已处理"))
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[OccupancyFlag]) -> HttpResponse | None:
        """Ask what the visit found (once for the selected flags), then record it on each."""
        flags = list(queryset)
        form = ResolveForm(request.POST if "resolution" in request.POST else None)
        if form.is_valid():
            resolved = 0
            for flag in flags:
                try:
                    services.occupancy_flag_resolve(
                        actor=request.user, flag=flag, resolution=form.cleaned_data["resolution"],
                        ip=client_ip(request),
                    )  # fmt: skip
                    resolved += 1
                except DomainError as error:
                    self.message_user(request, f"{flag.property.address}：{error.message}", messages.ERROR)
            if resolved:
                self.message_user(request, _("已记录 %(n)s 条提示的处理结果。") % {"n": resolved}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/housing/occupancyflag/resolve.html",
            {**self.admin_site.each_context(request), "flags": flags, "form": form, "opts": self.model._meta,
             "title": _("记录处理结果"), "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME},
        )  # fmt: skip


# --- official holiday schedules (administrators) -------------------------------------------------------

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class OfficialCalendarYearForm(forms.ModelForm):
    """Both lists must be dates of the year being entered, written YYYY-MM-DD; they are saved sorted and
    without repeats. An adjusted working day (调休) is a Saturday or Sunday and cannot also be a holiday."""

    class Meta:
        model = OfficialCalendarYear
        fields = ["year", "holidays", "adjusted_workdays", "source"]

    def _dates(self, field: str, year: int | None) -> list[datetime.date] | None:
        value = self.cleaned_data.get(field)
        if value is None:
            return None
        if not isinstance(value, list):
            self.add_error(field, _('请填写日期列表，例如 ["2027-01-01", "2027-02-06"]。'))
            return None
        days, wrong = [], []
        for item in value:
            try:
                if not (isinstance(item, str) and ISO_DATE.fullmatch(item)):
                    raise ValueError
                day = datetime.date.fromisoformat(item)
            except ValueError:
                wrong.append(str(item))
                continue
            if year is not None and day.year != year:
                wrong.append(item)
                continue
            days.append(day)
        if wrong:
            self.add_error(
                field,
                _("这些不是 %(year)s 年的日期（格式 YYYY-MM-DD）：%(dates)s")
                % {"year": year if year is not None else "", "dates": "、".join(wrong)},
            )
            return None
        return sorted(set(days))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        year = cleaned.get("year")
        holidays = self._dates("holidays", year)
        adjusted = self._dates("adjusted_workdays", year)
        if holidays is not None and adjusted is not None:
            both = sorted(set(holidays) & set(adjusted))
            if both:
                self.add_error(
                    "adjusted_workdays",
                    _("这些日期不能既放假又上班：%(dates)s") % {"dates": "、".join(d.isoformat() for d in both)},
                )
        if adjusted is not None:
            weekdays = [d for d in adjusted if d.weekday() < 5]
            if weekdays:
                self.add_error(
                    "adjusted_workdays",
                    _("调休上班日应是周六或周日，这些是工作日：%(dates)s")
                    % {"dates": "、".join(d.isoformat() for d in weekdays)},
                )
        if holidays is not None and "holidays" not in self.errors:
            cleaned["holidays"] = [d.isoformat() for d in holidays]
        if adjusted is not None and "adjusted_workdays" not in self.errors:
            cleaned["adjusted_workdays"] = [d.isoformat() for d in adjusted]
        return cleaned


@admin.register(OfficialCalendarYear)
class OfficialCalendarYearAdmin(admin.ModelAdmin):
    """Administrators enter each year's schedule when the State Council publishes it (usually in November).
    Deadlines already given are not recounted; new reports use the schedule from the moment it is saved."""

    form = OfficialCalendarYearForm
    list_display = ["year", "holiday_count", "adjusted_count", "source"]
    ordering = ["-year"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: OfficialCalendarYear | None = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: OfficialCalendarYear | None = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: OfficialCalendarYear | None = None) -> bool:
        return False  # a published schedule is corrected, never removed (deadlines were counted with it)

    @admin.display(description=_("放假天数"))
    def holiday_count(self, row: OfficialCalendarYear) -> int:
        return len(row.holidays or [])

    @admin.display(description=_("调休上班天数"))
    def adjusted_count(self, row: OfficialCalendarYear) -> int:
        return len(row.adjusted_workdays or [])
