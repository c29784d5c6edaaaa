"""The landlord's and the tenant's pages: 我的房屋 (register a property, report tenants in and out, confirm a
tenant's declaration, print the property's QR poster) and, for the tenant, the declaration a QR code opens and
我的租住.

Every page finds its rows through housing.selectors (the models' visible_to): the owner and a caseworker of the
property's street see a property, anybody else gets a 404. Only the owner acts; the services check that again,
and a caseworker sees the same page read-only. Lists are keyset pages, so a page costs the same number of
queries for an agency with a thousand tenants as for a landlord with one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.network import client_ip
from kernel.errors import DomainError, form_add_domain_error
from kernel.http import secret_link_headers
from residents import selectors as residents_selectors

from . import selectors, services, workdays
from .choices import PropertyStatus, TenancyStatus
from .forms import DeclarationForm, MoveInReportForm, MoveOutReportForm, PropertyRegisterForm
from .models import Property, Tenancy

PROPERTIES_PER_PAGE = 30
TENANCIES_PER_PAGE = 50
QR_ERRORS = ("qr_invalid", "qr_expired")
UPLOAD_FIELD = "file"


def _keyset_page(rows: QuerySet[Any], before: str, size: int) -> tuple[list[Any], int | None]:
    """One page of rows ordered by descending id, and the id to continue from (None on the last page)."""
    if before.isdigit():
        rows = rows.filter(id__lt=int(before))
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].pk if more else None)


# --- 我的房屋 ------------------------------------------------------------------------------------------


@login_required
def property_list(request: HttpRequest) -> HttpResponse:
    """我的房屋: the properties this account registered (an agency may have hundreds), 30 at a time, each with
    its status, how many live there and how many declarations wait for the landlord."""
    before = request.GET.get("before", "")
    owned = selectors.property_list_with_occupancy(user=request.user).filter(owner=request.user)
    properties, next_before = _keyset_page(owned, before, PROPERTIES_PER_PAGE)
    context = {"properties": properties, "next_before": next_before, "first_page": not before.isdigit()}
    return render(request, "housing/property_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def property_new(request: HttpRequest) -> HttpResponse:
    """登记出租房屋: the street's caseworker checks the ownership proof before tenants can be reported."""
    if request.method == "POST":
        form = PropertyRegisterForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                prop = services.property_register(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                if error.field == UPLOAD_FIELD:
                    # residents.uploads names its field "file"; on this form the file is the ownership proof.
                    form.add_error("ownership_proof", str(error.message))
                else:
                    form_add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    _("房屋已登记，等待街道核验。核验通过后会通知您，然后就可以申报租客、打印房屋二维码。"),
                )
                return redirect("housing:property", prop.pk)
    else:
        resident = residents_selectors.resident_of_user(user=request.user)
        form = PropertyRegisterForm(initial={"owner_name": resident.name if resident else ""})
    return render(request, "housing/property_form.html", {"form": form})


def _property_or_404(request: HttpRequest, pk: int) -> Property:
    try:
        return selectors.property_list_with_occupancy(user=request.user).get(pk=pk)
    except Property.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class Declaration:
    """A tenant's declaration waiting for the landlord, with how its deadline stands."""

    tenancy: Tenancy
    overdue: bool
    # The deadline was counted over a year whose official holidays are not published yet.
    estimated: bool


