"""The caseworker console for residence permits (居住证): the permits of one's streets, read-only.

A permit changes only through its cases (application, endorsement, replacement), which are decided on the
case pages; this list finds a permit and shows its history. The QR code's verify_token is never shown: a
photo of a screen would be a working copy of the holder's card.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_administrator
from cases.choices import CaseStatus
from cases.models import Case
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError
from kernel.paginators import EstimatedCountPaginator
from permits.choices import DeliveryMethod
from permits.models import PermitApplication, PermitEndorsement
from residents.admin import StreetFilter
from residents.admin_search import PersonSearchMixin
from residents.pii import id_number_validate

from . import selectors, services
from .models import Permit, PermitType

# A permit number: the district's division code, the year of issue and eight digits (330602202600000123).
PERMIT_NUMBER = re.compile(rf"{selectors.DISTRICT_CODE}\d{{12}}")


class ValidityFilter(admin.SimpleListFilter):
    title = _("有效状态")
    parameter_name = "validity"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [
            ("valid", _("有效")),
            ("lapsed", _("已中止（未按时签注）")),
            ("endorsement", _("签注期内（届满前一个月）")),
        ]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        today = timezone.localdate()
        if self.value() == "valid":
            return queryset.valid_on(today)
        if self.value() == "lapsed":
            return queryset.lapsed_on(today)
        if self.value() == "endorsement":
            return queryset.filter(valid_until__range=selectors.endorsement_window_open_for(today))
        return queryset


class HolderStreetFilter(StreetFilter):
    """A permit has no street of its own: it follows the street where its holder is registered now."""

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(holder__street_id=self.value()) if self.value() else queryset


@admin.register(Permit)
class PermitAdmin(OutOfScopeIs404, PersonSearchMixin, admin.ModelAdmin):
    # The address it had before the model moved from residents (kernel.admin_site): bookmarks and messages
    # already sent keep working.
    console_path = "residents/permit"
    resident_path = "holder"

    # What decides the next step (valid? until when?) comes before what only describes the permit, so it is in
    # view without scrolling beside the console's menu and filters.
    list_display = [
        "number", "holder_name", "permit_type", "valid_until_day", "validity", "issued_on_day", "card_serial",
    ]  # fmt: skip
    list_filter = [ValidityFilter, "permit_type", HolderStreetFilter]
    # Named, so the admin does not follow every foreign key (the application case and all of its own).
    list_select_related = ["holder", "permit_type"]
    search_fields = ["number"]  # replaced by get_search_results; kept so the admin shows the search box
    search_help_text = _("输入居住证号码、持证人完整身份证号码、手机号，或持证人姓名（可只输入开头）")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    list_per_page = 25
    ordering = ["-id"]
    fields = [
        "number", "holder_link", "holder_id_number", "permit_type_name", "issued_on", "valid_until", "validity",
        "continuity_restarted_on", "card_serial", "application_link", "created_at",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Permit]:
        return selectors.permit_list(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued by approving an application

    def has_delete_permission(self, request: HttpRequest, obj: Permit | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Permit | None = None) -> bool:
        return False  # changed only by its cases: endorsement, replacement

    def has_view_permission(self, request: HttpRequest, obj: Permit | None = None) -> bool:
        return request.user.has_perm("permits.view_permit")

    # --- search: a permit number, or the holder ------------------------------------------------------

    def _is_permit_number(self, request: HttpRequest, term: str) -> bool:
        """Whether what was typed is a permit number rather than an ID number.

        Both have 18 digits. A permit number's 7th to 14th digits are a year and a serial, which read as a
        birth date only once the serial passes a million; a term that is also a valid ID number counts as a
        permit number only when such a permit exists, so an ID number never reaches the URL in clear.
        """
        if not PERMIT_NUMBER.fullmatch(term):
            return False
        try:
            id_number_validate(term)
        except DomainError:
            return True
        return self.get_queryset(request).filter(number=term).exists()

    def _private_query(self, request: HttpRequest, term: str) -> str:
        return term.strip() if self._is_permit_number(request, term.strip()) else super()._private_query(request, term)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        if self._is_permit_number(request, request.GET.get("q", "").strip()):
            return admin.ModelAdmin.changelist_view(self, request, extra_context)  # no swap for a hash
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        term = search_term.strip()
        if PERMIT_NUMBER.fullmatch(term):  # let through by changelist_view as a permit number
            return queryset.filter(number=term), False
        return super().get_search_results(request, queryset, term)

    # --- columns -------------------------------------------------------------------------------------

    @admin.display(description=_("持证人"))
    def holder_name(self, permit: Permit) -> str:
        return f"{permit.holder.name}（{permit.holder.id_number_masked}）"

    @admin.display(description=_("持证人"))
    def holder_link(self, permit: Permit) -> str:
        url = reverse("admin:residents_resident_change", args=[permit.holder_id])
        return format_html('<a href="{}">{}</a>', url, permit.holder.name)

    @admin.display(description=_("身份证号"))
    def holder_id_number(self, permit: Permit) -> str:
        return permit.holder.id_number_masked

    @admin.display(description=_("类型"))
    def permit_type_name(self, permit: Permit) -> str:
        return str(permit.permit_type)  # plain text: the permit types' admin is the administrators'

    # Dates as the rest of the console writes them (2026-11-28): the long form pushes columns out of view.
    @admin.display(description=_("有效期至"), ordering="valid_until")
    def valid_until_day(self, permit: Permit) -> str:
        return permit.valid_until.isoformat()

    @admin.display(description=_("签发日期"), ordering="issued_on")
    def issued_on_day(self, permit: Permit) -> str:
        return permit.issued_on.isoformat()

    @admin.display(description=_("有效状态"))
    def validity(self, permit: Permit) -> str:
        return str(_("有效")) if permit.is_valid else str(_("已中止"))

    @admin.display(description=_("申领申请"))
    def application_link(self, permit: Permit) -> str:
        url = reverse("admin:cases_case_change", args=[permit.application_id])
        return format_html('<a href="{}">{}</a>', url, permit.application.reference)

    # --- the permit page -----------------------------------------------------------------------------

    def _permit_or_404(self, request: HttpRequest, pk) -> Permit:  # type: ignore[no-untyped-def]
        try:
            return selectors.permit_get(user=request.user, pk=int(pk))
        except (Permit.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        permit = self._permit_or_404(request, object_id)
        applications = (
            selectors.permit_applications(user=request.user)
            .filter(Q(pk=permit.application_id) | Q(permit_application__permit=permit))
            .order_by("id")
        )
        extra_context = {
            **(extra_context or {}),
            "permit": permit,
            "endorsements": selectors.permit_endorsements(permit=permit),
            "applications": applications,
            "timeline": selectors.permit_timeline(permit=permit),
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(PermitType)
class PermitTypeAdmin(admin.ModelAdmin):
    """Administrators keep the permit types and their document checklists (shown to applicants as is)."""
    # The address it had before the model moved from residents (kernel.admin_site): bookmarks and messages
    # already sent keep working.
    console_path = "residents/permittype"

    list_display = ["name_zh", "basis", "exempt_from_residence_rule", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: PermitType | None = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: PermitType | None = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: PermitType | None = None) -> bool:
        return False  # retire a type with "受理中" off; permits already issued keep pointing at it

    def get_readonly_fields(self, request: HttpRequest, obj: PermitType | None = None) -> list[str]:
        return ["key"] if obj else []


# --- the permit's part of the generic case page (declared in permits.casetypes) ---------------------------


class DispatchForm(forms.Form):
    """The card is made and handed to the courier: what the applicant needs to follow it."""

    courier = forms.CharField(
        label=_("快递公司"), max_length=40, widget=forms.TextInput(attrs={"placeholder": _("例如：中国邮政 EMS")})
    )
    tracking_number = forms.CharField(label=_("快递单号"), max_length=40)


def permit_case_console_context(request: HttpRequest, case: Case) -> dict[str, object] | None:
    """What a permit, replacement or endorsement case adds to its console page: its details and the next step."""
    if case.case_type == selectors.PERMIT_ENDORSEMENT_CASE_TYPE:
        try:
            return {"endorsement": case.endorsement}
        except PermitEndorsement.DoesNotExist:
            return None
    try:
        detail = selectors.permit_application_get(user=request.user, pk=case.pk).permit_application
    except (Case.DoesNotExist, PermitApplication.DoesNotExist):
        return None  # a case opened but never given its details: the generic page is all there is
    # After a refused dispatch the page comes back with what was typed (the action's keep_fields), to correct it.
    typed = {field: request.GET.get(field, "")[:40] for field in DispatchForm.base_fields}
    return {
        "permit_application": detail,
        "by_express": detail.delivery_method == DeliveryMethod.EXPRESS,
        "dispatch_form": DispatchForm(initial=typed) if case.status == CaseStatus.APPROVED else None,
        "may_deliver": case.status == CaseStatus.ISSUED,
    }


def permit_dispatch_from_console(*, actor: User, case: Case, data: QueryDict, ip: str | None) -> str:
    case = services.permit_dispatch(
        actor=actor, case=case, courier=data.get("courier", ""), tracking_number=data.get("tracking_number", ""),
        ip=ip,
    )  # fmt: skip
    if case.permit_application.delivery_method == DeliveryMethod.EXPRESS:
        return str(_("已登记寄出，快递单号已通知申请人。"))
    return str(_("已通知申请人到窗口领取。"))


def permit_deliver_from_console(*, actor: User, case: Case, data: QueryDict, ip: str | None) -> str:
    services.permit_deliver(actor=actor, case=case, ip=ip)
    return str(_("已确认申请人拿到居住证，本件办结。"))
