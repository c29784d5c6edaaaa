
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.network import client_ip
from accounts.phones import phone_display
from kernel.errors import DomainError, form_add_domain_error

from . import selectors, services
from .catalogue import SERVICES, services_open_to
from .forms import ChildForm, ProfileForm, ResidenceEndForm, ResidenceRegistrationForm
from .models import ResidenceRegistration


def home(request: HttpRequest) -> HttpResponse:
    """The public service list (公共服务清单)."""
    resident = selectors.resident_of_user(user=request.user)
    open_keys = {s.key for s in services_open_to(resident)} if request.user.is_authenticated else set()
    return render(request, "residents/home.html", {"services": SERVICES, "open_keys": open_keys})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的: the profile, what it still lacks, the children and the services open now."""
    resident = selectors.resident_of_user(user=request.user)
    context = {
        "resident": resident,
        "missing": selectors.resident_profile_missing(resident),
        "children": selectors.resident_children(guardian=resident) if resident else [],
        "current_registration": selectors.residence_current(resident=resident) if resident else None,
        "open_services": services_open_to(resident),
    }
    return render(request, "residents/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Create or edit one's own profile; the same page for both."""
    resident = selectors.resident_of_user(user=request.user)
    editing = resident is not None
    if request.method == "POST":
        form = ProfileForm(request.POST, editing=editing)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if resident is None:
                    services.resident_profile_create(
                        actor=request.user, user=request.user, ip=client_ip(request), **data
                    )
                    messages.success(request, _("居民档案已建立。"))
                else:
                    services.resident_update(actor=request.user, resident=resident, ip=client_ip(request), **data)
                    messages.success(request, _("居民档案已保存。"))
                # Back where the person was going (a QR declaration that needed a profile first), if on this site.
                after = request.POST.get("next") or request.GET.get("next", "")
                if url_has_allowed_host_and_scheme(after, {request.get_host()}, require_https=request.is_secure()):
                    return redirect(after)
                return redirect("residents:mine")
            except DomainError as error:
                form_add_domain_error(form, error)
    elif resident is not None:
        form = ProfileForm(
            editing=True,
            initial={
                "name": resident.name,
                "phone": phone_display(resident.phone),
                "hukou_address": resident.hukou_address,
                "education": resident.education,
                "community": resident.community_id,
                "address": resident.address,
                "arrival_date": resident.arrival_date,
            },
        )
    else:
        form = ProfileForm(initial={"phone": phone_display(request.user.phone or "")})
    return render(request, "residents/profile_form.html", {"form": form, "resident": resident})


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request: HttpRequest) -> HttpResponse:
    guardian = selectors.resident_of_user(user=request.user)
    if guardian is None:
        messages.info(request, _("请先建立您本人的居民档案，再添加子女。"))
        return redirect("residents:profile")
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_child_add(
                actor=request.user, guardian=guardian, ip=client_ip(request), **form.cleaned_data
            )
            messages.success(request, _("已添加子女。"))
            return redirect("residents:mine")
        except DomainError as error:
            form_add_domain_error(form, error)
    return render(request, "residents/child_form.html", {"form": form})


# --- cases -------------------------------------------------------------------------------------------


CASES_PER_PAGE = 30


# --- residence registration ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def residence(request: HttpRequest) -> HttpResponse:
    """居住登记: the current registration, its history, when a permit can be applied for, and the form to
    register or change address."""
    resident = selectors.resident_of_user(user=request.user)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再办理居住登记。"))
        return redirect("residents:profile")
    form = ResidenceRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.residence_register(
                actor=request.user, resident=resident, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, _("居住登记已办理：%(address)s。") % {"address": registration.address})
            if selectors.residence_change_reported_late(registration):
                messages.warning(request, _("按规定，搬家后应在 10 日内变更居住登记。这次已为您登记，以后请及时申报。"))
            return redirect("residents:residence")
    history = selectors.residence_history(resident=resident)
    context = {
        "resident": resident,
        "history": history,
        "current": history[0] if history and history[0].is_current else None,
        "continuous_since": selectors.residence_continuous_since(history),
        "eligible_from": selectors.permit_eligible_from(history),
        "today": timezone.localdate(),
        "form": form,
        "end_form": ResidenceEndForm(initial={"ended_on": timezone.localdate()}),
    }
    return render(request, "residents/residence.html", context)


@login_required
@require_POST
def residence_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        registration = selectors.residence_registrations(user=request.user).get(pk=pk)
    except ResidenceRegistration.DoesNotExist as exc:
        raise Http404 from exc
    form = ResidenceEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写离开日期。"))
        return redirect("residents:residence")
    try:
        services.residence_end(
            actor=request.user, registration=registration, ip=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("居住登记已注销。"))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("residents:residence")