def _property_page(
    request: HttpRequest, prop: Property, *, move_in_form: MoveInReportForm | None = None
) -> HttpResponse:
    """The property page: its status, the declarations to confirm, the tenants (living there, or those who
    left), and for the owner of a verified property the move-in form with this report's deadline."""
    user = request.user
    today = timezone.localdate()
    is_owner = prop.owner_id == user.pk
    can_report = is_owner and prop.status == PropertyStatus.VERIFIED
    showing_ended = request.GET.get("list") == "ended"

    declared = list(
        selectors.property_tenancies(user=user, prop=prop, status=TenancyStatus.DECLARED)[: TENANCIES_PER_PAGE + 1]
    )
    more_declared = len(declared) > TENANCIES_PER_PAGE
    declared = declared[:TENANCIES_PER_PAGE]
    tenants, next_before = _keyset_page(
        selectors.property_tenancies(
            user=user, prop=prop, status=TenancyStatus.ENDED if showing_ended else TenancyStatus.ACTIVE
        ),
        request.GET.get("before", ""),
        TENANCIES_PER_PAGE,
    )

    # One read of the official schedules for every deadline on the page.
    years = {today.year, today.year + 1} | {t.move_in_due_on.year for t in declared}
    calendar = workdays.calendar_for(years)
    declarations = [
        Declaration(t, overdue=today > t.move_in_due_on, estimated=not calendar.knows(t.move_in_due_on))
        for t in declared
    ]
    if can_report and move_in_form is None:
        move_in_form = MoveInReportForm(initial={"move_in_date": today})
    context = {
        "property": prop,
        "is_owner": is_owner,
        "can_report": can_report,
        "move_in_form": move_in_form,
        "deadline_today": workdays.working_days_after(today, calendar=calendar),
        "working_days": workdays.REPORT_WORKING_DAYS,
        "declarations": declarations,
        "more_declared": more_declared,
        "tenants": tenants,
        "showing_ended": showing_ended,
        "next_before": next_before,
        "first_page": not request.GET.get("before", "").isdigit(),
        "full": prop.occupant_count >= prop.max_occupants,
        "today": today,
    }
    return render(request, "housing/property_detail.html", context)


@login_required
def property_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _property_page(request, _property_or_404(request, pk))


