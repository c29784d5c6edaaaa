"""The caseworker console for residents: scoped by visible_to, ID numbers masked, reveal audited."""

from __future__ import annotations

import copy
from typing import TypeVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.network import client_ip
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError, form_add_domain_error
from kernel.paginators import EstimatedCountPaginator

from . import selectors, services
from .admin_search import PersonSearchMixin
from .audit import audit_event_types
from .choices import RegionKind
from .forms import ResidenceEndForm, ResidenceRegistrationForm
from .models import AuditEvent, Caseworker, Jurisdiction, Region, ResidenceRegistration, Resident


class ArchivedFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "archived"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("no", _("在册")), ("yes", _("已归档"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class StreetFilter(admin.SimpleListFilter):
    """Only the streets the caseworker covers are offered."""

    title = _("街道")
    parameter_name = "street"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        streets = Region.objects.filter(kind=RegionKind.STREET)
        if not (request.user.is_superuser or request.user.has_role("administrator")):
            streets = streets.filter(pk__in=Jurisdiction.objects.filter(caseworker=request.user).values("street_id"))
        return [(str(s.pk), s.name) for s in streets]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(street_id=self.value()) if self.value() else queryset


class ArchiveForm(forms.Form):
    reason = forms.CharField(label=_("归档原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


# The registration panel sits among the resident's read-only fields, inside the admin's change form; a form
# cannot nest in another, so its inputs name their own forms (empty, after the change form) by these ids.
REGISTRATION_FORM_ID = "residence-register-form"
DEREGISTRATION_FORM_ID = "residence-end-form"
PanelForm = TypeVar("PanelForm", bound=forms.Form)


def _for_the_panel(form: PanelForm, form_id: str, date_field: str) -> PanelForm:
    """Nothing is required by the form: what is missing is the service's to say (its messages name what to
    fill in, as on the residents' pages and in the API). No date after today: the service refuses one."""
    for field in form.fields.values():
        field.required = False
        field.widget.attrs["form"] = form_id
    form.fields[date_field].widget.attrs["max"] = timezone.localdate().isoformat()
    return form


def registration_form(data=None) -> ResidenceRegistrationForm:  # type: ignore[no-untyped-def]
    """The residents' own registration form, for the console (ids apart from the change form's)."""
    return _for_the_panel(ResidenceRegistrationForm(data, auto_id="residence_%s"), REGISTRATION_FORM_ID, "started_on")


def deregistration_form(data=None) -> ResidenceEndForm:  # type: ignore[no-untyped-def]
    return _for_the_panel(ResidenceEndForm(data, auto_id="deregistration_%s"), DEREGISTRATION_FORM_ID, "ended_on")


@admin.register(Resident)
class ResidentAdmin(OutOfScopeIs404, PersonSearchMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "id_number_masked",
        "gender",
        "birth_date",
        "street",
        "community",
        "phone",
        "status",
    ]
    list_filter = [StreetFilter, ArchivedFilter]
    list_select_related = ["street", "community"]
    search_fields = ["name"]  # replaced by get_search_results; kept so the admin shows the search box
    search_help_text = _("输入姓名（可只输入开头）、手机号，或完整的 18 位身份证号码")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    list_per_page = 25  # rendering a row costs about 1.5 ms; 25 people are plenty to find one (PERFORMANCE.md)
    ordering = ["-id"]
    fields = [
        "name", "id_number_masked", "gender", "birth_date", "hukou_province_name", "hukou_address",
        "phone", "education", "community", "street", "address", "arrival_date", "family", "user",
        "archived_at", "archive_reason",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resident]:
        return selectors.resident_list(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # residents create their own records; staff intake comes with registration

    def has_delete_permission(self, request: HttpRequest, obj: Resident | None = None) -> bool:
        return False  # archive with a reason instead

    def has_change_permission(self, request: HttpRequest, obj: Resident | None = None) -> bool:
        return False  # the console reads; changes go through the actions below, which call services

    @admin.display(description=_("状态"))
    def status(self, resident: Resident) -> str:
        return str(_("已归档")) if resident.is_archived else str(_("在册"))

    @admin.display(description=_("户籍省份"))
    def hukou_province_name(self, resident: Resident) -> str:
        return resident.hukou_province_name

    @admin.display(description=_("家庭"))
    def family(self, resident: Resident) -> str:
        children = selectors.resident_children(guardian=resident)
        guardians = Resident.objects.filter(ward_links__child=resident)
        rows = [(reverse("admin:residents_resident_change", args=[c.pk]), _("子女"), c.name) for c in children]
        rows += [(reverse("admin:residents_resident_change", args=[g.pk]), _("监护人"), g.name) for g in guardians]
        if not rows:
            return "—"
        return format_html_join(mark_safe("<br>"), '{1}：<a href="{0}">{2}</a>', rows)

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        resident = self._get_visible(request, int(object_id)) if str(object_id).isdigit() else None
        if resident is not None:
            history = selectors.residence_history(resident=resident)
            extra_context = {
                "resident": resident,
                "timeline": selectors.resident_timeline(user=request.user, resident=resident)[:50],
                "residence_history": history,
                "residence_current": history[0] if history and history[0].is_current else None,
                "residence_continuous_since": selectors.residence_continuous_since(history),
                "registration_form": registration_form(),
                "deregistration_form": deregistration_form(),
                "registration_form_id": REGISTRATION_FORM_ID,
                "deregistration_form_id": DEREGISTRATION_FORM_ID,
                **(extra_context or {}),  # a refused form, bound, from the POST views below
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [
            path(
                "<int:pk>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="residents_resident_reveal",
            ),
            path(
                "<int:pk>/archive/",
                self.admin_site.admin_view(self.archive_view),
                name="residents_resident_archive",
            ),
            path(
                "<int:pk>/residence/register/",
                self.admin_site.admin_view(self.residence_register_view),
                name="residents_resident_residence_register",
            ),
            path(
                "<int:pk>/residence/<int:registration_pk>/end/",
                self.admin_site.admin_view(self.residence_end_view),
                name="residents_resident_residence_end",
            ),
            *super().get_urls(),
        ]

    def _get_visible(self, request: HttpRequest, pk: int) -> Resident:
        try:
            return selectors.resident_get(user=request.user, pk=pk)
        except Resident.DoesNotExist as exc:
            raise Http404 from exc

    def reveal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:residents_resident_change", pk)
        resident = self._get_visible(request, pk)
        try:
            plaintext = services.resident_id_number_reveal(actor=request.user, resident=resident, ip=client_ip(request))
        except DomainError as error:
            raise PermissionDenied(str(error.message)) from error
        response = TemplateResponse(
            request,
            "admin/residents/resident/reveal.html",
            {**self.admin_site.each_context(request), "resident": resident, "id_number": plaintext,
             "opts": self.model._meta, "title": _("完整身份证号码")},
        )  # fmt: skip
        response["Cache-Control"] = "no-store"
        return response

    def archive_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        resident = self._get_visible(request, pk)
        form = ArchiveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.resident_archive(
                    actor=request.user, resident=resident, reason=form.cleaned_data["reason"],
                    ip=client_ip(request),
                )  # fmt: skip
                messages.success(request, _("档案已归档。"))
                return redirect("admin:residents_resident_change", pk)
            except DomainError as error:
                form.add_error("reason" if error.field == "reason" else None, str(error.message))
        return TemplateResponse(
            request,
            "admin/residents/resident/archive.html",
            {**self.admin_site.each_context(request), "resident": resident, "form": form,
             "opts": self.model._meta, "title": _("归档居民档案")},
        )  # fmt: skip

    # --- residence registration at the window (浙江省流动人口居住登记条例 art. 14) --------------------------

    def residence_register_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Register the resident's address, or a new one (the current registration ends on the moving day)."""
        resident = self._get_visible(request, pk)
        if request.method != "POST":
            return redirect("admin:residents_resident_change", pk)
        form = registration_form(request.POST)
        if not form.is_valid():
            return self._refused(request, pk, registration_form=form)
        try:
            registration = services.residence_register(
                actor=request.user, resident=resident, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form_add_domain_error(form, error)
            return self._refused(request, pk, error, registration_form=form)
        messages.success(
            request,
            _("已为 %(name)s 办理居住登记：%(street)s · %(community)s，%(address)s，入住日期 %(date)s。")
            % {"name": resident.name, "street": registration.street.name, "community": registration.community.name,
               "address": registration.address, "date": registration.started_on.isoformat()},
        )  # fmt: skip
        if selectors.residence_change_reported_late(registration):
            messages.warning(request, _("这次变更距搬家已超过 10 日（逾期申报），请提醒居民以后及时申报。"))
        if not selectors.resident_list(user=request.user).filter(pk=pk).exists():
            # Registered in a street this caseworker does not cover: that street's caseworkers serve them now.
            messages.info(
                request,
                _("%(name)s 已迁入%(street)s，不在您负责的街道，今后由该街道办理。")
                % {"name": resident.name, "street": registration.street.name},
            )
            return redirect("admin:residents_resident_changelist")
        return redirect("admin:residents_resident_change", pk)

    def residence_end_view(self, request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
        """Deregister: the resident left the address (or the district). The registration is named in the URL so
        that a page left open does not end a registration someone else has made since."""
        resident = self._get_visible(request, pk)
        try:
            registration = selectors.residence_registrations(user=request.user).get(
                pk=registration_pk, resident=resident
            )
        except ResidenceRegistration.DoesNotExist as exc:
            raise Http404 from exc
        if request.method != "POST":
            return redirect("admin:residents_resident_change", pk)
        form = deregistration_form(request.POST)
        if not form.is_valid():
            return self._refused(request, pk, deregistration_form=form)
        try:
            services.residence_end(
                actor=request.user, registration=registration, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form_add_domain_error(form, error)
            return self._refused(request, pk, error, deregistration_form=form)
        messages.success(
            request, _("已注销居住登记（离开日期 %(date)s）。") % {"date": form.cleaned_data["ended_on"].isoformat()}
        )
        return redirect("admin:residents_resident_change", pk)

    def _refused(
        self, request: HttpRequest, pk: int, error: DomainError | None = None, **bound: forms.Form
    ) -> HttpResponse:
        """The resident's page again, with the message on top and the form as it was typed (nothing saved).

        Rendered in place rather than redirected so the caseworker does not type the address again. The
        admin's change view renders its page only for GET (for a POST it would save the read-only form).
        """
        if error is not None:
            messages.error(request, str(error.message))
        else:  # the form's own checks: a date or a community that is not one
            for form in bound.values():
                for name, errors in form.errors.items():
                    label = form.fields[name].label if name in form.fields else ""
                    messages.error(request, f"{label}：{errors[0]}" if label else errors[0])
        page_request = copy.copy(request)
        page_request.method = "GET"
        return self.change_view(page_request, str(pk), extra_context=bound)


class AuditEventTypeFilter(admin.SimpleListFilter):
    """The event types every app registered (residents.audit), by their labels."""

    title = _("事件")
    parameter_name = "event_type"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return audit_event_types()

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(OutOfScopeIs404, admin.ModelAdmin):
    list_display = ["created_at", "event", "actor", "subject", "reason", "ip_address"]
    list_filter = [AuditEventTypeFilter]
    list_select_related = ["actor", "subject"]
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    date_hierarchy = None
    ordering = ["-created_at", "-id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.visible_to(request.user)

    @admin.display(description=_("事件"), ordering="event_type")
    def event(self, event: AuditEvent) -> str:
        return event.event_type_label

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "sort_order"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]


class CaseworkerForm(forms.ModelForm):
    streets = forms.ModelMultipleChoiceField(
        label=_("负责的街道"),
        queryset=Region.objects.filter(kind=RegionKind.STREET),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Caseworker
        fields: list[str] = []


@admin.register(Caseworker)
class CaseworkerAdmin(admin.ModelAdmin):
    """Administrators set which streets each caseworker covers (saved through jurisdiction_set)."""

    form = CaseworkerForm
    list_display = ["username", "email", "streets_covered"]
    search_fields = ["username", "email"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return Caseworker.objects.filter(groups__name="caseworker").prefetch_related("jurisdictions__street")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or request.user.has_role("administrator")

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    @admin.display(description=_("负责的街道"))
    def streets_covered(self, user: User) -> str:
        return "、".join(j.street.name for j in user.jurisdictions.all()) or "—"

    def get_form(self, request, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.base_fields["streets"].initial = list(obj.jurisdictions.values_list("street_id", flat=True))
        return form

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        services.jurisdiction_set(actor=request.user, caseworker=obj, streets=list(form.cleaned_data["streets"]))

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        pass


@admin.register(ResidenceRegistration)
class ResidenceRegistrationAdmin(OutOfScopeIs404, admin.ModelAdmin):
    """Registrations of the caseworker's streets, read-only: registering goes through the service (the
    resident's page or the API, used at the window too)."""

    list_display = ["resident", "street", "community", "address", "basis", "started_on", "ended_on"]
    list_filter = [StreetFilter, "basis"]
    list_select_related = ["resident", "street", "community"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-started_on", "-id"]
    readonly_fields = [
        "resident", "community", "street", "address", "basis", "started_on", "ended_on", "end_reason",
        "registered_by", "registered_at",
    ]  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResidenceRegistration]:
        return selectors.residence_registrations(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ResidenceRegistration | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ResidenceRegistration | None = None) -> bool:
        return False


