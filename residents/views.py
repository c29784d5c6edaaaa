from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from notifications.selectors import notification_unread_count
from yuean.errors import DomainError, form_add_domain_error

from . import selectors, services
from .catalogue import SERVICES, services_open_to
from .forms import ChildForm, ProfileForm


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


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
        "open_services": services_open_to(resident),
        "unread": notification_unread_count(request.user),
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
                        actor=request.user, user=request.user, ip=_ip(request), **data
                    )
                    messages.success(request, _("居民档案已建立。"))
                else:
                    services.resident_update(actor=request.user, resident=resident, ip=_ip(request), **data)
                    messages.success(request, _("居民档案已保存。"))
                return redirect("residents:mine")
            except DomainError as error:
                form_add_domain_error(form, error)
    elif resident is not None:
        form = ProfileForm(
            editing=True,
            initial={
                "name": resident.name,
                "phone": resident.phone,
                "hukou_address": resident.hukou_address,
                "education": resident.education,
                "community": resident.community_id,
                "address": resident.address,
                "arrival_date": resident.arrival_date,
            },
        )
    else:
        form = ProfileForm(initial={"phone": request.user.phone or ""})
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
                actor=request.user, guardian=guardian, ip=_ip(request), **form.cleaned_data
            )
            messages.success(request, _("已添加子女。"))
            return redirect("residents:mine")
        except DomainError as error:
            form_add_domain_error(form, error)
    return render(request, "residents/child_form.html", {"form": form})