@login_required
@require_POST
def property_move_in(request: HttpRequest, pk: int) -> HttpResponse:
    """人来申报 from the property page; a refusal (over capacity included) shows on the form."""
    prop = _property_or_404(request, pk)
    form = MoveInReportForm(request.POST)
    if form.is_valid():
        reported_at = timezone.now()
        try:
            tenancy = services.tenancy_report_move_in(
                actor=request.user, prop=prop, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            # A record created by this very report is a tenant new to the portal, invited by SMS.
            _tell_move_in_reported(request, tenancy, record_started=tenancy.tenant.created_at >= reported_at)
            return redirect(reverse("housing:property", args=[prop.pk]) + "#tenants")
    return _property_page(request, prop, move_in_form=form)


def _tell_move_in_reported(request: HttpRequest, tenancy: Tenancy, *, record_started: bool) -> None:
    values = {"name": tenancy.tenant.name, "address": tenancy.property.address}
    messages.success(request, _("已申报 %(name)s 入住 %(address)s，租客的居住登记已同时办理。") % values)
    if timezone.localdate() > tenancy.move_in_due_on:
        messages.warning(
            request,
            _("这次申报超过了期限（%(date)s）。按规定，租客入住后 3 个工作日内应当申报，以后请及时办理。")
            % {"date": tenancy.move_in_due_on.isoformat()},
        )
    if record_started:
        messages.info(request, _("这位租客还没有在本平台登记，我们会发短信请其注册并完善信息。"))


def _tenancy_or_404(request: HttpRequest, pk: int) -> Tenancy:
    try:
        return selectors.tenancy_list(user=request.user).get(pk=pk)
    except Tenancy.DoesNotExist as exc:
        raise Http404 from exc


def _back_to_property(tenancy: Tenancy, anchor: str) -> HttpResponse:
    return redirect(reverse("housing:property", args=[tenancy.property_id]) + anchor)


@login_required
@require_POST
def tenancy_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The landlord confirms a tenant's declaration with one tap: the tenancy and the registration begin."""
    tenancy = _tenancy_or_404(request, pk)
    try:
        tenancy = services.tenancy_confirm(actor=request.user, tenancy=tenancy, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, str(error.message))
        return _back_to_property(tenancy, "#declarations")
    messages.success(request, _("已确认 %(name)s 入住，租客的居住登记已同时办理。") % {"name": tenancy.tenant.name})
    return _back_to_property(tenancy, "#tenants")


@login_required
@require_POST
def tenancy_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """不是我的租客: the declaration is closed and nobody is registered at the address."""
    tenancy = _tenancy_or_404(request, pk)
    try:
        services.tenancy_decline(actor=request.user, tenancy=tenancy, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已标记 %(name)s 不是这处房屋的租客。") % {"name": tenancy.tenant.name})
    return _back_to_property(tenancy, "#declarations")


@login_required
@require_POST
def tenancy_end(request: HttpRequest, pk: int) -> HttpResponse:
    """人走注销: the tenancy ends, and with it the residence registration it opened."""
    tenancy = _tenancy_or_404(request, pk)
    form = MoveOutReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写搬离日期。"))
        return _back_to_property(tenancy, f"#tenancy-{tenancy.pk}")
    try:
        services.tenancy_end(actor=request.user, tenancy=tenancy, ip=client_ip(request), **form.cleaned_data)
    except DomainError as error:
        messages.error(request, str(error.message))
        return _back_to_property(tenancy, f"#tenancy-{tenancy.pk}")
    messages.success(
        request,
        _("已办理 %(name)s 的人走注销（%(date)s 搬离），其在这里的居住登记已同时注销。")
        % {"name": tenancy.tenant.name, "date": form.cleaned_data["moved_out_on"].isoformat()},
    )
    return _back_to_property(tenancy, "#tenants")


# --- 一房一码 -----------------------------------------------------------------------------------------


def _qr_svg(data: str, label: str) -> SafeString:
    """The QR code as inline SVG, drawn by the server (no external service, works offline and in print)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))  # noqa: S308 — our own SVG


@login_required
def property_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable poster of a verified property: its QR code leads tenants to the self-declaration. The
    owner may reissue it (every printed poster then stops working); a caseworker of the street may look."""
    prop = _property_or_404(request, pk)
    if prop.status != PropertyStatus.VERIFIED:
        raise Http404
    declare_url = request.build_absolute_uri(reverse("housing:declare", args=[services.property_qr_token(prop)]))
    context = {
        "property": prop,
        "is_owner": prop.owner_id == request.user.pk,
        "qr_svg": _qr_svg(declare_url, _("扫码申报入住")),
        "declare_url": declare_url,
        "valid_until": timezone.localdate() + services.QR_MAX_AGE - datetime.timedelta(days=1),
    }
    response = render(request, "housing/poster.html", context)
    # The page holds a live link to the declaration: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def property_qr_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    prop = _property_or_404(request, pk)
    try:
        services.property_qr_withdraw(actor=request.user, prop=prop)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已生成新的二维码，以前打印的二维码已失效。请打印新海报，贴到原来的位置。"))
    return redirect("housing:poster", prop.pk)


# --- the tenant ---------------------------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    """The token in the address is as good as the poster."""
    return secret_link_headers(response)


def _qr_refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    context = {"message": error.message, "expired": error.code == "qr_expired"}
    return _no_store(render(request, "housing/qr_invalid.html", context, status=404))


@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest, token: str) -> HttpResponse:
    """Where a property's QR code leads: the tenant declares they live there (the address already filled in)
    and the landlord confirms. The code is checked first, so nobody signs up to learn that a poster is void."""
    try:
        prop = services.property_from_qr_token(token)
    except DomainError as error:
        return _qr_refused(request, error)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if residents_selectors.resident_of_user(user=request.user) is None:
        messages.info(request, _("请先建立您本人的居民档案，建好后再扫一次门口的二维码申报入住。"))
        return redirect(f"{reverse('residents:profile')}?{urlencode({'next': request.get_full_path()})}")
    if request.method == "POST":
        form = DeclarationForm(request.POST)
        if form.is_valid():
            try:
                tenancy = services.tenancy_declare(
                    actor=request.user, token=token, ip=client_ip(request), **form.cleaned_data
                )
            except DomainError as error:
                if error.code in QR_ERRORS:
                    return _qr_refused(request, error)
                form_add_domain_error(form, error)
            else:
                return redirect("housing:declared", tenancy.pk)
    else:
        form = DeclarationForm(initial={"move_in_date": timezone.localdate()})
    return _no_store(render(request, "housing/declare.html", {"property": prop, "form": form}))


@login_required
def declared(request: HttpRequest, pk: int) -> HttpResponse:
    """已提交: what happens next, for the tenant who just declared."""
    try:
        tenancy = selectors.tenancies_as_tenant(user=request.user).get(pk=pk)
    except Tenancy.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "housing/declared.html", {"tenancy": tenancy})


@login_required
def tenancy_mine(request: HttpRequest) -> HttpResponse:
    """我的租住: where the user (and the children in their care) live or lived as tenants, newest first, with
    the residence registration each tenancy opened."""
    tenancies, next_before = _keyset_page(
        selectors.tenancies_as_tenant(user=request.user).order_by("-id"),
        request.GET.get("before", ""),
        TENANCIES_PER_PAGE,
    )
    context = {
        "tenancies": tenancies,
        "next_before": next_before,
        "has_profile": residents_selectors.resident_of_user(user=request.user) is not None,
    }
    return render(request, "housing/tenancy_list.html", context)
